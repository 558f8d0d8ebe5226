"""The linear-programming solvers of the layer-wise stage, imported on first use.

Two kinds of LP arise, and they suit different solvers:

* **Noisy layer LPs** (:func:`solve_dense_lp`): dense, with ``n_{i-1} + 1`` (l_inf) or
  ``n_{i-1} + n_i`` (l_1) columns and about ``2 n_i`` rows, every entry non-zero. An
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

Warm starts were measured too: across observations of one network they gained nothing
(0.4-1.5x, the active set changes), and across layers nothing carries over (different
matrices).

Importing :mod:`scipy.optimize` takes about a third of a second, which every ``reluinv``
command would pay at start-up, and cvxopt about as much, so both are imported here, when
the first LP is solved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["DENSE_LP_SOLVERS", "DenseLPSolution", "linprog", "solve_dense_lp"]

FloatArray = npt.NDArray[np.float64]
DenseSolver = Literal["auto", "cvxopt", "highs"]
#: The solvers :func:`solve_dense_lp` accepts; ``"auto"`` is cvxopt when installed, else
#: HiGHS.
DENSE_LP_SOLVERS: tuple[DenseSolver, ...] = ("auto", "cvxopt", "highs")


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
        ``"optimal"``, ``"infeasible"`` (the solver's verdict, not a checked certificate)
        or ``"failed"`` (anything else: iteration limit, numerical trouble).
    x:
        The solution (``None`` unless optimal).
    solver:
        ``"cvxopt"`` or ``"highs"``: the one that produced the answer.
    message:
        The solver's own status text.
    """

    status: Literal["optimal", "infeasible", "failed"]
    x: FloatArray | None
    solver: str
    message: str


def _cvxopt_available() -> bool:
    try:
        import cvxopt  # noqa: F401
    except ImportError:
        return False
    return True


def _solve_cvxopt(cost: FloatArray, A_ub: FloatArray, b_ub: FloatArray,
                  nonneg: npt.NDArray[np.bool_]) -> DenseLPSolution:
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
                            options=options)
    except (ValueError, ArithmeticError) as exc:  # singular KKT system, rank errors
        return DenseLPSolution("failed", None, "cvxopt", f"cvxopt: {exc}")
    status = str(answer["status"])
    if status == "optimal":
        x = np.asarray(answer["x"], dtype=np.float64).ravel()
        return DenseLPSolution("optimal", x, "cvxopt", "cvxopt: optimal")
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
) -> DenseLPSolution:
    """``minimise cost^T x  subject to  A_ub x <= b_ub,  x_j >= 0 for nonneg[j]`` (the other
    columns free), for a dense ``A_ub``.

    ``solver="auto"`` runs cvxopt when it is installed and falls back to HiGHS when cvxopt
    is missing or ends in anything but ``optimal`` (an interior-point method may stall on
    a degenerate LP where the simplex does not). ``"cvxopt"`` without cvxopt installed
    raises :class:`~reluinv.errors.SolverError`.

    >>> sol = solve_dense_lp(np.array([1.0]), np.array([[-1.0]]), np.array([-2.0]),
    ...                      np.array([False]))
    >>> sol.status, round(float(sol.x[0]), 6)
    ('optimal', 2.0)
    """
    if solver == "highs" or (solver == "auto" and not _cvxopt_available()):
        return _solve_highs(cost, A_ub, b_ub, nonneg)
    if solver == "cvxopt" and not _cvxopt_available():
        from reluinv.errors import SolverError

        raise SolverError("solver='cvxopt' needs cvxopt: pip install 'reluinv[lp]'")
    answer = _solve_cvxopt(cost, A_ub, b_ub, nonneg)
    if answer.status == "optimal" or solver == "cvxopt":
        return answer
    fallback = _solve_highs(cost, A_ub, b_ub, nonneg)
    return DenseLPSolution(fallback.status, fallback.x, fallback.solver,
                           f"{answer.message}; then {fallback.message}")
