"""LP solvers on the per-layer LPs of the layer-wise inverter: time and accuracy.

The inverter (``reluinv.layerwise.inverter``) solves two kinds of LP per layer, built here
exactly as it builds them (same rows, same ``row_scale``, same bounds).

**Feasibility LP** (``noise="none"``, a ReLU layer whose active rows do not pin ``h``)::

    w_j h + b_j = y_j   (y_j > tau),    w_j h + b_j <= 0   (y_j <= tau),    h >= 0

**l_inf LP** (``noise="linf"``), with ``t = s^{-1}(y) - b`` and ``r_j = 1`` (ReLU rows) or
``1/alpha`` (leaky rows with ``y_j < 0``)::

    minimise eps   s.t.   w_j h - r_j eps <= t_j        (every row)
                          w_j h + r_j eps >= t_j        (active rows; every row when leaky)
                          h >= 0 (ReLU hidden layers),   eps >= 0

**Dual of the l_inf LP.** With multipliers ``u >= 0`` on the first family and ``v >= 0``
on the second, the dual (written as a minimisation) is::

    minimise  t'u - t_A'v   s.t.   A'u - A_A'v >= 0  (= 0 when h is free),
                                   r'u + r_A'v <= 1,   u, v >= 0

It has ``n + 1`` rows instead of about ``2 m`` (``m`` = outputs, ``n`` = unknowns, and
``m >> n`` on an expanding layer); its optimum is ``-eps*``, and the primal solution is
read from its row duals: ``h`` = the duals of the first ``n`` rows, ``eps`` = minus the
dual of the last (HiGHS's sign convention, checked here on every solve by recomputing the
misfit of that ``h``).

**Ranged primal.** Both families written as one row set ``t_j <= w_j h + r_j eps`` and
``w_j h - r_j eps <= t_j`` with the inactive ReLU rows' lower side at ``-inf``: every
instance of a layer then has the same rows, so a second observation through the same
network only changes row bounds, and the previous optimal basis stays dual feasible; a
dual simplex warm start from it is what ``warm`` measures (the same network, a new
observation, the basis of the previous solve). Across *layers* no basis carries over: the
matrices differ in shape and content.

**Accuracy.** Every answer is re-checked outside the solver. For the l_inf LP the misfit of
the returned ``h`` (clipped to ``h >= 0`` on hidden layers, as the inverter does),
``max_j |w_j h - t_j| / r_j`` over two-sided rows and ``max_j (w_j h - t_j)_+ / r_j`` over
the others, is compared with the best misfit any solver reached on that LP: ``gap`` is the
excess, ``ok`` means ``gap <= 1e-9 * max(1, ||t||_inf)``. For the feasibility LP, ``gap`` is
the largest violation of the realizable constraints (the inverter accepts ``1e-7`` times
the same scale; the column asks for ``1e-9``).

**Solvers.** ``scipy``: :func:`scipy.optimize.linprog` with ``method="highs"`` (what the
inverter calls; the ratio column is against it, run in the same process on the same LP);
``highspy``: HiGHS 1.x through its own Python API with the model passed as one CSC
matrix (no scipy preprocessing of bounds, no dense ``vstack``), ``simplex`` (dual, the
default strategy), ``ipm`` with and without crossover, and HiGHS's own ``pdlp``;
``glop`` and ``pdlp`` through OR-Tools' model builder (the model filled from one sparse
matrix); ``clarabel`` (interior point, conic form: zero cone for equalities, non-negative
cone for inequalities and bounds); ``cvxopt`` (``solvers.lp``, dense, its default
interior point).

**What the accuracy has to be.** The inverter accepts a layer's answer when its constraints
hold within ``FEASIBILITY_TOLERANCE = 1e-7`` times the layer's scale, and an inversion
when the forward residual is within the noise bound plus ``1e-6`` times the scale; the
noisy thresholds of the next layer grow with the misfit. A solver is good enough when its
misfit is within ``1e-8`` of the optimum (1% of ``eps`` at noise ``1e-6``); the ``ok``
column asks for ``1e-9``, to show the margin.

**Findings** (full run, ``benchmarks/results/lp_solvers.json``; 2 shared cores at load
average 4-9, so seconds are inflated, ratios are in-process):

* **l_inf LP: cvxopt**, dense, default tolerances, is the fastest at every size, 4 to 28
  times faster than ``linprog``: 0.85 s against 14.8 s on the 1568 x 501 LeakyReLU top
  layer, 0.11 s against 3.05 s on 931 x 251, 0.026 s against 0.137 s on 1181 x 61, and its
  misfit is within 2e-9 (ReLU) to 8e-9 (1568 x 501) of the optimum, closer than HiGHS
  simplex with its default tolerances (3e-8 to 1e-7 above the optimum: up to 15% of
  ``eps`` at noise 1e-6). Why: with a dense ``G`` of ``m x (n + 1)``, ``m >> n``, each
  interior-point iteration is one ``(n + 1) x (n + 1)`` Cholesky factorisation of
  ``G' D G`` and BLAS-3 products, over 10-20 iterations, while the simplex makes ``O(m)``
  pivots and HiGHS IPM and Clarabel factor a sparse KKT system of size ``m + n`` that
  holds a fully dense block. Tightening cvxopt's tolerances to 1e-10 reaches the exact
  optimum for 1.6-2.6 times the time but ends without ``"optimal"`` on some ReLU
  instances; keep the defaults, check the status, fall back to HiGHS otherwise.
* **HiGHS**, if kept: through highspy with ``primal_feasibility_tolerance`` and
  ``dual_feasibility_tolerance`` at 1e-10 it reaches the optimum at 0.6-0.7 times
  ``linprog``'s time on the ReLU LPs (2.4 times on the 1568 x 501 one); IPM with
  crossover is its best choice only on 931 x 251 (0.32). The dual formulation gives no
  speed-up; warm starts across observations of one layer give none either (0.5-2.4: the
  active set moves), and across layers nothing can carry over.
* **Feasibility LP** (600 x 350): GLOP 0.37 (violation 1e-14), highspy simplex with the
  tight tolerances 0.62; cvxopt fails on the zero objective but solves the **min-eps form**
  (minimise the violation; ``eps* = 0`` exactly when the layer is feasible) at 0.25 with
  violation 8e-10, and that form's optimal dual is a Farkas ray when ``eps* > 0``.
* PDLP (OR-Tools' and HiGHS's) and Clarabel are never the fastest here; OR-Tools PDLP hits
  its 60 s limit on 1568 x 501 at ``eps = 1e-9``.

Run ``python -m benchmarks.lp_solvers [--quick]``; writes
``benchmarks/results/lp_solvers[-quick].json`` (the quick run skips the 1568 x 501 LP).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks.common import (
    Table,
    bench_arguments,
    machine_header,
    machine_info,
    median,
    write_results,
)
from reluinv import ReluNetwork, digits_decoder, plant, random_network

FloatArray = np.ndarray
INF = float("inf")
#: ``ok`` when the misfit excess (l_inf) or the violation (feasibility) is at most this
#: times ``max(1, ||t||_inf)``.
ACCURACY = 1e-9


# -- the layer LPs -----------------------------------------------------------------------


@dataclass
class LayerLP:
    """One layer's LP in the data the inverter has: ``W``, target ``t``, rows, scales."""

    name: str
    kind: str  # "linf" or "feas"
    W: FloatArray  # (m, n)
    t: FloatArray  # (m,) target of W h (y - b, leaky rows already through s^{-1})
    active: np.ndarray  # (m,) two-sided rows (linf) / equality rows (feas)
    row_scale: FloatArray  # (m,) r_j (linf)
    nonneg: bool
    scale: float = field(init=False)

    def __post_init__(self) -> None:
        self.scale = max(1.0, float(np.max(np.abs(self.t), initial=0.0)))

    @property
    def shape(self) -> str:
        m, n = self.W.shape
        rows = (m + int(self.active.sum())) if self.kind == "linf" else m
        return f"{rows} x {n + (self.kind == 'linf')}"

    def misfit(self, h: FloatArray) -> float:
        """l_inf: the eps that ``h`` needs; feas: the largest constraint violation."""
        if self.nonneg:
            h = np.maximum(h, 0.0)
        pre = self.W @ h - self.t
        if self.kind == "linf":
            two = np.abs(pre[self.active]) / self.row_scale[self.active]
            one = np.maximum(pre[~self.active], 0.0) / self.row_scale[~self.active]
            return float(max(np.max(two, initial=0.0), np.max(one, initial=0.0)))
        return float(max(np.max(np.abs(pre[self.active]), initial=0.0),
                         np.max(np.maximum(pre[~self.active], 0.0), initial=0.0)))

    def as_min_eps(self) -> LayerLP:
        """The feasibility LP as an l_inf LP (minimise the violation ``eps``; ``eps* = 0``
        exactly when the layer is feasible). Interior-point methods want a bounded,
        non-degenerate optimum, which the zero objective does not give them."""
        return LayerLP(self.name, "linf", self.W, self.t, self.active,
                       np.ones(len(self.t)), self.nonneg)

    # The general form  min c'x, row_lo <= A x <= row_hi, col_lo <= x <= col_hi.
    def general(self, ranged: bool = False) -> tuple[FloatArray, sp.csr_matrix, FloatArray,
                                                      FloatArray, FloatArray, FloatArray]:
        m, n = self.W.shape
        lo_h = np.zeros(n) if self.nonneg else np.full(n, -INF)
        if self.kind == "feas":
            lo = np.where(self.active, self.t, -INF)
            return (np.zeros(n), sp.csr_matrix(self.W), lo, self.t.copy(), lo_h,
                    np.full(n, INF))
        c = np.zeros(n + 1)
        c[n] = 1.0
        col_lo = np.append(lo_h, 0.0)
        col_hi = np.full(n + 1, INF)
        r = self.row_scale[:, None]
        upper = np.hstack([self.W, -r])  # W h - r eps <= t
        if ranged:
            lower = np.hstack([self.W, r])  # W h + r eps >= t, -inf on inactive rows
            A = sp.csr_matrix(np.vstack([upper, lower]))
            row_lo = np.concatenate([np.full(m, -INF), np.where(self.active, self.t, -INF)])
            row_hi = np.concatenate([self.t, np.full(m, INF)])
            return c, A, row_lo, row_hi, col_lo, col_hi
        act = self.active
        A = sp.csr_matrix(np.vstack([upper, np.hstack([self.W[act], r[act]])]))
        row_lo = np.concatenate([np.full(m, -INF), self.t[act]])
        row_hi = np.concatenate([self.t, np.full(int(act.sum()), INF)])
        return c, A, row_lo, row_hi, col_lo, col_hi

    def dual(self) -> tuple[FloatArray, sp.csr_matrix, FloatArray, FloatArray, FloatArray,
                            FloatArray]:
        """The dual of the l_inf LP (module docstring), variables ``(u, v)``."""
        n = self.W.shape[1]
        act = self.active
        B = np.vstack([np.hstack([self.W.T, -self.W[act].T]),
                       np.concatenate([self.row_scale, self.row_scale[act]])[None, :]])
        k = B.shape[1]
        c = np.concatenate([self.t, -self.t[act]])
        row_lo = np.append(np.zeros(n), -INF)  # A'u - A_A'v >= 0 (h >= 0) or = 0 (h free)
        row_hi = np.append(np.full(n, INF) if self.nonneg else np.zeros(n), 1.0)
        return c, sp.csr_matrix(B), row_lo, row_hi, np.zeros(k), np.full(k, INF)


