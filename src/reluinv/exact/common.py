"""Checks and facts shared by every backend.

The *realizable case* (objective ``"feasible"``): every observed output must equal its
target, so its phase is read off the target instead of searched. For ReLU,
``x_j > 0`` forces the unit active with ``t_j = x_j``, ``x_j = 0`` forces it inactive
(``t_j <= 0``), and ``x_j < 0`` is impossible (a ReLU output is never negative): a proof of
infeasibility before any model is built. For leaky ReLU, ``s`` is a bijection, so
``t_j = s^{-1}(x_j)`` (``x_j / alpha`` when ``x_j < 0``). A linear head has no phase:
``t_j = x_j`` whatever the sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidArgumentError, ShapeError
from reluinv.exact.result import Objective

__all__ = [
    "OBJECTIVES",
    "OutputFix",
    "check_hint",
    "output_fixes",
]

OBJECTIVES: tuple[Objective, ...] = ("feasible", "l1", "linf")


def check_hint(problem: InversionProblem, hint: npt.ArrayLike | None,
               *, name: str = "hint") -> npt.NDArray[np.float64] | None:
    """A latent starting point of shape ``(k,)``, finite; ``None`` passes through.

    On binary and integer domains it must be an integer point of the domain.
    """
    if hint is None:
        return None
    array = np.asarray(hint, dtype=np.float64)
    k = problem.network.latent_dim
    if array.shape != (k,):
        raise ShapeError(f"{name} must have shape (k,) = ({k},), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidArgumentError(f"{name} holds NaN or infinity")
    if problem.domain.kind != "real" and not problem.domain.contains(array):
        raise InvalidArgumentError(
            f"{name} must be an integer point of the {problem.domain.kind} latent domain"
        )
    return array


@dataclass(frozen=True)
class OutputFix:
    """The phase the target fixes for an observed output unit: ``pre`` is the value
    ``t_j`` must take (``None`` for a ReLU output with ``x_j = 0``: ``t_j <= 0``)."""

    unit: int
    pre: float | None


def output_fixes(problem: InversionProblem) -> tuple[list[OutputFix], str | None]:
    """Per observed output, the phase the target forces (the realizable case).

    Returns the fixes and, when the target itself proves infeasibility (a negative
    target under ReLU), a message saying so.
    """
    net = problem.network
    fixes: list[OutputFix] = []
    for j in problem.observed.tolist():
        x = float(problem.target[j])
        if x > 0 or net.output_linear:
            fixes.append(OutputFix(j, x))
        elif x == 0:
            fixes.append(OutputFix(j, None if net.activation == "relu" else 0.0))
        elif net.activation == "relu":
            return fixes, f"target x[{j}] = {x} < 0 is not a ReLU output"
        else:
            fixes.append(OutputFix(j, x / net.slope))
    return fixes, None


def describe(value: Any) -> str:
    """A short text of a number for messages."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
