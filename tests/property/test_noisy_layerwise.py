"""Noisy layer-wise inversion: thresholds and accepted misfits that follow the stated noise,
the paper's budgeted l_1 LP (6), and what the result claims under noise.

Oracles: the planted latent ``z*`` and the forward pass (the truth is feasible at every
layer with the misfit the stated noise allows, and the propagated bound must contain
``z*``); for the LPs, the same LP written in another variable layout and solved by HiGHS
through SciPy, against the library's own formulation solved by cvxopt.

Reproducers of the reported failures (uniform noise 1e-6 on trained decoders: ``linf``
recovered few, LeakyReLU nets ended INCONCLUSIVE at relative error 2.2e-4, right answers
were INCONCLUSIVE) run on the shipped digits decoders and on a decoder shaped like a
trained MNIST one (a minority of active pixels).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import reluinv as ri
from reluinv import LayerwiseStatus, ReluNetwork, invert_layerwise, plant, random_network
from reluinv.layerwise.lp import solve_dense_lp
from reluinv.layerwise.noisy import noisy_lp, read_bands, row_misfits

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

RECOVERED = LayerwiseStatus.RECOVERED


def sparse_output_decoder(seed: int) -> ReluNetwork:
    """20 x 60 x 784 ReLU shaped like a trained MNIST decoder: the output bias leaves a
    minority of pixels active."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, 1.0 / np.sqrt(60), (60, 20))
    W2 = rng.normal(0.0, 1.0 / np.sqrt(784), (784, 60))
    return ReluNetwork([W1, W2], [np.zeros(60), np.full(784, -0.02)])


DECODERS = {
    "digits-relu": lambda: ri.digits_decoder("relu"),
    "digits-leaky": lambda: ri.digits_decoder("leaky"),
    "sparse-784": lambda: sparse_output_decoder(0),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DECODERS))
