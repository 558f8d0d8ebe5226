"""The lemmas L1-L4 of the reduction as properties, against independent oracles.

Oracles: the formula itself (clause-by-clause counting, brute force over ``{0,1}^k``), RC2
for the MaxSAT cost, and the exact forward pass for every network value. Formulas include
weighted and partial ones, duplicate literals, tautologies, short, empty and wide clauses.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st

from reluinv import (
    Formula,
    check_binary_forcing,
    check_cube,
    check_lift,
    check_loss_identity,
    check_realizability,
    check_rounding,
    encode,
    read_dimacs,
)
from reluinv.reduction.construction import lam_lower_bound
from reluinv.reduction.lemmas import LemmaStatus
from reluinv.strategies import binary_points, formulas, planted_formulas, real_points
from reluinv.testing import (
    all_assignments,
    brute_force_maxsat_cost,
    brute_force_satisfiable,
    falsified_weight,
    rc2_cost,
)
from reluinv.validation.bundled import bundled_instances

LATENTS = ["binary", "real"]

#: The largest k for which L1/L2 are checked on every vertex; above it, sampled vertices.
EXHAUSTIVE_K = 10


# -- L1: loss identity ---------------------------------------------------------------------


@pytest.mark.parametrize("latent", LATENTS)
@given(formula=formulas(max_vars=EXHAUSTIVE_K, max_clauses=14, max_width=4))
def test_l1_and_l2_at_every_vertex(latent: str, formula: Formula) -> None:
    cube = check_cube(encode(formula, latent))  # type: ignore[arg-type]
    assert cube.status is LemmaStatus.HOLDS, cube.first_violation
    assert cube.num_points == 2 ** formula.num_vars
    brute = [falsified_weight(formula, z) for z in all_assignments(formula.num_vars)]
    assert cube.min_loss == cube.min_falsified == min(brute)
    assert cube.num_preimages == cube.num_satisfying == brute.count(0)


BUNDLED = bundled_instances()
BUNDLED_AT_MOST_K = sorted(
    str(path.relative_to(BUNDLED)) for path in BUNDLED.glob("*/*cnf")
    if read_dimacs(path).num_vars <= EXHAUSTIVE_K
)


@pytest.mark.parametrize("latent", LATENTS)
@pytest.mark.parametrize("path", BUNDLED_AT_MOST_K)
def test_l1_and_l2_exhaustive_on_bundled_formulas(latent: str, path: str) -> None:
    """Every bundled formula with k <= 10 (random 3-CNF, weighted, partial, pigeonhole,
    walkthrough), exhaustively: hypothesis rarely draws k = 10 with many clauses."""
    formula = read_dimacs(BUNDLED / path)
    cube = check_cube(encode(formula, latent))  # type: ignore[arg-type]
    assert cube.status is LemmaStatus.HOLDS, cube.first_violation
    assert cube.min_loss == brute_force_maxsat_cost(formula)


@pytest.mark.parametrize("latent", LATENTS)
@given(formula=formulas(max_vars=30, max_clauses=40, max_width=3), data=st.data())
def test_l1_at_sampled_vertices_of_large_cubes(latent: str, formula: Formula,
                                               data: st.DataObject) -> None:
    p = encode(formula, latent)  # type: ignore[arg-type]
    for z in data.draw(st.lists(binary_points(formula.num_vars), min_size=1, max_size=4)):
        check = check_loss_identity(p, z)
        assert check.holds, check
        assert check.loss == falsified_weight(formula, z)


@given(formula=formulas(max_vars=7, max_clauses=10, max_width=3))
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_binary_minimum_is_the_rc2_cost(formula: Formula) -> None:
    assume(all(formula.clauses))  # RC2 is asked about clauses it can hold
    cost = rc2_cost(formula)
    assume(cost is not None)
    assert check_cube(encode(formula)).min_loss == cost


# -- L2: both directions, with witnesses ---------------------------------------------------


@pytest.mark.parametrize("latent", LATENTS)
@given(formula=formulas(max_vars=6, max_clauses=10, max_width=3))
def test_l2_every_vertex_both_directions(latent: str, formula: Formula) -> None:
    p = encode(formula, latent)  # type: ignore[arg-type]
    preimage_exists = False
    for a in all_assignments(formula.num_vars):
        lifted = check_lift(p, a)  # assignment -> latent
        realized = check_realizability(p, a)  # latent -> assignment
        assert lifted.holds, lifted
        assert realized.holds, realized
        preimage_exists |= realized.realizes
    assert brute_force_satisfiable(formula) == preimage_exists


@pytest.mark.parametrize("latent", LATENTS)
@given(case=planted_formulas(max_vars=8, max_clauses=16))
def test_l2_planted_assignment_lifts_to_a_preimage(latent: str,
                                                   case: tuple[Formula, tuple[int, ...]]) -> None:
    formula, planted = case
    p = encode(formula, latent)  # type: ignore[arg-type]
    lifted = check_lift(p, planted)
    assert (lifted.satisfies, lifted.realizes, lifted.round_trip) == (True, True, True), lifted
    assert p.is_preimage(list(lifted.z))


# -- L3: binary forcing for real latents ---------------------------------------------------


def gadget_loss_formula(z: tuple[Fraction | int, ...], lam: int) -> Fraction | int:
    """sum_v lam * | |2 z_v - 1| - 1 |: the gadget's loss by hand."""
    total: Fraction | int = 0
    for v in z:
        total += lam * abs(abs(2 * v - 1) - 1)
    return total


