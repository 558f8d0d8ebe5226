"""Why the cpsat backend refuses real latent codes.

CP-SAT has no continuous variables: a model with some (here through pywraplp's CP_SAT
interface) is scaled to integers, and a problem whose only solution is x = y = w = 1/3
comes back INFEASIBLE, a wrong proof. SCIP solves the same model. If OR-Tools ever changes
this, the first test fails and the refusal can be revisited; until then the backend must
refuse (second test), and the MIP backend answers the same question (third test).
"""

from __future__ import annotations

import numpy as np
import pytest
from ortools.linear_solver import pywraplp

import reluinv as ri
from reluinv.errors import UnsupportedProblemError


def one_third_model(engine: str) -> tuple[int, list[float]]:
    """x + y + w = 1, x = y, y = w over [0, 1]^3: the only solution is 1/3 everywhere."""
    solver = pywraplp.Solver.CreateSolver(engine)
    solver.SuppressOutput()
    x, y, w = (solver.NumVar(0.0, 1.0, name) for name in "xyw")
    solver.Add(x + y + w == 1)
    solver.Add(x == y)
    solver.Add(y == w)
    status = solver.Solve()
    return status, [v.solution_value() for v in (x, y, w)]


def test_cpsat_scales_continuous_variables_and_misses_x_one_third() -> None:
    status, _ = one_third_model("CP_SAT")
    assert status == pywraplp.Solver.INFEASIBLE
    status, values = one_third_model("SCIP")
    assert status == pywraplp.Solver.OPTIMAL
    assert values == pytest.approx([1 / 3] * 3)


# G(z) = ReLU([z1 + z2 + z3, z1 - z2, z2 - z1, z2 - z3, z3 - z2]) = (1, 0, 0, 0, 0)
# holds on [0, 1]^3 only at z = (1/3, 1/3, 1/3): the same question as an inversion problem.
ONE_THIRD = ri.InversionProblem(
    ri.ReluNetwork([[[1, 1, 1], [1, -1, 0], [-1, 1, 0], [0, 1, -1], [0, -1, 1]]]),
    np.array([1.0, 0.0, 0.0, 0.0, 0.0]),
    ri.LatentDomain.box(3, 0.0, 1.0),
)


def test_cpsat_backend_refuses_the_real_latent() -> None:
    with pytest.raises(UnsupportedProblemError, match="use backend='mip'"):
        ri.solve_exact(ONE_THIRD, backend="cpsat")


def test_mip_backend_finds_one_third_within_the_stated_tolerance() -> None:
    result = ri.solve_exact(ONE_THIRD, backend="mip")
    assert result.status is ri.Status.OPTIMAL
    assert result.verified
    assert result.verification == "float"
    assert result.tolerance == ri.exact.REAL_TOLERANCE
    assert result.z is not None
    assert result.z == pytest.approx([1 / 3] * 3, abs=1e-6)
