"""The CP-SAT backend: exact integer inversion of integer ReLU networks.

Scope: an integral network (integer weights and biases, ReLU) over a binary or integer
latent box. Then every pre-activation is an integer, the model is exact, and CP-SAT's
answers are proofs in integer arithmetic. Anything else raises
:class:`~reluinv.errors.UnsupportedProblemError` pointing to the MIP backend: CP-SAT
*scales continuous variables to integers*, so a real-valued question can come back with
a wrong INFEASIBLE (a model whose only solution is ``x = 1/3`` does; see the tests).

Model, for layers ``i = 1..d`` and units ``j`` (names ``z[j]``, ``h[i][j]``, ``a[i][j]``)::

    t_ij = sum_q W_i[j, q] h_{i-1, q} + b_i[j]      (h_0 = z, an integer linear expression)
    h_ij = t_ij                                      if lower(t_ij) >= 0   (always active)
    h_ij = 0                                         if upper(t_ij) <= 0   (always inactive)
    h_ij = max(t_ij, 0)                              otherwise, by the chosen encoding
    h_dj = t_dj                                      output layer of a linear head

with exact interval bounds (:mod:`reluinv.exact.bounds`). Objectives on observed outputs
``j``: ``"feasible"`` fixes each output's phase from ``x`` (``t_dj = x_j`` when ``x_j > 0``,
``t_dj <= 0`` when ``x_j = 0``) and needs no output variable; ``"l1"`` minimises
``sum_j e_j`` and ``"linf"`` minimises ``e`` with ``e_j >= |h_dj - x_j|`` (resp. ``e``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.errors import SolverError
from reluinv.exact.backend import BackendOptions, CpsatOptions, SolverAnswer
from reluinv.exact.bounds import NetworkBounds, Phase, interval_bounds
from reluinv.exact.common import output_fixes
from reluinv.exact.encodings import BackendName, ReluEncoding, get_encoding
from reluinv.exact.result import (
    ModelSize,
    Objective,
    Status,
    UniquenessResult,
    UniquenessStatus,
)
from reluinv.interrupts import stop_on_interrupt

__all__ = ["CPSAT", "CpsatBackend", "cpsat_unsupported"]

SOLVER_NAME = "CP-SAT"

#: CP-SAT works in int64 and rejects a model (MODEL_INVALID) whose domains or linear
#: sums could overflow, and it reports objectives as doubles (an l1 optimum of 1 next to
#: a target of 2^53 + 1 came back as 0.0): the backend refuses up front whatever could
#: reach this magnitude, so that every number of the model is exact in both.
CPSAT_INT_LIMIT = 2**53


def cpsat_unsupported(problem: InversionProblem, objective: Objective) -> str | None:
    """Why CP-SAT cannot answer ``objective`` on ``problem`` exactly, or ``None``.

    It needs an integral ReLU network over a binary or integer box, and for ``"l1"`` /
    ``"linf"`` an integer target (the realizable case sends a non-integer target to
    INFEASIBLE before any model: :func:`reluinv.exact.backend.infeasible_by_target`).
    """
    net = problem.network
    if problem.domain.kind == "real":
        return ("the cpsat backend needs a binary or integer latent domain, got a real box; "
                "CP-SAT scales continuous variables to integers and can answer wrongly: use "
                "backend='mip'")
    if net.activation != "relu":
        return ("the cpsat backend needs a ReLU network with integer weights; leaky ReLU "
                f"(alpha = {net.slope}) is not integral: use backend='mip'")
    if not net.is_integral:
        return ("the cpsat backend needs integer weights and biases; this network has "
                "non-integer entries: use backend='mip'")
    x = problem.target[problem.observed]
    if objective != "feasible" and not np.all(x == np.round(x)):
        return ("the cpsat backend needs an integer target for objectives 'l1' and 'linf': "
                "use backend='mip'")
    return _range_unsupported(problem)


def _range_unsupported(problem: InversionProblem) -> str | None:
    """Why CP-SAT's int64 arithmetic cannot hold ``problem``, or ``None``: every latent
    bound, pre-activation bound (:meth:`~reluinv.data.network.ReluNetwork.magnitude_bounds`),
    target and the l1 objective's sum must stay below :data:`CPSAT_INT_LIMIT`."""
    rule = (f"the cpsat backend needs every latent bound, pre-activation bound, target "
            f"value and objective within +-2^53 = {CPSAT_INT_LIMIT} (CP-SAT works in int64 "
            "and reports objectives as doubles)")
    domain = problem.domain
    radius = max((abs(int(v)) for v in (*domain.lower.tolist(), *domain.upper.tolist())),
                 default=0)
    if radius >= CPSAT_INT_LIMIT:
        return f"{rule}: the latent box reaches {radius}"
    for i, bound in enumerate(problem.network.magnitude_bounds(radius), start=1):
        if bound >= CPSAT_INT_LIMIT:
            return f"{rule}: layer {i}'s pre-activations may reach {bound}"
    observed = problem.target[problem.observed]
    target = max((abs(int(v)) for v in observed.tolist()), default=0)
    span = problem.network.magnitude_bounds(radius)[-1] + target
    if span * max(len(observed), 1) >= CPSAT_INT_LIMIT:
        return f"{rule}: the output errors may sum to {span * len(observed)}"
    return None


