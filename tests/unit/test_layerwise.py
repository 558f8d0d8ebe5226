"""The layer-wise inverter on hand-made networks: every status, method and certificate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from reluinv import (
    InvalidArgumentError,
    InvalidTypeError,
    LayerwiseStatus,
    NonFiniteError,
    ReluNetwork,
    ShapeError,
    encode,
    invert_layerwise,
    parse_dimacs,
    plant,
    random_network,
)
from reluinv.layerwise.farkas import check_farkas_ray, find_farkas_ray
from reluinv.layerwise.rounding import far_pre_images_ruled_out

RECOVERED = LayerwiseStatus.RECOVERED
NO_PREIMAGE = LayerwiseStatus.NO_PREIMAGE
INCONCLUSIVE = LayerwiseStatus.INCONCLUSIVE


def test_one_layer_full_rank_uses_least_squares() -> None:
    net = ReluNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]]])
    result = invert_layerwise(net, net.forward([2.0, 1.0]))
    assert result.status is RECOVERED
    np.testing.assert_allclose(result.z, [2.0, 1.0], atol=1e-12)
    (diag,) = result.layers
    assert (diag.layer, diag.method, diag.active) == (1, "lstsq", 4)
    assert (diag.rank, diag.pinned) == (2, True)
    assert diag.equality_rows == 4
    assert diag.certificate is None
    assert result.failed_layer is None


def test_inequalities_alone_can_pin_the_latent_through_the_lp() -> None:
    # x = ReLU([z - 1, 1 - z]) = 0 at z = 1: no active row, yet z - 1 <= 0 and 1 - z <= 0
    # force z = 1 (the least-norm point z = 0 of the empty equality system does not fit).
    net = ReluNetwork([[[1.0], [-1.0]]], [[-1.0, 1.0]])
    result = invert_layerwise(net, [0.0, 0.0])
    assert result.status is RECOVERED
    (diag,) = result.layers
    assert (diag.method, diag.active, diag.rank, diag.pinned) == ("lp", 0, 0, False)
    assert diag.lp_status is not None
    assert result.z is not None
    assert abs(result.z[0] - 1.0) < 1e-9


def test_an_undetermined_layer_solves_its_lp_over_the_null_space_only() -> None:
    # One active row z1 + z2 = 2 leaves one free direction; the inactive rows z1 - 3 <= 0
    # and -z1 + 1.5 <= 0 pin z1 to [1.5, 3], which the least-norm point (1, 1) misses.
    net = ReluNetwork([[[1.0, 1.0], [1.0, 0.0], [-1.0, 0.0]]], [[0.0, -3.0, 1.5]])
    result = invert_layerwise(net, [2.0, 0.0, 0.0])
    assert result.status is RECOVERED
    (diag,) = result.layers
    assert (diag.method, diag.rank, diag.pinned) == ("lp", 1, False)
    assert diag.lp_status is not None
    assert "1 undetermined coordinates" in diag.lp_status
    assert result.z is not None
    assert result.z[0] + result.z[1] == pytest.approx(2.0, abs=1e-9)
    assert 1.5 - 1e-9 <= result.z[0] <= 3.0 + 1e-9


def test_inconsistent_equalities_give_a_residual_certificate() -> None:
    net = ReluNetwork([[[1.0], [1.0]]])  # both outputs equal ReLU(z)
    result = invert_layerwise(net, [1.0, 2.0])
    assert result.status is NO_PREIMAGE
    assert result.z is None
    assert result.failed_layer == 1
    cert = result.certificate
    assert cert is not None
    assert cert.verified
    assert cert.gap > 0
    assert cert.radius >= cert.min_radius
    assert math.isnan(result.residual)


def test_infeasible_lp_gets_a_rederived_farkas_ray() -> None:
    # Layer 2: -h_1 - h_2 = 1 with h >= 0 is empty; rank 1 < 2, so the LP decides.
    net = ReluNetwork([np.eye(2), [[-1.0, -1.0]]])
    result = invert_layerwise(net, [1.0])
    assert result.status is NO_PREIMAGE
    (diag,) = result.layers
    assert (diag.layer, diag.method, diag.feasible) == (2, "lp", False)
    assert diag.lp_status is not None
    assert "status 2" in diag.lp_status
    cert = diag.certificate
    assert cert is not None
    assert cert.verified
    assert cert.violation < 1e-12


def test_forward_check_catches_what_loose_layer_tolerances_let_through() -> None:
    # A feasibility tolerance of 10% accepts the least-squares compromise h = 1.025 for
    # h = 1 and h = 1.05; the forward pass then misses x by 0.025 and the status says so.
    net = ReluNetwork([[[1.0], [1.0]]])
    result = invert_layerwise(net, [1.0, 1.05], feasibility_tol=0.1)
    assert result.layers[0].feasible
    assert result.status is INCONCLUSIVE
    assert result.residual == pytest.approx(0.025)
    assert "forward check failed" in result.message


def test_negative_relu_output_is_no_preimage_by_sign() -> None:
    net = ReluNetwork([[[1.0], [2.0]]])
    result = invert_layerwise(net, [1.0, -0.5])
    assert result.status is NO_PREIMAGE
    assert result.layers[0].method == "sign"
    assert "y[1]" in (result.layers[0].lp_status or "")


def test_infeasible_below_a_pinned_layer_is_no_preimage() -> None:
    # Layer 2 is the identity: it pins h = x = (1, 2); layer 1 asks z = 1 and z = 2.
    net = ReluNetwork([[[1.0], [1.0]], np.eye(2)])
    result = invert_layerwise(net, [1.0, 2.0])
    assert result.status is NO_PREIMAGE
    assert [d.pinned for d in result.layers] == [True, True]
    assert result.failed_layer == 1
    assert "forced by the pinned layers above" in result.message


def test_infeasible_below_an_unpinned_layer_is_inconclusive() -> None:
    # The real-latent reduction of an unsatisfiable formula: the clause layer has many
    # pre-images, the LP picks one, and the literal layer has none for it.
    problem = encode(parse_dimacs("p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n"), "real")
    result = invert_layerwise(problem.network, problem.target)
    assert result.status is INCONCLUSIVE
    top, bottom = result.layers
    assert not top.pinned
    assert top.method == "lp"
    assert bottom.certificate is not None
    assert bottom.certificate.verified
    assert "several pre-images" in result.message


def test_leaky_layers_invert_the_activation_then_solve() -> None:
    net = ReluNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], activation=("leaky_relu", 0.2))
    z = np.array([-1.0, 0.5])
    result = invert_layerwise(net, net.forward(z))
    assert result.status is RECOVERED
    np.testing.assert_allclose(result.z, z, atol=1e-12)
    assert result.layers[0].equality_rows == 3


def test_leaky_inconsistent_system_is_no_preimage() -> None:
    net = ReluNetwork([[[1.0], [1.0]]], activation=("leaky_relu", 0.1))
    result = invert_layerwise(net, [-0.1, -0.2])  # z = -1 and z = -2
    assert result.status is NO_PREIMAGE
    assert result.certificate is not None
    assert result.certificate.verified


def test_rank_deficient_hidden_layer_that_still_recovers_reports_not_pinned() -> None:
    # k = 1, hidden h = (ReLU(z), ReLU(-z)), output ReLU(h_1 + h_2) = |z|: two pre-images.
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    result = invert_layerwise(net, [3.0])
    assert result.status is RECOVERED
    assert result.z is not None
    assert abs(abs(result.z[0]) - 3.0) < 1e-9
    assert [d.pinned for d in result.layers] == [False, True]  # z from one active row


def test_mask_drops_unobserved_rows() -> None:
    net = random_network([4, 16, 48], rng=np.random.default_rng(5))
    z = np.random.default_rng(6).normal(size=4)
    x = net.forward(z)
    corrupted = x.copy()
    corrupted[:8] += 10.0
    mask = np.ones(48, dtype=bool)
    mask[:8] = False
    assert invert_layerwise(net, corrupted).status is not RECOVERED
    result = invert_layerwise(net, corrupted, mask=mask)
    assert result.status is RECOVERED
    assert result.layers[0].rows == 40
    np.testing.assert_allclose(result.z, z, rtol=1e-8)


@pytest.mark.parametrize("norm", ["linf", "l1", "l1_total"])
def test_noisy_output_layer_fits_within_the_noise(norm: str) -> None:
    # The true hidden layer is feasible for the output layer's LP with misfit ||e||_inf
    # (l_inf) or at most ||e||_1 (l_1), so the chosen point (least squares when it is
    # within that, else the LP's optimum) cannot exceed it.
    rng = np.random.default_rng(11)
    net = random_network([6, 30, 90], rng=rng)
    level = 1e-3
    e = rng.uniform(-level, level, size=90)
    x = net.forward(rng.normal(size=6)) + e
    bound = float(np.max(np.abs(e))) if norm == "linf" else float(np.sum(np.abs(e)))
    result = invert_layerwise(net, x, noise=norm, tau=level,  # type: ignore[arg-type]
                              noise_bound=bound)
    eps_out = result.layers[0].eps
    assert eps_out is not None
    assert eps_out <= bound * (1 + 1e-6)
    assert result.layers[0].accepted_misfit == bound
    assert all(d.eps is not None for d in result.layers)
    assert result.layers[1].tau >= level  # the hidden threshold grows with the misfit


def test_noisy_status_follows_the_noise_bound() -> None:
    rng = np.random.default_rng(12)
    net = random_network([6, 30, 90], rng=rng)
    x = net.forward(rng.normal(size=6)) + rng.uniform(-1e-3, 1e-3, size=90)
    loose = invert_layerwise(net, x, noise="linf", tau=1e-3, noise_bound=1.0)
    tight = invert_layerwise(net, x, noise="linf", tau=1e-3, noise_bound=1e-12)
    assert loose.status is RECOVERED
    assert loose.residual <= 1.0
    assert tight.status is INCONCLUSIVE
    assert tight.z is not None  # the fit is still returned, with its residual
    assert "exceeds" in tight.message  # the output layer's misfit contradicts 1e-12
    assert tight.layers[0].consistent is False
    rounding = 1e-6 * max(1.0, float(np.max(np.abs(x))))  # RESIDUAL_TOLERANCE, relative
    assert tight.residual_bound >= 1e-12 + rounding


@pytest.mark.parametrize("norm", ["linf", "l1"])
def test_noisy_inversion_without_a_noise_bound_is_only_a_fit(norm: str) -> None:
    rng = np.random.default_rng(12)
    net = random_network([6, 30, 90], rng=rng)
    x = net.forward(rng.normal(size=6)) + rng.uniform(-1e-3, 1e-3, size=90)
    result = invert_layerwise(net, x, noise=norm, tau=1e-3)  # type: ignore[arg-type]
    assert result.status is LayerwiseStatus.FIT
    assert result.z is not None
    assert math.isinf(result.residual_bound)
    assert result.residual == pytest.approx(float(np.max(np.abs(net.forward(result.z) - x))))


def test_noisy_acceptance_is_held_to_the_stated_bound_not_a_multiple() -> None:
    # The fit's l_inf residual r lies well above the stated bound b = r / 10 and well below
    # 1000 b: a looser acceptance (any multiple of the bound) would call it RECOVERED.
    rng = np.random.default_rng(12)
    net = random_network([6, 30, 90], rng=rng)
    x = net.forward(rng.normal(size=6)) + rng.uniform(-1e-2, 1e-2, size=90)
    fit = invert_layerwise(net, x, noise="linf", tau=1e-2)
    assert fit.status is LayerwiseStatus.FIT
    judged = invert_layerwise(net, x, noise="linf", tau=1e-2, noise_bound=fit.residual / 10)
    assert judged.status is INCONCLUSIVE, judged.message
    exact = invert_layerwise(net, x, noise="linf", tau=1e-2, noise_bound=fit.residual)
    assert exact.status is RECOVERED, exact.message


def decoder_with_sparse_output(seed: int) -> tuple[ReluNetwork, np.ndarray]:
    """A 20 x 60 x 784 ReLU decoder shaped like a trained one: the output layer's negative
    bias leaves a minority of pixels active; returns it and a planted clean image."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, 1.0 / np.sqrt(60), (60, 20))
    W2 = rng.normal(0.0, 1.0 / np.sqrt(784), (784, 60))
    net = ReluNetwork([W1, W2], [np.zeros(60), np.full(784, -0.02)])
    return net, net.forward(rng.normal(size=20))


