"""Saved ``.npz`` files: tell a problem from a bare network, load either.

reluinv writes two kinds of NumPy ``.npz`` archive:

* a **network** (:meth:`ReluNetwork.save <reluinv.data.network.ReluNetwork.save>`): the
  arrays ``W1, b1, ..., Wd, bd``, a JSON ``network`` header and free-form JSON
  ``metadata`` (seeds, provenance);
* a **problem** (:meth:`InversionProblem.save
  <reluinv.data.problem.InversionProblem.save>`): the same network entries plus
  ``target``, an optional ``mask``, and ``metadata`` whose ``format`` is
  ``"reluinv-problem"`` (with the latent domain, the variant, ``lam``, the formula's hash).

:func:`load_npz` reads the ``metadata`` entry once and returns the right object, so callers
never sniff the format themselves. :func:`load_network_or_problem` goes by the suffix:
``.onnx`` files are read by :func:`~reluinv.data.onnx_io.read_onnx`, anything else by
:func:`load_npz`. :func:`load_array` reads a single ``.npy`` array (an observation, a
mask).
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np
import numpy.typing as npt

from reluinv.data.network import ReluNetwork, open_npz, read_metadata
from reluinv.data.problem import PROBLEM_FORMAT, InversionProblem
from reluinv.errors import ProblemFileError

__all__ = ["load_array", "load_network_or_problem", "load_npz"]


def load_npz(path: str | os.PathLike[str]) -> ReluNetwork | InversionProblem:
    """The network or the problem saved in ``path``.

    A file whose metadata ``format`` is ``"reluinv-problem"`` comes back as an
    :class:`~reluinv.data.problem.InversionProblem`, any other reluinv archive as a
    :class:`~reluinv.data.network.ReluNetwork`.

    Raises
    ------
    ProblemFileError
        ``path`` is not a ``.npz`` archive (a text file, a single ``.npy`` array), or its
        entries are missing or inconsistent; the message names the file.
    OSError
        The file is missing or cannot be read.

    >>> import tempfile, pathlib
    >>> net = ReluNetwork([[[1, 0], [0, 1]]])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "net.npz"
    ...     net.save(path, seed=0)
    ...     type(load_npz(path)).__name__
    'ReluNetwork'
    """
    source = os.fspath(path)
    with open_npz(path) as archive:
        if read_metadata(archive, source).get("format") == PROBLEM_FORMAT:
            return InversionProblem.from_arrays(archive, source=source)
        return ReluNetwork.from_arrays(archive, source=source)


def load_network_or_problem(path: str | os.PathLike[str]) -> ReluNetwork | InversionProblem:
    """The network of an ``.onnx`` file (by its suffix, any case), else :func:`load_npz`."""
    if os.fspath(path).lower().endswith(".onnx"):
        from reluinv.data.onnx_io import read_onnx

        return read_onnx(path)
    return load_npz(path)


def load_array(path: str | os.PathLike[str], name: str = "array") -> npt.NDArray[Any]:
    """The array saved in the ``.npy`` file ``path`` (no pickles).

    ``name`` says what the array is for (``"X"``, ``"mask"``) in error messages.

    Raises
    ------
    ProblemFileError
        ``path`` is not a ``.npy`` file (a text file, an ``.npz`` archive).
    OSError
        The file is missing or cannot be read.
    """
    source = os.fspath(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ProblemFileError(f"{source}: {name} must be a NumPy .npy array file") from exc
    if not isinstance(loaded, np.ndarray):
        loaded.close()
        raise ProblemFileError(f"{source}: {name} must be a .npy array, got an archive")
    return loaded
