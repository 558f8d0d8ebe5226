"""Bad input to the exact solvers: one table, one clear message each."""

from __future__ import annotations

from typing import Any

import pytest

import reluinv as ri
from reluinv.errors import (
    InvalidArgumentError,
    InvalidTypeError,
    ShapeError,
    UnsupportedProblemError,
)
from tests.unit.exact_problems import FLOATS, LEAKY, UNBOUNDED

BINARY = ri.encode(ri.parse_dimacs("p cnf 2 1\n1 2 0\n"))
REAL = ri.encode(ri.parse_dimacs("p cnf 2 1\n1 2 0\n"), latent="real")

BAD = [
    (BINARY, {"backend": "gurobi"}, InvalidArgumentError,
     "backend must be one of 'auto', 'maxsat', 'cpsat', 'mip', got 'gurobi'"),
    (BINARY, {"objective": "l2"}, InvalidArgumentError,
     "objective must be one of 'feasible', 'l1', 'linf', got 'l2'"),
    (BINARY, {"time_limit": 0}, InvalidArgumentError, "time_limit must be a positive number"),
    (BINARY, {"time_limit": -1.0}, InvalidArgumentError, "time_limit must be a positive number"),
    (BINARY, {"time_limit": float("nan")}, InvalidArgumentError,
     "time_limit must be a positive number"),
    (BINARY, {"time_limit": "1"}, InvalidTypeError, "time_limit must be a number of seconds"),
    (BINARY, {"backend": "cpsat", "threads": 0}, InvalidArgumentError,
     "threads must be at least 1, got 0"),
    (BINARY, {"threads": 0}, InvalidArgumentError, "threads must be at least 1, got 0"),
    (BINARY, {"backend": "mip", "threads": True}, InvalidTypeError,
     "threads must be an int, got bool"),
    (BINARY, {"backend": "cpsat", "seed": -1}, InvalidArgumentError,
     "seed must be at least 0, got -1"),
    (BINARY, {"backend": "mip", "tol": -1e-6}, InvalidArgumentError,
     "tol must be a finite number >= 0"),
    (BINARY, {"hint": [1, 0, 1]}, ShapeError, r"hint must have shape \(k,\) = \(2,\)"),
    (BINARY, {"hint": [0.5, 1]}, InvalidArgumentError, "integer point of the binary"),
    (BINARY, {"backend": "cpsat", "encoding": "sos1"}, InvalidArgumentError,
     "encoding must be one of 'max_equality', 'indicator', 'big_m', got 'sos1'"),
    (BINARY, {"encoding": "sos1"}, InvalidArgumentError,
     "no backend accepts the options given: backend 'cpsat': encoding must be one of"),
    (BINARY, {"backend": "mip", "mip_solver": "CPLEX"}, InvalidArgumentError,
     "mip_solver must be one of 'SCIP', 'HIGHS'"),
    (BINARY, {"backend": "mip", "bound_tightening": "sdp"}, InvalidArgumentError,
     "bound_tightening must be one of 'interval', 'lp', got 'sdp'"),
    (BINARY, {"backend": "mip", "mip_solver": "HIGHS", "hint": [1, 0]}, UnsupportedProblemError,
     "hint is not supported with mip_solver='HIGHS'"),
    (REAL, {"backend": "cpsat"}, UnsupportedProblemError,
     "needs a binary or integer latent domain.*use backend='mip'"),
    (LEAKY, {"backend": "cpsat"}, UnsupportedProblemError, "leaky ReLU.*use backend='mip'"),
    (FLOATS, {"backend": "cpsat"}, UnsupportedProblemError, "non-integer entries"),
    (REAL, {"backend": "maxsat"}, UnsupportedProblemError, "maxsat backend needs a binary or "
     "integer latent domain"),
    (LEAKY, {"backend": "maxsat"}, UnsupportedProblemError, "leaky ReLU.*use backend='mip'"),
    (FLOATS, {"backend": "maxsat"}, UnsupportedProblemError, "non-integer entries"),
    (UNBOUNDED, {"backend": "mip"}, UnsupportedProblemError,
     r"needs a bounded latent box: z\[1\] has bounds \[-inf, 1.0\]"),
]


@pytest.mark.parametrize(("problem", "options", "error", "message"), BAD)
def test_bad_input_is_rejected_with_a_clear_message(
    problem: ri.InversionProblem, options: dict[str, Any], error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        ri.solve_exact(problem, **options)


def test_problem_of_the_wrong_kind() -> None:
    with pytest.raises(TypeError, match=r"problem must be a reluinv\.InversionProblem"):
        ri.solve_exact("uf20.cnf")  # type: ignore[arg-type]


def test_certify_rejects_a_point_that_is_not_a_preimage() -> None:
    with pytest.raises(InvalidArgumentError, match="z is not a pre-image of the target"):
        ri.certify_unique(BINARY, [0, 0], backend="cpsat")


def test_why_hints_are_refused_with_highs() -> None:
    """OR-Tools 9.15's HiGHS interface dies on SetHint (a segmentation fault), so the MIP
    backend refuses the combination rather than crashing the caller's process. If this
    starts passing without a crash, the refusal can be lifted."""
    import subprocess
    import sys

    code = (
        "from ortools.linear_solver import pywraplp\n"
        "s = pywraplp.Solver.CreateSolver('HIGHS')\n"
        "x = s.BoolVar('x')\n"
        "s.Maximize(x)\n"
        "s.SetHint([x], [1.0])\n"
        "s.Solve()\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                         check=False)
    assert run.returncode != 0


def test_certify_with_highs_is_refused() -> None:
    problem = ri.encode(ri.parse_dimacs("p cnf 1 1\n1 0\n"))
    with pytest.raises(UnsupportedProblemError, match="use mip_solver='SCIP'"):
        ri.certify_unique(problem, [1], backend="mip", mip_solver="HIGHS")
