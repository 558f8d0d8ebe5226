"""``reluinv export``: formulas as a benchmark folder for other verifiers (VNN-COMP layout).

``reluinv export FORMULA... --format vnncomp --out DIR`` encodes DIMACS files; with
``--family NAME --count N --size S`` it generates the formulas itself
(:mod:`reluinv.validation.families`, seeded by ``--seed``), so the folder can be made
again from its ``generate_properties.py``; FORMULA files are copied into ``DIR/formulas``
for it, so it runs from any working directory. The ground truth goes to
``DIR_ground_truth.jsonl`` beside the folder (:mod:`reluinv.validation.vnncomp`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from reluinv.cli.common import (
    add_limit_flags,
    add_subcommand,
    count_flag,
    dimacs_limits,
    output_error_line,
    report_failure,
    time_limit_flag,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.formula import Formula, read_dimacs
from reluinv.errors import ReluinvError
from reluinv.reduction.export import ENCODINGS
from reluinv.validation.families import (
    DETERMINISTIC_FAMILIES,
    FAMILIES,
    family_counts,
    family_formula,
    instance_seed,
)
from reluinv.validation.vnncomp import (
    DEFAULT_TIMEOUT,
    EXPORT_MAX_ENTRIES,
    check_export_size,
    export_folder_problem,
    export_vnncomp,
)

__all__ = ["CODES", "handle", "register"]

#: The exit codes ``export`` returns (besides 2, bad input).
CODES = (ExitCode.OK, ExitCode.UNKNOWN)


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "export",
        help="write formulas as a VNN-COMP benchmark folder (ONNX + VNN-LIB), the ground "
             "truth beside it",
        description=(
            "Encode each formula as an ONNX network and a VNN-LIB property that is sat "
            "exactly when the formula is satisfiable, and write DIR/onnx, DIR/vnnlib, "
            "DIR/instances.csv, DIR/README.md and DIR/generate_properties.py (with copies "
            "of the FORMULA files in DIR/formulas, so it runs from any folder); the verdicts "
            "(with a counterexample for sat and the checked proof's hash for unsat) go to "
            "DIR_ground_truth.jsonl beside DIR. Exit 4 when a verdict could not be "
            "certified."
        ),
        codes=CODES,
    )
    parser.add_argument("formulas", metavar="FORMULA", nargs="*", help="DIMACS files")
    parser.add_argument("--format", choices=("vnncomp",), required=True,
                        help="the benchmark layout (VNN-COMP's)")
    parser.add_argument("--out", metavar="DIR", required=True, help="the benchmark folder")
    parser.add_argument("--encoding", choices=tuple(ENCODINGS), default="cnf_embedding",
                        help="cnf_embedding (one hidden layer, default) or real_latent (the "
                             "reduction)")
    parser.add_argument("--seed", type=count_flag("--seed", minimum=0), default=0,
                        help="shuffles the instance order; seeds the generated families")
    parser.add_argument("--gzip", action="store_true", help="write .vnnlib.gz properties")
    parser.add_argument("--timeout", type=time_limit_flag("--timeout"),
                        default=DEFAULT_TIMEOUT, metavar="S",
                        help="seconds per instance in instances.csv")
    parser.add_argument("--family", choices=tuple(FAMILIES), default=None,
                        help="generate the formulas of this family instead of reading files")
    parser.add_argument("--count", type=count_flag("--count"), default=4,
                        help="formulas to generate with --family (tseitin alternates "
                             "satisfiable and not; pigeonhole: 1, it has no seed)")
    parser.add_argument("--size", type=count_flag("--size"), default=10,
                        help="variables (random3sat, planted_unique), holes (pigeonhole) or "
                             "graph vertices (tseitin) with --family; a size whose network "
                             f"would exceed {EXPORT_MAX_ENTRIES} weight entries (ONNX stores "
                             "them dense) is refused before anything is generated")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty DIR (its onnx/ and vnnlib/ and the "
                             "export's files are replaced). DIR is written beside itself "
                             "and moved into place when complete: an error or Ctrl-C "
                             "leaves no half-written folder")
    add_limit_flags(parser)
    parser.set_defaults(handler=handle)


def _formulas(args: argparse.Namespace) -> list[Formula]:
    if args.family is None:
        if not args.formulas:
            raise ValueError("give FORMULA files or --family")
        limits = dimacs_limits(args)
        formulas = []
        for path in args.formulas:  # each file's error names that file
            formula = read_dimacs(path, limits=limits)
            check_export_size(args.encoding, formula.num_vars, formula.num_clauses, path)
            formulas.append(formula)
        return formulas
    if args.formulas:
        raise ValueError("give FORMULA files or --family, not both")
    if args.family in DETERMINISTIC_FAMILIES and args.count > 1:
        raise ValueError(f"--count {args.count}: the {args.family} family has one formula per "
                         "--size (no seed), so the copies would be identical; use --count 1")
    return [family_formula(args.family, args.size, seed=instance_seed(args.seed, i),
                           satisfiable=(i % 2 == 0) if args.family == "tseitin" else None)
            for i in range(args.count)]


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    argv = ["export", *args.formulas, "--format", args.format, "--out", args.out,
            "--encoding", args.encoding, "--seed", str(args.seed), "--timeout",
            f"{args.timeout:g}", *(["--gzip"] if args.gzip else [])]
    if args.family is not None:
        argv += ["--family", args.family, "--count", str(args.count), "--size",
                 str(args.size)]
    place = args.formulas[0] if args.formulas else args.out
    if args.family is not None:  # before anything is generated
        try:
            check_export_size(args.encoding, *family_counts(args.family, args.size),
                              f"--size {args.size}: the {args.family} formula")
        except ReluinvError as exc:
            print(f"reluinv: error: {exc}", file=err)
            return ExitCode.BAD_INPUT
    problem = export_folder_problem(args.out, args.force)
    if problem is not None:
        hint = "; --force writes into it" if problem.endswith("not empty") else ""
        print(f"reluinv: error: {args.out}: {problem}{hint}", file=err)
        return ExitCode.BAD_INPUT
    try:
        formulas = _formulas(args)
        summary = export_vnncomp(formulas, args.out, encoding=args.encoding, seed=args.seed,
                                 gzip=args.gzip, timeout=args.timeout, argv=argv,
                                 force=args.force,
                                 sources=args.formulas if args.family is None else None)
    except OSError as exc:  # the file it is about: a formula, or the output folder
        name = os.fsdecode(exc.filename) if exc.filename else place
        if Path(name).resolve().is_relative_to(Path(args.out).resolve()):
            print(output_error_line(name, exc), file=err)
            return ExitCode.BAD_INPUT
        return report_failure(name, exc, err)
    except (ReluinvError, ValueError) as exc:  # SolverError: unknown
        return report_failure(place, exc, err)
    print(f"{summary.instances} instances ({summary.satisfiable} sat, "
          f"{summary.unsatisfiable} unsat) in {summary.folder}; ground truth in "
          f"{summary.ground_truth}", file=out)
    return ExitCode.OK
