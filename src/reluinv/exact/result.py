"""Result objects of the exact solvers: a status enum and frozen dataclasses.

A result says what the solver proved and what was checked outside it:

* ``status`` is the solver's verdict, mapped onto :class:`Status`. ``INFEASIBLE`` is a
  proof (the solver's, or the target's: a ReLU output cannot be negative); a time limit
  gives ``UNKNOWN`` (no solution found) or ``FEASIBLE`` (a solution without an optimality
  proof), never ``INFEASIBLE``.
* ``z`` is the returned latent code after verification: pushed through the network again
  outside the solver, exactly (``int`` / ``Fraction``) for integer networks at integer
  points, in float64 with the reported ``tolerance`` otherwise. ``verified`` says whether
  the recomputed residual and objective matched what the solver claimed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from reluinv.results import ResultBase

__all__ = [
    "ExactResult",
    "ModelSize",
    "Number",
    "Objective",
    "Status",
    "UniquenessResult",
    "UniquenessStatus",
    "VerificationMethod",
]

Number: TypeAlias = int | float | Fraction
Objective = Literal["feasible", "l1", "linf"]
VerificationMethod = Literal["exact", "float", "none"]


class Status(enum.Enum):
    """What an exact solve established."""

    OPTIMAL = "optimal"
    """Proven optimal (for ``objective="feasible"``: a pre-image was found)."""
    FEASIBLE = "feasible"
    """A solution without a proof of optimality (time limit reached)."""
    INFEASIBLE = "infeasible"
    """Proven: no latent code in the domain reproduces the observed outputs."""
    UNKNOWN = "unknown"
    """Neither a solution nor a proof (time limit reached)."""


@dataclass(frozen=True)
class ModelSize:
    """The size of the model a formulation built, and how its ReLU units were encoded.

    Attributes
    ----------
    variables, constraints:
        Counts in the solver model as built (before the solver's presolve).
    binaries:
        The number of Boolean phase variables (one per unstable unit that needs one).
    stable_active, stable_inactive:
        Hidden or output units whose pre-activation bounds prove them always active
        (``lower >= 0``) or always inactive (``upper <= 0``); they are linear.
    fixed_by_target:
        Observed output units whose phase was read off the target (objective
        ``"feasible"``: ``x_j > 0`` active, ``x_j = 0`` inactive); they need no binary.
    unstable:
        Units that needed a phase variable.
    convex_outputs:
        Unstable ReLU output units whose error term is convex in the pre-activation
        (objective ``"l1"`` or ``"linf"`` and target ``x_j <= 0``: the error is
        ``ReLU(t) - x_j``); minimisation makes ``y >= t, y >= 0`` exact, so they need no
        binary. Counted apart from ``unstable``.
    linear_outputs:
        Observed output units of a linear head (``output_activation="linear"``) not fixed
        by the target: ``h_dj = t_dj``, no phase at all.
    mirrored:
        Unstable hidden units whose pre-activation is exactly the negation of another
        unit's (MIP backend): ``s(-t) = s(t) - (1 + alpha) t`` makes them linear in their
        twin, so they share its binary. Counted apart from ``unstable``.
    """

    variables: int
    constraints: int
    binaries: int
    stable_active: int
    stable_inactive: int
    fixed_by_target: int
    unstable: int
    convex_outputs: int = 0
    linear_outputs: int = 0
    mirrored: int = 0


@dataclass(frozen=True, eq=False)
class ExactResult(ResultBase):
    """The answer of :func:`reluinv.solve_exact`.

    Attributes
    ----------
    status:
        :class:`Status`.
    z:
        The verified latent code (integers for binary and integer domains), or ``None``
        when the solver returned none.
    objective:
        The objective recomputed outside the solver on ``z``: the l1 or linf norm of
        ``G(z) - x`` on observed outputs, or, for ``"feasible"``, the linf residual (0 for
        an exact pre-image). ``int`` / ``Fraction`` when verified exactly, ``float``
        otherwise; ``None`` without ``z``.
    bound:
        The solver's proven lower bound on the objective (``None`` when it has none).
    seconds:
        Wall-clock time of the whole call (model building, solving, verification).
    verified:
        True when ``z`` is in the domain and the recomputed residual / objective matches
        the solver's claim (exactly, or within ``tolerance``). False without ``z``.
    backend:
        The backend that answered: ``"maxsat"``, ``"cpsat"`` or ``"mip"`` (under
        ``backend="auto"`` the one the rule chose; ``message`` then says so).
    message:
        The solver's own status text and notes (why something was not verified, ...).
    objective_kind:
        ``"feasible"``, ``"l1"`` or ``"linf"``.
    encoding:
        The name of the ReLU encoding used (see :mod:`reluinv.exact.encodings`).
    solver:
        The underlying engine (``"CP-SAT"``, ``"SCIP"``, ``"HIGHS"``, ``"RC2"``,
        ``"CaDiCaL"``).
    solver_objective:
        The objective value the solver reported, before verification.
    verification:
        ``"exact"`` (ints / Fractions), ``"float"`` (float64 within ``tolerance``) or
        ``"none"`` (no ``z`` to check).
    tolerance:
        The tolerance the float verification used (0.0 for exact verification).
    model:
        :class:`ModelSize` of the formulation, or ``None`` when no model was built.
    """

    status: Status
    z: npt.NDArray[np.float64] | None
    objective: Number | None
    bound: float | None
    seconds: float
    verified: bool
    backend: str
    message: str
    objective_kind: Objective = "feasible"
    encoding: str = ""
    solver: str = ""
    solver_objective: float | None = None
    verification: VerificationMethod = "none"
    tolerance: float = 0.0
    model: ModelSize | None = None

    @property
    def found(self) -> bool:
        """Whether a latent code was returned."""
        return self.z is not None

    @classmethod
    def infeasible_by_target(cls, reason: str, seconds: float, **fields: Any) -> ExactResult:
        """INFEASIBLE without a solver call: the target itself rules every ``z`` out (for
        example a negative observed ReLU output); ``reason`` says which entry and why."""
        return cls(status=Status.INFEASIBLE, z=None, objective=None, bound=None,
                   seconds=seconds, verified=False,
                   message=f"infeasible by the target: {reason}", **fields)


class UniquenessStatus(enum.Enum):
    """What :func:`reluinv.certify_unique` established."""

    UNIQUE = "unique"
    """Proven: every pre-image in the domain lies within ``tol`` of ``z`` (linf)."""
    NOT_UNIQUE = "not_unique"
    """A second, verified pre-image farther than ``tol`` from ``z`` was found."""
    UNKNOWN = "unknown"
    """Neither (time limit, or the solver's candidate failed verification)."""


@dataclass(frozen=True, eq=False)
class UniquenessResult(ResultBase):
    """The answer of :func:`reluinv.certify_unique`.

    Attributes
    ----------
    status:
        :class:`UniquenessStatus`.
    z:
        The pre-image that was certified (as given, after checking it is one).
    other:
        A second pre-image (verified), or ``None``.
    distance:
        ``||other - z||_inf`` when ``other`` was found, else ``None``.
    bound:
        The solver's proven upper bound on ``max ||z' - z||_inf`` over pre-images ``z'``.
    tol:
        Two pre-images closer than this (linf) count as the same point (0 for integer
        domains, where the question is exact).
    residual_tolerance:
        The tolerance on ``|G(z') - x|`` used when verifying ``other`` in float64 (0.0 when
        it was verified exactly).
    seconds, backend, solver, message, model:
        As in :class:`ExactResult`.
    verified:
        Whether ``other`` (when found) passed verification; for ``UNIQUE``, whether the
        given ``z`` did.
    """

    status: UniquenessStatus
    z: npt.NDArray[np.float64]
    other: npt.NDArray[np.float64] | None
    distance: float | None
    bound: float | None
    tol: float
    residual_tolerance: float
    seconds: float
    backend: str
    solver: str
    message: str
    verified: bool
    model: ModelSize | None = None
