"""python-sat calls of the maxsat backend, in this process, interruptible at a time limit.

Every call goes through :mod:`reluinv.oracles.pysat_layer`: its solver table, its one RC2
configuration and its time-limit mechanism (a timer that calls the solver's
``interrupt()``). An interrupted call reports ``finished=False`` and never a verdict: the
caller turns it into UNKNOWN (or FEASIBLE with an incumbent), never INFEASIBLE.

* :func:`sat_solve`: the layer's decision solver on hard clauses (CaDiCaL 1.9.5 without a
  time limit; Glucose 4 with one, because python-sat cannot interrupt CaDiCaL).
* :func:`rc2_solve`: RC2 as :func:`reluinv.oracles.pysat_layer.make_rc2` builds it, the
  configuration of :func:`reluinv.solve_maxsat`, so that the two are compared like for
  like.
* :func:`linf_search`: the least ``e`` with ``|v_j - x_j| <= e`` for order-encoded
  ``v_j``, by binary search with assumptions on one incremental solver (the same choice
  as :func:`sat_solve`); an interrupted search still reports its incumbent and the proven
  lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pysat.formula import WCNF

from reluinv.exact.order_cnf import OrderInt
from reluinv.oracles import pysat_layer

__all__ = ["RC2_ORACLE", "SAT_SOLVER", "SolveOutcome", "linf_search", "rc2_solve", "sat_solve"]

#: The python-sat solver of the decision questions without a time limit (with one:
#: :data:`reluinv.oracles.pysat_layer.INTERRUPTIBLE_SAT_SOLVER`).
SAT_SOLVER = pysat_layer.DEFAULT_SAT_SOLVER
#: The SAT oracle under RC2 (as in :func:`reluinv.solve_maxsat`).
RC2_ORACLE = pysat_layer.RC2_ORACLE


@dataclass(frozen=True)
class SolveOutcome:
    """What one call established.

    ``finished``: the solver answered before the time limit. ``satisfiable``: the hard
    clauses have a model (``None`` when not finished). ``model``: the best model found
    (signed literals), or ``None``. ``value``: its objective (RC2's cost, the linf ``e``).
    ``lower``: a proven lower bound on the objective (``None`` when there is none).
    """

    finished: bool
    satisfiable: bool | None
    model: list[int] | None
    value: int | None
    lower: int | None


def sat_solve(clauses: list[list[int]], *, time_limit: float | None) -> SolveOutcome:
    """Decide ``clauses`` with the layer's decision solver."""
    call = pysat_layer.solve_clauses(clauses, time_limit=time_limit)
    if not call.finished:
        return SolveOutcome(False, None, None, None, None)
    answer = bool(call.satisfiable)
    return SolveOutcome(True, answer, call.model if answer else None, 0 if answer else None,
                        0 if answer else None)


def rc2_solve(hard: list[list[int]], soft: Sequence[tuple[list[int], int]], *,
              time_limit: float | None) -> SolveOutcome:
    """Minimise the weight of falsified ``soft`` clauses under ``hard`` with RC2."""
    wcnf = WCNF()
    for clause in hard:
        wcnf.append(clause)
    for clause, weight in soft:
        wcnf.append(clause, weight=weight)
    call = pysat_layer.rc2_optimum(wcnf, time_limit=time_limit)
    if not call.finished:
        return SolveOutcome(False, None, None, None, None)
    if call.model is None:
        return SolveOutcome(True, False, None, None, None)
    return SolveOutcome(True, True, call.model, call.cost, call.cost)


def _true_variables(model: Sequence[int]) -> set[int]:
    """Variables set to true; a variable the model does not list is false."""
    return {lit for lit in model if lit > 0}


def linf_search(clauses: list[list[int]], outputs: Sequence[tuple[OrderInt, int]], *,
                time_limit: float | None) -> SolveOutcome:
    """The least ``e`` with ``x_j - e <= v_j <= x_j + e`` for all ``(v_j, x_j)``."""
    def deviation(true: set[int]) -> int:
        return max((abs(v.value_in(true) - x) for v, x in outputs), default=0)

    def assumptions(e: int) -> list[int] | None:
        """Literals for ``v_j >= x_j - e`` and ``not v_j >= x_j + e + 1``; ``None`` when a
        bound is constantly false."""
        lits: list[int] = []
        for v, x in outputs:
            low, high = v.geq(x - e), v.geq(x + e + 1)
            if low is False or high is True:
                return None
            if low is not True:
                lits.append(int(low))
            if high is not False:
                lits.append(-int(high))
        return lits

    expect = time_limit is not None
    name = pysat_layer.choose_sat_solver(None, time_limit)
    with pysat_layer.sat_solver(name, clauses) as sat, \
            pysat_layer.interrupt_after(sat, time_limit):
        first = sat.solve_limited(expect_interrupt=expect)
        if first is None:
            return SolveOutcome(False, None, None, None, None)
        if not first:
            return SolveOutcome(True, False, None, None, None)
        model = list(sat.get_model() or [])
        best, low = deviation(_true_variables(model)), 0
        while low < best:
            middle = (low + best) // 2
            assumed = assumptions(middle)
            answer = (False if assumed is None
                      else sat.solve_limited(assumptions=assumed, expect_interrupt=expect))
            if answer is None:
                return SolveOutcome(False, True, model, best, low)
            if answer:
                # the model satisfies the assumptions, also on variables it does not list
                assumed_set = set(assumed or [])
                model = [lit for lit in sat.get_model() or [] if -lit not in assumed_set]
                model += list(assumed_set)
                best = deviation(_true_variables(model))
            else:
                low = middle + 1
    return SolveOutcome(True, True, model, best, best)
