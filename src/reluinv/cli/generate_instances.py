"""``reluinv generate-instances [--out instances/]``: regenerate the bundled instance set."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from reluinv.cli.common import add_subcommand, error_line, output_error_line
from reluinv.cli.exit_codes import ExitCode
from reluinv.errors import ReluinvError
from reluinv.validation.bundled import FAMILIES, MANIFEST_NAME, BuiltInstance, build_instance_set


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "generate-instances",
        help="regenerate the bundled formulas and their checked manifest",
        description=(
            "Write the bundled instance set (one subfolder per family, provenance lines in "
            "every file) and manifest.json with satisfiability (CaDiCaL and Glucose agree) "
            "and MaxSAT cost (RC2 and a CaDiCaL linear search agree). Deterministic. Prints "
            "one line per file with the solver times."
        ),
        codes=(ExitCode.OK,),
    )
    parser.add_argument("--out", default="instances", metavar="DIR",
                        help="target folder (default: instances)")
    parser.add_argument("--family", action="append", choices=FAMILIES, dest="families",
                        metavar="FAMILY",
                        help=f"only this family (repeatable); one of {', '.join(FAMILIES)}")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    families = tuple(args.families) if args.families else FAMILIES

    def report(item: BuiltInstance) -> None:
        entry = item.entry
        answer = "SAT  " if entry["satisfiable"] else "UNSAT"
        print(f"{item.spec.path:<52} {answer} cost {entry['maxsat_cost']:>4}  "
              f"rc2 {item.rc2_seconds:7.3f} s  linear {item.linear_seconds:7.3f} s",
              file=out, flush=True)

    try:
        built = build_instance_set(args.out, families=families, progress=report)
    except OSError as exc:  # everything it writes is under --out
        name = os.fsdecode(exc.filename) if exc.filename is not None else args.out
        print(output_error_line(name, exc), file=err)
        return ExitCode.BAD_INPUT
    except (ReluinvError, ValueError) as exc:
        print(error_line(args.out, exc), file=err)
        return ExitCode.BAD_INPUT
    satisfiable = sum(item.entry["satisfiable"] for item in built)
    print(f"{len(built)} files ({satisfiable} SAT, {len(built) - satisfiable} UNSAT), "
          f"manifest {args.out}/{MANIFEST_NAME}; slowest RC2 "
          f"{max((i.rc2_seconds for i in built), default=0.0):.3f} s", file=out)
    return ExitCode.OK


__all__ = ["handle", "register"]
