"""The linear-programming solvers of the layer-wise stage, imported on first use.

Three kinds of LP arise, and they suit different solvers:

* **Noisy l_inf layer LPs** (:func:`solve_dense_lp`): dense, with ``n_{i-1} + 1`` columns
  and about ``2 n_i`` rows, every entry non-zero. An
  interior-point method whose Newton systems are formed densely suits them. Measured on
  the l_inf LPs (uniform noise 1e-6, medians, in-process ratios to
  ``scipy.optimize.linprog(method="highs")``; the solver study in ``benchmarks/`` has the
  full table): cvxopt's ``solvers.lp`` takes 0.12-0.19x of HiGHS's time on a 1181 x 61
  LP (20 x 60 x 784 ReLU top layer), 0.035-0.046x on 931 x 251 (50 x 250 x 600), and
  0.22 s against 6.5 s (HiGHS dual simplex) and 7.2 s (HiGHS IPM) on the 1568 x 501 LP
  of a 784 x 500 leaky top layer; HiGHS through highspy, GLOP, PDLP and Clarabel all sit
  between (0.23-13x). cvxopt's answers come within 2e-10..2e-9 of the best misfit any
  solver reached, inside the ``1e-7`` relative the inverter needs, with its *default*
  tolerances (tighter ones, 1e-10, make it stop with status ``unknown``). cvxopt (the
  ``lp`` extra) is therefore the default; without it, or when it does not report
  ``optimal``, HiGHS solves the same LP. The inverter never trusts the solver's misfit:
  it recomputes the misfit of the returned point from the data and judges that.
* **Feasibility LPs and Farkas rays** of the noise-free path (:func:`linprog`): sparse in
  effect (few equality rows, a one-sided block), small, and their infeasibility verdicts
  feed certificates; they go to HiGHS through :func:`scipy.optimize.linprog`, whose
  simplex gives vertex solutions and exact status codes (cvxopt fails on some of these
  zero-objective LPs; GLOP was 0.7x of HiGHS on a 600 x 350 one, not enough to move the
  certificate logic built around HiGHS's statuses).
* **Pattern LPs** of an undetermined layer (:func:`solve_rows_working_set`): the layer's
  rows composed with the layer below's, an activation pattern fixed, in the latter's few
  unknowns (plus slacks); dense, with many more rows than columns and most rows slack,
  so a working set of rows by HiGHS's dual simplex without presolve, through highspy
  (SciPy's call spends most of its time presolving the dense block).

* **Noisy l_1 layer LPs** (:func:`solve_band_dual`: the paper's LP (6) and ``l1_total``):
  ``n_{i-1} + n_i`` columns, of which ``n_i`` are slacks, make the interior-point method's
  Newton systems ``n_{i-1} + n_i`` wide; the LP's dual has one row per unknown of ``h``
  and one bounded column per row of the layer, so HiGHS's dual simplex works on a basis of
  ``n_{i-1}`` rows (plus one per budgeted row kept in the working set). Measured on the
  784 x 60 top layer of a 20 x 60 x 784 ReLU net under Gaussian noise 1e-4 (load average
  2-3 on 2 cores): 0.02-0.06 s against cvxopt's 0.7-1.2 s on the primal, the same optimum
  (differences 1e-9..2e-8 in ``h``); the whole inversion went from 5.8-6.4x the paper
  baseline's time to 0.1-0.3x. The dual is passed to HiGHS through highspy when it is
  installed (0.7 ms per LP on the digits decoders' 64 x 40 layer against about 2 ms
  more through SciPy's wrapper), from a basis guessed from the least-squares point (half
  the simplex iterations: 100-260 instead of 190-580 on the 784 x 60 layer). For the
  l_inf LPs (:func:`solve_linf_dual`, ``solver="highs-dual"``) the same route measured
  slower than cvxopt (2.5-3.1 ms against 1.9-2.4 ms on the digits' top layer; 27 ms
  against 13 ms per 20 x 60 x 784 inversion), so ``"auto"`` keeps cvxopt there.

  When that basis would be large (``n_{i-1}`` in the hundreds, or many leaky rows read
  near zero: the inverter's ``DUAL_BASIS_LIMIT``), and for ``solver="cvxopt"``, the primal
  goes to cvxopt (:func:`solve_band_lp_cvxopt`) with a KKT solver of its own: cvxopt's
  default one forms and factors ``G^T D G``, ``(n_{i-1} + n_i)`` wide, every iteration
  (80% of the time in its ``syrk``), while a slack meets only its own rows, so the slacks
  are eliminated row by row and each iteration factors one ``n_{i-1} x n_{i-1}`` matrix
  (the budget row of LP (6) adds a rank-one term). Measured on the 784 x 500 top layer of
  a 20 x 200 x 500 x 784 LeakyReLU net under Gaussian noise 1e-2 (best of 3 in one
  process, load average 1.2-1.4 on 2 cores): 0.24 s against 2.33 s with cvxopt's own KKT
  solver and about 12 s through the dual by HiGHS; its 500 x 200 layer 0.04 s against 0.44 s;
  the whole inversion 0.32 s against 2.82 s, with the same answers. At n = 60 (784 x 60,
  20 x 60 x 784 ReLU, Gaussian 1e-4) the dual stays ahead: 0.03 s against 0.11 s (1.4 s
  with cvxopt's own KKT solver). The answers are the dense primal's: same statuses, and
  the same optimum within cvxopt's stopping rule (the property tests). ``solver="highs"``
  solves the same dense primal (:func:`band_lp`) by HiGHS.

Warm starts were measured too: across observations of one network they gained nothing
(0.4-1.5x, the active set changes), and across layers nothing carries over (different
matrices).

Importing :mod:`scipy.optimize` takes about a third of a second, which every ``reluinv``
command would pay at start-up, and cvxopt about as much, so both are imported here, when
the first LP is solved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["DENSE_LP_SOLVERS", "BandLP", "DenseLPSolution", "RowsLPSolution", "band_lp",
           "cvxopt_available", "linprog", "solve_band_dual", "solve_band_lp_cvxopt",
           "solve_dense_lp", "solve_feasibility", "solve_linf_dual", "solve_rows_working_set"]

FloatArray = npt.NDArray[np.float64]
DenseSolver = Literal["auto", "cvxopt", "highs", "highs-dual"]
#: The noisy LPs' solvers: ``"auto"`` (the l_1 LPs through their dual by HiGHS while its
#: basis is small, else by cvxopt, the l_inf LPs by cvxopt when installed, else HiGHS),
#: ``"cvxopt"`` and ``"highs"`` (the primal by that solver) and ``"highs-dual"`` (every
#: noisy LP through its dual by HiGHS). :func:`solve_dense_lp` and
#: :func:`solve_band_lp_cvxopt` solve primals only and take ``"highs-dual"`` as
#: ``"highs"``.
DENSE_LP_SOLVERS: tuple[DenseSolver, ...] = ("auto", "cvxopt", "highs", "highs-dual")


def linprog(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.linprog` with the same arguments, imported on first call."""
    from scipy.optimize import linprog as scipy_linprog

    return scipy_linprog(*args, **kwargs)


