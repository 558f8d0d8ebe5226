"""The gradient-descent baseline: hand-written backprop checked against finite differences."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from reluinv import (
    InvalidArgumentError,
    InvalidTypeError,
    LayerwiseStatus,
    ReluNetwork,
    invert_gradient,
    random_network,
)
from reluinv.layerwise.gradient import loss_and_gradient

FD_STEP = 1e-6


@pytest.mark.parametrize("activation", ["relu", ("leaky_relu", 0.1)])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_gradient_matches_central_differences(
    activation: Any, masked: bool, bias: bool
) -> None:
    rng = np.random.default_rng(7)
    net = random_network([4, 9, 13, 17], activation=activation, rng=rng, bias=bias)
    x = net.forward(rng.normal(size=4)) + rng.normal(scale=0.1, size=17)
    observed = np.flatnonzero(rng.random(17) < 0.6) if masked else np.arange(17)
    Z = rng.normal(size=(3, 4))
    loss, grad = loss_and_gradient(net, Z, x[observed], observed)
    for b in range(3):
        for j in range(4):
            step = np.zeros(4)
            step[j] = FD_STEP
            up, _ = loss_and_gradient(net, (Z[b] + step)[None, :], x[observed], observed)
            down, _ = loss_and_gradient(net, (Z[b] - step)[None, :], x[observed], observed)
            numeric = (up[0] - down[0]) / (2 * FD_STEP)
            assert grad[b, j] == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    direct = np.sum((net.forward(Z)[:, observed] - x[observed]) ** 2, axis=1)
    np.testing.assert_allclose(loss, direct, rtol=1e-12)


def test_gradient_descent_recovers_on_an_expanding_network() -> None:
    net = random_network([5, 30, 90], rng=np.random.default_rng(1))
    z = np.random.default_rng(2).normal(size=5)
    result = invert_gradient(net, net.forward(z), steps=2000, lr=0.05, restarts=4,
                             rng=np.random.default_rng(3))
    assert result.status is LayerwiseStatus.RECOVERED
    assert result.residual <= result.residual_bound
    assert np.linalg.norm(result.z - z) / np.linalg.norm(z) < 1e-4
    assert result.steps < 2000  # stopped once the check passed


def test_gradient_descent_never_claims_a_missing_preimage() -> None:
    net = ReluNetwork([[[1.0], [1.0]]])
    result = invert_gradient(net, [1.0, 2.0], steps=1000, lr=0.1, restarts=4,
                             rng=np.random.default_rng(0))
    assert result.status is LayerwiseStatus.INCONCLUSIVE
    assert result.residual == pytest.approx(0.5, abs=1e-3)  # z = 1.5 splits the difference


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"steps": 0}, InvalidArgumentError, "steps must be at least 1, got 0"),
        ({"restarts": 1.5}, InvalidTypeError, "restarts must be an int, got float 1.5"),
        ({"lr": -0.1}, InvalidArgumentError, "lr must be a finite number >= 0"),
        ({"lr": "fast"}, InvalidTypeError, "lr must be a number, got str 'fast'"),
        ({"rng": 3}, InvalidTypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_bad_gradient_arguments(change: dict[str, Any], error: type[Exception], match: str) -> None:
    kwargs: dict[str, Any] = {"rng": np.random.default_rng(0)}
    kwargs.update(change)
    with pytest.raises(error, match=match):
        invert_gradient(ReluNetwork([np.eye(2)]), [1.0, 1.0], **kwargs)
