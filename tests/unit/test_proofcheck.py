"""The DRUP proof-check path: parsing, acceptance, rejection and its time limit."""

from __future__ import annotations

import hashlib

import pytest
from pysat.solvers import Solver

from reluinv.errors import InvalidArgumentError
from reluinv.oracles.proofcheck import PROOF_CHECKER, check_drup_proof, parse_drup_lines
from tests.sat_instances import pigeonhole

XOR2 = [[1, 2], [-1, 2], [1, -2], [-1, -2]]  # unsatisfiable; "2 0" then "0" refutes it


def _proof(clauses: list[list[int]]) -> list[str]:
    with Solver(name="cadical195", bootstrap_with=clauses, with_proof=True) as solver:
        assert solver.solve() is False
        return list(solver.get_proof())


def test_parse_drops_deletions_and_keeps_the_empty_clause() -> None:
    assert parse_drup_lines(["1 -2 0", "d 1 2 0", "d 3 0", "-1 0", "0"]) == (
        [[1, -2], [-1], []], 2
    )


@pytest.mark.parametrize(
    ("line", "rule"),
    [("1 2", "must end in 0"), ("1 0 2 0", "no other 0"), ("1 x 0", "not a DRUP lemma"),
     ("", "must end in 0")],
)
def test_parse_rejects_malformed_lines(line: str, rule: str) -> None:
    with pytest.raises(InvalidArgumentError, match=rule):
        parse_drup_lines(["1 0", line])


def test_a_valid_refutation_is_accepted_and_the_checker_named() -> None:
    check = check_drup_proof(XOR2, ["2 0", "0"])
    assert check.accepted is True
    assert check.checker == PROOF_CHECKER
    assert check.checker.startswith("drup ")
    assert check.lemmas == 2
    assert check.proof_sha256 == hashlib.sha256(b"2 0\n0").hexdigest()


def test_a_proof_with_a_lemma_dropped_is_rejected() -> None:
    # Without the lemma "2 0", the empty clause is not a unit-propagation consequence.
    assert check_drup_proof(XOR2, ["0"]).accepted is False


def test_a_proof_not_ending_in_the_empty_clause_is_rejected() -> None:
    check = check_drup_proof(XOR2, ["2 0"])
    assert check.accepted is False
    assert "empty clause" in check.message


def test_a_proof_for_another_formula_is_rejected() -> None:
    formula = [list(c) for c in pigeonhole(4).clauses]
    proof = _proof(formula)
    assert check_drup_proof(formula, proof).accepted is True
    # Dropping a pigeon clause makes the formula satisfiable: no sound checker accepts.
    assert check_drup_proof(formula[1:], proof).accepted is False


def test_solver_deletion_lines_are_dropped_before_checking() -> None:
    formula = [list(c) for c in pigeonhole(6).clauses]
    proof = _proof(formula)
    deletions = sum(line.startswith("d") for line in proof)
    assert deletions > 0
    check = check_drup_proof(formula, proof)
    assert check.accepted is True
    assert check.deletions == deletions
    assert check.lemmas == len(proof) - deletions


def test_an_empty_clause_in_the_formula_is_refuted_by_the_one_line_proof() -> None:
    assert check_drup_proof([[1], []], ["0"]).accepted is True


def test_a_check_over_its_time_limit_is_not_checked() -> None:
    # drup needs about a minute for this 7,000-lemma refutation of PHP(8, 7).
    formula = [list(c) for c in pigeonhole(7).clauses]
    check = check_drup_proof(formula, _proof(formula), time_limit=1.0)
    assert check.accepted is None
    assert "did not finish" in check.message
