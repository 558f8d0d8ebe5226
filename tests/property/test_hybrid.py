"""The hybrid inverter against the layer-wise one and against independent oracles.

Oracles: :func:`tests.oracles.reference_forward` / ``reference_gap`` (exact rationals,
plain loops) for every recovered ``z`` and for the enclosure; the formula itself
(``Formula.satisfies``) for pre-images of the MAX-3SAT networks.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reluinv as ri
from reluinv.layerwise.hybrid import enclose_forward
from reluinv.strategies import formulas, network_specs
from reluinv.testing import reference_forward, reference_gap

RANK = {ri.LayerwiseStatus.INCONCLUSIVE: 0, ri.LayerwiseStatus.NO_PREIMAGE: 1,
        ri.LayerwiseStatus.RECOVERED: 1}


def _net(sizes: tuple[int, ...], activation: Any, seed: int, head: str) -> ri.ReluNetwork:
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(o, i)) for i, o in itertools.pairwise(sizes)]
    biases = [rng.normal(size=o) for o in sizes[1:]]
    return ri.ReluNetwork(weights, biases, activation, output_activation=head)  # type: ignore[arg-type]


@settings(max_examples=40)
@given(spec=network_specs(max_depth=2, max_width=6), head=st.sampled_from(["hidden", "linear"]),
       realizable=st.booleans())
def test_never_worse_than_layerwise(spec: tuple[tuple[int, ...], Any, int], head: str,
                                    realizable: bool) -> None:
    sizes, activation, seed = spec
    net = _net(sizes, activation, seed, head)
    rng = np.random.default_rng(seed + 1)
    x = (net.forward(rng.normal(size=sizes[0])) if realizable
         else np.abs(rng.normal(size=sizes[-1])))
    layerwise = ri.invert_layerwise(net, x)
    hybrid = ri.invert(net, x, time_limit=10)
    event(f"layer-wise {layerwise.status.name} -> hybrid {hybrid.status.name} "
          f"via {hybrid.path}")
    assert RANK[hybrid.status] >= RANK[layerwise.status]
    if layerwise.status is not ri.LayerwiseStatus.INCONCLUSIVE:
        assert hybrid.status is layerwise.status
    assert hybrid.layerwise.status is layerwise.status
    if hybrid.status is ri.LayerwiseStatus.RECOVERED:
        assert hybrid.z is not None
        bound = 1e-6 * max(1.0, float(np.max(np.abs(x))))
        assert reference_gap(net, hybrid.z, x) <= bound
        assert hybrid.residual >= reference_gap(net, hybrid.z, x)  # a replay never under-reports
    if hybrid.path == "exact":
        assert hybrid.exact is not None
        assert hybrid.latent_radius is not None


@given(spec=network_specs(), head=st.sampled_from(["hidden", "linear"]),
       z_seed=st.integers(0, 2**16))
def test_the_enclosure_contains_the_exact_output(spec: tuple[tuple[int, ...], Any, int],
                                                 head: str, z_seed: int) -> None:
    sizes, activation, seed = spec
    net = _net(sizes, activation, seed, head)
    z = np.random.default_rng(z_seed).normal(size=sizes[0]) * 3
    lower, upper = enclose_forward(net, z)
    exact = reference_forward(net, z)
    width = float(np.max(upper - lower))
    event(f"width below 1e-12: {width < 1e-12}")
    for lo, value, hi in zip(lower.tolist(), exact, upper.tolist(), strict=True):
        assert Fraction(lo) <= value <= Fraction(hi)
    assert width <= 1e-9 * (1 + float(np.max(np.abs(upper))))


SATISFIABLE = formulas(max_vars=4, max_clauses=5).filter(
    lambda f: any(f.satisfies(a) for a in itertools.product((0, 1), repeat=f.num_vars)))


@pytest.mark.slow  # MIP solves: measured 0.5-3 s per batch of examples on 2 cores
@settings(max_examples=15)
@given(formula=SATISFIABLE)
def test_the_exact_stage_inverts_the_reduction_where_layerwise_cannot(formula: Any) -> None:
    problem = ri.encode(formula, latent="real")
    result = ri.invert(problem.network, problem.target, time_limit=30, latent_radius=2.0)
    event(f"path {result.path}, layer-wise {result.layerwise.status.name}")
    assert result.status is ri.LayerwiseStatus.RECOVERED, result.message
    assert result.z is not None
    assert reference_gap(problem.network, result.z, problem.target) <= 1e-6
    assert formula.satisfies(ri.decode(problem, result.z))  # lemma L3: z is a model


@pytest.mark.usefixtures("layerwise_plain_lp")
def test_the_exact_stage_answers_a_known_layerwise_failure() -> None:
    # (x1 or x2) and (not x1 or not x2), with a tautology: two models, the real-latent
    # network's pre-image set is {(1, 0), (0, 1)}; the layer-wise LP's vertex is neither
    # (without the tautology its vertex happens to be one of them)
    problem = ri.encode(ri.parse_dimacs("p cnf 2 3\n1 2 0\n-1 -2 0\n1 -1 0\n"),
                        latent="real")
    result = ri.invert(problem.network, problem.target, certify_unique=True,
                       latent_radius=2.0)
    assert result.layerwise.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert result.status is ri.LayerwiseStatus.RECOVERED
    assert result.path == "exact"
    assert result.replay == "enclosure"
    assert result.stage_seconds["exact"] > 0.0
    assert result.uniqueness is not None
    assert result.uniqueness.status is ri.UniquenessStatus.NOT_UNIQUE
    other = result.uniqueness.other
    assert other is not None
    assert sorted([tuple(np.round(result.z)), tuple(np.round(other))]) == [(0, 1), (1, 0)]
    assert not result.box_binds


def test_a_box_that_excludes_every_preimage_is_reported_not_a_proof() -> None:
    # z = 1 only (the clause twice), the box [-0.5, 0.5]: a stage-1 answer lies outside
    # it, and stage 2 finds none inside
    problem = ri.encode(ri.parse_dimacs("p cnf 1 2\n1 0\n1 0\n"), latent="real")
    result = ri.invert(problem.network, problem.target, latent_box=(-0.5, 0.5))
    assert result.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert result.box_binds
    assert "no pre-image in the box" in result.message
    assert result.exact is not None
    assert result.exact.status is ri.Status.INFEASIBLE


def test_the_exact_stage_searches_the_latent_box() -> None:
    """``y = |z|`` (a linear head over ``relu(z)`` and ``relu(-z)``) at ``y = 8``: the
    pre-images -8 and 8; stage 1 finds one of them, ``s``. In the box on the side of
    ``-s`` the answer is ``-s`` (stage 2's), in the box on the side of ``s`` it is ``s``
    (stage 1's), and in ``[0, 5]`` (``[0, 10]`` cut by the radius 5) there is none."""
    net = ri.ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], output_activation="linear")
    x = np.array([8.0])
    first = ri.invert_layerwise(net, x).z
    assert first is not None
    assert abs(first[0]) == pytest.approx(8.0)
    for lower, upper, expected in ((0.0, 10.0, 8.0), (-10.0, 0.0, -8.0)):
        result = ri.invert(net, x, latent_box=([lower], [upper]))
        assert result.status is ri.LayerwiseStatus.RECOVERED, result.message
        assert result.z is not None
        assert result.z[0] == pytest.approx(expected)
        stage_one_inside = lower <= first[0] <= upper
        assert result.path == ("layerwise" if stage_one_inside else "exact")
        if result.path == "exact":
            assert result.latent_lower is not None
            assert result.latent_upper is not None
            assert (result.latent_lower[0], result.latent_upper[0]) == (lower, upper)
            assert result.latent_radius is None
    # the box on the other side of stage 1's answer, cut by the radius to [0, 5] or
    # [-5, 0]: no pre-image in it
    other = -1.0 if first[0] > 0 else 1.0
    box = (0.0, 10.0) if other > 0 else (-10.0, 0.0)
    cut = ri.invert(net, x, latent_box=box, latent_radius=5.0)
    assert cut.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert ("no pre-image in the box [0, 5]^1" if other > 0
            else "no pre-image in the box [-5, 0]^1") in cut.message
    assert cut.box_binds
    # an infinite side is cut at the default radius, max(5, 2 ||z_stage1||_inf) = 16
    half_line = (0.0, np.inf) if other > 0 else (-np.inf, 0.0)
    unbounded = ri.invert(net, x, latent_box=half_line)
    assert unbounded.status is ri.LayerwiseStatus.RECOVERED, unbounded.message
    assert unbounded.z is not None
    assert unbounded.z[0] == pytest.approx(8.0 * other)
    assert unbounded.latent_upper is not None
    assert unbounded.latent_lower is not None
    assert max(abs(unbounded.latent_lower[0]),
               abs(unbounded.latent_upper[0])) == pytest.approx(16.0)


