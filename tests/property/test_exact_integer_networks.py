"""Both backends and every CP-SAT encoding against brute force over an integer box, on
random small integer networks (several layers, optional output masks)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given

import reluinv as ri
from reluinv.exact import encoding_names
from reluinv.strategies import integer_problems
from reluinv.testing import brute_force_min_loss

SOLVERS = [("cpsat", name) for name in encoding_names("cpsat")] + [("mip", None),
                                                                     ("auto", None)]


@pytest.mark.parametrize(("backend", "encoding"), SOLVERS,
                         ids=[f"{b}-{e}" if e else b for b, e in SOLVERS])
@pytest.mark.parametrize("objective", ["l1", "linf"])
@given(problem=integer_problems())
def test_optimum_equals_brute_force(problem: ri.InversionProblem, objective: str,
                                    backend: str, encoding: str | None) -> None:
    expected = brute_force_min_loss(problem, objective)
    result = ri.solve_exact(problem, backend=backend, objective=objective,  # type: ignore[arg-type]
                            encoding=encoding)
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified, result.message
    assert result.objective == expected, (result.backend, result.encoding)
    assert result.z is not None
    assert problem.domain.contains(result.z)


@pytest.mark.parametrize("backend", [*ri.EXACT_BACKENDS, "auto"])
@given(problem=integer_problems())
def test_feasible_finds_a_preimage_exactly_when_one_exists(problem: ri.InversionProblem,
                                                           backend: str) -> None:
    exists = brute_force_min_loss(problem, "linf") == 0
    result = ri.solve_exact(problem, backend=backend, objective="feasible")  # type: ignore[arg-type]
    if exists:
        assert result.status is ri.Status.OPTIMAL, result.message
        assert result.z is not None
        assert problem.is_preimage(result.z)
        assert result.verified
        assert result.verification == "exact"
    else:
        assert result.status is ri.Status.INFEASIBLE, result.message
        assert not result.verified
        assert result.z is None


@pytest.mark.slow  # measured 1.5-8 s on two cores
@given(problem=integer_problems())
def test_lp_tightened_bounds_keep_the_optimum(problem: ri.InversionProblem) -> None:
    plain = ri.solve_exact(problem, backend="mip", objective="l1")
    tight = ri.solve_exact(problem, backend="mip", objective="l1", bound_tightening="lp")
    # the branch the engine slack of reluinv.exact.verify is for: SCIP's own objective
    # off the exact one by its feasibility tolerance (once 0.99999667 for an exact 1)
    off = (tight.solver_objective is not None and tight.objective is not None
           and tight.solver_objective != tight.objective)
    event("engine objective off the exact one" if off else "engine objective exact")
    assert tight.status is ri.Status.OPTIMAL
    assert tight.verified
    assert tight.objective == plain.objective
    assert np.isfinite(tight.seconds)
