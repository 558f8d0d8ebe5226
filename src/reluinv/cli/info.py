"""``reluinv info FILE...``: describe formulas, saved problems and saved networks."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from reluinv.cli.common import (
    add_limit_flags,
    add_subcommand,
    dimacs_limits,
    error_line,
    format_histogram,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.files import is_onnx_path, load_npz
from reluinv.data.formula import Formula, read_dimacs
from reluinv.data.network import ReluNetwork
from reluinv.data.problem import InversionProblem
from reluinv.errors import ReluinvError


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "info",
        help="describe DIMACS formulas, saved .npz problems or networks, ONNX models",
        description=(
            "Per file: variables, clauses, clause-length histogram, weights and hard clauses "
            "(formulas), or sizes, activation and metadata (saved .npz files, .onnx and "
            ".onnx.gz models). A bad file "
            "gets one error line; the other files are still reported (exit 2)."
        ),
        codes=(ExitCode.OK,),
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_limit_flags(parser)
    parser.set_defaults(handler=handle)


def describe_formula(path: str, formula: Formula) -> list[str]:
    kind = "weighted (wcnf)" if formula.is_weighted else "unweighted (cnf)"
    lines = [
        f"{path}: formula, {kind}",
        f"  variables        {formula.num_vars}",
        f"  clauses          {formula.num_clauses}",
        f"  clause lengths   {format_histogram(formula.clause_length_histogram())}",
    ]
    if formula.is_weighted:
        lines.append(f"  hard clauses     {formula.num_hard}" + (
            f" (weight {formula.hard_weight} each)" if formula.num_hard else ""))
        lines.append(f"  soft weight      {formula.soft_weight}")
    return lines


def describe_domain(problem: InversionProblem) -> str:
    """``binary domain {0,1}^k`` or ``real domain [lo, hi]^k`` (per-coordinate otherwise)."""
    domain = problem.domain
    if domain.kind == "binary":
        return "binary domain {0,1}^k"
    lower, upper = set(domain.lower.tolist()), set(domain.upper.tolist())
    if len(lower) == 1 and len(upper) == 1:
        return f"{domain.kind} domain [{lower.pop():g}, {upper.pop():g}]^k"
    return f"{domain.kind} domain, per-coordinate bounds"


def describe_output(network: ReluNetwork) -> str:
    """``linear`` for a linear head, else the activation the output layer shares."""
    return ("linear (no activation after the last layer)" if network.output_linear
            else "the hidden activation")


def describe_npz(path: str) -> list[str]:
    loaded = load_npz(path)
    metadata = ReluNetwork.load_metadata(path)
    problem = loaded if isinstance(loaded, InversionProblem) else None
    network = loaded.network if isinstance(loaded, InversionProblem) else loaded
    kind = "network" if problem is None else "problem"
    lines = [
        f"{path}: {kind}",
        f"  sizes            {' x '.join(map(str, network.sizes))}",
        f"  activation       {network.activation_spec}",
        f"  output           {describe_output(network)}",
        f"  integral         {network.is_integral}",
        f"  non-zero weights {network.num_nonzero_weights()}",
    ]
    if problem is not None:
        lines.append(f"  latent           {problem.latent} ({describe_domain(problem)})")
        if problem.lam is not None:
            lines.append(f"  lam              {problem.lam}")
        observed = len(problem.observed)
        lines.append(f"  observed outputs {observed} of {network.output_dim}")
    for key, value in sorted(metadata.items()):
        if key not in ("format", "domain", "latent", "lam"):
            lines.append(f"  {key:<16} {value}")
    return lines


def describe_onnx(path: str) -> list[str]:
    """Sizes, activations and the model's metadata of an ``.onnx`` file."""
    from reluinv.data.onnx_io import onnx_metadata, read_onnx

    network = read_onnx(path)
    lines = [
        f"{path}: network (ONNX)",
        f"  sizes            {' x '.join(map(str, network.sizes))}",
        f"  activation       {network.activation_spec}",
        f"  output           {describe_output(network)}",
        f"  integral         {network.is_integral}",
        f"  non-zero weights {network.num_nonzero_weights()}",
    ]
    for key, value in sorted(onnx_metadata(path).items()):
        if (value != "" and not key.startswith("reluinv.")) or key == "reluinv.version":
            lines.append(f"  {key:<16} {value}")
    return lines


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    failures = 0
    for path in args.files:
        try:
            if path.endswith(".npz"):
                lines = describe_npz(path)
            elif is_onnx_path(path):
                lines = describe_onnx(path)
            else:
                lines = describe_formula(path, read_dimacs(path, limits=dimacs_limits(args)))
        except (OSError, ReluinvError, ValueError) as exc:
            failures += 1
            print(error_line(path, exc), file=err)
            continue
        print("\n".join(lines), file=out)
    return ExitCode.BAD_INPUT if failures else ExitCode.OK


__all__ = ["describe_domain", "describe_formula", "describe_npz", "describe_onnx",
           "describe_output", "handle", "register"]