# -- solver adapters: each returns h (length n) or None ------------------------------------


def scipy_linprog(lp: LayerLP, method: str = "highs") -> FloatArray | None:
    """Exactly the inverter's call: dense ``A_ub``/``A_eq`` stacks, ``linprog``."""
    from scipy.optimize import linprog

    n = lp.W.shape[1]
    bounds: list[tuple[float | None, float | None]] = [
        (0.0, None) if lp.nonneg else (None, None)] * n
    if lp.kind == "feas":
        act = lp.active
        res = linprog(np.zeros(n), A_ub=lp.W[~act] if (~act).any() else None,
                      b_ub=lp.t[~act] if (~act).any() else None,
                      A_eq=lp.W[act], b_eq=lp.t[act], bounds=bounds, method=method)
    else:
        act = lp.active
        column = -lp.row_scale[:, None]
        A_ub = np.vstack([np.hstack([lp.W, column]), np.hstack([-lp.W[act], column[act]])])
        b_ub = np.concatenate([lp.t, -lp.t[act]])
        cost = np.zeros(n + 1)
        cost[n] = 1.0
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=[*bounds, (0.0, None)],
                      method=method)
    return None if res.status != 0 else np.asarray(res.x[:n])


def _highs(options: dict[str, Any]) -> Any:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def _pass(h: Any, c: FloatArray, A: sp.csr_matrix, row_lo: FloatArray, row_hi: FloatArray,
          col_lo: FloatArray, col_hi: FloatArray) -> None:
    import highspy

    csc = A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, col_lo, col_hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]
    h.passModel(lp)