def test_unknown_noise_is_estimated_not_read_at_the_realizable_threshold() -> None:
    # The reported failure: uniform noise 1e-6 read with tau = 1e-9 made every inactive
    # pixel a two-sided row, the output layer's optimal eps was then of the order of
    # max |x|, and z = 0 fitted "within" it. Now the noise level is estimated from the top
    # layer's fit, the thresholds follow it, the fit is good, and it is still only a FIT;
    # against the stated bound 1e-6 the same answer is RECOVERED, against 1e-9 it is not.
    net, clean = decoder_with_sparse_output(0)
    x = clean + np.random.default_rng(1).uniform(-1e-6, 1e-6, size=784)
    fit = invert_layerwise(net, x, noise="linf")
    assert fit.status is LayerwiseStatus.FIT
    assert fit.noise_estimated
    assert fit.noise_level is not None
    assert 1e-7 <= fit.noise_level <= 1e-5
    assert fit.residual <= 1e-5
    judged = invert_layerwise(net, x, noise="linf", noise_bound=1e-6)
    assert judged.status is RECOVERED, judged.message
    denied = invert_layerwise(net, x, noise="linf", noise_bound=1e-9)
    assert denied.status is INCONCLUSIVE, denied.message


BAD_ARGUMENTS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"noise": "l2"}, InvalidArgumentError,
     "noise must be one of 'none', 'linf', 'l1', 'l1_total', got 'l2'"),
    ({"noise": 1}, InvalidTypeError,
     "noise must be one of 'none', 'linf', 'l1', 'l1_total', got int 1"),
    ({"solver": "glpk"}, InvalidArgumentError,
     "solver must be one of 'auto', 'cvxopt', 'highs', 'highs-dual', got 'glpk'"),
    ({"tau": -1.0}, InvalidArgumentError, "tau must be a finite number >= 0"),
    ({"tau": float("nan")}, InvalidArgumentError, "tau must be a finite number >= 0"),
    ({"feasibility_tol": "small"}, InvalidTypeError, "feasibility_tol must be a number"),
    ({"noise_bound": -1.0}, InvalidArgumentError, "noise_bound must be a finite number >= 0"),
    ({"x": [1.0, 2.0]}, ShapeError, r"x must have shape \(n,\) = \(3,\)"),
    ({"x": [1.0, np.inf, 0.0]}, NonFiniteError, r"x\[1\] is inf"),
    ({"mask": [1, 0, 1]}, ShapeError, "mask must be a boolean array of shape"),
    ({"mask": np.zeros(3, dtype=bool)}, InvalidArgumentError, "mask observes no output"),
    ({"network": "net"}, InvalidTypeError, "network must be a reluinv.ReluNetwork"),
    ({"x": [[1.0], [2.0, 3.0]]}, InvalidTypeError, "x must be an array of numbers"),
    # Python ints beyond float64's range: an OverflowError from float() before
    ({"tau": 10**400}, InvalidArgumentError, "tau must be a finite number >= 0, got 1000"),
    ({"residual_tol": 10**400}, InvalidArgumentError, "residual_tol must be a finite number"),
    ({"x": [10**400, 1, 2]}, InvalidArgumentError, "x holds a number beyond float64's range"),
    # silently lost before: a masked array's mask, None read as NaN
    ({"x": np.ma.masked_array([1.0, 0.0, 2.0], mask=[0, 1, 0])}, InvalidTypeError,
     "x must be a plain array, got a masked array; pass the observed entries as mask="),
    ({"x": [1.0, None, 2.0]}, InvalidTypeError,
     "x must hold real numbers, got None at flat index 1"),
    ({"mask": np.ma.masked_array([True, False, True], mask=[0, 0, 1])}, InvalidTypeError,
     "mask must be a plain boolean array, got a masked array"),
    # a ragged mask: NumPy's own ValueError before
    ({"mask": [[True], [False, True], [True]]}, ShapeError,
     r"mask must be a boolean array of shape \(3,\): setting an array element"),
]