@dataclass(frozen=True)
class DenseLPSolution:
    """The answer of :func:`solve_dense_lp`.

    Attributes
    ----------
    status:
        ``"optimal"``, ``"infeasible"`` (the solver's verdict, not a checked certificate),
        ``"inaccurate"`` (cvxopt stopped without certifying its last iterate, which ``x``
        holds: only on request, see :func:`solve_dense_lp`) or ``"failed"`` (anything
        else: iteration limit, numerical trouble).
    x:
        The solution (``None`` unless optimal or inaccurate).
    solver:
        ``"cvxopt"`` or ``"highs"``: the one that produced the answer.
    message:
        The solver's own status text.
    """

    status: Literal["optimal", "infeasible", "failed", "inaccurate"]
    x: FloatArray | None
    solver: str
    message: str


def cvxopt_available() -> bool:
    try:
        import cvxopt  # noqa: F401
    except ImportError:
        return False
    return True


def _solve_cvxopt(cost: FloatArray, A_ub: FloatArray, b_ub: FloatArray,
                  nonneg: npt.NDArray[np.bool_],
                  kktsolver: Callable[[dict[str, Any]], Callable[..., None]] | None = None
                  ) -> DenseLPSolution:
    """cvxopt's ``solvers.lp`` on ``G = [A_ub; -I]`` (the rows ``-x_j <= 0`` of the
    ``nonneg`` columns, in column order), with cvxopt's own KKT solver or ``kktsolver``."""
    import cvxopt
    from cvxopt import solvers

    n = cost.size
    columns = np.flatnonzero(nonneg)
    G = np.zeros((A_ub.shape[0] + columns.size, n))
    G[:A_ub.shape[0]] = A_ub
    G[A_ub.shape[0] + np.arange(columns.size), columns] = -1.0  # x_j >= 0 as -x_j <= 0
    h = np.concatenate([b_ub, np.zeros(columns.size)])
    options = {"show_progress": False}  # default tolerances: module docstring
    try:
        answer = solvers.lp(cvxopt.matrix(cost), cvxopt.matrix(G), cvxopt.matrix(h),
                            kktsolver=kktsolver, options=options)
    except (ValueError, ArithmeticError) as exc:  # singular KKT system, rank errors
        return DenseLPSolution("failed", None, "cvxopt", f"cvxopt: {exc}")
    status = str(answer["status"])
    if status == "optimal":
        x = np.asarray(answer["x"], dtype=np.float64).ravel()
        return DenseLPSolution("optimal", x, "cvxopt", "cvxopt: optimal")
    if status == "unknown" and answer["x"] is not None:
        x = np.asarray(answer["x"], dtype=np.float64).ravel()
        if np.all(np.isfinite(x)):
            return DenseLPSolution("inaccurate", x, "cvxopt",
                                   f"cvxopt: unknown after {answer['iterations']} iterations "
                                   f"(relative gap {answer['relative gap']})")
    verdict: Literal["infeasible", "failed"] = (
        "infeasible" if status == "primal infeasible" else "failed")
    return DenseLPSolution(verdict, None, "cvxopt", f"cvxopt: {status}")


def _solve_highs(cost: FloatArray, A_ub: FloatArray, b_ub: FloatArray,
                 nonneg: npt.NDArray[np.bool_]) -> DenseLPSolution:
    bounds = [(0.0, None) if flag else (None, None) for flag in nonneg.tolist()]
    result = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    message = f"HiGHS: {result.message} (status {result.status})"
    if result.status == 0:
        return DenseLPSolution("optimal", np.asarray(result.x, dtype=np.float64), "highs",
                               message)
    return DenseLPSolution("infeasible" if result.status == 2 else "failed", None, "highs",
                           message)


def solve_dense_lp(
    cost: FloatArray,
    A_ub: FloatArray,
    b_ub: FloatArray,
    nonneg: npt.NDArray[np.bool_],
    *,
    solver: DenseSolver = "auto",
    accept_inaccurate: bool = False,
) -> DenseLPSolution:
    """``minimise cost^T x  subject to  A_ub x <= b_ub,  x_j >= 0 for nonneg[j]`` (the other
    columns free), for a dense ``A_ub``.

    ``solver="auto"`` runs cvxopt when it is installed and falls back to HiGHS when cvxopt
    is missing or ends in anything but ``optimal`` (an interior-point method may stall on
    a degenerate LP where the simplex does not). With ``accept_inaccurate`` a cvxopt run
    that stops with status ``unknown`` returns its last iterate as ``"inaccurate"``
    instead, for a caller that judges the point from the data and asks HiGHS only when it
    does not do (on the 1568 x 501 l_inf LP of a 784 x 500 leaky top layer under uniform
    noise 1e-2, 314 rows near zero, cvxopt stopped after 11 iterations, 0.6-0.8 s, at a
    misfit 4e-11 above the optimum that HiGHS's simplex took 13 s to reach). ``"cvxopt"``
    without cvxopt installed raises :class:`~reluinv.errors.SolverError`.

    >>> sol = solve_dense_lp(np.array([1.0]), np.array([[-1.0]]), np.array([-2.0]),
    ...                      np.array([False]))
    >>> sol.status, round(float(sol.x[0]), 6)
    ('optimal', 2.0)
    """
    if solver in ("highs", "highs-dual") or (solver == "auto" and not cvxopt_available()):
        return _solve_highs(cost, A_ub, b_ub, nonneg)
    if solver == "cvxopt" and not cvxopt_available():
        from reluinv.errors import SolverError

        raise SolverError("solver='cvxopt' needs cvxopt: pip install 'reluinv[lp]'")
    answer = _solve_cvxopt(cost, A_ub, b_ub, nonneg)
    return _settle(answer, cost, A_ub, b_ub, nonneg, solver=solver,
                   accept_inaccurate=accept_inaccurate)


