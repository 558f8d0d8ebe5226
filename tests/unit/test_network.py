"""The network model: validation, forward passes, persistence."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reluinv import NonFiniteError, ReluNetwork, ShapeError
from reluinv.errors import InvalidArgumentError, InvalidTypeError, ProblemFileError


def small_net() -> ReluNetwork:
    return ReluNetwork([[[1, -1], [2, 0], [0, 1]], [[1, 1, -1]]], [[0, -1, 1], [2]])


def test_sizes_and_integrality() -> None:
    net = small_net()
    assert net.sizes == (2, 3, 1)
    assert net.depth == 2
    assert net.is_integral
    assert not ReluNetwork([[[0.5]]]).is_integral
    assert ReluNetwork([[[2.0]]]).is_integral
    assert not ReluNetwork([[[2]]], activation=("leaky_relu", 0.1)).is_integral


def test_forward_matches_hand_computation() -> None:
    # h = ReLU([3-1, 6-1, 1+1]) = [2, 5, 2]; x = ReLU(2+5-2+2) = 7
    assert small_net().forward([3, 1]).tolist() == [7.0]
    assert small_net().forward_exact([3, 1]) == [7]


def test_leaky_relu_forward() -> None:
    net = ReluNetwork([[[1.0], [-1.0]]], activation=("leaky_relu", 0.25))
    assert net.forward([2.0]).tolist() == [2.0, -0.5]
    assert net.forward_exact([2]) == [2, Fraction(-1, 2)]


def test_batch_equals_single() -> None:
    rng = np.random.default_rng(0)
    net = ReluNetwork([rng.normal(size=(7, 3)), rng.normal(size=(5, 7))],
                      [rng.normal(size=7), rng.normal(size=5)])
    batch = rng.normal(size=(4, 3))
    stacked = np.stack([net.forward(z) for z in batch])
    # BLAS may sum a matrix product in another order than a matrix-vector product.
    np.testing.assert_allclose(net.forward(batch), stacked, rtol=1e-14, atol=1e-14)


def test_pre_activations_per_layer() -> None:
    pre = small_net().pre_activations([3, 1])
    assert [p.tolist() for p in pre] == [[2.0, 5.0, 2.0], [7.0]]


def test_forward_exact_has_no_overflow() -> None:
    big = 2**62
    net = ReluNetwork([np.array([[big], [big]], dtype=np.int64),
                       np.array([[big, big]], dtype=np.int64)])
    assert net.forward_exact([4]) == [2 * big * big * 4]


def test_forward_exact_with_fraction_input() -> None:
    net = ReluNetwork([[[3]]], [[-1]])
    assert net.forward_exact([Fraction(1, 3)]) == [0]
    assert net.forward_exact([Fraction(1, 2)]) == [Fraction(1, 2)]


@pytest.mark.parametrize(
    ("weights", "biases", "error", "message"),
    [
        ([], None, ShapeError, "at least one layer"),
        ([[1, 2]], None, ShapeError, r"weights\[0\] must be 2-D"),
        ([[[1, 2]], [[1, 2, 3]]], None, ShapeError, r"weights\[1\] must have shape \(n_2, n_1\)"),
        ([[[1, 2]]], [[1, 2]], ShapeError, r"biases\[0\] must have shape \(n_1,\) = \(1,\)"),
        ([[[1, 2]]], [[1], [2]], ShapeError, "biases has 2 entries for 1 layers"),
        ([[[1.0, np.nan]]], None, NonFiniteError, r"weights\[0\]\[0, 1\] is nan"),
        ([[[1.0, 0.0]]], [[np.inf]], NonFiniteError, r"biases\[0\]\[0\] is inf"),
        ([[["a", "b"]]], None, InvalidTypeError, r"weights\[0\] must hold real numbers"),
        (np.eye(2), None, InvalidTypeError, "list of 2-D arrays"),
        ([[[1, 2]]], np.zeros(1), InvalidTypeError, "biases must be a list of 1-D arrays"),
    ],
)
def test_constructor_rejects_bad_input(
    weights: object, biases: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ReluNetwork(weights, biases)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("activation", "error"),
    [("sigmoid", InvalidArgumentError), (("leaky_relu", 1.5), InvalidArgumentError),
     (("leaky_relu", 0), InvalidArgumentError), (("leaky_relu", "x"), InvalidTypeError),
     (0.1, InvalidTypeError),
     # an int beyond float64's range (an OverflowError before), an array ("the truth
     # value of an array is ambiguous" before)
     (("leaky_relu", 10**400), InvalidArgumentError),
     (np.array(["leaky_relu", 0.1], dtype=object), InvalidTypeError),
     ((np.array(["leaky_relu"]), 0.1), InvalidArgumentError),
     # a long double inside (0, 1) that float64 rounds to 0
     (("leaky_relu", np.longdouble("1e-400")), InvalidArgumentError)],
)
def test_constructor_rejects_bad_activation(activation: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="activation"):
        ReluNetwork([[[1.0]]], activation=activation)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [np.array(["linear"]), np.array(["linear", "hidden"])])
def test_constructor_rejects_an_output_activation_given_as_an_array(value: object) -> None:
    """An array compared with ``==`` is an array: one element was taken for ``'linear'``,
    two raised NumPy's ambiguous truth value."""
    with pytest.raises(InvalidTypeError, match="output_activation must be"):
        ReluNetwork([[[1.0]]], output_activation=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("z", [[1.0], [[1.0, 2.0, 3.0]], [1.0, np.nan]])
def test_forward_rejects_bad_input(z: object) -> None:
    with pytest.raises(ValueError, match="z"):
        small_net().forward(z)  # type: ignore[arg-type]


def test_weights_are_read_only() -> None:
    net = small_net()
    with pytest.raises(ValueError, match="read-only"):
        net.weights[0][0, 0] = 5


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    net = ReluNetwork([np.array([[0.5, -1.0]])], [np.array([0.25])], ("leaky_relu", 0.1))
    path = tmp_path / "net.npz"
    net.save(path, seed=3, note="test")
    loaded = ReluNetwork.load(path)
    assert loaded == net
    assert ReluNetwork.load_metadata(path) == {"seed": 3, "note": "test"}
    assert loaded != small_net()


def test_load_rejects_foreign_npz(tmp_path: Path) -> None:
    path = tmp_path / "foreign.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ProblemFileError, match="not a reluinv network file"):
        ReluNetwork.load(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"p cnf 1 1\n1 0\n", "not a NumPy .npz archive"),
     (b"", "not a NumPy .npz archive"),
     (None, "a single .npy array, not a .npz archive")],
    ids=["text", "empty", "npy"],
)
@pytest.mark.parametrize("load", [ReluNetwork.load, ReluNetwork.load_metadata],
                         ids=["load", "load_metadata"])
