"""The front door of exact inversion: :func:`solve_exact` and :func:`certify_unique`.

Both take an :class:`~reluinv.data.problem.InversionProblem` and dispatch to a backend of
the registry (:mod:`reluinv.exact.registry`):

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
``"auto"`` (the default)
    The fastest of these that supports the problem, by the rule of
    :mod:`reluinv.exact.registry`.

Every returned latent code is verified outside the solver (:mod:`reluinv.exact.verify`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import cast

import numpy.typing as npt

from reluinv.arguments import check_choice, check_nonnegative, check_time_limit
from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidArgumentError, InvalidTypeError, UnsupportedProblemError
from reluinv.exact.backend import (
    BackendOptions,
    BoundTightening,
    CertifyingBackend,
    ExactBackend,
    check_problem,
    run_backend,
)
from reluinv.exact.common import OBJECTIVES, check_hint
from reluinv.exact.registry import (
    AUTO,
    AUTO_ORDER,
    BACKEND_CHOICES,
    BACKENDS,
    EXACT_BACKENDS,
    UNIQUENESS_ORDER,
    BackendChoice,
    auto_candidates,
    options_for,
)
from reluinv.exact.result import ExactResult, Objective, UniquenessResult
from reluinv.exact.verify import REAL_TOLERANCE, residual_tolerance, verify_latent

__all__ = [
    "EXACT_BACKENDS",
    "UNIQUENESS_TOLERANCE",
    "Backend",
    "certify_unique",
    "solve_exact",
]

#: The values of ``backend`` (kept under its old name).
Backend = BackendChoice

#: Default of :func:`certify_unique`'s ``tol`` on real domains: two pre-images closer than
#: this in linf count as the same point.
UNIQUENESS_TOLERANCE = 1e-4


def _given(**options: object) -> dict[str, object]:
    """The options the caller gave (``None`` means "not given")."""
    return {name: value for name, value in options.items() if value is not None}


def _remaining(time_limit: float | None, start: float) -> float | None:
    if time_limit is None:
        return None
    return max(time_limit - (time.perf_counter() - start), 1e-3)


def solve_exact(
    problem: InversionProblem,
    *,
    backend: BackendChoice = "auto",
    objective: Objective = "feasible",
    time_limit: float | None = None,
    hint: npt.ArrayLike | None = None,
    encoding: str | None = None,
    threads: int | None = None,
    seed: int | None = None,
    mip_solver: str | None = None,
    bound_tightening: BoundTightening | None = None,
    tol: float | None = None,
    infeasible_evidence: str | None = None,
    emphasis: str | None = None,
) -> ExactResult:
    """Invert ``problem`` exactly: find ``z`` in the latent domain with
    ``G(z)[mask] = x[mask]``, or minimise ``||G(z) - x||`` over the observed outputs.

    Parameters
    ----------
    problem:
        The inversion problem (network, target, latent domain, optional mask).
    backend:
        ``"auto"`` (default): the fastest backend that takes the options given and
        supports the problem, by the documented rule of :mod:`reluinv.exact.registry`:
        objective ``"feasible"`` tries cpsat, maxsat, mip; ``"l1"`` and ``"linf"`` try
        maxsat, cpsat, mip (measured: CP-SAT decides about 2x quicker than the maxsat
        backend compiles; on optima the maxsat backend is 1.3-2x RC2's time, CP-SAT 6-7x);
        the first whose ``supports`` accepts the problem is used. Real latents,
        non-integral networks and leaky ReLU only go to mip; a maxsat compilation that
        refuses (value sets above its limit) falls through to the next. The result's
        ``backend`` names the backend used and its ``message`` says auto chose it. Or one
        of :data:`EXACT_BACKENDS`:
        ``"cpsat"`` (integer ReLU networks, binary/integer latents, exact), ``"maxsat"``
        (the same scope, compiled to CNF for python-sat; small integer ranges) or ``"mip"``
        (everything with a bounded latent box).
    objective:
        ``"feasible"``: a pre-image, or INFEASIBLE when none exists; ``"l1"`` / ``"linf"``:
        minimise that norm of ``G(z) - x`` on observed outputs.
    time_limit:
        Seconds for the solver (``None`` or ``math.inf``: no limit). Reaching it gives
        FEASIBLE (with the incumbent) or UNKNOWN, never INFEASIBLE. Under auto, a backend
        tried after a refused compilation gets what is left of it.
    hint:
        A starting latent code of shape ``(k,)`` (for example from a layer-wise inverter);
        the hidden values it implies are hinted too. It only guides the search.

    Other Parameters
    ----------------
    encoding, threads, seed, mip_solver, bound_tightening, tol, infeasible_evidence, emphasis:
        Backend options; ``None`` means "not given" (the backend's default). Giving one
        the chosen backend does not take raises :class:`InvalidArgumentError` naming the
        option and the backends that take it; under auto, the options given restrict the
        candidates to the backends that take them (``mip_solver="HIGHS"`` -> mip).

        * ``encoding`` (all): the ReLU encoding's name (:mod:`reluinv.exact.encodings`);
        * ``threads`` (cpsat, mip): solver threads, default 1 (deterministic);
        * ``seed`` (cpsat): CP-SAT's random seed, default 0;
        * ``mip_solver`` (mip): ``"SCIP"`` (default) or ``"HIGHS"``;
        * ``bound_tightening`` (mip): ``"interval"`` (default) or ``"lp"`` (LP-tightened
          big-M constants);
        * ``tol`` (mip): float verification tolerance (:mod:`reluinv.exact.verify`),
          default :data:`~reluinv.exact.verify.REAL_TOLERANCE`, reported in the result
          (cpsat and maxsat verify integer points exactly).
        * ``infeasible_evidence`` (mip): the caller's statement of an independent, checked
          proof that no solution exists; it then confirms SCIP's INFEASIBLE in place of a
          HiGHS solve (:mod:`reluinv.exact.mip`). It never turns another answer into
          INFEASIBLE: a point SCIP finds is returned and verified.
        * ``emphasis`` (mip, SCIP): ``"default"`` or ``"bound"`` (primal heuristics off,
          one root round of cuts: for a hint that is already optimal;
          :data:`reluinv.exact.mip.SCIP_BOUND_EMPHASIS` has the measurements).

    Returns
    -------
    ExactResult
        Frozen; ``status``, verified ``z``, recomputed ``objective``, solver ``bound``, ...

    Raises
    ------
    UnsupportedProblemError
        The backend named cannot answer the question exactly (CP-SAT on a real latent or
        a non-integral network; MIP on an unbounded box), or no backend can (auto).
    InvalidArgumentError, InvalidTypeError
        A bad argument, or an option the backend does not take.

    >>> import reluinv as ri
    >>> p = ri.encode(ri.parse_dimacs("p cnf 2 3\\n1 2 0\\n-1 0\\n-2 0\\n"))
    >>> r = ri.solve_exact(p, objective="l1")
    >>> r.status.name, r.objective, r.verified
    ('OPTIMAL', 1, True)
    """
    start = time.perf_counter()
    problem = check_problem(problem)
    chosen = check_choice(backend, "backend", BACKEND_CHOICES)
    kind = check_choice(objective, "objective", OBJECTIVES)
    limit = check_time_limit(time_limit)
    given = _given(encoding=encoding, threads=threads, seed=seed, mip_solver=mip_solver,
                   bound_tightening=bound_tightening, tol=tol,
                   infeasible_evidence=infeasible_evidence, emphasis=emphasis)
    if chosen != AUTO:
        options = options_for(chosen, given)
        result = run_backend(BACKENDS[chosen], problem, objective=kind, time_limit=limit,
                             hint=hint, options=options)
    else:
        result = _solve_auto(problem, kind, limit, hint, given, start)
    return replace(result, seconds=time.perf_counter() - start)


def _solve_auto(problem: InversionProblem, objective: Objective, time_limit: float | None,
                hint: npt.ArrayLike | None, given: Mapping[str, object],
                start: float) -> ExactResult:
    """The first backend of the auto rule that answers (see :mod:`reluinv.exact.registry`)."""
    order = AUTO_ORDER[objective]
    skipped: list[str] = []
    for backend, options in auto_candidates(order, given):
        reason = backend.supports(problem, objective)
        if reason is not None:
            skipped.append(f"{backend.name}: {reason}")
            continue
        try:
            result = run_backend(backend, problem, objective=objective,
                                 time_limit=_remaining(time_limit, start), hint=hint,
                                 options=options)
        except UnsupportedProblemError as exc:  # refused while building (maxsat's value sets)
            skipped.append(f"{backend.name}: {exc}")
            continue
        note = _auto_note(backend, order, skipped, objective)
        return replace(result, message=f"{result.message}; {note}")
    raise UnsupportedProblemError(
        "no exact backend supports this problem: " + "; ".join(skipped))


def _auto_note(backend: ExactBackend, order: tuple[str, ...], skipped: list[str],
               objective: str) -> str:
    note = (f"backend {backend.name!r} chosen by backend='auto' (order for objective "
            f"{objective!r}: {', '.join(order)})")
    return note if not skipped else f"{note}; skipped {'; '.join(skipped)}"


def certify_unique(
    problem: InversionProblem,
    z: npt.ArrayLike,
    *,
    backend: BackendChoice = "auto",
    tol: float | None = None,
    residual_tol: float = REAL_TOLERANCE,
    time_limit: float | None = None,
    encoding: str | None = None,
    threads: int | None = None,
    seed: int | None = None,
    mip_solver: str | None = None,
    bound_tightening: BoundTightening | None = None,
) -> UniquenessResult:
    """Prove that ``z`` is the only pre-image of the target in the latent domain, or find
    another one.

    Solves ``max ||z' - z||_inf`` subject to ``G(z')[mask] = x[mask]``, ``z'`` in the
    domain. UNIQUE when the proven maximum is at most ``tol``; NOT_UNIQUE with a verified
    second pre-image ``other`` farther than ``tol``; UNKNOWN otherwise (time limit).

    Parameters
    ----------
    problem, time_limit, encoding, threads, seed, mip_solver, bound_tightening:
        As in :func:`solve_exact`; an option the backend does not take is an error.
    backend:
        ``"auto"`` (default): cpsat when it supports the problem (integral ReLU network,
        binary or integer box) and takes the options given, else mip
        (:data:`~reluinv.exact.registry.UNIQUENESS_ORDER`; maxsat has no distance
        objective). Or ``"cpsat"`` / ``"mip"``.
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
    problem = check_problem(problem)
    chosen = check_choice(backend, "backend", BACKEND_CHOICES)
    if chosen != AUTO and not isinstance(BACKENDS[chosen], CertifyingBackend):
        raise InvalidArgumentError(
            "certify_unique needs backend 'auto', 'cpsat' or 'mip'; the maxsat backend has "
            "no distance objective"
        )
    limit = check_time_limit(time_limit)
    given = _given(encoding=encoding, threads=threads, seed=seed, mip_solver=mip_solver,
                   bound_tightening=bound_tightening)
    certifier, options = _pick_certifier(problem, chosen, given)
    point = check_hint(problem, z, name="z")
    if point is None:
        raise InvalidTypeError("z must be a latent code of shape (k,), got None")
    residual_tolerance_ = check_nonnegative(residual_tol, "residual_tol")
    real = problem.domain.kind == "real"
    distance_tol = ((UNIQUENESS_TOLERANCE if real else 0.0) if tol is None
                    else check_nonnegative(tol, "tol"))
    if not problem.domain.contains(point, tol=residual_tolerance_):
        raise InvalidArgumentError("z lies outside the latent domain")
    check = verify_latent(problem, point, "feasible", None, proven_optimal=False,
                          tol=residual_tolerance_)
    if not check.verified:
        raise InvalidArgumentError(
            f"z is not a pre-image of the target: max |G(z) - x| = {check.residual_linf:.3g} "
            f"(tolerance {residual_tolerance(problem, residual_tolerance_):.3g})"
        )
    result = certifier.certify_unique(problem, check.z, tol=distance_tol,
                                      residual_tol=residual_tolerance_, time_limit=limit,
                                      options=options)
    if chosen == AUTO:
        note = (f"backend {certifier.name!r} chosen by backend='auto' (order: "
                f"{', '.join(UNIQUENESS_ORDER)})")
        result = replace(result, message=f"{result.message}; {note}")
    return replace(result, seconds=time.perf_counter() - start)


def _pick_certifier(problem: InversionProblem, chosen: BackendChoice, given: Mapping[str, object]
                    ) -> tuple[CertifyingBackend, BackendOptions]:
    """The backend that certifies: ``chosen``, or by the auto rule of uniqueness."""
    if chosen != AUTO:
        certifier = cast(CertifyingBackend, BACKENDS[chosen])
        reason = certifier.supports(problem, "feasible")
        if reason is not None:
            raise UnsupportedProblemError(reason)
        return certifier, options_for(certifier.name, given, UNIQUENESS_ORDER)
    skipped: list[str] = []
    for backend, options in auto_candidates(UNIQUENESS_ORDER, given):
        reason = backend.supports(problem, "feasible")
        if reason is None and isinstance(backend, CertifyingBackend):
            return backend, options
        skipped.append(f"{backend.name}: {reason}")
    raise UnsupportedProblemError(
        "no backend certifies uniqueness on this problem: " + "; ".join(skipped))