def test_uniform_noise_1e6_on_decoders_is_recovered_and_right(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproducer: 30 planted codes, uniform noise 1e-6 stated as the bound.
    Every one is RECOVERED, and every recovered code is right to within the propagated
    bound (the claim the result makes)."""
    net = DECODERS[name]()
    recovered, errors = 0, []
    for seed in range(30):
        inst = plant(net, rng=np.random.default_rng(seed), noise_kind="uniform", level=1e-6)
        result = invert_layerwise(net, inst.observation, noise="linf", noise_bound=1e-6)
        assert result.z is not None
        assert all(d.consistent for d in result.layers), result.message
        assert float(np.max(np.abs(result.z - inst.z))) <= result.latent_error_bound
        recovered += result.status is RECOVERED
        errors.append(inst.relative_error(result.z))
    with capsys.disabled():
        print(f"\n{name}: {recovered}/30 recovered at uniform 1e-6, median relative error "
              f"{np.median(errors):.2g}, max {np.max(errors):.2g}")
    assert recovered == 30
    assert max(errors) <= 1e-3


NET_SHAPES = [((4, 16, 50), "relu"), ((5, 20, 70), "relu"), ((3, 12, 30, 90), "relu"),
              ((4, 16, 50), ("leaky_relu", 0.1)), ((3, 10, 25, 60), ("leaky_relu", 0.2))]


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from(NET_SHAPES), seed=st.integers(0, 2**16),
       level=st.sampled_from([1e-6, 1e-4, 1e-2]),
       norm=st.sampled_from(["linf", "l1", "l1_total"]))
def test_truth_within_the_stated_noise_is_never_contradicted(
    shape: tuple[tuple[int, ...], Any], seed: int, level: float, norm: Any
) -> None:
    """With noise inside the stated bound, the truth is feasible at every layer with the
    misfit the propagated noise allows: no layer may be reported inconsistent, and a finite
    ``latent_error_bound`` must contain ``z*``."""
    sizes, activation = shape
    rng = np.random.default_rng(seed)
    net = random_network(sizes, activation=activation, rng=rng)
    kind = "uniform" if norm == "linf" else "gaussian"
    inst = plant(net, rng=rng, noise_kind=kind, level=level)
    e = inst.observation - inst.clean
    stated = float(np.max(np.abs(e))) if norm == "linf" else float(np.sum(np.abs(e)))
    result = invert_layerwise(net, inst.observation, noise=norm, noise_bound=stated)
    assert result.z is not None, result.message
    assert all(d.consistent is not False for d in result.layers), [
        (d.layer, d.eps, d.accepted_misfit) for d in result.layers]
    event(f"{norm}: every layer's misfit judged" if all(
        d.consistent is not None for d in result.layers) else f"{norm}: a reading uncertain")
    gap = (float(np.max(np.abs(result.z - inst.z))) if norm == "linf"
           else float(np.sum(np.abs(result.z - inst.z))))
    if np.isfinite(result.latent_error_bound):
        event(f"{norm}: bounded")
        assert gap <= result.latent_error_bound * (1 + 1e-9) + 1e-12
    else:
        event(f"{norm}: unbounded (a layer not pinned)")
    event(f"{norm}: {result.status.name}")
    if result.status is RECOVERED:
        measured = result.residual if norm == "linf" else result.residual_l1
        assert measured <= result.residual_bound


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from(NET_SHAPES), seed=st.integers(0, 2**16),
       level=st.sampled_from([1e-5, 1e-3]), shrink=st.sampled_from([1e-3, 1e-2]))
def test_a_noise_bound_far_below_the_noise_is_not_accepted(
    shape: tuple[tuple[int, ...], Any], seed: int, level: float, shrink: float
) -> None:
    """Acceptance comes from the stated bound, never from the LP's own misfit: stating a
    bound 100-1000x below the actual noise must not end RECOVERED unless ``z`` really
    explains ``x`` within that small bound plus its spread."""
    sizes, activation = shape
    rng = np.random.default_rng(seed)
    net = random_network(sizes, activation=activation, rng=rng)
    inst = plant(net, rng=rng, noise_kind="uniform", level=level)
    stated = shrink * level
    result = invert_layerwise(net, inst.observation, noise="linf", noise_bound=stated)
    event(f"status {result.status.name}")
    if result.status is RECOVERED:
        assert result.z is not None
        assert result.residual <= result.residual_bound
        assert all(d.consistent is not False for d in result.layers)
    else:
        event("contradiction found" if any(d.consistent is False for d in result.layers)
              else "forward check failed")


@pytest.mark.parametrize("norm", ["linf", "l1"])
def test_unknown_noise_is_estimated_and_the_result_says_so(norm: Any) -> None:
    net = sparse_output_decoder(1)
    kind = "uniform" if norm == "linf" else "gaussian"
    inst = plant(net, rng=np.random.default_rng(5), noise_kind=kind, level=1e-4)
    e = inst.observation - inst.clean
    actual = float(np.max(np.abs(e))) if norm == "linf" else float(np.sum(np.abs(e)))
    result = invert_layerwise(net, inst.observation, noise=norm)
    assert result.status is LayerwiseStatus.FIT
    assert result.noise_estimated
    assert result.noise_level is not None
    assert 0.2 * actual <= result.noise_level <= 20 * actual
    assert "estimated" in result.message
    assert result.z is not None
    assert inst.relative_error(result.z) <= 1e-2
    stated = invert_layerwise(net, inst.observation, noise=norm, noise_bound=actual)
    assert not stated.noise_estimated
    assert stated.noise_level == actual


# -- the LPs against an independent formulation ---------------------------------------


def l1_budget_lp_by_scipy(W: np.ndarray, b: np.ndarray, y: np.ndarray, active: np.ndarray,
                          budget: float, nonneg: bool) -> float:
    """The paper's LP (6) on a ReLU layer, written independently: ``h = h+ - h-`` (or
    ``h >= 0``), each active row's misfit split as ``u_j - v_j`` with ``u, v >= 0``, one
    slack ``t_j >= w_j h + b_j - y_j`` per inactive row; minimise ``sum(u + v)`` subject to
    ``sum(t) <= budget``. Returns the optimal value (``inf`` when infeasible)."""
    n = W.shape[1]
    act, ina = np.flatnonzero(active), np.flatnonzero(~active)
    hcols = n if nonneg else 2 * n
    Wh = W if nonneg else np.hstack([W, -W])
    a, i = act.size, ina.size
    cols = hcols + 2 * a + i
    cost = np.concatenate([np.zeros(hcols), np.ones(2 * a), np.zeros(i)])
    A_eq = np.zeros((a, cols))
    A_eq[:, :hcols] = Wh[act]
    A_eq[:, hcols:hcols + a] = -np.eye(a)
    A_eq[:, hcols + a:hcols + 2 * a] = np.eye(a)
    b_eq = y[act] - b[act]
    A_ub = np.zeros((i + 1, cols))
    A_ub[:i, :hcols] = Wh[ina]
    A_ub[:i, hcols + 2 * a:] = -np.eye(i)
    A_ub[i, hcols + 2 * a:] = 1.0
    b_ub = np.concatenate([y[ina] - b[ina], [budget]])
    result = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq if a else None,
                     b_eq=b_eq if a else None, bounds=[(0, None)] * cols, method="highs")
    return float(result.fun) if result.status == 0 else float("inf")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(3, 12), n=st.integers(1, 4),
       nonneg=st.booleans(), budget_share=st.sampled_from([0.0, 0.1, 1.0, 10.0]))
def test_l1_budget_lp_matches_an_independent_formulation(
    seed: int, m: int, n: int, nonneg: bool, budget_share: float
) -> None:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(m, n))
    b = rng.normal(scale=0.1, size=m)
    y = np.maximum(W @ rng.normal(size=n) + b, 0.0) + rng.uniform(-0.05, 0.05, size=m)
    threshold = np.full(m, 0.02)
    bands = read_bands(y, threshold, "relu", 0.0, 0.02)
    budget = budget_share * 0.05
    expected = l1_budget_lp_by_scipy(W, b, y, bands.two_sided, budget, nonneg)
    answer = noisy_lp(W, b, bands, np.ones(m), "l1", budget, nonneg, "auto")
    event(f"solved by {answer.solver}")
    if not np.isfinite(expected):
        event("infeasible budget")
        assert answer.status != "optimal" or answer.x is None or float(np.sum(
            row_misfits(W @ answer.x[:n] + b, bands)[~bands.two_sided])) > budget + 1e-7
        return
    event("feasible budget" + (", binding" if budget_share < 1.0 else ""))
    assert answer.status == "optimal", answer.message
    assert answer.x is not None
    h = np.maximum(answer.x[:n], 0.0) if nonneg else answer.x[:n]
    rows = row_misfits(W @ h + b, bands)
    assert float(np.sum(rows[~bands.two_sided])) <= budget + 1e-6
    assert float(np.sum(rows[bands.two_sided])) == pytest.approx(expected, rel=1e-6,
                                                                 abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(8, 30), n=st.integers(1, 4),
       nonneg=st.booleans())
def test_dense_lp_solvers_agree(seed: int, m: int, n: int, nonneg: bool) -> None:
    """cvxopt and HiGHS on the same l_inf layer LP: the same optimal misfit."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(m, n))
    y = np.maximum(W @ rng.normal(size=n), 0.0) + rng.uniform(-1e-3, 1e-3, size=m)
    bands = read_bands(y, np.full(m, 1e-3), "relu", 0.0, 1e-3)
    values = []
    for solver in ("cvxopt", "highs"):
        answer = noisy_lp(W, np.zeros(m), bands, np.ones(m), "linf", 0.0, nonneg, solver)
        assert answer.x is not None, answer.message
        h = np.maximum(answer.x[:n], 0.0) if nonneg else answer.x[:n]
        values.append(float(np.max(row_misfits(W @ h, bands))))
    assert values[0] == pytest.approx(values[1], abs=1e-6)