def _settle(answer: DenseLPSolution, cost: FloatArray, A_ub: FloatArray, b_ub: FloatArray,
            nonneg: npt.NDArray[np.bool_], *, solver: DenseSolver,
            accept_inaccurate: bool) -> DenseLPSolution:
    """What :func:`solve_dense_lp` makes of cvxopt's ``answer``: an uncertified iterate
    kept only on request, and HiGHS on the same LP when cvxopt did not end optimal (unless
    ``solver="cvxopt"``)."""
    if answer.status == "inaccurate" and not accept_inaccurate:
        answer = DenseLPSolution("failed", None, "cvxopt", answer.message)
    if answer.status in ("optimal", "inaccurate") or solver == "cvxopt":
        return answer
    fallback = _solve_highs(cost, A_ub, b_ub, nonneg)
    return DenseLPSolution(fallback.status, fallback.x, fallback.solver,
                           f"{answer.message}; then {fallback.message}")


@dataclass(frozen=True)
class BandLP:
    """The l_1 band LP of a noisy layer, in ``h`` (``n`` unknowns, ``h >= 0`` when
    ``nonneg``) and one slack ``s_j >= 0`` per row ``j`` of ``W`` (``m x n``)::

        minimise   sum_j row_cost_j s_j
        subject to w_j h + b_j - upper_scale_j s_j <= upper_j        (every row)
                   w_j h + b_j + lower_scale_j s_j >= lower_j        (two-sided rows)
                   sum of s_j over the one-sided rows with row_cost_j = 0 <= budget

    (the budget row only when ``budget`` is given). Solved by :func:`solve_band_dual`,
    :func:`solve_band_lp_cvxopt`, or :func:`solve_dense_lp` on :func:`band_lp`'s arrays.
    """

    W: FloatArray
    b: FloatArray
    upper: FloatArray
    upper_scale: FloatArray
    lower: FloatArray
    lower_scale: FloatArray
    two_sided: npt.NDArray[np.bool_]
    row_cost: FloatArray
    budget: float | None
    nonneg: bool


def band_lp(lp: BandLP) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """The band LP ``lp`` in the dense primal form of :func:`solve_dense_lp`: ``(cost,
    A_ub, b_ub, nonneg_columns)`` over ``x = (h, s)``.

    The rows of ``A_ub``, in this order: ``w_j h - upper_scale_j s_j <= upper_j - b_j`` for
    every row ``j``; ``-w_j h - lower_scale_j s_j <= b_j - lower_j`` for the two-sided
    rows; and, when ``budget`` is given and some one-sided row costs nothing, the budget
    row ``sum of those s_j <= budget``. Every slack is non-negative, ``h`` too when
    ``nonneg``.
    """
    W, b, budget = lp.W, lp.b, lp.budget
    m, n = W.shape
    two = np.flatnonzero(lp.two_sided)
    budgeted = _budgeted_rows(lp.two_sided, lp.row_cost, budget)
    rows = m + two.size + int(budgeted.size > 0)
    A = np.zeros((rows, n + m))
    rhs = np.empty(rows)
    A[:m, :n] = W
    np.negative(W[two], out=A[m:m + two.size, :n])
    rhs[:m] = lp.upper - b
    rhs[m:m + two.size] = b[two] - lp.lower[two]
    A[np.arange(m), n + np.arange(m)] = -lp.upper_scale
    A[m + np.arange(two.size), n + two] = -lp.lower_scale[two]
    if budgeted.size:  # LP (6): the one-sided rows' slacks share the noise budget
        A[rows - 1, n + budgeted] = 1.0
        rhs[rows - 1] = float(budget)  # type: ignore[arg-type]
    cost = np.concatenate([np.zeros(n), lp.row_cost])
    nonneg_columns = np.concatenate([np.full(n, lp.nonneg), np.ones(m, dtype=bool)])
    return cost, A, rhs, nonneg_columns


def _budgeted_rows(two_sided: npt.NDArray[np.bool_], row_cost: FloatArray,
                   budget: float | None) -> npt.NDArray[np.intp]:
    """The rows whose slacks the budget row sums: the one-sided rows that cost nothing."""
    if budget is None:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(~two_sided & (row_cost <= 0.0))


def solve_band_lp_cvxopt(
    lp: BandLP,
    *,
    solver: DenseSolver = "auto",
    accept_inaccurate: bool = False,
) -> DenseLPSolution:
    """The band LP ``lp`` by cvxopt, whose Newton systems
    are solved through the ``n x n`` matrix the slacks leave once eliminated row by row.

    The answer is that of :func:`solve_dense_lp` on :func:`band_lp`'s arrays (the same
    statuses, ``x = (h, s)``, HiGHS when cvxopt is missing or does not end optimal); only
    the linear algebra differs. Each interior-point iteration solves a KKT system
    ``[[0, G^T], [G, -D^{-1}]]`` in which ``G`` has ``n + m`` columns and ``D = diag(d)^{-2}``
    comes from cvxopt's scaling ``d > 0`` of the current iterate. cvxopt's default solver forms and
    factors ``H = G^T D G``, ``(n + m) x (n + m)``: on the 784 x 500 top layer of a
    20 x 200 x 500 x 784 leaky net 1284 x 1284 from a 2852-row ``G``, 80% of a 2.2 s solve.
    But a slack ``s_j`` meets only its own rows (its upper row, weight ``a_j``; its lower
    row when two-sided, ``c_j``; its bound ``s_j >= 0``, ``e_j``; the budget row,
    ``beta``, when budgeted), so, with ``u = upper_scale``, ``l = lower_scale``,

        H = [[W^T diag(a + c) W + diag(f),  W^T diag(g)         ],
             [diag(g) W,                    diag(q) + beta 1_B 1_B^T]],
        g = c l - a u,   q = a u^2 + c l^2 + e > 0,

    (``f`` the weights of the rows ``h >= 0``, zero for a free ``h``; ``1_B`` the budgeted
    rows' indicator). Eliminating the slacks leaves the Schur complement

        S = W^T diag(sigma) W + diag(f) + gamma v v^T,
        sigma = (a c (u + l)^2 + (a + c) e) / q,
        v = W^T (g 1_B / q),   gamma = beta / (1 + beta sum_B 1 / q),

    where ``sigma = a + c - g^2 / q`` is written without the cancellation (Cauchy-Schwarz
    makes it positive), and the budget row's term comes from Sherman-Morrison on ``diag(q)
    + beta 1_B 1_B^T``; it is added to ``S`` before the factorisation (``n^2`` work). So
    each iteration forms one ``n x n`` matrix (``m n^2`` flops by ``dsyrk``), factors it by
    Cholesky, and solves in ``O(m n)``. A Cholesky failure is reported to cvxopt as the
    singular KKT system it is (``ArithmeticError``), which cvxopt turns into ``unknown``.
    """
    cost, A, rhs, nonneg_columns = band_lp(lp)
    if solver in ("highs", "highs-dual") or (solver == "auto" and not cvxopt_available()):
        return _solve_highs(cost, A, rhs, nonneg_columns)
    if solver == "cvxopt" and not cvxopt_available():
        from reluinv.errors import SolverError

        raise SolverError("solver='cvxopt' needs cvxopt: pip install 'reluinv[lp]'")
    kkt = _band_kkt(lp.W, lp.upper_scale, lp.lower_scale, lp.two_sided,
                    _budgeted_rows(lp.two_sided, lp.row_cost, lp.budget), lp.nonneg)
    answer = _solve_cvxopt(cost, A, rhs, nonneg_columns, kktsolver=kkt)
    return _settle(answer, cost, A, rhs, nonneg_columns, solver=solver,
                   accept_inaccurate=accept_inaccurate)


