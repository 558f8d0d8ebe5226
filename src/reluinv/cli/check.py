"""``reluinv check FILE``: one instance's validation record, for a person or as JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any, TextIO

from reluinv.cli.common import (
    add_limit_flags,
    add_subcommand,
    error_line,
    limit_options,
    time_limit_flag,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.errors import ReluinvError
from reluinv.exact import EXACT_BACKENDS
from reluinv.validation.check import (
    DEFAULT_BINARY_BACKEND,
    DEFAULT_REAL_L1_BUDGET,
    DEFAULT_REAL_MIP_BUDGET,
    check_instance,
)

#: The exit code of each verdict of :func:`reluinv.check_instance`.
VERDICT_CODES = {"agree": ExitCode.OK, "disagree": ExitCode.DISAGREE,
                 "unknown": ExitCode.UNKNOWN, "uncertified": ExitCode.UNKNOWN}


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "check",
        help="check the reduction on one formula: SAT, MaxSAT, exact inversion, cross-checks",
        description=(
            "Solve one formula with CaDiCaL (Glucose 4 under --time-limit; UNSAT proofs "
            "checked) and RC2, invert its "
            "reduction exactly for the binary and the real latent, run the layer-wise "
            "inverter, and cross-check every answer. Exit 0 when all agree, 1 on a "
            "disagreement, 4 when something did not finish in time."
        ),
        codes=VERDICT_CODES.values(),
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    parser.add_argument("--time-limit", type=time_limit_flag(), default=None, metavar="S",
                        help="seconds for the whole check, end to end (encoding, solves, "
                             "proof checks, layer-wise inversion, cross-checks; overshoot "
                             "at most about 1 s after start-up); what did not finish is "
                             "reported unfinished, exit 4")
    parser.add_argument("--no-layerwise", action="store_true",
                        help="skip the layer-wise inverter")
    add_check_flags(parser)
    parser.set_defaults(handler=handle)


def engines_flag(text: str) -> tuple[str, ...]:
    """``--engines maxsat,mip``: exact backends asked as additional opinions."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in EXACT_BACKENDS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"--engines must be a comma-separated list of {', '.join(EXACT_BACKENDS)}, "
            f"got {text!r}")
    if DEFAULT_BINARY_BACKEND in names:  # its answer is already the record's exact section
        raise argparse.ArgumentTypeError(
            f"--engines {text}: {DEFAULT_BINARY_BACKEND} already answers the binary latent "
            "(the exact section); an opinion must come from another engine, one of "
            + ", ".join(n for n in EXACT_BACKENDS if n != DEFAULT_BINARY_BACKEND))
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"--engines {text}: an engine named twice")
    return names


