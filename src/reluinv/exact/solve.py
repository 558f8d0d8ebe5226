"""The front door of exact inversion: :func:`solve_exact` and :func:`certify_unique`.

Both take an :class:`~reluinv.data.problem.InversionProblem` and dispatch to a backend:

``"cpsat"``
    OR-Tools CP-SAT, exact integer arithmetic; integer ReLU networks over binary or integer
    latent codes only (:mod:`reluinv.exact.cpsat`).
``"mip"``
    Big-M MIP through OR-Tools' pywraplp (SCIP by default, HiGHS on request); any network
    over a binary, integer or bounded real box (:mod:`reluinv.exact.mip`).
``"maxsat"``
    The network compiled unit by unit into CNF (order encoding), solved by python-sat:
    RC2 for ``"l1"``, CaDiCaL for ``"feasible"`` and ``"linf"``; integer ReLU networks over
    binary or small integer latent boxes (:mod:`reluinv.exact.maxsat_backend`).

Every returned latent code is verified outside the solver (:mod:`reluinv.exact.verify`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidArgumentError
from reluinv.exact.common import check_hint, check_objective, check_time_limit
from reluinv.exact.cpsat import certify_unique_cpsat, solve_cpsat
from reluinv.exact.maxsat_backend import solve_maxsat_backend
from reluinv.exact.mip import DEFAULT_MIP_SOLVER, BoundTightening, certify_unique_mip, solve_mip
from reluinv.exact.result import ExactResult, UniquenessResult
from reluinv.exact.verify import REAL_TOLERANCE, residual_tolerance, verify_latent

__all__ = [
    "EXACT_BACKENDS",
    "UNIQUENESS_TOLERANCE",
    "Backend",
    "certify_unique",
    "solve_exact",
]

Backend = Literal["maxsat", "cpsat", "mip"]

#: The backends :func:`solve_exact` accepts, fastest first (measured by
#: ``python -m benchmarks`` on random 3-CNF reductions with a binary latent: on the l1
#: optimum of over-constrained formulas the maxsat backend runs 1.3-2x RC2's time and
#: CP-SAT 6-7x; on small decision questions CP-SAT's presolve is about 2x quicker than
#: the maxsat backend's compilation, both far behind CaDiCaL alone).
EXACT_BACKENDS: tuple[Backend, ...] = ("maxsat", "cpsat", "mip")

#: Default of :func:`certify_unique`'s ``tol`` on real domains: two pre-images closer than
#: this in linf count as the same point.
UNIQUENESS_TOLERANCE = 1e-4


def _check_backend(backend: object) -> Backend:
    if backend not in EXACT_BACKENDS:
        names = ", ".join(repr(b) for b in EXACT_BACKENDS)
        raise InvalidArgumentError(f"backend must be one of {names}, got {backend!r}")
    return backend


def _check_problem(problem: object) -> InversionProblem:
    if not isinstance(problem, InversionProblem):
        raise TypeError(
            f"problem must be a reluinv.InversionProblem, got {type(problem).__name__}"
        )
    return problem


def _check_threads(threads: object) -> int:
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InvalidArgumentError(f"threads must be a positive integer, got {threads!r}")
    return threads


def _check_tol(tol: object, name: str) -> float:
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 <= tol < np.inf:
        raise InvalidArgumentError(f"{name} must be a finite number >= 0, got {tol!r}")
    return float(tol)


def solve_exact(
    problem: InversionProblem,
    *,
    backend: Backend = "cpsat",
    objective: str = "feasible",
    time_limit: float | None = None,
    hint: npt.ArrayLike | None = None,
    encoding: str | None = None,
    threads: int = 1,
    seed: int = 0,
    mip_solver: str = DEFAULT_MIP_SOLVER,
    bound_tightening: BoundTightening = "interval",
    tol: float = REAL_TOLERANCE,
) -> ExactResult:
    """Invert ``problem`` exactly: find ``z`` in the latent domain with
    ``G(z)[mask] = x[mask]``, or minimise ``||G(z) - x||`` over the observed outputs.

    Parameters
    ----------
    problem:
        The inversion problem (network, target, latent domain, optional mask).
    backend:
        ``"cpsat"`` (integer ReLU networks, binary/integer latents, exact), ``"maxsat"``
        (the same scope, compiled to CNF for python-sat; small integer ranges) or ``"mip"``
        (everything with a bounded latent box). See :data:`EXACT_BACKENDS`.
    objective:
        ``"feasible"``: a pre-image, or INFEASIBLE when none exists; ``"l1"`` / ``"linf"``:
        minimise that norm of ``G(z) - x`` on observed outputs.
    time_limit:
        Seconds for the solver (``None``: no limit). Reaching it gives FEASIBLE (with the
        incumbent) or UNKNOWN, never INFEASIBLE.
    hint:
        A starting latent code of shape ``(k,)`` (for example from a layer-wise inverter);
        the hidden values it implies are hinted too. It only guides the search.
    encoding:
        The ReLU encoding's name (:mod:`reluinv.exact.encodings`); default per backend.
    threads:
        Solver threads (1: deterministic; the maxsat backend is always single-threaded).
    seed:
        CP-SAT's random seed (unused by the other backends).
    mip_solver:
        ``"SCIP"`` or ``"HIGHS"`` (MIP backend).
    bound_tightening:
        ``"interval"`` or ``"lp"`` (MIP backend; LP-tightened big-M constants).
    tol:
        Float verification tolerance (see :mod:`reluinv.exact.verify`); reported in the
        result. Integer networks at integer points are verified exactly instead.

    Returns
    -------
    ExactResult
        Frozen; ``status``, verified ``z``, recomputed ``objective``, solver ``bound``, ...

    Raises
    ------
    UnsupportedProblemError
        CP-SAT on a real latent or non-integral network; MIP on an unbounded box.

    >>> import reluinv as ri
    >>> p = ri.encode(ri.parse_dimacs("p cnf 2 3\\n1 2 0\\n-1 0\\n-2 0\\n"))
    >>> r = ri.solve_exact(p, objective="l1")
    >>> r.status.name, r.objective, r.verified
    ('OPTIMAL', 1, True)
    """
    start = time.perf_counter()
    problem = _check_problem(problem)
    chosen = _check_backend(backend)
    kind = check_objective(objective)
    limit = check_time_limit(time_limit)
    workers = _check_threads(threads)
    tolerance = _check_tol(tol, "tol")
    if chosen == "cpsat":
        result = solve_cpsat(problem, objective=kind, time_limit=limit, hint=hint,
                             encoding=encoding, threads=workers, seed=int(seed))
    elif chosen == "maxsat":
        result = solve_maxsat_backend(problem, objective=kind, time_limit=limit, hint=hint,
                                      encoding=encoding)
    else:
        result = solve_mip(problem, objective=kind, time_limit=limit, hint=hint,
                           encoding=encoding, threads=workers, mip_solver=mip_solver,
                           bound_tightening=bound_tightening, tol=tolerance)
    return _with_seconds(result, time.perf_counter() - start)


def _with_seconds(result: ExactResult, seconds: float) -> ExactResult:
    return replace(result, seconds=seconds)


def certify_unique(
    problem: InversionProblem,
    z: npt.ArrayLike,
    *,
    backend: Backend = "mip",
    tol: float | None = None,
    residual_tol: float = REAL_TOLERANCE,
    time_limit: float | None = None,
    threads: int = 1,
    seed: int = 0,
    mip_solver: str = DEFAULT_MIP_SOLVER,
    bound_tightening: BoundTightening = "interval",
) -> UniquenessResult:
    """Prove that ``z`` is the only pre-image of the target in the latent domain, or find
    another one.

    Solves ``max ||z' - z||_inf`` subject to ``G(z')[mask] = x[mask]``, ``z'`` in the
    domain. UNIQUE when the proven maximum is at most ``tol``; NOT_UNIQUE with a verified
    second pre-image ``other`` farther than ``tol``; UNKNOWN otherwise (time limit).

    Parameters
    ----------
    problem, backend, time_limit, threads, seed, mip_solver, bound_tightening:
        As in :func:`solve_exact` (``backend`` ``"cpsat"`` or ``"mip"``).
    z:
        The pre-image to certify. It is verified first (exactly for integer networks at
        integer points, else within ``residual_tol``); a non-pre-image is an error.
    tol:
        Linf distance under which two pre-images count as the same: default
        :data:`UNIQUENESS_TOLERANCE` on real domains, 0 on binary/integer ones (exact).
    residual_tol:
        Float verification tolerance of ``z`` and of the second pre-image.

    >>> import reluinv as ri
    >>> p = ri.encode(ri.parse_dimacs("p cnf 2 2\\n1 2 0\\n-1 -2 0\\n"))
    >>> u = ri.certify_unique(p, [1, 0], backend="cpsat")
    >>> u.status.name, u.other.tolist()
    ('NOT_UNIQUE', [0.0, 1.0])
    """
    start = time.perf_counter()
    problem = _check_problem(problem)
    chosen = _check_backend(backend)
    if chosen == "maxsat":
        raise InvalidArgumentError(
            "certify_unique needs backend 'cpsat' or 'mip'; the maxsat backend has no "
            "distance objective"
        )
    limit = check_time_limit(time_limit)
    workers = _check_threads(threads)
    point = check_hint(problem, z, name="z")
    if point is None:
        raise TypeError("z must be a latent code of shape (k,), got None")
    residual_tolerance_ = _check_tol(residual_tol, "residual_tol")
    real = problem.domain.kind == "real"
    distance_tol = (UNIQUENESS_TOLERANCE if real else 0.0) if tol is None else _check_tol(
        tol, "tol")
    if not problem.domain.contains(point, tol=residual_tolerance_):
        raise InvalidArgumentError("z lies outside the latent domain")
    check = verify_latent(problem, point, "feasible", None, proven_optimal=False,
                          tol=residual_tolerance_)
    if not check.verified:
        raise InvalidArgumentError(
            f"z is not a pre-image of the target: max |G(z) - x| = {check.residual_linf:.3g} "
            f"(tolerance {residual_tolerance(problem, residual_tolerance_):.3g})"
        )
    if chosen == "cpsat":
        result = certify_unique_cpsat(problem, check.z, time_limit=limit, threads=workers,
                                      seed=int(seed))
    else:
        result = certify_unique_mip(problem, check.z, tol=distance_tol,
                                    residual_tol=residual_tolerance_, time_limit=limit,
                                    threads=workers, mip_solver=mip_solver,
                                    bound_tightening=bound_tightening)
    return replace(result, seconds=time.perf_counter() - start)