def _band_kkt(W: FloatArray, upper_scale: FloatArray, lower_scale: FloatArray,
              two_sided: npt.NDArray[np.bool_], budgeted: npt.NDArray[np.intp],
              nonneg: bool) -> Callable[[dict[str, Any]], Callable[..., None]]:
    """cvxopt's ``kktsolver`` for :func:`band_lp` with the rows of ``-x_j <= 0`` appended
    (:func:`_solve_cvxopt`): ``kkt(W)`` factors the Schur complement of
    :func:`solve_band_lp_cvxopt` and returns ``solve(x, y, z)``, which overwrites ``x`` with
    ``u_x`` and ``z`` with ``diag(d) u_z`` for the solution of ``[[0, G^T], [G, -diag(d)^2]]
    (u_x, u_z) = (x, z)``."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve
    from scipy.linalg.blas import dsyrk

    m, n = W.shape
    two = np.flatnonzero(two_sided)
    t, k = two.size, budgeted.size
    up = np.asarray(upper_scale, dtype=np.float64)
    lo = np.zeros(m)
    lo[two] = lower_scale[two]
    in_budget = np.zeros(m)
    in_budget[budgeted] = 1.0
    # the row blocks of G: upper (m), lower (t), budget (0 or 1), h >= 0 (0 or n), s >= 0 (m)
    start_f = m + t + int(k > 0)
    start_e = start_f + (n if nonneg else 0)

    def g_times(x: FloatArray) -> FloatArray:  # G x
        h, s = x[:n], x[n:]
        Wh = W @ h
        parts = [Wh - up * s, -Wh[two] - lo[two] * s[two]]
        if k:
            parts.append(np.array([np.sum(s[budgeted])]))
        if nonneg:
            parts.append(-h)
        parts.append(-s)
        return np.concatenate(parts)

    def g_transposed_times(z: FloatArray) -> FloatArray:  # G^T z
        za, zc = z[:m], np.zeros(m)
        zc[two] = z[m:m + t]
        gh = W.T @ (za - zc)
        gs = -up * za - lo * zc - z[start_e:]
        if k:
            gs[budgeted] += z[m + t]
        if nonneg:
            gh -= z[start_f:start_e]
        return np.concatenate([gh, gs])

    def factor(scaling: dict[str, Any]) -> Callable[..., None]:
        di = np.asarray(scaling["di"], dtype=np.float64).ravel()
        weight = di * di  # D = diag(di)^2: the row weights of H = G^T D G
        a = weight[:m]
        c = np.zeros(m)
        c[two] = weight[m:m + t]
        beta = float(weight[m + t]) if k else 0.0
        f = weight[start_f:start_e] if nonneg else None
        e = weight[start_e:]
        g = c * lo - a * up
        q = a * up * up + c * lo * lo + e
        sigma = (a * c * (up + lo) ** 2 + (a + c) * e) / q
        S = dsyrk(1.0, np.asfortranarray((W * np.sqrt(sigma)[:, None]).T), lower=1)
        gamma, over_q = 0.0, in_budget / q
        if k:
            gamma = beta / (1.0 + beta * float(np.sum(over_q)))
            v = W.T @ (g * over_q)
            S += gamma * np.outer(v, v)
        if f is not None:
            S[np.diag_indices(n)] += f
        try:
            chol = cho_factor(S, lower=True, overwrite_a=True, check_finite=False)
        except LinAlgError as exc:
            raise ArithmeticError(f"band KKT system: {exc}") from exc
        if not np.all(np.isfinite(chol[0][np.diag_indices(n)])):
            raise ArithmeticError("band KKT system: non-finite Cholesky factor")

        def slack_solve(r: FloatArray) -> FloatArray:  # (diag(q) + beta 1_B 1_B^T)^{-1} r
            out = r / q
            if k:
                out -= gamma * float(in_budget @ out) * over_q
            return out

        def solve(x: Any, y: Any, z: Any) -> None:
            xv, zv = np.asarray(x), np.asarray(z)
            bz = zv[:, 0].copy()
            r = xv[:, 0] + g_transposed_times(weight * bz)
            r_h, r_s = r[:n], r[n:]
            h = cho_solve(chol, r_h - W.T @ (g * slack_solve(r_s)), check_finite=False)
            s = slack_solve(r_s - g * (W @ h))
            xv[:n, 0] = h
            xv[n:, 0] = s
            zv[:, 0] = di * (g_times(np.concatenate([h, s])) - bz)

        return solve

    return factor


def solve_band_dual(
    lp: BandLP,
    *,
    start: FloatArray | None = None,
) -> DenseLPSolution:
    """The band LP ``lp`` solved through its dual by HiGHS's simplex.

    The primal (:class:`BandLP`; ``U = upper - b``, ``L = lower - b``) has ``n + m``
    columns and up to ``2m + 1`` rows, and its simplex basis is that large.
    Its dual has one row per unknown of ``h`` and one column per primal row::

        maximise   sum_j (L_j v_j - U_j u_j) - budget t
        subject to W^T (u - v) >= 0       (= 0 when h is free)
                   upper_scale_j u_j + lower_scale_j v_j <= row_cost_j   (row_cost_j > 0)
                   upper_scale_j u_j <= t                     (the budgeted rows)
                   u, v, t >= 0

    and ``h`` is the vector of multipliers of the ``n`` rows ``W^T (u - v) >= 0``. A
    two-sided row with ``upper_scale_j = lower_scale_j = sigma_j`` and ``U_j = L_j`` (every
    ReLU or linear row, every leaky row outside ``|y_j| <= tau_j``) needs one column
    ``g_j = v_j - u_j`` in ``[-row_cost_j / sigma_j, row_cost_j / sigma_j]`` and no row of
    its own; a one-sided row with a cost one column ``u_j`` in ``[0, row_cost_j /
    upper_scale_j]``. The dual's basis has ``n`` rows plus one per budgeted row (each of
    those rows holds two entries), against ``2m + 1`` dense ones in the primal: on the
    784 x 60 top layer of a 20 x 60 x 784 ReLU net under Gaussian noise the dual simplex
    takes 0.01-0.03 s against cvxopt's 0.7-0.9 s on the primal (module docstring).

    *Working set.* Most one-sided rows lie far below their bound at the answer and play no
    part. Given a ``start`` point (the least-squares fit of the two-sided rows), only the
    one-sided rows that ``start`` violates or nearly violates (within the largest
    two-sided misfit of ``start``) enter the first LP; every row the answer then violates
    joins, and the LP is solved again. Leaving rows out relaxes the LP, so an answer that
    satisfies every row left out (with zero slack) is optimal for the whole LP: the loop
    ends there, with the same optimum as the full LP (at most ``m`` rounds; in practice one
    or two).

    Returns a :class:`DenseLPSolution` whose ``x`` is ``h`` alone; ``"infeasible"`` when
    the dual is unbounded (the budget cannot be met).
    """
    W, b, upper, lower, two_sided = lp.W, lp.b, lp.upper, lp.lower, lp.two_sided
    upper_scale, lower_scale, row_cost, budget = (lp.upper_scale, lp.lower_scale,
                                                  lp.row_cost, lp.budget)
    m = W.shape[0]
    U, L = upper - b, lower - b
    one = ~two_sided
    budgeted = one & (row_cost <= 0.0) if budget is not None else np.zeros(m, dtype=bool)
    simple = two_sided & (upper_scale == lower_scale) & (U == L)
    general = two_sided & ~simple
    costed_one = one & (row_cost > 0.0)
    working = budgeted.copy()
    if start is not None:
        pre = W @ start + b
        margin = float(np.max(np.abs(pre - upper)[two_sided], initial=0.0))
        working &= pre - upper > -margin
    rounds = 0
    while True:
        rounds += 1
        answer = _band_dual_once(W, U, L, upper_scale, lower_scale, row_cost, simple,
                                 general, costed_one, working, budget, lp.nonneg, start,
                                 b, upper)
        if answer.x is None:
            return answer
        left_out = np.flatnonzero(budgeted & ~working)
        violated = left_out[W[left_out] @ answer.x + b[left_out] - upper[left_out]
                            > 1e-12 * max(1.0, float(np.max(np.abs(upper), initial=0.0)))]
        if violated.size == 0:
            return DenseLPSolution("optimal", answer.x, "highs-dual",
                                   f"{answer.message}; {rounds} round(s), "
                                   f"{int(np.sum(working))} of {int(np.sum(budgeted))} "
                                   "budgeted rows")
        working[violated] = True


def _band_dual_once(W: FloatArray, U: FloatArray, L: FloatArray, upper_scale: FloatArray,
                    lower_scale: FloatArray, row_cost: FloatArray,
                    simple: npt.NDArray[np.bool_], general: npt.NDArray[np.bool_],
                    costed_one: npt.NDArray[np.bool_], working: npt.NDArray[np.bool_],
                    budget: float | None, nonneg: bool, start: FloatArray | None,
                    b: FloatArray, upper: FloatArray) -> DenseLPSolution:
    """One dual LP of :func:`solve_band_dual` over the budgeted rows in ``working`` and
    every costed row."""
    n = W.shape[1]
    g, gen, cu, bu = (np.flatnonzero(mask) for mask in (simple, general, costed_one,
                                                          working))
    # columns: g (simple two-sided), u and v (general two-sided), u (costed one-sided),
    # u (budgeted one-sided), t (the budget's multiplier, when any row is budgeted)
    has_t = bu.size > 0 and budget is not None
    columns = g.size + 2 * gen.size + cu.size + bu.size + int(has_t)
    if columns == 0:  # no row in the LP: every h (h >= 0) is optimal; keep the hint
        h = np.zeros(n) if start is None else np.array(start, dtype=np.float64)
        return DenseLPSolution("optimal", np.maximum(h, 0.0) if nonneg else h, "highs-dual",
                               "no row enters the LP: the start point is optimal")
    rows = n + gen.size + (bu.size if has_t else 0)
    M = np.zeros((rows, columns))
    # rows 0..n-1: -W^T (u - v) <= 0 (h >= 0) or = 0 (h free); g = v - u
    first = 0
    for block, sign in ((g, 1.0), (gen, -1.0), (gen, 1.0), (cu, -1.0), (bu, -1.0)):
        M[:n, first:first + block.size] = W[block].T if sign > 0 else -W[block].T
        first += block.size
    k = np.arange(gen.size)  # upper_scale u + lower_scale v <= row_cost (general rows)
    M[n + k, g.size + k] = upper_scale[gen]
    M[n + k, g.size + gen.size + k] = lower_scale[gen]
    if has_t:  # upper_scale u <= t (budgeted rows)
        k = np.arange(bu.size)
        M[n + gen.size + k, columns - 1 - bu.size + k] = upper_scale[bu]
        M[n + gen.size + k, columns - 1] = -1.0
    cost = np.concatenate([-L[g], U[gen], -L[gen], U[cu], U[bu],
                           [float(budget)] if has_t and budget is not None else []])
    radius_g = row_cost[g] / upper_scale[g]
    col_lo = np.concatenate([-radius_g, np.zeros(columns - g.size)])
    col_hi = np.concatenate([radius_g, np.full(2 * gen.size, np.inf),
                             row_cost[cu] / upper_scale[cu],
                             np.full(bu.size + int(has_t), np.inf)])
    row_hi = np.concatenate([np.zeros(n), row_cost[gen], np.zeros(rows - n - gen.size)])
    row_lo = np.full(rows, -np.inf)
    if not nonneg:
        row_lo[:n] = 0.0
    basis = None
    if start is not None:
        basis = _guess_basis(W, b, upper, start, g, cu, columns, rows, n, nonneg)
    return _solve_rows(cost, col_lo, col_hi, M, row_lo, row_hi, n, basis)


def _guess_basis(W: FloatArray, b: FloatArray, upper: FloatArray, start: FloatArray,
                 g: npt.NDArray[np.intp], cu: npt.NDArray[np.intp], columns: int, rows: int,
                 n: int, nonneg: bool
                 ) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]] | None:
    """Column and row statuses (-1 lower, 0 basic, 1 upper) of the dual basis that ``start``
    would have if it were the answer: the h-rows of its positive coordinates tight, the
    two-sided rows it fits best basic (as many as those coordinates), the others at the
    bound their residual's sign picks."""
    pre = W @ start + b
    r = pre - upper
    row_status = np.zeros(rows, dtype=np.int8)
    tight = start > 0.0 if nonneg else np.ones(n, dtype=bool)
    row_status[:n] = np.where(tight, 1, 0)
    count = int(np.sum(tight))
    if g.size < count:
        return None
    col_status = np.full(columns, -1, dtype=np.int8)
    order = np.argsort(np.abs(r[g]))
    col_status[:g.size] = np.where(r[g] > 0.0, -1, 1)
    col_status[order[:count]] = 0
    return col_status, row_status


