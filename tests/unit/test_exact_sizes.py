"""Pinned formulation sizes and bound facts: a silent change to an encoding fails here."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import reluinv as ri
from reluinv.exact import ENCODINGS, encoding_names, get_encoding
from reluinv.exact.bounds import Phase, interval_bounds, tighten_with_lp
from reluinv.strategies import planted_problem

FORMULA = ri.parse_dimacs("p cnf 3 2\n1 -2 0\n2 3 0\n")

# (latent, backend, encoding, objective) -> (variables, constraints, binaries,
#  stable_active, stable_inactive, fixed_by_target, unstable, convex_outputs), counted by
#  hand:
#  binary latent: the 6 literal units are always active on [0, 1]; the 2 clause units are
#  unstable (or fixed by the target x = 0). Real latent on [-1, 2]: all 12 literal /
#  gadget units are unstable, the 3 gadget outputs lam (a_v + b_v) always active. The MIP
#  models the 2 clause outputs of an l1 objective (target 0: convex error) without a
#  binary: t, y and the rows pre, y >= t, instead of t, y, a binary and 4 rows.
PINNED = [
    ("binary", "cpsat", "max_equality", "feasible", (9, 8, 0, 6, 0, 2, 0, 0)),
    ("binary", "cpsat", "max_equality", "l1", (13, 12, 0, 6, 0, 0, 2, 0)),
    ("binary", "cpsat", "indicator", "feasible", (9, 8, 0, 6, 0, 2, 0, 0)),
    ("binary", "cpsat", "indicator", "l1", (15, 18, 2, 6, 0, 0, 2, 0)),
    ("binary", "cpsat", "big_m", "feasible", (9, 8, 0, 6, 0, 2, 0, 0)),
    ("binary", "cpsat", "big_m", "l1", (15, 16, 2, 6, 0, 0, 2, 0)),
    ("binary", "mip", "big_m", "feasible", (11, 8, 0, 6, 0, 2, 0, 0)),
    ("binary", "mip", "big_m", "l1", (15, 14, 0, 6, 0, 0, 0, 2)),
    # the gadget's a_v = ReLU(2 z_v - 1), b_v = ReLU(1 - 2 z_v) are mirrored: b_v shares
    # a_v's binary (ModelSize.mirrored = 3, not counted as unstable)
    ("real", "mip", "big_m", "feasible", (41, 47, 9, 0, 0, 5, 9, 0)),
    ("real", "mip", "big_m", "l1", (48, 59, 9, 3, 0, 0, 9, 2)),
]


@pytest.mark.parametrize(("latent", "backend", "encoding", "objective", "expected"), PINNED)
def test_encoding_sizes_are_pinned(latent: str, backend: str, encoding: str, objective: str,
                                   expected: tuple[int, ...]) -> None:
    problem = ri.encode(FORMULA, latent=latent)  # type: ignore[arg-type]
    result = ri.solve_exact(problem, backend=backend, encoding=encoding,  # type: ignore[arg-type]
                            objective=objective)
    m = result.model
    assert m is not None
    assert (m.variables, m.constraints, m.binaries, m.stable_active, m.stable_inactive,
            m.fixed_by_target, m.unstable, m.convex_outputs) == expected
    assert result.encoding == encoding
    assert m.mirrored == (3 if latent == "real" and backend == "mip" else 0)


def test_registry_names_and_defaults() -> None:
    assert set(encoding_names("cpsat")) == {"max_equality", "indicator", "big_m"}
    assert encoding_names("mip") == ("big_m",)
    assert get_encoding("cpsat", None).name == "max_equality"
    assert not get_encoding("cpsat", "max_equality").uses_phase_variable
    assert all(e.backend == backend for (backend, _), e in ENCODINGS.items())


def test_interval_bounds_are_exact_integers_on_integer_networks() -> None:
    net = ri.ReluNetwork([[[1, -2], [3, 1]], [[1, -1]]], [[0, -4], [1]])
    bounds = interval_bounds(net, [-1, 0], [2, 1])
    assert bounds.exact
    # layer 1: t0 = z0 - 2 z1 in [-3, 2], t1 = 3 z0 + z1 - 4 in [-7, 3]
    assert bounds.lower[0].tolist() == [-3, -7]
    assert bounds.upper[0].tolist() == [2, 3]
    # layer 2: t = h0 - h1 + 1 with h0 in [0, 2], h1 in [0, 3]: [-2, 3]
    assert bounds.lower[1].tolist() == [-2]
    assert bounds.upper[1].tolist() == [3]
    assert all(isinstance(v, int) for v in (*bounds.lower[1], *bounds.upper[1]))
    assert bounds.phase(0, 0) is Phase.UNSTABLE


def test_interval_bounds_with_fraction_inputs_stay_exact() -> None:
    net = ri.ReluNetwork([[[1]]], [[0]])
    bounds = interval_bounds(net, [0.5], [1.5], exact=True)
    assert bounds.lower[0].tolist() == [Fraction(1, 2)]
    assert bounds.phase(0, 0) is Phase.ACTIVE


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bounds_contain_sampled_pre_activations_and_lp_is_tighter(seed: int) -> None:
    problem, _ = planted_problem((3, 8, 8, 6), seed, box=2.0)
    net = problem.network
    loose = interval_bounds(net, problem.domain.lower, problem.domain.upper)
    tight = tighten_with_lp(net, problem.domain.lower, problem.domain.upper, loose)
    samples = np.random.default_rng(seed).uniform(-2.0, 2.0, size=(500, 3))
    for layer, pre in enumerate(net.pre_activations(samples)):
        for bounds in (loose, tight):
            assert np.all(pre >= bounds.float_lower(layer))
            assert np.all(pre <= bounds.float_upper(layer))
        assert np.all(tight.float_lower(layer) >= loose.float_lower(layer))
        assert np.all(tight.float_upper(layer) <= loose.float_upper(layer))
    width = sum(float(np.sum(tight.float_upper(i) - tight.float_lower(i))) for i in (1, 2))
    loose_width = sum(float(np.sum(loose.float_upper(i) - loose.float_lower(i))) for i in (1, 2))
    assert width < loose_width
