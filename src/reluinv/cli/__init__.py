"""The ``reluinv`` command line: a thin layer over library calls.

Each subcommand lives in its own module with two functions: ``register(subparsers)`` adds
its parser and sets ``handler``; the handler takes the parsed arguments and an output
stream and returns an exit code from the one table of :mod:`reluinv.cli.exit_codes`
(0 success, 1 disagreement or wrong answer, 2 usage or bad input, 3 no solution
(certified), 4 unknown, 130 interrupted). :func:`run` returns that code (tests call it with
a list of arguments); :func:`main` is the console entry point. Library errors become
one-line messages on stderr, never tracebacks: each handler maps the errors it expects to
its exit code, and :func:`run` is the last resort for the rest (a bug, an exhausted
resource): one line naming the subcommand and the error, "please report", exit 2.

The command line decides nothing: every choice (which backend, how a latent code reads as
an assignment, what a ``.npz`` file holds) is a library call; the handlers only present.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from reluinv._version import __version__
from reluinv.cli import (
    check,
    generate_instances,
    info,
    invert,
    merge,
    reduce,
    solve,
    validate,
)
from reluinv.cli import export as export_command
from reluinv.cli import verify as verify_command
from reluinv.cli.common import ArgumentParser, HelpFormatter
from reluinv.cli.exit_codes import ExitCode, epilog
from reluinv.interrupts import is_library_interrupt

__all__ = ["build_parser", "internal_error_line", "main", "reserve_stdout_for_results", "run"]

#: What to do about an error no handler expected.
PLEASE_REPORT = "please report this bug with the command line that caused it"

#: Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = (validate, merge, check, info, reduce, solve, invert, generate_instances,
               verify_command, export_command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = ArgumentParser(
        prog="reluinv",
        epilog=epilog(),
        formatter_class=HelpFormatter,
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
    """Parse ``argv``, run the subcommand and return its exit code.

    ``--help`` and ``--version`` write to ``stdout``, usage errors to ``stderr`` (exit 2).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    command: str | None = None
    try:
        parser = build_parser()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse exits on --help, --version and usage errors
            return int(exc.code or 0)
        command = args.command
        if command is None:
            parser.print_help(out)
            return ExitCode.BAD_INPUT
        code: int = args.handler(args, out, err)
        return int(code)
    except KeyboardInterrupt:
        print("reluinv: interrupted", file=err)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # the reader went away (``reluinv info ... | head``)
        return ExitCode.OK
    except Exception as exc:  # the last resort: no traceback reaches a user
        if is_library_interrupt(exc):  # a Ctrl-C a solver caught outside a guarded call
            print("reluinv: interrupted", file=err)
            return ExitCode.INTERRUPTED
        with contextlib.suppress(Exception):
            print(internal_error_line(command, exc), file=err)
        return ExitCode.BAD_INPUT


def internal_error_line(command: str | None, exc: BaseException) -> str:
    """The one line for an error no handler expected: the subcommand, the error's type
    and first line, and where to report it.

    >>> internal_error_line("check", KeyError("domain")).split(";")[0]
    "reluinv check: internal error: KeyError: 'domain'"
    """
    text = str(exc).strip().splitlines()
    message = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    if len(message) > 300:
        message = message[:297] + "..."
    where = f"reluinv {command}" if command else "reluinv"
    return f"{where}: internal error: {message}; {PLEASE_REPORT}"


def reserve_stdout_for_results() -> TextIO:
    """Give ``sys.stdout`` a file descriptor of its own and point descriptor 1 at stderr.

    The solvers are native libraries, and some of them write to descriptor 1 directly
    (HiGHS prints ``HighsMipSolverData::...`` debugging lines from inside OR-Tools' MIP
    calls), bypassing ``sys.stdout``. A result that another program reads from stdout (a
    VNN-COMP ``sat``/``unsat`` line, a JSON record) must not be interleaved with such
    lines, so the original stdout is duplicated for ``sys.stdout`` and descriptor 1 then
    shares stderr's: what the libraries print still reaches the user, on stderr. Child
    processes inherit the same arrangement. Returns the new ``sys.stdout``.
    """
    old = sys.stdout
    try:
        results = os.dup(old.fileno())
    except (AttributeError, OSError, ValueError):  # no real stdout (embedded, closed)
        return old
    old.flush()
    os.dup2(sys.stderr.fileno(), 1)
    interactive = os.isatty(results)
    sys.stdout = os.fdopen(results, "w", buffering=1 if interactive else -1,
                           encoding=old.encoding, errors=old.errors)
    return sys.stdout


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: :func:`run` on ``argv`` (default ``sys.argv[1:]``), then exit
    with its code. Native libraries' writes to descriptor 1 go to stderr
    (:func:`reserve_stdout_for_results`); stdout carries only reluinv's own output."""
    with contextlib.suppress(OSError, ValueError):
        reserve_stdout_for_results()
    code = run(argv)
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # point stdout at /dev/null so the exit flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