def _highspy() -> Any:
    try:
        import highspy
    except ImportError:
        return None
    return highspy


#: Simplex iterations one HiGHS run may take, per row and column of the LP it holds (and
#: at least ``SIMPLEX_ITERATION_FLOOR``). The dual simplex started from a basis can stall
#: on a degenerate LP: on a pattern LP of a 20 x 60 x 200 x 784 decoder (460 rows, 99
#: columns, optimum 0; one row had just joined the working set) the warm re-solve ran
#: 418,758 iterations (22 s), where a solve from scratch took 87 (7 ms) and the rerun
#: after the limit 92. A warm run that reaches the limit is run once more from scratch
#: (:func:`_run_highs`); a run from scratch that reaches it ends ``"failed"``.
SIMPLEX_ITERATIONS_PER_LINE = 10
SIMPLEX_ITERATION_FLOOR = 1000


def _run_highs(highspy: Any, solver: Any, lines: int, *, warm: bool) -> Any:
    """Run ``solver`` (an LP of ``lines`` rows and columns) within the iteration limit
    (``SIMPLEX_ITERATIONS_PER_LINE``); when a ``warm`` start (a basis from an earlier run
    or a guess) reaches it, forget the basis and run once more. Returns the model status."""
    solver.setOptionValue("simplex_iteration_limit",
                          max(SIMPLEX_ITERATION_FLOOR, SIMPLEX_ITERATIONS_PER_LINE * lines))
    solver.run()
    status = solver.getModelStatus()
    if warm and status == highspy.HighsModelStatus.kIterationLimit:
        solver.clearSolver()
        solver.run()
        status = solver.getModelStatus()
    return status


