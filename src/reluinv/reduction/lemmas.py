"""The lemmas of the reduction, as checks one can run on a problem and a point.

Notation as in :mod:`reluinv.reduction.construction`: ``F`` has variables ``1..k`` and clauses
``C_1..C_m`` with weights ``w_j``; ``encode(F)`` gives ``G`` and the target ``x``; the loss
of a latent ``z`` is ``||G(z) - x||_1``. The lemmas:

* **L1 loss identity.** For every ``z`` in ``{0,1}^k``: ``||G(z) - x||_1`` equals the total
  weight of the clauses ``z`` falsifies (in both variants: at a binary ``z`` every gadget
  output ``g_v = lam |2 z_v - 1|`` equals its target ``lam``).
* **L2 both directions.** A binary ``z`` has ``G(z) = x`` exactly when it satisfies ``F``;
  the witnesses map both ways (:func:`~reluinv.reduction.construction.lift` an assignment,
  :func:`~reluinv.reduction.construction.decode` a latent).
* **L3 binary forcing** (real variant). For every real ``z``: ``G(z) = x`` exactly when
  ``z`` is binary and satisfies ``F``.
* **L4 rounding** (real variant, integer ``lam >= max_v occ(v) / 2``). Clamping ``z`` into
  ``[0, 1]^k`` and rounding it (:func:`~reluinv.reduction.construction.decode`) never
  increases the loss.

Every check computes in exact arithmetic: the network's exact forward pass
(:meth:`~reluinv.data.network.ReluNetwork.forward_exact`, ints and ``Fraction``), or int64
matrix products whose magnitude is bounded first (:func:`check_cube`). Float inputs are
taken at their exact binary value, so no tolerance is involved anywhere.

Each check returns a frozen result with a :class:`LemmaStatus`, the numbers it compared and
a one-line ``statement`` of what was checked. ``HOLDS`` means the claim was verified at that
point; ``VIOLATED`` means the numbers contradict it (a bug in the encoder, or for L4 a
``lam`` below the bound, which the result's ``premise_met`` reports).

>>> from reluinv import encode, parse_dimacs
>>> p = encode(parse_dimacs("p cnf 2 2\\n1 2 0\\n-1 0\\n"), latent="real")
>>> r = check_loss_identity(p, [1, 0])
>>> r.status, r.loss, r.falsified_weight
(<LemmaStatus.HOLDS: 'holds'>, 1, 1)
>>> check_rounding(p, [0.75, 0.25]).loss_after
1
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reluinv.data.formula import Formula
from reluinv.data.network import Exact, exact_vector
from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidArgumentError, ShapeError, UnsupportedProblemError
from reluinv.reduction.construction import decode, lam_lower_bound, lift

__all__ = [
    "CUBE_LIMIT",
    "BinaryForcingCheck",
    "CubeCheck",
    "LemmaStatus",
    "LiftCheck",
    "LossIdentityCheck",
    "RealizabilityCheck",
    "RoundingCheck",
    "check_binary_forcing",
    "check_cube",
    "check_lift",
    "check_loss_identity",
    "check_realizability",
    "check_rounding",
]

#: The largest ``k`` :func:`check_cube` enumerates by default (``2^k`` points).
CUBE_LIMIT = 16

#: int64 products are exact while every intermediate value stays below this bound.
_INT64_SAFE = 2**62


class LemmaStatus(enum.Enum):
    """Whether a lemma's claim held at the point checked."""

    HOLDS = "holds"
    VIOLATED = "violated"

    @classmethod
    def of(cls, holds: bool) -> LemmaStatus:
        """``HOLDS`` for ``True``, ``VIOLATED`` for ``False``."""
        return cls.HOLDS if holds else cls.VIOLATED


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LossIdentityCheck:
    """L1 at one binary point: ``loss == falsified_weight``.

    Attributes
    ----------
    z:
        The binary latent checked (variable ``v`` at index ``v - 1``).
    loss:
        ``||G(z) - x||_1``, exact (an ``int`` on an integer network).
    falsified_weight:
        ``F.falsified(z)``, counted clause by clause on the formula.
    falsified_clauses:
        The 0-based indices of the clauses ``z`` falsifies.
    """

    status: LemmaStatus
    z: tuple[int, ...]
    loss: Exact
    falsified_weight: int
    falsified_clauses: tuple[int, ...]
    statement: str = "L1: ||G(z) - x||_1 equals the weight of the clauses z falsifies"

    @property
    def holds(self) -> bool:
        """``status is LemmaStatus.HOLDS``."""
        return self.status is LemmaStatus.HOLDS


