"""``reluinv solve FILE``: exact inversion of a DIMACS formula or a saved problem."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from reluinv.cli.common import (
    add_limit_flags,
    add_subcommand,
    dimacs_limits,
    report_failure,
    time_limit_flag,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.files import load_npz
from reluinv.data.formula import DimacsLimits, read_dimacs
from reluinv.data.problem import InversionProblem
from reluinv.errors import ProblemFileError, ReluinvError
from reluinv.exact import EXACT_BACKENDS, ExactResult, Status, solve_exact
from reluinv.exact.common import OBJECTIVES
from reluinv.reduction.construction import encode
from reluinv.reduction.solution import decoded_solution

__all__ = ["CODES", "exit_code", "handle", "register", "render_fields"]

#: The exit codes ``solve`` returns (besides 2, bad input).
CODES = (ExitCode.OK, ExitCode.DISAGREE, ExitCode.NO_SOLUTION, ExitCode.UNKNOWN)

_STATUS_CODES = {
    Status.OPTIMAL: ExitCode.OK,
    Status.INFEASIBLE: ExitCode.NO_SOLUTION,
    Status.FEASIBLE: ExitCode.UNKNOWN,  # a solution, but the time limit came first
    Status.UNKNOWN: ExitCode.UNKNOWN,
}


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "solve",
        help="invert exactly: a DIMACS formula (encoded on the fly) or a saved .npz problem",
        description=(
            "Solve the inversion problem of FILE exactly and print the result's record "
            "(status, objective, bound, seconds, whether z was verified, ...). A DIMACS file "
            "is encoded by the MAX-3SAT reduction first; for it the decoded assignment and "
            "its falsified weight are printed too. Exit 0 optimal (z verified), 3 "
            "infeasible, 4 unknown or feasible at the time limit, 1 a z that failed "
            "verification."
        ),
        codes=CODES,
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--latent", choices=("binary", "real"), default=None,
                        help="latent variant of the reduction (DIMACS input only, default "
                             "binary; a saved problem has its own latent, and the flag is "
                             "refused there)")
    parser.add_argument("--backend", choices=("auto", *EXACT_BACKENDS), default="auto",
                        help="exact backend (default auto: the library picks the fastest "
                             "one that supports the problem)")
    parser.add_argument("--objective", choices=OBJECTIVES, default="feasible")
    parser.add_argument("--time-limit", type=time_limit_flag(), default=None, metavar="S",
                        help="seconds for the solver; reaching it gives unknown (exit 4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_limit_flags(parser)
    parser.set_defaults(handler=handle)


def load_problem(path: str, latent: str, limits: DimacsLimits | None = None) -> InversionProblem:
    """A saved ``.npz`` problem, or the reduction (``latent`` variant) of a DIMACS file
    (read within ``limits``)."""
    if not path.endswith(".npz"):
        return encode(read_dimacs(path, limits=limits), latent=latent)  # type: ignore[arg-type]
    loaded = load_npz(path)
    if not isinstance(loaded, InversionProblem):
        raise ProblemFileError(f"{path}: a saved network without a target, not a problem "
                               "file (reluinv reduce writes problem files)")
    return loaded


def exit_code(result: ExactResult) -> ExitCode:
    """0 optimal with a verified z, 3 infeasible, 4 unknown or feasible, 1 unverified."""
    if result.status in (Status.OPTIMAL, Status.FEASIBLE) and not result.verified:
        return ExitCode.DISAGREE
    return _STATUS_CODES[result.status]


def render_fields(record: dict[str, Any]) -> list[str]:
    """A record as aligned ``key  value`` lines (lists space-separated, dicts as k=v)."""
    width = max(len(key) for key in record)
    lines = []
    for key, value in record.items():
        if isinstance(value, list):
            text = " ".join(map(str, value))
        elif isinstance(value, dict):
            text = " ".join(f"{k}={v}" for k, v in value.items())
        else:
            text = str(value)
        lines.append(f"{key:<{width}}  {text}".rstrip())
    return lines


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    path: str = args.file
    if args.latent is not None and path.endswith(".npz"):
        print(f"reluinv solve: error: --latent applies to DIMACS input only; {path} is a "
              "saved problem with its own latent domain", file=err)
        return ExitCode.BAD_INPUT
    try:
        problem = load_problem(path, args.latent or "binary", dimacs_limits(args))
        result = solve_exact(problem, backend=args.backend, objective=args.objective,
                             time_limit=args.time_limit)
        solution = decoded_solution(problem, result.z) if result.z is not None else None
    except (OSError, ReluinvError, ValueError) as exc:  # SolverError: unknown
        return report_failure(path, exc, err)
    record = {"file": path, **result.to_record(), **(solution or {})}
    if args.json:
        print(json.dumps(record, sort_keys=True, allow_nan=False), file=out)
    else:
        print("\n".join(render_fields(record)), file=out)
    return exit_code(result)
