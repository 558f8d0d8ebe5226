"""solve_sat: every status, with its evidence."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reluinv import Formula, SatStatus, parse_dimacs, solve_sat
from reluinv.errors import InvalidArgumentError, InvalidTypeError, SolverError
from reluinv.oracles import pysat_layer
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


@pytest.mark.parametrize("solver", SAT_SOLVERS)
def test_a_conflict_found_while_loading_clauses_gets_a_checked_proof(solver: str) -> None:
    # Glucose 4 finds this by unit propagation before searching and writes no proof lines.
    formula = parse_dimacs("p cnf 3 5\n1 2 0\n-1 -2 0\n1 0\n2 0\n-3 0\n")
    result = solve_sat(formula, solver=solver)
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is True


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


@pytest.mark.parametrize("solver", [None, "glucose4"])
def test_a_time_limit_interrupts_the_solver_and_gives_unknown(solver: str | None) -> None:
    # PHP(10, 9) takes Glucose 4 far longer than 0.5 s: only the interrupt ends the call.
    result = solve_sat(pigeonhole(9), solver=solver, time_limit=0.5)
    assert result.status is SatStatus.UNKNOWN
    assert result.satisfiable is None
    assert result.model is None
    assert result.proof_checked is None
    assert result.solver == "glucose4"


@pytest.mark.parametrize("solver", ["cadical195", "cadical153"])
def test_a_solver_that_cannot_be_interrupted_is_refused_with_a_time_limit(
    solver: str,
) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot be interrupted"):
        solve_sat(Formula(1, ((1,),)), solver=solver, time_limit=1)


@pytest.mark.parametrize(("time_limit", "expected"), [(None, "cadical195"), (60, "glucose4")])
def test_the_default_solver_depends_on_the_time_limit(
    time_limit: float | None, expected: str
) -> None:
    assert solve_sat(pigeonhole(3), time_limit=time_limit).solver == expected


def test_a_time_limit_that_suffices_gives_the_same_checked_answer() -> None:
    result = solve_sat(pigeonhole(4), time_limit=60)
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is True


def test_a_corrupted_solver_proof_is_reported_as_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    honest = pysat_layer.solve_clauses

    def corrupted(*args: Any, **kwargs: Any) -> pysat_layer.SatCall:
        call = honest(*args, **kwargs)
        return dataclasses.replace(call, proof=["0"] if call.proof is not None else None)

    monkeypatch.setattr(pysat_layer, "solve_clauses", corrupted)
    result = solve_sat(pigeonhole(3))
    assert result.status is SatStatus.UNSATISFIABLE
    assert result.proof_checked is False
    assert "rejected" in result.message


def test_a_wrong_model_from_the_solver_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pysat_layer, "solve_clauses", lambda *args, **kwargs: pysat_layer.SatCall(
        "cadical195", True, True, [1, 2], None, 0.0))
    with pytest.raises(SolverError, match="falsifies clauses"):
        solve_sat(parse_dimacs("p cnf 2 1\n-1 -2 0\n"))


@pytest.mark.parametrize(
    ("options", "match"),
    [({"solver": "maplesat"}, "solver must be one of 'cadical195'"),
     ({"time_limit": 0}, "time_limit must be a positive number"),
     ({"proof_time_limit": -1.0}, "proof_time_limit must be a positive number")],
)
def test_bad_options_are_rejected(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        solve_sat(Formula(1, ((1,),)), **options)


@pytest.mark.parametrize(
    ("options", "match"),
    [({"time_limit": "5"}, "time_limit must be a number"),
     ({"proof": "yes"}, "proof must be True or False"),
     ({"solver": 3}, "solver must be one of")],
)
def test_options_of_the_wrong_kind_are_rejected(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidTypeError, match=match):
        solve_sat(Formula(1, ((1,),)), **options)


def test_assignment_from_model_pads_and_ignores_auxiliary_variables() -> None:
    assert assignment_from_model([-1, 3, 5], 4) == (0, 0, 1, 0)
    assert assignment_from_model(None, 2) == (0, 0)
