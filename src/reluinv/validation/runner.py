"""Reduction validation runs: check many formulas, one JSON record per instance.

A run takes files and folders (folders are searched recursively for ``.cnf`` and ``.wcnf``
files, optionally ``.gz``, ``.xz`` or ``.bz2`` compressed), runs a per-instance check
(:func:`reluinv.check_instance` by default) on each one in a child process, and appends
the record to a results file as one JSON line, written with a single ``write`` call and
flushed as soon as the instance finishes. So:

* a worker that crashes or is killed costs only its own instance, recorded as an error;
* an interrupted run (Ctrl-C, or the whole process killed) leaves a results file that is
  valid line by line; a torn last line, if any, is dropped when the run is resumed;
* ``resume=True`` skips the instances whose key is already in the results file. The key is
  the file's path and the sha256 of its bytes plus the options that change a record (time
  limit, check options), so a resumed run yields exactly one record per instance, and an
  edited file is checked again.

Bad input (a missing, unreadable, malformed or oversized file) becomes an error record
naming the file and the problem, and the run goes on.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reluinv.arguments import check_count, check_time_limit
from reluinv.validation.records import ErrorRecord, KilledRecord, RunOptions

__all__ = [
    "FORMULA_SUFFIXES",
    "VERDICTS",
    "FamilySummary",
    "Progress",
    "ResultsFile",
    "RunResult",
    "ValidationOptions",
    "discover",
    "family_of",
    "instance_key",
    "run_validation",
    "summarize",
]

#: File name endings a folder search picks up.
FORMULA_SUFFIXES = tuple(
    base + comp for base in (".cnf", ".wcnf") for comp in ("", ".gz", ".xz", ".bz2")
)

#: Record verdicts, in the order summaries list them.
VERDICTS = ("agree", "disagree", "unknown", "error")

#: ``prctl`` option that sets the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1

#: Default size limit of one input file, in bytes (compressed size for compressed files).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

#: ``check(path, *, time_limit, family, **check_options) -> record``, e.g.
#: :func:`reluinv.check_instance` (whose records are :class:`~reluinv.validation.records.
#: ValidationRecord`); any JSON-serialisable mapping is accepted.
CheckFunction = Callable[..., Mapping[str, Any]]

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


def discover(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders into the list of formula files, in a stable order.

    A folder contributes every file below it whose name ends with one of
    :data:`FORMULA_SUFFIXES` (sorted by path); a file given by name is always kept (if it is
    missing or malformed, its record will say so). Duplicates are dropped.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            below = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith(FORMULA_SUFFIXES)
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


def instance_key(path: Path, content_sha256: str, options: ValidationOptions) -> str:
    """The resume key: the file (its path, so that two files with the same content are two
    instances), its content, and the options that change the record."""
    payload = json.dumps([str(path.resolve()), content_sha256, options.key_fields()],
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


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


class ResultsFile:
    """An append-only JSON-lines file of records.

    Every record is written as one line with a single ``os.write`` on a file opened with
    ``O_APPEND``, so a killed process leaves at most one torn line at the end; reading
    drops it (and :meth:`repair` cuts it off before new records are appended).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def read(self) -> list[dict[str, Any]]:
        """The complete records in the file (a torn or malformed line is skipped)."""
        if not self.path.exists():
            return []
        records = []
        with open(self.path, encoding="utf-8") as stream:
            for line in stream:
                if not line.endswith("\n"):
                    break
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
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


@dataclass
class _Job:
    path: Path
    key: str
    sha256: str
    family: str
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    started: float


@dataclass(frozen=True)
class _CheckRaised:
    """What a worker sends when the check raised: the message of the error record."""

    message: str


def _error_record(path: Path, message: str, *, key: str, family: str | None) -> ErrorRecord:
    """The record of an instance that could not be checked (before a worker ran)."""
    return {"path": str(path), "verdict": "error", "error": message, "key": key,
            "family": family}


def _run_fields(job: _Job, options: ValidationOptions, now: float) -> dict[str, Any]:
    """The fields a run adds to what a worker returned: ``key``, ``path``, ``file_sha256``,
    ``options``, ``wall_seconds``."""
    return {"key": job.key, "path": str(job.path), "file_sha256": job.sha256,
            "options": options.key_fields(), "wall_seconds": round(now - job.started, 6)}


