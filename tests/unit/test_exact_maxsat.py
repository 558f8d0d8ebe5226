"""The maxsat backend's contract beyond brute force: encoding sizes, time limits, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import reluinv as ri
from reluinv.errors import UnsupportedProblemError
from reluinv.exact.order_cnf import MAX_VALUES, CnfBuilder, OrderInt
from tests.unit.test_exact_contract import SAT, hard_formula


@pytest.mark.parametrize("objective", ["feasible", "l1"])
def test_encoding_size_is_pinned(objective: str) -> None:
    # 3 latent literals; each clause unit u = ReLU(1 - s) only asks [s >= 1] of its
    # 2-literal sum s, so the sum is clamped to {0, 1}: one new literal (an OR) each
    result = ri.solve_exact(ri.encode(SAT), backend="maxsat", objective=objective)
    assert result.model is not None
    assert result.model.variables == 3 + 3 * 1
    assert result.model.constraints == 15
    assert result.model.unstable == 3
    assert result.model.stable_active == 6
    assert result.encoding == "order"


@pytest.mark.slow  # measured 1.5-8 s on two cores
def test_time_limit_without_a_hint_is_unknown() -> None:
    problem = ri.encode(hard_formula())
    result = ri.solve_exact(problem, backend="maxsat", objective="l1", time_limit=0.3)
    assert result.status is ri.Status.UNKNOWN, result.message
    assert result.z is None
    assert not result.verified


@pytest.mark.slow  # measured 1.5-8 s on two cores
def test_time_limit_with_a_hint_keeps_it_as_the_verified_incumbent() -> None:
    formula = hard_formula()
    problem = ri.encode(formula)
    result = ri.solve_exact(problem, backend="maxsat", objective="l1", time_limit=0.3,
                            hint=np.ones(formula.num_vars))
    assert result.status is ri.Status.FEASIBLE, result.message
    assert result.verified
    assert result.objective == formula.falsified([1] * formula.num_vars)
    assert result.bound == 0.0


@pytest.mark.slow  # measured 1.5-8 s on two cores
def test_a_unit_with_too_many_values_is_refused() -> None:
    net = ri.ReluNetwork([[[1, 1000]]], [[0]])
    problem = ri.InversionProblem(net, np.array([0.0]),
                                  ri.LatentDomain.box(2, -MAX_VALUES, MAX_VALUES, integer=True))
    with pytest.raises(UnsupportedProblemError, match="more than MAX_VALUES"):
        ri.solve_exact(problem, backend="maxsat", objective="l1")


def test_negative_scaling_negates_the_order_literals() -> None:
    builder = CnfBuilder()
    v = builder.order_var([0, 1, 2])  # literals 1 = [v >= 1], 2 = [v >= 2]
    minus = v.scaled(-3)
    assert minus.values == (-6, -3, 0)
    assert minus.lits == (-2, -1)  # [-3v >= -3] = [v <= 1] = not [v >= 2]
    assert OrderInt.constant(4).geq(4) is True
    assert v.geq(3) is False


def test_certify_unique_refuses_the_maxsat_backend() -> None:
    problem = ri.encode(SAT)
    with pytest.raises(ri.InvalidArgumentError, match="certify_unique needs backend"):
        ri.certify_unique(problem, [1, 0, 1], backend="maxsat")  # type: ignore[arg-type]


def test_an_interrupted_linf_search_keeps_its_incumbent_and_proven_bound() -> None:
    formula = hard_formula()
    problem = ri.encode(formula)
    result = ri.solve_exact(problem, backend="maxsat", objective="linf", time_limit=0.05)
    assert result.status in (ri.Status.OPTIMAL, ri.Status.FEASIBLE), result.message
    assert result.verified
    assert result.bound is not None
    assert result.objective is not None
    assert result.bound <= float(result.objective)


#: An unsatisfiable formula of MaxSAT cost 1 (every sign pattern of two variables), whose
#: l1 question needs a solve of its own.
UNSAT_COST_1 = ri.Formula(2, [[1, 2], [1, -2], [-1, 2], [-1, -2]])


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        # "auto": CP-SAT decides feasibility, the CNF compilation minimises l1; the default:
        # CP-SAT for both (independent of python-sat)
        ("auto", {"feasible": "cpsat", "l1": "maxsat"}),
        ("default", {"feasible": "cpsat", "l1": "cpsat"}),
        ("maxsat", {"feasible": "maxsat", "l1": "maxsat"}),
        ("cpsat", {"feasible": "cpsat", "l1": "cpsat"}),
    ],
)
def test_check_instance_runs_the_binary_latent_on_the_chosen_backend(
        backend: str, expected: dict[str, str]) -> None:
    """On an unsatisfiable formula each objective is solved by the backend the rule picks;
    on a satisfiable one the l1 answer is the feasibility backend's verified pre-image
    (loss 0, no second solve), so both entries name the feasibility backend."""
    from reluinv.validation.check import DERIVED_L1_NOTE, check_instance

    chosen = {} if backend == "default" else {"binary_backend": backend}
    unsat = check_instance(UNSAT_COST_1, layerwise=False, **chosen)
    assert unsat["verdict"] == "agree"
    for objective in ("feasible", "l1"):
        assert unsat["exact"]["binary"][objective]["backend"] == expected[objective]
    assert unsat["exact"]["binary"]["l1"]["objective"] == 1
    record = check_instance(SAT, layerwise=False, **chosen)
    assert record["verdict"] == "agree"
    l1 = record["exact"]["binary"]["l1"]
    assert l1["backend"] == expected["feasible"]
    assert l1["message"].startswith(DERIVED_L1_NOTE)
    assert l1["objective"] == 0
