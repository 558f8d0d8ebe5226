"""The solver and checker calls that may run in a separate interpreter.

This module imports only python-sat and drup (never the reluinv package, whose import pulls
in numpy and more), so :mod:`reluinv.oracles._bounded` can run it as a script in a fresh, isolated
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


TASKS: dict[str, Callable[..., Any]] = {
    "solve_clauses": solve_clauses,
    "drup_accepts": drup_accepts,
    "rc2_optimum": rc2_optimum,
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
