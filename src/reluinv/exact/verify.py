"""Verification of a solver's latent code outside the solver.

The network's own forward pass is the oracle. A solver returns ``z`` in floating point
(CP-SAT in integers); :func:`verify_latent`

1. rounds ``z`` to integers on binary and integer domains (and, on a real domain of an
   integer network, snaps ``z`` to the nearest integer point when every coordinate is
   within ``tol`` of it), clips a real ``z`` into its box (solvers may overshoot a bound
   by their feasibility tolerance);
2. recomputes ``G(z) - x`` on the observed outputs: in exact arithmetic (``int`` /
   ``Fraction``) when the network is integral, the target integral and ``z`` integral,
   otherwise in float64;
3. compares with the solver's claim: a pre-image must have zero residual (exact) or
   ``max |G(z) - x| <= tol * max(1, max |x|)`` (float). For an optimisation objective the
   recomputed value must not exceed the solver's (an incumbent's auxiliary error
   variables may over-estimate ``|G(z) - x|``, never under-estimate it) and, when the
   solver proved optimality, must equal it; both within the slack of
   :func:`objective_slack`: the larger of ``tol * max(1, |value|)`` (times the number of
   observed outputs for l1 in float) and the engine's own error bound
   :func:`engine_objective_slack`, the latter capped at
   ``ENGINE_SLACK_CAP * max(1, |value|)``; on an exact check (an integer objective) the
   slack stays below 1/2, so an engine value nearer another integer is another claim.

Why the engine's error bound: a MIP engine satisfies each row of its model, and each
integrality, only within its feasibility tolerance ``phi``
(:data:`ENGINE_FEASIBILITY_TOLERANCE`), and these errors add up along the network. Its
reported objective on its own point can thus sit below the exact objective of the checked
point by far more than ``phi``: on a 3-layer integer network SCIP reported an l1 optimum
(objective and bound) of 0.99999667 for a point whose exact loss is 1, the true optimum.
Comparing the two within ``1e-6`` rejected a correct optimum. The worst case is loose
(every row off by ``phi`` in the same direction, every big-M constant at its bound), and
on large or weighted networks it reaches the objective's own scale; the cap keeps the
check meaningful there: an engine value more than a thousandth of the objective away is
read as a wrong model, not as a tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.exact.result import Number, Objective, VerificationMethod

__all__ = [
    "ENGINE_FEASIBILITY_TOLERANCE",
    "REAL_TOLERANCE",
    "Verification",
    "engine_objective_slack",
    "objective_slack",
    "residual_tolerance",
    "verify_latent",
]

#: Default tolerance of float verification: on the residual ``max |G(z) - x|`` scaled by
#: ``max(1, max |x|)``, and on objective agreement (see the module docstring).
REAL_TOLERANCE = 1e-6

#: The MIP engines' primal feasibility and integrality tolerance (SCIP's
#: ``numerics/feastol``; HiGHS's ``primal_feasibility_tolerance`` and
#: ``mip_feasibility_tolerance``; all 1e-6 by default): each row of the engine's model, and
#: each integrality, holds only within it, relative to ``max(1, |row side|)``.
ENGINE_FEASIBILITY_TOLERANCE = 1e-6

#: The most of :func:`engine_objective_slack` that :func:`objective_slack` grants, relative
#: to ``max(1, |objective|)``: 1e-3, a thousand times the engines' tolerance.
ENGINE_SLACK_CAP = 1e-3

#: The largest slack below 1/2: on an integer objective a larger one would accept an
#: engine value nearer another integer.
_BELOW_HALF = math.nextafter(0.5, 0.0)


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_latent`.

    ``z`` is the checked (rounded / snapped / clipped) latent code, ``objective`` the
    recomputed objective (linf residual for ``"feasible"``), ``residual_linf`` the float
    value of ``max |G(z) - x|``, ``tolerance`` 0.0 for exact checks.
    """

    z: npt.NDArray[np.float64]
    verified: bool
    method: VerificationMethod
    objective: Number
    residual_linf: float
    tolerance: float
    note: str


def residual_tolerance(problem: InversionProblem, tol: float) -> float:
    """The absolute residual tolerance ``tol * max(1, max |x|)`` over observed outputs."""
    x = problem.target[problem.observed]
    return tol * max(1.0, float(np.max(np.abs(x), initial=0.0)))


