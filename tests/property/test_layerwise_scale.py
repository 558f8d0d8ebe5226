"""The layer-wise inverter's claims at every scale of the data.

A network without biases is positively homogeneous, ``G(t z) = t G(z)`` for ``t > 0``, so
``x = G(t z)`` is realizable at every ``t`` and ``NO_PREIMAGE`` is always wrong there. It
used to be claimed at ``t = 1e8`` and beyond, three ways:

* the activity threshold was absolute (``1e-9``): a hidden unit that is zero in the true
  pre-image came out of least squares as about ``1e-8``, was read as an active equality,
  and the layer below had no solution;
* a hidden layer's infeasibility was proved for the *computed* input, exact only up to
  rounding (now re-proved for every input within a rigorous bound of it,
  :mod:`reluinv.layerwise.rounding`);
* a Farkas ray was accepted when it ruled out pre-images of norm below an absolute
  ``1e6``, while the true ones have norm about ``t`` (now relative to the layer's input).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reluinv import LayerwiseStatus, ReluNetwork, invert_layerwise, random_network

NO_PREIMAGE = LayerwiseStatus.NO_PREIMAGE


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), deep=st.booleans(), log_scale=st.integers(-3, 12))
def test_a_realizable_observation_is_never_refuted_at_any_scale(
    seed: int, deep: bool, log_scale: int
) -> None:
    sizes = [4, 10, 20, 30] if deep else [3, 8, 12]
    net = random_network(sizes, rng=np.random.default_rng(seed))
    z = np.random.default_rng(seed + 1).normal(size=sizes[0]) * 10.0 ** log_scale
    result = invert_layerwise(net, net.forward(z))
    band = "<1" if log_scale < 0 else ">=1e6" if log_scale >= 6 else "1-1e5"
    event(f"{result.status.name}, scale {band}")
    assert result.status is not NO_PREIMAGE, result.message


def test_the_first_case_found_is_recovered() -> None:
    """The case that showed it: 3 x 8 x 12, ``z = 1e8 (1, -2, 0.5)``, was
    ``NO_PREIMAGE`` ("forced by the pinned layers above")."""
    net = random_network([3, 8, 12], rng=np.random.default_rng(0))
    for scale in (1e8, 1e10):
        result = invert_layerwise(net, net.forward(scale * np.array([1.0, -2.0, 0.5])))
        assert result.status is LayerwiseStatus.RECOVERED, result.message


#: (sizes, seed) of random nets whose hidden layer, with the absolute threshold ``tau =
#: 1e-9`` at scale 1e8, is read with a unit in the rounding of zero as active: the layer
#: below then has no solution for the computed input, but has one for the true input.
MISREAD = [([3, 8, 12], 17), ([3, 8, 12], 23), ([4, 10, 20, 30], 24), ([3, 8, 12], 35)]


@pytest.mark.parametrize(("sizes", "seed"), MISREAD)
def test_a_hidden_layers_refutation_must_survive_the_rounding_of_its_input(
    sizes: list[int], seed: int
) -> None:
    net = random_network(sizes, rng=np.random.default_rng(seed))
    z = np.random.default_rng(seed + 1000).normal(size=sizes[0]) * 1e8
    result = invert_layerwise(net, net.forward(z), tau=1e-9)
    assert result.status is LayerwiseStatus.INCONCLUSIVE, result.message
    assert "rounding bound" in result.message


def test_a_hidden_layers_true_refutation_is_still_proved() -> None:
    """``h = (z, z)`` below ``x = (h1, h2, h1 + h2)``: ``x = (1, 2, 3)`` pins ``h = (1,
    2)``, which no ``z`` gives; the refutation holds for every input within the rounding
    bound of the computed ``h``, and the message says what the ray rules out."""
    net = ReluNetwork([[[1.0], [1.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    for scale in (1.0, 1e8):
        result = invert_layerwise(net, scale * np.array([1.0, 2.0, 3.0]))
        assert result.status is NO_PREIMAGE, result.message
        assert result.failed_layer == 1
        assert "rounding bound" in result.message
        assert "rules out every pre-image" in result.message
        certificate = result.layers[-1].certificate
        assert certificate is not None
        assert certificate.verified


def test_a_top_layer_ray_rules_out_pre_images_at_the_scale_of_the_data() -> None:
    """4 x 10 x 20 x 30, seed 30, ``z`` scaled by 1e10 with ``tau = 1e-9``: the top
    layer's LP fails, and the ray it finds rules out pre-images below about 1e6 only,
    where the true one has norm about 1e10; it is no proof at the scale of the data."""
    net = random_network([4, 10, 20, 30], rng=np.random.default_rng(30))
    z = np.random.default_rng(1030).normal(size=4) * 1e10
    result = invert_layerwise(net, net.forward(z), tau=1e-9)
    assert result.status is not NO_PREIMAGE, result.message


@pytest.mark.parametrize("eps", [1e-10, 1e-11, 1e-12])
def test_an_ill_conditioned_layer_above_widens_the_refutation_below(eps: float) -> None:
    """``h = (z, z)`` under a top layer of condition number about ``1 / eps``, at ``z =
    1``: least squares recovers ``h`` only within about ``1e-16 / eps``, the two entries
    differ by more than the tolerance, and ``z = h_1 = h_2`` has no solution. The true
    ``h`` has one; within the rounding bound of the computed ``h`` nothing is refuted."""
    W2 = np.array([[1.0, 1.0], [1.0, 1.0 + eps], [2.0, 2.0 + eps], [1.0, 1.0 - eps]])
    net = ReluNetwork([[[1.0], [1.0]], W2])
    result = invert_layerwise(net, net.forward(np.array([1.0])))
    assert result.status is not NO_PREIMAGE, result.message
    assert result.layers[0].pinned