def _die_with_parent() -> None:  # pragma: no cover - runs in a child process
    """Ask Linux to kill this worker when the parent dies (``PR_SET_PDEATHSIG``): having
    left the parent's process group, a worker would otherwise outlive a killed run. Where
    ``prctl`` is not available the worker just finishes its instance and exits."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def _worker(
    connection: multiprocessing.connection.Connection,
    check: CheckFunction,
    path: str,
    family: str,
    time_limit: float | None,
    check_options: dict[str, Any],
) -> None:  # pragma: no cover - runs in a child process
    # A Ctrl-C in the terminal goes to the foreground process group. The worker leaves that
    # group, so only the parent sees it and decides (it kills the workers and writes nothing
    # for them); otherwise a solver that catches SIGINT (SCIP does) would end its search
    # early and the worker would report a cut-short answer as if it were the instance's.
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    outcome: Mapping[str, Any] | _CheckRaised
    try:
        outcome = check(path, time_limit=time_limit, family=family, **check_options)
    except Exception as exc:  # any failure of one instance becomes its error record
        first = str(exc).splitlines()[0] if str(exc) else ""
        outcome = _CheckRaised(f"{type(exc).__name__}: {first}" if first
                               else type(exc).__name__)
    connection.send(outcome)
    connection.close()


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


def _start(
    path: Path,
    key: str,
    sha256: str,
    family: str,
    check: CheckFunction,
    options: ValidationOptions,
) -> _Job:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_worker,
        args=(sender, check, str(path), family, options.time_limit, dict(options.check_options)),
        daemon=False,  # the check starts child processes of its own (bounded solver calls)
    )
    process.start()
    sender.close()
    return _Job(path, key, sha256, family, process, receiver, time.monotonic())


def _finish(job: _Job, options: ValidationOptions, now: float) -> RunResult:
    """Collect a finished (or dead) worker's record, with the run's fields added; an
    :class:`ErrorRecord` when the check raised or the worker died without a record."""
    outcome: object = None
    try:
        if job.connection.poll():
            outcome = job.connection.recv()
    except (EOFError, OSError):
        outcome = None
    job.process.join(timeout=5)
    job.connection.close()
    if isinstance(outcome, Mapping):
        return {**outcome, **_run_fields(job, options, now),
                "family": outcome.get("family") or job.family}
    if isinstance(outcome, _CheckRaised):
        message = outcome.message
    elif outcome is None:
        message = f"worker died without a record (exit code {job.process.exitcode})"
    else:
        message = f"the check returned a {type(outcome).__name__}, not a record"
    error = _error_record(job.path, message, key=job.key, family=job.family)
    error["file_sha256"] = job.sha256
    error["options"] = options.key_fields()
    error["wall_seconds"] = round(now - job.started, 6)
    return error


def _kill(job: _Job, reason: str, options: ValidationOptions, now: float) -> KilledRecord:
    """Kill a worker past its hard timeout; its instance is recorded ``unknown``."""
    job.process.kill()
    job.process.join(timeout=5)
    job.connection.close()
    return {"path": str(job.path), "verdict": "unknown", "reason": reason, "key": job.key,
            "file_sha256": job.sha256, "family": job.family, "options": options.key_fields(),
            "wall_seconds": round(now - job.started, 6)}


def run_validation(
    paths: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    check: CheckFunction | None = None,
    options: ValidationOptions | None = None,
    workers: int = 1,
    resume: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[RunResult]:
    """Validate every formula under ``paths``, appending one record per instance to ``out``.

    Parameters
    ----------
    paths:
        Files and folders (see :func:`discover`).
    out:
        The results file (JSON lines). Without ``resume`` it is started afresh.
    check:
        ``check(path, *, time_limit, family, **check_options) -> record``; default
        :func:`reluinv.check_instance`.
    options:
        See :class:`ValidationOptions`.
    workers:
        Instances run in parallel, each in its own child process.
    resume:
        Keep the records already in ``out`` and skip their instances.
    on_progress:
        Called with a :class:`Progress` after every record.

    Returns
    -------
    list of dict
        All records of the run's instances (those kept by ``resume`` included), in the
        order of the input.
    """
    workers = check_count(workers, "workers")
    opts = options if options is not None else ValidationOptions()
    if check is None:
        from reluinv.validation.check import check_instance

        check = check_instance
    results = ResultsFile(out)
    existing: dict[str, RunResult] = {}
    if resume:
        results.repair()
        for line in results.read():
            if "key" in line:
                existing[str(line["key"])] = line
    else:
        results.truncate()

    files = discover(paths)
    progress = Progress(total=len(files), workers=workers)
    manifests: dict[Path, dict[str, Any]] = {}
    pending: list[tuple[Path, str, str, str]] = []
    ordered_keys: list[str] = []
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

    for path in files:
        family = family_of(path, manifests)
        sha256, problem = _precheck(path, opts)
        if sha256 is None:
            key = f"error:{path}"
            ordered_keys.append(key)
            if key in existing:
                records_by_key[key] = existing[key]
                progress.skipped += 1
                progress.counts["error"] += 1
                continue
            emit(_error_record(path, problem or "unreadable", key=key, family=family))
            continue
        key = instance_key(path, sha256, opts)
        ordered_keys.append(key)
        if key in existing:
            records_by_key[key] = existing[key]
            progress.skipped += 1
            progress.counts[str(existing[key].get("verdict", "error"))] += 1
            continue
        pending.append((path, key, sha256, family))
    if on_progress is not None:
        on_progress(progress)

    running: list[_Job] = []
    queue: Iterator[tuple[Path, str, str, str]] = iter(pending)
    try:
        while True:
            while len(running) < workers:
                item = next(queue, None)
                if item is None:
                    break
                running.append(_start(*item, check, opts))
                progress.in_flight[str(item[0])] = time.monotonic()
            if not running:
                break
            ready = multiprocessing.connection.wait(
                [job.process.sentinel for job in running]
                + [job.connection for job in running],
                timeout=1.0,
            )
            now = time.monotonic()
            for job in list(running):
                record: RunResult
                if job.connection in ready or job.process.sentinel in ready:
                    record = _finish(job, opts, now)
                elif opts.hard_timeout is not None and now - job.started > opts.hard_timeout:
                    record = _kill(job, f"killed after {opts.hard_timeout:g} s (hard timeout)",
                                   opts, now)
                else:
                    continue
                running.remove(job)
                emit(record)
    finally:
        for job in running:
            job.process.kill()
            job.process.join(timeout=5)
            job.connection.close()
    return [records_by_key[key] for key in ordered_keys if key in records_by_key]


# -- summaries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilySummary:
    """Counts and timings of one family of instances."""

    family: str
    instances: int
    counts: dict[str, int]
    median_seconds: dict[str, float]
    slowest_path: str | None
    slowest_seconds: float | None


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
        ))
    return summaries