def highspy_primal(lp: LayerLP, options: dict[str, Any]) -> FloatArray | None:
    import highspy

    h = _highs(options)
    _pass(h, *lp.general())
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value[: lp.W.shape[1]])


def highspy_dual(lp: LayerLP, options: dict[str, Any]) -> FloatArray | None:
    import highspy

    h = _highs(options)
    _pass(h, *lp.dual())
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().row_dual[: lp.W.shape[1]])


class WarmHighs:
    """The ranged primal of one network layer kept in one ``Highs`` object: each new
    observation changes the row bounds (and the ``eps`` column where a leaky row changes
    sign) and re-solves from the previous basis."""

    def __init__(self) -> None:
        self.h: Any = None
        self.shape: tuple[int, int] | None = None
        self.row_scale: FloatArray | None = None

    def __call__(self, lp: LayerLP) -> FloatArray | None:
        import highspy

        m, n = lp.W.shape
        c, A, row_lo, row_hi, col_lo, col_hi = lp.general(ranged=True)
        if self.h is None or self.shape != (m, n):
            self.h = _highs({"solver": "simplex"})
            _pass(self.h, c, A, row_lo, row_hi, col_lo, col_hi)
            self.shape = (m, n)
        else:
            idx = np.arange(2 * m, dtype=np.int32)
            self.h.changeRowsBounds(2 * m, idx, row_lo, row_hi)
            assert self.row_scale is not None
            for j in np.flatnonzero(lp.row_scale != self.row_scale).tolist():
                # the eps column: -r_j on row j, +r_j on row m + j
                self.h.changeCoeff(j, n, -lp.row_scale[j])
                self.h.changeCoeff(m + j, n, lp.row_scale[j])
        self.row_scale = lp.row_scale
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.h.getSolution().col_value[:n])


