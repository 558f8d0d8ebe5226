"""``reluinv validate`` (the main job) and ``reluinv report``.

``validate`` runs on the local process pool (``--workers N``), on a Dask ``LocalCluster``
it starts (``--dask``), or on an existing Dask cluster (``--scheduler tcp://HOST:PORT``),
optionally on one shard of the instances (``--shard I/N``). ``report`` reads one or more
results files (shards, machines, resumed runs) and prints one summary; instances checked
twice count once, and records of one instance with different verdicts are listed and make
the exit code 1.
"""

from __future__ import annotations

import argparse
import csv
import io
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from reluinv.cli.check import add_check_flags, check_options
from reluinv.cli.common import (
    add_subcommand,
    count_flag,
    nonnegative_flag,
    output_failure,
    output_file_problem,
    shard_flag,
    time_limit_flag,
)
from reluinv.cli.exit_codes import ExitCode, validation_exit_code
from reluinv.errors import ReluinvError
from reluinv.interrupts import Terminated, terminate_as_interrupt
from reluinv.validation.bundled import bundled_instances
from reluinv.validation.executors import (
    DEFAULT_CONNECT_TIMEOUT,
    DaskExecutor,
    Executor,
    LocalPoolExecutor,
)
from reluinv.validation.merging import MergedResults, merge_results
from reluinv.validation.records import CHECK_STATUSES
from reluinv.validation.runner import (
    VERDICTS,
    FamilySummary,
    Progress,
    ValidationOptions,
    results_file_conflict,
    run_validation,
    summarize,
    usable_cores,
)

DEFAULT_OUT = "results.jsonl"

#: Seconds between two heartbeat lines (the instances in flight) on standard error.
DEFAULT_HEARTBEAT = 30.0

#: The exit codes ``validate`` and ``report`` return (besides 2, bad input).
CODES = (ExitCode.OK, ExitCode.DISAGREE, ExitCode.UNKNOWN)


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "validate",
        help="the main job: check the reduction on every formula (one JSON record each)",
        description=(
            "For each formula (files, or folders searched recursively for .cnf/.wcnf, "
            "optionally .gz/.xz/.bz2), run the per-instance check (SAT with a checked proof, "
            "MaxSAT, exact inversion of both latents, cross-checks) and append its record to "
            "the results file as one JSON line. With no PATH, the bundled instances. Exit 1 "
            "if an instance disagrees, else 2 if a file could not be read, else 4 if a check "
            "did not finish in time, else 0."
        ),
        codes=CODES,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH")
    parser.add_argument("--out", "-o", default=DEFAULT_OUT,
                        help=f"results file, JSON lines (default: ./{DEFAULT_OUT})")
    parser.add_argument("--time-limit", type=time_limit_flag(), default=None, metavar="S",
                        help="seconds per instance, end to end (encoding, solves, proof "
                             "checks, layer-wise inversion, cross-checks; overshoot at "
                             "most about 1 s); what did not finish is recorded unfinished "
                             "and the instance 'unknown'")
    parser.add_argument("--workers", type=count_flag("--workers"), default=None, metavar="N",
                        help="instances checked in parallel processes (default 1; with "
                             "--dask, the number of CPUs); at most the cores this process "
                             "may use, unless --force-workers")
    parser.add_argument("--force-workers", action="store_true",
                        help="start --workers processes even when they outnumber the cores")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true",
                       help="run the checks on a Dask LocalCluster of --workers processes")
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run the checks on the Dask cluster of this scheduler "
                            "(tcp://HOST:PORT); its workers decide the parallelism")
    parser.add_argument("--connect-timeout", type=time_limit_flag("--connect-timeout"),
                        default=DEFAULT_CONNECT_TIMEOUT, metavar="S",
                        help="seconds to wait for the --scheduler to answer (default "
                             f"{DEFAULT_CONNECT_TIMEOUT:g})")
    parser.add_argument("--shard", type=shard_flag(), default=None, metavar="I/N",
                        help="only the instances of shard I of N (by content hash), for "
                             "running a set as N jobs; combine their files with report/merge")
    parser.add_argument("--resume", action="store_true",
                        help="keep the records in --out and skip their instances (refused "
                             "when they were made with other options)")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh when --out already holds records (without it, "
                             "or --resume, an existing non-empty --out is refused)")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--heartbeat", type=nonnegative_flag("--heartbeat"),
                        default=DEFAULT_HEARTBEAT, metavar="S",
                        help="every S seconds, a line naming the instances in flight "
                             f"(default {DEFAULT_HEARTBEAT:g}; 0: none)")
    add_check_flags(parser)
    parser.set_defaults(handler=handle_validate)

    report = add_subcommand(
        subparsers, "report",
        help="reprint the summary of one or more results files",
        description=(
            "Reprint the per-family summary table of validation results files (shards or "
            "runs of one set are combined: an instance checked twice counts once). Exit "
            "codes as for validate, from the records; 1 also when two records of one "
            "instance have different verdicts, 2 (unless 1) when a line is not a record "
            "(a JSON object with a path and a known verdict): it is skipped and named with "
            "its "
            "line number on stderr."
        ),
        codes=CODES,
    )
    report.add_argument("results", metavar="RESULTS", nargs="+")
    report.add_argument("--format", choices=("table", "markdown", "csv"), default="table")
    report.set_defaults(handler=handle_report)