def test_dense_lp_reports_infeasibility() -> None:
    # x >= 1 and x <= 0
    for solver in ("cvxopt", "highs"):
        answer = solve_dense_lp(np.array([1.0]), np.array([[-1.0], [1.0]]),
                                np.array([-1.0, 0.0]), np.array([False]),
                                solver=solver)  # type: ignore[arg-type]
        assert answer.status == "infeasible", answer.message
        assert answer.x is None


def test_leaky_rows_near_zero_keep_the_truth_feasible() -> None:
    """A leaky output within the noise of zero may come from either sign: its band must
    reach down to ``(y - delta) / alpha`` (the old band ``y +- delta`` cut the truth off,
    so every LeakyReLU inversion ended INCONCLUSIVE)."""
    alpha, delta = 0.1, 1e-3
    y = np.array([0.5e-3, -0.5e-3, 0.2, -0.2])
    bands = read_bands(y, np.full(4, delta), "leaky", alpha, delta)
    # true outputs y - e with |e| <= delta, mapped back through the activation
    truths = np.array([-0.5e-3 / alpha, 0.5e-3, 0.2 + delta, (-0.2 - delta) / alpha])
    # every truth within its band widened by the noise delta (misfits in output units)
    assert np.all(row_misfits(truths, bands) <= delta * (1 + 1e-12))
    assert truths[0] < y[0] - delta  # outside the old band y +- delta


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), alpha=st.floats(0.005, 0.95),
       delta=st.floats(1e-6, 1.0), floor_share=st.sampled_from([0.0, 0.5, 3.0, 30.0]),
       model=st.sampled_from(["linf", "l1"]))
