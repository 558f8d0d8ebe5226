"""Benchmark folders in VNN-COMP's layout, with the ground truth kept apart.

:func:`export_vnncomp` turns formulas into a folder another verifier can run as it is::

    DIR/
      onnx/inst_0000.onnx ...        the networks (float32; every weight is a small
                                     integer, so exact)
      vnnlib/inst_0000.vnnlib ...    the properties (``.vnnlib.gz`` with ``gzip``)
      instances.csv                  one row per instance: onnx,vnnlib,timeout
      generate_properties.py         regenerates the folder: python generate_properties.py SEED
      formulas/formula_0000.cnf ...  the formula files it reads (when the export read files)
      README.md                      what the instances are and how they were made
    DIR_ground_truth.jsonl           beside the folder, never inside it

Each formula is encoded by one of :data:`reluinv.reduction.export.ENCODINGS` (the
one-hidden-layer CNF embedding by default, lemma E1; or the real-latent reduction, lemma
L3), so an instance is ``sat`` exactly when its formula is satisfiable. Names are neutral:
instances are numbered in an order shuffled by the seed, and nothing in a name or in the
folder says which are ``sat``. The ground truth comes from :func:`reluinv.solve_sat`: a
model (re-checked clause by clause) written as the VNN-COMP counterexample of the instance
(and replayed through the network before it is written), or a refutation whose DRUP proof
the independent checker accepted, recorded with its SHA-256. A formula whose answer is not
certified that way is refused: the folder never holds an instance without a checked
verdict.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reluinv._version import __version__
from reluinv.arguments import check_choice, check_time_limit
from reluinv.data.files import missing_parents_problem
from reluinv.data.formula import Formula
from reluinv.data.network import DENSE_ENTRY_LIMIT
from reluinv.data.onnx_io import write_onnx
from reluinv.data.vnnlib import write_vnnlib
from reluinv.errors import InvalidArgumentError, SolverError
from reluinv.exact.verify_property import counterexample_text
from reluinv.oracles.sat import SatStatus, solve_sat
from reluinv.reduction.export import ENCODINGS, EncodingName, encoded_entries, witness_input

__all__ = ["EXPORT_MAX_ENTRIES", "ExportSummary", "check_export_size", "export_folder_problem",
           "export_vnncomp", "ground_truth_path"]

#: The per-instance timeout written into ``instances.csv`` by default, seconds.
DEFAULT_TIMEOUT = 60.0
#: The largest network an export writes, in weight entries (ONNX stores them dense, and
#: the encoding builds them dense first): ``DENSE_ENTRY_LIMIT`` = 2^23, a 32 MiB float32
#: file. A formula whose encoding is larger is refused before anything is written
#: (:func:`~reluinv.reduction.export.encoded_entries`); without the limit a formula of
#: 10^5 variables asked for 500 GB and died of ``MemoryError``.
EXPORT_MAX_ENTRIES = DENSE_ENTRY_LIMIT


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_vnncomp` wrote: the folder, the ground-truth file, and the
    number of instances, satisfiable and not."""

    folder: Path
    ground_truth: Path
    instances: int
    satisfiable: int
    unsatisfiable: int


def ground_truth_path(folder: str | os.PathLike[str]) -> Path:
    """``DIR_ground_truth.jsonl`` beside ``DIR`` (not inside it)."""
    path = Path(folder).resolve()
    return path.parent / f"{path.name}_ground_truth.jsonl"


def _readme(encoding: str, count: int, seed: int, timeout: float, command: str,
            copied: int) -> str:
    copies = ("\nIt reads the formula files from `formulas/` beside it: copies of those the "
              "command\nread, in its order, under neutral names." if copied else "")
    lemma = ("lemma E1: Y_0 = sum of the unsatisfied clause units plus 2 dist(x, {0,1}^k); "
             "its minimum over [0,1]^k is 0 on a satisfiable formula and at least 1 on an "
             "unsatisfiable one, and the property asks Y_0 <= 0.5"
             if encoding == "cnf_embedding" else
             "lemma L3: G(x) equals the target exactly when x is a binary model of the "
             "formula; on an unsatisfiable formula every x in [0,1]^k misses the target by "
             "at least 2 / (w + 2) in some output (w the widest clause)")
    return f"""# A reluinv benchmark in VNN-COMP's layout

{count} instances (`instances.csv`: onnx, vnnlib, timeout {timeout:g} s). Each is a CNF
formula encoded as a ReLU network and a VNN-LIB property ({encoding}): the property is
`sat` exactly when the formula is satisfiable ({lemma}). Every weight and bias is a small
integer, exact in float32. The instance names are numbered in an order shuffled by the
seed; the verdicts are not in this folder.

Made by reluinv {__version__} with seed {seed}:

    {command}

`python generate_properties.py SEED` runs the same command with another seed, from any
folder (and on another machine with reluinv installed).{copies}
"""