@dataclass(frozen=True)
class RealizabilityCheck:
    """L2 at one binary point: ``G(z) = x`` exactly iff ``z`` satisfies ``F``, and a
    pre-image decodes to a satisfying assignment that lifts back to it.

    Attributes
    ----------
    z:
        The binary latent checked.
    realizes:
        Whether ``G(z) = x`` holds exactly (every output).
    satisfies:
        Whether ``z`` satisfies every clause of ``F`` (counted on the formula).
    decoded:
        ``decode(problem, z)``.
    round_trip:
        Whether ``lift(problem, decoded)`` equals ``z``.
    """

    status: LemmaStatus
    z: tuple[int, ...]
    realizes: bool
    satisfies: bool
    decoded: tuple[int, ...]
    round_trip: bool
    statement: str = "L2: a binary z has G(z) = x exactly iff z satisfies F; decode/lift invert"

    @property
    def holds(self) -> bool:
        """``status is LemmaStatus.HOLDS``."""
        return self.status is LemmaStatus.HOLDS


@dataclass(frozen=True)
class LiftCheck:
    """L2 from the assignment side: ``lift(a)`` is a pre-image iff ``a`` satisfies ``F``,
    and ``decode(lift(a)) = a``.

    Attributes
    ----------
    assignment:
        The 0/1 assignment checked.
    z:
        ``lift(problem, assignment)`` as exact numbers.
    satisfies:
        Whether ``assignment`` satisfies ``F``.
    realizes:
        Whether ``G(lift(a)) = x`` holds exactly.
    round_trip:
        Whether ``decode(problem, lift(problem, a)) == a``.
    """

    status: LemmaStatus
    assignment: tuple[int, ...]
    z: tuple[Exact, ...]
    satisfies: bool
    realizes: bool
    round_trip: bool
    statement: str = "L2: lift(a) is a pre-image of x iff a satisfies F; decode(lift(a)) = a"

    @property
    def holds(self) -> bool:
        """``status is LemmaStatus.HOLDS``."""
        return self.status is LemmaStatus.HOLDS


@dataclass(frozen=True)
class BinaryForcingCheck:
    """L3 at one real point: ``G(z) = x`` iff ``z`` is binary and satisfies ``F``.

    Attributes
    ----------
    z:
        The latent checked, as exact numbers.
    realizes:
        Whether ``G(z) = x`` holds exactly.
    is_binary:
        Whether every ``z_v`` is exactly 0 or 1.
    satisfies:
        Whether ``z`` satisfies ``F``; ``None`` when ``z`` is not binary.
    clause_loss:
        ``sum_j |u_j(z)|`` over the clause outputs (``u_j`` has target 0), exact.
    gadget_loss:
        ``sum_v |g_v(z) - lam|`` over the gadget outputs, exact; it is ``0`` iff ``z`` is
        binary, and ``2 lam`` times the distance of ``z_v`` to ``{0, 1}`` per coordinate in
        ``[0, 1]``.
    """

    status: LemmaStatus
    z: tuple[Exact, ...]
    realizes: bool
    is_binary: bool
    satisfies: bool | None
    clause_loss: Exact
    gadget_loss: Exact
    statement: str = "L3: a real z has G(z) = x exactly iff z is binary and satisfies F"

    @property
    def holds(self) -> bool:
        """``status is LemmaStatus.HOLDS``."""
        return self.status is LemmaStatus.HOLDS