def ortools_mb(lp: LayerLP, solver: str, params: str = "") -> FloatArray | None:
    from ortools.linear_solver.python import model_builder as mb

    c, A, row_lo, row_hi, col_lo, col_hi = lp.general()
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(col_lo, col_hi, c, row_lo, row_hi, A)
    s = mb.Solver(solver)
    if params:
        s.set_solver_specific_parameters(params)
    s.set_time_limit_in_seconds(60.0)
    status = s.solve(model)
    if status not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        return None
    return np.asarray(s.values(model.get_variables()))[: lp.W.shape[1]]


def _inequality_form(lp: LayerLP) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray,
                                          FloatArray]:
    """``(c, G, h, A, b)``: ``G x <= h``, ``A x = b`` (bounds as rows of ``G``)."""
    c, A, row_lo, row_hi, col_lo, _ = lp.general()
    D = A.toarray()
    eq = row_lo == row_hi
    up = np.isfinite(row_hi) & ~eq
    lo = np.isfinite(row_lo) & ~eq
    nvar = D.shape[1]
    bounded = np.isfinite(col_lo)
    G = np.vstack([D[up], -D[lo], -np.eye(nvar)[bounded]])
    hv = np.concatenate([row_hi[up], -row_lo[lo], -col_lo[bounded]])
    return c, G, hv, D[eq], row_hi[eq]