@dataclass
class _Formulation:
    model: Any
    z: list[Any]
    outputs: dict[int, Any]  # observed output unit -> its expression h_dj (not realizable)
    hint_terms: list[tuple[Any, int, int, str]]  # (var, layer, unit, "y" | "active")
    size_counts: dict[str, int]


def _build(problem: InversionProblem, encoding: ReluEncoding, bounds: NetworkBounds,
           *, realizable: bool) -> _Formulation:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    net = problem.network
    domain = problem.domain
    z = [model.new_int_var(int(lo), int(hi), f"z[{j}]")
         for j, (lo, hi) in enumerate(zip(domain.lower, domain.upper, strict=True))]
    counts: dict[str, int] = dict.fromkeys(
        ("binaries", "stable_active", "stable_inactive", "fixed_by_target", "unstable",
         "linear_outputs"), 0)
    hint_terms: list[tuple[Any, int, int, str]] = []
    h: list[Any] = list(z)  # None marks a unit that is constantly 0
    observed = problem.observed.tolist()
    fixes = {f.unit: f for f in output_fixes(problem)[0]} if realizable else {}
    outputs: dict[int, Any] = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        last = i == net.depth - 1
        units = observed if last else range(w.shape[0])
        nxt: list[Any] = [None] * w.shape[0]
        for j in units:
            cols = [q for q in np.flatnonzero(w[j]).tolist() if h[q] is not None]
            t = cp_model.LinearExpr.weighted_sum([h[q] for q in cols],
                                                [int(w[j, q]) for q in cols]) + int(b[j])
            lo, hi = bounds.lower[i][j], bounds.upper[i][j]
            label = f"[{i + 1}][{j}]"
            if last and realizable:
                fix = fixes[j]
                counts["fixed_by_target"] += 1
                if fix.pre is None:
                    model.add(t <= 0)
                else:
                    model.add(t == int(fix.pre))
                continue
            phase = bounds.phase(i, j)
            if last and net.output_linear:
                counts["linear_outputs"] += 1
                y = model.new_int_var(int(lo), int(hi), f"h{label}")
                model.add(y == t)
            elif phase is Phase.INACTIVE:
                counts["stable_inactive"] += 1
                if last:
                    outputs[j] = 0
                continue
            elif phase is Phase.ACTIVE:
                counts["stable_active"] += 1
                y = model.new_int_var(int(lo), int(hi), f"h{label}")
                model.add(y == t)
            else:
                counts["unstable"] += 1
                unit = encoding.add_unit(model, t, int(lo), int(hi), 0.0, label)
                y = unit.y
                if unit.active is not None:
                    counts["binaries"] += 1
                    hint_terms.append((unit.active, i, j, "active"))
            hint_terms.append((y, i, j, "y"))
            nxt[j] = y
            if last:
                outputs[j] = y
        h = nxt
    return _Formulation(model, z, outputs, hint_terms, counts)


def _model_size(form: _Formulation) -> ModelSize:
    proto = form.model.proto
    return ModelSize(variables=len(proto.variables), constraints=len(proto.constraints),
                     **form.size_counts)