def test_a_layerwise_answer_outside_the_latent_box_goes_to_the_exact_stage() -> None:
    """``x = relu(z)`` at 2 with the box ``[0, 1]``: stage 1 recovers ``z = 2``, outside
    the box; stage 2 proves no pre-image in it."""
    net = ri.ReluNetwork([[[1.0]]])
    result = ri.invert(net, np.array([2.0]), latent_box=([0.0], [1.0]))
    assert result.layerwise.status is ri.LayerwiseStatus.RECOVERED
    assert result.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert result.z is None
    assert result.message.startswith("layer-wise answer lies outside the latent box by up "
                                      "to 1; ")
    assert "no pre-image in the box [0, 1]^1" in result.message
    inside = ri.invert(net, np.array([0.5]), latent_box=([0.0], [1.0]))
    assert (inside.status, inside.path) == (ri.LayerwiseStatus.RECOVERED, "layerwise")


def test_a_certified_no_preimage_is_kept() -> None:
    net = ri.ReluNetwork([[[1.0, 0.0], [0.0, 1.0]]])
    result = ri.invert(net, np.array([-1.0, 2.0]))
    assert result.status is ri.LayerwiseStatus.NO_PREIMAGE
    assert result.exact is None


@pytest.mark.parametrize("noise", ["linf", "l1"])
def test_noisy_inversion_of_an_expanding_net(noise: str) -> None:
    net = ri.random_network([4, 40, 160], rng=np.random.default_rng(2))
    z = np.random.default_rng(3).normal(size=4)
    x = net.forward(z) + np.random.default_rng(4).uniform(-1e-4, 1e-4, size=160)
    stated = 1e-4 if noise == "linf" else 160 * 1e-4  # the bound the noise was drawn under
    result = ri.invert(net, x, noise=noise, tau=1e-4, time_limit=20,  # type: ignore[arg-type]
                       noise_bound=stated)
    assert result.status is ri.LayerwiseStatus.RECOVERED, result.message
    assert result.z is not None
    assert np.max(np.abs(result.z - z)) < 1e-2
    # without a stated bound nothing is certified: a fit, never RECOVERED
    unstated = ri.invert(net, x, noise=noise, tau=1e-4, time_limit=20)  # type: ignore[arg-type]
    assert unstated.status is ri.LayerwiseStatus.FIT, unstated.message


