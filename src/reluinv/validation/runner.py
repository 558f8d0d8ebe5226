"""Reduction validation runs: check many formulas, one JSON record per instance.

A run takes files and folders (folders are searched recursively for ``.cnf`` and ``.wcnf``
files, optionally ``.gz``, ``.xz`` or ``.bz2`` compressed), hands each instance to an
executor (:mod:`reluinv.validation.executors`: a local pool of worker processes by
default, or Dask) that runs a per-instance check (:func:`reluinv.check_instance` by
default) in a process it can kill, and appends each record to a results file as one JSON
line, written with a single ``write`` call and synced as soon as the instance finishes.
Only the run's own process writes the file. So:

* a worker that crashes or is killed costs only its own instance, recorded as an error;
* an interrupted run (Ctrl-C, or the whole process killed) leaves a results file that is
  valid line by line; a torn last line, if any, is dropped when the run is resumed;
* ``resume=True`` skips the instances whose key is already in the results file. The key
  (:func:`instance_key`) is the sha256 of the file's bytes plus the options that change a
  record (time limit, check options), not the path: a run moves between machines and
  checkouts, a resumed run yields exactly one record per instance, and an edited file is
  checked again: its stale record (its path now holds other bytes) is removed
  from the file, which is rewritten atomically, and the new record replaces it
  (:attr:`Progress.superseded` lists them), so a results file keeps one record per path.
  Files with identical bytes are one instance, checked under the first path;
  :attr:`Progress.duplicates` names the others and the file each duplicates. Records
  written when the key also hashed the path are re-keyed from their ``file_sha256`` and
  ``options`` fields (:func:`record_key`), so such files resume too;
* ``shard="I/N"`` keeps the instances of one :class:`Shard` (by content hash), for running
  a set as ``N`` separate jobs; :mod:`reluinv.validation.merging` combines their files.

Bad input (a missing, unreadable, malformed or oversized file) becomes an error record
naming the file and the problem, and the run goes on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reluinv.arguments import check_count, check_shard, check_time_limit
from reluinv.errors import InvalidArgumentError
from reluinv.validation.executors import (
    CheckFunction,
    Executor,
    LocalPoolExecutor,
    Outcome,
    Task,
    make_executor,
)
from reluinv.validation.records import CHECK_STATUSES, ErrorRecord, KilledRecord, RunOptions

__all__ = [
    "FORMULA_SUFFIXES",
    "VERDICTS",
    "FamilySummary",
    "Progress",
    "ResultsFile",
    "RunResult",
    "Shard",
    "ValidationOptions",
    "discover",
    "family_of",
    "instance_key",
    "is_record",
    "outcome_record",
    "record_key",
    "results_file_conflict",
    "run_validation",
    "summarize",
    "usable_cores",
]

#: File name endings a folder search picks up.
FORMULA_SUFFIXES = tuple(
    base + comp for base in (".cnf", ".wcnf") for comp in ("", ".gz", ".xz", ".bz2")
)

#: Record verdicts, in the order summaries list them: the record's own
#: (:data:`reluinv.validation.records.Verdict`) and ``error`` (no record could be made).
VERDICTS = ("agree", "disagree", "unknown", "uncertified", "error")

#: Default size limit of one input file, in bytes (compressed size for compressed files).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

#: One line of a results file: a checked record with the run's fields added
#: (:class:`~reluinv.validation.records.RunRecord` for the default check), an
#: :class:`~reluinv.validation.records.ErrorRecord`, or a
#: :class:`~reluinv.validation.records.KilledRecord`.
RunResult = Mapping[str, Any]


@dataclass(frozen=True)
class ValidationOptions:
    """Options of a validation run.

    Attributes
    ----------
    time_limit:
        Seconds per instance handed to the check (each solver call gets what is left);
        ``None`` for no limit. A check that runs out of time records ``unknown``.
    hard_timeout_factor, hard_timeout_grace:
        A worker still running after ``factor * time_limit + grace`` seconds is killed and
        its instance recorded as ``unknown`` (only when ``time_limit`` is set).
    max_bytes:
        Files larger than this are recorded as errors without being read.
    check_options:
        Extra keyword arguments for the check function (JSON-serialisable); they are part
        of the resume key.
    """

    time_limit: float | None = None
    hard_timeout_factor: float = 3.0
    hard_timeout_grace: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    check_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Stored as given (an int stays an int: it is part of the resume key), except that
        # inf means no limit, as everywhere, and becomes None.
        if check_time_limit(self.time_limit, "time_limit") is None:
            object.__setattr__(self, "time_limit", None)
        check_count(self.max_bytes, "max_bytes")

    def key_fields(self) -> RunOptions:
        """The options that change a record, as they enter the resume key."""
        return {"time_limit": self.time_limit, "check_options": dict(self.check_options)}

    @property
    def hard_timeout(self) -> float | None:
        """Seconds after which a worker is killed, or ``None``."""
        if self.time_limit is None:
            return None
        return self.hard_timeout_factor * self.time_limit + self.hard_timeout_grace


# -- finding the instances ---------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: :func:`os.path.samefile` when both exist (hard
    links, symbolic links), else equal resolved paths."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def results_file_conflict(out: str | os.PathLike[str],
                          paths: Sequence[str | os.PathLike[str]]) -> str | None:
    """Why ``out`` cannot be the results file of a run over ``paths`` (``None`` when it
    can): it is one of the files named, or a folder search would pick it up as a formula
    (it lies below a folder named and its name ends with one of :data:`FORMULA_SUFFIXES`).
    Starting the run would empty the input before it is read, or append JSON to it.

    >>> results_file_conflict("results.jsonl", ["examples"]) is None
    True
    """
    target = Path(out)
    resolved = target.resolve()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            if (resolved.is_relative_to(path.resolve())
                    and target.name.lower().endswith(FORMULA_SUFFIXES)):
                return (f"is below the input folder {raw} and ends with a formula suffix: "
                        "the run would read its own results as an instance")
        elif _same_file(path, target):
            return f"is the input {raw}: the run would overwrite it"
    return None


def discover(paths: Sequence[str | os.PathLike[str]], *,
             exclude: str | os.PathLike[str] | None = None) -> list[Path]:
    """Expand files and folders into the list of formula files, in a stable order.

    A folder contributes every file below it whose name ends with one of
    :data:`FORMULA_SUFFIXES` (sorted by path), except ``exclude`` (a run's own results
    file); a file given by name is always kept (if it is missing or malformed, its record
    will say so). Duplicates are dropped.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    excluded = Path(exclude).resolve() if exclude is not None else None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            below = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith(FORMULA_SUFFIXES)
                and p.resolve() != excluded
            )
        else:
            below = [path]
        for item in below:
            resolved = item.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(item)
    return found


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def instance_key(content_sha256: str, options: ValidationOptions | Mapping[str, Any]) -> str:
    """The resume key of an instance: the sha256 of the file's bytes and the options that
    change its record (:meth:`ValidationOptions.key_fields`), hashed together.

    The key does not contain the path, so a run resumed on another machine, in another
    checkout or after the files moved skips what is done; two files with the same bytes
    are one instance.

    >>> opts = ValidationOptions(time_limit=60)
    >>> instance_key("ab" * 32, opts) == instance_key("ab" * 32, opts.key_fields())
    True
    """
    fields = options.key_fields() if isinstance(options, ValidationOptions) else dict(options)
    payload = json.dumps({"file_sha256": content_sha256, "options": fields}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def record_key(record: Mapping[str, Any]) -> str | None:
    """The key under which a record counts: recomputed from its ``file_sha256`` and
    ``options`` when it has both (so records written with an earlier key layout, which
    hashed the path in too, are re-keyed), else its ``key`` field (``error:PATH`` for a file
    that could not be read), else ``None``."""
    sha256, options = record.get("file_sha256"), record.get("options")
    if isinstance(sha256, str) and isinstance(options, Mapping):
        return instance_key(sha256, options)
    key = record.get("key")
    return str(key) if key is not None else None


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based): the instances whose content hash, read as a
    number, is ``index - 1`` modulo ``count``. Deterministic and independent of the paths,
    the machine and the order of the files, so ``count`` separate jobs cover every instance
    exactly once. A file that cannot be read (no content hash) is placed by the sha256 of
    its path as given.

    >>> Shard.parse("2/3")
    Shard(index=2, count=3)
    >>> [Shard(i, 3).contains(f"{5:016x}" + "0" * 48) for i in (1, 2, 3)]
    [False, False, True]
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        check_shard((self.index, self.count), "shard")

    @classmethod
    def parse(cls, value: str | tuple[int, int], name: str = "shard") -> Shard:
        """A shard from ``"I/N"`` or ``(I, N)`` (checked by
        :func:`reluinv.arguments.check_shard`)."""
        return cls(*check_shard(value, name))

    def contains(self, sha256: str) -> bool:
        """Whether the instance with this content hash (hex) belongs to the shard."""
        return int(sha256[:16], 16) % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def family_of(path: Path, _cache: dict[Path, dict[str, Any]] | None = None) -> str:
    """The family of an instance: from the nearest ``manifest.json`` in a parent folder that
    lists it (its ``family`` field), else the name of the folder holding the file."""
    cache = _cache if _cache is not None else {}
    resolved = path.resolve()
    for folder in resolved.parents:
        manifest = folder / "manifest.json"
        if folder not in cache:
            try:
                cache[folder] = json.loads(manifest.read_text()) if manifest.is_file() else {}
            except (OSError, ValueError):
                cache[folder] = {}
        manifest_data = cache[folder]
        entries = manifest_data.get("files") if isinstance(manifest_data, dict) else None
        relative = resolved.relative_to(folder).as_posix()
        entry = entries.get(relative) if isinstance(entries, dict) else None
        if isinstance(entry, dict) and "family" in entry:
            return str(entry["family"])
    return resolved.parent.name or "."


