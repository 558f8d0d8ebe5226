"""The encoder: pinned sizes and weights, every edge case of the formula, bad arguments."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from reluinv import (
    Formula,
    InvalidArgumentError,
    ShapeError,
    check_cube,
    check_loss_identity,
    decode,
    encode,
    lift,
    parse_dimacs,
)
from reluinv.reduction.construction import (
    MAX_ENCODABLE_WEIGHT,
    REAL_LATENT_BOX,
    lam_lower_bound,
    literal_unit,
    occurrences,
)

UF = Formula(4, ((1, -2, 3), (-1, 2, -4), (2, 4, -3), (1,), (-3, -4)))
WEIGHTED = Formula(3, ((1, 2), (-1,), (-2, 3), (2, 2, -3)), (6, 3, 6, 2),
                   (True, False, True, False))
SIZE_CASES = {
    "3-cnf": UF,
    "weighted-partial": WEIGHTED,
    "duplicates-and-tautology": Formula(3, ((1, 1, 2), (1, -1), (-2, -2, -2))),
    "unused-vars": Formula(6, ((1, 2),)),
    "empty-formula": Formula(0, ()),
    "no-clauses": Formula(4, ()),
    "empty-clause": Formula(2, ((), (1, 2))),
    "wide-clause": Formula(5, ((1, 2, 3, 4, 5), (-1, -2, -3, -4))),
}


def expected_nonzeros(formula: Formula, latent: str) -> int:
    """The count the module docstring states: 2k (6k) + sum_j |distinct literals of C_j|."""
    per_variable = 6 if latent == "real" else 2
    return per_variable * formula.num_vars + sum(len(set(c)) for c in formula.clauses)


@pytest.mark.parametrize("name", sorted(SIZE_CASES))
def test_binary_sizes_are_k_2k_m(name: str) -> None:
    f = SIZE_CASES[name]
    p = encode(f, latent="binary")
    assert p.network.sizes == (f.num_vars, 2 * f.num_vars, f.num_clauses)
    assert p.network.num_nonzero_weights() == expected_nonzeros(f, "binary")
    assert p.domain.kind == "binary"
    assert p.target.tolist() == [0.0] * f.num_clauses
    assert p.network.is_integral


@pytest.mark.parametrize("name", sorted(SIZE_CASES))
def test_real_sizes_are_k_4k_m_plus_k(name: str) -> None:
    f = SIZE_CASES[name]
    p = encode(f, latent="real")
    k, m = f.num_vars, f.num_clauses
    assert p.network.sizes == (k, 4 * k, m + k)
    assert p.network.num_nonzero_weights() == expected_nonzeros(f, "real")
    assert p.lam == lam_lower_bound(f)
    assert p.target.tolist() == [0.0] * m + [float(p.lam)] * k
    assert p.domain.kind == "real"
    assert (p.domain.lower.tolist(), p.domain.upper.tolist()) == (
        [REAL_LATENT_BOX[0]] * k, [REAL_LATENT_BOX[1]] * k)


def test_three_cnf_nonzeros_within_the_polynomial_bound() -> None:
    k, m = UF.num_vars, UF.num_clauses
    assert encode(UF).network.num_nonzero_weights() <= 3 * m + 2 * k
    assert encode(UF, "real").network.num_nonzero_weights() <= 3 * m + 6 * k


def test_every_weight_and_bias_of_a_small_real_encoding() -> None:
    f = Formula(2, ((1, -2), (2, 2)), (3, 1))
    p = encode(f, latent="real", lam=5)
    (W1, W2), (b1, b2) = p.network.weights, p.network.biases
    assert W1.tolist() == [[1, 0], [0, 1], [-1, 0], [0, -1], [2, 0], [0, 2], [-2, 0], [0, -2]]
    assert b1.tolist() == [0, 0, 1, 1, -1, -1, 1, 1]
    assert W2.tolist() == [
        [-3, 0, 0, -3, 0, 0, 0, 0],  # u_1 = ReLU(3 (1 - p_1 - q_2))
        [0, -2, 0, 0, 0, 0, 0, 0],  # u_2 = ReLU(1 - 2 p_2): a duplicate counts twice
        [0, 0, 0, 0, 5, 0, 5, 0],  # g_1 = ReLU(5 (a_1 + b_1))
        [0, 0, 0, 0, 0, 5, 0, 5],
    ]
    assert b2.tolist() == [3, 1, 0, 0]
    assert p.target.tolist() == [0, 0, 5, 5]


def test_literal_unit_indices() -> None:
    assert [literal_unit(lit, 3) for lit in (1, 2, 3, -1, -2, -3)] == [0, 1, 2, 3, 4, 5]


def test_occurrences_count_weights_duplicates_and_both_signs() -> None:
    f = Formula(3, ((1, 1, -1), (-1, 2)), (2, 5))
    assert occurrences(f) == [3 * 2 + 5, 5, 0]
    assert lam_lower_bound(f) == 6  # ceil(11 / 2)
    assert lam_lower_bound(Formula(2, ())) == 1  # lam = 0 would force nothing


def test_hard_clauses_weigh_one_plus_soft_total_in_the_network() -> None:
    p = encode(WEIGHTED)
    assert p.network.biases[1].tolist() == [6, 3, 6, 2]
    z = lift(p, [0, 0, 1])  # falsifies the hard clause (1 2) and the soft (2 2 -3)
    assert p.exact_loss(z) == 6 + 2 == WEIGHTED.falsified([0, 0, 1])


# -- edge cases, one test each -------------------------------------------------------------


def test_duplicate_literals_double_the_coefficient_and_keep_l1() -> None:
    f = Formula(2, ((1, 1, 2),))
    p = encode(f)
    assert p.network.weights[1].tolist() == [[-2, -1, 0, 0]]
    assert p.metadata["max_clause_width"] == 3
    assert check_cube(p).holds
    assert p.exact_loss([0, 0]) == 1
    assert p.exact_loss([1, 0]) == 0


@pytest.mark.parametrize("z", [-1, Fraction(-1, 3), 0, Fraction(1, 7), Fraction(1, 2), 1, 2])
def test_tautology_unit_is_zero_everywhere(z: Fraction) -> None:
    p = encode(Formula(1, ((1, -1),)), latent="real")
    # u = ReLU(1 - ReLU(z) - ReLU(1 - z)) and ReLU(z) + ReLU(1 - z) >= 1 for every real z
    assert p.network.forward_exact([z])[0] == 0


@pytest.mark.parametrize(("clause", "losses"), [
    ((1,), {(0,): 1, (1,): 0}),
    ((-1,), {(0,): 0, (1,): 1}),
    ((1, -2), {(0, 0): 0, (0, 1): 1, (1, 0): 0, (1, 1): 0}),
    ((-1, -2), {(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 1}),
])
def test_short_clauses(clause: tuple[int, ...], losses: dict[tuple[int, ...], int]) -> None:
    k = max(abs(lit) for lit in clause)
    p = encode(Formula(k, (clause,)))
    assert {z: p.exact_loss(list(z)) for z in losses} == losses


def test_unused_variables_exist_and_do_not_change_the_loss() -> None:
    f = Formula(4, ((1, -2),))
    p = encode(f)
    assert p.network.latent_dim == 4
    assert not p.network.weights[1][:, [2, 3, 6, 7]].any()  # p_3, p_4, q_3, q_4 feed nothing
    assert occurrences(f)[2:] == [0, 0]
    losses = {p.exact_loss([0, 1, a, b]) for a in (0, 1) for b in (0, 1)}
    assert losses == {1}
    assert decode(p, [0, 1, 1, 0]) == (0, 1, 1, 0)


def test_empty_formula_has_empty_network_and_zero_loss() -> None:
    p = encode(Formula(0, ()))
    assert p.network.sizes == (0, 0, 0)
    assert p.exact_loss([]) == 0
    assert p.is_preimage(np.zeros(0))
    assert decode(p, []) == ()
    cube = check_cube(p)
    assert (cube.num_points, cube.num_preimages, cube.holds) == (1, 1, True)


def test_no_clauses_every_binary_point_is_a_preimage() -> None:
    p = encode(Formula(3, ()), latent="real")
    assert p.network.sizes == (3, 12, 3)
    assert check_cube(p).num_preimages == 8
    assert not p.is_preimage([0.5, 0, 0])  # the gadget still forces binary values


def test_empty_clause_is_always_falsified() -> None:
    f = parse_dimacs("p cnf 2 2\n0\n1 2 0\n")
    assert f.clauses == ((), (1, 2))
    p = encode(f)
    assert p.network.weights[1][0].tolist() == [0, 0, 0, 0]
    assert p.network.biases[1][0] == 1
    cube = check_cube(p)
    assert (cube.num_preimages, cube.min_loss, cube.holds) == (0, 1, True)


def test_wide_clauses_are_accepted_and_recorded() -> None:
    f = SIZE_CASES["wide-clause"]
    p = encode(f)
    assert p.metadata["max_clause_width"] == 5
    assert p.metadata["clauses_wider_than_3"] == 2
    assert check_cube(p).holds
    assert encode(UF).metadata["clauses_wider_than_3"] == 0


def test_metadata_of_the_real_variant() -> None:
    p = encode(UF, latent="real", lam=7)
    assert p.lam == 7
    assert p.metadata["lam_lower_bound"] == lam_lower_bound(UF)
    assert p.metadata["num_vars"] == 4
    assert p.metadata["num_clauses"] == 5
    assert p.formula is UF


# -- decode and lift -----------------------------------------------------------------------


def test_decode_clamps_and_rounds_exactly() -> None:
    p = encode(Formula(5, ()), latent="real")
    just_below_half = Fraction(2**60 - 1, 2**61)  # its float is 0.5
    assert decode(p, [-0.2, 1.7, 0.5, just_below_half, 0.49999]) == (0, 1, 1, 0, 0)
    assert decode(p, np.array([1.0, 0.0, 0.51, 2.0, -1.0])) == (1, 0, 1, 1, 0)


def test_lift_then_decode_round_trips() -> None:
    p = encode(UF)
    a = (1, 0, 1, 1)
    z = lift(p, a)
    assert z.dtype == np.float64
    assert decode(p, z) == a
    assert check_loss_identity(p, z).holds


# -- bad input -----------------------------------------------------------------------------

BAD_ENCODE = [
    ({"latent": "integer"}, InvalidArgumentError, "latent must be 'binary' or 'real'"),
    ({"lam": 3}, InvalidArgumentError, "lam only applies to latent='real'"),
    ({"box": (-1, 2)}, InvalidArgumentError, "box only applies to latent='real'"),
    ({"latent": "real", "lam": 0}, InvalidArgumentError, "lam must be a positive integer"),
    ({"latent": "real", "lam": 2.5}, InvalidArgumentError, "lam must be a positive integer"),
    ({"latent": "real", "lam": True}, InvalidArgumentError, "lam must be a positive integer"),
    ({"latent": "real", "box": (0.1, 2)}, InvalidArgumentError, r"box must contain \[0, 1\]"),
    ({"latent": "real", "box": (-1, 0.9)}, InvalidArgumentError, r"box must contain \[0, 1\]"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD_ENCODE)
def test_encode_rejects_bad_arguments(kwargs: dict[str, object], error: type[Exception],
                                      message: str) -> None:
    with pytest.raises(error, match=message):
        encode(UF, **kwargs)  # type: ignore[arg-type]


def test_encode_rejects_a_non_formula() -> None:
    with pytest.raises(TypeError, match=r"formula must be a reluinv\.Formula, got str"):
        encode("p cnf 1 1\n1 0\n")  # type: ignore[arg-type]


def test_encode_rejects_weights_that_could_overflow() -> None:
    f = Formula(1, ((1, -1),), (MAX_ENCODABLE_WEIGHT,))
    with pytest.raises(InvalidArgumentError, match="MAX_ENCODABLE_WEIGHT"):
        encode(f)
    encode(Formula(1, ((1,),), (MAX_ENCODABLE_WEIGHT,)))  # width 1: still within the bound


@pytest.mark.parametrize(("z", "error", "message"), [
    ([0, 1], ShapeError, r"shape \(k,\) = \(4,\)"),
    (np.zeros((2, 2)), ShapeError, r"shape \(k,\) = \(4,\)"),
    ([0, 1, float("nan"), 0], ValueError, "finite"),
])
def test_decode_rejects_bad_latents(z: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        decode(encode(UF), z)  # type: ignore[arg-type]


@pytest.mark.parametrize(("assignment", "error", "message"), [
    ([0, 1], ShapeError, "length 2, the latent size is k = 4"),
    ([0, 1, 2, 0], InvalidArgumentError, r"assignment\[2\] = 2"),
    ([0, 1, 0.5, 0], InvalidArgumentError, r"assignment\[2\] = 0.5"),
])
def test_lift_rejects_bad_assignments(assignment: list[float], error: type[Exception],
                                      message: str) -> None:
    with pytest.raises(error, match=message):
        lift(encode(UF), assignment)  # type: ignore[arg-type]


@pytest.mark.parametrize(("clauses", "binary_ok", "real_ok"), [
    ([(2**40 // 3, "1 2 3")], True, True),
    ([(2**40 // 3 + 1, "1 2 3")], False, False),
    ([(2**40, "1")], True, True),
    ([(2**41, "1")], False, False),
    ([(2**40, "1"), (2**40, "-1"), (2**40, "1")], True, False),  # only lam = 1.5 * 2^40
], ids=["width-3-at-bound", "width-3-over", "unit-at-bound", "unit-over", "lam-over"])
@pytest.mark.parametrize("latent", ["binary", "real"])
def test_encoding_problem_says_exactly_when_encode_refuses(
        clauses: list[tuple[int, str]], binary_ok: bool, real_ok: bool, latent: str) -> None:
    from reluinv.reduction.construction import encoding_problem

    text = "".join(f"{w} {c} 0\n" for w, c in clauses)
    formula = parse_dimacs(f"p wcnf 3 {len(clauses)} {2**60}\n{text}")
    problem = encoding_problem(formula, latent)  # type: ignore[arg-type]
    assert (problem is None) is (binary_ok if latent == "binary" else real_ok)
    if problem is None:  # the oracle: encode itself accepts exactly these
        encode(formula, latent)  # type: ignore[arg-type]
    else:
        with pytest.raises(InvalidArgumentError, match=re.escape(problem[:40])):
            encode(formula, latent)  # type: ignore[arg-type]
