"""``reluinv verify NET.onnx PROP.vnnlib``: a verifier in VNN-COMP's terms.

Reads the network (ONNX, or a reluinv ``.npz``) and the VNN-LIB property, calls
:func:`reluinv.verify` and writes its answer the way VNN-COMP's run scripts read it: the
first line ``sat``, ``unsat``, ``timeout`` or ``unknown``; for ``sat`` the counterexample
``((X_0 v0)\\n (X_1 v1)\\n ... (Y_0 w0)\\n ...)``. With ``--out`` that text goes to the
file and one summary line (the status and what backs it) to stdout; without, the text goes
to stdout. A file that onnxruntime does not implement (``LeakyRelu`` on doubles before
opset 16) is verified without running it, with one warning line on stderr saying so.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from reluinv.cli.common import (
    TEXT_LIMIT_FLAGS,
    add_limit_flags,
    add_subcommand,
    output_file_problem,
    report_failure,
    same_file_as_an_input,
    text_limits,
    time_limit_flag,
    write_output,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.files import is_onnx_path, load_network
from reluinv.data.vnnlib import read_vnnlib
from reluinv.errors import ReluinvError
from reluinv.exact.verify_property import VerificationStatus, verify

__all__ = ["CODES", "EXIT_CODES", "handle", "register"]

#: The exit codes ``verify`` returns (besides 2, bad input).
CODES = (ExitCode.OK, ExitCode.NO_SOLUTION, ExitCode.UNKNOWN)
#: sat -> 0 (a replayed counterexample), unsat -> 3, timeout and unknown -> 4.
EXIT_CODES = {
    VerificationStatus.SAT: ExitCode.OK,
    VerificationStatus.UNSAT: ExitCode.NO_SOLUTION,
    VerificationStatus.TIMEOUT: ExitCode.UNKNOWN,
    VerificationStatus.UNKNOWN: ExitCode.UNKNOWN,
}


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "verify",
        help="decide a VNN-LIB property of an ONNX network (sat with a counterexample, "
             "unsat with evidence, timeout, unknown)",
        description=(
            "Is there an input in the property's box whose output meets its condition? "
            "Writes VNN-COMP's result format: sat (with the counterexample, replayed in "
            "exact arithmetic and in onnxruntime), unsat (a checked DRUP proof for a "
            "recognised CNF embedding, else the MIP's proven infeasibility), timeout or "
            "unknown. Exit 0 sat, 3 unsat, 4 timeout or unknown."
        ),
        codes=CODES,
    )
    parser.add_argument("network", metavar="NET.onnx", help="the network (.onnx, .onnx.gz or .npz)")
    parser.add_argument("property", metavar="PROP.vnnlib",
                        help="the property (.vnnlib or .vnnlib.gz)")
    parser.add_argument("--timeout", type=time_limit_flag("--timeout"), default=None,
                        metavar="S", help="seconds for the whole answer; reaching it gives "
                        "timeout (exit 4)")
    parser.add_argument("--out", metavar="RESULT", default=None,
                        help="write the result here (default: stdout)")
    parser.add_argument("--no-structural", dest="structural", action="store_false",
                        help="skip the CNF-embedding fast path (the MIP decides alone)")
    add_limit_flags(parser, flags=TEXT_LIMIT_FLAGS, kind="property")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.out is not None:
        problem = output_file_problem(args.out) or same_file_as_an_input(
            args.out, [args.network, args.property])
        if problem is not None:
            print(f"reluinv verify: error: --out {args.out}: {problem}", file=err)
            return ExitCode.BAD_INPUT
    current = args.network
    try:
        network = load_network(current)
        current = args.property
        prop = read_vnnlib(current, network.latent_dim, network.output_dim,
                           limits=text_limits(args), network_name=args.network)
        onnx_model = args.network if is_onnx_path(args.network) else None
        current = args.network  # onnxruntime runs the network's file
        result = verify(network, prop, time_limit=args.timeout, structural=args.structural,
                        onnx_model=onnx_model)
    except (OSError, ReluinvError, ValueError) as exc:  # SolverError: unknown
        return report_failure(current, exc, err)
    if result.onnxruntime_skipped is not None:
        print(f"reluinv: warning: {result.onnxruntime_skipped}", file=err)
    text = result.vnncomp_text()
    if args.out is None:
        out.write(text)
    else:
        if not write_output(args.out, lambda path: Path(path).write_text(text, "utf-8"), err):
            return ExitCode.BAD_INPUT
        evidence = f" ({result.evidence})" if result.evidence else ""
        print(f"{result.status.value}{evidence}: {result.message}", file=out)
    return EXIT_CODES[result.status]
