"""Helpers shared by the subcommands: the parser, flag-value adapters, error lines.

Flag values are checked by :mod:`reluinv.arguments`, the library's one argument-validation
module, with the *flag* as the argument's name; the adapters below turn its checks into
argparse ``type=`` functions, so a bad value is a usage error (exit 2) on one line that
names the flag: ``reluinv solve: error: --time-limit must be a positive number of
seconds, got -1``.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from reluinv.arguments import check_count, check_nonnegative, check_shard, check_time_limit
from reluinv.cli.exit_codes import ExitCode, epilog
from reluinv.data.files import missing_parents_problem
from reluinv.data.formula import DEFAULT_LIMITS, DimacsLimits, TextLimits
from reluinv.errors import DimacsError, ReluinvError, SolverError

__all__ = [
    "LIMIT_FLAGS",
    "TEXT_LIMIT_FLAGS",
    "ArgumentParser",
    "HelpFormatter",
    "add_limit_flags",
    "add_subcommand",
    "count_flag",
    "dimacs_limits",
    "error_line",
    "format_histogram",
    "nonnegative_flag",
    "output_error_line",
    "output_failure",
    "output_file_problem",
    "same_file_as_an_input",
    "shard_flag",
    "text_limits",
    "time_limit_flag",
    "write_output",
]

T = TypeVar("T")

#: argparse's own prefix of a failed ``type=`` conversion: ``argument --flag/-f: ``.
_ARGUMENT_PREFIX = re.compile(r"^argument (?P<flags>[^:]+): (?P<rest>.*)$", re.DOTALL)


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors are one line naming the flag once.

    argparse writes the whole usage, then ``argument --time-limit: <message>``; here the
    error is the one line ``reluinv invert: error: <message> (see reluinv invert --help)``
    (exit 2), and when the message already starts with the flag (as every adapter's
    does), argparse's ``argument ...:`` prefix is dropped.
    """

    def error(self, message: str) -> NoReturn:
        match = _ARGUMENT_PREFIX.match(message)
        if match is not None:
            flags = match["flags"].split("/")
            if any(match["rest"].startswith(flag) for flag in flags):
                message = match["rest"]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual, but keeps multi-line text (the exit-code table) as is."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def add_subcommand(
    subparsers: Any, name: str, *, help: str, description: str, codes: Iterable[ExitCode]
) -> argparse.ArgumentParser:
    """Register subcommand ``name`` with the rows of the exit-code table it can return
    (plus 130, interrupted, and 143, terminated) as its ``--help`` epilog."""
    rows = {*codes, ExitCode.BAD_INPUT, ExitCode.INTERRUPTED, ExitCode.TERMINATED}
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description, epilog=epilog(rows),
        formatter_class=HelpFormatter,
    )
    return parser


def _flag_adapter(
    flag: str, parse: Callable[[str], T], kind: str, check: Callable[[T, str], object]
) -> Callable[[str], Any]:
    """An argparse ``type=``: ``parse`` the text (``kind`` names what it should be), then
    ``check(value, flag)``; a failure of either is one ``ArgumentTypeError`` line."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be {kind}, got {text!r}") from None
        try:
            return check(value, flag)
        except ReluinvError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = flag.lstrip("-").replace("-", "_")
    return convert


def _number(text: str) -> int | float:
    """``"3"`` -> ``3``, ``"0.5"`` -> ``0.5`` (so messages echo what the user typed)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def time_limit_flag(flag: str = "--time-limit") -> Callable[[str], float | None]:
    """Seconds: a positive number (``inf`` means no limit) by
    :func:`reluinv.arguments.check_time_limit`."""
    return _flag_adapter(flag, _number, "a number of seconds", check_time_limit)


def count_flag(flag: str, *, minimum: int = 1) -> Callable[[str], int]:
    """An integer of at least ``minimum`` by :func:`reluinv.arguments.check_count`."""
    return _flag_adapter(flag, int, "an integer",
                         lambda value, name: check_count(value, name, minimum=minimum))


def nonnegative_flag(flag: str) -> Callable[[str], float]:
    """A finite number ``>= 0`` by :func:`reluinv.arguments.check_nonnegative`."""
    return _flag_adapter(flag, _number, "a number", check_nonnegative)


def shard_flag(flag: str = "--shard") -> Callable[[str], tuple[int, int]]:
    """``I/N`` with ``1 <= I <= N`` by :func:`reluinv.arguments.check_shard`."""
    return _flag_adapter(flag, str, "I/N", check_shard)


#: The size-limit flags of every subcommand that reads formulas: flag -> (field of
#: :class:`~reluinv.data.formula.DimacsLimits`, what it bounds, ``{}`` the kind of file).
LIMIT_FLAGS = {
    "--max-bytes": ("max_bytes", "bytes of a {} file, decompressed"),
    "--max-line-length": ("max_line_length", "characters of one line of a {} file"),
    "--max-vars": ("max_vars", "variables of a formula"),
    "--max-clauses": ("max_clauses", "clauses of a formula"),
}
#: The flags of :class:`~reluinv.data.formula.TextLimits`, shared by every text file read.
TEXT_LIMIT_FLAGS = ("--max-bytes", "--max-line-length")