@pytest.mark.parametrize(("change", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments_get_one_clear_error(
    change: dict[str, Any], error: type[Exception], match: str
) -> None:
    kwargs: dict[str, Any] = {"network": ReluNetwork([np.eye(3)]), "x": [1.0, 0.0, 2.0]}
    kwargs.update(change)
    network, x = kwargs.pop("network"), kwargs.pop("x")
    with pytest.raises(error, match=match):
        invert_layerwise(network, x, **kwargs)


def test_farkas_check_rejects_rays_that_prove_nothing() -> None:
    A_eq = np.array([[1.0], [1.0]])
    b_eq = np.array([1.0, 2.0])  # h = 1 and h = 2
    empty_A, empty_b = np.zeros((0, 1)), np.zeros(0)
    free = np.array([False])
    good = check_farkas_ray(A_eq, b_eq, empty_A, empty_b, free, np.array([1.0, -1.0]), empty_b)
    assert good.verified
    assert good.gap == 1.0
    assert good.radius == math.inf
    wrong_sign = check_farkas_ray(A_eq, b_eq, empty_A, empty_b, free,
                                  np.array([-1.0, 1.0]), empty_b)
    assert not wrong_sign.verified
    assert wrong_sign.gap < 0
    not_a_ray = check_farkas_ray(A_eq, b_eq, empty_A, empty_b, free,
                                 np.array([1.0, -0.5]), empty_b)
    assert not not_a_ray.verified
    assert not_a_ray.radius == pytest.approx(0.0)


def test_farkas_check_rejects_a_false_proof_for_a_feasible_system() -> None:
    # h = -1 is feasible (h free). y = 1 has b^T y = -1 < 0, but A^T y = 1 != 0 on the free
    # column: it only rules out |h| < 1, which is no proof.
    cert = check_farkas_ray(np.array([[1.0]]), np.array([-1.0]), np.zeros((0, 1)),
                            np.zeros(0), np.array([False]), np.array([1.0]), np.zeros(0))
    assert cert.gap == 1.0
    assert cert.radius == pytest.approx(1.0)
    assert not cert.verified


def test_farkas_search_finds_nothing_on_a_feasible_system() -> None:
    A_eq = np.array([[1.0, 1.0]])
    b_eq = np.array([1.0])
    ub = np.array([[1.0, 0.0]])
    assert find_farkas_ray(A_eq, b_eq, ub, np.array([0.5]), np.array([True, True])) is None


def test_each_step_reports_the_preimage_it_handed_down() -> None:
    net = random_network([4, 12, 30], rng=np.random.default_rng(3))
    instance = plant(net, rng=np.random.default_rng(4))
    result = invert_layerwise(net, instance.observation)
    assert result.status is RECOVERED
    top, bottom = result.layers
    assert top.preimage is not None
    assert bottom.preimage is not None
    np.testing.assert_allclose(net.layer_outputs(instance.z)[0], top.preimage, atol=1e-9)
    np.testing.assert_allclose(net.activate(net.weights[0] @ bottom.preimage), top.preimage,
                               atol=1e-9)
    np.testing.assert_array_equal(bottom.preimage, result.z)


def test_failed_step_has_no_preimage_and_the_one_above_is_a_clause_layer_preimage() -> None:
    problem = encode(parse_dimacs("p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n"), "real")
    result = invert_layerwise(problem.network, problem.target)
    top, bottom = result.layers
    assert bottom.preimage is None
    assert top.preimage is not None
    W2, b2 = problem.network.weights[1], problem.network.biases[1]
    assert np.all(top.preimage >= -1e-9)
    np.testing.assert_allclose(np.maximum(W2 @ top.preimage + b2, 0.0), problem.target,
                               atol=1e-7)


def test_peak_memory_stays_near_the_least_squares_floor() -> None:
    # The floor copies the active block once (for lstsq); the inverter must not copy the
    # output layer (no mask) or its inactive block on the least-squares path.
    import tracemalloc

    net = random_network([40, 200, 1000], rng=np.random.default_rng(0))
    x = plant(net, rng=np.random.default_rng(1)).observation

    def floor() -> None:
        y = x
        for W in reversed(net.weights):
            active = y > 1e-9
            y = np.linalg.lstsq(np.asarray(W)[active], y[active], rcond=None)[0]

    peaks = {}
    for name, run in (("floor", floor), ("inverter", lambda: invert_layerwise(net, x))):
        tracemalloc.start()
        run()
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks["inverter"] <= 1.5 * peaks["floor"], peaks


def test_a_code_beyond_float64s_reach_is_inconclusive_without_a_z() -> None:
    """Weights of 1e-200 ask for a hidden layer of about 1e200 per unit of output, and a
    code of 1e400: the l_inf LPs overflowed to infinity. No forward pass can judge such a
    code, so the answer is INCONCLUSIVE without a ``z`` and with a message that names the
    layer and the limit (it used to return ``z = [-inf, inf]`` with a NaN misfit): the
    layer's input beyond ``NOISY_VALUE_LIMIT`` under noise, beyond ``VALUE_LIMIT``
    without."""
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) * 1e-200
    W2 = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 1.0, 1.0]]) * 1e-200
    net = ReluNetwork([W1, W2])
    x = np.array([1.0, 2.0, 3.0, 6.0])
    with np.errstate(all="ignore"):
        noisy = invert_layerwise(net, x, noise="linf", noise_bound=0.1)
    realizable = invert_layerwise(net, x)
    for result, limit in ((noisy, "1e+15"), (realizable, "1e+150")):
        assert result.status is LayerwiseStatus.INCONCLUSIVE
        assert result.z is None
        assert result.message.startswith("layer 1's input reaches 3e+200 in magnitude")
        assert f"beyond {limit}, where" in result.message