def clarabel_solve(lp: LayerLP, tol: float) -> FloatArray | None:
    import clarabel

    c, G, hv, Aeq, beq = _inequality_form(lp)
    n = len(c)
    A = sp.csc_matrix(np.vstack([Aeq, G]))
    cones = ([clarabel.ZeroConeT(Aeq.shape[0])] if Aeq.shape[0] else []) + [
        clarabel.NonnegativeConeT(G.shape[0])]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), c, A, np.concatenate([beq, hv]),
                                    cones, settings)
    sol = solver.solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):
        return None
    return np.asarray(sol.x)[: lp.W.shape[1]]


def cvxopt_solve(lp: LayerLP, tol: float | None = None) -> FloatArray | None:
    """``tol``: ``abstol``, ``reltol`` and ``feastol`` (``None``: cvxopt's defaults,
    1e-7, 1e-6, 1e-7)."""
    from cvxopt import matrix, solvers

    c, G, hv, Aeq, beq = _inequality_form(lp)
    solvers.options.clear()
    solvers.options["show_progress"] = False
    if tol is not None:
        solvers.options.update(abstol=tol, reltol=tol, feastol=tol)
    args: list[Any] = [matrix(c), matrix(G), matrix(hv)]
    if Aeq.shape[0]:
        args += [matrix(Aeq), matrix(beq)]
    sol = solvers.lp(*args)
    if sol["status"] != "optimal" or sol["x"] is None:
        return None
    return np.asarray(sol["x"]).ravel()[: lp.W.shape[1]]


TIGHT_SIMPLEX = {"solver": "simplex", "primal_feasibility_tolerance": 1e-10,
                 "dual_feasibility_tolerance": 1e-10}
PDLP_TIGHT = ("termination_criteria { simple_optimality_criteria { "
              "eps_optimal_absolute: 1e-9 eps_optimal_relative: 1e-9 } }")

