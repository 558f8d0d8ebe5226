"""The exit codes of every ``reluinv`` subcommand: one table, defined here only.

A script can branch on the code without parsing the output:

* **0** ``OK``: success, the answer was found and checked; all agree;
* **1** ``DISAGREE``: a disagreement or a wrong answer was found (a failed cross-check, a
  witness that failed verification);
* **2** ``BAD_INPUT``: usage or bad input (an argparse error, a malformed or missing
  file, a bad flag value);
* **3** ``NO_SOLUTION``: no solution exists, certified (INFEASIBLE, UNSAT, no pre-image);
* **4** ``UNKNOWN``: a time limit, an inconclusive answer, a solution not proven optimal;
* **130** ``INTERRUPTED``: interrupted (Ctrl-C);
* **143** ``TERMINATED``: terminated (SIGTERM; ``validate`` stops as on Ctrl-C, the other
  subcommands end at once: 128 + 15 is the shell's status of a process the signal ended).

The order of precedence when one run covers several answers (``validate``, ``report``):
a disagreement (1) outweighs a bad input file (2), which outweighs an unknown answer (4);
0 only when every answer agrees.

:func:`epilog` renders the table for ``--help``; the README's "Exit codes" section shows
the same rows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = ["ExitCode", "epilog", "validation_exit_code"]


class ExitCode(enum.IntEnum):
    """What a ``reluinv`` run established (the process exit status)."""

    OK = 0
    DISAGREE = 1
    BAD_INPUT = 2
    NO_SOLUTION = 3
    UNKNOWN = 4
    INTERRUPTED = 130
    TERMINATED = 143

    @property
    def meaning(self) -> str:
        """One line saying when a subcommand exits with this code."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success: the answer was found and checked, all agree",
    ExitCode.DISAGREE: "a disagreement or a wrong answer found (e.g. an unverified witness)",
    ExitCode.BAD_INPUT: "usage or bad input (a bad flag value, a malformed or missing file)",
    ExitCode.NO_SOLUTION: "no solution exists, certified (INFEASIBLE, UNSAT, no pre-image)",
    ExitCode.UNKNOWN: "unknown (time limit, inconclusive, feasible but not proven optimal)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.TERMINATED: "terminated (SIGTERM); validate stops as on Ctrl-C, its records kept",
}


def epilog(codes: Iterable[ExitCode] = tuple(ExitCode)) -> str:
    """The exit-code table as ``--help`` prints it: one ``  <code>  <meaning>`` row each.

    ``codes`` are the codes a subcommand can return (every code by default); the rows keep
    the table's order.

    >>> print(epilog([ExitCode.OK, ExitCode.BAD_INPUT]))
    exit codes:
        0  success: the answer was found and checked, all agree
        2  usage or bad input (a bad flag value, a malformed or missing file)
    """
    wanted = set(codes)
    rows = [f"  {code.value:>3}  {code.meaning}" for code in ExitCode if code in wanted]
    return "\n".join(["exit codes:", *rows])


def validation_exit_code(verdicts: Iterable[str]) -> ExitCode:
    """The exit code of a run over many instances, from their verdicts.

    ``"disagree"`` anywhere gives 1, else ``"error"`` (a bad input file) gives 2, else
    ``"unknown"`` gives 4, else 0 (every instance agrees). No verdict at all is bad input
    (2): nothing was checked.

    >>> int(validation_exit_code(["agree", "unknown", "error"]))
    2
    """
    seen = set(verdicts)
    if not seen:
        return ExitCode.BAD_INPUT
    if "disagree" in seen:
        return ExitCode.DISAGREE
    if "error" in seen:
        return ExitCode.BAD_INPUT
    if "unknown" in seen or "uncertified" in seen:
        return ExitCode.UNKNOWN
    if seen != {"agree"}:
        raise ValueError(f"unknown verdict(s) {sorted(seen - {'agree'})}")
    return ExitCode.OK