def test_leaky_bands_hold_the_truth_and_are_never_inverted(
    seed: int, alpha: float, delta: float, floor_share: float, model: str
) -> None:
    """Every leaky row's band at its noise bound holds the true pre-activation, whichever
    way the row was read (noise ``|e_j| <= delta`` per row in l_inf, ``sum |e_j| <= delta``
    in l_1, thresholds from the noise or above it from a ``tau`` floor), and no band is
    empty at zero misfit. Before the chord of ``_near_zero_lower_scale`` a row with ``0 <
    y_j <= tau_j`` asked for ``p_j >= y_j / alpha > y_j``: noise-free outputs were read as
    contradicting the noise bound."""
    rng = np.random.default_rng(seed)
    m = 40
    truth = rng.normal(scale=3.0 * delta, size=m) * rng.choice([1.0, 10.0], size=m)
    e = rng.uniform(-delta, delta, size=m)
    if model == "l1":
        e *= delta / max(float(np.sum(np.abs(e))), delta)  # the whole budget at most
    y = np.where(truth >= 0.0, truth, alpha * truth) + e
    threshold = np.full(m, max(delta, floor_share * delta))
    level: FloatArray | float = np.full(m, delta) if model == "linf" else delta
    bands = read_bands(y, threshold, "leaky", alpha, level)
    near = (y > 0.0) & (y <= threshold)
    event("a positive row read near zero" if np.any(near) else "no positive row near zero")
    if np.any(near & (truth < 0.0)):
        event("... one of them from a negative pre-activation")
    if np.any(near & (truth >= 0.0)):
        event("... one of them from a positive pre-activation")
    held = row_misfits(truth, bands)
    assert np.all(held <= np.abs(e) * (1.0 + 1e-9) + 1e-12 * (1.0 + np.abs(truth))), (
        np.flatnonzero(held > np.abs(e) * (1.0 + 1e-9) + 1e-12 * (1.0 + np.abs(truth))))
    assert np.all(bands.lower <= bands.upper)


def test_a_leaky_near_zero_edge_stays_finite_at_extreme_noise_levels() -> None:
    """The chord's scale between 1 and ``1/alpha`` however small or large the row's noise
    level: written as ``(y - f(delta)) / delta`` it cancelled to 0 when ``delta`` was below
    ``y``'s rounding (``row_misfits`` then divided by 0 and a noise-free leaky layer read
    under ``tau = 10`` and ``noise_bound = 1e-17`` was INCONCLUSIVE with a NaN misfit),
    and ``delta / alpha`` overflowed at 1e307."""
    from reluinv.layerwise.noisy import _near_zero_lower_scale

    y = np.array([1.0, 1e5, 0.5, 0.5, 0.5, 1e-3, 1e-3])
    delta = np.array([1e-17, 1e-12, 1e307, np.inf, np.nan, 1e-2, 1e-3])
    scale = _near_zero_lower_scale(y, delta, 0.01)
    assert np.all(np.isfinite(scale))
    assert np.all((scale >= 1.0) & (scale <= 100.0))
    assert scale[0] == scale[1] == scale[6] == 1.0  # delta <= y: surely positive
    assert scale[5] == pytest.approx(100.0 - 0.1 * 99.0)
    net = ReluNetwork([np.random.default_rng(32).normal(size=(8, 3))],
                      activation=("leaky_relu", 0.1))
    x = net.forward(np.random.default_rng(33).uniform(0.1, 1.0, size=3))
    result = invert_layerwise(net, x, noise="linf", noise_bound=1e-17, tau=10.0)
    assert result.status is LayerwiseStatus.RECOVERED, result.message
    assert result.layers[0].consistent is True


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(6, 30), n=st.integers(1, 4),
       kind=st.sampled_from(["relu", "leaky"]),
       mode=st.sampled_from(["linf", "l1", "l1_total"]),
       scale=st.sampled_from([1e4, 1e8, 1e12]), noise_free=st.booleans())