#: name, formulation, callable, applies to ("linf", "feas")
SOLVERS: list[tuple[str, str, Callable[[LayerLP], FloatArray | None], tuple[str, ...]]] = [
    ("scipy linprog highs", "primal", scipy_linprog, ("linf", "feas")),
    ("scipy linprog highs-ipm", "primal", lambda lp: scipy_linprog(lp, "highs-ipm"),
     ("linf", "feas")),
    ("highspy simplex", "primal", lambda lp: highspy_primal(lp, {"solver": "simplex"}),
     ("linf", "feas")),
    ("highspy simplex tight", "primal", lambda lp: highspy_primal(lp, TIGHT_SIMPLEX),
     ("linf", "feas")),
    ("highspy simplex", "dual", lambda lp: highspy_dual(lp, {"solver": "simplex"}),
     ("linf",)),
    ("highspy simplex tight", "dual", lambda lp: highspy_dual(lp, TIGHT_SIMPLEX),
     ("linf",)),
    ("highspy ipm", "primal", lambda lp: highspy_primal(lp, {"solver": "ipm"}),
     ("linf", "feas")),
    ("highspy ipm no crossover", "primal",
     lambda lp: highspy_primal(lp, {"solver": "ipm", "run_crossover": "off"}),
     ("linf", "feas")),
    ("highspy ipm", "dual", lambda lp: highspy_dual(lp, {"solver": "ipm"}), ("linf",)),
    ("highspy pdlp", "primal", lambda lp: highspy_primal(lp, {"solver": "pdlp"}),
     ("linf", "feas")),
    ("ortools glop", "primal", lambda lp: ortools_mb(lp, "glop"), ("linf", "feas")),
    ("ortools pdlp", "primal", lambda lp: ortools_mb(lp, "pdlp", PDLP_TIGHT),
     ("linf", "feas")),
    ("clarabel 1e-8", "primal", lambda lp: clarabel_solve(lp, 1e-8), ("linf", "feas")),
    ("clarabel 1e-10", "primal", lambda lp: clarabel_solve(lp, 1e-10), ("linf", "feas")),
    ("cvxopt", "primal", cvxopt_solve, ("linf", "feas")),
    ("cvxopt 1e-10", "primal", lambda lp: cvxopt_solve(lp, 1e-10), ("linf",)),
    ("highspy simplex", "min eps", lambda lp: highspy_primal(lp.as_min_eps(),
                                                             {"solver": "simplex"}), ("feas",)),
    ("highspy ipm", "min eps", lambda lp: highspy_primal(lp.as_min_eps(), {"solver": "ipm"}),
     ("feas",)),
    ("clarabel 1e-10", "min eps", lambda lp: clarabel_solve(lp.as_min_eps(), 1e-10),
     ("feas",)),
    ("cvxopt", "min eps", lambda lp: cvxopt_solve(lp.as_min_eps()), ("feas",)),
    ("cvxopt 1e-10", "min eps", lambda lp: cvxopt_solve(lp.as_min_eps(), 1e-10), ("feas",)),
]


# -- the cases -----------------------------------------------------------------------------


def _linf_top(net: ReluNetwork, rng: np.random.Generator, level: float, name: str) -> LayerLP:
    """The inverter's first noisy LP (the output layer) on one noisy observation."""
    inst = plant(net, rng=rng, noise_kind="uniform", level=level)
    y = inst.observation
    W = np.asarray(net.weights[-1], dtype=np.float64)
    b = np.asarray(net.biases[-1], dtype=np.float64)
    linear = net.output_linear
    leaky = net.activation == "leaky_relu" and not linear
    if linear or leaky:
        t = (np.where(y >= 0.0, y, y / net.slope) if leaky else y) - b
        active = np.ones(len(y), dtype=bool)
        scale = np.where(y < 0.0, 1.0 / net.slope, 1.0) if leaky else np.ones(len(y))
    else:
        t, active, scale = y - b, y > level, np.ones(len(y))
    nonneg = net.depth >= 2 and net.activation != "leaky_relu"
    return LayerLP(name, "linf", W, t, active, scale, nonneg)


def _feas_top(net: ReluNetwork, rng: np.random.Generator, name: str) -> LayerLP:
    """The realizable LP of the output layer (taken when its active rows do not pin h)."""
    inst = plant(net, rng=rng)
    y = inst.observation
    W = np.asarray(net.weights[-1], dtype=np.float64)
    active = y > 1e-9
    return LayerLP(name, "feas", W, y.copy(), active, np.ones(len(y)), True)


