"""solve_maxsat and certify_maxsat_optimum: the Formula cost convention and certificates."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reluinv import (
    Formula,
    MaxSatStatus,
    certify_maxsat_optimum,
    parse_dimacs,
    solve_maxsat,
    solve_sat,
)
from reluinv.errors import InvalidArgumentError, SolverError
from reluinv.oracles import pysat_layer
from reluinv.oracles.maxsat import lower_bound_encoding
from reluinv.testing import brute_force_maxsat_cost
from tests.sat_instances import pigeonhole
from tests.strategies import formulas

# Hard clauses 1 and -1 clash; soft 3: (2), soft 2: (-2). Hard weight 1 + 5 = 6.
CLASHING_HARD = "p wcnf 2 4 100\n100 1 0\n100 -1 0\n3 2 0\n2 -2 0\n"


def test_unweighted_cost_counts_falsified_clauses() -> None:
    formula = parse_dimacs("p cnf 2 4\n1 0\n-1 0\n2 0\n-1 -2 0\n")
    result = solve_maxsat(formula)
    assert result.status is MaxSatStatus.OPTIMAL
    assert result.optimal is True
    assert result.cost == 1
    assert result.model is not None
    assert formula.falsified(result.model) == 1
    assert result.hard_satisfiable is True


def test_satisfiable_hard_clauses_leave_the_soft_optimum() -> None:
    formula = parse_dimacs("p wcnf 2 3 50\n50 1 2 0\n4 -1 0\n3 -2 0\n")
    result = solve_maxsat(formula)
    assert result.cost == 3
    assert result.model == (0, 1)
    assert result.hard_satisfiable is True


def test_clashing_hard_clauses_are_costed_at_the_hard_weight() -> None:
    formula = parse_dimacs(CLASHING_HARD)
    assert formula.hard_weight == 6
    result = solve_maxsat(formula)
    # One hard clause must go (6); then the cheaper soft clause (2): 8 in all.
    assert result.cost == 8 == brute_force_maxsat_cost(formula)
    assert result.hard_satisfiable is False
    assert result.model is not None
    assert formula.falsified(result.model) == 8


@pytest.mark.parametrize(
    ("formula", "cost"),
    [(Formula(0, ()), 0), (Formula(0, ((),)), 1), (Formula(2, ((), (1,), (-1,))), 2),
     (Formula(1, ((), (1,)), (2, 1), (True, False)), 2)],
    ids=["empty", "only-empty-clause", "empty-plus-clash", "empty-hard-clause"],
)
def test_empty_clauses_add_their_weight(formula: Formula, cost: int) -> None:
    result = solve_maxsat(formula)
    assert result.cost == cost == brute_force_maxsat_cost(formula)
    assert result.model is not None
    assert formula.falsified(result.model) == cost


def test_an_empty_hard_clause_makes_the_hard_part_unsatisfiable() -> None:
    result = solve_maxsat(Formula(1, ((), (1,)), (2, 1), (True, False)))
    assert result.hard_satisfiable is False


def test_a_time_limit_interrupts_rc2_and_gives_unknown_never_a_cost() -> None:
    # PHP(10, 9) takes RC2 far longer than 0.5 s: only the interrupt ends the call.
    result = solve_maxsat(pigeonhole(9), time_limit=0.5)
    assert result.status is MaxSatStatus.UNKNOWN
    assert result.optimal is False
    assert result.cost is None
    assert result.model is None


def test_a_time_limit_that_suffices_gives_the_optimum() -> None:
    assert solve_maxsat(pigeonhole(3), time_limit=60).cost == 1


def test_a_cost_that_disagrees_with_the_model_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pysat_layer, "rc2_optimum",
                        lambda *args, **kwargs: pysat_layer.MaxSatCall(True, [1], 0, 0.0))
    with pytest.raises(SolverError, match="falsifies weight 1"):
        solve_maxsat(parse_dimacs("p cnf 1 1\n-1 0\n"))


def test_solve_maxsat_can_attach_a_certificate() -> None:
    result = solve_maxsat(parse_dimacs(CLASHING_HARD), certify=True)
    assert result.certificate is not None
    assert result.certificate.certified is True
    assert result.certificate.cost == result.cost


# -- certificates -----------------------------------------------------------------------


def test_the_true_optimum_is_certified_with_a_checked_refutation() -> None:
    formula = pigeonhole(4)
    result = solve_maxsat(formula)
    assert result.cost == 1
    assert result.model is not None
    certificate = certify_maxsat_optimum(formula, 1, result.model)
    assert certificate.upper_bound_checked is True
    assert certificate.lower_bound_checked is True
    assert certificate.certified is True
    assert certificate.checker is not None
    assert certificate.checker.startswith("drup")
    # every clause weighs 1 >= the optimum: the lower bound is the formula's own refutation
    assert certificate.scope == "all"
    assert certificate.encoding_clauses == formula.num_clauses
    assert certificate.encoding_vars == formula.num_vars


def test_a_bound_above_a_clause_weight_relaxes_that_clause() -> None:
    # (1) (-1) (2) (-2): optimum 2, so "cost <= 1" needs relaxation and a counter
    formula = parse_dimacs("p cnf 2 4\n1 0\n-1 0\n2 0\n-2 0\n")
    certificate = certify_maxsat_optimum(formula, 2, (1, 1))
    assert certificate.certified is True
    assert certificate.encoding_clauses > formula.num_clauses


def test_a_claimed_cost_above_the_optimum_is_refuted_with_a_better_model() -> None:
    formula = parse_dimacs(CLASHING_HARD)
    worse = (1, 0)  # falsifies hard -1 (6) and soft 2 (3): cost 9, optimum 8
    assert formula.falsified(worse) == 9
    certificate = certify_maxsat_optimum(formula, 9, worse)
    assert certificate.upper_bound_checked is True
    assert certificate.lower_bound_checked is False
    assert certificate.certified is False
    assert certificate.better_model is not None
    assert formula.falsified(certificate.better_model) <= 8


def test_a_model_that_does_not_reach_the_claimed_cost_fails_the_upper_bound() -> None:
    formula = parse_dimacs(CLASHING_HARD)
    certificate = certify_maxsat_optimum(formula, 8, (1, 0))
    assert certificate.model_cost == 9
    assert certificate.upper_bound_checked is False
    assert certificate.lower_bound_checked is True
    assert certificate.certified is False


def test_cost_zero_needs_no_refutation() -> None:
    formula = parse_dimacs("p cnf 1 1\n1 0\n")
    certificate = certify_maxsat_optimum(formula, 0, (1,))
    assert certificate.certified is True
    assert certificate.proof_lines is None


def test_a_certificate_time_limit_leaves_the_lower_bound_undecided() -> None:
    holes = 11
    formula = pigeonhole(holes)
    # Pigeon p in hole p for p < holes; the last pigeon homeless: one falsified clause.
    seated = {p * holes + p for p in range(holes)}
    model = tuple(int(i in seated) for i in range(formula.num_vars))
    certificate = certify_maxsat_optimum(formula, 1, model, time_limit=0.5)
    assert certificate.upper_bound_checked is True
    assert certificate.lower_bound_checked is None
    assert certificate.certified is False


@pytest.mark.parametrize(
    ("cost", "options", "match"),
    [(-1, {}, "cost must be a non-negative int"),
     (1.5, {}, "cost must be a non-negative int"),
     (1, {"solver": "minisat22"}, "solver must be one of"),
     (1, {"solver": "cadical195", "time_limit": 5}, "cannot be interrupted"),
     (1, {"time_limit": -2}, "time_limit must be a positive number")],
)
def test_bad_certificate_arguments_are_rejected(
    cost: Any, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        certify_maxsat_optimum(Formula(1, ((1,),)), cost, (1,), **options)


def test_lower_bound_encoding_layout() -> None:
    # Pin the sizes: n = 2 formula variables, m = 3 relaxation variables, then a counter
    # of 3 items x bound 1 = 3 auxiliary variables; 3 relaxed clauses, then 1 counter
    # clause for the first item and 3 (item, carry, overflow) for each later one.
    formula = parse_dimacs("p cnf 2 3\n1 0\n-1 2 0\n-2 0\n")
    encoding = lower_bound_encoding(formula, 1)
    assert encoding.clauses[:3] == ((1, 3), (-1, 2, 4), (-2, 5))
    assert encoding.num_vars == 2 + 3 + 3
    assert encoding.num_clauses == 3 + 7


def test_lower_bound_encoding_keeps_clauses_heavier_than_the_bound_as_they_are() -> None:
    # weights 3, 1, 2 and bound 1: only the weight-1 clause is relaxed (variable 3); the
    # others enter unchanged; the counter over one item of weight 1 <= 1 has no clause
    formula = parse_dimacs("p wcnf 2 3 9\n3 1 0\n1 -1 2 0\n2 -2 0\n")
    encoding = lower_bound_encoding(formula, 1)
    assert encoding.clauses[0] == (-1, 2, 3)
    assert set(encoding.clauses[1:3]) == {(1,), (-2,)}
    plain = lower_bound_encoding(formula, 0)
    assert plain.clauses == formula.clauses
    assert plain.num_vars == formula.num_vars


@settings(max_examples=60, deadline=None)
@given(formulas(max_vars=5, max_clauses=10), st.integers(0, 6))
def test_lower_bound_encoding_is_satisfiable_exactly_within_the_bound(
    formula: Formula, bound: int
) -> None:
    # the encoding has a model iff some assignment falsifies weight <= bound (brute force)
    encoding = lower_bound_encoding(formula, bound)
    relaxed = sum(w <= bound for w in formula.clause_weights())
    event("some clause relaxed" if relaxed else "no clause relaxed")
    reachable = brute_force_maxsat_cost(formula) <= bound
    event("bound reachable" if reachable else "bound below the optimum")
    assert solve_sat(encoding, proof=False).satisfiable is reachable


@settings(max_examples=40, deadline=None)
@given(formulas(max_vars=6, max_clauses=14))
def test_certified_optimum_with_cores_matches_brute_force(formula: Formula) -> None:
    result = solve_maxsat(formula, certify=True)
    certificate = result.certificate
    assert certificate is not None
    assert result.cost == brute_force_maxsat_cost(formula)
    assert certificate.certified is True
    assert certificate.lower_bound == result.cost
    event(f"scope {certificate.scope}")


@pytest.mark.parametrize("bound", [0, 1, 2])
def test_a_restricted_refutation_never_proves_a_false_bound(bound: int) -> None:
    # (1) (-1) (2) (-2) (3): cost 2. Over the subset {0, 1} the best cost is 1, so the
    # claim "cost >= 3" must fail whatever subset the cores suggest
    formula = parse_dimacs("p cnf 3 5\n1 0\n-1 0\n2 0\n-2 0\n3 0\n")
    model = (1, 1, 1)
    wrong = certify_maxsat_optimum(formula, 3, model, core_clauses={0, 1})
    assert wrong.certified is False
    right = certify_maxsat_optimum(formula, 2, model, core_clauses=set(range(bound)))
    assert right.certified is True


def test_a_lower_bound_whose_counter_is_too_large_is_left_unchecked() -> None:
    """Weights of 2^40: the unary counter of the lower-bound encoding would need about
    4 x 2^40 cells (a MemoryError, or hours); the bound is left unchecked, as after a time
    limit, and the model's upper bound is still re-counted."""
    from reluinv.oracles.maxsat import LOWER_BOUND_CELL_LIMIT, certify_maxsat_optimum

    big = 2**40
    formula = parse_dimacs(f"p wcnf 2 4 {4 * big}\n{big} 1 0\n{big} -1 0\n1 2 0\n1 -2 0\n")
    solved = solve_maxsat(formula)
    assert solved.cost == big + 1
    certificate = certify_maxsat_optimum(formula, solved.cost, solved.model)
    assert certificate.upper_bound_checked
    assert certificate.lower_bound_checked is None
    assert not certificate.certified
    assert f"{LOWER_BOUND_CELL_LIMIT:,}" in certificate.message