def test_a_layer_lp_answers_the_same_at_any_scale_of_its_data(
    seed: int, m: int, n: int, kind: str, mode: str, scale: float, noise_free: bool
) -> None:
    """The layer LP is homogeneous: ``y``, ``b``, the thresholds and the noise level times
    ``t`` have the optimum times ``t``. The solvers' tolerances are absolute, so
    ``noisy_lp`` solves in the layer's units; before it did, the noise-free output of a
    3 x 12 x 40 net times 1e10 had an l_1 LP that no solver could answer."""
    rng = np.random.default_rng(seed)
    alpha = 0.1
    W = rng.normal(size=(m, n))
    b = rng.normal(scale=0.1, size=m)
    pre = W @ rng.normal(size=n) + b
    y = (np.maximum(pre, 0.0) if kind == "relu" else np.where(pre >= 0.0, pre, alpha * pre))
    if not noise_free:
        y = y + rng.uniform(-1e-3, 1e-3, size=m)
    level, budget = 1e-3, 1e-3 * m
    misfits = []
    for t in (1.0, scale):
        bands = read_bands(y * t, np.full(m, level * t), kind, alpha, level * t)
        answer = noisy_lp(W, b * t, bands, np.ones(m), mode, budget * t,  # type: ignore[arg-type]
                          False, "auto")
        assert answer.status == "optimal", (t, answer.message)
        assert answer.x is not None
        rows = row_misfits(W @ answer.x[:n] + b * t, bands) / t
        misfits.append(float(np.max(rows) if mode == "linf" else np.sum(rows)))
    event(f"{mode}, {'noise-free' if noise_free else 'noisy'}")
    assert misfits[1] == pytest.approx(misfits[0], rel=1e-5, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(net_seed=st.integers(0, 2**16), noise_seed=st.integers(0, 2**16),
       sizes=st.sampled_from([(3, 10, 30), (5, 20, 60), (3, 8, 20, 60)]),
       kind=st.sampled_from(["uniform", "gaussian"]), level=st.sampled_from([1e-6, 1e-2]),
       floor=st.sampled_from([None, 30.0]))
def test_every_finite_layer_bound_holds_the_true_hidden_values(
    net_seed: int, noise_seed: int, sizes: tuple[int, ...], kind: str, level: float,
    floor: float | None
) -> None:
    """l_inf noise at exactly the stated bound: wherever a layer reports a finite
    ``error_bound``, its pre-image is within it of the true hidden values (``z*`` on layer
    1). A layer below one that was not pinned used to report the bound built from the
    heuristic level handed down to it (0.33 where the error was 0.34)."""
    net = random_network(list(sizes), rng=np.random.default_rng(net_seed))
    inst = plant(net, rng=np.random.default_rng(noise_seed), noise_kind=kind, level=level)
    delta = float(np.max(np.abs(inst.observation - inst.clean)))
    result = invert_layerwise(net, inst.observation, noise="linf", noise_bound=delta,
                              tau=None if floor is None else floor * delta)
    truths = [*net.layer_outputs(inst.z)[:-1][::-1], inst.z]  # h_{d-1}, ..., h_1, z
    unpinned_above = False
    for diagnostic, truth in zip(result.layers, truths, strict=False):
        if diagnostic.preimage is None:
            break
        if math.isfinite(diagnostic.error_bound):
            assert not unpinned_above
            event("a finite layer bound")
            error = float(np.max(np.abs(diagnostic.preimage - truth), initial=0.0))
            assert error <= diagnostic.error_bound * (1 + 1e-9) + 1e-12, (
                diagnostic.layer, error, diagnostic.error_bound)
        elif unpinned_above:
            event("a layer below an unpinned one: no bound")
        unpinned_above = unpinned_above or not math.isfinite(diagnostic.error_bound)


def test_lp6_is_not_contradicted_by_noise_within_its_budget() -> None:
    """LP (6) minimises the two-sided rows' slack and lets the one-sided rows spend the
    budget: at a 3 x 10 x 30 net under Gaussian noise whose ``||e||_1`` is the stated
    bound, its answer spent the whole budget on the one-sided rows, and its total (0.276)
    above the bound (0.274) was reported as contradicting the stated noise. Each sum is
    within the budget, as the truth's feasibility guarantees."""
    net = random_network([3, 10, 30], rng=np.random.default_rng(200))
    inst = plant(net, rng=np.random.default_rng(9), noise_kind="gaussian", level=1e-2)
    delta = float(np.sum(np.abs(inst.observation - inst.clean)))
    result = invert_layerwise(net, inst.observation, noise="l1", noise_bound=delta, tau=delta)
    top = result.layers[0]
    assert top.method == "lp"
    assert top.eps is not None
    assert top.eps > delta  # the total: the case this test is about
    assert top.consistent is True
    assert "stated noise allows" not in result.message


@pytest.mark.parametrize("seed", range(4))
def test_without_a_finite_bound_the_stated_noise_itself_is_the_acceptance(seed: int) -> None:
    """l_1 noise read below its budget gives no finite propagated bound, so no spread: the
    residual is held to the stated ``||e||_1`` plus rounding, exactly. The digits decoder's
    weights with a ReLU on the output (a linear head is read with certainty, see the next
    test): the fit (relative error 2e-3 to 2e-2) leaves a residual just above the true
    ``||e||_1``: INCONCLUSIVE."""
    digits = ri.digits_decoder("relu")
    net = ri.ReluNetwork(digits.weights, digits.biases)
    inst = plant(net, rng=np.random.default_rng(seed), noise_kind="gaussian", level=1e-4)
    stated = float(np.sum(np.abs(inst.observation - inst.clean)))
    result = invert_layerwise(net, inst.observation, noise="l1", noise_bound=stated)
    assert result.layers[0].error_bound == float("inf")
    assert result.latent_error_bound == float("inf")
    rounding = 1e-6 * max(1.0, float(np.max(np.abs(inst.observation))))
    assert result.residual_bound == pytest.approx(stated + rounding, rel=1e-12)
    assert result.residual_l1 > result.residual_bound
    assert result.status is LayerwiseStatus.INCONCLUSIVE
    assert result.z is not None
    assert inst.relative_error(result.z) <= 5e-2


@pytest.mark.parametrize("seed", range(4))
def test_a_linear_head_is_read_with_certainty_under_l1_noise(seed: int) -> None:
    """A linear head has no activity threshold, so no row can be misread however the l_1
    budget falls on the rows: its reading is certain and its verdict on the stated noise
    (``consistent``) is given. It hands down the typical size of its error, not the l_1
    worst case (next test), so it claims no bound and the residual is held to the stated
    ``||e||_1`` plus rounding, without a spread."""
    net = ri.digits_decoder("relu")
    assert net.output_linear
    inst = plant(net, rng=np.random.default_rng(seed), noise_kind="gaussian", level=1e-4)
    stated = float(np.sum(np.abs(inst.observation - inst.clean)))
    result = invert_layerwise(net, inst.observation, noise="l1", noise_bound=stated)
    top = result.layers[0]
    assert top.consistent is True
    assert top.error_bound == math.inf
    rounding = 1e-6 * max(1.0, float(np.max(np.abs(inst.observation))))
    assert result.residual_bound == pytest.approx(stated + rounding, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_a_linear_head_hands_down_the_typical_size_of_its_error(seed: int) -> None:
    """The l_1 worst case through a linear head's pseudo-inverse is tens of times the
    hidden layer's actual error; handed down as the next layer's noise level, its threshold
    read every hidden unit inactive and the answer was ``z = 0`` (relative error 1, and
    RECOVERED within the spread that bound allowed). Random 20 x 60 x 300 nets with a
    linear head, Gaussian noise 1e-2, the exact ``||e||_1`` stated: the hidden layer keeps
    active units and ``z`` is within 10% of ``z*`` (2-7% measured)."""
    rng = np.random.default_rng(seed)
    base = random_network([20, 60, 300], rng=rng)
    net = ri.ReluNetwork(list(base.weights), list(base.biases), output_activation="linear")
    inst = plant(net, rng=rng, noise_kind="gaussian", level=1e-2)
    stated = float(np.sum(np.abs(inst.observation - inst.clean)))
    result = invert_layerwise(net, inst.observation, noise="l1", noise_bound=stated)
    assert result.z is not None
    assert result.layers[-1].active > 0
    assert inst.relative_error(result.z) <= 0.1


def test_the_l1_bound_below_a_pinned_layer_holds_for_noise_on_its_heaviest_column() -> None:
    """With thresholds at least the budget (``tau >= noise_bound``) an l_1 layer hands down
    its worst case, ``||h - h*||_1 <= (largest column sum of |P|) * ||p_A - p*_A||_1``; the
    noise all on the row of the heaviest column of ``P`` reaches it. A single linear layer
    (``h`` is ``z``): every finite ``latent_error_bound`` holds (the largest row sum, used
    before, fell short by up to 4x). First a square ``W`` whose pseudo-inverse has one
    column of weight 1.03 and rows of weight 0.01-1, then random tall ``W``."""
    P = np.eye(4) * 0.01
    P[:, 0] = 1.0
    cases = [(np.linalg.inv(P), np.array([0.3, -0.2, 0.5, 0.1]))]
    rng = np.random.default_rng(0)
    for _ in range(40):
        k = int(rng.integers(2, 8))
        cases.append((rng.normal(size=(k + int(rng.integers(0, 3 * k)), k)), rng.normal(size=k)))
    finite = 0
    for W, z in cases:
        net = ri.ReluNetwork([W], [np.zeros(W.shape[0])], output_activation="linear")
        heaviest = int(np.argmax(np.abs(np.linalg.pinv(W)).sum(axis=0)))
        x = net.forward(z)
        x[heaviest] += 0.01  # ||e||_1 = 0.01, all on that row
        result = invert_layerwise(net, x, noise="l1", noise_bound=0.01, tau=1.0)
        assert result.z is not None
        if math.isfinite(result.latent_error_bound):
            finite += 1
            assert float(np.sum(np.abs(result.z - z))) <= result.latent_error_bound * (1 + 1e-9)
    assert finite >= 35, finite


@pytest.mark.parametrize("seed", range(3))
def test_the_spread_is_what_the_top_layer_bound_can_move_the_output(seed: int) -> None:
    """``residual_bound = noise_bound + spread + rounding`` with ``spread = max |W_d|
    delta_{d-1}``: at most the largest row sum of ``|W_d|`` times the top layer's
    ``error_bound`` (the largest entry of ``delta_{d-1}``), and positive when that bound is
    finite."""
    net = random_network([6, 24, 80], rng=np.random.default_rng(seed))
    inst = plant(net, rng=np.random.default_rng(seed + 10), noise_kind="uniform", level=1e-4)
    result = invert_layerwise(net, inst.observation, noise="linf", noise_bound=1e-4)
    top = result.layers[0]
    assert top.error_bound is not None
    assert np.isfinite(top.error_bound)
    rounding = 1e-6 * max(1.0, float(np.max(np.abs(inst.observation))))
    spread = result.residual_bound - 1e-4 - rounding
    row_sums = float(np.max(np.sum(np.abs(net.weights[-1]), axis=1)))
    assert 0.0 < spread <= row_sums * top.error_bound * (1 + 1e-9)


def test_a_layer_below_an_unpinned_one_is_not_judged_inconsistent() -> None:
    """3 x 12 x 30 x 90 ReLU, seed 719, uniform noise 1e-6 within the stated bound: layer 2
    is not pinned, so layer 1's accepted misfit is the heuristic growth, not a bound; its
    misfit 0.39 above it contradicts nothing (it was reported ``consistent=False``, a
    claim that the truth lies outside the stated noise)."""
    rng = np.random.default_rng(719)
    net = random_network([3, 12, 30, 90], rng=rng)
    inst = plant(net, rng=rng, noise_kind="uniform", level=1e-6)
    bound = float(np.max(np.abs(inst.observation - inst.clean)))
    result = invert_layerwise(net, inst.observation, noise="linf", noise_bound=bound)
    assert not result.layers[1].pinned
    assert all(d.consistent is not False for d in result.layers), [
        (d.layer, d.eps, d.accepted_misfit, d.consistent) for d in result.layers]