def _copy_name(index: int, source: str | os.PathLike[str]) -> str:
    """The neutral name of the ``index``-th formula file in ``formulas/``: the suffixes the
    reader goes by (``.wcnf``, and ``.gz`` / ``.xz`` / ``.bz2``) kept, the rest of the
    name (which may say whether the formula is satisfiable) dropped."""
    name = os.path.basename(os.fspath(source)).lower()
    compression = next((s for s in (".gz", ".xz", ".bz2") if name.endswith(s)), "")
    kind = ".wcnf" if name[: len(name) - len(compression)].endswith(".wcnf") else ".cnf"
    return f"formula_{index:04d}{kind}{compression}"


def _generator_script(argv: Sequence[str], copies: Sequence[str]) -> str:
    """The script that reruns the export ``argv`` with another seed; the formula files
    (``argv[1 : 1 + len(copies)]``) are replaced by ``copies``, paths relative to the
    script's own folder, so it runs from any working directory."""
    options = [argv[0], *argv[1 + len(copies):]]
    return f'''"""Regenerate this benchmark: python generate_properties.py SEED (needs reluinv).

Runs from any working directory: the formulas are read beside this script."""
import os
import subprocess
import sys

ARGV = {options!r}
FORMULAS = {list(copies)!r}
seed = sys.argv[1] if len(sys.argv) > 1 else "0"
here = os.path.dirname(os.path.abspath(__file__))
args = [ARGV[0], *(os.path.join(here, *name.split("/")) for name in FORMULAS), *ARGV[1:]]
args[args.index("--seed") + 1] = seed
args[args.index("--out") + 1] = here
sys.exit(subprocess.call([sys.executable, "-m", "reluinv", *args, "--force"]))
'''


def check_export_size(encoding: EncodingName, num_vars: int, num_clauses: int,
                      what: str) -> None:
    """Raise :class:`~reluinv.errors.InvalidArgumentError` naming ``what`` when a formula
    of ``num_vars`` variables and ``num_clauses`` clauses cannot be exported: it has no
    variable (the network's input ``X`` would have no entry, and the weights of its first
    layer none, which no ONNX reader accepts; :func:`~reluinv.read_onnx` refuses them), or
    its ``encoding`` network has more than :data:`EXPORT_MAX_ENTRIES` weight entries."""
    if num_vars == 0:
        raise InvalidArgumentError(
            f"{what}: 0 variables; an exported network needs at least one latent variable "
            "(the ONNX input and the property's X_0)")
    entries = encoded_entries(encoding, num_vars, num_clauses)
    if entries > EXPORT_MAX_ENTRIES:
        raise InvalidArgumentError(
            f"{what} ({num_vars} variables, {num_clauses} clauses): its {encoding} network "
            f"would have {entries} weight entries > EXPORT_MAX_ENTRIES = "
            f"{EXPORT_MAX_ENTRIES} (ONNX stores them dense)")


