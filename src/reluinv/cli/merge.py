"""``reluinv merge``: combine results files (shards, machines, resumed runs) into one."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from reluinv.cli.common import add_subcommand, output_error_line, output_file_problem
from reluinv.cli.exit_codes import ExitCode
from reluinv.cli.validate import (
    CODES,
    merge_line,
    read_results,
    render_summary,
    report_conflicts,
    verdict_line,
    with_skipped_lines,
)
from reluinv.validation.runner import ResultsFile, summarize

__all__ = ["handle_merge", "register"]


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "merge",
        help="combine results files into one (one record per instance)",
        description=(
            "Combine validation results files (shards of one set, runs on several "
            "machines) into one file with one record per instance: instances are matched "
            "by content hash and options, an identical duplicate counts once. Records of "
            "one instance with different verdicts are listed and nothing is written "
            "(exit 1). Otherwise the merged file is written and its summary printed; exit "
            "codes as for validate, from the merged records; 2 also when a line of a "
            "file is not a record (skipped, its line number printed)."
        ),
        codes=CODES,
    )
    parser.add_argument("results", metavar="RESULTS", nargs="+")
    parser.add_argument("--out", "-o", required=True, metavar="ALL.jsonl",
                        help="the merged results file (replaced atomically)")
    parser.set_defaults(handler=handle_merge)


def handle_merge(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    problem = output_file_problem(args.out)
    if problem is not None:
        print(f"reluinv merge: error: --out {args.out}: {problem}", file=err)
        return ExitCode.BAD_INPUT
    merged = read_results(args.results, err)
    if merged is None:
        return ExitCode.BAD_INPUT
    if merged.conflicts:
        report_conflicts(merged, err)
        print(f"reluinv: error: {len(merged.conflicts)} instance(s) with conflicting "
              f"verdicts; nothing written to {args.out}", file=err)
        return ExitCode.DISAGREE
    try:
        ResultsFile(args.out).replace(merged.records)
    except OSError as exc:
        print(output_error_line(args.out, exc), file=err)
        return ExitCode.BAD_INPUT
    summaries = summarize(merged.records)
    print(render_summary(summaries), file=out, end="")
    print(merge_line(merged), file=out)
    code, line = verdict_line(summaries)
    print(f"{line}; records in {args.out}", file=out)
    return with_skipped_lines(code, merged)
