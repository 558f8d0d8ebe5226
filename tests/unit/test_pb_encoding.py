"""The sequential weight counter: sizes, errors and exactness on every small assignment."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pysat.solvers import Solver

from reluinv.errors import InvalidArgumentError
from reluinv.oracles.pb_encoding import atmost_weighted


def _extends(clauses: list[list[int]], fixed: list[int]) -> bool:
    with Solver(name="cadical195", bootstrap_with=clauses) as solver:
        return bool(solver.solve(assumptions=fixed))


@pytest.mark.parametrize(
    ("weights", "bound"),
    [([1, 1, 1], 0), ([1, 1, 1], 1), ([1, 1, 1], 2), ([2, 3, 4], 5), ([2, 3, 4], 9),
     ([5, 1, 2, 2], 4), ([7, 1], 3), ([3, 3, 3, 1], 6)],
)
def test_an_assignment_extends_exactly_when_the_weighted_sum_is_within_the_bound(
    weights: list[int], bound: int
) -> None:
    n = len(weights)
    clauses, _ = atmost_weighted(list(range(1, n + 1)), weights, bound, top_id=n)
    for values in itertools.product((0, 1), repeat=n):
        fixed = [v + 1 if value else -(v + 1) for v, value in enumerate(values)]
        total = sum(w for w, value in zip(weights, values, strict=True) if value)
        assert _extends(clauses, fixed) == (total <= bound), (values, total)


def test_negative_literals_count_when_true() -> None:
    clauses, _ = atmost_weighted([-1, -2], [1, 1], 1, top_id=2)
    assert _extends(clauses, [1, -2])
    assert not _extends(clauses, [-1, -2])


def test_sizes_are_pinned() -> None:
    # 3 items of weight <= bound = 4, so 3 x 4 auxiliary variables.
    clauses, top = atmost_weighted([1, 2, 3], [1, 2, 3], 4, top_id=3)
    assert top == 3 + 3 * 4
    item = 1 + 2 + 3
    carry = 2 * 4
    add = (4 - 2) + (4 - 3)
    overflow = 2
    assert len(clauses) == item + carry + add + overflow


def test_heavy_items_become_unit_clauses() -> None:
    clauses, top = atmost_weighted([1, 2], [5, 6], 4, top_id=2)
    assert (clauses, top) == ([[-1], [-2]], 2)


@pytest.mark.parametrize(
    ("literals", "weights", "bound", "match"),
    [([1, 2], [1], 1, "one weight per literal"),
     ([1], [1], -1, "bound must be a non-negative int"),
     ([1], [1], True, "bound must be a non-negative int"),
     ([0], [1], 1, r"literals\[0\] is 0"),
     ([1, 2], [1, 0], 1, r"weights\[1\] = 0")],
)
def test_bad_arguments_are_rejected(
    literals: list[int], weights: list[int], bound: Any, match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        atmost_weighted(literals, weights, bound, top_id=2)
