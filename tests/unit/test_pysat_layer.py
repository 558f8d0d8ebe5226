"""The python-sat layer: solver table, the one RC2, in-process interrupts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pysat.formula import WCNF

from reluinv.errors import InvalidArgumentError
from reluinv.oracles import pysat_layer
from reluinv.validation.generators import pigeonhole

SOURCE = Path(pysat_layer.__file__).resolve().parents[1]

# PHP(10, 9): Glucose 4 and RC2 need far longer than the 0.5 s limit; only an interrupt
# ends these calls.
HARD = [list(c) for c in pigeonhole(9).clauses]


def _rc2_calls(path: Path) -> int:
    """The calls ``RC2(...)`` / ``rc2.RC2(...)`` in the code of ``path`` (not its text)."""
    return sum(
        1 for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == "RC2" or getattr(node.func, "attr", None) == "RC2")
    )


def test_rc2_is_constructed_only_by_the_factory() -> None:
    calls = {str(path.relative_to(SOURCE)): _rc2_calls(path) for path in SOURCE.rglob("*.py")}
    # reluinv.testing's rc2_cost calls RC2 directly on purpose: an oracle independent of
    # the python-sat layer it judges (nothing in the package imports it).
    assert {path: n for path, n in calls.items() if n} == {"oracles/pysat_layer.py": 1,
                                                           "testing.py": 1}


def test_every_table_solver_is_offered_for_proofs_and_the_defaults_are_in_the_table() -> None:
    assert set(pysat_layer.PROOF_SOLVERS) == set(pysat_layer.SAT_SOLVER_TABLE)
    for name in (pysat_layer.DEFAULT_SAT_SOLVER, pysat_layer.INTERRUPTIBLE_SAT_SOLVER,
                 pysat_layer.SECOND_OPINION_SOLVER):
        assert name in pysat_layer.SAT_SOLVER_TABLE
    assert pysat_layer.SAT_SOLVER_TABLE[pysat_layer.INTERRUPTIBLE_SAT_SOLVER].interruptible
    assert pysat_layer.SECOND_OPINION_SOLVER != pysat_layer.DEFAULT_SAT_SOLVER


@pytest.mark.parametrize("name", sorted(pysat_layer.SAT_SOLVER_TABLE))
def test_the_interruptible_column_matches_python_sat(name: str) -> None:
    # The table says which solvers python-sat can interrupt; check it against the solver.
    with pysat_layer.sat_solver(name, [[1, 2]]) as solver:
        try:
            solver.interrupt()
            solver.clear_interrupt()
        except NotImplementedError:
            interruptible = False
        else:
            interruptible = True
    assert pysat_layer.SAT_SOLVER_TABLE[name].interruptible is interruptible


@pytest.mark.parametrize("proof", [False, True], ids=["plain", "with-proof"])
def test_an_interrupted_sat_call_is_unfinished_and_carries_no_verdict(proof: bool) -> None:
    call = pysat_layer.solve_clauses(HARD, proof=proof, time_limit=0.5)
    assert call.solver == pysat_layer.INTERRUPTIBLE_SAT_SOLVER
    assert call.finished is False
    assert call.satisfiable is None
    assert call.model is None
    assert call.proof is None


def test_an_interrupted_rc2_call_is_unfinished_and_carries_no_cost() -> None:
    wcnf = WCNF()
    for clause in HARD:
        wcnf.append(clause, weight=1)
    call = pysat_layer.rc2_optimum(wcnf, time_limit=0.5)
    assert call.finished is False
    assert call.model is None
    assert call.cost is None


def test_a_solver_is_usable_after_an_interrupt() -> None:
    # One solver, two questions told apart by selectors: assuming -s asks PHP(10, 9)
    # (interrupted); assuming s and -t asks PHP(6, 5) on fresh variables, refuted after a
    # few hundred conflicts, where an interrupt flag left set would stop the solver again.
    s, t = 91, 122
    clauses = [list(c) for c in HARD]
    clauses[9] = [*clauses[9], s]
    small = [[lit + (91 if lit > 0 else -91) for lit in c] for c in pigeonhole(5).clauses]
    clauses += [[*c, t] for c in small]
    with pysat_layer.sat_solver("glucose4", clauses) as solver:
        with pysat_layer.interrupt_after(solver, 0.2) as fired:
            assert solver.solve_limited(assumptions=[-s], expect_interrupt=True) is None
        assert fired.is_set()
        assert solver.solve_limited(assumptions=[s, -t], expect_interrupt=True) is False


def test_rc2_that_finishes_in_time_reports_the_optimum() -> None:
    wcnf = WCNF()
    wcnf.append([1, 2])
    wcnf.append([-1], weight=3)
    wcnf.append([-2], weight=2)
    call = pysat_layer.rc2_optimum(wcnf, time_limit=60)
    assert (call.finished, call.cost) == (True, 2)
    assert call.model is not None
    assert call.model == [-1, 2]


def test_rc2_on_unsatisfiable_hard_clauses_finishes_without_a_model() -> None:
    wcnf = WCNF()
    wcnf.append([1])
    wcnf.append([-1])
    wcnf.append([2], weight=1)
    call = pysat_layer.rc2_optimum(wcnf, time_limit=60)
    assert (call.finished, call.model, call.cost) == (True, None, None)


@pytest.mark.parametrize(
    ("solver", "time_limit", "expected"),
    [(None, None, "cadical195"), (None, 5.0, "glucose4"), ("cadical153", None, "cadical153"),
     ("glucose4", 5.0, "glucose4")],
)
def test_choose_sat_solver(solver: str | None, time_limit: float | None, expected: str) -> None:
    assert pysat_layer.choose_sat_solver(solver, time_limit) == expected


@pytest.mark.parametrize(
    ("solver", "match"),
    [("cadical195", "cannot be interrupted"), ("maplesat", "solver must be one of")],
)
def test_choose_sat_solver_refuses(solver: str, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        pysat_layer.choose_sat_solver(solver, 5.0)


def test_assignment_from_model_pads_and_ignores_auxiliary_variables() -> None:
    assert pysat_layer.assignment_from_model([-1, 3, 5], 4) == (0, 0, 1, 0)
    assert pysat_layer.assignment_from_model(None, 2) == (0, 0)