# -- the results file --------------------------------------------------------------------


def is_record(value: object) -> bool:
    """Whether ``value`` (a parsed JSON line) is a validation record: an object with a
    ``path`` (a string) and a ``verdict`` from :data:`VERDICTS`. Every record the runner
    writes has them (and a key, which a merge falls back from to the line when absent);
    ``{"verdict": "agree"}`` alone is not one.

    >>> is_record({"verdict": "agree"}), is_record({"path": "a.cnf", "verdict": "error"})
    (False, True)
    """
    return (isinstance(value, dict) and isinstance(value.get("path"), str)
            and value.get("verdict") in VERDICTS)


class ResultsFile:
    """An append-only JSON-lines file of records.

    Every record is written as one line with a single ``os.write`` on a file opened with
    ``O_APPEND``, so a killed process leaves at most one torn line at the end; reading
    drops it (and :meth:`repair` cuts it off before new records are appended).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.malformed: list[int] = []

    def read(self) -> list[dict[str, Any]]:
        """The complete records in the file. A torn last line is skipped; so is a line that
        is not a record (:func:`is_record`: bytes that are not UTF-8, not JSON, JSON nested
        too deeply to parse, not an object, or an object without a record's fields), and
        its number (from 1) is listed in :attr:`malformed` so a reader can say so."""
        self.malformed = []
        if not self.path.exists():
            return []
        records = []
        with open(self.path, "rb") as stream:
            for number, raw in enumerate(stream, 1):
                if not raw.endswith(b"\n"):
                    break
                try:
                    record = json.loads(raw.decode("utf-8"))
                except (ValueError, RecursionError):  # not UTF-8, not JSON, nested deeply
                    record = None
                if is_record(record):
                    records.append(record)
                elif raw.strip():
                    self.malformed.append(number)
        return records

    def repair(self) -> int:
        """Cut off a torn last line (one without a newline); returns the bytes removed."""
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with open(self.path, "rb+") as stream:
            stream.seek(max(0, size - (1 << 20)))
            tail = stream.read()
            if tail.endswith(b"\n"):
                return 0
            cut = tail.rfind(b"\n")
            keep = size - len(tail) + cut + 1 if cut >= 0 else (
                0 if size <= (1 << 20) else size - len(tail))
            stream.truncate(keep)
            return size - keep

    def append(self, record: Mapping[str, Any]) -> None:
        """Append one record as one line, durably."""
        line = (json.dumps(record, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def replace(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Make the file hold exactly ``records``: written to a temporary file beside it,
        synced, then renamed over it, so a reader sees the old file or the new one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "wb") as stream:
            for record in records:
                stream.write((json.dumps(record, sort_keys=True, allow_nan=False) + "\n"
                              ).encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, self.path)

    def truncate(self) -> None:
        """Start the file afresh."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")


