"""Exact backends against brute force over {0,1}^k on random small formulas.

Oracles: ``Formula.falsified`` clause by clause (lemma L1), ``Formula.satisfies`` (L2),
and, for linf, the network's exact forward pass on every binary z.
"""

from __future__ import annotations

import pytest
from hypothesis import given

import reluinv as ri
from reluinv.data.formula import Formula
from reluinv.strategies import formulas
from reluinv.testing import (
    all_assignments,
    brute_force_maxsat_cost,
    brute_force_min_loss,
    brute_force_satisfiable,
)

SMALL = formulas(max_vars=5, max_clauses=7)


RUNS = [("cpsat", "binary"), ("maxsat", "binary"), ("mip", "binary"), ("mip", "real"),
        ("auto", "binary"), ("auto", "real")]


@pytest.mark.parametrize(("backend", "latent"), RUNS)
@given(formula=SMALL)
def test_l1_optimum_equals_brute_force_for_every_backend_and_latent(formula: Formula,
                                                                    backend: str,
                                                                    latent: str) -> None:
    expected = brute_force_maxsat_cost(formula)
    problem = ri.encode(formula, latent=latent)  # type: ignore[arg-type]
    result = ri.solve_exact(problem, backend=backend, objective="l1")  # type: ignore[arg-type]
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified, result.message
    assert result.objective == pytest.approx(expected, abs=1e-6)
    assert result.bound == pytest.approx(expected, abs=1e-6)
    assert result.z is not None
    if latent == "binary":
        # the binary witness is an assignment that falsifies exactly the optimum weight
        assert formula.falsified([int(v) for v in result.z]) == expected
    else:
        # by L4, decoding the real-latent witness never loses
        assert formula.falsified(ri.decode(problem, result.z)) <= expected + 1e-9


@pytest.mark.parametrize(("backend", "latent"), RUNS)
@given(formula=SMALL)
def test_feasible_agrees_with_satisfiability(formula: Formula, backend: str,
                                             latent: str) -> None:
    satisfiable = brute_force_satisfiable(formula)
    problem = ri.encode(formula, latent=latent)  # type: ignore[arg-type]
    result = ri.solve_exact(problem, backend=backend, objective="feasible")  # type: ignore[arg-type]
    if satisfiable:
        assert result.status is ri.Status.OPTIMAL, result.message
        assert result.verified
        assert result.z is not None
        assert formula.satisfies(ri.decode(problem, result.z))
    else:
        assert result.status is ri.Status.INFEASIBLE, result.message
        assert result.z is None


@pytest.mark.parametrize("backend", [*ri.EXACT_BACKENDS, "auto"])
@given(formula=SMALL)
def test_linf_optimum_equals_brute_force_over_binary_latents(formula: Formula,
                                                             backend: str) -> None:
    problem = ri.encode(formula, latent="binary")
    expected = brute_force_min_loss(problem, "linf")
    weights = formula.clause_weights()
    # the same value from the formula: the smallest largest falsified clause weight
    assert expected == min(max((weights[j] for j in formula.falsified_clauses(a)), default=0)
                           for a in all_assignments(formula.num_vars))
    result = ri.solve_exact(problem, backend=backend, objective="linf")  # type: ignore[arg-type]
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified
    assert result.objective == expected
    assert result.bound == pytest.approx(expected, abs=1e-6)
