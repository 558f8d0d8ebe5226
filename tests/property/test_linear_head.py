"""Networks with a linear head (``output_activation="linear"``) against independent oracles.

Oracles: :func:`tests.oracles.reference_forward` (plain loops over rows, exact rationals)
for the forward passes; brute force over the integer box for every exact backend; the
planted latent for the layer-wise inverter on random expanding networks.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

import reluinv as ri
from reluinv.exact import encoding_names
from reluinv.strategies import integer_problems, network_specs
from reluinv.testing import brute_force_min_loss, reference_forward

LINEAR_HEAD = integer_problems(linear_head=True)


def _random_linear_head(sizes: tuple[int, ...], activation: object, seed: int,
                        *, bias: bool = True) -> ri.ReluNetwork:
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in itertools.pairwise(sizes)]
    biases = [rng.normal(size=n_out) if bias else np.zeros(n_out) for n_out in sizes[1:]]
    return ri.ReluNetwork(weights, biases, activation,  # type: ignore[arg-type]
                          output_activation="linear")


@given(spec=network_specs(), z_seed=st.integers(0, 2**16))
def test_forward_matches_the_reference_forward_pass(
        spec: tuple[tuple[int, ...], str | tuple[str, float], int], z_seed: int) -> None:
    sizes, activation, seed = spec
    net = _random_linear_head(sizes, activation, seed)
    z = np.random.default_rng(z_seed).normal(size=sizes[0])
    reference = np.array([float(v) for v in reference_forward(net, z)])
    event(f"some output negative: {bool(np.any(reference < 0))}")
    np.testing.assert_allclose(net.forward(z), reference, rtol=1e-9, atol=1e-9)
    exact = net.forward_exact(z)
    assert exact == reference_forward(net, z)
    batch = net.forward(np.stack([z, 2 * z]))
    np.testing.assert_allclose(batch[0], reference, rtol=1e-9, atol=1e-9)


@pytest.mark.slow  # measured 0.9-2 s per parameter set on 2 cores
@pytest.mark.parametrize(("backend", "encoding"),
                         [("cpsat", name) for name in encoding_names("cpsat")]
                         + [("maxsat", None), ("mip", None)])
@pytest.mark.parametrize("objective", ["l1", "linf"])
@given(problem=LINEAR_HEAD)
def test_exact_optimum_equals_brute_force(problem: ri.InversionProblem, objective: str,
                                          backend: str, encoding: str | None) -> None:
    expected = brute_force_min_loss(problem, objective)
    event(f"optimum zero: {expected == 0}")
    event(f"negative target entry: {bool(np.any(problem.target < 0))}")
    result = ri.solve_exact(problem, backend=backend, objective=objective,  # type: ignore[arg-type]
                            encoding=encoding)
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified, result.message
    assert result.objective == expected
    assert result.z is not None
    assert problem.domain.contains(result.z)


@pytest.mark.parametrize("backend", ri.EXACT_BACKENDS)
@given(problem=LINEAR_HEAD)
def test_feasible_finds_a_preimage_exactly_when_one_exists(problem: ri.InversionProblem,
                                                           backend: str) -> None:
    exists = brute_force_min_loss(problem, "linf") == 0
    event(f"pre-image exists: {exists}")
    result = ri.solve_exact(problem, backend=backend, objective="feasible")  # type: ignore[arg-type]
    if exists:
        assert result.status is ri.Status.OPTIMAL, result.message
        assert result.z is not None
        out = reference_forward(problem.network, [int(v) for v in result.z])
        assert all(out[j] == problem.target[j] for j in problem.observed.tolist())
        assert result.verification == "exact"
    else:
        assert result.status is ri.Status.INFEASIBLE, result.message
        assert result.z is None


@pytest.mark.parametrize("activation", ["relu", ("leaky_relu", 0.2)])
@given(k=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_layerwise_recovers_planted_latents_of_expanding_nets(
        activation: str | tuple[str, float], k: int, seed: int) -> None:
    """Expansion 4 per layer (k x 4k x 16k). The linear head has full column rank, so it
    pins ``h_1`` down; ``z`` is then identifiable exactly when the rows of ``W_1`` active
    at ``z*`` have rank ``k`` (always for leaky ReLU): that is the precondition."""
    net = _random_linear_head((k, 4 * k, 16 * k), activation, seed, bias=False)
    z_star = np.random.default_rng(seed + 1).normal(size=k)
    x = np.array([float(v) for v in reference_forward(net, z_star)])
    event(f"negative outputs: {bool(np.any(x < 0))}")
    w1 = np.asarray(net.weights[0])
    rows = w1 if activation != "relu" else w1[w1 @ z_star > 0]
    identifiable = rows.shape[0] > 0 and np.linalg.matrix_rank(rows) == k
    event(f"identifiable: {identifiable}")
    assume(identifiable)
    result = ri.invert_layerwise(net, x)
    assert result.status is ri.LayerwiseStatus.RECOVERED, result.message
    assert result.z is not None
    np.testing.assert_allclose(result.z, z_star, atol=1e-6)


@pytest.mark.parametrize("noise", ["linf", "l1"])
def test_layerwise_noisy_modes_accept_a_linear_head(noise: str) -> None:
    net = _random_linear_head((5, 30, 120), "relu", 3, bias=False)
    z_star = np.random.default_rng(4).normal(size=5)
    x = net.forward(z_star)
    assert np.any(x < 0)
    # noise-free data under a noisy model: recovered against a stated bound of 1e-9
    result = ri.invert_layerwise(net, x, noise=noise, noise_bound=1e-9)  # type: ignore[arg-type]
    assert result.status is ri.LayerwiseStatus.RECOVERED, result.message
    np.testing.assert_allclose(result.z, z_star, atol=1e-5)
    # without a stated bound the same answer is only a fit
    unstated = ri.invert_layerwise(net, x, noise=noise)  # type: ignore[arg-type]
    assert unstated.status is ri.LayerwiseStatus.FIT, unstated.message
