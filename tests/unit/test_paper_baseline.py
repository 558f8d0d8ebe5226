"""The benchmark baseline (the paper's layer-wise l_inf LP with epsilon inflation) and the
LP study's formulations: soundness of the per-row intervals, exact recovery on noise-free
data, and the dual formulation's read-back of the primal solution."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from reluinv import ReluNetwork, random_network

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
try:
    from benchmarks import lp_solvers, paper_baseline, suite_paper
finally:
    sys.path.remove(str(ROOT))

SLOPE = 0.1
BRANCHES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_branches() -> Iterator[None]:
    yield
    if BRANCHES:
        print(f"\ninterval branches reached: {dict(BRANCHES)}")


@example(pre=[0.015], noise=[-1.0] * 30, eps=0.01, kind="relu")  # active, read inactive
@example(pre=[-0.05], noise=[1.0] * 30, eps=0.01, kind="leaky")  # negative, ambiguous
@given(
    pre=st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=30),
    noise=st.lists(st.floats(-1.0, 1.0), min_size=30, max_size=30),
    eps=st.floats(1e-6, 0.05),
    kind=st.sampled_from(["relu", "leaky", "linear"]),
)
def test_the_true_preactivation_lies_in_its_interval(
    pre: list[float], noise: list[float], eps: float, kind: str
) -> None:
    """Whenever ``||e||_inf <= eps``, ``lo(y) <= p <= hi(y)`` for ``y = s(p) + e``: the true
    pre-image is feasible for the layer LP, so inflation never passes the noise level."""
    p = np.array(pre)
    e = np.array(noise[: len(pre)]) * eps  # |e_j| <= eps
    if kind == "linear":
        y = p + e
    elif kind == "relu":
        y = np.maximum(p, 0.0) + e
    else:
        y = np.where(p >= 0.0, p, SLOPE * p) + e
    lo, hi = paper_baseline.interval(y, eps, kind, SLOPE)
    for j in range(len(p)):
        branch = ("above" if y[j] > eps else "below" if y[j] < -eps else "ambiguous")
        BRANCHES[f"{kind} {branch}"] += 1
        event(f"{kind} {branch}")
    tol = 1e-12 * (1.0 + np.abs(p)) / SLOPE
    assert np.all(lo <= p + tol)
    assert np.all(p <= hi + tol)


@pytest.mark.parametrize("activation", ["relu", ("leaky_relu", SLOPE)])
def test_noise_free_codes_are_recovered_without_inflation(activation: Any) -> None:
    net = random_network([5, 20, 60], activation=activation, rng=np.random.default_rng(3))
    z = np.random.default_rng(4).normal(size=5)
    result = paper_baseline.invert_paper(net, net.forward(z), 0.0)
    assert result.z is not None
    assert np.linalg.norm(result.z - z) <= 1e-6 * np.linalg.norm(z)
    assert result.lps == net.depth  # one LP per layer: eps stayed 0
    assert result.eps == (0.0,) * net.depth


def test_uniform_noise_keeps_the_stated_level_on_the_output_layer() -> None:
    net = random_network([5, 20, 60], rng=np.random.default_rng(5))
    rng = np.random.default_rng(6)
    z = rng.normal(size=5)
    x = net.forward(z) + rng.uniform(-1e-4, 1e-4, size=60)
    result = paper_baseline.invert_paper(net, x, 1e-4)
    assert result.z is not None
    assert result.eps[0] == 1e-4  # the truth is feasible at the stated level
    assert all(a <= b for a, b in zip(result.eps, result.eps[1:], strict=False))


@pytest.mark.parametrize("nonneg", [False, True])
def test_the_dual_lp_gives_back_an_optimal_primal_point(nonneg: bool) -> None:
    """h read from the dual's row duals reaches the primal optimum (HiGHS simplex on the
    primal as the oracle)."""
    pytest.importorskip("highspy")
    rng = np.random.default_rng(8)
    W = rng.normal(size=(40, 6))
    h_true = rng.normal(size=6)
    if nonneg:
        h_true = np.abs(h_true)
    t = W @ h_true + rng.uniform(-1e-3, 1e-3, size=40)
    active = t > 0 if nonneg else np.ones(40, dtype=bool)
    lp = lp_solvers.LayerLP("t", "linf", W, t, active, np.ones(40), nonneg)
    h_dual = lp_solvers.highspy_dual(lp, {"solver": "simplex"})
    h_primal = lp_solvers.highspy_primal(lp, lp_solvers.TIGHT_SIMPLEX)
    assert h_dual is not None
    assert h_primal is not None
    assert lp.misfit(h_dual) == pytest.approx(lp.misfit(h_primal), abs=1e-9)


def test_the_noise_floor_is_the_least_squares_error_of_a_linear_net() -> None:
    """On a one-layer leaky net ``J`` is ``W`` with the negative rows scaled by the slope,
    and the floor is ``||J^+ e||``, computed independently here with the pseudo-inverse."""
    W = np.random.default_rng(9).normal(size=(30, 4))
    net = ReluNetwork([W], activation=("leaky_relu", 0.5))
    z = np.ones(4)
    W_signed = np.where((W @ z)[:, None] > 0, W, 0.5 * W)
    e = np.random.default_rng(10).normal(size=30)
    expected = float(np.linalg.norm(np.linalg.pinv(W_signed) @ e))
    assert suite_paper.noise_floor(net, z, e) == pytest.approx(expected, rel=1e-10)