def export_vnncomp(
    formulas: Sequence[Formula],
    folder: str | os.PathLike[str],
    *,
    encoding: EncodingName = "cnf_embedding",
    seed: int = 0,
    gzip: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    argv: Sequence[str] | None = None,
    force: bool = False,
    sources: Sequence[str | os.PathLike[str]] | None = None,
) -> ExportSummary:
    """Write ``formulas`` as a VNN-COMP benchmark folder and its ground truth beside it
    (module docstring).

    The folder is written as a hidden sibling ``.NAME.*.partial`` and moved into place
    only when complete, the ground truth last: an error or an interrupt leaves the old
    folder (or none) and no half-written one.

    Parameters
    ----------
    formulas:
        The formulas (weights ignored: every clause must hold).
    folder:
        The benchmark folder; it must not exist or be empty unless ``force``.
    encoding:
        ``"cnf_embedding"`` or ``"real_latent"``.
    seed:
        Shuffles the instance order (and is recorded for regeneration).
    gzip:
        Write ``.vnnlib.gz`` properties.
    timeout:
        Seconds per instance written into ``instances.csv``.
    argv:
        The ``reluinv`` command line that made the folder, recorded in the README and in
        ``generate_properties.py`` (must hold ``--seed`` and ``--out``, and list the
        ``sources`` right after its first word); default: the equivalent ``export`` call
        is not recorded as a script.
    force:
        Write into a non-empty folder: its ``onnx`` and ``vnnlib`` folders and the files
        of the export are replaced, other files stay.
    sources:
        The files ``formulas`` were read from, one each: copied byte for byte into
        ``formulas/`` (``formula_0000.cnf``, ... in this order; the suffixes ``.wcnf``,
        ``.gz``, ``.xz``, ``.bz2`` kept), where ``generate_properties.py`` reads them, so
        the folder regenerates from any working directory and on another machine.

    Raises
    ------
    InvalidArgumentError
        A non-empty folder without ``force``, a folder that is a file, no formulas, an
        unknown encoding, a formula without variables, or a formula whose network would
        exceed :data:`EXPORT_MAX_ENTRIES`.
    SolverError
        A formula whose verdict could not be certified (an unchecked refutation).
    """
    check_choice(encoding, "encoding", tuple(ENCODINGS))
    checked_timeout = check_time_limit(timeout, "timeout")
    if checked_timeout is None:
        raise InvalidArgumentError("timeout must be finite: instances.csv needs a number")
    if not formulas:
        raise InvalidArgumentError("formulas is empty: nothing to export")
    files = [os.fspath(path) for path in sources] if sources is not None else []
    if sources is not None and len(files) != len(formulas):
        raise InvalidArgumentError(f"sources has {len(files)} paths for {len(formulas)} "
                                   "formulas; give one file per formula")
    if sources is not None and argv is not None and list(argv[1:1 + len(files)]) != files:
        raise InvalidArgumentError("argv must list the sources right after its first word, "
                                   "as the export command line does")
    root = Path(folder)
    problem = export_folder_problem(root, force)
    if problem is not None:
        raise InvalidArgumentError(f"{root}: {problem} (force=True overwrites it)")
    for index, formula in enumerate(formulas):
        check_export_size(encoding, formula.num_vars, formula.num_clauses, f"formula {index}")
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".partial",
                                        dir=root.parent))
    except OSError as exc:
        raise _about(exc, root) from None
    truth_path = ground_truth_path(root)
    staged_truth = staging.with_name(staging.name + ".jsonl")
    try:
        summary = _write_folder(formulas, root, staging, staged_truth, encoding, seed, gzip,
                                checked_timeout, argv, files)
        _move_into(staging, root)
        os.replace(staged_truth, truth_path)
    except OSError as exc:
        staged = os.fsdecode(exc.filename) if exc.filename is not None else ""
        if staged.startswith(os.fspath(staging)):
            raise _about(exc, root) from None
        raise
    finally:  # an error or an interrupt leaves no half-written folder behind
        shutil.rmtree(staging, ignore_errors=True)
        staged_truth.unlink(missing_ok=True)
    return summary


def _about(exc: OSError, root: Path) -> OSError:
    """``exc`` about the caller's folder ``root`` rather than the staging path beside it
    (an internal name), with the reason and where the export is staged."""
    return OSError(exc.errno, f"{exc.strerror or exc}; the export is staged in "
                   f"{root.parent} before it is moved into place", os.fspath(root))


def export_folder_problem(folder: str | os.PathLike[str], force: bool) -> str | None:
    """Why ``folder`` cannot receive an export (``None`` when it can): a file, a
    non-empty folder without ``force``, below a file, or in a folder that is not writable
    (the export is written beside ``folder`` first)."""
    root = Path(folder)
    if root.exists() and not root.is_dir():
        return "is not a folder"
    if root.is_dir() and any(root.iterdir()) and not force:
        return "the folder is not empty"
    return missing_parents_problem(root)  # the export is written beside the folder


