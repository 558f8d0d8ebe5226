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
   solver proved optimality, must equal it; both within a slack of
   ``tol * max(1, |value|)`` (times the number of observed outputs for l1 in float).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.exact.result import Number, Objective, VerificationMethod

__all__ = ["REAL_TOLERANCE", "Verification", "residual_tolerance", "verify_latent"]

#: Default tolerance of float verification: on the residual ``max |G(z) - x|`` scaled by
#: ``max(1, max |x|)``, and on objective agreement (see the module docstring).
REAL_TOLERANCE = 1e-6


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
    claim = (objective, solver_objective, proven_optimal, tol)
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
                 tol: float, notes: list[str]) -> Verification:
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
        slack = tol * max(1.0, abs(float(value)))
        ok = _objective_agrees(float(value), solver_objective, slack,
                               proven_optimal=proven_optimal)
        if not ok:
            notes.append(f"recomputed objective {value} != solver's {solver_objective}")
    return Verification(candidate, ok and in_domain, "exact", value, float(linf), 0.0,
                        "; ".join(notes))


def _float_check(problem: InversionProblem, candidate: npt.NDArray[np.float64],
                 objective: Objective, solver_objective: float | None, proven_optimal: bool,
                 tol: float, notes: list[str]) -> Verification:
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
        slack = tol * max(1.0, abs(value_f)) * (len(abs_f) if objective == "l1" else 1)
        ok = _objective_agrees(value_f, solver_objective, max(slack, tol),
                               proven_optimal=proven_optimal)
        if not ok:
            notes.append(f"recomputed objective {value_f:.9g} != solver's {solver_objective}")
    return Verification(candidate, ok and in_domain, "float", value_f, linf_f, tol,
                        "; ".join(notes))