def test_a_code_beyond_float64s_reach_from_a_layer_within_it_is_inconclusive() -> None:
    """One layer of weights 1e-200: the observation is within every limit, the code it asks
    for (about 2e200) is not, and no forward pass can judge it; INCONCLUSIVE without a
    ``z``, the message naming the code's magnitude."""
    net = ReluNetwork([np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) * 1e-200])
    with np.errstate(all="ignore"):
        result = invert_layerwise(net, np.array([1.0, 2.0, 3.0]))
    assert result.status is LayerwiseStatus.INCONCLUSIVE
    assert result.z is None
    assert result.message.startswith("the code found has entries of magnitude 2e+200")


def test_a_leaky_layer_whose_input_overflows_through_the_slope_is_inconclusive() -> None:
    """A leaky layer reads a negative input ``y`` as the pre-activation ``y / alpha``: at
    slope 1e-9 the hidden value -1e300 that the top layer hands down is -inf there, which
    reached ``linprog`` as a ``ValueError``. The layer's input is judged with the slope's
    division: INCONCLUSIVE, naming the layer."""
    net = ReluNetwork([[[1.0]], [[1e-300]]], activation=("leaky_relu", 1e-9))
    result = invert_layerwise(net, [-1e-9])
    assert result.status is LayerwiseStatus.INCONCLUSIVE
    assert result.z is None
    assert result.message.startswith(
        "layer 1's input reaches inf in magnitude (its negative entries divided by the "
        "slope)")
    assert result.message.endswith("rescale the network's weights")
    # positive entries are not divided: an observation at the limit itself is inverted
    identity = ReluNetwork([[[1.0]]], activation=("leaky_relu", 1e-9))
    assert invert_layerwise(identity, [1e150]).status is LayerwiseStatus.RECOVERED
    refused = invert_layerwise(identity, [-1e145])
    assert refused.status is LayerwiseStatus.INCONCLUSIVE
    assert refused.message.endswith("rescale x and the last layer")


