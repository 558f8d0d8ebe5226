"""solve_sat: every status, with its evidence."""

from __future__ import annotations

from typing import Any

import pytest

import reluinv.oracles._tasks
from reluinv import Formula, SatStatus, parse_dimacs, solve_sat
from reluinv.errors import InvalidArgumentError, SolverError
from reluinv.oracles.sat import SAT_SOLVERS, assignment_from_model
from tests.sat_instances import pigeonhole


@pytest.mark.parametrize("solver", SAT_SOLVERS)
@pytest.mark.parametrize("holes", [3, 4, 5])
def test_pigeonhole_is_unsatisfiable_with_a_checked_proof(solver: str, holes: int) -> None:
    result = solve_sat(pigeonhole(holes), solver=solver)
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.satisfiable is False
    assert result.model is None
    assert result.proof_checked is True
    assert result.checker is not None
    assert result.checker.startswith("drup")
    assert result.proof_lines is not None
    assert result.proof_lines >= 1
    assert result.proof_lemmas is not None
    assert result.proof_lemmas <= result.proof_lines
    assert result.proof_sha256 is not None
    assert len(result.proof_sha256) == 64


def test_a_satisfiable_formula_gets_a_model_sized_by_the_declared_variables() -> None:
    # Variables 3 and 4 occur in no clause; the model still has one value per variable.
    formula = parse_dimacs("p cnf 4 3\n1 2 0\n-1 0\n2 -2 0\n")
    result = solve_sat(formula)
    assert result.status is SatStatus.SATISFIABLE
    assert result.satisfiable is True
    assert result.model is not None
    assert len(result.model) == 4
    assert result.model[:2] == (0, 1)
    assert formula.satisfies(result.model)
    assert result.proof_checked is None


@pytest.mark.parametrize("formula", [Formula(0, ()), Formula(3, ())],
                         ids=["no-variables", "no-clauses"])
def test_a_formula_without_clauses_is_satisfiable(formula: Formula) -> None:
    result = solve_sat(formula)
    assert result.satisfiable is True
    assert result.model == (0,) * formula.num_vars


@pytest.mark.parametrize("formula", [Formula(0, ((),)), Formula(2, ((1,), (), (-2, 1)))],
                         ids=["only-empty", "empty-among-others"])
def test_an_empty_clause_is_refuted_with_a_checked_proof(formula: Formula) -> None:
    result = solve_sat(formula)
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is True
    assert result.solver == "none"


def test_weights_are_ignored_and_soft_clauses_must_hold_too() -> None:
    formula = parse_dimacs("p wcnf 1 2 10\n10 1 0\n1 -1 0\n")
    assert solve_sat(formula).status is SatStatus.UNSATISFIABLE


def test_without_proof_nothing_is_checked() -> None:
    result = solve_sat(pigeonhole(3), proof=False)
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is None
    assert result.checker is None
    assert "no proof requested" in result.message


def test_a_time_limit_gives_unknown_never_an_answer() -> None:
    result = solve_sat(pigeonhole(11), time_limit=0.5)
    assert result.status is SatStatus.UNKNOWN
    assert result.satisfiable is None
    assert result.model is None
    assert result.proof_checked is None


def test_a_time_limit_that_suffices_gives_the_same_checked_answer() -> None:
    result = solve_sat(pigeonhole(4), time_limit=60)
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is True


def test_a_corrupted_solver_proof_is_reported_as_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    honest = reluinv.oracles._tasks.solve_clauses

    def corrupted(*args: Any) -> tuple[bool, list[int] | None, list[str] | None]:
        satisfiable, model, lines = honest(*args)
        return satisfiable, model, ["0"] if lines is not None else None

    monkeypatch.setattr(reluinv.oracles._tasks, "solve_clauses", corrupted)
    result = solve_sat(pigeonhole(3))
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is False
    assert "rejected" in result.message


def test_a_wrong_model_from_the_solver_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reluinv.oracles._tasks, "solve_clauses", lambda *args: (True, [1, 2], None))
    with pytest.raises(SolverError, match="falsifies clauses"):
        solve_sat(parse_dimacs("p cnf 2 1\n-1 -2 0\n"))


@pytest.mark.parametrize(
    ("options", "match"),
    [({"solver": "maplesat"}, "not a proof-logging solver"),
     ({"time_limit": 0}, "time_limit must be positive"),
     ({"time_limit": "5"}, "time_limit must be a number"),
     ({"proof_time_limit": -1.0}, "proof_time_limit must be positive")],
)
def test_bad_options_are_rejected(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        solve_sat(Formula(1, ((1,),)), **options)


def test_assignment_from_model_pads_and_ignores_auxiliary_variables() -> None:
    assert assignment_from_model([-1, 3, 5], 4) == (0, 0, 1, 0)
    assert assignment_from_model(None, 2) == (0, 0)
