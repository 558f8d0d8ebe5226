"""solve_sat, solve_maxsat and the optimality certificate against brute force over {0,1}^n."""

from __future__ import annotations

from hypothesis import given, note
from hypothesis import strategies as st

from reluinv import Formula, SatStatus, certify_maxsat_optimum, solve_maxsat, solve_sat
from reluinv.strategies import formulas
from reluinv.testing import brute_force_maxsat_cost, brute_force_satisfiable

# Mixed formulas (empty clauses, weights, hard clauses) and dense short-clause formulas
# over few variables, which are unsatisfiable more often than not.
any_formula = st.one_of(
    formulas(max_vars=6, max_clauses=10),
    formulas(max_vars=3, max_clauses=12, min_width=1, max_width=2),
)


@given(any_formula)
def test_sat_answer_matches_brute_force_with_evidence(formula: Formula) -> None:
    result = solve_sat(formula)
    note(result.message)
    assert result.satisfiable == brute_force_satisfiable(formula)
    if result.satisfiable:
        assert result.status is SatStatus.SATISFIABLE
        assert result.model is not None
        assert len(result.model) == formula.num_vars
        assert formula.satisfies(result.model)
    else:
        assert result.status is SatStatus.UNSATISFIABLE
        assert result.proof_checked is True


@given(any_formula)
def test_maxsat_cost_is_the_minimum_over_the_cube(formula: Formula) -> None:
    result = solve_maxsat(formula)
    note(result.message)
    assert result.cost == brute_force_maxsat_cost(formula)
    assert result.model is not None
    assert formula.falsified(result.model) == result.cost
    assert result.hard_satisfiable == (result.cost < formula.hard_weight or not formula.hard)


# The lower-bound encoding grows with the claimed cost (a counter of cost - 1 per clause)
# and drup with the proof, so certificates are tested on formulas whose optimum stays
# below a few dozen: soft-only formulas, and partial ones with at most five clauses.
certifiable_formula = st.one_of(
    formulas(max_vars=5, max_clauses=8, partial=False),
    formulas(max_vars=3, max_clauses=5, min_width=1, max_width=2, weighted=True, partial=True),
)


@given(certifiable_formula, st.integers(0, 2))
def test_certificate_holds_exactly_for_the_optimum(formula: Formula, excess: int) -> None:
    optimum = brute_force_maxsat_cost(formula)
    result = solve_maxsat(formula)
    assert result.model is not None
    claimed = optimum + excess
    certificate = certify_maxsat_optimum(formula, claimed, result.model)
    note(certificate.message)
    assert certificate.upper_bound_checked == (excess == 0)
    assert certificate.lower_bound_checked is (excess == 0)
    assert certificate.certified == (excess == 0)
    if excess:
        assert certificate.better_model is not None
        assert formula.falsified(certificate.better_model) < claimed
