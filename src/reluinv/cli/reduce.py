"""``reluinv reduce FILE -o OUT.npz``: encode a formula as a ReLU-network inversion problem."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import Any, TextIO

from reluinv.cli.common import (
    add_limit_flags,
    add_subcommand,
    count_flag,
    dimacs_limits,
    error_line,
    output_error_line,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.formula import read_dimacs
from reluinv.errors import ReluinvError
from reluinv.reduction.construction import encode


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "reduce",
        help="turn a DIMACS formula into a two-layer ReLU inversion problem (.npz)",
        description=(
            "Encode FILE (cnf or wcnf) with the MAX-3SAT reduction and save the network, the "
            "target and the metadata (formula sha256, latent, lam, source file) to OUT.npz. "
            "The binary latent gives sizes k x 2k x m; the real latent adds the "
            "binary-forcing gadget, k x 4k x (m + k)."
        ),
        codes=(ExitCode.OK,),
    )
    parser.add_argument("file", metavar="FILE", help="a DIMACS .cnf or .wcnf formula")
    parser.add_argument("--latent", choices=("binary", "real"), default="binary",
                        help="latent domain: {0,1}^k (default) or a real box with the gadget")
    parser.add_argument("--lam", type=count_flag("--lam"), default=None, metavar="L",
                        help="gadget constant of the real latent (default: the L4 bound)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.npz",
                        help="where to write the problem, under exactly this name (no "
                             "suffix is added)")
    add_limit_flags(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    path: str = args.file
    try:
        formula = read_dimacs(path, limits=dimacs_limits(args))
        problem = encode(formula, args.latent, lam=args.lam)
        problem = dataclasses.replace(
            problem, metadata={**problem.metadata, "source": os.path.basename(path)}
        )
    except (OSError, ReluinvError, ValueError) as exc:
        print(error_line(path, exc), file=err)
        return ExitCode.BAD_INPUT
    target: str = args.output
    if Path(target).is_dir():
        print(f"reluinv reduce: error: -o {target}: is a folder; give a file name (e.g. "
              f"{Path(target) / 'problem.npz'})", file=err)
        return ExitCode.BAD_INPUT
    try:
        problem.save(target)
    except OSError as exc:
        print(output_error_line(target, exc), file=err)
        return ExitCode.BAD_INPUT
    sizes = " x ".join(map(str, problem.network.sizes))
    lam = f", lam {problem.lam}" if problem.lam is not None else ""
    print(f"{target}: {args.latent} latent, sizes {sizes}{lam}, "
          f"{problem.network.num_nonzero_weights()} non-zero weights", file=out)
    return ExitCode.OK


__all__ = ["handle", "register"]