def _row_norm(w: Any) -> float:
    """``||W||_inf``, the largest absolute row sum (dense or CSR)."""
    sums = np.asarray(abs(w).sum(axis=1), dtype=np.float64).ravel()
    return float(np.max(sums, initial=0.0))


def engine_objective_slack(problem: InversionProblem, objective: Objective, *,
                           feasibility_tol: float = ENGINE_FEASIBILITY_TOLERANCE) -> float:
    """How far a MIP engine's objective on its own point may lie from the exact objective
    of the checked point, when each row and each integrality of its model holds only
    within ``phi = feasibility_tol`` (relative to the row's magnitude).

    The error is carried through the layers. The checked ``z`` differs from the engine's
    by at most ``phi`` per coordinate (rounding, clipping), so with ``B_0`` the largest
    ``|z|`` of the box, ``B_i = ||W_i||_inf B_{i-1} + ||b_i||_inf`` (a bound on every
    ``|t_i|``, hence on every big-M constant of layer ``i``) and::

        delta_0 = phi
        delta_i = ||W_i||_inf delta_{i-1} + 2 phi (1 + B_i)

    ``delta_i`` bounds the error of every unit of layer ``i``: the pre-activation row adds
    ``phi (1 + B_i)``, the activation's rows another (a phase binary ``phi`` away from 0 or
    1 moves a big-M row by ``phi`` times its constant), and ``s`` is 1-Lipschitz. Each
    observed output's error variable adds ``phi``: the slack is ``|O| (delta_d + phi)``
    for ``"l1"`` and ``delta_d + phi`` otherwise. It is a worst case, not an estimate;
    ``0.0`` on an unbounded latent box (no big-M model exists there) or when it would
    overflow.

    >>> from reluinv.data.network import ReluNetwork
    >>> from reluinv.data.problem import InversionProblem, LatentDomain
    >>> p = InversionProblem(ReluNetwork([[[1, -1]]], [[0]]), [1.0], LatentDomain.binary(2))
    >>> round(engine_objective_slack(p, "l1") / ENGINE_FEASIBILITY_TOLERANCE, 6)
    9.0
    """
    domain = problem.domain
    if not domain.is_bounded:
        return 0.0
    phi = feasibility_tol
    reach = float(np.max(np.abs(np.concatenate([domain.lower, domain.upper])), initial=0.0))
    delta = phi
    for w, b in zip(problem.network.weights, problem.network.biases, strict=True):
        norm = _row_norm(w)
        reach = norm * reach + float(np.max(np.abs(b), initial=0.0))
        delta = norm * delta + 2 * phi * (1 + reach)
    outputs = len(problem.observed) if objective == "l1" else 1
    slack = outputs * (delta + phi)
    return slack if math.isfinite(slack) else 0.0


def objective_slack(value: float, objective: Objective, observed: int, tol: float,
                    engine_slack: float, *, integral: bool) -> float:
    """The slack within which a recomputed objective ``value`` and an engine's claim must
    agree (module docstring).

    ``max(tol * max(1, |value|) * n, min(engine_slack, ENGINE_SLACK_CAP * max(1,
    |value|)))`` with ``n`` the ``observed`` outputs for a float ``"l1"`` and 1 otherwise;
    with ``integral`` (an exactly recomputed integer objective, ``n = 1``) at most the
    largest float below 1/2.

    >>> objective_slack(1.0, "l1", 2, 1e-6, 3.3e-6, integral=True)
    3.3e-06
    >>> objective_slack(4.0, "l1", 2, 1e-6, 80.0, integral=True)
    0.004
    >>> objective_slack(1e4, "linf", 2, 1e-6, 80.0, integral=True)
    0.49999999999999994
    """
    scale = max(1.0, abs(value))
    outputs = max(1, observed) if objective == "l1" and not integral else 1
    slack = max(tol * scale * outputs, min(engine_slack, ENGINE_SLACK_CAP * scale))
    return min(slack, _BELOW_HALF) if integral else slack


def _integral(values: npt.NDArray[np.float64]) -> bool:
    return bool(np.all(values == np.round(values)))


def _exactly_checkable(problem: InversionProblem) -> bool:
    net = problem.network
    return (net.activation == "relu" and net.is_integral and _integral(problem.target))


def _objective_agrees(value: float, claimed: float | None, slack: float,
                      *, proven_optimal: bool) -> bool:
    """The solver claims some ``z`` reaches ``claimed``: the recomputed ``value`` must not
    exceed it; when the claim is a proven optimum it must not be below it either."""
    if claimed is None:
        return True
    if value > claimed + slack:
        return False
    return not (proven_optimal and value < claimed - slack)


