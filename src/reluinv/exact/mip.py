"""The MIP backend: big-M mixed-integer programming through OR-Tools' ``pywraplp``.

Scope: any network (ReLU or leaky ReLU, integer or float weights) over a binary, integer
or *bounded* real latent box. An unbounded real box raises
:class:`~reluinv.errors.UnsupportedProblemError`: big-M constants must come from bounds,
never from an invented large number.

Model, for layers ``i = 1..d`` (variables ``z[j]``, ``t[i][j]``, ``h[i][j]``, ``a[i][j]``)::

    t_ij = sum_q W_i[j, q] h_{i-1, q} + b_i[j],   lower_ij <= t_ij <= upper_ij   (h_0 = z)
    h_ij = t_ij                          if lower_ij >= 0   (always active: linear)
    h_ij = alpha t_ij  (0 for ReLU)      if upper_ij <= 0   (always inactive: linear)
    h_ij = s(t_ij) by the big-M encoding of :mod:`reluinv.exact.encodings` otherwise
    h_dj = t_dj                          on the output layer of a linear head (no phase)
    h_ij = h_im - (1 + alpha) t_im       if row j of layer i is minus row m (no binary:
                                         the twin's phase decides, see _mirror_units)

The bounds are interval bounds over the latent box, optionally tightened by LPs
(:func:`reluinv.exact.bounds.tighten_with_lp`, ``bound_tightening="lp"``).

Objectives on the observed outputs: ``"feasible"`` is the realizable case, where each
output's phase comes from the target (:func:`reluinv.exact.common.output_fixes`) and the
output layer needs no binary; ``"l1"`` minimises ``sum_j e_j`` and ``"linf"`` minimises
``e`` with ``e_j >= |h_dj - x_j|``. The MIP is solved with a relative gap of 0, so OPTIMAL
means optimal up to the engine's feasibility tolerances; every answer is verified
afterwards (:mod:`reluinv.exact.verify`). An INFEASIBLE from SCIP is reported only when
HiGHS, solving the same model, confirms it (:func:`confirm_infeasible`); a point HiGHS
finds instead is returned (and verified like any answer), and an undecided confirmation
is UNKNOWN. HiGHS's own INFEASIBLE (``mip_solver="HIGHS"``) is not re-asked. A caller that
holds an independent, checked proof of infeasibility passes it as
``MipOptions.infeasible_evidence``: that proof is then the confirmation, and the HiGHS
solve is skipped (validation runs do this for the real latent of a formula whose MaxSAT
optimum ``c >= 1`` is certified, where by lemma L4 every latent in the box has loss
``>= c > 0``; on 100-variable unsatisfiable random 3-CNF HiGHS took 3-6 s to confirm what
SCIP proved in 0.7-1.0 s). A SCIP INFEASIBLE that contradicts such a proof cannot arise
unless the proof is wrong, and a point SCIP finds is returned and verified as always.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from reluinv.data.network import ReluNetwork
from reluinv.data.problem import InversionProblem, LatentDomain
from reluinv.errors import SolverError, UnsupportedProblemError
from reluinv.exact.backend import (
    DEFAULT_MIP_SOLVER,
    MIP_SOLVERS,
    BackendOptions,
    BoundTightening,
    MipOptions,
    SolverAnswer,
)
from reluinv.exact.bounds import NetworkBounds, Phase, interval_bounds, tighten_with_lp
from reluinv.exact.common import output_fixes
from reluinv.exact.encodings import BackendName, ReluEncoding, get_encoding
from reluinv.exact.result import (
    ModelSize,
    Objective,
    Status,
    UniquenessResult,
    UniquenessStatus,
)
from reluinv.exact.verify import verify_latent
from reluinv.interrupts import stop_on_interrupt

__all__ = [
    "DEFAULT_MIP_SOLVER",
    "MIP",
    "MIP_SOLVERS",
    "BoundTightening",
    "MipBackend",
    "NetworkModel",
    "mip_unsupported",
    "network_model",
    "solve_network_model",
]

#: Values at or beyond this magnitude are an engine's infinity (SCIP uses 1e20), not bounds.
ENGINE_INFINITY = 1e20
#: An unrecognised engine status after at least this share of the time limit is read as
#: "stopped by the time limit" (UNKNOWN), not as a failure.
TIME_LIMIT_SHARE = 0.9
#: A variable whose lower bound exceeds its upper bound by more than this (an engine's
#: feasibility tolerance) makes the model infeasible by its bounds alone.
EMPTY_BOUNDS_GAP = 1e-6
#: Seconds HiGHS gets at least to confirm an INFEASIBLE of SCIP's when SCIP spent (nearly)
#: all of the time limit (a sliver: an undecided confirmation is UNKNOWN).
MIN_CONFIRM_SECONDS = 0.05


def mip_unsupported(problem: InversionProblem, objective: Objective) -> str | None:
    """Why the MIP backend cannot answer ``problem``, or ``None``: it needs a bounded
    latent box (every objective)."""
    domain = problem.domain
    if not domain.is_bounded:
        j = int(np.flatnonzero(~(np.isfinite(domain.lower) & np.isfinite(domain.upper)))[0])
        return (f"the mip backend needs a bounded latent box: z[{j}] has bounds "
                f"[{domain.lower[j]}, {domain.upper[j]}]; give finite bounds, e.g. "
                "LatentDomain.box(k, -5, 5) (big-M constants come from them)")
    return _float_inexact(problem)


#: float64 holds every integer up to this magnitude exactly (and not all beyond).
FLOAT_EXACT_INTEGER = 2**53


def _float_inexact(problem: InversionProblem) -> str | None:
    """Why a float64 model would not hold ``problem``'s numbers exactly, or ``None``: an
    integer weight, bias or target beyond ``2^53`` (float64 rounds it; an int64 target is
    kept only for such values)."""
    net = problem.network
    named = [(f"weights[{i}]", w) for i, w in enumerate(net.weights)]
    named += [(f"biases[{i}]", b) for i, b in enumerate(net.biases)]
    named.append(("target", problem.target))
    for name, array in named:
        if not np.issubdtype(array.dtype, np.integer):
            continue
        values = np.asarray(array.data if hasattr(array, "indptr") else array)
        big = np.flatnonzero(np.abs(values.astype(object).ravel()) > FLOAT_EXACT_INTEGER)
        if big.size:
            value = int(values.ravel()[big[0]])
            return (f"the mip backend computes in float64, exact for integers up to "
                    f"2^53 = {FLOAT_EXACT_INTEGER}: {name} holds {value}; use backend="
                    "'cpsat' (integer latents) or smaller numbers")
    return None


@dataclass
class _Formulation:
    solver: Any
    z: list[Any]
    outputs: dict[int, Any]  # observed output -> variable h_dj, or None when always 0
    hint_terms: list[tuple[Any, int, int, str]]  # (var, layer, unit, "t" | "y" | "active")
    counts: dict[str, int]


#: SCIP parameters set on every model: the linear constraint handler's dual presolving
#: off. With it on, OR-Tools 9.15's SCIP proved a wrong optimum that verification cannot
#: catch: on a 2 x 2 x 2 x 3 integer ReLU network with a linear head it returned the linf
#: and l1 optimum 3 with a proven bound of 3 where z = (1, -2) reaches 2
#: (``test_scip_presolving_regression_optimum``; HiGHS, CP-SAT and brute force agree, and
#: SCIP finds 2 when hinted). Cost: median 1.35x on the bundled real-latent l1 solves.
#: A second SCIP error, a feasible LP declared INFEASIBLE (variable aggregation; see
#: :func:`confirm_infeasible`), is not prevented by a parameter: turning aggregation off
#: made the trained-decoder MIPs of the hybrid inverter 20x slower.
#: Restarts off (``presolving/maxrestarts = 0``): after a restart (the tree thrown away
#: and the problem presolved again with what the root learnt) the same SCIP proved the
#: l1 optimum 4 on a 3 x 3 x 3 x 3 integer ReLU net where z = (0, 0, -1) reaches 2
#: (``test_scip_restart_regression_optimum``; HiGHS and brute force agree). The model was
#: sound: every bound held at all 125 latents, and with z fixed SCIP found 2. Which of
#: LP-tightened or interval bounds hit it depended on the search (random seed, one
#: separator on or off); with restarts off, none of 16 such variants did.
SCIP_SOUNDNESS_PARAMETERS = ("constraints/linear/dualpresolving = FALSE\n"
                             "presolving/maxrestarts = 0\n")
#: SCIP catches Ctrl-C by default and returns a status OR-Tools reports as ABNORMAL; off,
#: the signal reaches Python and :func:`reluinv.interrupts.stop_on_interrupt` stops SCIP.
SCIP_LEAVE_SIGINT = "misc/catchctrlc = FALSE\n"


#: SCIP's primal heuristics, every one of SCIP 9 (as shipped with OR-Tools 9.15), by name.
SCIP_HEURISTICS = (
    "actconsdiving", "adaptivediving", "alns", "bound", "clique", "coefdiving",
    "completesol", "conflictdiving", "crossover", "dins", "distributiondiving", "dps",
    "farkasdiving", "feaspump", "fixandinfer", "fracdiving", "gins", "guideddiving",
    "indicator", "intdiving", "intshifting", "linesearchdiving", "localbranching", "locks",
    "lpface", "mpec", "multistart", "mutation", "nlpdiving", "objpscostdiving", "octane",
    "ofins", "oneopt", "padm", "proximity", "pscostdiving", "randrounding", "rens",
    "reoptsols", "repair", "rins", "rootsoldiving", "rounding", "scheduler", "shifting",
    "shiftandpropagate", "simplerounding", "subnlp", "trivial", "trivialnegation",
    "trustregion", "twoopt", "undercover", "vbounds", "veclendiving", "zeroobj",
    "zirounding",
)

#: SCIP parameters of ``emphasis="bound"`` (:data:`~reluinv.exact.backend.MIP_EMPHASES`):
#: every primal heuristic off and one round of cut separation, at the root only. Meant for
#: a solve whose hint is already an optimal point, so that only the bound is left to prove:
#: the validation's real-latent l1 solve on a formula of certified MaxSAT cost ``c >= 1``,
#: started from the lifted optimal model. Measured there (real latent on the unit cube,
#: time limit 5 s, load 2-3): on 16 unsatisfiable random 3-CNF with 20 variables and 91
#: clauses the median solve went from 0.144 s to 0.095 s (median ratio 0.67; heuristics
#: off alone 0.75, separation off alone 0.73); on the 26 bundled formulas of cost >= 1 with
#: at most 40 variables whose default solve finished, every solve was faster (ratios
#: 0.28-0.96, median 0.67), and r3-k40-ratio6-s1 finished in 4.1 s where the default
#: settings did not within 5 s. On formulas of cost 0 it was slower (0.05 -> 0.39 s on
#: w3-k40-m170-s0; validation runs do not solve those, the l1 answer follows from the
#: pre-image). Not the default: separation off alone was 2x slower on r3-k30-ratio8-s0
#: (2.3 -> 4.8 s), and the trained decoders' MIPs have not been measured with it. Neither
#: setting changes what is proven: OPTIMAL still needs the engine's own bound.
SCIP_BOUND_EMPHASIS = (
    "".join(f"heuristics/{name}/freq = -1\n" for name in SCIP_HEURISTICS)
    + "separating/maxrounds = 0\nseparating/maxroundsroot = 1\n"
)


def _new_solver(engine: str, emphasis: str = "default") -> Any:
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver(engine)
    if solver is None:
        raise SolverError(f"OR-Tools was built without the {engine} MIP solver")
    # Logs off at the source. What no option switches off: OR-Tools 9.15's HiGHS (1.12.0)
    # writes one debugging line, "HighsMipSolverData::transformNewIntegerFeasibleSolution
    # tmpSolver.run();", to file descriptor 1 with puts() whenever it repairs a MIP solution
    # that its presolve reductions made infeasible in the original model (1 of 1000 random
    # verify calls with mip_solver="HIGHS", none with SCIP; "presolve = off" made it 7).
    # The CLI sends descriptor 1 to stderr (reluinv.cli.reserve_stdout_for_results).
    solver.SuppressOutput()
    if engine == "HIGHS":  # HiGHS prints a banner unless its own output flag is off
        solver.SetSolverSpecificParametersAsString("output_flag = false")
    if engine == "SCIP":
        # One string: each call of SetSolverSpecificParametersAsString replaces the last.
        # Ctrl-C is left to reluinv.interrupts (SCIP's own handling ends ABNORMAL).
        parameters = SCIP_SOUNDNESS_PARAMETERS + SCIP_LEAVE_SIGINT + (
            SCIP_BOUND_EMPHASIS if emphasis == "bound" else "")
        if not solver.SetSolverSpecificParametersAsString(parameters):
            raise SolverError(f"SCIP refused the parameters (emphasis={emphasis!r})")
    return solver


def _bounds(problem: InversionProblem, tightening: BoundTightening,
            *, realizable: bool) -> NetworkBounds:
    domain = problem.domain
    bounds = interval_bounds(problem.network, domain.lower, domain.upper)
    if tightening == "lp":
        bounds = tighten_with_lp(
            problem.network, domain.lower, domain.upper, bounds,
            observed=problem.observed if realizable else None,
            target=problem.target if realizable else None,
        )
    return bounds


def _build(problem: InversionProblem, encoding: ReluEncoding, bounds: NetworkBounds,
           *, realizable: bool, engine: str, minimise_error: bool = False,
           emphasis: str = "default") -> _Formulation:
    """The MIP of ``G(z)`` over the latent box.

    With ``minimise_error`` (objectives ``"l1"`` and ``"linf"``) an unstable ReLU output unit
    whose target is ``x_j <= 0`` gets no binary: its error ``|ReLU(t) - x_j| = ReLU(t) - x_j``
    is convex and increasing in the unit's value, so at any optimum of the minimisation
    ``y = max(t, 0)`` holds with only ``y >= t, y >= 0``. (Every returned ``z`` is verified by
    the forward pass anyway, and its recomputed objective can only be lower than ``y``'s.)
    """
    solver = _new_solver(engine, emphasis)
    net = problem.network
    domain = problem.domain
    alpha = net.slope if net.activation == "leaky_relu" else 0.0
    z = []
    for j, (lo, hi) in enumerate(zip(domain.lower, domain.upper, strict=True)):
        if domain.kind == "real":
            z.append(solver.NumVar(float(lo), float(hi), f"z[{j}]"))
        else:
            z.append(solver.IntVar(float(lo), float(hi), f"z[{j}]"))
    counts: dict[str, int] = dict.fromkeys(
        ("binaries", "stable_active", "stable_inactive", "fixed_by_target", "unstable",
         "convex_outputs", "linear_outputs", "mirrored"), 0)
    hint_terms: list[tuple[Any, int, int, str]] = []
    fixes = {f.unit: f for f in output_fixes(problem)[0]} if realizable else {}
    observed = problem.observed.tolist()
    outputs: dict[int, Any] = {}
    h: list[Any] = list(z)  # None marks a unit that is constantly 0
    for i, (w_raw, b_raw) in enumerate(zip(net.weights, net.biases, strict=True)):
        w = np.asarray(w_raw, dtype=np.float64)
        b = np.asarray(b_raw, dtype=np.float64)
        lows, highs = bounds.float_lower(i), bounds.float_upper(i)
        last = i == net.depth - 1
        units = observed if last else range(w.shape[0])
        nxt: list[Any] = [None] * w.shape[0]
        mirrors = _mirror_units(w, b) if not last else {}
        pre_vars: dict[int, Any] = {}
        for j in units:
            label = f"[{i + 1}][{j}]"
            fix = fixes.get(j) if last else None
            phase = bounds.phase(i, j)
            linear = last and net.output_linear
            if fix is None and phase is Phase.INACTIVE and alpha == 0.0 and not linear:
                counts["stable_inactive"] += 1
                if last:
                    outputs[j] = None
                continue
            lo, hi = float(lows[j]), float(highs[j])
            t = solver.NumVar(lo, hi, f"t{label}")
            row = solver.RowConstraint(float(b[j]), float(b[j]), f"pre{label}")
            row.SetCoefficient(t, 1.0)
            for q in np.flatnonzero(w[j]).tolist():
                if h[q] is not None:
                    row.SetCoefficient(h[q], -float(w[j, q]))
            hint_terms.append((t, i, j, "t"))
            pre_vars[j] = t
            if fix is not None:
                counts["fixed_by_target"] += 1
                if fix.pre is None:
                    t.SetUb(min(hi, 0.0))
                else:
                    t.SetBounds(fix.pre, fix.pre)
                continue
            if linear:
                counts["linear_outputs"] += 1
                y = t
            elif phase is Phase.ACTIVE:
                counts["stable_active"] += 1
                y = t
            elif (last and minimise_error and alpha == 0.0
                  and float(problem.target[j]) <= 0.0):
                counts["convex_outputs"] += 1
                y = solver.NumVar(max(lo, 0.0), max(hi, 0.0), f"h{label}")
                above = solver.RowConstraint(0.0, solver.infinity(), f"convex{label}")
                above.SetCoefficient(y, 1.0)
                above.SetCoefficient(t, -1.0)
                hint_terms.append((y, i, j, "y"))
            elif phase is Phase.INACTIVE:  # leaky ReLU: y = alpha t
                counts["stable_inactive"] += 1
                y = solver.NumVar(alpha * lo, alpha * hi, f"h{label}")
                link = solver.RowConstraint(0.0, 0.0, f"inactive{label}")
                link.SetCoefficient(y, 1.0)
                link.SetCoefficient(t, -alpha)
                hint_terms.append((y, i, j, "y"))
            elif mirrors.get(j) in pre_vars and nxt[mirrors[j]] is not None:
                # t_j = -t_m, so s(t_j) = s(t_m) - (1 + alpha) t_m: no binary of its own
                twin = mirrors[j]
                counts["mirrored"] += 1
                y = solver.NumVar(alpha * lo, hi, f"h{label}")
                link = solver.RowConstraint(0.0, 0.0, f"mirror{label}")
                link.SetCoefficient(y, 1.0)
                link.SetCoefficient(nxt[twin], -1.0)
                link.SetCoefficient(pre_vars[twin], 1.0 + alpha)
                hint_terms.append((y, i, j, "y"))
            else:
                counts["unstable"] += 1
                counts["binaries"] += 1
                unit = encoding.add_unit(solver, t, lo, hi, alpha, label)
                y = unit.y
                hint_terms.append((y, i, j, "y"))
                if unit.active is not None:
                    hint_terms.append((unit.active, i, j, "active"))
            nxt[j] = y
            if last:
                outputs[j] = y
        h = nxt
    return _Formulation(solver, z, outputs, hint_terms, counts)


def _mirror_units(w: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> dict[int, int]:
    """``{j: m}``: unit ``j``'s row and bias are exactly the negation of unit ``m < j``'s,
    so that ``t_j = -t_m`` at every point (each ``m`` serves at most one ``j``).

    Then ``s(t_j) = s(t_m) - (1 + alpha) t_m`` for ``s(t) = max(t, alpha t)``, ``0 <= alpha
    < 1``: write ``s(t) = alpha t + (1 - alpha) ReLU(t)`` and use ``ReLU(-t) = ReLU(t) - t``.
    The unit ``j`` is linear in ``(t_m, s(t_m))`` and needs no binary of its own. The
    reduction's binary-forcing gadget is made of such pairs, ``a_v = ReLU(2 z_v - 1)`` and
    ``b_v = ReLU(1 - 2 z_v)``: sharing the phase halves its binaries, and an LP relaxation
    can no longer open both phases of one variable at once.
    """
    unpaired: dict[bytes, int] = {}
    found: dict[int, int] = {}
    for j in range(w.shape[0]):
        key = np.append(w[j], b[j]) + 0.0  # + 0.0 turns -0.0 into 0.0
        twin = unpaired.pop((-key + 0.0).tobytes(), None)
        if twin is not None:
            found[j] = twin
        else:
            unpaired.setdefault(key.tobytes(), j)
    return found


def _model_size(form: _Formulation) -> ModelSize:
    return ModelSize(variables=form.solver.NumVariables(),
                     constraints=form.solver.NumConstraints(), **form.counts)


def _set_hint(problem: InversionProblem, form: _Formulation,
              start: npt.NDArray[np.float64]) -> None:
    pre = problem.network.pre_activations(start)
    post = [problem.network.activate_layer(i, p) for i, p in enumerate(pre)]
    variables = list(form.z)
    values = [float(v) for v in start]
    for var, layer, unit, kind in form.hint_terms:
        variables.append(var)
        if kind == "t":
            values.append(float(pre[layer][unit]))
        elif kind == "y":
            values.append(float(post[layer][unit]))
        else:
            values.append(1.0 if pre[layer][unit] > 0 else 0.0)
    form.solver.SetHint(variables, values)


def _solve(form: _Formulation, time_limit: float | None, threads: int) -> tuple[Status, str]:
    from ortools.linear_solver import pywraplp

    solver = form.solver
    if time_limit is not None:
        solver.SetTimeLimit(max(1, round(time_limit * 1000)))
    solver.SetNumThreads(threads)
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    started = time.perf_counter()
    with stop_on_interrupt(solver.InterruptSolve):
        code = solver.Solve(params)
    elapsed = time.perf_counter() - started
    names = {pywraplp.Solver.OPTIMAL: "OPTIMAL", pywraplp.Solver.FEASIBLE: "FEASIBLE",
             pywraplp.Solver.INFEASIBLE: "INFEASIBLE", pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
             pywraplp.Solver.UNBOUNDED: "UNBOUNDED", pywraplp.Solver.ABNORMAL: "ABNORMAL",
             pywraplp.Solver.MODEL_INVALID: "MODEL_INVALID"}
    name = names.get(code, str(code))
    mapping = {pywraplp.Solver.OPTIMAL: Status.OPTIMAL,
               pywraplp.Solver.FEASIBLE: Status.FEASIBLE,
               pywraplp.Solver.INFEASIBLE: Status.INFEASIBLE,
               pywraplp.Solver.NOT_SOLVED: Status.UNKNOWN}
    if code not in mapping:
        if time_limit is not None and elapsed >= TIME_LIMIT_SHARE * time_limit:
            # HiGHS through pywraplp reports a time limit without incumbent as code 99
            return Status.UNKNOWN, f"status {name} at the time limit"
        raise SolverError(f"the MIP solver failed: status {name}")
    return mapping[code], name


def _solve_model(problem: InversionProblem, objective: Objective,
                 time_limit: float | None, hint: npt.NDArray[np.float64] | None,
                 options: MipOptions) -> SolverAnswer:
    """Build and solve the big-M MIP of ``problem`` (see the module docstring)."""
    chosen = get_encoding("mip", options.encoding)
    engine = options.mip_solver
    if hint is not None and engine == "HIGHS":
        raise UnsupportedProblemError(
            "hint is not supported with mip_solver='HIGHS': OR-Tools' HiGHS interface "
            "crashes on solution hints; use mip_solver='SCIP'"
        )
    realizable = objective == "feasible"
    bounds = _bounds(problem, options.bound_tightening, realizable=realizable)
    form = _build(problem, chosen, bounds, realizable=realizable, engine=engine,
                  minimise_error=objective in ("l1", "linf"), emphasis=options.emphasis)
    solver = form.solver
    if not realizable:
        _add_objective(problem, form, objective)
    if hint is not None:
        _set_hint(problem, form, hint)
    size = _model_size(form)
    started = time.perf_counter()
    status, name = _solve(form, time_limit, options.threads)
    refuted: npt.NDArray[np.float64] | None = None
    if status is Status.INFEASIBLE and engine == "SCIP":
        if options.infeasible_evidence is not None:
            name = f"INFEASIBLE (confirmed by the caller's proof: {options.infeasible_evidence})"
        else:
            left = (None if time_limit is None else
                    max(MIN_CONFIRM_SECONDS, time_limit - (time.perf_counter() - started)))
            status, name, refuted = _confirmed_infeasible(form, left)
    message = f"{engine} {name}; bounds by {bounds.method}"
    if refuted is not None:  # a point of a feasibility model answers it (verified later)
        return SolverAnswer(status=Status.OPTIMAL if realizable else Status.FEASIBLE,
                            z=refuted, solver_objective=0.0 if realizable else None,
                            bound=0.0 if realizable else None,
                            message=message, solver=engine, model=size)
    has_solution = status in (Status.OPTIMAL, Status.FEASIBLE)
    bound: float | None
    if realizable:
        solver_objective = 0.0 if has_solution else None
        bound = 0.0 if has_solution else None
    else:
        solver_objective = float(solver.Objective().Value()) if has_solution else None
        bound = None if status is Status.INFEASIBLE else float(solver.Objective().BestBound())
        if bound is not None and not abs(bound) < ENGINE_INFINITY:
            bound = None  # the engine has no bound yet (SCIP reports -1e20)
    z = (np.array([v.solution_value() for v in form.z], dtype=np.float64) if has_solution
         else None)
    return SolverAnswer(status=status, z=z, solver_objective=solver_objective, bound=bound,
                        message=message, solver=engine, model=size)


def _confirmed_infeasible(form: _Formulation, time_limit: float | None
                          ) -> tuple[Status, str, npt.NDArray[np.float64] | None]:
    """SCIP's INFEASIBLE, put to HiGHS on the same model (:func:`confirm_infeasible`):
    ``(INFEASIBLE, name, None)`` when HiGHS proves it too; ``(FEASIBLE, name, z)`` when
    HiGHS finds a point (``z`` its latent part, verified by the caller like any answer);
    ``(UNKNOWN, name, None)`` when HiGHS is undecided within ``time_limit``. An
    unconfirmed INFEASIBLE is never reported: OR-Tools 9.15's SCIP declared a feasible LP
    infeasible (``test_scip_presolving_regression_feasible``).

    A model in which a variable's own bounds are empty (``lower > upper +``
    :data:`EMPTY_BOUNDS_GAP`) is infeasible without any engine: its bounds come from the
    pre-activation bounds and the target's fixes (:func:`_build`), which HiGHS refuses to
    load; that is the confirmation."""
    empty = [v.name() for v in form.solver.variables() if v.lb() > v.ub() + EMPTY_BOUNDS_GAP]
    if empty:  # the bounds (interval or LP arithmetic and the target) exclude every point
        return (Status.INFEASIBLE, f"INFEASIBLE (confirmed: {empty[0]} has empty bounds, "
                "lower > upper, before any solver ran)", None)
    confirmed, point = confirm_infeasible(form.solver, time_limit, form.z)
    if confirmed:
        return Status.INFEASIBLE, "INFEASIBLE (confirmed by HIGHS)", None
    if point is not None:
        return (Status.FEASIBLE, "INFEASIBLE refuted: HIGHS found a point, SCIP's answer "
                "discarded", point)
    return (Status.UNKNOWN, "INFEASIBLE not confirmed (HIGHS undecided), so unknown",
            None)


def _add_objective(problem: InversionProblem, form: _Formulation, objective: Objective) -> None:
    solver = form.solver
    inf = solver.infinity()
    goal = solver.Objective()
    goal.SetMinimization()
    top = solver.NumVar(0.0, inf, "e_max") if objective == "linf" else None
    if top is not None:
        goal.SetCoefficient(top, 1.0)
    offset = 0.0
    for j, y in form.outputs.items():
        xj = float(problem.target[j])
        if y is None:  # the output is always 0: its error is the constant |x_j|
            if top is not None:
                top.SetLb(max(top.lb(), abs(xj)))
            else:
                offset += abs(xj)
            continue
        e = top if top is not None else solver.NumVar(0.0, inf, f"e[{j}]")
        for sign in (1.0, -1.0):  # e >= sign (y - x_j)
            row = solver.RowConstraint(-sign * xj, inf, f"err{'+' if sign > 0 else '-'}[{j}]")
            row.SetCoefficient(e, 1.0)
            row.SetCoefficient(y, -sign)
        if top is None:
            goal.SetCoefficient(e, 1.0)
    goal.SetOffset(offset)


def _certify_unique(
    problem: InversionProblem,
    z: npt.NDArray[np.float64],
    *,
    tol: float,
    residual_tol: float,
    time_limit: float | None,
    options: MipOptions,
) -> UniquenessResult:
    """Maximise ``||z' - z||_inf`` over pre-images ``z'`` with a big-M MIP.

    The linf distance is maximised with one selector per coordinate and sign,
    ``s_j^+ + ... = 1``, ``d <= (z'_j - z_j) + M_j^+ (1 - s_j^+)``,
    ``d <= (z_j - z'_j) + M_j^- (1 - s_j^-)``, where the ``M`` come from the box.
    """
    start = time.perf_counter()
    chosen = get_encoding("mip", options.encoding)
    mip_solver = options.mip_solver
    if mip_solver == "HIGHS":
        raise UnsupportedProblemError(
            "certify_unique needs solution hints, which crash OR-Tools' HiGHS interface; "
            "use mip_solver='SCIP'"
        )
    bounds = _bounds(problem, options.bound_tightening, realizable=True)
    form = _build(problem, chosen, bounds, realizable=True, engine=mip_solver)
    solver = form.solver
    lower, upper = problem.domain.lower, problem.domain.upper
    up = upper - z  # how far each coordinate can move up / down
    down = z - lower
    span = float(max(np.max(up, initial=0.0), np.max(down, initial=0.0)))
    distance = solver.NumVar(0.0, span, "d_max")
    pick = solver.RowConstraint(1.0, 1.0, "one_direction")
    for j, var in enumerate(form.z):
        for sign, reach_other in ((1.0, down[j]), (-1.0, up[j])):
            s = solver.BoolVar(f"s{'+' if sign > 0 else '-'}[{j}]")
            pick.SetCoefficient(s, 1.0)
            big_m = span + float(reach_other)
            # d - sign (z'_j - z_j) + M s <= M
            row = solver.RowConstraint(-solver.infinity(), big_m - sign * float(z[j]), "")
            row.SetCoefficient(distance, 1.0)
            row.SetCoefficient(var, -sign)
            row.SetCoefficient(s, big_m)
    if not form.z:
        distance.SetUb(0.0)
        pick.SetBounds(0.0, 0.0)
    solver.Objective().SetCoefficient(distance, 1.0)
    solver.Objective().SetMaximization()
    _set_hint(problem, form, z)
    size = _model_size(form)
    status, name = _solve(form, time_limit, options.threads)
    message = f"{mip_solver} {name}; bounds by {bounds.method}"
    base: dict[str, Any] = {"z": z, "tol": tol, "residual_tolerance": residual_tol,
                            "backend": "mip", "solver": mip_solver, "model": size}
    if status is Status.INFEASIBLE:
        return UniquenessResult(status=UniquenessStatus.UNKNOWN, other=None, distance=None,
                                bound=None, seconds=time.perf_counter() - start,
                                message=f"{message}: the solver rejected z itself "
                                "(tolerances too tight?)", verified=False, **base)
    bound = None if status is Status.UNKNOWN else float(solver.Objective().BestBound())
    if bound is not None and not abs(bound) < ENGINE_INFINITY:
        bound = None
    if status is Status.UNKNOWN:
        return UniquenessResult(status=UniquenessStatus.UNKNOWN, other=None, distance=None,
                                bound=bound, seconds=time.perf_counter() - start,
                                message=message, verified=False, **base)
    raw = np.array([v.solution_value() for v in form.z], dtype=np.float64)
    check = verify_latent(problem, raw, "feasible", None, proven_optimal=False,
                          tol=residual_tol)
    other = check.z
    gap = float(np.max(np.abs(other - z), initial=0.0))
    # distinct integer points are at least 1 apart: any threshold below 1 is exact there
    same = tol if problem.domain.kind == "real" else 0.5
    if gap > same and check.verified:
        return UniquenessResult(status=UniquenessStatus.NOT_UNIQUE, other=other, distance=gap,
                                bound=bound, seconds=time.perf_counter() - start,
                                message=message, verified=True, **base)
    if gap > same:
        return UniquenessResult(status=UniquenessStatus.UNKNOWN, other=other, distance=gap,
                                bound=bound, seconds=time.perf_counter() - start,
                                message=f"{message}; candidate failed verification: "
                                f"{check.note}", verified=False, **base)
    unique = status is Status.OPTIMAL and bound is not None and bound <= same
    return UniquenessResult(
        status=UniquenessStatus.UNIQUE if unique else UniquenessStatus.UNKNOWN,
        other=None, distance=None, bound=bound, seconds=time.perf_counter() - start,
        message=message, verified=unique, **base)


@dataclass(frozen=True)
class NetworkModel:
    """The big-M MIP of ``y = G(x)`` over an input box, for callers that add their own
    constraints on the outputs (:func:`network_model`).

    ``solver`` is the ``pywraplp.Solver``; ``inputs[j]`` the variable of ``x_j``;
    ``outputs[j]`` the variable of ``y_j``, or ``None`` where the bounds prove ``y_j = 0``
    (an always-inactive ReLU output); ``size`` counts the model; ``bounds`` are the
    pre-activation bounds its big-M constants came from.
    """

    solver: Any
    inputs: tuple[Any, ...]
    outputs: tuple[Any | None, ...]
    size: ModelSize
    bounds: NetworkBounds


def network_model(network: ReluNetwork, lower: npt.ArrayLike, upper: npt.ArrayLike, *,
                  options: MipOptions | None = None) -> NetworkModel:
    """The MIP of the module docstring for ``network`` on the box ``[lower, upper]``, with
    every output modelled and no objective: the same encoding, bounds and engine as
    :class:`MipBackend`, as a hook for output constraints (property verification,
    :mod:`reluinv.exact.verify_property`). Solve it with :func:`solve_network_model`.
    """
    chosen = options if options is not None else MipOptions()
    domain = LatentDomain("real", np.asarray(lower, dtype=np.float64),
                          np.asarray(upper, dtype=np.float64))
    problem = InversionProblem(network, np.zeros(network.output_dim), domain)
    bounds = _bounds(problem, chosen.bound_tightening, realizable=False)
    form = _build(problem, get_encoding("mip", chosen.encoding), bounds, realizable=False,
                  engine=chosen.mip_solver)
    outputs = tuple(form.outputs[j] for j in range(network.output_dim))
    return NetworkModel(form.solver, tuple(form.z), outputs, _model_size(form), bounds)


def confirm_infeasible(solver: Any, time_limit: float | None, inputs: Sequence[Any] = ()
                       ) -> tuple[bool | None, npt.NDArray[np.float64] | None]:
    """Ask HiGHS whether the model ``solver`` holds (as built, hints dropped) is infeasible:
    ``(True, None)`` when HiGHS proves it too, ``(False, x)`` when HiGHS finds a point (``x``
    the values of the variables ``inputs`` there, for the caller to replay), ``(None, None)``
    when undecided.

    Why: OR-Tools 9.15's SCIP declared INFEASIBLE a feasible LP (a 1 x 1 x 2 leaky ReLU
    network whose units are all stably inactive, one output constraint with slack 0.44;
    ``test_scip_presolving_regression_feasible``) through its variable aggregation. An
    INFEASIBLE that a caller turns into a verdict (``reluinv.verify``'s unsat) is therefore
    confirmed by a second engine on the same model.

    HiGHS runs with its presolve first, then, when that ends undecided before the time
    limit, once more without: OR-Tools 9.15's HiGHS returned NOT_SOLVED with presolve on
    a 2 x 2 integer model that it proves infeasible without
    (``test_exact_integer_networks``' MIP case: ``t = 2 z_1 = 1`` with ``z_1`` integer).
    """
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    started = time.perf_counter()
    proto = linear_solver_pb2.MPModelProto()
    solver.ExportModelToProto(proto)
    proto.ClearField("solution_hint")  # OR-Tools' HiGHS interface crashes on hints
    for parameters in ("output_flag = false", "output_flag = false\npresolve = off"):
        second = pywraplp.Solver.CreateSolver("HIGHS")
        if second is None:
            return None, None
        second.SuppressOutput()
        second.SetSolverSpecificParametersAsString(parameters)
        if second.LoadModelFromProto(proto):
            return None, None  # the model did not load: no second opinion
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - started)
            if left <= 0:
                return None, None
            second.SetTimeLimit(max(1, round(left * 1000)))
        with stop_on_interrupt(second.InterruptSolve):
            code = second.Solve()
        if code == pywraplp.Solver.INFEASIBLE:
            return True, None
        if code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            variables = second.variables()  # the proto keeps the variables' order
            point = np.array([variables[v.index()].solution_value() for v in inputs],
                             dtype=np.float64)
            return False, point
    return None, None


def solve_network_model(model: NetworkModel, time_limit: float | None,
                        threads: int = 1) -> tuple[Status, str]:
    """Solve ``model`` as built (plus whatever the caller added): the status (OPTIMAL,
    FEASIBLE, INFEASIBLE, or UNKNOWN at the time limit) and the engine's status name.
    Raises :class:`~reluinv.errors.SolverError` on any other engine failure."""
    form = _Formulation(model.solver, list(model.inputs), {}, [], {})
    return _solve(form, time_limit, threads)


class MipBackend:
    """The MIP backend as an :class:`~reluinv.exact.backend.ExactBackend` (and a
    :class:`~reluinv.exact.backend.CertifyingBackend`); the math is the module docstring."""

    name: BackendName = "mip"
    options_type: type[BackendOptions] = MipOptions

    def supports(self, problem: InversionProblem, objective: Objective) -> str | None:
        """See :func:`mip_unsupported`."""
        return mip_unsupported(problem, objective)

    def solver_name(self, objective: Objective, options: BackendOptions) -> str:
        """The engine, ``options.mip_solver``."""
        return cast(MipOptions, options).mip_solver

    def solve(self, problem: InversionProblem, objective: Objective,
              time_limit: float | None, hint: npt.NDArray[np.float64] | None,
              options: BackendOptions) -> SolverAnswer:
        """Build and solve the big-M MIP (module docstring)."""
        return _solve_model(problem, objective, time_limit, hint, cast(MipOptions, options))

    def certify_unique(self, problem: InversionProblem, z: npt.NDArray[np.float64], *,
                       tol: float, residual_tol: float, time_limit: float | None,
                       options: BackendOptions) -> UniquenessResult:
        """The selector MIP of :func:`_certify_unique`."""
        return _certify_unique(problem, z, tol=tol, residual_tol=residual_tol,
                               time_limit=time_limit, options=cast(MipOptions, options))


#: The registered instance.
MIP = MipBackend()
