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
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reluinv.data.network import ReluNetwork, open_npz, read_metadata
from reluinv.data.problem import PROBLEM_FORMAT, InversionProblem
from reluinv.errors import ProblemFileError, ReluinvError

__all__ = ["is_onnx_path", "load_array", "load_network", "load_network_or_problem", "load_npz",
           "missing_parents_problem"]


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
        try:
            if read_metadata(archive, source).get("format") == PROBLEM_FORMAT:
                return InversionProblem.from_arrays(archive, source=source)
            return ReluNetwork.from_arrays(archive, source=source)
        except ReluinvError as exc:
            if "allow_pickle" in str(exc):
                raise ProblemFileError(_damaged(source, ValueError("pickle"))) from None
            raise
        except _DAMAGED as exc:  # an entry that cannot be read back
            raise ProblemFileError(_damaged(source, exc)) from None


#: What reading a damaged archive entry raises: a bad CRC or a cut-off member
#: (``BadZipFile``, ``EOFError``, ``zlib.error``), a pickled object array or a broken
#: ``.npy`` header (``ValueError``), a key that the format needs (``KeyError``).
_DAMAGED = (zipfile.BadZipFile, EOFError, zlib.error, ValueError, KeyError, OSError)


def _damaged(source: str, exc: BaseException) -> str:
    """One line for an archive entry that cannot be read, without NumPy's advice to load
    pickles (reluinv never loads pickled objects: they can run code)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "pickle" in text:
        return (f"{source}: holds a pickled object array; saved networks and problems hold "
                "plain numeric arrays only (pickles are never loaded)")
    if isinstance(exc, KeyError):
        return f"{source}: the entry {text} is missing"
    return f"{source}: damaged archive entry ({type(exc).__name__}: {text})"


def is_onnx_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names an ONNX model by its suffix (any case): ``.onnx``, or
    ``.onnx.gz`` (gzip-compressed, as VNN-COMP benchmarks often ship them)."""
    return os.fspath(path).lower().endswith((".onnx", ".onnx.gz"))


def load_network_or_problem(path: str | os.PathLike[str]) -> ReluNetwork | InversionProblem:
    """The network of an ``.onnx`` or ``.onnx.gz`` file (:func:`is_onnx_path`), else
    :func:`load_npz`."""
    if is_onnx_path(path):
        from reluinv.data.onnx_io import read_onnx

        return read_onnx(path)
    return load_npz(path)


def load_network(path: str | os.PathLike[str]) -> ReluNetwork:
    """The network of an ``.onnx`` file or a saved network (:func:`load_network_or_problem`);
    a saved *problem* raises :class:`~reluinv.errors.ProblemFileError` (which of its parts
    to take is the caller's choice, not this reader's)."""
    loaded = load_network_or_problem(path)
    if not isinstance(loaded, ReluNetwork):
        raise ProblemFileError(f"{os.fspath(path)}: a saved problem, not a network")
    return loaded


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
    except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        if "pickle" in str(exc) and _starts_with(path, b"\x93NUMPY"):
            raise ProblemFileError(
                f"{source}: {name} must be a NumPy .npy array of numbers, got an object array "
                "(pickled objects are never loaded)") from None
        raise ProblemFileError(f"{source}: {name} must be a NumPy .npy array file") from None
    if not isinstance(loaded, np.ndarray):
        loaded.close()
        raise ProblemFileError(f"{source}: {name} must be a .npy array, got an archive")
    return loaded


def _starts_with(path: str | os.PathLike[str], magic: bytes) -> bool:
    """Whether the file ``path`` begins with ``magic`` (the ``.npy`` signature)."""
    with open(path, "rb") as stream:
        return stream.read(len(magic)) == magic


def missing_parents_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path``'s missing parent folders cannot be created (``None`` when they can, or
    none is missing): the nearest existing ancestor must be a writable folder."""
    ancestor = Path(path).parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"the folder {ancestor} is not writable"
    return None