def _add_hint(problem: InversionProblem, form: _Formulation,
              hint: npt.NDArray[np.float64]) -> None:
    z_int = [int(v) for v in np.round(hint)]
    for var, value in zip(form.z, z_int, strict=True):
        form.model.add_hint(var, value)
    net = problem.network
    pre = net.exact_pre_activations(z_int)
    for var, layer, unit, kind in form.hint_terms:
        t = pre[layer][unit]
        if kind == "active":
            form.model.add_hint(var, int(t > 0))
        elif net.output_linear and layer == net.depth - 1:
            form.model.add_hint(var, int(t))
        else:
            form.model.add_hint(var, int(max(t, 0)))


def _make_solver(time_limit: float | None, threads: int, seed: int) -> Any:
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = threads
    solver.parameters.random_seed = seed
    # Ctrl-C is left to reluinv.interrupts: CP-SAT's own handler returns UNKNOWN and then
    # resets SIGINT to SIG_DFL, so the next Ctrl-C would kill the interpreter
    solver.parameters.catch_sigint_signal = False
    return solver


def _status(code: Any) -> Status:
    from ortools.sat.python import cp_model

    mapping = {cp_model.OPTIMAL: Status.OPTIMAL, cp_model.FEASIBLE: Status.FEASIBLE,
               cp_model.INFEASIBLE: Status.INFEASIBLE, cp_model.UNKNOWN: Status.UNKNOWN}
    if code not in mapping:
        raise SolverError(f"CP-SAT rejected the model: status {code}")
    return mapping[code]


def _add_objective(form: _Formulation, bounds: NetworkBounds, problem: InversionProblem,
                   objective: Objective) -> None:
    """``min sum_j e_j`` (l1) or ``min e`` (linf) with ``e_j >= |h_dj - x_j|``."""
    model = form.model
    errors = []
    for j, y in form.outputs.items():
        xj = int(problem.target[j])
        top_y = max(int(bounds.upper[-1][j]), 0)  # 0 <= h_dj <= max(upper, 0)
        low_y = int(bounds.lower[-1][j]) if problem.network.output_linear else 0
        span = max(abs(xj - low_y), abs(top_y - xj))
        e = model.new_int_var(0, span, f"e[{j}]")
        model.add(e >= y - xj)
        model.add(e >= xj - y)
        errors.append((e, span))
    if objective == "l1":
        model.minimize(sum(e for e, _ in errors))
    else:
        top = model.new_int_var(0, max((span for _, span in errors), default=0), "e_max")
        for e, _ in errors:
            model.add(top >= e)
        model.minimize(top)


def _solve(problem: InversionProblem, objective: Objective, time_limit: float | None,
           hint: npt.NDArray[np.float64] | None, options: CpsatOptions) -> SolverAnswer:
    """Build and solve the CP-SAT model of ``problem`` (see the module docstring)."""
    chosen = get_encoding("cpsat", options.encoding)
    realizable = objective == "feasible"
    bounds = interval_bounds(problem.network, problem.domain.lower, problem.domain.upper,
                             exact=True)
    form = _build(problem, chosen, bounds, realizable=realizable)
    model = form.model
    if not realizable:
        _add_objective(form, bounds, problem, objective)
    if hint is not None:
        _add_hint(problem, form, hint)
    size = _model_size(form)
    solver = _make_solver(time_limit, options.threads, options.seed)
    with stop_on_interrupt(solver.stop_search):
        code = solver.solve(model)
    status = _status(code)
    message = f"CP-SAT {solver.status_name(code)}"
    has_solution = status in (Status.OPTIMAL, Status.FEASIBLE)
    solver_objective: float | None = None
    if has_solution:
        solver_objective = 0.0 if realizable else float(solver.objective_value)
    bound: float | None
    if realizable:
        bound = 0.0 if has_solution else None
    elif status is Status.INFEASIBLE:
        bound = None
    else:
        bound = float(solver.best_objective_bound)
    z = (np.array([solver.value(v) for v in form.z], dtype=np.float64) if has_solution
         else None)
    return SolverAnswer(status=status, z=z, solver_objective=solver_objective, bound=bound,
                        message=message, solver=SOLVER_NAME, model=size)