@pytest.mark.parametrize(("kwargs", "error", "pattern"), [
    ({"latent_radius": -1.0}, ri.InvalidArgumentError, "latent_radius must be finite and > 0"),
    ({"latent_radius": "5"}, ri.InvalidTypeError, "latent_radius must be a positive number"),
    ({"certify_unique": "yes"}, ri.InvalidTypeError, "certify_unique must be a bool"),
    ({"noise": "l2"}, ri.InvalidArgumentError, "noise"),
    ({"time_limit": -1}, ri.InvalidArgumentError, "time_limit"),
    ({"latent_box": [0.0]}, ri.InvalidTypeError, "latent_box must be a pair"),
    ({"latent_box": ([0.0, 0.0], 1.0)}, ri.ShapeError, r"latent_box lower .* shape \(1,\)"),
    ({"latent_box": (1.0, 0.0)}, ri.InvalidArgumentError, r"coordinate 0 is \[1.0, 0.0\]"),
    ({"latent_box": (np.inf, np.inf)}, ri.InvalidArgumentError, "leave a finite point"),
    ({"latent_box": (3.0, 4.0), "latent_radius": 1.0}, ri.InvalidArgumentError,
     r"coordinate 0 is \[3, 4\]: cut at the latent radius 1 it leaves no point"),
])
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], pattern: str) -> None:
    net = ri.ReluNetwork([[[1.0]]])
    with pytest.raises(error, match=pattern):
        ri.invert(net, np.array([1.0]), **kwargs)


def test_under_noise_the_exact_stage_returns_the_proven_best_fit() -> None:
    problem = ri.encode(ri.parse_dimacs("p cnf 2 2\n1 2 0\n-1 -2 0\n"), latent="real")
    x = problem.target + 1e-3  # every output off by 1e-3: the best linf fit is 1e-3
    result = ri.invert(problem.network, x, noise="linf", latent_radius=2.0,
                       noise_bound=1.5e-3)
    assert result.layerwise.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert result.status is ri.LayerwiseStatus.RECOVERED
    assert result.path == "exact"
    assert result.exact is not None
    assert result.exact.status is ri.Status.OPTIMAL
    assert result.z is not None
    assert reference_gap(problem.network, result.z, x) == pytest.approx(1e-3, abs=1e-9)
    # the same best fit without a stated noise bound certifies nothing
    unstated = ri.invert(problem.network, x, noise="linf", latent_radius=2.0)
    assert unstated.status is ri.LayerwiseStatus.FIT, unstated.message
    assert unstated.path == "exact"


@pytest.mark.usefixtures("layerwise_plain_lp")
def test_an_exact_answer_that_fails_the_replay_is_not_recovered() -> None:
    """A contracting net (4 x 6 x 3) where layer-wise is inconclusive; the MIP's float
    answer has an exact residual of about 1e-16, above a tolerance of 1e-18."""
    net = ri.random_network([4, 6, 3], rng=np.random.default_rng(1))
    x = net.forward(np.random.default_rng(2).normal(size=4))
    strict = ri.invert(net, x, residual_tol=1e-18)
    assert strict.layerwise.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert strict.path == "exact"
    assert strict.status is ri.LayerwiseStatus.INCONCLUSIVE
    assert strict.residual > 1e-18
    assert "failed the exact replay" in strict.message
    usual = ri.invert(net, x)
    assert usual.status is ri.LayerwiseStatus.RECOVERED
    assert usual.z is not None
    assert usual.replay == "enclosure"  # a bound of about 1e-14 decides at tolerance 1e-6
    assert usual.residual >= reference_gap(net, usual.z, x)
    # at 1e-18 the enclosure cannot decide: the rational replay gives the exact residual
    assert strict.replay == "exact"
    assert strict.z is not None
    assert strict.residual == pytest.approx(reference_gap(net, strict.z, x), rel=1e-12)
