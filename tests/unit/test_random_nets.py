"""Random networks, planted instances and noise models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from reluinv import InvalidArgumentError, InvalidTypeError, ShapeError, noise, plant, random_network


def test_shapes_follow_the_row_convention() -> None:
    net = random_network([3, 7, 11], rng=np.random.default_rng(0))
    assert net.sizes == (3, 7, 11)
    assert [w.shape for w in net.weights] == [(7, 3), (11, 7)]
    assert all(np.all(b == 0) for b in net.biases)


def test_same_seed_same_network_and_biases_when_asked() -> None:
    a = random_network([4, 9], rng=np.random.default_rng(3), bias=True)
    b = random_network([4, 9], rng=np.random.default_rng(3), bias=True)
    assert a == b
    assert np.any(a.biases[0] != 0)
    assert a != random_network([4, 9], rng=np.random.default_rng(4), bias=True)


def test_entry_variance_is_one_over_the_output_size() -> None:
    # 400 x 50 entries N(0, 1/400): the sample variance is within a few percent.
    net = random_network([50, 400], rng=np.random.default_rng(1))
    variance = float(np.var(net.weights[0]))
    assert variance == pytest.approx(1 / 400, rel=0.05)
    assert variance != pytest.approx(1 / 50, rel=0.5)


def test_leaky_activation_is_passed_through() -> None:
    net = random_network([2, 5], activation=("leaky_relu", 0.1), rng=np.random.default_rng(0))
    assert net.activation_spec == ("leaky_relu", 0.1)


@pytest.mark.parametrize("kind", ["uniform", "gaussian", "sparse"])
def test_noise_models(kind: Any) -> None:
    e = noise(2000, kind=kind, level=0.01, rng=np.random.default_rng(2), fraction=0.1)
    assert e.shape == (2000,)
    if kind == "uniform":
        assert np.max(np.abs(e)) <= 0.01
        assert np.std(e) == pytest.approx(0.01 / np.sqrt(3), 0.1)
    elif kind == "gaussian":
        assert np.std(e) == pytest.approx(0.01, rel=0.1)
    else:
        assert np.count_nonzero(e) == 200
        assert np.max(np.abs(e)) <= 0.01


def test_planted_instance_observation_is_forward_plus_noise() -> None:
    net = random_network([3, 12], rng=np.random.default_rng(0))
    inst = plant(net, rng=np.random.default_rng(1), noise_kind="uniform", level=0.5)
    np.testing.assert_array_equal(inst.clean, net.forward(inst.z))
    assert 0 < np.max(np.abs(inst.observation - inst.clean)) <= 0.5
    assert inst.relative_error(inst.z) == 0.0


BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"sizes": [5]}, ShapeError, "at least two layer sizes"),
    ({"sizes": [5, 0]}, InvalidArgumentError, r"sizes\[1\] must be at least 1, got 0"),
    ({"sizes": [5, 2.5]}, InvalidTypeError, r"sizes\[1\] must be an int, got float 2.5"),
    ({"rng": 0}, InvalidTypeError, "rng must be a numpy.random.Generator"),
    ({"activation": "tanh"}, InvalidArgumentError, "activation must be"),
]


@pytest.mark.parametrize(("change", "error", "match"), BAD)
def test_bad_random_network_arguments(
    change: dict[str, Any], error: type[Exception], match: str
) -> None:
    kwargs: dict[str, Any] = {"sizes": [2, 3], "rng": np.random.default_rng(0)}
    kwargs.update(change)
    sizes = kwargs.pop("sizes")
    with pytest.raises(error, match=match):
        random_network(sizes, **kwargs)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"kind": "pink"}, InvalidArgumentError, "kind must be one of"),
        ({"level": -1.0}, InvalidArgumentError, "level must be a finite number >= 0"),
        ({"level": "loud"}, InvalidTypeError, "level must be a number, got str 'loud'"),
        ({"size": -1}, InvalidArgumentError, "size must be at least 0, got -1"),
        ({"size": 3.0}, InvalidTypeError, "size must be an int, got float 3.0"),
        ({"kind": "sparse", "fraction": 2.0}, InvalidArgumentError, "fraction must lie in"),
        ({"rng": None}, InvalidTypeError, "rng must be a numpy.random.Generator"),
    ],
)
def test_bad_noise_arguments(change: dict[str, Any], error: type[Exception], match: str) -> None:
    kwargs: dict[str, Any] = {"size": 3, "kind": "uniform", "level": 1.0,
                              "rng": np.random.default_rng(0)}
    kwargs.update(change)
    size = kwargs.pop("size")
    with pytest.raises(error, match=match):
        noise(size, **kwargs)