def add_limit_flags(parser: argparse.ArgumentParser, *, flags: Sequence[str] = tuple(LIMIT_FLAGS),
                    kind: str = "formula") -> None:
    """``--max-bytes``, ``--max-line-length``, ``--max-vars``, ``--max-clauses`` (or the
    ``flags`` given): raise (or lower) the size limits of
    :class:`~reluinv.data.formula.DimacsLimits`; a ``kind`` file over a limit is refused
    on one line before anything large is read."""
    group = parser.add_argument_group(f"size limits of {kind} files")
    for flag in flags:
        field, what = LIMIT_FLAGS[flag]
        group.add_argument(flag, type=count_flag(flag), default=None, metavar="N",
                           dest=field, help=f"at most N {what.format(kind)} (default "
                                            f"{getattr(DEFAULT_LIMITS, field)})")


def limit_options(args: argparse.Namespace) -> dict[str, int]:
    """The limit flags given on the command line (field -> value), nothing for defaults."""
    return {field: getattr(args, field) for field, _ in LIMIT_FLAGS.values()
            if getattr(args, field, None) is not None}


def dimacs_limits(args: argparse.Namespace) -> DimacsLimits:
    """The :class:`~reluinv.data.formula.DimacsLimits` the flags ask for."""
    return DimacsLimits(**limit_options(args))


def text_limits(args: argparse.Namespace) -> TextLimits:
    """The :class:`~reluinv.data.formula.TextLimits` the flags of :data:`TEXT_LIMIT_FLAGS`
    ask for."""
    return TextLimits(**limit_options(args))


def output_file_problem(path: str) -> str | None:
    """Why ``path`` cannot be an output file (``None`` when it can): it must be a regular
    file or not exist yet, below a folder (missing folders are created), and be writable.
    A device (``/dev/full``) is refused: a results file is read back on ``--resume``, and
    a file written beside and renamed over it would replace the device itself."""
    target = Path(path)
    if target.is_dir():
        return "is a folder; give a file name (e.g. DIR/results.jsonl)"
    if target.exists() and not target.is_file():
        return "is not a regular file"
    if target.exists():
        return None if os.access(target, os.W_OK) else "is not writable"
    return missing_parents_problem(target)  # the run creates missing folders


def error_line(path: str, exc: BaseException) -> str:
    """One line naming the input, the place and the rule (no traceback)."""
    if isinstance(exc, DimacsError):
        return f"reluinv: error: {exc}"
    if isinstance(exc, FileNotFoundError):
        return f"reluinv: error: {path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"reluinv: error: {path}: is a directory"
    if isinstance(exc, PermissionError):
        return f"reluinv: error: {path}: permission denied"
    if isinstance(exc, OSError):
        return f"reluinv: error: {path}: {exc.strerror or exc}"
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if message.startswith(os.fspath(path)):
        return f"reluinv: error: {message}"
    return f"reluinv: error: {path}: {message}"


def report_failure(path: str, exc: BaseException, err: Any) -> ExitCode:
    """Print ``exc`` as one :func:`error_line` and return its exit code: UNKNOWN for a
    solver failure (neither a proof nor a time limit, so nothing is known), BAD_INPUT for
    everything else a library call raises on its input."""
    print(error_line(path, exc), file=err)
    return ExitCode.UNKNOWN if isinstance(exc, SolverError) else ExitCode.BAD_INPUT


def same_file_as_an_input(path: str, inputs: Iterable[str | None]) -> str | None:
    """Why ``path`` may not be written: it is one of the command's ``inputs`` (writing the
    result there would destroy it), or ``None``."""
    for given in inputs:
        if given is None or not os.path.exists(given) or not os.path.exists(path):
            continue
        if os.path.samefile(given, path):
            return f"is the input {given}; writing there would destroy it"
    return None


def output_failure(path: str, exc: OSError) -> str:
    """Why the output file ``path`` was not written, from the ``OSError`` writing it
    raised: it cannot be created there (or, when it exists, written), and the system's
    reason. Not :func:`error_line`'s reading of an input: a folder that takes no new files
    (``/proc``) answers ``ENOENT``, which said of an output is not "no such file"."""
    parent = os.path.dirname(path) or "."
    if isinstance(exc, FileNotFoundError) and not os.path.isdir(parent):
        return f"cannot be created: the folder {parent} does not exist"
    reason = exc.strerror or str(exc) or type(exc).__name__
    what = "cannot be written" if os.path.isfile(path) else "cannot be created there"
    return f"{what} ({reason})"


def output_error_line(path: str, exc: OSError) -> str:
    """``reluinv: error: PATH: cannot be created there (REASON)``
    (:func:`output_failure`)."""
    return f"reluinv: error: {path}: {output_failure(path, exc)}"


def write_output(path: str, write: Callable[[str], object], err: Any) -> bool:
    """Call ``write(path)`` (its missing parent folders created first, as
    :func:`output_file_problem` promised); on an ``OSError`` print its one
    :func:`output_error_line` and return False (the caller exits with BAD_INPUT), else
    True."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        write(path)
    except OSError as exc:
        print(output_error_line(path, exc), file=err)
        return False
    return True


def format_histogram(histogram: dict[int, int]) -> str:
    """``{1: 2, 3: 10}`` -> ``"1:2 3:10"`` (``"none"`` when empty)."""
    if not histogram:
        return "none"
    return " ".join(f"{length}:{count}" for length, count in histogram.items())