# -- rendering ---------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def progress_line(progress: Progress) -> str:
    """One status line: done and left, verdict counts, elapsed and estimated time."""
    counts = " ".join(f"{v} {progress.counts.get(v, 0)}" for v in VERDICTS)
    skipped = f" ({progress.skipped} resumed)" if progress.skipped else ""
    return (f"[{progress.done + progress.skipped}/{progress.total}]{skipped} "
            f"left {progress.left} | {counts} | elapsed {_duration(progress.elapsed)} "
            f"eta {_duration(progress.eta)}")


def record_line(progress: Progress) -> str:
    """One line per finished record, for a pipe or CI: count, verdict, name, seconds."""
    record = progress.last_record or {}
    seconds = record.get("wall_seconds")
    shown = f"{seconds:.1f} s" if isinstance(seconds, int | float) else "-"
    certified = " certified" if record.get("certified") is True else ""
    return (f"[{progress.done + progress.skipped}/{progress.total}] "
            f"{record.get('verdict', 'error')}{certified} {Path(str(record.get('path'))).name}"
            f" {shown} | eta {_duration(progress.eta)}")


def heartbeat_line(progress: Progress, now: float) -> str:
    """The instances in flight and for how long, with the elapsed time and the ETA."""
    try:
        flight = sorted(dict(progress.in_flight).items(), key=lambda item: item[1])
    except RuntimeError:  # changed while copied: the next beat shows it
        flight = []
    names = ", ".join(f"{Path(path).name} ({now - started:.0f} s)" for path, started in flight)
    return (f"... {progress.done + progress.skipped}/{progress.total} done, elapsed "
            f"{_duration(progress.elapsed)}, eta {_duration(progress.eta)}; in flight: "
            f"{names or '-'}")


class _Heartbeat:
    """A daemon thread writing :func:`heartbeat_line` every ``every`` seconds."""

    def __init__(self, every: float, write: Callable[[str], None]) -> None:
        self.every = every
        self.write = write
        self.progress: Progress | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            if self.progress is not None:
                self.write(heartbeat_line(self.progress, time.monotonic()))

    def __enter__(self) -> _Heartbeat:
        if self.every > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()


def _timing_columns(summaries: Sequence[FamilySummary]) -> list[str]:
    names: list[str] = []
    for summary in summaries:
        for name in summary.median_seconds:
            if name not in names:
                names.append(name)
    return names


