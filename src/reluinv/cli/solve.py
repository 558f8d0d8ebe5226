"""``reluinv solve FILE``: exact inversion of a DIMACS formula or a saved problem."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from typing import Any, TextIO

from reluinv.cli.common import error_line
from reluinv.data.formula import read_dimacs
from reluinv.data.problem import InversionProblem
from reluinv.errors import ReluinvError
from reluinv.exact import EXACT_BACKENDS, ExactResult, solve_exact
from reluinv.exact.common import OBJECTIVES
from reluinv.reduction.construction import decode, encode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "solve",
        help="invert exactly: a DIMACS formula (encoded on the fly) or a saved .npz problem",
        description=(
            "Solve the inversion problem of FILE exactly and print status, objective, bound, "
            "seconds and whether the answer was verified. A DIMACS file is encoded by the "
            "MAX-3SAT reduction first; for it the decoded assignment's falsified weight is "
            "printed too."
        ),
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--latent", choices=("binary", "real"), default="binary",
                        help="latent variant of the reduction (DIMACS input only)")
    parser.add_argument("--backend", choices=EXACT_BACKENDS, default=None,
                        help="default: cpsat for binary latents of integer networks, else mip")
    parser.add_argument("--objective", choices=OBJECTIVES, default="feasible")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=handle)


def _number(value: object) -> object:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _report(path: str, problem: InversionProblem, result: ExactResult) -> dict[str, Any]:
    report: dict[str, Any] = {
        "file": path,
        "status": result.status.name,
        "objective_kind": result.objective_kind,
        "objective": _number(result.objective),
        "bound": result.bound,
        "seconds": round(result.seconds, 6),
        "verified": result.verified,
        "verification": result.verification,
        "tolerance": result.tolerance,
        "backend": result.backend,
        "solver": result.solver,
        "encoding": result.encoding,
        "message": result.message,
    }
    if result.z is not None:
        report["z"] = [_number(int(v)) if float(v).is_integer() else float(v)
                       for v in result.z]
    if problem.formula is not None and result.z is not None:
        assignment = decode(problem, result.z)
        report["assignment"] = list(assignment)
        report["falsified_weight"] = problem.formula.falsified(assignment)
    return report


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    path: str = args.file
    try:
        if path.endswith(".npz"):
            problem = InversionProblem.load(path)
        else:
            problem = encode(read_dimacs(path), latent=args.latent)
        backend = args.backend
        if backend is None:
            cpsat_ok = problem.domain.kind != "real" and problem.network.is_integral
            backend = "cpsat" if cpsat_ok else "mip"
        result = solve_exact(problem, backend=backend, objective=args.objective,
                             time_limit=args.time_limit)
    except (OSError, ReluinvError, ValueError) as exc:
        print(error_line(path, exc), file=err)
        return 1
    report = _report(path, problem, result)
    if args.json:
        print(json.dumps(report, sort_keys=True), file=out)
    else:
        width = max(len(key) for key in report)
        for key, value in report.items():
            text = " ".join(map(str, value)) if isinstance(value, list) else value
            print(f"{key:<{width}}  {text}", file=out)
    return 0


__all__ = ["handle", "register"]