@given(formula=formulas(max_vars=5, max_clauses=8, max_width=4), data=st.data())
def test_l3_real_points_realize_only_satisfying_vertices(formula: Formula,
                                                         data: st.DataObject) -> None:
    bound = lam_lower_bound(formula)
    lam = data.draw(st.integers(1, bound + 2), label="lam")  # L3 needs only lam >= 1
    p = encode(formula, "real", lam=lam)
    z = data.draw(real_points(formula.num_vars), label="z")
    check = check_binary_forcing(p, z)
    assert check.status is LemmaStatus.HOLDS, check
    assert check.gadget_loss == gadget_loss_formula(check.z, lam)
    assert (check.gadget_loss == 0) == check.is_binary


@given(case=planted_formulas(max_vars=6, max_clauses=10), data=st.data())
def test_l3_near_a_satisfying_vertex(case: tuple[Formula, tuple[int, ...]],
                                     data: st.DataObject) -> None:
    formula, planted = case
    p = encode(formula, "real")
    at_vertex = check_binary_forcing(p, list(planted))
    assert (at_vertex.realizes, at_vertex.holds) == (True, True), at_vertex
    assume(formula.num_vars > 0)
    i = data.draw(st.integers(0, formula.num_vars - 1), label="moved coordinate")
    step = data.draw(st.sampled_from([Fraction(1, 2**52), Fraction(1, 10**30), Fraction(1, 2)]))
    sign = data.draw(st.sampled_from([-1, 1]))
    z: list[Fraction | int] = list(planted)
    z[i] = z[i] + sign * step
    moved = check_binary_forcing(p, z)
    assert (moved.holds, moved.realizes) == (True, False), moved
    assert moved.gadget_loss == 2 * p.lam * step  # type: ignore[operator]


# -- L4: rounding never increases the loss -------------------------------------------------


@given(formula=formulas(max_vars=6, max_clauses=10, max_width=4), data=st.data())
def test_l4_rounding_never_increases_the_loss(formula: Formula, data: st.DataObject) -> None:
    bound = lam_lower_bound(formula)
    lam = data.draw(st.integers(bound, bound + 2), label="lam")
    p = encode(formula, "real", lam=lam)
    z = data.draw(real_points(formula.num_vars), label="z")
    check = check_rounding(p, z)
    assert check.premise_met
    assert check.status is LemmaStatus.HOLDS, check
    # hence the real-latent minimum is the binary one, the MaxSAT cost
    assert check.loss_before >= brute_force_maxsat_cost(formula)


def test_l4_fails_below_the_bound_and_a_counterexample_is_found() -> None:
    """Search (formula, lam < bound, z) with rounding increasing the loss: L4's premise is
    needed. The minimal case hypothesis finds is kept in tests/unit/test_lemmas.py."""

    @st.composite
    def below_bound(draw: st.DrawFn) -> tuple[Formula, int, list[Fraction]]:
        formula = draw(formulas(max_vars=3, max_clauses=6, min_width=1))
        bound = lam_lower_bound(formula)
        assume(bound >= 2)
        lam = draw(st.integers(1, bound - 1))
        z = [Fraction(draw(st.integers(-8, 16)), 8) for _ in range(formula.num_vars)]
        return formula, lam, z

    def rounding_hurts(case: tuple[Formula, int, list[Fraction]]) -> bool:
        formula, lam, z = case
        return not check_rounding(encode(formula, "real", lam=lam), z).holds

    formula, lam, z = find(below_bound(), rounding_hurts,
                           settings=settings(max_examples=5000, database=None, derandomize=True,
                                             suppress_health_check=list(HealthCheck)))
    check = check_rounding(encode(formula, "real", lam=lam), z)
    assert check.status is LemmaStatus.VIOLATED
    assert not check.premise_met
    assert check.increase > 0
    assert check_rounding(encode(formula, "real"), z).holds  # at the bound it holds again