def cases(quick: bool, seed: int) -> list[tuple[str, list[LayerLP]]]:
    """``(label, instances)``: the same layer of one network, several observations."""
    count = 2 if quick else 4
    leaky = ("leaky_relu", 0.1)
    out: list[tuple[str, list[LayerLP]]] = []
    specs: list[tuple[str, list[int], Any]] = [
        ("linf relu 20x60x784 top", [20, 60, 784], "relu"),
        ("linf relu 50x250x600 top", [50, 250, 600], "relu"),
    ]
    if not quick:
        specs.append(("linf leaky 20x200x500x784 top", [20, 200, 500, 784], leaky))
    for label, sizes, act in specs:
        net = random_network(sizes, activation=act, rng=np.random.default_rng(seed))
        rng = np.random.default_rng(seed + 1)
        out.append((label, [_linf_top(net, rng, 1e-6, label) for _ in range(count)]))
    dec = digits_decoder("relu")
    rng = np.random.default_rng(seed + 2)
    out.append(("linf digits decoder 10x40x64 top",
                [_linf_top(dec, rng, 1e-6, "digits") for _ in range(count)]))
    net = random_network([20, 350, 600], rng=np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 3)
    out.append(("feas relu 20x350x600 top", [_feas_top(net, rng, "feas") for _ in range(count)]))
    return out


def run(quick: bool, seed: int) -> list[Table]:
    """Solve every case with every solver; one table."""
    budget = 5.0 if quick else 12.0  # seconds per solver and case, then stop repeating
    table = Table("LP solvers on the layer-wise inverter's LPs",
                  ["case", "LP", "solver", "form", "median s", "ratio", "gap", "ok"])
    table.header()
    for label, instances in cases(quick, seed):
        kind = instances[0].kind
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for name, form, solve, kinds in SOLVERS:
            if kind not in kinds:
                continue
            spent, results = 0.0, []
            for lp in instances:
                started = time.perf_counter()
                try:
                    h = solve(lp)
                except Exception:  # a solver's failure is a result here
                    h = None
                elapsed = time.perf_counter() - started
                results.append((elapsed, lp.misfit(h) if h is not None else np.nan))
                spent += elapsed
                if spent > budget:
                    break
            print(f"#   {label}: {name} ({form}) "
                  + ", ".join(f"{t:.3g} s misfit {e:.3g}" for t, e in results), flush=True)
            runs[(name, form)] = results
        if kind == "linf":
            warm = WarmHighs()
            warm(instances[0])  # the cold first solve, not timed
            warm_results: dict[int, tuple[float, float]] = {}
            for i in [*range(1, len(instances)), 0]:  # each solve starts from the last basis
                started = time.perf_counter()
                h = warm(instances[i])
                warm_results[i] = (time.perf_counter() - started,
                                   instances[i].misfit(h) if h is not None else np.nan)
            runs[("highspy simplex warm", "ranged primal")] = [
                warm_results[i] for i in range(len(instances))]
        best = [min((r[i][1] for r in runs.values() if len(r) > i and r[i][1] == r[i][1]),
                    default=np.nan) if kind == "linf" else 0.0
                for i in range(len(instances))]
        baseline = median([t for t, _ in runs[("scipy linprog highs", "primal")]])
        for (name, form), results in runs.items():
            gaps = [misfit - best[i] for i, (_, misfit) in enumerate(results)]
            worst = max(gaps) if all(g == g for g in gaps) else np.nan
            limit = ACCURACY * max(lp.scale for lp in instances)
            t = median([s for s, _ in results])
            table.add({"case": label, "LP": instances[0].shape, "solver": name, "form": form,
                       "median s": t, "ratio": t / baseline, "gap": worst,
                       "ok": "yes" if worst == worst and worst <= limit else "NO",
                       "runs": len(results)})
    return [table]


def main() -> None:
    args, out = bench_arguments("python -m benchmarks.lp_solvers", __doc__.splitlines()[0],
                                "lp_solvers")
    machine = machine_info()
    started = time.perf_counter()
    print(machine_header(machine))
    tables = run(args.quick, args.seed)
    write_results(out, machine, tables, {"quick": args.quick, "seed": args.seed,
                                         "seconds": time.perf_counter() - started})
    print(f"\n# {time.perf_counter() - started:.0f} s; results in {out}")


if __name__ == "__main__":
    main()
