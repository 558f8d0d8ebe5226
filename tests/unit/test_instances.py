"""The formula generators: determinism, the random models' shape, pigeonhole's structure."""

from __future__ import annotations

import numpy as np
import pytest

from reluinv import InvalidArgumentError, InvalidTypeError
from reluinv.testing import brute_force_maxsat_cost
from reluinv.validation.generators import (
    partial_weighted_max3sat,
    pigeonhole,
    random_kcnf,
    random_max3sat,
    weighted_max3sat,
)


def test_random_kcnf_is_determined_by_the_seed() -> None:
    a = random_kcnf(20, 85, rng=np.random.default_rng(7))
    b = random_kcnf(20, 85, rng=np.random.default_rng(7))
    c = random_kcnf(20, 85, rng=np.random.default_rng(8))
    assert a == b
    assert a != c


@pytest.mark.parametrize("width", [1, 3, 5])
def test_random_kcnf_clauses_have_distinct_variables(width: int) -> None:
    f = random_kcnf(6, 200, width=width, rng=np.random.default_rng(0))
    assert f.clause_length_histogram() == {width: 200}
    assert all(len({abs(lit) for lit in c}) == width for c in f.clauses)
    literals = [lit for c in f.clauses for lit in c]
    assert {abs(lit) for lit in literals} == set(range(1, 7))  # every variable shows up
    assert 0.35 < sum(lit > 0 for lit in literals) / len(literals) < 0.65  # signs are fair


def test_random_max3sat_clause_count() -> None:
    f = random_max3sat(30, 8, rng=np.random.default_rng(0))
    assert (f.num_vars, f.num_clauses) == (30, 240)


def test_weighted_max3sat_weights_in_range() -> None:
    f = weighted_max3sat(10, 300, max_weight=4, rng=np.random.default_rng(1))
    assert f.weights is not None
    assert set(f.weights) == {1, 2, 3, 4}
    assert f.hard == ()


def test_partial_weighted_hard_part_is_satisfiable() -> None:
    f = partial_weighted_max3sat(8, 40, 10, max_weight=3, rng=np.random.default_rng(2))
    assert f.num_hard == 40
    assert f.hard == (True,) * 40 + (False,) * 10
    # some assignment satisfies every hard clause
    assert brute_force_maxsat_cost(f) <= f.soft_weight


@pytest.mark.parametrize("holes", [1, 2, 3])
def test_pigeonhole_is_unsat_with_cost_one(holes: int) -> None:
    f = pigeonhole(holes)
    n = holes
    assert f.num_vars == (n + 1) * n
    assert f.num_clauses == (n + 1) + n * (n + 1) * n // 2
    assert brute_force_maxsat_cost(f) == 1


def test_pigeonhole_wide_clauses() -> None:
    f = pigeonhole(5)
    assert f.clause_length_histogram() == {2: 75, 5: 6}
    assert f.clauses[0] == (1, 2, 3, 4, 5)
    assert f.clauses[6] == (-1, -6)  # pigeons 1 and 2 in hole 1


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: random_kcnf(3, 5, rng=None), InvalidTypeError,
     "rng must be a numpy.random.Generator"),
    (lambda: random_kcnf(3, 5, rng=np.random.default_rng(0), width=4), InvalidArgumentError,
     "need num_vars >= 4"),
    (lambda: random_kcnf(0, 5, rng=np.random.default_rng(0)), InvalidArgumentError,
     "num_vars must be at least 1, got 0"),
    (lambda: random_kcnf(3, -1, rng=np.random.default_rng(0)), InvalidArgumentError,
     "num_clauses must be at least 0, got -1"),
    (lambda: random_max3sat(10, 0, rng=np.random.default_rng(0)), InvalidArgumentError,
     "ratio must be a positive number"),
    (lambda: random_max3sat(10, "6", rng=np.random.default_rng(0)), InvalidTypeError,
     "ratio must be a number, got str '6'"),
    (lambda: weighted_max3sat(5, 5, max_weight=0, rng=np.random.default_rng(0)),
     InvalidArgumentError, "max_weight must be at least 1, got 0"),
    (lambda: pigeonhole(2.0), InvalidTypeError, "holes must be an int, got float 2.0"),
])
def test_generators_reject_bad_arguments(call: object, error: type[Exception],
                                         message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]