def add_check_flags(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`reluinv.check_instance` that ``check`` and ``validate`` share."""
    parser.add_argument(
        "--engines", type=engines_flag, default=(), metavar="B[,B...]",
        help="further exact backends asked on the binary latent as additional opinions "
             f"(of {', '.join(EXACT_BACKENDS)}; e.g. maxsat: the CNF compilation solved by "
             "RC2)")
    parser.add_argument(
        "--real-mip-budget", type=time_limit_flag("--real-mip-budget"), default=None,
        metavar="S",
        help="seconds of the real-latent feasibility MIP solve, the independent cross-check "
             "(default "
             f"{DEFAULT_REAL_MIP_BUDGET:g}); the real latent is "
             "certified by lemma L4 whatever the MIP does")
    parser.add_argument(
        "--real-l1-budget", type=time_limit_flag("--real-l1-budget"), default=None,
        metavar="S",
        help="seconds of the real-latent l1 MIP solve, a cross-check that cannot prove "
             "the optimum of unsatisfiable 100-variable 3-CNF in any few seconds (default "
             f"{DEFAULT_REAL_L1_BUDGET:g})")
    add_limit_flags(parser)


def check_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :func:`reluinv.check_instance` keyword arguments the shared flags set (only those
    given, so a run without them keeps its resume key)."""
    options: dict[str, Any] = {}
    if args.engines:
        options["engines"] = list(args.engines)
    if args.real_mip_budget is not None:
        options["real_mip_budget"] = args.real_mip_budget
    if args.real_l1_budget is not None:
        options["real_l1_budget"] = args.real_l1_budget
    limits = limit_options(args)
    if limits:
        options["limits"] = limits
    return options


def _exact_line(latent: str, objective: str, section: dict[str, Any]) -> str:
    parts = [f"  exact {latent:<6} {objective:<8} {section['status']}"]
    if section.get("objective") is not None:
        parts.append(f"objective {section['objective']}")
    if section.get("backend"):
        parts.append(f"via {section['backend']}")
    if section["status"] == "infeasible":
        parts.append("the solver's proof")
    elif "verified" in section:
        parts.append("witness verified" if section["verified"] else "witness NOT verified")
    if "seconds" in section:
        parts.append(f"{section['seconds']:.3f} s")
    return ", ".join(parts)


def _certificate_note(certificate: Mapping[str, Any] | None) -> str:
    if certificate is None:
        return ", not certified"
    if not certificate["checked"]:
        return ", certificate NOT checked"
    by = f" by {certificate['checker']}" if certificate["checker"] else ""
    return f", certified{by} (scope {certificate['scope']})"


def render_record(record: Mapping[str, Any]) -> str:
    """The record as a few readable lines."""
    sat, maxsat = record["sat"], record["maxsat"]
    answer = {True: "SAT", False: "UNSAT", None: "unknown"}[sat["satisfiable"]]
    proof = ""
    if sat["satisfiable"] is False:
        proof = {True: f", proof accepted by {sat['checker']}",
                 False: ", proof REJECTED", None: ", proof not checked"}[sat["proof_checked"]]
    lines = [
        f"{record['path'] or '<formula>'}: n={record['n']} m={record['m']}"
        + (f" family={record['family']}" if record.get("family") else ""),
        f"  SAT     {answer}{proof} ({sat['seconds']:.3f} s)",
        f"  MaxSAT  cost {maxsat['cost']} ({maxsat['seconds']:.3f} s)"
        + _certificate_note(maxsat.get("certificate")),
    ]
    for latent, by_objective in record["exact"].items():
        for objective, section in by_objective.items():
            lines.append(_exact_line(latent, objective, section))
    for engine, by_objective in record.get("opinions", {}).items():
        for objective, section in by_objective.items():
            lines.append(_exact_line(f"binary ({engine} opinion)", objective, section))
    for latent, section in record.get("layerwise", {}).items():
        lines.append(f"  layerwise {latent:<6} {section['status']} ({section['seconds']:.3f} s)")
    counts: dict[str, int] = {}
    for check in record["checks"]:
        counts[check["status"]] = counts.get(check["status"], 0) + 1
    lines.append("  checks  " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for check in record["checks"]:
        if check["status"] == "failed" or check.get("unfinished"):
            note = check.get("detail") or check.get("reason") or ""
            lines.append(f"    {check['status']}: {check['name']} {note}".rstrip())
    reasons = [c.get("reason") for c in record["checks"]
               if c["status"] == "not_applicable" and c.get("certificate")]
    for reason in dict.fromkeys(r for r in reasons if r):  # e.g. a formula not encodable
        lines.append(f"  not applicable: {reason}")
    if record.get("unfinished"):
        lines.append("  unfinished cross-checks: " + ", ".join(record["unfinished"]))
    lines.append(f"  verdict {record['verdict']}, certified {record.get('certified')} "
                 f"({record['seconds']:.2f} s)")
    return "\n".join(lines)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        record = check_instance(args.file, time_limit=args.time_limit,
                                layerwise=not args.no_layerwise, **check_options(args))
    except (OSError, ReluinvError, ValueError) as exc:
        print(error_line(args.file, exc), file=err)
        return ExitCode.BAD_INPUT
    if args.json:
        print(json.dumps(record, sort_keys=True, allow_nan=False), file=out)
    else:
        print(render_record(record), file=out)
    return VERDICT_CODES[record["verdict"]]


__all__ = ["VERDICT_CODES", "add_check_flags", "check_options", "engines_flag", "handle",
           "register", "render_record"]
