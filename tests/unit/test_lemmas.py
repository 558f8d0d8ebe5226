"""The lemma checks on hand-made cases: their numbers, a broken encoder they catch, the
counterexample to L4 below the bound, and bad arguments."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from reluinv import (
    Formula,
    InvalidArgumentError,
    InversionProblem,
    LatentDomain,
    LemmaStatus,
    ReluNetwork,
    UnsupportedProblemError,
    check_binary_forcing,
    check_cube,
    check_lift,
    check_loss_identity,
    check_realizability,
    check_rounding,
    encode,
    lemmas,
)

# (x1 or x2) and (not x1 or x3) and (not x2 or not x3): satisfied by 010 and 101 only
TWO_MODELS = Formula(3, ((1, 2), (-1, 3), (-2, -3)))


def test_loss_identity_reports_the_numbers() -> None:
    p = encode(TWO_MODELS, "real")
    check = check_loss_identity(p, [1, 1, 0])
    assert check.status is LemmaStatus.HOLDS
    assert check.holds
    assert (check.loss, check.falsified_weight, check.falsified_clauses) == (1, 1, (1,))
    assert check.statement.startswith("L1")


def test_cube_finds_both_models_and_the_non_convex_preimage() -> None:
    cube = check_cube(encode(TWO_MODELS))
    assert cube.holds
    assert (cube.num_points, cube.num_preimages, cube.num_satisfying) == (8, 2, 2)
    assert cube.min_loss == 0
    real = encode(TWO_MODELS, "real")
    # the midpoint of the two pre-images 010 and 101 is not one: the pre-image is not convex
    mid = check_binary_forcing(real, [Fraction(1, 2)] * 3)
    assert mid.holds
    assert not mid.realizes
    assert all(check_binary_forcing(real, z).realizes for z in ([0, 1, 0], [1, 0, 1]))


def test_realizability_and_lift_on_a_model_and_a_non_model() -> None:
    p = encode(TWO_MODELS)
    good, bad = check_realizability(p, [0, 1, 0]), check_realizability(p, [0, 0, 0])
    assert (good.realizes, good.satisfies, good.decoded, good.round_trip) == (
        True, True, (0, 1, 0), True)
    assert (bad.realizes, bad.satisfies, bad.holds) == (False, False, True)
    lifted = check_lift(p, (1, 0, 1))
    assert lifted.holds
    assert lifted.realizes
    assert lifted.z == (1, 0, 1)


def test_binary_forcing_splits_the_loss() -> None:
    p = encode(TWO_MODELS, "real", lam=3)
    check = check_binary_forcing(p, [Fraction(1, 4), 1, 0])
    # gadget: 3 * (1 - |2/4 - 1|) = 3/2; clause (-1 3): ReLU(1 - q_1 - p_3) = 1 - 3/4 - 0
    assert check.gadget_loss == Fraction(3, 2)
    assert check.clause_loss == Fraction(1, 4)
    assert (check.is_binary, check.satisfies, check.realizes, check.holds) == (
        False, None, False, True)


def test_rounding_reports_before_and_after() -> None:
    p = encode(TWO_MODELS, "real")
    check = check_rounding(p, [0.75, -0.5, 2.0])
    assert check.rounded == (1, 0, 1)
    assert check.loss_after == 0
    assert check.loss_before > 0
    assert check.holds
    assert check.premise_met
    assert check.lam == check.lam_bound == 1


# -- the checks catch a broken encoder -----------------------------------------------------


def with_bias(problem: InversionProblem, layer: int, index: int, value: int) -> InversionProblem:
    biases = [np.array(b) for b in problem.network.biases]
    biases[layer][index] = value
    network = ReluNetwork(list(problem.network.weights), biases)
    return dataclasses.replace(problem, network=network)


def test_checks_report_a_violation_on_a_broken_network() -> None:
    p = encode(TWO_MODELS, "real")
    broken = with_bias(p, 1, 0, -1)  # clause (1 2) now weighs -1: its unit is always 0
    assert check_loss_identity(broken, [0, 0, 0]).status is LemmaStatus.VIOLATED
    assert check_realizability(broken, [0, 0, 1]).status is LemmaStatus.VIOLATED
    assert check_lift(broken, [0, 0, 1]).status is LemmaStatus.VIOLATED
    assert check_binary_forcing(broken, [0, 0, 1]).status is LemmaStatus.VIOLATED
    cube = check_cube(broken)
    assert not cube.loss_identity_holds
    assert cube.first_violation == (0, 0, 0)
    gadget_broken = with_bias(p, 0, 6, 0)  # a_1 = ReLU(2 z_1) instead of ReLU(2 z_1 - 1)
    assert check_loss_identity(gadget_broken, [1, 0, 1]).status is LemmaStatus.VIOLATED


# -- L4 needs its premise: the counterexample hypothesis found -----------------------------


def test_l4_counterexample_below_the_bound() -> None:
    """F = (-x1 or -x1 or -x1): occ(1) = 3, so L4 asks lam >= 3/2, i.e. lam >= 2.

    With lam = 1 and z = 5/8: the clause unit is ReLU(1 - 3 q_1) = ReLU(1 - 9/8) = 0 (the
    triple literal saturates it with q_1 = 3/8), and the gadget costs
    lam * (1 - |2 z - 1|) = 3/4. Rounding to z = 1 zeroes the gadget but falsifies the
    clause: loss 1 > 3/4. The clause gains 3 * (3/8) while the gadget only saves
    2 * lam * (3/8); lam >= occ / 2 is exactly what makes the saving win.
    """
    f = Formula(1, ((-1, -1, -1),))
    below = check_rounding(encode(f, "real", lam=1), [Fraction(5, 8)])
    assert below.status is LemmaStatus.VIOLATED
    assert (below.loss_before, below.loss_after, below.rounded) == (Fraction(3, 4), 1, (1,))
    assert (below.lam, below.lam_bound, below.premise_met) == (1, 2, False)
    at_bound = check_rounding(encode(f, "real", lam=2), [Fraction(5, 8)])
    assert at_bound.holds
    assert at_bound.loss_before == Fraction(3, 2)


# -- bad arguments -------------------------------------------------------------------------


def test_binary_lemmas_reject_non_binary_points() -> None:
    p = encode(TWO_MODELS)
    with pytest.raises(InvalidArgumentError, match=r"z\[1\] = 1/2; this lemma takes a binary z"):
        check_loss_identity(p, [0, 0.5, 1])
    with pytest.raises(InvalidArgumentError, match="binary z"):
        check_realizability(p, [0, 2, 1])


@pytest.mark.parametrize("check", [check_binary_forcing, check_rounding])
def test_real_lemmas_reject_the_binary_variant(check: object) -> None:
    with pytest.raises(UnsupportedProblemError, match="real-latent variant"):
        check(encode(TWO_MODELS), [0, 0, 0])  # type: ignore[operator]


def test_lemmas_need_a_formula_and_no_mask() -> None:
    p = encode(TWO_MODELS)
    bare = InversionProblem(p.network, p.target, LatentDomain.binary(3))
    with pytest.raises(UnsupportedProblemError, match="carries no formula"):
        check_loss_identity(bare, [0, 0, 0])
    masked = dataclasses.replace(p, mask=np.array([True, False, True]))
    with pytest.raises(UnsupportedProblemError, match="mask=None"):
        check_cube(masked)
    with pytest.raises(TypeError, match="must be an InversionProblem"):
        check_cube(TWO_MODELS)  # type: ignore[arg-type]


def test_cube_refuses_large_k() -> None:
    p = encode(Formula(lemmas.CUBE_LIMIT + 1, ()))
    with pytest.raises(InvalidArgumentError, match="exceeds max_vars = 16"):
        check_cube(p)


def test_wrong_length_point() -> None:
    with pytest.raises(ValueError, match="length k = 3, got 2"):
        check_rounding(encode(TWO_MODELS, "real"), [0, 1])