def verify_latent(
    problem: InversionProblem,
    z: npt.ArrayLike,
    objective: Objective,
    solver_objective: float | None,
    *,
    proven_optimal: bool,
    tol: float = REAL_TOLERANCE,
) -> Verification:
    """Re-check a solver's ``z`` against the network (see the module docstring).

    On a real domain of an integer network a ``z`` within ``tol`` of an integer point is
    first snapped to it and checked exactly; if that check fails, the unsnapped ``z`` is
    checked in float64 instead.
    """
    raw = np.asarray(z, dtype=np.float64)
    domain = problem.domain
    engine = 0.0 if objective == "feasible" else engine_objective_slack(problem, objective)
    claim = (objective, solver_objective, proven_optimal, tol, engine)
    if domain.kind != "real":
        candidate = np.round(raw) + 0.0  # + 0.0 turns -0.0 into 0.0
        if _exactly_checkable(problem):
            return _exact_check(problem, candidate, *claim, [])
        return _float_check(problem, candidate, *claim, [])
    candidate = np.clip(raw, domain.lower, domain.upper)
    snapped = np.round(candidate) + 0.0
    if (_exactly_checkable(problem) and np.all(np.abs(snapped - candidate) <= tol)
            and domain.contains(snapped)):
        exact = _exact_check(problem, snapped, *claim,
                             ["z snapped to the nearest integer point"])
        if exact.verified:
            return exact
    return _float_check(problem, candidate, *claim, [])


def _domain_notes(problem: InversionProblem, candidate: npt.NDArray[np.float64],
                  notes: list[str]) -> bool:
    inside = problem.domain.contains(candidate)
    if not inside:
        notes.append("z lies outside the latent domain")
    return inside


def _exact_check(problem: InversionProblem, candidate: npt.NDArray[np.float64],
                 objective: Objective, solver_objective: float | None, proven_optimal: bool,
                 tol: float, engine_slack: float, notes: list[str]) -> Verification:
    """Residual and objective in exact arithmetic (integer network, integer ``z``)."""
    in_domain = _domain_notes(problem, candidate, notes)
    residual = problem.exact_residual(candidate)
    abs_res = [v if v >= 0 else -v for v in residual]
    linf = max(abs_res, default=0)
    value: Number
    if objective == "l1":
        total: int | Fraction = 0
        for v in abs_res:
            total += v
        value = total
    else:
        value = linf
    if objective == "feasible":
        ok = linf == 0
        if not ok:
            notes.append(f"G(z) differs from x by {float(linf)} (exact)")
    else:
        slack = objective_slack(float(value), objective, len(residual), tol, engine_slack,
                                integral=True)
        ok = _objective_agrees(float(value), solver_objective, slack,
                               proven_optimal=proven_optimal)
        if not ok:
            notes.append(f"recomputed objective {value} != solver's {solver_objective} "
                         f"(slack {slack:.3g})")
    return Verification(candidate, ok and in_domain, "exact", value, float(linf), 0.0,
                        "; ".join(notes))


def _float_check(problem: InversionProblem, candidate: npt.NDArray[np.float64],
                 objective: Objective, solver_objective: float | None, proven_optimal: bool,
                 tol: float, engine_slack: float, notes: list[str]) -> Verification:
    """Residual and objective in float64 within ``tol`` (see the module docstring)."""
    in_domain = _domain_notes(problem, candidate, notes)
    abs_f = np.abs(problem.residual(candidate))
    linf_f = float(np.max(abs_f, initial=0.0))
    bound = residual_tolerance(problem, tol)
    if objective == "feasible":
        value_f = linf_f
        ok = linf_f <= bound
        if not ok:
            notes.append(f"max |G(z) - x| = {linf_f:.3g} exceeds tolerance {bound:.3g}")
    else:
        value_f = float(np.sum(abs_f)) if objective == "l1" else linf_f
        slack = objective_slack(value_f, objective, len(abs_f), tol, engine_slack,
                                integral=False)
        ok = _objective_agrees(value_f, solver_objective, slack,
                               proven_optimal=proven_optimal)
        if not ok:
            notes.append(f"recomputed objective {value_f:.9g} != solver's {solver_objective} "
                         f"(slack {slack:.3g})")
    return Verification(candidate, ok and in_domain, "float", value_f, linf_f, tol,
                        "; ".join(notes))