def test_load_names_a_file_that_is_not_an_archive(
    tmp_path: Path, content: bytes | None, message: str, load: Callable[[Path], object]
) -> None:
    path = tmp_path / "net.npz"
    if content is None:
        with open(path, "wb") as stream:
            np.save(stream, np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ProblemFileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: {message} (a saved reluinv network or problem)"


def test_bare_leaky_relu_names_the_missing_slope() -> None:
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]], activation=("leaky_relu", 0.1))
    with pytest.raises(InvalidArgumentError, match=r"without its slope.*activation_spec"):
        ReluNetwork(net.weights, net.biases, activation=net.activation)
    assert ReluNetwork(net.weights, net.biases, activation=net.activation_spec) == net


def test_a_derived_quantity_is_computed_once_per_key_and_kept_out_of_equality() -> None:
    """``derived`` calls ``compute`` on the first request for a key only (a second key is
    computed on its own), hands back the very object kept, survives pickling, and what a
    network keeps does not enter ``==``."""
    net = small_net()
    calls: list[str] = []

    def gram(name: str, W: np.ndarray) -> Callable[[], np.ndarray]:
        def compute() -> np.ndarray:
            calls.append(name)
            return W.T @ W
        return compute

    first = net.derived(("gram", 0), gram("W1", np.asarray(net.weights[0], dtype=float)))
    again = net.derived(("gram", 0), gram("again", np.zeros((1, 1))))
    other = net.derived(("gram", 1), gram("W2", np.asarray(net.weights[1], dtype=float)))
    assert calls == ["W1", "W2"]
    assert again is first
    assert first.shape == (2, 2)
    assert other.shape == (3, 3)
    assert net == small_net()
    copy = pickle.loads(pickle.dumps(net))
    assert copy == net
    np.testing.assert_array_equal(copy.derived(("gram", 0), gram("copy", np.zeros((1, 1)))),
                                  first)
    assert calls == ["W1", "W2"]