@pytest.mark.parametrize("noise", ["linf", "l1", "l1_total"])
def test_noisy_modes_refuse_an_observation_their_lp_solvers_read_as_infinite(
        noise: str) -> None:
    """HiGHS reads 1e20 as infinite: an observation that large gave an infinite noise
    estimate and a ``ValueError`` from ``linprog``. Under noise it is refused with a
    one-line error naming the entry and the limit; without noise it is inverted."""
    net = ReluNetwork([[[1.0], [2.0]]])
    with pytest.raises(InvalidArgumentError, match=r"x\[1\] = 2e\+20: entries beyond 1e\+15"):
        invert_layerwise(net, [1e20, 2e20], noise=noise)  # type: ignore[arg-type]
    for bound in (1e16, np.float32(1e20), np.int64(10**18)):  # NumPy scalars as well
        with pytest.raises(InvalidArgumentError, match=r"noise_bound = 1e\+\d+: beyond 1e\+15"):
            invert_layerwise(net, [1.0, 2.0], noise=noise,  # type: ignore[arg-type]
                             noise_bound=bound)
    assert invert_layerwise(net, [1e20, 2e20]).status is LayerwiseStatus.RECOVERED


def test_the_sign_rule_claims_no_pre_image_only_beyond_the_realizable_tolerance() -> None:
    """A negative ReLU output has no exact pre-image, but a code whose output is within
    ``residual_tol * max(1, ||x||_inf)`` of ``x`` is RECOVERED: ``x = (1000, -2e-9)`` was
    NO_PREIMAGE by the sign while ``z = 1000`` has residual ``2e-9 <= 1e-3``. The sign
    rule now claims nothing within that tolerance, and beyond it still proves the case."""
    net = ReluNetwork([[[1.0], [-1.0]]])
    for x, status in (([1000.0, -2e-9], RECOVERED), ([1000.0, -9e-4], RECOVERED),
                      ([1000.0, -2e-3], NO_PREIMAGE), ([1.0, -5e-7], RECOVERED),
                      ([1.0, -2e-6], NO_PREIMAGE)):
        result = invert_layerwise(net, x)
        assert result.status is status, (x, result.message)
        if status is RECOVERED:
            assert result.residual <= result.residual_bound
        else:
            assert result.layers[-1].method == "sign"


