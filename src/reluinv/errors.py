"""One error hierarchy for reluinv.

Every error the library raises on bad input derives from :class:`ReluinvError` and
also from the builtin exception a caller would expect (``ValueError`` for a wrong
value, ``TypeError`` for a wrong kind), so ``except ValueError`` keeps working.
Messages name the input, the place (a line, an index, an argument) and the rule.
"""

from __future__ import annotations

__all__ = [
    "ClusterError",
    "DimacsError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "NonFiniteError",
    "ProblemFileError",
    "ReluinvError",
    "ShapeError",
    "SolverError",
    "UnsupportedProblemError",
]


class ReluinvError(Exception):
    """Base class of every error reluinv raises on purpose."""


class DimacsError(ReluinvError, ValueError):
    """A DIMACS CNF / WCNF text breaks a rule of the format.

    Attributes
    ----------
    source:
        The file name (or ``"<string>"``) the text came from.
    line:
        The 1-based line number where the rule was broken, or ``None`` when the
        problem concerns the whole text (for example a clause count mismatch).
    rule:
        The rule that was broken, as a short sentence.
    """

    def __init__(self, source: str, line: int | None, rule: str) -> None:
        self.source = source
        self.line = line
        self.rule = rule
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {rule}")


class InvalidArgumentError(ReluinvError, ValueError):
    """An argument has a value outside what the function accepts."""


class InvalidTypeError(ReluinvError, TypeError):
    """An argument is of the wrong kind (a string where a number of seconds is expected)."""


class ShapeError(ReluinvError, ValueError):
    """An array has the wrong number of dimensions or the wrong shape."""


class NonFiniteError(ReluinvError, ValueError):
    """An array that must be finite holds NaN or infinity."""


class ProblemFileError(ReluinvError, ValueError):
    """A saved network or problem file is missing a field or is inconsistent."""


class UnsupportedProblemError(ReluinvError, ValueError):
    """A solver was asked a question it cannot answer soundly (for example CP-SAT on a
    real-valued latent code)."""


class SolverError(ReluinvError, RuntimeError):
    """A backend solver failed in a way that is neither a proof nor a time limit."""


class ClusterError(ReluinvError, ConnectionError):
    """A compute cluster cannot be used: its scheduler does not answer, or the software to
    reach it is not installed."""