# -- running -----------------------------------------------------------------------------


@dataclass
class Progress:
    """What a run has done so far (handed to the progress callback after every record).

    ``in_flight`` maps the path of each instance being checked to the ``time.monotonic()``
    of its start (a heartbeat can name them); ``wall_seconds`` lists the wall time of each
    finished record, in order; ``workers`` is the number of parallel workers.
    """

    total: int
    skipped: int = 0
    done: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    last_record: RunResult | None = None
    workers: int = 1
    in_flight: dict[str, float] = field(default_factory=dict)
    wall_seconds: list[float] = field(default_factory=list)
    #: files skipped because their bytes equal an earlier file's: path -> that file's path
    duplicates: dict[str, str] = field(default_factory=dict)
    #: paths whose record in the resumed file was stale (the file was edited since) and
    #: was removed, to be replaced by the run's new record
    superseded: list[str] = field(default_factory=list)

    @property
    def left(self) -> int:
        """Instances not finished yet."""
        return self.total - self.skipped - self.done

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    @property
    def eta(self) -> float | None:
        """Estimated seconds to go: the median wall time of the finished instances times
        the rounds of ``workers`` still to run. The median, not the mean: a few slow
        instances (the heavy tail) would otherwise dominate the estimate for all the rest.
        """
        if not self.wall_seconds:
            return None
        rounds = math.ceil(self.left / max(1, self.workers))
        return statistics.median(self.wall_seconds) * rounds