def test_a_ray_against_small_pre_images_proves_nothing_where_the_rows_allow_large_ones(
) -> None:
    """A checked Farkas ray rules out the pre-images below its radius only. Two
    realizable observations whose layer the rows do not pin (by the SVD's cutoff) were
    NO_PREIMAGE: ``x = (1, 0, 1)`` needs ``z_2 >= 1e9`` (HiGHS reads the weight -1e-9 as
    zero), and a square linear head of determinant ``2^-50`` has the pre-image
    ``(-2^40, 2^40 + 1)``. The far side is examined now and both are INCONCLUSIVE."""
    wide = ReluNetwork([[[1.0, 0.0], [0.0, -1e-9], [1.0, 0.0]]], [[0.0, 1.0, 0.0]])
    head = ReluNetwork([[[1.0, 1.0], [1.0, 1.0 + 2.0**-50]]], output_activation="linear")
    for net, z in ((wide, np.array([1.0, 2e9])), (head, np.array([-2.0**40, 2.0**40 + 1]))):
        x = net.forward(z)
        assert np.array_equal(net.forward(z), x)  # x is realizable, exactly
        result = invert_layerwise(net, x)
        assert result.status is INCONCLUSIVE, result.message
        assert "do not rule out larger ones" in result.message


def test_an_unpinned_layer_is_refuted_once_its_far_side_is_ruled_out() -> None:
    """A trained-like decoder whose observation does not pin the hidden layer, five pixels
    raised by 0.3: the top layer's ray has a finite radius and no pre-image bound, so the
    claim rests on the far side's ray as well, and it holds (on the simplex of directions,
    since the hidden layer is non-negative)."""
    from benchmarks.suite_layerwise import trained_like_decoder

    net = trained_like_decoder(-0.2)
    rng = np.random.default_rng(0)
    x = net.forward(rng.normal(size=20))
    x[rng.integers(0, 784, size=5)] += 0.3
    result = invert_layerwise(net, x)
    assert result.status is NO_PREIMAGE, result.message
    assert not result.layers[-1].pinned
    assert result.certificate is not None
    assert math.isfinite(result.certificate.radius)