def summary_rows(summaries: Sequence[FamilySummary]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table: records per verdict, cross-checks per status
    (``checks <status>``; ``not_applicable``: claims not made, so not exercised), median
    seconds per timed step."""
    timings = _timing_columns(summaries)
    header = ["family", "instances", *VERDICTS, *(f"checks {c}" for c in CHECK_STATUSES),
              *(f"median {t} s" for t in timings), "slowest instance", "slowest s"]
    rows = []
    for s in summaries:
        rows.append([
            s.family, str(s.instances), *(str(s.counts[v]) for v in VERDICTS),
            *(str(s.check_counts.get(c, 0)) for c in CHECK_STATUSES),
            *(f"{s.median_seconds[t]:.3f}" if t in s.median_seconds else "-" for t in timings),
            Path(s.slowest_path).name if s.slowest_path else "-",
            f"{s.slowest_seconds:.2f}" if s.slowest_seconds is not None else "-",
        ])
    return header, rows


def render_summary(summaries: Sequence[FamilySummary], fmt: str = "table") -> str:
    """The summary as an aligned text table, a Markdown table or CSV."""
    header, rows = summary_rows(summaries)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines) + "\n"


def verdict_line(summaries: Sequence[FamilySummary]) -> tuple[ExitCode, str]:
    """The exit code and the last line (:func:`~reluinv.cli.exit_codes.validation_exit_code`
    of the verdicts counted in the summary's total row)."""
    total = summaries[-1] if summaries else None
    if total is None or total.instances == 0:
        return ExitCode.BAD_INPUT, "no instances were checked"
    code = validation_exit_code(verdict for verdict, count in total.counts.items() if count)
    disagree, errors = total.counts["disagree"], total.counts["error"]
    unknown, uncertified = total.counts["unknown"], total.counts["uncertified"]
    if disagree or errors:
        return code, (f"FAILED: {disagree} instance(s) disagree, {errors} error(s) "
                      f"(of {total.instances})")
    note = (f", {unknown} unknown (not finished in time, or a reduction that cannot be "
            "encoded: see their records)") if unknown else ""
    note += f", {uncertified} uncertified (no proofs asked)" if uncertified else ""
    return code, f"OK: {total.counts['agree']} of {total.instances} instances agree{note}"


def earlier_results_problem(out: str) -> str | None:
    """Why ``out`` may not be started afresh without being asked: it already holds the
    lines of an earlier run (a run that took hours is not thrown away by repeating a
    command), or ``None``."""
    try:
        with open(out, "rb") as handle:
            lines = sum(1 for line in handle if line.strip())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError:
        return None  # unreadable: output_file_problem and the writer report it
    if lines == 0:
        return None
    return (f"already holds {lines} line(s) of an earlier run; --resume to continue it, "
            "--overwrite to start afresh")


# -- handlers ----------------------------------------------------------------------------


def handle_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    paths = args.paths or [str(bundled_instances())]
    if args.resume and args.overwrite:
        print("reluinv validate: error: --resume keeps the records in --out and --overwrite "
              "discards them; give one", file=err)
        return ExitCode.BAD_INPUT
    problem = output_file_problem(args.out) or results_file_conflict(args.out, paths)
    if problem is None and not (args.resume or args.overwrite):
        problem = earlier_results_problem(args.out)
    if problem is not None:
        print(f"reluinv validate: error: --out {args.out}: {problem}", file=err)
        return ExitCode.BAD_INPUT
    try:
        options = ValidationOptions(
            time_limit=args.time_limit,
            check_options=check_options(args),
            **({"max_bytes": args.max_bytes} if args.max_bytes is not None else {}),
        )
    except ReluinvError as exc:
        print(f"reluinv: error: {exc}", file=err)
        return ExitCode.BAD_INPUT
    for path in paths:
        if not Path(path).exists():  # recorded as an error record; the run goes on
            print(f"reluinv: error: {path}: no such file or folder (recorded as an error; "
                  "the other instances are checked)", file=err)
    if args.scheduler is not None and args.workers is not None:
        print("reluinv validate: error: --workers does not apply with --scheduler (the "
              "cluster's workers decide)", file=err)
        return ExitCode.BAD_INPUT
    workers = args.workers
    cores = usable_cores()
    if workers is not None and workers > cores and not args.force_workers:
        print(f"reluinv validate: --workers {workers} capped at the {cores} core(s) this "
              "process may use (--force-workers to start them all)", file=err)
        workers = cores
    executor: Executor
    if args.scheduler is not None:
        executor = DaskExecutor(args.scheduler, connect_timeout=args.connect_timeout
                                or DEFAULT_CONNECT_TIMEOUT)
    elif args.dask:
        executor = DaskExecutor(workers=workers)
    else:
        executor = LocalPoolExecutor(workers or 1)
    live = not args.quiet and err.isatty()
    lines = not args.quiet and not live
    lock = threading.Lock()

    def write_line(text: str) -> None:
        with lock:
            if live:
                err.write("\r" + text.ljust(100) + "\n")
            else:
                err.write(text + "\n")
            err.flush()

    heartbeat = _Heartbeat(0 if args.quiet else args.heartbeat, write_line)

    shard = f", shard {args.shard[0]}/{args.shard[1]}" if args.shard else ""
    banner = [f"reluinv validate: {len(paths)} path(s), results in {args.out}"
              + (" (resuming)" if args.resume else "") + f"; executor {executor!r}{shard}"]

    def show(progress: Progress) -> None:
        # the first report comes once the run is under way (a resume accepted)
        if banner:
            print(banner.pop(), file=out, flush=True)
        heartbeat.progress = progress
        if live:
            with lock:
                err.write("\r" + progress_line(progress).ljust(100))
                err.flush()
        elif lines and progress.last_record is not None:
            write_line(record_line(progress))
            progress.last_record = None

    try:
        with heartbeat, terminate_as_interrupt():  # SIGTERM stops the run as Ctrl-C does
            records = run_validation(
                paths, out=args.out, options=options, executor=executor,
                resume=args.resume, on_progress=show, shard=args.shard,
            )
    except KeyboardInterrupt as exc:
        if live:
            err.write("\n")
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"reluinv: {how}; the records so far are in {args.out}; "
              "rerun with --resume to continue", file=err)
        return ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED
    except ReluinvError as exc:
        print(f"reluinv: error: {exc}", file=err)
        return ExitCode.BAD_INPUT
    except OSError as exc:  # the results file could not be written (disk full, removed)
        print(f"reluinv validate: error: --out {args.out}: {output_failure(args.out, exc)}",
              file=err)
        return ExitCode.BAD_INPUT
    if live:
        err.write("\n")
    for record in records:
        if record.get("verdict") in ("disagree", "error"):
            reason = str(record.get("error") or record.get("reason") or "see its record")
            path = str(record.get("path"))  # a reason naming the file is printed as it is
            where = "" if reason.startswith(f"{path}:") else f"{path}: "
            print(f"{record['verdict']}: {where}{reason}", file=out)
    final = heartbeat.progress
    duplicates = final.duplicates if final is not None else {}
    for path in final.superseded if final is not None else ():
        print(f"superseded: {path} changed since its record in {args.out}; checked again, "
              "the stale record replaced", file=out)
    for path, first in duplicates.items():
        print(f"duplicate: {path} has the same bytes as {first}; one instance, checked "
              f"under {first}", file=out)
    summaries = summarize(records)
    print(render_summary(summaries), file=out, end="")
    print(evidence_line(records), file=out)
    code, line = verdict_line(summaries)
    twins = f"; {len(duplicates)} duplicate file(s) counted once" if duplicates else ""
    print(f"{line}{twins}; records in {args.out}", file=out)
    return code


def evidence_line(records: Sequence[Mapping[str, Any]]) -> str:
    """How many records are certified, and how many had every cross-check finish."""
    checked = [r for r in records if "certified" in r]
    certified = sum(1 for r in checked if r["certified"] is True)
    complete = sum(1 for r in checked if not r.get("unfinished"))
    return (f"evidence: {certified} of {len(checked)} checked records certified; "
            f"{complete} with every cross-check finished, {len(checked) - complete} with "
            "unfinished cross-checks (listed in their records)")


def read_results(paths: Sequence[str], err: TextIO) -> MergedResults | None:
    """The records of ``paths`` combined; ``None`` (after one error line) when a file is
    missing, unreadable or holds no record."""
    for path in paths:
        if not Path(path).is_file():
            what = ("is a folder; give the results files in it (e.g. DIR/*.jsonl)"
                    if Path(path).is_dir() else "no such file")
            print(f"reluinv: error: {path}: {what}", file=err)
            return None
    try:
        merged = merge_results(paths)
    except (OSError, ValueError) as exc:
        print(f"reluinv: error: {exc}", file=err)
        return None
    for path, count in merged.read.items():
        # an empty file is an empty shard; a file with text but no record is not results
        # (one error line, without the warning below about its lines)
        if count == 0 and (len(paths) == 1 or Path(path).stat().st_size > 0):
            print(f"reluinv: error: {path}: no records", file=err)
            return None
    for path, numbers in merged.malformed.items():
        shown = ", ".join(map(str, numbers[:20])) + (", ..." if len(numbers) > 20 else "")
        print(f"reluinv: error: {path}: {len(numbers)} line(s) are not records (a JSON "
              f"object with a path and a known verdict), skipped: line {shown}", file=err)
    if not merged.records:
        print(f"reluinv: error: {', '.join(paths)}: no records", file=err)
        return None
    return merged


def merge_line(merged: MergedResults) -> str:
    """``N file(s), R records read: I instances (D identical duplicates counted once)``."""
    read = sum(merged.read.values())
    return (f"{len(merged.read)} file(s), {read} records read: {len(merged.records)} "
            f"instances ({merged.duplicates} identical duplicate(s) counted once, "
            f"{len(merged.conflicts)} conflict(s))")


def report_conflicts(merged: MergedResults, err: TextIO) -> None:
    """One ``reluinv: error:`` line per instance whose records disagree."""
    for conflict in merged.conflicts:
        print(f"reluinv: error: {conflict.describe()}", file=err)


def edited_paths(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The paths named by records of more than one content (``file_sha256``), with how
    many: a file edited between runs whose stale record was kept (files written before
    ``--resume`` superseded such records). Each content is an instance of its own."""
    contents: dict[str, set[str]] = {}
    for record in records:
        path, sha256 = record.get("path"), record.get("file_sha256")
        if isinstance(path, str) and isinstance(sha256, str):
            contents.setdefault(path, set()).add(sha256)
    return {path: len(found) for path, found in contents.items() if len(found) > 1}


def handle_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    merged = read_results(args.results, err)
    if merged is None:
        return ExitCode.BAD_INPUT
    report_conflicts(merged, err)
    for path, count in edited_paths(merged.records).items():
        print(f"reluinv: warning: {path}: records of {count} different contents (the file "
              f"was edited between runs); each is counted as an instance", file=err)
    groups = merged.option_sets()
    if len(groups) > 1:  # one instance under two option sets: two summaries, never one sum
        for label, records in groups.items():
            print(f"options {label}: {len(records)} instance(s)", file=out)
            print(render_summary(summarize(records), args.format), file=out, end="")
    else:
        print(render_summary(summarize(merged.records), args.format), file=out, end="")
    summaries = summarize(merged.records)
    code, line = verdict_line(summaries)
    if len(groups) > 1:
        line = f"{line.replace(' instances', ' records')} under {len(groups)} option sets"
    if args.format == "table":
        if len(args.results) > 1 or merged.duplicates or merged.conflicts:
            print(merge_line(merged), file=out)
        skipped = sum(len(numbers) for numbers in merged.malformed.values())
        if skipped:
            line = f"INCOMPLETE: {skipped} line(s) skipped, not records; {line}"
        if merged.conflicts:
            line = (f"FAILED: {len(merged.conflicts)} instance(s) with conflicting "
                    f"verdicts; {line}")
        print(line, file=out)
    return with_skipped_lines(ExitCode.DISAGREE if merged.conflicts else code, merged)


def with_skipped_lines(code: ExitCode, merged: MergedResults) -> ExitCode:
    """``code``, or BAD_INPUT (2) when lines were skipped as not records and nothing
    outweighs a bad input (a disagreement, 1: the table's order of precedence)."""
    if merged.malformed and code != ExitCode.DISAGREE:
        return ExitCode.BAD_INPUT
    return code


__all__ = [
    "CODES",
    "handle_report",
    "handle_validate",
    "merge_line",
    "read_results",
    "register",
    "render_summary",
    "report_conflicts",
    "with_skipped_lines",
]
