"""The MaxSAT backend: exact inversion of integer ReLU networks with python-sat.

Scope: as the CP-SAT backend, an integral ReLU network over a binary or integer latent box
(and an integer target). The network is compiled unit by unit into CNF by
:mod:`reluinv.exact.order_cnf` (every quantity order-encoded over the values it can take,
sums by generalised totalizers, ReLU by shared literals); the clauses are *hard*. Then,
on the observed outputs ``j``:

``"feasible"``
    Unit clauses fix each output: ``x_j > 0`` forces ``t_dj = x_j`` (``[t >= x_j]`` and
    ``not [t >= x_j + 1]``), ``x_j = 0`` forces ``t_dj <= 0``. CaDiCaL decides the CNF; its
    UNSAT is the proof of infeasibility (a target outside an output's value set is one
    already, before any solver runs).
``"l1"``
    ``|h_dj - x_j|`` as weighted soft clauses over ``h_dj``'s order literals. With values
    ``v_0 < ... < v_r`` and ``o_i = [h >= v_i]``, every step ``(v_{i-1}, v_i]`` costs its
    part above ``x_j`` when ``o_i`` is true (soft clause ``not o_i``) and its part below
    ``x_j`` when ``o_i`` is false (soft clause ``o_i``), plus the constant
    ``max(0, v_0 - x_j) + max(0, x_j - v_r)``: for ``h = v_m`` the falsified weight is
    exactly ``|v_m - x_j|``. RC2 (python-sat's core-guided MaxSAT solver, the same settings
    as :func:`reluinv.solve_maxsat`) minimises the falsified weight.
``"linf"``
    The least ``e`` with ``x_j - e <= h_dj <= x_j + e`` for all ``j``, by binary search on
    one incremental CaDiCaL with the bounds as assumptions (order literals).

Every answer goes through the same verification as the other backends
(:func:`reluinv.exact.verify.verify_latent`: exact forward pass, objective recomputed).
The solvers run in this process and are interrupted at the ``time_limit``
(:mod:`reluinv.exact.pysat_calls`). Then ``"linf"`` returns FEASIBLE with its incumbent
and the proven lower bound of its search; RC2 and CaDiCaL have no incumbent, so the status
is UNKNOWN, or FEASIBLE with the verified ``hint`` as incumbent and the trivial lower
bound 0 (a norm is never negative). The ``hint`` is used for nothing else.

The result's :class:`~reluinv.exact.result.ModelSize` counts CNF variables (all Boolean:
``variables == binaries``) and clauses (hard plus soft as ``constraints``); the phase
counts come from the interval bounds, as in the other backends.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.errors import SolverError
from reluinv.exact.backend import BackendOptions, MaxsatOptions, SolverAnswer
from reluinv.exact.common import output_fixes
from reluinv.exact.encodings import BackendName, get_encoding
from reluinv.exact.order_cnf import CompiledNetwork, OrderInt, compile_network
from reluinv.exact.pysat_calls import linf_search, rc2_solve, sat_solve
from reluinv.exact.result import ModelSize, Objective, Status

__all__ = ["MAXSAT", "MaxsatBackend", "l1_soft_clauses", "maxsat_unsupported"]


def maxsat_unsupported(problem: InversionProblem, objective: Objective) -> str | None:
    """Why the maxsat backend cannot answer ``objective`` on ``problem``, or ``None``.

    It needs an integral ReLU network over a binary or integer box, and for ``"l1"`` /
    ``"linf"`` an integer target (the realizable case sends a non-integer target to
    INFEASIBLE before any model). The compilation may still refuse a unit whose value set
    exceeds :data:`~reluinv.exact.order_cnf.MAX_VALUES` (an
    :class:`~reluinv.errors.UnsupportedProblemError` from :meth:`MaxsatBackend.solve`):
    that depends on the bounds, known only while compiling.
    """
    net = problem.network
    if problem.domain.kind == "real":
        return ("the maxsat backend needs a binary or integer latent domain, got a real box: "
                "use backend='mip'")
    if net.activation != "relu":
        return (f"the maxsat backend needs a ReLU network with integer weights; leaky ReLU "
                f"(alpha = {net.slope}) is not integral: use backend='mip'")
    if not net.is_integral:
        return ("the maxsat backend needs integer weights and biases; this network has "
                "non-integer entries: use backend='mip'")
    x = problem.target[problem.observed]
    if objective != "feasible" and not np.all(x == np.round(x)):
        return "the maxsat backend needs an integer target: use backend='mip'"
    return None


def l1_soft_clauses(h: OrderInt, x: int) -> tuple[list[tuple[list[int], int]], int]:
    """Soft clauses (clause, weight) and a constant whose falsified weight plus the constant
    is ``|h - x|`` in every model (module docstring)."""
    values = h.values
    constant = max(0, values[0] - x) + max(0, x - values[-1])
    soft: list[tuple[list[int], int]] = []
    for lower, upper, lit in zip(values, values[1:], h.lits, strict=False):
        above = upper - max(lower, x)
        below = min(upper, x) - lower
        if above > 0:
            soft.append(([-lit], above))
        if below > 0:
            soft.append(([lit], below))
    return soft, constant


def _fix_outputs(problem: InversionProblem, compiled: CompiledNetwork) -> None:
    """Hard unit clauses ``t_dj = x_j`` (``x_j > 0``) or ``t_dj <= 0`` (``x_j = 0``)."""
    builder = compiled.builder
    fixes, _ = output_fixes(problem)
    for fix in fixes:
        t = compiled.pre[fix.unit]
        if fix.pre is None:
            builder.add([_negate(t.geq(1))], f"output {fix.unit}: t <= 0 is impossible")
        else:
            value = int(fix.pre)
            reason = f"output {fix.unit} never takes the value x[{fix.unit}] = {value}"
            builder.add([t.geq(value)], reason)
            builder.add([_negate(t.geq(value + 1))], reason)


def _negate(lit: int | bool) -> int | bool:
    return (not lit) if isinstance(lit, bool) else -lit


def _solver_name(objective: Objective) -> str:
    return "RC2" if objective == "l1" else "CaDiCaL"


def _solve(problem: InversionProblem, objective: Objective, time_limit: float | None,
           hint: npt.NDArray[np.float64] | None, options: MaxsatOptions) -> SolverAnswer:
    """Compile ``problem`` to (Max)SAT and solve it (see the module docstring)."""
    chosen = get_encoding("maxsat", options.encoding)
    realizable = objective == "feasible"
    solver_name = _solver_name(objective)
    output_needs = None
    if realizable:  # only [t >= x] and [t >= x + 1] (x > 0), or [t >= 1] (x = 0)
        output_needs = {f.unit: (1, 1) if f.pre is None else (int(f.pre), int(f.pre) + 1)
                        for f in output_fixes(problem)[0]}
    compiled = compile_network(problem, chosen, output_needs=output_needs)
    builder = compiled.builder
    soft: list[tuple[list[int], int]] = []
    constant = 0
    if realizable:
        _fix_outputs(problem, compiled)
    elif objective == "l1":
        for j, h in compiled.outputs.items():
            unit_soft, offset = l1_soft_clauses(h, int(problem.target[j]))
            soft.extend(unit_soft)
            constant += offset
    size = ModelSize(
        variables=builder.top, constraints=len(builder.clauses) + len(soft),
        binaries=builder.top, fixed_by_target=len(compiled.pre) if realizable else 0,
        **compiled.phases)
    if builder.empty_reason is not None:  # only the target fixes can empty a clause
        return SolverAnswer(status=Status.INFEASIBLE, z=None, solver_objective=None,
                            bound=None, solver=solver_name, model=size,
                            message=f"INFEASIBLE by the compilation: {builder.empty_reason}")
    hard = builder.clauses
    if realizable:
        outcome = sat_solve(hard, time_limit=time_limit)
    elif objective == "l1":
        outcome = rc2_solve(hard, soft, time_limit=time_limit)
        if outcome.value is not None:
            outcome = replace(outcome, value=outcome.value + constant,
                              lower=None if outcome.lower is None else outcome.lower + constant)
    else:
        outputs = [(h, int(problem.target[j])) for j, h in compiled.outputs.items()]
        outcome = linf_search(hard, outputs, time_limit=time_limit)
    if outcome.finished and not outcome.satisfiable:
        if not realizable:
            raise SolverError(f"{solver_name} found the network's clauses unsatisfiable")
        return SolverAnswer(status=Status.INFEASIBLE, z=None, solver_objective=None,
                            bound=None, solver=solver_name, model=size,
                            message=f"CaDiCaL INFEASIBLE: the {len(hard)} clauses are "
                            "unsatisfiable")
    model = outcome.model
    if model is None or outcome.value is None:
        return _timed_out(problem, objective, time_limit, hint, size, solver_name)
    true = {lit for lit in model if lit > 0}
    z_raw = np.array([v.value_in(true) for v in compiled.latent], dtype=np.float64)
    status = Status.OPTIMAL if outcome.finished else Status.FEASIBLE
    message = f"{solver_name} {status.name} ({len(hard)} hard, {len(soft)} soft clauses)"
    if not outcome.finished:
        message += f"; time limit of {time_limit} s reached, lower bound {outcome.lower}"
    return SolverAnswer(status=status, z=z_raw, solver_objective=float(outcome.value),
                        bound=None if outcome.lower is None else float(outcome.lower),
                        message=message, solver=solver_name, model=size)


def _timed_out(problem: InversionProblem, objective: Objective, time_limit: float | None,
               hint: npt.NDArray[np.float64] | None, size: ModelSize,
               solver_name: str) -> SolverAnswer:
    """UNKNOWN, or FEASIBLE with the hint as incumbent (objectives l1, linf)."""
    message = f"time limit of {time_limit} s reached before the solver answered"
    if hint is None or objective == "feasible":
        return SolverAnswer(status=Status.UNKNOWN, z=None, solver_objective=None, bound=None,
                            message=f"UNKNOWN: {message}", solver=solver_name, model=size)
    value = float(problem.exact_loss(hint, norm=objective))
    return SolverAnswer(status=Status.FEASIBLE, z=hint, solver_objective=value, bound=0.0,
                        message=f"FEASIBLE: {message}; the hint is the incumbent, and the "
                        "bound is 0 (a norm is never negative)", solver=solver_name,
                        model=size)


class MaxsatBackend:
    """The maxsat backend as an :class:`~reluinv.exact.backend.ExactBackend` (no
    ``certify_unique``: a CNF has no distance objective); the math is the module docstring."""

    name: BackendName = "maxsat"
    options_type: type[BackendOptions] = MaxsatOptions

    def supports(self, problem: InversionProblem, objective: Objective) -> str | None:
        """See :func:`maxsat_unsupported`."""
        return maxsat_unsupported(problem, objective)

    def solver_name(self, objective: Objective, options: BackendOptions) -> str:
        """RC2 for ``"l1"``, CaDiCaL for ``"feasible"`` and ``"linf"``."""
        return _solver_name(objective)

    def solve(self, problem: InversionProblem, objective: Objective,
              time_limit: float | None, hint: npt.NDArray[np.float64] | None,
              options: BackendOptions) -> SolverAnswer:
        """Compile and solve (module docstring); the compilation may raise
        :class:`~reluinv.errors.UnsupportedProblemError` (value sets above MAX_VALUES)."""
        return _solve(problem, objective, time_limit, hint, cast(MaxsatOptions, options))


#: The registered instance.
MAXSAT = MaxsatBackend()