def test_far_pre_images_are_found_or_ruled_out() -> None:
    """The far-side test on five systems whose far side is known: ``h >= 0`` with ``h_1 >=
    1e9`` (far points), ``h >= 0`` with ``h_1 + h_2 <= 1`` (none beyond 10), ``h`` free
    with ``|h_1| <= 1`` (far along ``h_2``), ``h`` free in the unit box (none), ``h`` free
    with ``h_1 <= -1e9`` and ``|h_2| <= 1`` (far, in a negative direction only)."""
    assert not far_pre_images_ruled_out(np.array([[-1.0, 0.0]]), np.array([-1e9]), True, 1e6)
    assert far_pre_images_ruled_out(np.array([[1.0, 1.0]]), np.array([1.0]), True, 10.0)
    slab = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert not far_pre_images_ruled_out(slab, np.ones(2), False, 10.0)
    box = np.vstack([slab, [[0.0, 1.0], [0.0, -1.0]]])
    assert far_pre_images_ruled_out(box, np.ones(4), False, 10.0)
    # free, far only where h_1 <= -1e9: no direction of the simplex (d >= 0) sees it
    negative = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    assert not far_pre_images_ruled_out(negative, np.array([-1e9, 1.0, 1.0]), False, 1e6)


@pytest.mark.parametrize("n", [3, 4])
def test_the_far_side_of_a_free_layer_is_examined_up_to_a_size(
        n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A free layer's far side takes two LPs per unknown, so beyond
    ``RECESSION_TEST_MAX_UNKNOWNS`` (3 here) it is not examined and nothing is claimed.
    The rows ``w_0 z = 1`` and ``(1 + 2^-40) w_0 z <= 0`` contradict each other, but by a
    ray of finite radius, and the wide system leaves directions free: INCONCLUSIVE either
    way, for the reason each size gives (a correct refutation lost to the far side's
    sufficient test, the price of never claiming one falsely)."""
    from reluinv.layerwise import rounding

    monkeypatch.setattr(rounding, "RECESSION_TEST_MAX_UNKNOWNS", 3)
    rng = np.random.default_rng(5)
    w0, w1 = rng.normal(size=n), rng.normal(size=n)
    net = ReluNetwork([np.vstack([w0, w1, w0 * (1 + 2.0**-40)])])
    result = invert_layerwise(net, np.array([1.0, 0.5, 0.0]))
    assert result.status is INCONCLUSIVE
    expected = ("the layer's rows do not rule out larger ones" if n == 3
                else "the layer's 4 free unknowns are more than the 3 whose larger "
                     "pre-images are examined")
    assert result.message.endswith(expected), result.message