@dataclass(frozen=True)
class RoundingCheck:
    """L4 at one real point: ``loss(decode(z)) <= loss(z)``.

    Attributes
    ----------
    z:
        The latent checked, as exact numbers.
    rounded:
        ``decode(problem, z)``: ``z`` clamped into ``[0, 1]`` and rounded (``1/2 -> 1``).
    loss_before, loss_after:
        The exact l1 losses at ``z`` and at ``rounded``.
    lam, lam_bound:
        The problem's gadget constant and the bound ``max(1, ceil(max_v occ(v) / 2))``.
    premise_met:
        ``lam >= lam_bound``: only then does L4 promise anything. A ``VIOLATED`` result with
        ``premise_met = False`` is not a counterexample to the lemma.
    """

    status: LemmaStatus
    z: tuple[Exact, ...]
    rounded: tuple[int, ...]
    loss_before: Exact
    loss_after: Exact
    lam: int
    lam_bound: int
    premise_met: bool
    statement: str = "L4: clamping and rounding z to the cube never increases ||G(z) - x||_1"

    @property
    def holds(self) -> bool:
        """``status is LemmaStatus.HOLDS``."""
        return self.status is LemmaStatus.HOLDS

    @property
    def increase(self) -> Exact:
        """``loss_after - loss_before`` (positive exactly when rounding hurt)."""
        return self.loss_after - self.loss_before


@dataclass(frozen=True)
class CubeCheck:
    """L1 and L2 on every vertex of ``{0,1}^k`` at once.

    Attributes
    ----------
    num_points:
        ``2^k``, the number of vertices enumerated.
    loss_identity_holds:
        L1 at every vertex.
    realizability_holds:
        L2 at every vertex: the pre-images of ``x`` in the cube are exactly the satisfying
        assignments.
    first_violation:
        The first vertex (in lexicographic order) where L1 or L2 fails, else ``None``.
    min_loss:
        ``min_z ||G(z) - x||_1`` over the cube: the MaxSAT cost when L1 holds.
    min_falsified:
        ``min_z F.falsified(z)``, counted on the formula.
    minimizer:
        The first vertex attaining ``min_falsified``.
    num_preimages, num_satisfying:
        How many vertices have ``G(z) = x``, and how many satisfy ``F``.
    """

    status: LemmaStatus
    num_points: int
    loss_identity_holds: bool
    realizability_holds: bool
    first_violation: tuple[int, ...] | None
    min_loss: Exact
    min_falsified: int
    minimizer: tuple[int, ...]
    num_preimages: int
    num_satisfying: int
    statement: str = "L1 and L2 at every vertex of {0,1}^k (exhaustive enumeration)"

    @property
    def holds(self) -> bool:
        """``status is LemmaStatus.HOLDS``."""
        return self.status is LemmaStatus.HOLDS


# -- helpers -------------------------------------------------------------------------------


def _formula_of(problem: InversionProblem) -> Formula:
    if not isinstance(problem, InversionProblem):
        raise TypeError(f"problem must be an InversionProblem, got {type(problem).__name__}")
    if problem.formula is None:
        raise UnsupportedProblemError(
            "problem carries no formula; the lemmas apply to problems made by reluinv.encode"
        )
    if problem.mask is not None:
        raise UnsupportedProblemError("the lemmas are about fully observed reductions (mask=None)")
    return problem.formula


def _real_variant(problem: InversionProblem) -> tuple[Formula, int]:
    formula = _formula_of(problem)
    if problem.latent != "real" or problem.lam is None:
        raise UnsupportedProblemError(
            f"L3 and L4 are about the real-latent variant (encode(F, latent='real')), "
            f"got latent={problem.latent!r}"
        )
    return formula, problem.lam


def _exact_point(problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike) -> list[Exact]:
    values = exact_vector(z, "z")
    k = problem.network.latent_dim
    if len(values) != k:
        raise ShapeError(f"z must have length k = {k}, got {len(values)}")
    return values


def _binary_point(problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike) -> tuple[int, ...]:
    values = _exact_point(problem, z)
    for i, v in enumerate(values):
        if v not in (0, 1):
            raise InvalidArgumentError(f"z[{i}] = {v}; this lemma takes a binary z (0 or 1)")
    return tuple(int(v) for v in values)


