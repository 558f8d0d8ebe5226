"""The ``reluinv`` command line: a thin layer over library calls.

Each subcommand lives in its own module with two functions: ``register(subparsers)`` adds
its parser and sets ``handler``; the handler takes the parsed arguments and an output
stream and returns an exit code. :func:`run` returns that code (tests call it with a list
of arguments); :func:`main` is the console entry point. Library errors become one-line
messages on stderr, never tracebacks.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from reluinv._version import __version__
from reluinv.cli import check, generate_instances, info, invert, reduce, solve, validate

__all__ = ["build_parser", "main", "run"]

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = (validate, check, info, reduce, solve, invert, generate_instances)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="reluinv",
        description=(
            "Inverting ReLU generative networks: the MAX-3SAT reduction, exact inversion "
            "with certificates, and the layer-wise inverter."
        ),
    )
    parser.add_argument("--version", action="version", version=f"reluinv {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def run(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Parse ``argv``, run the subcommand and return its exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(out)
        return 2
    try:
        code: int = args.handler(args, out, err)
    except KeyboardInterrupt:
        print("reluinv: interrupted", file=err)
        return 130
    except BrokenPipeError:  # the reader went away (``reluinv info ... | head``)
        return 0
    return code


def main() -> None:
    """Console entry point."""
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # point stdout at /dev/null so the exit flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
