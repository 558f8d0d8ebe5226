"""The int64 interval bounds equal the Python-object ones, and give way to them near overflow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reluinv as ri
from reluinv.exact import bounds


def _object_bounds(net: ri.ReluNetwork, lo: Any, hi: Any,
                   monkeypatch: pytest.MonkeyPatch) -> bounds.NetworkBounds:
    with monkeypatch.context() as patch:
        patch.setattr(bounds, "_int64_interval", lambda *args: None)
        return bounds.interval_bounds(net, lo, hi)


def _random_net(seed: int, scale: int) -> tuple[ri.ReluNetwork, Any, Any]:
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(1, 7, size=int(rng.integers(2, 5)))]
    weights = [rng.integers(-scale, scale + 1, size=(sizes[i + 1], sizes[i]))
               for i in range(len(sizes) - 1)]
    biases = [rng.integers(-50, 51, size=sizes[i + 1]) for i in range(len(sizes) - 1)]
    lo = rng.integers(-3, 1, size=sizes[0])
    return ri.ReluNetwork(weights, biases), lo, lo + rng.integers(0, 4, size=sizes[0])


@pytest.mark.parametrize("scale", [1, 10**3, 10**9, 2**40])
@pytest.mark.parametrize("seed", range(12))
def test_int64_bounds_equal_the_object_bounds(seed: int, scale: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    net, lo, hi = _random_net(seed, scale)
    fast = bounds.interval_bounds(net, lo, hi)
    slow = _object_bounds(net, lo, hi, monkeypatch)
    for got, want in zip(fast.lower + fast.upper, slow.lower + slow.upper, strict=True):
        assert got.tolist() == want.tolist()
        assert all(type(v) is int for v in got.tolist())


def test_near_overflow_the_object_path_answers() -> None:
    # 2^61 * 1 * 2 columns reaches 2^62: int64 would be at risk, so the fallback must run
    w = np.array([[2**61, 2**61]], dtype=np.int64)
    b = np.array([0], dtype=np.int64)
    lo, hi = np.array([0, 0], dtype=object), np.array([1, 1], dtype=object)
    assert bounds._int64_interval(w, b, lo, hi) is None
    net = ri.ReluNetwork([w, np.array([[2]], dtype=np.int64)], [b, np.array([0])])
    got = bounds.interval_bounds(net, [0, 0], [1, 1])
    assert got.upper[0].tolist() == [2**62]
    assert got.upper[1].tolist() == [2**63]  # beyond int64, exact as a Python int