def _solve_rows(cost: FloatArray, col_lo: FloatArray, col_hi: FloatArray, M: FloatArray,
                row_lo: FloatArray, row_hi: FloatArray, n: int,
                basis: tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]] | None = None
                ) -> DenseLPSolution:
    """``minimise cost^T x`` s.t. ``row_lo <= M x <= row_hi``, ``col_lo <= x <= col_hi`` by
    HiGHS's dual simplex without presolve; the answer is minus the duals of the first
    ``n`` rows (the primal ``h`` of :func:`solve_band_dual`). Through highspy when it is
    installed (a fraction of a millisecond of overhead), else through SciPy's bundled
    HiGHS (about 2 ms more per call on the digits decoders' LPs)."""
    import scipy.sparse as sp

    highspy = _highspy()
    if highspy is None:
        equal = row_lo == row_hi
        upper_rows = np.flatnonzero(~equal)
        result = linprog(cost, A_ub=M[upper_rows] if upper_rows.size else None,
                         b_ub=row_hi[upper_rows] if upper_rows.size else None,
                         A_eq=M[equal] if np.any(equal) else None,
                         b_eq=row_hi[equal] if np.any(equal) else None,
                         bounds=np.column_stack([col_lo, col_hi]), method="highs-ds",
                         options={"presolve": False})
        message = f"HiGHS dual simplex on the dual: {result.message} (status {result.status})"
        if result.status != 0:
            return DenseLPSolution("infeasible" if result.status == 3 else "failed", None,
                                   "highs-dual", message)
        duals = np.zeros(M.shape[0])
        if upper_rows.size:
            duals[upper_rows] = result.ineqlin.marginals
        if np.any(equal):
            duals[equal] = result.eqlin.marginals
        return DenseLPSolution("optimal", -duals[:n], "highs-dual", message)
    inf = highspy.kHighsInf
    # the extension's own class: highspy.Highs adds Python callbacks and prints a banner
    # on stdout when the first one is made; the core class does neither
    solver = getattr(highspy, "_Highs", highspy.Highs)()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("presolve", "off")
    solver.setOptionValue("solver", "simplex")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = int(M.shape[1]), int(M.shape[0])
    lp.col_cost_ = cost
    lp.col_lower_ = np.where(np.isfinite(col_lo), col_lo, -inf)
    lp.col_upper_ = np.where(np.isfinite(col_hi), col_hi, inf)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf)
    matrix = sp.csc_matrix(M)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    solver.passModel(lp)
    if basis is not None:
        names = {-1: highspy.HighsBasisStatus.kLower, 0: highspy.HighsBasisStatus.kBasic,
                 1: highspy.HighsBasisStatus.kUpper}
        guess = highspy.HighsBasis()
        guess.col_status = [names[int(v)] for v in basis[0]]
        guess.row_status = [names[int(v)] for v in basis[1]]
        guess.valid = True
        solver.setBasis(guess)
    status = _run_highs(highspy, solver, lp.num_row_ + lp.num_col_, warm=basis is not None)
    message = (f"HiGHS dual simplex on the dual: {solver.modelStatusToString(status)}, "
               f"{solver.getInfo().simplex_iteration_count} iterations")
    if status == highspy.HighsModelStatus.kOptimal:
        duals = np.asarray(solver.getSolution().row_dual, dtype=np.float64)
        return DenseLPSolution("optimal", -duals[:n], "highs-dual", message)
    unbounded = status in (highspy.HighsModelStatus.kUnbounded,
                           highspy.HighsModelStatus.kUnboundedOrInfeasible)
    return DenseLPSolution("infeasible" if unbounded else "failed", None, "highs-dual",
                           message)


