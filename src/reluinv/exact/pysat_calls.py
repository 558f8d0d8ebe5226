"""python-sat calls of the maxsat backend, in this process, interruptible at a time limit.

A time limit starts a :class:`threading.Timer` that calls the solver's ``interrupt()``;
the solver then returns from its current ``solve_limited`` call without an answer. An
interrupted call reports ``finished=False`` and never a verdict: the caller turns it into
UNKNOWN (or FEASIBLE with an incumbent), never INFEASIBLE.

* :func:`sat_solve`: CaDiCaL 1.9.5 on hard clauses.
* :func:`rc2_solve`: RC2 (core-guided MaxSAT) with the settings of
  :func:`reluinv.solve_maxsat` (Glucose 4 oracle, AtMost1 detection, core exhaustion and
  minimisation), so that the two are compared like for like.
* :func:`linf_search`: the least ``e`` with ``|v_j - x_j| <= e`` for order-encoded
  ``v_j``, by binary search with assumptions on one incremental CaDiCaL; an interrupted
  search still reports its incumbent and the proven lower bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reluinv.exact.order_cnf import OrderInt

__all__ = ["RC2_ORACLE", "SAT_SOLVER", "SolveOutcome", "linf_search", "rc2_solve", "sat_solve"]

#: The python-sat solver of the decision questions.
SAT_SOLVER = "cadical195"
#: The SAT oracle under RC2 (as in :func:`reluinv.solve_maxsat`).
RC2_ORACLE = "g4"


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


@contextmanager
def _alarm(solver: Any, time_limit: float | None) -> Iterator[threading.Event]:
    """Interrupt ``solver`` after ``time_limit`` seconds; the event says whether it fired."""
    fired = threading.Event()

    def ring() -> None:
        fired.set()
        solver.interrupt()

    timer = None if time_limit is None else threading.Timer(time_limit, ring)
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield fired
    finally:
        if timer is not None:
            timer.cancel()


def sat_solve(clauses: list[list[int]], *, time_limit: float | None) -> SolveOutcome:
    """Decide ``clauses`` with CaDiCaL."""
    from pysat.solvers import Solver

    with Solver(name=SAT_SOLVER, bootstrap_with=clauses) as sat, _alarm(sat, time_limit):
        answer = sat.solve_limited(expect_interrupt=time_limit is not None)
        if answer is None:
            return SolveOutcome(False, None, None, None, None)
        model = list(sat.get_model() or []) if answer else None
        return SolveOutcome(True, bool(answer), model, 0 if answer else None,
                            0 if answer else None)


def rc2_solve(hard: list[list[int]], soft: Sequence[tuple[list[int], int]], *,
              time_limit: float | None) -> SolveOutcome:
    """Minimise the weight of falsified ``soft`` clauses under ``hard`` with RC2."""
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF

    wcnf = WCNF()
    for clause in hard:
        wcnf.append(clause)
    for clause, weight in soft:
        wcnf.append(clause, weight=weight)
    with RC2(wcnf, solver=RC2_ORACLE, adapt=True, exhaust=True, minz=True) as rc2, \
            _alarm(rc2, time_limit) as fired:
        model = rc2.compute(expect_interrupt=time_limit is not None)
        if fired.is_set() and model is None:
            return SolveOutcome(False, None, None, None, None)
        if model is None:
            return SolveOutcome(True, False, None, None, None)
        cost = int(rc2.cost)
        return SolveOutcome(True, True, list(model), cost, cost)


def _true_variables(model: Sequence[int]) -> set[int]:
    """Variables set to true; a variable the model does not list is false."""
    return {lit for lit in model if lit > 0}


def linf_search(clauses: list[list[int]], outputs: Sequence[tuple[OrderInt, int]], *,
                time_limit: float | None) -> SolveOutcome:
    """The least ``e`` with ``x_j - e <= v_j <= x_j + e`` for all ``(v_j, x_j)``."""
    from pysat.solvers import Solver

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
    with Solver(name=SAT_SOLVER, bootstrap_with=clauses) as sat, _alarm(sat, time_limit):
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
