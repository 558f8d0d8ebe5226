"""Exact storage: weights, biases, targets and lam are held exactly or refused, never wrapped
or rounded; the solvers refuse numbers their arithmetic cannot hold, naming the bound."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluinv import Formula, InversionProblem, LatentDomain, ReluNetwork, encode, read_dimacs
from reluinv.errors import InvalidArgumentError, InvalidTypeError, UnsupportedProblemError
from reluinv.exact import solve_exact
from reluinv.exact.cpsat import cpsat_unsupported
from reluinv.exact.maxsat_backend import maxsat_unsupported
from reluinv.exact.mip import mip_unsupported
from reluinv.layerwise.random_nets import random_network
from reluinv.reduction.construction import MAX_ENCODABLE_WEIGHT, lam_lower_bound, lift
from reluinv.reduction.lemmas import check_lift

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "uf5-satlib.cnf"


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        # W2: 2^63 in a uint64 array used to wrap to -2^63
        (np.array([[2**63, 0]], dtype=np.uint64), InvalidArgumentError,
         r"weights\[0\]\[0, 0\] = 9223372036854775808 does not fit int64"),
        (np.array([[2**64 - 1]], dtype=np.uint64), InvalidArgumentError, "does not fit int64"),
        ([[2**63 + 1, 0]], InvalidArgumentError, "9223372036854775809 does not fit int64"),
        ([[-(2**63) - 1]], InvalidArgumentError, "does not fit int64"),
        ([[2**64 + 1, 0.5]], InvalidArgumentError, "not exactly representable in float64"),
        (np.array([[Fraction(1, 3)]], dtype=object), InvalidArgumentError,
         r"weights\[0\]\[0, 0\] = 1/3 is not exactly representable"),
        (np.array([[1, 2]], dtype=np.longdouble) / 3, InvalidArgumentError,
         "not exactly representable in float64"),
        (np.array([["1"]], dtype=object), InvalidTypeError, "must be an int, Fraction or float"),
        (np.array([[True]]), InvalidTypeError, "must hold real numbers"),
        (np.array([[1 + 1j]]), InvalidTypeError, "must hold real numbers"),
    ],
    ids=["uint64-2^63", "uint64-max", "list-2^63+1", "list-below-int64", "list-2^64+1-float",
         "object-third", "longdouble-third", "object-str", "bool", "complex"],
)
def test_unrepresentable_weights_are_refused(weights: object, error: type[Exception],
                                             match: str) -> None:
    with pytest.raises(error, match=match):
        ReluNetwork([weights])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("weights", "dtype", "stored"),
    [
        (np.array([[2**62, 0]], dtype=np.uint64), np.int64, [[2**62, 0]]),
        (np.array([[2**63 - 1]], dtype=np.uint64), np.int64, [[2**63 - 1]]),
        ([[2**62 + 1, -3]], np.int64, [[2**62 + 1, -3]]),
        (np.array([[2**62 + 1, Fraction(4, 2)]], dtype=object), np.int64, [[2**62 + 1, 2]]),
        (np.array([[Fraction(1, 2), 3]], dtype=object), np.float64, [[0.5, 3.0]]),
        (np.array([[7]], dtype=np.int8), np.int64, [[7]]),
        (np.array([[0.25]], dtype=np.float32), np.float64, [[0.25]]),
        (np.array([[0.5]], dtype=np.longdouble), np.float64, [[0.5]]),
    ],
    ids=["uint64-2^62", "uint64-int64-max", "list-2^62+1", "object-ints", "object-half",
         "int8", "float32", "longdouble-half"],
)
def test_representable_weights_are_kept_exactly(weights: object, dtype: type,
                                                stored: list[list[object]]) -> None:
    net = ReluNetwork([weights])  # type: ignore[list-item]
    assert net.weights[0].dtype == dtype
    assert net.weights[0].tolist() == stored
    assert net.forward_exact([1] * len(stored[0])) == [
        max(sum(Fraction(v) for v in stored[0]), 0)]


def test_uint64_network_forward_exact_no_wrap() -> None:
    """W2's second half: what is stored is what forward_exact multiplies."""
    net = ReluNetwork([np.array([[2**62, 2**62 - 1]], dtype=np.uint64)])
    assert net.forward_exact([1, 1]) == [2**63 - 1]  # past int64 in the sum: Python ints


def test_lam_lower_bound_in_integers() -> None:
    """occ(1) = 2^54 + 2: the float quotient rounds to 2^53, the bound is 2^53 + 1."""
    formula = Formula(1, ((1,),), weights=(2**54 + 2,))
    assert lam_lower_bound(formula) == 2**53 + 1
    assert lam_lower_bound(Formula(1, ((1,), (1,)), weights=(3, 4))) == 4  # ceil(7 / 2)
    assert lam_lower_bound(Formula(2, ())) == 1


def test_w1_lam_beyond_float_exactness_is_refused() -> None:
    """W1: lam = 2^53 + 1 made the target (float64) 2^53 and solve answered 0 where the
    exact loss is not 0; it is now refused in one line naming the bound."""
    formula = read_dimacs(EXAMPLE)
    with pytest.raises(InvalidArgumentError,
                       match=r"^lam = 9007199254740993 > MAX_ENCODABLE_WEIGHT = 1099511627776"):
        encode(formula, "real", lam=2**53 + 1)