def _error_record(path: Path, message: str, *, key: str, family: str | None) -> ErrorRecord:
    """The record of an instance that could not be checked (before a worker ran)."""
    return {"path": str(path), "verdict": "error", "error": message, "key": key,
            "family": family}


def _precheck(path: Path, options: ValidationOptions) -> tuple[str | None, str | None]:
    """``(sha256, None)`` for a readable file within the size limit, else ``(None, error)``."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            return None, f"{path}: not a regular file"
        if size > options.max_bytes:
            return None, (f"{path}: file is {size} bytes, over the limit of "
                          f"{options.max_bytes} bytes (max_bytes)")
        return file_sha256(path), None
    except FileNotFoundError:
        return None, f"{path}: no such file"
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror or exc})"


def outcome_record(outcome: Outcome, sha256: str, options: ValidationOptions) -> RunResult:
    """The line a run writes for an executor's :class:`~reluinv.validation.executors.Outcome`:
    the check's record with the run's fields (``key``, ``path``, ``file_sha256``,
    ``options``, ``wall_seconds``) added, an :class:`ErrorRecord`, or a
    :class:`KilledRecord`."""
    task = outcome.task
    run_fields = {"key": task.key, "path": task.path, "file_sha256": sha256,
                  "options": options.key_fields(), "wall_seconds": outcome.wall_seconds}
    if outcome.record is not None:
        return {**outcome.record, **run_fields,
                "family": outcome.record.get("family") or task.family}
    if outcome.killed is not None:
        killed: KilledRecord = {
            "path": task.path, "verdict": "unknown", "reason": outcome.killed,
            "key": task.key, "file_sha256": sha256, "family": task.family,
            "options": options.key_fields(), "wall_seconds": outcome.wall_seconds}
        return killed
    error = _error_record(Path(task.path), outcome.error or "no record",
                          key=task.key, family=task.family)
    error["file_sha256"] = sha256
    error["options"] = options.key_fields()
    error["wall_seconds"] = outcome.wall_seconds
    return error


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports it,
    else the machine's count): the most workers a run starts unless told otherwise."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _refuse_other_options(path: Path, records: Sequence[Mapping[str, Any]],
                          options: ValidationOptions) -> None:
    """Refuse to resume into a results file whose records were made with other options.

    A record's key hashes the options (:func:`instance_key`), so a resumed run with other
    options would skip nothing, append a second record for every instance, and a summary of
    the file would count each instance twice. One results file holds one option set; a run
    with other options writes to another file (``report`` reads several and keeps their
    option sets apart).
    """
    mine = json.dumps(options.key_fields(), sort_keys=True)
    for number, record in enumerate(records, 1):
        theirs = record.get("options")
        if isinstance(theirs, Mapping) and json.dumps(dict(theirs), sort_keys=True) != mine:
            raise InvalidArgumentError(
                f"{path}: cannot resume: record {number} was made with options "
                f"{json.dumps(dict(theirs), sort_keys=True)}, this run's are {mine}; resume "
                "with the same options, or write to another results file")


def _stale_records(kept: Sequence[Mapping[str, Any]],
                   instances: Sequence[tuple[Path, str]]) -> set[int]:
    """The positions in ``kept`` (the records of a resumed results file) of stale records:
    those naming a file of this run (the same resolved path) whose key is not that file's
    key now, i.e. written before the file was edited (or became readable, or unreadable).
    Their instances are checked again and the new records replace them, so every record
    of a run's file names a file that holds what the record was made from."""
    current = {path.resolve(): key for path, key in instances}
    return {number for number, line in enumerate(kept)
            if isinstance(line.get("path"), str)
            and current.get(Path(line["path"]).resolve(), record_key(line))
            != record_key(line)}