def _move_into(staging: Path, root: Path) -> None:
    """Put the finished ``staging`` folder in ``root``'s place: a rename when ``root`` is
    missing or empty; otherwise (``force``) each entry replaces the one of its name, the
    ``onnx`` and ``vnnlib`` folders whole, so no instance of an older export stays."""
    if not root.exists() or not any(root.iterdir()):
        os.replace(staging, root)
        return
    for entry in sorted(staging.iterdir()):
        target = root / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        os.replace(entry, target)


def _write_folder(formulas: Sequence[Formula], root: Path, staging: Path, truth_path: Path,
                  encoding: EncodingName, seed: int, gzip: bool, checked_timeout: float,
                  argv: Sequence[str] | None, sources: Sequence[str]) -> ExportSummary:
    """Write the benchmark of ``formulas`` into ``staging`` and its ground truth to
    ``truth_path``; names and the summary refer to ``root``, where it will live. The
    ``sources`` files (one per formula, or none) are copied into ``formulas/``."""
    (staging / "onnx").mkdir()
    (staging / "vnnlib").mkdir()
    copies = [f"formulas/{_copy_name(i, path)}" for i, path in enumerate(sources)]
    if copies:
        (staging / "formulas").mkdir()
    for path, copy in zip(sources, copies, strict=True):
        shutil.copyfile(path, staging / copy)
    order = np.random.default_rng(seed).permutation(len(formulas))
    rows: list[tuple[str, str, str]] = []
    truth: list[str] = []
    counts = {"sat": 0, "unsat": 0}
    suffix = ".vnnlib.gz" if gzip else ".vnnlib"
    for number, index in enumerate(order.tolist()):
        formula = formulas[index]
        name = f"inst_{number:04d}"
        network, prop = ENCODINGS[encoding](formula)
        onnx_rel, vnnlib_rel = f"onnx/{name}.onnx", f"vnnlib/{name}{suffix}"
        write_onnx(network, staging / onnx_rel, dtype="float32")
        write_vnnlib(prop, staging / vnnlib_rel,
                     comments=(f"reluinv {__version__} {encoding}; seed {seed}",))
        rows.append((onnx_rel, vnnlib_rel, f"{checked_timeout:g}"))
        answer = solve_sat(formula, proof=True)
        record: dict[str, object] = {
            "onnx": onnx_rel, "vnnlib": vnnlib_rel, "encoding": encoding,
            "formula_sha256": formula.sha256(), "num_vars": formula.num_vars,
            "num_clauses": formula.num_clauses, "source": list(formula.comments),
        }
        if answer.status is SatStatus.SATISFIABLE and answer.model is not None:
            x = witness_input(answer.model)
            y = network.forward(x)
            exact = np.array([float(v) for v in network.forward_exact(list(x))])
            if not prop.holds(x, exact):  # integer network, 0/1 input: exact in float64
                raise SolverError(f"formula {index}: the model is not a counterexample of "
                                  f"its {encoding} encoding")
            record.update(verdict="sat", witness=counterexample_text(x, y))
            counts["sat"] += 1
        elif answer.status is SatStatus.UNSATISFIABLE and answer.proof_checked is True:
            record.update(verdict="unsat", proof_sha256=answer.proof_sha256,
                          checker=answer.checker)
            counts["unsat"] += 1
        else:
            raise SolverError(f"formula {index}: no certified verdict ({answer.message})")
        truth.append(json.dumps(record, sort_keys=True))
    with open(staging / "instances.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    words = list(argv) if argv is not None else [
        "export", "FORMULA...", "--format", "vnncomp", "--encoding", encoding,
        "--seed", str(seed), "--out", str(root), *(["--gzip"] if gzip else [])]
    command = "reluinv " + " ".join(shlex.quote(w) for w in words)
    (staging / "README.md").write_text(
        _readme(encoding, len(rows), seed, checked_timeout, command, len(copies)),
        encoding="utf-8")
    if argv is not None:
        (staging / "generate_properties.py").write_text(_generator_script(argv, copies),
                                                        encoding="utf-8")
    truth_path.write_text("\n".join(truth) + "\n", encoding="utf-8")
    return ExportSummary(root, ground_truth_path(root), len(rows), counts["sat"],
                         counts["unsat"])