@dataclass(frozen=True)
class RowsLPSolution:
    """The answer of :func:`solve_rows_working_set`.

    Attributes
    ----------
    status:
        ``"optimal"``, ``"infeasible"`` (the solver's verdict, not a checked certificate) or
        ``"failed"`` (anything else).
    x:
        The solution (``None`` unless optimal).
    row_dual:
        One dual value per row of the whole LP, ``0`` on the rows outside the final working
        set (``None`` unless optimal). Only its support is used: a non-zero dual marks a
        row that holds the optimum where it is.
    objective:
        ``cost^T x`` (``nan`` unless optimal).
    message:
        The solver's own status text, with the working set's size.
    """

    status: Literal["optimal", "infeasible", "failed"]
    x: FloatArray | None
    row_dual: FloatArray | None
    objective: float
    message: str


def solve_rows_working_set(cost: FloatArray, col_lo: FloatArray, M: FloatArray,
                           row_lo: FloatArray, row_hi: FloatArray,
                           first: npt.NDArray[np.bool_], *, rounds: int) -> RowsLPSolution:
    """``minimise cost^T x`` s.t. ``row_lo <= M x <= row_hi`` (each row an equality,
    ``row_lo == row_hi``, or one-sided, ``row_lo = -inf``) and ``x >= col_lo`` (``-inf``
    for a free column), over a *working set* of rows as in :func:`solve_feasibility`.

    The first LP holds the rows marked in ``first``; the rows its answer violates join
    and the LP is solved again from the basis it ended on (the new rows basic), up to
    ``rounds`` times, then with every row (at once when the smaller LP is unbounded). An
    optimum of the smaller LP that satisfies every row is an optimum of the whole one, and
    an empty smaller polyhedron proves the whole one empty. HiGHS's dual simplex without
    presolve, through highspy when it is installed, else through
    :func:`scipy.optimize.linprog`. On the pattern LPs of a 20 x 60 x 784 decoder (844
    rows; 20 unknowns and 3-63 slack columns; 141-171 rows in the working set): 0.6-1.4 ms
    per LP through highspy, where :func:`scipy.optimize.linprog` over every row (the
    feasibility LP alone, 20 columns) took 12-37 ms, most of it HiGHS's presolve of the
    dense block (4-15 ms without it).
    """
    rows = int(M.shape[0])
    working = first.copy()
    scale = max(1.0, float(np.max(np.abs(row_hi), initial=0.0)))
    tolerance = 1e-9 * scale
    highspy = _highspy()
    solver: Any = None
    if highspy is not None:
        inf = highspy.kHighsInf
        solver = getattr(highspy, "_Highs", highspy.Highs)()
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("presolve", "off")
        k = int(M.shape[1])
        solver.addVars(k, np.where(np.isfinite(col_lo), col_lo, -inf), np.full(k, inf))
        solver.changeColsCost(k, np.arange(k, dtype=np.int32), cost)
    added = np.zeros(rows, dtype=bool)
    order = np.zeros(0, dtype=np.intp)  # the working rows in the order HiGHS holds them
    round_ = 0
    while True:
        round_ += 1
        if round_ > rounds:
            working[:] = True
        if solver is not None:
            new = np.flatnonzero(working & ~added)
            block = M[new]
            nonzero = block != 0.0
            starts = np.concatenate([[0], np.cumsum(np.sum(nonzero, axis=1))[:-1]])
            lower = np.where(np.isfinite(row_lo[new]), row_lo[new], -inf)
            solver.addRows(new.size, lower, row_hi[new], int(np.sum(nonzero)),
                           starts.astype(np.int32),
                           np.nonzero(nonzero)[1].astype(np.int32), block[nonzero])
            added[new] = True
            order = np.concatenate([order, new])
            status = _run_highs(highspy, solver, order.size + int(M.shape[1]), warm=round_ > 1)
            message = (f"HiGHS: {solver.modelStatusToString(status)} "
                       f"({int(added.sum())} of {rows} rows, {round_} round(s))")
            optimal = status == highspy.HighsModelStatus.kOptimal
            infeasible = status == highspy.HighsModelStatus.kInfeasible
            unbounded = status in (highspy.HighsModelStatus.kUnbounded,
                                   highspy.HighsModelStatus.kUnboundedOrInfeasible)
            if optimal:
                solution = solver.getSolution()
                x = np.asarray(solution.col_value, dtype=np.float64)
                row_dual = np.asarray(solution.row_dual, dtype=np.float64)
                if x.shape != (int(M.shape[1]),) or row_dual.shape != order.shape:
                    # HiGHS says optimal without the solution's values (seen at extreme
                    # scales, entries near 1e30): no answer
                    return RowsLPSolution("failed", None, None, math.nan,
                                          f"{message}; no primal or dual values returned")
                duals = np.zeros(rows)
                duals[order] = row_dual
        else:
            equal = working & (row_lo == row_hi)
            upper = working & ~equal
            bounds = np.column_stack([np.where(np.isfinite(col_lo), col_lo, -np.inf),
                                      np.full(col_lo.shape, np.inf)])
            result = linprog(cost, A_ub=M[upper] if upper.any() else None,
                             b_ub=row_hi[upper] if upper.any() else None,
                             A_eq=M[equal] if equal.any() else None,
                             b_eq=row_hi[equal] if equal.any() else None,
                             bounds=bounds, method="highs-ds", options={"presolve": False})
            message = (f"HiGHS: {result.message} (status {result.status}; "
                       f"{int(working.sum())} of {rows} rows, {round_} round(s))")
            optimal, infeasible, unbounded = (result.status == 0, result.status == 2,
                                              result.status == 3)
            if optimal:
                x = np.asarray(result.x, dtype=np.float64)
                duals = np.zeros(rows)
                if upper.any():
                    duals[upper] = result.ineqlin.marginals
                if equal.any():
                    duals[equal] = result.eqlin.marginals
        if unbounded and not working.all():  # the rows left out may bound it: all of them
            working[:] = True
            continue
        if not optimal:
            return RowsLPSolution("infeasible" if infeasible else "failed", None, None,
                                  math.nan, message)
        values = M @ x
        violated = ~working & ((values > row_hi + tolerance) | (values < row_lo - tolerance))
        if not np.any(violated):
            return RowsLPSolution("optimal", x, duals, float(cost @ x), message)
        working |= violated