def run_validation(
    paths: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    check: CheckFunction | None = None,
    options: ValidationOptions | None = None,
    workers: int | None = None,
    resume: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    executor: str | Executor = "local",
    shard: Shard | str | tuple[int, int] | None = None,
) -> list[RunResult]:
    """Validate every formula under ``paths``, appending one record per instance to ``out``.

    Parameters
    ----------
    paths:
        Files and folders (see :func:`discover`).
    out:
        The results file (JSON lines). Without ``resume`` it is started afresh. Only this
        process writes it, whatever the executor.
    check:
        ``check(path, *, time_limit, family, **check_options) -> record``; default
        :func:`reluinv.check_instance`. With Dask it must be importable by the workers
        (a module-level function of an installed module).
    options:
        See :class:`ValidationOptions`.
    workers:
        Instances checked at the same time: processes of the local pool (default 1), or of
        the ``LocalCluster`` that ``executor="dask"`` starts (default: the CPU count).
    resume:
        Keep the records already in ``out`` and skip their instances (matched by
        :func:`record_key`: content and options, not path). Records made with other
        ``options`` are refused (:class:`~reluinv.errors.InvalidArgumentError`, nothing
        written): one results file holds one option set.
    on_progress:
        Called with a :class:`Progress` after every record.
    executor:
        ``"local"`` (:class:`~reluinv.validation.executors.LocalPoolExecutor`), ``"dask"``
        (:class:`~reluinv.validation.executors.DaskExecutor` on a local cluster), or an
        executor object, e.g. ``DaskExecutor(scheduler="tcp://HOST:8786")``.
    shard:
        Only the instances of this :class:`Shard` (``"I/N"``); ``None`` for all.

    Returns
    -------
    list of dict
        All records of the run's instances (those kept by ``resume`` included), in the
        order of the input; files with identical bytes are one instance, recorded under the
        first path.
    """
    if workers is not None:
        workers = check_count(workers, "workers")
    runner = make_executor(executor, workers)  # an executor object keeps its own size
    part = shard if isinstance(shard, Shard) or shard is None else Shard.parse(shard)
    opts = options if options is not None else ValidationOptions()
    if check is None:
        from reluinv.validation.check import check_instance

        check = check_instance
    results = ResultsFile(out)
    conflict = results_file_conflict(out, [p for p in paths if not Path(p).is_dir()])
    if conflict is not None:  # an input named as the results file: refused, nothing written
        raise InvalidArgumentError(f"out = {os.fspath(out)}: {conflict}")
    found = discover(paths, exclude=out)  # before the results file is started afresh
    existing: dict[str, RunResult] = {}
    kept: list[dict[str, Any]] = []
    if resume:
        results.repair()
        kept = results.read()
        _refuse_other_options(results.path, kept, opts)
        for line in kept:
            key = record_key(line)
            if key is not None:
                existing.setdefault(key, {**line, "key": key})
    else:
        results.truncate()

    instances: list[tuple[Path, str | None, str | None]] = []
    for path in found:
        sha256, problem = _precheck(path, opts)
        owner = sha256 if sha256 is not None else hashlib.sha256(str(path).encode()).hexdigest()
        if part is None or part.contains(owner):
            instances.append((path, sha256, problem))
    progress = Progress(total=len({sha or f"error:{p}" for p, sha, _ in instances}))
    stale = _stale_records(kept, [(path, instance_key(sha, opts) if sha is not None
                                   else f"error:{path}") for path, sha, _ in instances])
    if stale:  # an edited file: its old record is superseded by the run's new one
        results.replace(line for number, line in enumerate(kept) if number not in stale)
        progress.superseded = [str(kept[number].get("path")) for number in sorted(stale)]
        existing = {}  # what is left of the file (a stale record's bytes may live on elsewhere)
        for number, line in enumerate(kept):
            key = record_key(line)
            if key is not None and number not in stale:
                existing.setdefault(key, {**line, "key": key})
    manifests: dict[Path, dict[str, Any]] = {}
    pending: list[Task] = []
    sha_of: dict[str, str] = {}
    ordered_keys: list[str] = []
    seen_keys: set[str] = set()
    first_path: dict[str, str] = {}
    records_by_key: dict[str, RunResult] = {}

    def emit(record: RunResult) -> None:
        try:
            results.append(record)
        except (TypeError, ValueError) as exc:  # a record strict JSON cannot hold
            record = _error_record(Path(str(record.get("path"))), f"unserialisable record: {exc}",
                                   key=str(record["key"]), family=record.get("family"))
            results.append(record)
        records_by_key[str(record["key"])] = record
        progress.done += 1
        progress.counts[str(record.get("verdict", "error"))] += 1
        progress.last_record = record
        progress.in_flight.pop(str(record.get("path")), None)
        if isinstance(record.get("wall_seconds"), int | float):
            progress.wall_seconds.append(float(record["wall_seconds"]))
        if on_progress is not None:
            on_progress(progress)

    for path, sha256, problem in instances:
        family = family_of(path, manifests)
        key = instance_key(sha256, opts) if sha256 is not None else f"error:{path}"
        if key in seen_keys:  # the same bytes under another name: one instance, said so
            progress.duplicates[str(path)] = first_path[key]
            continue
        seen_keys.add(key)
        first_path[key] = str(path)
        ordered_keys.append(key)
        if key in existing:
            records_by_key[key] = existing[key]
            progress.skipped += 1
            progress.counts[str(existing[key].get("verdict", "error"))] += 1
            continue
        if sha256 is None:
            unreadable = _error_record(path, problem or "unreadable", key=key, family=family)
            unreadable["options"] = opts.key_fields()
            emit(unreadable)
            continue
        sha_of[key] = sha256
        pending.append(Task(path=str(path), key=key, family=family,
                            time_limit=opts.time_limit, hard_timeout=opts.hard_timeout,
                            check_options=dict(opts.check_options)))
    if on_progress is not None:
        on_progress(progress)

    # What a heartbeat names as in flight: the oldest unfinished tasks, as many as the
    # executor runs at once. The local pool hands tasks out in order, so for it these are
    # exactly the running ones; on Dask (tasks finish in any order) it is an estimate.
    capacity = max(1, int(getattr(runner, "workers", None) or os.cpu_count() or 1))
    progress.workers = capacity
    unfinished: dict[str, Task] = {task.key: task for task in pending}

    def refresh_in_flight(now: float) -> None:
        window = {task.path for task in itertools.islice(unfinished.values(), capacity)}
        for path in [path for path in progress.in_flight if path not in window]:
            del progress.in_flight[path]
        for path in window:
            progress.in_flight.setdefault(path, now)

    if pending and isinstance(runner, LocalPoolExecutor):
        # the workers are forks of this process: what it has imported, they start with
        from reluinv.validation.check import check_instance, preload_solver_modules

        if check is check_instance:
            preload_solver_modules()
    refresh_in_flight(time.monotonic())
    outcomes = runner.run(pending, check)
    try:
        for outcome in outcomes:
            unfinished.pop(outcome.task.key, None)
            emit(outcome_record(outcome, sha_of[outcome.task.key], opts))
            refresh_in_flight(time.monotonic())
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()  # stops and kills what still runs (an interrupted or failed run)
    return [records_by_key[key] for key in ordered_keys if key in records_by_key]


