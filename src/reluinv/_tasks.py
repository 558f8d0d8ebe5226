"""The solver and checker calls that may run in a separate interpreter.

This module imports only python-sat and drup (never the reluinv package, whose import pulls
in numpy and more), so :mod:`reluinv._bounded` can run it as a script in a fresh, isolated
Python process within milliseconds. The same functions are called directly when no time
limit applies. Run as a script it reads ``(task name, arguments)`` pickled on standard input
and writes ``("value", result)`` or ``("error", text)`` pickled on standard output.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from typing import Any

RC2_SAT_SOLVER = "g4"
"""The SAT oracle RC2 runs on (Glucose 4)."""


def solve_clauses(
    clauses: list[list[int]], solver: str, proof: bool
) -> tuple[bool, list[int] | None, list[str] | None]:
    """Run one python-sat solver on non-empty ``clauses``: (satisfiable, model, proof lines)."""
    from pysat.solvers import Solver

    with Solver(name=solver, bootstrap_with=clauses, with_proof=proof) as sat:
        satisfiable = bool(sat.solve())
        model = list(sat.get_model()) if satisfiable else None
        lines = None if satisfiable or not proof else list(sat.get_proof() or [])
    return satisfiable, model, lines


def drup_accepts(clauses: list[list[int]], lemmas: list[list[int]]) -> bool:
    """Whether the ``drup`` checker accepts ``lemmas`` (no deletions) as a refutation."""
    import drup

    return bool(drup.check_proof(clauses, lemmas).outcome == drup.Outcome.VALID)


def rc2_optimum(
    clauses: list[list[int]], weights: list[int], hard: list[bool]
) -> tuple[int, list[int], bool] | None:
    """RC2 on non-empty clauses: (RC2 cost, model, whether the hard clauses were kept hard).

    Tries the hard clauses as hard first; when they are unsatisfiable, every clause soft at
    its weight. Returns None only if RC2 finds no model even then (a solver failure).
    """
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF

    for keep_hard in (True, False) if any(hard) else (False,):
        wcnf = WCNF()
        for clause, weight, is_hard in zip(clauses, weights, hard, strict=True):
            if keep_hard and is_hard:
                wcnf.append(clause)
            else:
                wcnf.append(clause, weight=weight)
        with RC2(wcnf, solver=RC2_SAT_SOLVER, adapt=True, exhaust=True, minz=True) as rc2:
            model = rc2.compute()
            if model is not None:
                return int(rc2.cost), list(model), keep_hard
    return None


def _order_geq(values: list[int], lits: list[int], c: int) -> int | bool:
    """``[v >= c]`` of an order-encoded integer (see ``reluinv.exact.order_cnf.OrderInt``)."""
    if c <= values[0]:
        return True
    if c > values[-1]:
        return False
    index = next(i for i, v in enumerate(values) if v >= c)
    return lits[index - 1]


def linf_optimum(
    clauses: list[list[int]], outputs: list[tuple[list[int], list[int], int]], solver: str
) -> tuple[int, list[int]] | None:
    """The least ``e`` with ``|v_j - x_j| <= e`` for every ``(values, lits, x_j)`` in
    ``outputs`` (order-encoded ``v_j``) under ``clauses``, by binary search over ``e`` with
    assumptions on one incremental solver: ``(e, model)``, or None when ``clauses`` alone
    are unsatisfiable."""
    from pysat.solvers import Solver

    def assumptions(e: int) -> list[int] | None:
        lits: list[int] = []
        for values, order, x in outputs:
            low = _order_geq(values, order, x - e)      # v >= x - e
            high = _order_geq(values, order, x + e + 1)  # not (v >= x + e + 1)
            if low is False or high is True:
                return None
            lits.extend(lit for lit in (low, -high if not isinstance(high, bool) else True)
                        if not isinstance(lit, bool))
        return lits

    with Solver(name=solver, bootstrap_with=clauses) as sat:
        if not sat.solve():
            return None
        model = list(sat.get_model() or [])
        true = {lit for lit in model if lit > 0}  # variables absent from the model are false

        def value(values: list[int], order: list[int]) -> int:
            v = values[0]
            for value_i, lit in zip(values[1:], order, strict=True):
                if (lit in true) if lit > 0 else (-lit not in true):
                    v = value_i
            return v

        best = max((abs(value(values, order) - x) for values, order, x in outputs), default=0)
        low = 0
        while low < best:
            middle = (low + best) // 2
            assumed = assumptions(middle)
            if assumed is not None and sat.solve(assumptions=assumed):
                # the model satisfies the assumptions, also on variables it does not list
                model = [lit for lit in sat.get_model() or [] if -lit not in assumed] + assumed
                true = {lit for lit in model if lit > 0}
                best = max(abs(value(values, order) - x) for values, order, x in outputs)
            else:
                low = middle + 1
    return best, model


TASKS: dict[str, Callable[..., Any]] = {
    "solve_clauses": solve_clauses,
    "drup_accepts": drup_accepts,
    "rc2_optimum": rc2_optimum,
    "linf_optimum": linf_optimum,
}
"""The functions a child process may be asked to run, by name."""


def _main() -> None:
    name, args = pickle.load(sys.stdin.buffer)
    reply: tuple[str, Any]
    try:
        reply = ("value", TASKS[name](*args))
    except Exception as exc:  # reported to the parent, which decides
        reply = ("error", f"{type(exc).__name__}: {exc}")
    pickle.dump(reply, sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