def solve_linf_dual(
    W: FloatArray,
    b: FloatArray,
    upper: FloatArray,
    upper_scale: FloatArray,
    lower: FloatArray,
    lower_scale: FloatArray,
    two_sided: npt.NDArray[np.bool_],
    nonneg: bool,
    *,
    start: FloatArray | None = None,
) -> DenseLPSolution:
    """The l_inf band LP of a noisy layer (minimise one misfit ``eps`` shared by every row),
    solved through its dual by HiGHS's simplex.

    The primal, in ``h`` and ``eps >= 0`` (``U = upper - b``, ``L = lower - b``; the row
    weights of the inverter are folded into ``upper_scale`` and ``lower_scale``)::

        minimise   eps
        subject to w_j h - upper_scale_j eps <= U_j          (every row)
                   w_j h + lower_scale_j eps >= L_j          (two-sided rows)

    has ``n + 1`` columns and up to ``2m`` dense rows. Its dual, with a multiplier ``u_j``
    per upper and ``v_j`` per lower bound::

        maximise   sum_j (L_j v_j - U_j u_j)
        subject to W^T (u - v) >= 0        (= 0 when h is free)
                   sum_j (upper_scale_j u_j + lower_scale_j v_j) <= 1
                   u, v >= 0

    has ``n + 1`` rows, and ``h`` is minus the multipliers of its first ``n`` rows. At the
    optimum ``n + 1`` rows attain the largest misfit (a Chebyshev fit), so the basis that
    ``start`` suggests (its ``n + 1`` rows of largest scaled residual, each on the side its
    residual's sign picks) is a close guess, and HiGHS starts from it.
    """
    m, n = W.shape
    U, L = upper - b, lower - b
    two = np.flatnonzero(two_sided)
    columns, rows = m + two.size, n + 1
    M = np.zeros((rows, columns))
    M[:n, :m] = -W.T
    M[:n, m:] = W[two].T
    M[n, :m] = upper_scale
    M[n, m:] = lower_scale[two]
    cost = np.concatenate([U, -L[two]])
    col_lo, col_hi = np.zeros(columns), np.full(columns, np.inf)
    row_lo = np.full(rows, -np.inf)
    if not nonneg:
        row_lo[:n] = 0.0
    row_hi = np.concatenate([np.zeros(n), [1.0]])
    basis = None
    if start is not None:
        pre = W @ start + b
        scaled = np.concatenate([(pre - upper) / np.where(upper_scale > 0, upper_scale, 1.0),
                                 (lower[two] - pre[two]) / np.where(lower_scale[two] > 0,
                                                                    lower_scale[two], 1.0)])
        tight = start > 0.0 if nonneg else np.ones(n, dtype=bool)
        count = int(np.sum(tight)) + 1
        if count <= columns:
            col_status = np.full(columns, -1, dtype=np.int8)
            col_status[np.argsort(-scaled)[:count]] = 0
            row_status = np.concatenate([np.where(tight, 1, 0), [1]]).astype(np.int8)
            basis = (col_status, row_status)
    return _solve_rows(cost, col_lo, col_hi, M, row_lo, row_hi, n, basis)



def solve_feasibility(A: FloatArray, rhs: FloatArray, first: npt.NDArray[np.bool_], *,
                      rounds: int) -> DenseLPSolution:
    """A point of ``{x : A x <= rhs}`` (free ``x``), a vertex when the simplex ends on one,
    by HiGHS through :func:`scipy.optimize.linprog` over a *working set* of rows.

    The first LP holds the rows marked in ``first``; every row its answer violates joins
    and the LP is solved again, up to ``rounds`` times, then with every row. A point of
    the smaller polyhedron that satisfies every row is a point of the whole one (and a
    vertex of the smaller one lying in the whole one is a vertex of it), and an empty
    smaller polyhedron proves the whole one empty, so the verdict is the full LP's.
    SciPy's call keeps HiGHS's presolve: without it, and through highspy, HiGHS leaves free
    columns at zero and returns points that are not vertices (on the two-row LP of
    ``|z| = 3`` it returned the midpoint ``(1.5, 1.5)``, which no ``z`` maps to).
    """
    rows, k = A.shape
    working = first.copy()
    tolerance = 1e-12 * max(1.0, float(np.max(np.abs(rhs), initial=0.0)))
    message = "no LP solved"
    for round_ in range(1, rounds + 2):
        if round_ > rounds:
            working[:] = True
        result = linprog(np.zeros(k), A_ub=A[working], b_ub=rhs[working],
                         bounds=[(None, None)] * k, method="highs")
        message = (f"HiGHS: {result.message} (status {result.status}; {k} unknowns, "
                   f"{int(np.sum(working))} of {rows} rows, {round_} round(s))")
        if result.status != 0:
            verdict: Literal["infeasible", "failed"] = (
                "infeasible" if result.status == 2 else "failed")
            return DenseLPSolution(verdict, None, "highs", message)
        x = np.asarray(result.x, dtype=np.float64)
        violated = ~working & (A @ x > rhs + tolerance)
        if not np.any(violated):
            return DenseLPSolution("optimal", x, "highs", message)
        working |= violated
    return DenseLPSolution("failed", None, "highs", message)