def _certify_unique(problem: InversionProblem, z: npt.NDArray[np.float64], *,
                    time_limit: float | None, options: CpsatOptions) -> UniquenessResult:
    """Maximise ``||z' - z||_inf`` over integer pre-images ``z'`` (exact; tolerance 0)."""
    start = time.perf_counter()
    chosen = get_encoding("cpsat", options.encoding)
    bounds = interval_bounds(problem.network, problem.domain.lower, problem.domain.upper,
                             exact=True)
    form = _build(problem, chosen, bounds, realizable=True)
    model = form.model
    z0 = [int(v) for v in z]
    gaps = []
    for j, (var, value) in enumerate(zip(form.z, z0, strict=True)):
        lo, hi = int(problem.domain.lower[j]), int(problem.domain.upper[j])
        gap = model.new_int_var(0, max(abs(lo - value), abs(hi - value)), f"d[{j}]")
        model.add_abs_equality(gap, var - value)
        gaps.append(gap)
    span = max((int(problem.domain.upper[j] - problem.domain.lower[j])
                for j in range(len(z0))), default=0)
    distance = model.new_int_var(0, span, "d_max")
    if gaps:
        model.add_max_equality(distance, gaps)
    else:
        model.add(distance == 0)
    model.maximize(distance)
    _add_hint(problem, form, np.asarray(z0, dtype=np.float64))
    size = _model_size(form)
    solver = _make_solver(time_limit, options.threads, options.seed)
    with stop_on_interrupt(solver.stop_search):
        code = solver.solve(model)
    status = _status(code)
    message = f"CP-SAT {solver.status_name(code)}"
    base: dict[str, Any] = {"z": np.asarray(z0, dtype=np.float64), "tol": 0.0,
                            "residual_tolerance": 0.0, "backend": "cpsat",
                            "solver": SOLVER_NAME, "model": size}
    if status is Status.INFEASIBLE:
        raise SolverError("CP-SAT found no pre-image although z was verified to be one")
    bound = None if status is Status.UNKNOWN else float(solver.best_objective_bound)
    if status is Status.UNKNOWN:
        return UniquenessResult(status=UniquenessStatus.UNKNOWN, other=None, distance=None,
                                bound=bound, seconds=time.perf_counter() - start,
                                message=message, verified=False, **base)
    found = np.array([solver.value(v) for v in form.z], dtype=np.float64)
    best = float(np.max(np.abs(found - np.asarray(z0)), initial=0.0))
    if best > 0:
        verified = problem.is_preimage(found)
        return UniquenessResult(
            status=UniquenessStatus.NOT_UNIQUE if verified else UniquenessStatus.UNKNOWN,
            other=found, distance=best, bound=bound, seconds=time.perf_counter() - start,
            message=message if verified else f"{message}; second pre-image failed the check",
            verified=verified, **base)
    unique = status is Status.OPTIMAL
    return UniquenessResult(
        status=UniquenessStatus.UNIQUE if unique else UniquenessStatus.UNKNOWN,
        other=None, distance=None, bound=bound, seconds=time.perf_counter() - start,
        message=message, verified=unique, **base)


class CpsatBackend:
    """The cpsat backend as an :class:`~reluinv.exact.backend.ExactBackend` (and a
    :class:`~reluinv.exact.backend.CertifyingBackend`); the math is the module docstring."""

    name: BackendName = "cpsat"
    options_type: type[BackendOptions] = CpsatOptions

    def supports(self, problem: InversionProblem, objective: Objective) -> str | None:
        """See :func:`cpsat_unsupported`."""
        return cpsat_unsupported(problem, objective)

    def solver_name(self, objective: Objective, options: BackendOptions) -> str:
        """Always ``"CP-SAT"``."""
        return SOLVER_NAME

    def solve(self, problem: InversionProblem, objective: Objective,
              time_limit: float | None, hint: npt.NDArray[np.float64] | None,
              options: BackendOptions) -> SolverAnswer:
        """Build and solve the CP-SAT model (module docstring)."""
        return _solve(problem, objective, time_limit, hint, cast(CpsatOptions, options))

    def certify_unique(self, problem: InversionProblem, z: npt.NDArray[np.float64], *,
                       tol: float, residual_tol: float, time_limit: float | None,
                       options: BackendOptions) -> UniquenessResult:
        """Exact on integer points: ``tol`` and ``residual_tol`` are 0 here."""
        return _certify_unique(problem, z, time_limit=time_limit,
                               options=cast(CpsatOptions, options))


#: The registered instance.
CPSAT = CpsatBackend()