def _abs(value: Exact) -> Exact:
    return value if value >= 0 else -value


def _sum(values: Sequence[Exact]) -> Exact:
    total: Exact = 0
    for v in values:
        total += v
    return total


# -- the checks ----------------------------------------------------------------------------


def check_loss_identity(
    problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike
) -> LossIdentityCheck:
    """Check L1 at the binary point ``z``: ``||G(z) - x||_1 == F.falsified(z)``, exactly.

    Works on both variants. Raises :class:`~reluinv.errors.InvalidArgumentError` when ``z``
    is not binary and :class:`~reluinv.errors.UnsupportedProblemError` when the problem
    carries no formula.
    """
    formula = _formula_of(problem)
    point = _binary_point(problem, z)
    loss = problem.exact_loss(list(point))
    falsified = tuple(formula.falsified_clauses(point))
    weights = formula.clause_weights()
    weight = sum(weights[j] for j in falsified)
    return LossIdentityCheck(
        status=LemmaStatus.of(loss == weight),
        z=point,
        loss=loss,
        falsified_weight=weight,
        falsified_clauses=falsified,
    )


def check_realizability(
    problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike
) -> RealizabilityCheck:
    """Check L2 at the binary point ``z``: ``G(z) = x`` exactly iff ``z`` satisfies ``F``,
    and ``decode`` / ``lift`` map the latent to its assignment and back.

    Works on both variants.
    """
    formula = _formula_of(problem)
    point = _binary_point(problem, z)
    realizes = all(r == 0 for r in problem.exact_residual(list(point)))
    satisfies = formula.satisfies(point)
    decoded = decode(problem, list(point))
    round_trip = lift(problem, decoded).tolist() == list(point)
    holds = realizes == satisfies and decoded == point and round_trip
    return RealizabilityCheck(
        status=LemmaStatus.of(holds),
        z=point,
        realizes=realizes,
        satisfies=satisfies,
        decoded=decoded,
        round_trip=round_trip,
    )


def check_lift(problem: InversionProblem, assignment: Sequence[int]) -> LiftCheck:
    """Check L2 from the assignment side: ``lift(a)`` realizes ``x`` iff ``a`` satisfies
    ``F``, and ``decode(lift(a)) == a``."""
    formula = _formula_of(problem)
    satisfies = formula.satisfies(assignment)
    z = lift(problem, assignment)
    exact_z = tuple(exact_vector(z, "lift(assignment)"))
    realizes = all(r == 0 for r in problem.exact_residual(list(exact_z)))
    round_trip = decode(problem, z) == tuple(int(a) for a in assignment)
    return LiftCheck(
        status=LemmaStatus.of(realizes == satisfies and round_trip),
        assignment=tuple(int(a) for a in assignment),
        z=exact_z,
        satisfies=satisfies,
        realizes=realizes,
        round_trip=round_trip,
    )


def check_binary_forcing(
    problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike
) -> BinaryForcingCheck:
    """Check L3 at the real point ``z`` (floats, ints or ``Fraction`` values; need not lie
    in the latent box): ``G(z) = x`` exactly iff ``z`` is binary and satisfies ``F``."""
    formula, _ = _real_variant(problem)
    point = _exact_point(problem, z)
    residual = problem.exact_residual(point)
    m = formula.num_clauses
    clause_loss = _sum([_abs(r) for r in residual[:m]])
    gadget_loss = _sum([_abs(r) for r in residual[m:]])
    realizes = all(r == 0 for r in residual)
    is_binary = all(v in (0, 1) for v in point)
    satisfies = formula.satisfies([int(v) for v in point]) if is_binary else None
    return BinaryForcingCheck(
        status=LemmaStatus.of(realizes == (is_binary and bool(satisfies))),
        z=tuple(point),
        realizes=realizes,
        is_binary=is_binary,
        satisfies=satisfies,
        clause_loss=clause_loss,
        gadget_loss=gadget_loss,
    )


