"""The maxsat backend (network compiled to CNF, python-sat) against brute force.

Oracles: ``Formula.falsified`` / ``Formula.satisfies`` over ``{0,1}^k`` for the reduction's
networks, and the network's exact forward pass at every point of the latent domain for
random small integer networks (binary latents, and integer boxes, where the order
encoding of the latent itself is exercised).
"""

from __future__ import annotations

import pytest
from hypothesis import given

import reluinv as ri
from reluinv.data.formula import Formula
from reluinv.strategies import formulas, integer_problems
from reluinv.testing import brute_force_maxsat_cost, brute_force_min_loss, brute_force_satisfiable

SMALL = formulas(max_vars=5, max_clauses=7)


@given(SMALL)
def test_l1_optimum_equals_the_least_falsified_weight(formula: Formula) -> None:
    expected = brute_force_maxsat_cost(formula)
    problem = ri.encode(formula, latent="binary")
    result = ri.solve_exact(problem, backend="maxsat", objective="l1")
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified, result.message
    assert result.verification == "exact"
    assert result.objective == expected
    assert result.bound == expected
    assert result.z is not None
    assert formula.falsified([int(v) for v in result.z]) == expected


@given(SMALL)
def test_feasible_agrees_with_satisfiability(formula: Formula) -> None:
    satisfiable = brute_force_satisfiable(formula)
    problem = ri.encode(formula, latent="binary")
    result = ri.solve_exact(problem, backend="maxsat", objective="feasible")
    if satisfiable:
        assert result.status is ri.Status.OPTIMAL, result.message
        assert result.verified
        assert result.z is not None
        assert formula.satisfies(ri.decode(problem, result.z))
    else:
        assert result.status is ri.Status.INFEASIBLE, result.message
        assert result.z is None


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "integer_box"])
@pytest.mark.parametrize("objective", ["l1", "linf"])
@given(data=integer_problems(binary=True), box=integer_problems())
def test_optimum_equals_brute_force_on_integer_networks(
    data: ri.InversionProblem, box: ri.InversionProblem, objective: str, binary: bool
) -> None:
    problem = data if binary else box
    expected = brute_force_min_loss(problem, objective)
    result = ri.solve_exact(problem, backend="maxsat", objective=objective)
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified, result.message
    assert result.objective == expected
    assert result.z is not None
    assert problem.domain.contains(result.z)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "integer_box"])
@given(data=integer_problems(binary=True), box=integer_problems())
def test_feasible_finds_a_preimage_exactly_when_one_exists(
    data: ri.InversionProblem, box: ri.InversionProblem, binary: bool
) -> None:
    problem = data if binary else box
    exists = brute_force_min_loss(problem, "linf") == 0
    result = ri.solve_exact(problem, backend="maxsat", objective="feasible")
    if exists:
        assert result.status is ri.Status.OPTIMAL, result.message
        assert result.z is not None
        assert problem.is_preimage(result.z)
        assert result.verification == "exact"
    else:
        assert result.status is ri.Status.INFEASIBLE, result.message
        assert result.z is None
