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

from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reluinv import LayerwiseStatus, ReluNetwork, invert_layerwise, random_network
from reluinv.layerwise.lstsq import rank_and_lstsq

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
    assert "the tolerance and rounding bound of its input" in result.message


def test_a_hidden_layers_true_refutation_is_still_proved() -> None:
    """``h = (z, z)`` below ``x = (h1, h2, h1 + h2)``: ``x = (1, 2, 3)`` pins ``h = (1,
    2)``, which no ``z`` gives; the refutation holds for every input within the rounding
    bound of the computed ``h``, and the message says what the ray rules out."""
    net = ReluNetwork([[[1.0], [1.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    for scale in (1.0, 1e8):
        result = invert_layerwise(net, scale * np.array([1.0, 2.0, 3.0]))
        assert result.status is NO_PREIMAGE, result.message
        assert result.failed_layer == 1
        assert "it holds for every input within" in result.message
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


def test_a_small_active_output_read_as_inactive_does_not_refute_the_observation() -> None:
    """``x = (1e10 + 1, 1e10, 1, 0)`` of an integer 3 x 4 layer at ``z = (1e10 + 1, 1e10,
    1)``: the threshold relative to ``||x||`` (10) reads the output 1 as inactive, and the
    layer's system as read has no solution. The refutation must hold for the observation
    as it is, where that row is active: re-proved on every row read from ``x`` itself
    (active where ``x_j > 0``), it fails, and the answer is not ``NO_PREIMAGE``."""
    net = ReluNetwork([[[1, 0, 0], [0, 1, 0], [1, -1, 0], [0, 0, -1]]])
    x = net.forward(np.array([1e10 + 1, 1e10, 1.0]))
    assert x[2] == 1.0
    assert invert_layerwise(net, x).status is not NO_PREIMAGE
    assert invert_layerwise(net, x, tau=0.5).status is LayerwiseStatus.RECOVERED


@pytest.mark.parametrize("bias_scale", [1e9, 1e11, 1e13])
@pytest.mark.parametrize("activation", ["relu", ("leaky_relu", 0.1)])
def test_large_biases_do_not_refute_a_realizable_observation(activation: Any,
                                                              bias_scale: float) -> None:
    """One layer whose biases cancel ``W z`` for ``||z|| ~ 1e9``: ``x`` is O(1), its float
    forward pass is off by about ``eps |b| ~ 1e-7``, and the pre-image's norm is set by
    ``b``, not ``x``. A ray ruling out pre-images below ``1e6 max(1, ||x||)`` only, or
    refuting the layer exactly as read, said ``NO_PREIMAGE`` in 13 of 30 draws."""
    rng = np.random.default_rng(2)
    for _ in range(30):
        W = rng.standard_normal((8, 3))
        z = rng.standard_normal(3) * bias_scale
        b = -(W @ z) + rng.uniform(0.5, 2.0, 8)
        net = ReluNetwork([W], [b], activation)
        result = invert_layerwise(net, net.forward(z))
        assert result.status is not NO_PREIMAGE, result.message


def test_tiny_weights_neither_hide_a_rank_deficiency_nor_refute() -> None:
    """Weights about ``1e-160``: their Gram matrix is subnormal, its rounding made a rank-1
    block look well conditioned to the normal equations, the layer was called pinned, and
    ``NO_PREIMAGE`` followed on realizable observations (21 of 100 nets). The far side of
    a ray (``reluinv.layerwise.rounding``) now keeps such a claim from standing on its own,
    so the rank the diagnostic reports is checked too."""
    A = np.random.default_rng(1).standard_normal((2, 1)) @ np.ones((1, 2)) * 1e-158
    assert rank_and_lstsq(A, np.zeros(2), 2)[0] == np.linalg.matrix_rank(A) == 1
    rng = np.random.default_rng(1)
    for _ in range(40):
        n = int(rng.integers(2, 4))
        W = (np.abs(rng.standard_normal((n + 2, n - 1)))
             @ np.abs(rng.standard_normal((n - 1, n))) * 1e-160)
        z = np.abs(rng.standard_normal(n)) / 1e-160
        net = ReluNetwork([W])
        result = invert_layerwise(net, net.forward(z))
        assert result.status is not NO_PREIMAGE, result.message
        assert result.layers[0].rank == n - 1
        assert not result.layers[0].pinned


def test_an_observation_within_the_realizable_tolerance_is_not_refuted() -> None:
    """``x = (1, 1 + 5e-7)`` of ``h = (z, z)``: ``z = 1`` reproduces it within the
    realizable tolerance ``1e-6`` (a code that close is ``RECOVERED``), though no ``z``
    does exactly; the layer's own step (tolerance ``1e-7``) finds none, and the refutation
    of the exact system must not stand."""
    net = ReluNetwork([[[1.0], [1.0]]])
    result = invert_layerwise(net, np.array([1.0, 1.0 + 5e-7]))
    assert result.status is not NO_PREIMAGE, result.message
    assert "widened by 1e-06" in result.message


def test_a_hidden_layer_input_is_refuted_only_beyond_its_error_bound() -> None:
    """A top layer of condition number about 1e3 above ``h = (z, z)``, its observation
    moved by ``5e-7`` (within the realizable tolerance): least squares gives ``h_1 - h_2``
    about ``1e-3``, so ``z = h_1 = h_2`` has no solution as read; within the bound on the
    computed ``h`` (about ``1.7e-2``) it has one, and nothing is refuted."""
    W2 = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-3], [2.0, 2.0 + 1e-3]])
    net = ReluNetwork([[[1.0], [1.0]], W2])
    x = net.forward(np.array([1.0]))
    x[1] += 5e-7
    result = invert_layerwise(net, x)
    assert result.status is not NO_PREIMAGE, result.message
    assert result.failed_layer == 1


@pytest.mark.parametrize("head", ["linear", "hidden"])
def test_a_ray_that_rules_out_only_small_pre_images_is_no_refutation(head: str) -> None:
    """``x = W z`` with ``W = [[1, -1], [1, -1 - 1e-12]]`` and ``z = (1e9 + 1, 1e9)``: the
    only pre-image has norm 1e9, and a checked ray rules out those below 9.98e8. The
    layer's equations pin ``h`` (any pre-image has norm at most about ``||W^+||``), so a
    refutation must reach beyond that bound; this one does not."""
    net = ReluNetwork([np.array([[1.0, -1.0], [1.0, -1.0 - 1e-12]])], output_activation=head)
    z = np.array([1e9 + 1.0, 1e9])
    result = invert_layerwise(net, net.forward(z))
    assert result.status is not NO_PREIMAGE, result.message
    assert "rules out pre-images below" in result.message