def check_rounding(
    problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike
) -> RoundingCheck:
    """Check L4 at the real point ``z``: ``loss(decode(z)) <= loss(z)``, both exact.

    The result also says whether the lemma's premise ``lam >= lam_bound`` holds; below the
    bound rounding may increase the loss (see the regression test that exhibits it).
    """
    formula, lam = _real_variant(problem)
    point = _exact_point(problem, z)
    rounded = decode(problem, point)
    before = problem.exact_loss(point)
    after = problem.exact_loss(list(rounded))
    bound = lam_lower_bound(formula)
    return RoundingCheck(
        status=LemmaStatus.of(after <= before),
        z=tuple(point),
        rounded=rounded,
        loss_before=before,
        loss_after=after,
        lam=lam,
        lam_bound=bound,
        premise_met=lam >= bound,
    )


def check_cube(problem: InversionProblem, *, max_vars: int = CUBE_LIMIT) -> CubeCheck:
    """Check L1 and L2 at all ``2^k`` vertices of the cube (``k <= max_vars``).

    The network is evaluated on all vertices at once with int64 matrix products, which are
    exact because a magnitude bound on every layer (``|h_i| <= ||W_i||_inf |h_{i-1}| +
    |b_i|``) is checked first to stay below ``2^62``; the formula side counts falsified
    clauses on the formula itself. Problems whose network is not an integer one fall back
    to :meth:`~reluinv.data.network.ReluNetwork.forward_exact` per vertex.
    """
    formula = _formula_of(problem)
    k = problem.network.latent_dim
    if k > max_vars:
        raise InvalidArgumentError(
            f"check_cube enumerates 2^k points; k = {k} exceeds max_vars = {max_vars}"
        )
    cube = list(itertools.product((0, 1), repeat=k))
    vertices = np.array(cube, dtype=np.int64).reshape(len(cube), k)
    losses = _cube_losses(problem, vertices)
    weights = formula.clause_weights()
    loss_ok = True
    real_ok = True
    first: tuple[int, ...] | None = None
    falsified_values: list[int] = []
    preimages = satisfying = 0
    for row, loss in zip(vertices.tolist(), losses, strict=True):
        point = tuple(row)
        falsified = formula.falsified_clauses(point)
        weight = sum(weights[j] for j in falsified)
        falsified_values.append(weight)
        realizes = loss == 0
        satisfies = not falsified
        preimages += realizes
        satisfying += satisfies
        ok_l1 = loss == weight
        ok_l2 = realizes == satisfies
        loss_ok &= ok_l1
        real_ok &= ok_l2
        if first is None and not (ok_l1 and ok_l2):
            first = point
    best = int(np.argmin(falsified_values))
    return CubeCheck(
        status=LemmaStatus.of(loss_ok and real_ok),
        num_points=len(losses),
        loss_identity_holds=loss_ok,
        realizability_holds=real_ok,
        first_violation=first,
        min_loss=min(losses, default=0),
        min_falsified=falsified_values[best],
        minimizer=tuple(vertices[best].tolist()),
        num_preimages=preimages,
        num_satisfying=satisfying,
    )


def _cube_losses(problem: InversionProblem, vertices: npt.NDArray[np.int64]) -> list[Exact]:
    """The exact l1 loss at every row of ``vertices``."""
    network = problem.network.to_dense()  # k <= max_vars: a dense copy is small
    target = exact_vector(problem.target, "target")
    integral = network.is_integral and all(isinstance(t, int) for t in target)
    bound = 1
    for w, b in zip(network.weights, network.biases, strict=True):
        row_norm = int(np.max(np.sum(np.abs(w), axis=1), initial=0))
        bound = row_norm * bound + int(np.max(np.abs(b), initial=0))
    if not integral or bound + max((abs(int(t)) for t in target), default=0) >= _INT64_SAFE:
        return [problem.exact_loss(row) for row in vertices.tolist()]
    h = vertices
    for w, b in zip(network.weights, network.biases, strict=True):
        h = np.maximum(h @ np.asarray(w, dtype=np.int64).T + np.asarray(b, dtype=np.int64), 0)
    x = np.asarray([int(t) for t in target], dtype=np.int64)
    return [int(v) for v in np.sum(np.abs(h - x), axis=1)]