def test_largest_lam_is_exact() -> None:
    formula = read_dimacs(EXAMPLE)
    problem = encode(formula, "real", lam=MAX_ENCODABLE_WEIGHT)
    model = (1, 1, 1, 1, 1)
    assert formula.satisfies(model)
    assert problem.exact_loss(lift(problem, model)) == 0
    assert check_lift(problem, model).holds
    off = lift(problem, (0, 1, 1, 1, 1)).tolist()
    assert problem.exact_loss(off) == formula.falsified((0, 1, 1, 1, 1))


def test_default_lam_beyond_the_bound_is_refused() -> None:
    formula = Formula(1, ((1,),) * 3, weights=(MAX_ENCODABLE_WEIGHT,) * 3)
    with pytest.raises(InvalidArgumentError, match=r"lam \(the L4 bound"):
        encode(formula, "real")


def big_target_problem(kind: str = "integer") -> InversionProblem:
    net = ReluNetwork([[[1, 1]]], [[0]])
    return InversionProblem(net, [2**53 + 1],
                            LatentDomain.box(2, 0, 2**52, integer=kind == "integer"))


def test_target_beyond_2_53_is_stored_exactly(tmp_path: Path) -> None:
    problem = big_target_problem()
    assert problem.target.dtype == np.int64
    assert problem.target.tolist() == [2**53 + 1]
    assert problem.exact_loss([2**52, 2**52]) == 1  # float64 would say 0
    path = tmp_path / "p.npz"
    problem.save(path)
    loaded = InversionProblem.load(path)
    assert loaded.target.dtype == np.int64
    assert loaded.target.tolist() == [2**53 + 1]


def test_small_integer_targets_stay_float64() -> None:
    """Dense users see no change: an integer target within 2^53 is stored as before."""
    problem = encode(read_dimacs(EXAMPLE), "real")
    assert problem.target.dtype == np.float64


@pytest.mark.parametrize("target", [[Fraction(1, 3)], [2**64], [float("nan")]],
                         ids=["third", "beyond-int64", "nan"])
def test_unrepresentable_targets_are_refused(target: list[object]) -> None:
    net = ReluNetwork([[[1]]])
    with pytest.raises(InvalidArgumentError, match="target"):
        InversionProblem(net, target, LatentDomain.binary(1))


def test_solvers_refuse_numbers_beyond_their_arithmetic() -> None:
    integer = big_target_problem("integer")
    real = big_target_problem("real")
    assert "2^53" in (cpsat_unsupported(integer, "l1") or "")
    assert "mip backend computes in float64" in (mip_unsupported(real, "l1") or "")
    assert maxsat_unsupported(integer, "l1") is None  # refused while compiling, before
    with pytest.raises(UnsupportedProblemError, match="more than MAX_VALUES"):  # any list
        solve_exact(integer, backend="maxsat", objective="l1")
    with pytest.raises(UnsupportedProblemError, match="target holds 9007199254740993"):
        solve_exact(real, objective="l1")
    with pytest.raises(UnsupportedProblemError, match=r"within \+-2\^53"):
        solve_exact(integer, backend="cpsat", objective="l1")


def test_cpsat_range_names_the_layer() -> None:
    """An int64 network CP-SAT used to reject as MODEL_INVALID is refused up front."""
    net = ReluNetwork([np.array([[2**62, 0]], dtype=np.uint64)])
    problem = InversionProblem(net, [0], LatentDomain.binary(2))
    assert net.is_integral
    reason = cpsat_unsupported(problem, "feasible")
    assert reason is not None
    assert "layer 1's pre-activations may reach" in reason
    result = solve_exact(problem)  # auto: the CNF compilation takes it, exactly
    assert result.verified
    assert result.status.name == "OPTIMAL"


def test_random_network_refuses_before_allocating() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidArgumentError, match=r"sizes \[1, 1000000000\] needs 1000000000 "
                       r"weights "
                       r"\(7.45 GiB as float64\) > max_weights = 100000000; pass a larger"):
        random_network([1, 10**9], rng=rng)
    with pytest.raises(InvalidArgumentError, match="max_weights = 14"):
        random_network([3, 5], rng=rng, max_weights=14)
    assert random_network([3, 5], rng=rng, max_weights=15).sizes == (3, 5)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.array([0.5, 2.0, -3.0]), [Fraction(1, 2), 2, -3]),
        (np.array([2.0**63, -(2.0**62)]), [2**63, -(2**62)]),
        (np.array([2**64 - 1, 1], dtype=np.uint64), [2**64 - 1, 1]),
        (np.array([-(2**63), 5], dtype=np.int64), [-(2**63), 5]),
        ([2**70, -1], [2**70, -1]),
        ([0.1], [Fraction(0.1)]),
    ],
    ids=["float-half", "float-2^63", "uint64-max", "int64-min", "list-big-ints", "list-tenth"],
)
def test_exact_vector_converts_exactly(values: object, expected: list[object]) -> None:
    from reluinv.data.network import exact_vector

    converted = exact_vector(values)  # type: ignore[arg-type]
    assert converted == expected
    assert [type(v) for v in converted] == [type(v) for v in expected]