# -- summaries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilySummary:
    """Counts and timings of one family of instances.

    ``counts`` holds the records per verdict; ``check_counts`` the cross-checks of those
    records per status (:data:`~reluinv.validation.records.CHECK_STATUSES`: passed, failed,
    skipped, not_applicable), so a reader sees how many checks were not exercised.
    """

    family: str
    instances: int
    counts: dict[str, int]
    median_seconds: dict[str, float]
    slowest_path: str | None
    slowest_seconds: float | None
    check_counts: dict[str, int] = field(default_factory=dict)


def _check_statuses(record: Mapping[str, Any]) -> Iterator[str]:
    """The status of every cross-check of ``record`` (none for an error record)."""
    checks = record.get("checks")
    if isinstance(checks, list):
        for check in checks:
            if isinstance(check, Mapping) and isinstance(check.get("status"), str):
                yield check["status"]


def _timings(record: Mapping[str, Any]) -> dict[str, float]:
    timings = record.get("timings")
    if not isinstance(timings, dict):
        return {}
    return {str(k): float(v) for k, v in timings.items() if isinstance(v, int | float)}


def summarize(records: Iterable[Mapping[str, Any]]) -> list[FamilySummary]:
    """One :class:`FamilySummary` per family (sorted by name) plus a last one, ``all``."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    everything: list[Mapping[str, Any]] = []
    for record in records:
        groups.setdefault(str(record.get("family", "?")), []).append(record)
        everything.append(record)
    summaries = []
    for family, members in [*sorted(groups.items()), ("all", everything)]:
        counts = Counter(str(r.get("verdict", "error")) for r in members)
        check_counts = Counter(status for r in members for status in _check_statuses(r))
        timing_lists: dict[str, list[float]] = {}
        for record in members:
            for name, seconds in _timings(record).items():
                timing_lists.setdefault(name, []).append(seconds)
        medians = {name: statistics.median(v) for name, v in sorted(timing_lists.items())}
        timed = [r for r in members if isinstance(r.get("wall_seconds"), int | float)]
        slowest = max(timed, key=lambda r: float(r["wall_seconds"]), default=None)
        summaries.append(FamilySummary(
            family=family,
            instances=len(members),
            counts={verdict: counts.get(verdict, 0) for verdict in VERDICTS},
            median_seconds=medians,
            slowest_path=str(slowest["path"]) if slowest is not None else None,
            slowest_seconds=float(slowest["wall_seconds"]) if slowest is not None else None,
            check_counts={status: check_counts.get(status, 0) for status in CHECK_STATUSES},
        ))
    return summaries
