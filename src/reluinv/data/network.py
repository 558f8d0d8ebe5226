"""Fully connected ReLU (or leaky ReLU) networks and their forward passes.

Notation, used everywhere in reluinv::

    G(z) = s(W_d s(... s(W_1 z + b_1) ...) + b_d),   z in R^k,  x = G(z) in R^n
    n_0 = k,  n_d = n,  W_i has shape (n_i, n_{i-1}),  b_i has shape (n_i,)

Rows are outputs: ``weights[i - 1]`` is ``W_i`` with one row per unit of layer ``i``. The
activation ``s`` is applied after every hidden layer; it is ReLU, ``s(t) = max(t, 0)``, or
leaky ReLU with slope ``alpha`` in (0, 1), ``s(t) = max(t, alpha * t)``. By default ``s``
is applied after the last layer too (``output_activation="hidden"``, the networks of the
reduction and of the paper's random experiments); a trained decoder usually has a *linear
head* instead (``output_activation="linear"``)::

    G(z) = W_d s(... s(W_1 z + b_1) ...) + b_d

so that its outputs can take any sign. The output layer then has no phases at all: every
exact backend models it as the linear map it is, and the layer-wise inverter solves it as
one linear system.

Two forward passes: :meth:`ReluNetwork.forward` in float64 (one vector or a batch), and
:meth:`ReluNetwork.forward_exact` in exact rational arithmetic (Python ``int`` and
``Fraction``), which is the oracle every witness of an integer network is checked against.

Storage is exact. Integer weights and biases are kept as ``int64`` and anything else as
``float64``; a value that neither can hold exactly is refused with
:class:`~reluinv.errors.InvalidArgumentError`, never wrapped or rounded: ``2**63`` in a
``uint64`` array, a Python integer beyond int64, ``Fraction(1, 3)`` in an object array, a
``longdouble`` that float64 would round.

A weight matrix may also be a ``scipy.sparse`` matrix: it is stored in CSR form (sorted
indices, duplicates summed, explicit zeros dropped), and every pass of this module (float
and exact forward passes, saving and loading) then runs in time and memory proportional
to its non-zeros. The reduction of a large formula is stored this way
(:func:`reluinv.encode` switches to CSR above :data:`DENSE_ENTRY_LIMIT` entries);
:meth:`ReluNetwork.to_dense` gives the dense copy that the exact backends and the
layer-wise inverter take, and refuses above that limit before allocating anything.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import zipfile
from collections.abc import Callable, Hashable, Iterator, Sequence
from fractions import Fraction
from typing import Any, Literal, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from reluinv.arguments import check_count, check_real_array, check_sequence, shown
from reluinv.errors import (
    InvalidArgumentError,
    InvalidTypeError,
    NonFiniteError,
    ProblemFileError,
    ShapeError,
)

__all__ = [
    "DENSE_ENTRY_LIMIT",
    "OUTPUT_ACTIVATIONS",
    "ActivationSpec",
    "OutputActivation",
    "ReluNetwork",
    "check_weight_entries",
    "exact_array",
    "exact_vector",
    "open_npz",
    "read_metadata",
]

ActivationSpec: TypeAlias = str | tuple[str, float]
#: ``"hidden"``: the output layer has the hidden activation ``s``; ``"linear"``: none.
OutputActivation: TypeAlias = Literal["hidden", "linear"]
#: The output activations :class:`ReluNetwork` takes.
OUTPUT_ACTIVATIONS: tuple[OutputActivation, ...] = ("hidden", "linear")
FloatArray: TypeAlias = npt.NDArray[np.float64]
Exact: TypeAlias = int | Fraction
#: What :meth:`ReluNetwork.derived` keeps.
_Derived = TypeVar("_Derived")

_FORMAT_VERSION = 1

#: Integer products and sums stay exact in int64 below this magnitude.
_INT64_EXACT_LIMIT = 2**62

#: The most matrix entries (summed over the layers) a dense copy of a network may have:
#: ``2**23`` entries, 64 MiB of int64 or float64. :func:`reluinv.encode` stores larger
#: reductions as CSR, and :meth:`ReluNetwork.to_dense` refuses beyond it.
DENSE_ENTRY_LIMIT = 2**23

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _parse_activation(activation: object) -> tuple[Literal["relu", "leaky_relu"], float]:
    if isinstance(activation, str) and activation == "relu":
        return "relu", 0.0
    if (
        isinstance(activation, tuple | list)
        and len(activation) == 2
        and isinstance(activation[0], str)
        and activation[0] == "leaky_relu"
    ):
        slope = activation[1]
        if isinstance(slope, bool) or not isinstance(slope, int | float | np.floating):
            raise InvalidTypeError(
                f"activation slope must be a number in (0, 1), got {type(slope).__name__} "
                f"{slope!r}"
            )
        # compared before float() (an int may be beyond its range) and after (a long
        # double inside (0, 1) may round to 0 or 1)
        if not (0 < slope < 1 and 0.0 < float(slope) < 1.0):
            raise InvalidArgumentError(
                f"activation slope must lie in (0, 1) as a float64, got {shown(slope)}")
        return "leaky_relu", float(slope)
    rule = "activation must be 'relu' or ('leaky_relu', alpha) with 0 < alpha < 1"
    if not isinstance(activation, str | tuple | list):
        raise InvalidTypeError(f"{rule}, got {type(activation).__name__} {activation!r}")
    if activation == "leaky_relu":  # e.g. a network's .activation: the slope is elsewhere
        raise InvalidArgumentError(f"{rule}, got 'leaky_relu' without its slope (a "
                                   "network's activation_spec carries both)")
    raise InvalidArgumentError(f"{rule}, got {activation!r}")


def _parse_output_activation(value: object) -> OutputActivation:
    if value is None or (isinstance(value, str) and value == "hidden"):
        return "hidden"
    if isinstance(value, str) and value == "linear":
        return "linear"
    rule = "output_activation must be 'hidden' (the hidden activation, also None) or 'linear'"
    if not isinstance(value, str):
        raise InvalidTypeError(f"{rule}, got {type(value).__name__} {value!r}")
    raise InvalidArgumentError(f"{rule}, got {value!r}")


def _first_index(mask: npt.NDArray[np.bool_]) -> list[int]:
    return [int(i) for i in np.argwhere(mask)[0]]


def _exact_dtype(array: npt.NDArray[Any], name: str) -> npt.NDArray[Any]:
    """``array`` as int64 (integers) or float64 (anything else real), exactly or not at all.

    Signed integers fit int64 always; unsigned ones are checked against ``2**63 - 1``;
    floats of at most 64 bits convert exactly, wider ones (``longdouble``) only when
    float64 holds every value; object arrays take Python / NumPy integers (kept as int64
    when they fit), floats, and ``Fraction`` values that float64 holds exactly.
    """
    kind = array.dtype.kind
    if kind == "b" or kind not in "iufO":
        raise InvalidTypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if kind == "i":
        return np.array(array, dtype=np.int64)
    if kind == "u":
        too_big = array > np.uint64(_INT64_MAX)
        if np.any(too_big):
            bad = _first_index(too_big)
            raise InvalidArgumentError(
                f"{name}{bad} = {int(array[tuple(bad)])} does not fit int64 (at most 2**63 - 1);"
                " integer weights are stored exactly as int64, never wrapped")
        return np.array(array, dtype=np.int64)
    if kind == "f":
        if not np.all(np.isfinite(array)):
            bad = _first_index(~np.isfinite(array))
            raise NonFiniteError(f"{name}{bad} is {array[tuple(bad)]}; {name} must be finite")
        converted = np.array(array, dtype=np.float64)
        if array.dtype.itemsize > 8 and not np.all(converted == array):
            bad = _first_index(converted != array)
            raise InvalidArgumentError(
                f"{name}{bad} = {array[tuple(bad)]!r} is not exactly representable in float64")
        return converted
    return _exact_object_array(array, name)


def _exact_object_array(array: npt.NDArray[Any], name: str) -> npt.NDArray[Any]:
    def where(i: int) -> list[int]:
        return [int(q) for q in np.unravel_index(i, array.shape)]

    values = [_to_exact(v, f"{name}{where(i)}") for i, v in enumerate(array.ravel().tolist())]
    if all(type(v) is int for v in values):
        for i, v in enumerate(values):
            if not _INT64_MIN <= v <= _INT64_MAX:
                raise InvalidArgumentError(
                    f"{name}{where(i)} = {v} does not fit int64 (|v| < 2**63); integer weights "
                    "are stored exactly as int64, never wrapped")
        return np.array(values, dtype=np.int64).reshape(array.shape)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        f = float(v)  # a Fraction or int: float() rounds, the comparison below catches it
        if not np.isfinite(f) or Fraction(f) != v:
            raise InvalidArgumentError(
                f"{name}{where(i)} = {v} is not exactly representable in float64 (nor an int64 "
                "integer); networks store int64 or float64 values exactly")
        out[i] = f
    return out.reshape(array.shape)


def _as_matrix(value: object, name: str) -> npt.NDArray[Any]:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTypeError(f"{name} must be array-like of numbers: {exc}") from exc
    if not isinstance(value, np.ndarray) and array.dtype.kind in "fu":
        # NumPy turns Python integers beyond int64 into uint64 or (rounded) float64: compare
        # with the values as given (Python compares int and float exactly)
        given = np.array(value, dtype=object)
        if given.shape == array.shape and not np.all(given == array.astype(object)):
            return _exact_object_array(given, name)
    return _exact_dtype(array, name)


def check_weight_entries(sizes: Sequence[int], limit: object, limit_name: str, *,
                         subject: str, advice: str) -> int:
    """The number of weight entries ``sum_i n_i n_{i-1}`` of a dense network with layer
    sizes ``sizes = (n_0, ..., n_d)``, checked against ``limit`` before anything that size
    is allocated: the one size cap of :meth:`ReluNetwork.to_dense` (``max_entries``) and
    :func:`reluinv.random_network` (``max_weights``).

    ``limit`` must be a count (:func:`~reluinv.arguments.check_count`, named
    ``limit_name``); a larger total raises :class:`~reluinv.errors.InvalidArgumentError`
    reading ``"<subject> needs <total> weights (<bytes> as float64) > <limit_name> =
    <limit>; <advice>"``.

    >>> check_weight_entries((2, 3, 4), 18, "max_weights", subject="sizes", advice="")
    18
    >>> check_weight_entries((2, 3, 4), 17, "max_weights", subject="[2, 3, 4]",
    ...                      advice="refused")
    Traceback (most recent call last):
    ...
    reluinv.errors.InvalidArgumentError: [2, 3, 4] needs 18 weights (144 B as float64) > max_weights = 17; refused
    """  # noqa: E501 (a doctest's exception line is one line)
    cap = check_count(limit, limit_name)
    dims = list(sizes)
    total = sum(int(n_in) * int(n_out) for n_in, n_out in itertools.pairwise(dims))
    if total > cap:
        raise InvalidArgumentError(
            f"{subject} needs {total} weights ({_bytes_text(8 * total)} as float64) > "
            f"{limit_name} = {cap}; {advice}")
    return total


def _bytes_text(count: int) -> str:
    """``count`` bytes in the largest unit that keeps the number at or above 1."""
    value, unit = float(count), "B"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{int(value)} B" if unit == "B" else f"{value:.3g} {unit}"


def exact_array(value: object, name: str) -> npt.NDArray[Any]:
    """``value`` as an int64 (integers) or float64 array holding exactly the values given.

    Raises :class:`~reluinv.errors.InvalidArgumentError` naming ``name`` and the index of
    the first value neither dtype holds exactly (an integer beyond int64, ``Fraction(1, 3)``,
    a ``longdouble`` float64 would round), :class:`~reluinv.errors.InvalidTypeError` for
    non-numbers (bool, complex, strings) and :class:`~reluinv.errors.NonFiniteError` for
    NaN or infinity.

    >>> exact_array([2**53 + 1, 0], "x").tolist()
    [9007199254740993, 0]
    """
    return _as_matrix(value, name)


def _as_sparse(value: Any, name: str) -> Any:
    """A ``scipy.sparse`` matrix as canonical CSR (int64 or float64 data, checked as
    :func:`_exact_dtype` checks a dense array; sorted indices, no duplicates, no stored
    zeros), so that equal matrices have equal arrays."""
    if value.ndim != 2:
        raise ShapeError(f"{name} must be 2-D, got shape {value.shape}")
    csr = sp.csr_array(value, copy=True)
    csr.sum_duplicates()
    data = _exact_dtype(np.asarray(csr.data), f"{name}.data")
    out = sp.csr_array((data, csr.indices.astype(np.int64), csr.indptr.astype(np.int64)),
                       shape=csr.shape)
    out.eliminate_zeros()
    out.sort_indices()
    out.has_canonical_format = True
    return out


def _is_sparse(array: object) -> bool:
    return bool(sp.issparse(array))


class ReluNetwork:
    """A fully connected network ``G(z) = s(W_d s(... s(W_1 z + b_1) ...) + b_d)``.

    Parameters
    ----------
    weights:
        ``[W_1, ..., W_d]``, ``W_i`` of shape ``(n_i, n_{i-1})``; integer arrays are kept as
        ``int64``, anything else becomes ``float64``, and a value neither holds exactly is
        refused (module docstring). A ``scipy.sparse`` matrix is kept as CSR.
    biases:
        ``[b_1, ..., b_d]`` with ``b_i`` of shape ``(n_i,)``, or ``None`` for zero biases.
    activation:
        ``"relu"`` or ``("leaky_relu", alpha)`` with ``0 < alpha < 1``: the hidden
        activation ``s``.
    output_activation:
        ``"hidden"`` (default; ``None`` means the same): ``s`` after the last layer too.
        ``"linear"``: no activation after the last layer (a linear head).

    The constructor validates everything (shapes chain, entries are finite real numbers)
    and raises :class:`~reluinv.errors.ShapeError`, :class:`~reluinv.errors.NonFiniteError`
    or ``TypeError`` naming the offending array.

    >>> net = ReluNetwork([[[1, -1], [0, 2]]], [[0, -1]])
    >>> net.sizes, net.is_integral
    ((2, 2), True)
    >>> net.forward([3.0, 1.0]).tolist()
    [2.0, 1.0]
    >>> ReluNetwork([[[1, -1]]], output_activation="linear").forward([1.0, 3.0]).tolist()
    [-2.0]
    """

    def __init__(
        self,
        weights: Sequence[npt.ArrayLike],
        biases: Sequence[npt.ArrayLike] | None = None,
        activation: ActivationSpec = "relu",
        *,
        output_activation: OutputActivation | None = "hidden",
    ) -> None:
        if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
            raise InvalidTypeError("weights must be a list of 2-D arrays [W_1, ..., W_d]")
        if len(weights) == 0:
            raise ShapeError("weights must hold at least one layer")
        self.activation, self.slope = _parse_activation(activation)
        self.output_activation: OutputActivation = _parse_output_activation(output_activation)
        ws: list[Any] = []
        for i, w in enumerate(weights):
            array = (_as_sparse(w, f"weights[{i}]") if _is_sparse(w)
                     else _as_matrix(w, f"weights[{i}]"))
            if array.ndim != 2:
                raise ShapeError(f"weights[{i}] must be 2-D, got shape {array.shape}")
            if ws and array.shape[1] != ws[-1].shape[0]:
                raise ShapeError(
                    f"weights[{i}] must have shape (n_{i + 1}, n_{i}) = "
                    f"(*, {ws[-1].shape[0]}), got {array.shape}"
                )
            ws.append(array)
        if biases is None:
            bs = [np.zeros(w.shape[0], dtype=w.dtype) for w in ws]
        else:
            if isinstance(biases, np.ndarray) or not isinstance(biases, Sequence):
                raise InvalidTypeError(
                    "biases must be a list of 1-D arrays [b_1, ..., b_d] or None")
            if len(biases) != len(ws):
                raise ShapeError(f"biases has {len(biases)} entries for {len(ws)} layers")
            bs = []
            for i, (b_given, w) in enumerate(zip(biases, ws, strict=True)):
                b: Any = b_given
                if _is_sparse(b):
                    b = b.toarray().reshape(-1) if b.shape == (1, w.shape[0]) else b.toarray()
                array = _as_matrix(b, f"biases[{i}]")
                if array.shape != (w.shape[0],):
                    raise ShapeError(
                        f"biases[{i}] must have shape (n_{i + 1},) = ({w.shape[0]},), "
                        f"got {array.shape}"
                    )
                bs.append(array)
        for array in (*ws, *bs):
            for part in ((array.data, array.indices, array.indptr) if _is_sparse(array)
                         else (array,)):
                part.setflags(write=False)
        #: ``W_1..W_d``: NumPy arrays, or ``scipy.sparse`` CSR arrays (:attr:`is_sparse`).
        self.weights: tuple[npt.NDArray[Any], ...] = tuple(ws)
        self.biases: tuple[npt.NDArray[Any], ...] = tuple(bs)
        self._float_weights = tuple(w.astype(np.float64) if _is_sparse(w)
                                    else np.asarray(w, dtype=np.float64) for w in ws)
        self._float_biases = tuple(np.asarray(b, dtype=np.float64) for b in bs)
        self._exact_layers: list[tuple[Any, list[Exact]]] | None = None
        self._int64_row_bounds: list[tuple[int, int]] | None = None
        self._integral: bool | None = None  # is_integral, computed once (read-only arrays)
        self._derived: dict[Hashable, Any] = {}  # derived(), by key

    # -- description -------------------------------------------------------------------

    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_d)``: the latent size ``k`` first, the output size ``n`` last."""
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    @property
    def depth(self) -> int:
        """The number ``d`` of layers."""
        return len(self.weights)

    @property
    def latent_dim(self) -> int:
        """``k = n_0``."""
        return self.sizes[0]

    @property
    def output_dim(self) -> int:
        """``n = n_d``."""
        return self.sizes[-1]

    @property
    def activation_spec(self) -> ActivationSpec:
        """The activation as the constructor takes it."""
        return "relu" if self.activation == "relu" else ("leaky_relu", self.slope)

    @property
    def output_linear(self) -> bool:
        """True for a linear head: no activation after the last layer."""
        return self.output_activation == "linear"

    def _storage(self) -> tuple[Any, ...]:
        """The weight matrices as stored (NumPy arrays or CSR arrays), untyped."""
        return self.weights

    @property
    def is_sparse(self) -> bool:
        """True when some ``W_i`` is stored as a ``scipy.sparse`` CSR array."""
        return any(_is_sparse(w) for w in self.weights)

    @property
    def dense_entries(self) -> int:
        """``sum_i n_i * n_{i-1}``: the number of entries a dense copy of the weights has."""
        return sum(int(w.shape[0]) * int(w.shape[1]) for w in self.weights)

    def to_dense(self, *, max_entries: int = DENSE_ENTRY_LIMIT) -> ReluNetwork:
        """This network with dense weight arrays (``self`` when it is dense already).

        Raises :class:`~reluinv.errors.InvalidArgumentError` before allocating anything
        when the dense copy would have more than ``max_entries`` entries.
        """
        if not self.is_sparse:
            return self
        sizes = " x ".join(map(str, self.sizes))
        check_weight_entries(self.sizes, max_entries, "max_entries",
                             subject=f"a dense copy of the {sizes} network",
                             advice=f"it stays sparse ({self.num_nonzero_weights()} non-zeros)")
        return ReluNetwork([_densified(w) for w in self.weights],
                           list(self.biases), self.activation_spec,
                           output_activation=self.output_activation)

    def to_sparse(self) -> ReluNetwork:
        """This network with every ``W_i`` stored as CSR (``self`` when it is already)."""
        if all(_is_sparse(w) for w in self.weights):
            return self
        return ReluNetwork([w if _is_sparse(w) else sp.csr_array(w) for w in self.weights],
                           list(self.biases), self.activation_spec,
                           output_activation=self.output_activation)

    @property
    def is_integral(self) -> bool:
        """True when every weight and bias is an integer and the activation is ReLU, so
        that integer inputs give integer outputs and CP-SAT can model the network exactly
        (a linear head keeps that true)."""
        if self._integral is None:
            self._integral = self.activation == "relu" and all(
                np.issubdtype(a.dtype, np.integer) or bool(np.all(a == np.round(a)))
                for a in (*(_values(w) for w in self.weights), *self.biases)
            )
        return self._integral

    def magnitude_bounds(self, radius: int) -> list[int]:
        """Upper bounds, in Python integers, on ``|W_i h_{i-1} + b_i|`` for every layer
        ``i = 1..d`` when ``|z_j| <= radius``: ``B_0 = radius``,
        ``B_i = max_r sum_q |W_i[r, q]| * B_{i-1} + max|b_i|`` (``s`` never increases a
        magnitude). Used to check integer solvers' ranges before building a model; float
        entries are bounded with a relative slack of ``2^-40`` for the float row sums."""
        out: list[int] = []
        bound = int(radius)
        for w, b in zip(self._storage(), self.biases, strict=True):
            if np.issubdtype(w.dtype, np.integer):
                row = _row_abs_sum_bound(w)
            else:
                values = _values(w)
                if _is_sparse(w):
                    largest = float(np.abs(values).max(initial=0.0))
                    row_f = largest * float(np.diff(w.indptr).max(initial=0))
                else:
                    row_f = float(np.abs(values).sum(axis=1).max(initial=0.0))
                row = int(row_f * (1 + 2**-40)) + 1
            bias = (int(np.abs(b.astype(object)).max(initial=0))
                    if np.issubdtype(b.dtype, np.integer)
                    else int(float(np.abs(b).max(initial=0.0))) + 1)
            bound = row * bound + bias
            out.append(bound)
        return out

    def num_nonzero_weights(self) -> int:
        """The number of non-zero entries over all ``W_i`` (biases not counted)."""
        return int(sum(np.count_nonzero(_values(w)) for w in self.weights))

    def derived(self, key: Hashable, compute: Callable[[], _Derived]) -> _Derived:
        """A quantity of the weights alone: ``compute()`` on the first request for ``key``,
        then the same object, kept with this network (its arrays are read-only, so it
        cannot go stale). The layer-wise inverter keeps here the factorisations its
        composed route starts from (``Below.factor`` in :mod:`reluinv.layerwise.composed`,
        whose ``_start`` says what they save). Concurrent first requests may both compute;
        either result is kept, and they are equal."""
        if key not in self._derived:
            self._derived[key] = compute()
        value: _Derived = self._derived[key]
        return value

    def __repr__(self) -> str:
        sizes = " x ".join(map(str, self.sizes))
        head = ", output_activation='linear'" if self.output_linear else ""
        return f"ReluNetwork({sizes}, activation={self.activation_spec!r}{head})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReluNetwork):
            return NotImplemented
        return (
            self.activation_spec == other.activation_spec
            and self.output_activation == other.output_activation
            and self.sizes == other.sizes
            and all(
                _same_matrix(a, b)
                for a, b in zip(
                    (*self.weights, *self.biases), (*other.weights, *other.biases), strict=True
                )
            )
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking arrays: not hashable

    # -- float forward pass ------------------------------------------------------------

    def activate(self, pre: npt.ArrayLike) -> FloatArray:
        """Apply ``s`` elementwise to float pre-activations."""
        t = np.asarray(pre, dtype=np.float64)
        if self.activation == "relu":
            return np.maximum(t, 0.0)
        return np.where(t >= 0.0, t, self.slope * t)

    def activate_layer(self, layer: int, pre: npt.ArrayLike) -> FloatArray:
        """Layer ``layer``'s activation (0-based: ``layer = i - 1``) on float
        pre-activations: ``s``, or the identity on the last layer of a linear head."""
        if self.output_linear and layer == self.depth - 1:
            return np.array(pre, dtype=np.float64)
        return self.activate(pre)

    def _check_input(self, z: npt.ArrayLike) -> FloatArray:
        array = check_real_array(z, "z")
        k = self.latent_dim
        if array.ndim not in (1, 2) or array.shape[-1] != k:
            raise ShapeError(f"z must have shape ({k},) or (B, {k}), got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise NonFiniteError("z holds NaN or infinity")
        return array

    def pre_activations(self, z: npt.ArrayLike, *,
                        activate_last: bool = False) -> list[FloatArray]:
        """The pre-activations ``W_i h_{i-1} + b_i`` of every layer, ``i = 1..d``
        (``h_0 = z``), for one vector ``z`` of shape ``(k,)`` or a batch ``(B, k)``; with
        ``activate_last``, the last entry is the output ``G(z)`` instead."""
        return self._pass(self._check_input(z), activate_last)

    def _pass(self, h: FloatArray, activate_last: bool) -> list[FloatArray]:
        """:meth:`pre_activations` of a checked ``z`` (float64, finite, of the latent
        size)."""
        out = []
        last = self.depth - 1
        for i, (w, b) in enumerate(zip(self._float_weights, self._float_biases, strict=True)):
            if not isinstance(w, np.ndarray):  # a scipy.sparse array
                pre = np.asarray(w @ h.T).T + b
            else:  # one vector: a matrix-vector product over W's rows as stored
                pre = w @ h + b if h.ndim == 1 else h @ w.T + b
            h = self.activate_layer(i, pre)
            out.append(h if activate_last and i == last else pre)
        return out

    def layer_outputs(self, z: npt.ArrayLike) -> list[FloatArray]:
        """The activations ``h_i = s(W_i h_{i-1} + b_i)`` of every layer ``i = 1..d``
        (``h_d = W_d h_{d-1} + b_d`` for a linear head)."""
        return [self.activate_layer(i, pre) for i, pre in enumerate(self.pre_activations(z))]

    def forward(self, z: npt.ArrayLike) -> FloatArray:
        """``G(z)`` in float64, for one vector ``(k,)`` or a batch ``(B, k)``."""
        return self._pass(self._check_input(z), True)[-1]

    def _forward_unchecked(self, z: FloatArray) -> FloatArray:
        """:meth:`forward` of a ``z`` known to be float64, finite and of shape ``(k,)`` or
        ``(B, k)``, without checking it: the forward check of a code that an inverter
        computed itself, where the checks cost as much as the pass on a small network."""
        return self._pass(z, True)[-1]

    # -- exact forward pass ------------------------------------------------------------

    def _exact_activate(self, t: Exact) -> Exact:
        if t >= 0:
            return t
        return 0 if self.activation == "relu" else Fraction(self.slope) * t

    def exact_pre_activations(self, z: Sequence[Exact] | npt.ArrayLike) -> list[list[Exact]]:
        """Per-layer pre-activations in exact arithmetic (see :meth:`forward_exact`)."""
        h = exact_vector(z, "z")
        if len(h) != self.latent_dim:
            raise ShapeError(f"z must have length k = {self.latent_dim}, got {len(h)}")
        out: list[list[Exact]] = []
        for i in range(self.depth):
            pre = self._int64_layer(i, h)
            if pre is None:
                rows, bias = self._exact_layer(i)
                if _is_sparse(self.weights[i]):
                    pre = [sum((wij * h[q] for q, wij in row), bi)
                           for row, bi in zip(rows, bias, strict=True)]
                else:
                    pre = [sum((wij * hj for wij, hj in zip(row, h, strict=True)), bi)
                           for row, bi in zip(rows, bias, strict=True)]
            out.append(pre)
            h = [self._exact_activate(t) for t in pre]
        return out

    def _exact_layer(self, i: int) -> tuple[Any, list[Exact]]:
        """Layer ``i``'s weights as exact Python numbers: rows of a dense matrix, or per row
        the ``(column, value)`` pairs of a CSR one (built once, on first use)."""
        if self._exact_layers is None:
            self._exact_layers = []
            for w, b in zip(self._storage(), self.biases, strict=True):
                bias = _exact_matrix(b[np.newaxis, :])[0]
                if _is_sparse(w):
                    values = [_to_exact(v, "weight") for v in w.data.tolist()]
                    cols, ptr = w.indices.tolist(), w.indptr.tolist()
                    rows: Any = [list(zip(cols[ptr[r]:ptr[r + 1]], values[ptr[r]:ptr[r + 1]],
                                          strict=True)) for r in range(w.shape[0])]
                else:
                    rows = _exact_matrix(w)
                self._exact_layers.append((rows, bias))
        return self._exact_layers[i]

    def _int64_layer(self, i: int, h: list[Exact]) -> list[Exact] | None:
        """Layer ``i``'s pre-activation computed in int64, when that is provably exact.

        Used for integer weights and biases on an integer input when every partial sum is
        bounded by ``max|h| * max_row sum|W_row| + max|b| < 2**62`` (computed in Python
        integers, so the bound itself cannot overflow). ``None`` when the fast path does not
        apply; the caller then sums in Python integers / Fractions.
        """
        w, b = self.weights[i], self.biases[i]
        if not (np.issubdtype(w.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
            return None
        if not all(type(v) is int for v in h):
            return None
        if self._int64_row_bounds is None:
            self._int64_row_bounds = [
                (_row_abs_sum_bound(wi), int(np.abs(bi.astype(object)).max(initial=0)))
                for wi, bi in zip(self.weights, self.biases, strict=True)
                if np.issubdtype(wi.dtype, np.integer)
            ] if all(np.issubdtype(wi.dtype, np.integer) for wi in self.weights) else []
        if i >= len(self._int64_row_bounds):
            return None
        row_sum, bias_max = self._int64_row_bounds[i]
        h_max = max((abs(int(v)) for v in h), default=0)
        if h_max * row_sum + bias_max >= _INT64_EXACT_LIMIT:
            return None
        product = w @ np.asarray(h, dtype=np.int64)
        result: list[Exact] = (np.asarray(product, dtype=np.int64) + b).tolist()
        return result

    def forward_exact(self, z: Sequence[Exact] | npt.ArrayLike) -> list[Exact]:
        """``G(z)`` in exact rational arithmetic: Python ``int`` where everything is an
        integer, ``Fraction`` otherwise. No overflow, no rounding.

        Float weights and inputs are converted exactly (``Fraction(0.1)`` is the binary
        number the float holds), so the result is the true value of the float network.

        >>> ReluNetwork([[[2, -3]]], [[1]]).forward_exact([5, 3])
        [2]
        """
        pre = self.exact_pre_activations(z)[-1]
        if self.output_linear:
            return pre
        return [self._exact_activate(t) for t in pre]

    # -- persistence -------------------------------------------------------------------

    def to_arrays(self, prefix: str = "") -> dict[str, npt.NDArray[Any]]:
        """The arrays and metadata that :meth:`save` writes, keyed for ``np.savez``."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        sparse_layers = []
        for i, (w, b) in enumerate(zip(self._storage(), self.biases, strict=True)):
            if _is_sparse(w):  # CSR: data, column indices, row pointers and the shape
                sparse_layers.append(i + 1)
                arrays[f"{prefix}W{i + 1}_data"] = np.asarray(w.data)
                arrays[f"{prefix}W{i + 1}_indices"] = np.asarray(w.indices, dtype=np.int64)
                arrays[f"{prefix}W{i + 1}_indptr"] = np.asarray(w.indptr, dtype=np.int64)
                arrays[f"{prefix}W{i + 1}_shape"] = np.asarray(w.shape, dtype=np.int64)
            else:
                arrays[f"{prefix}W{i + 1}"] = np.asarray(w)
            arrays[f"{prefix}b{i + 1}"] = np.asarray(b)
        header: dict[str, object] = {
            "format": "reluinv-network",
            "format_version": _FORMAT_VERSION,
            "depth": self.depth,
            "activation": self.activation,
            "slope": self.slope,
            "output_activation": self.output_activation,
        }
        if sparse_layers:  # dense files stay byte for byte what they were
            header["sparse_layers"] = sparse_layers
        arrays[f"{prefix}network"] = np.array(json.dumps(header))
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: Any, prefix: str = "", source: str = "<arrays>"
    ) -> ReluNetwork:
        """Rebuild a network from what :meth:`to_arrays` produced (an ``NpzFile`` works)."""
        key = f"{prefix}network"
        if key not in arrays:
            raise ProblemFileError(f"{source}: no '{key}' entry; not a reluinv network file")
        try:
            header = json.loads(str(arrays[key]))
            depth = int(header["depth"])
            activation: ActivationSpec = (
                "relu" if header["activation"] == "relu"
                else ("leaky_relu", float(header["slope"]))
            )
            # files written before linear heads existed have no key: the hidden activation
            output_activation = header.get("output_activation", "hidden")
            sparse_layers = {int(i) for i in header.get("sparse_layers", [])}
            weights = [_read_csr(arrays, f"{prefix}W{i + 1}", source) if i + 1 in sparse_layers
                       else arrays[f"{prefix}W{i + 1}"] for i in range(depth)]
            biases = [arrays[f"{prefix}b{i + 1}"] for i in range(depth)]
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ProblemFileError(f"{source}: malformed network entry: {exc}") from exc
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ProblemFileError(
                f"{source}: output_activation must be one of {list(OUTPUT_ACTIVATIONS)}, "
                f"got {output_activation!r}")
        return cls(weights, biases, activation, output_activation=output_activation)

    def save(self, path: str | os.PathLike[str], **metadata: object) -> None:
        """Save to an ``.npz`` file under exactly ``path`` (no ``.npz`` is appended, unlike
        :func:`numpy.savez`); ``metadata`` (JSON-serialisable) is stored beside it."""
        arrays = self.to_arrays()
        arrays["metadata"] = np.array(json.dumps(metadata, sort_keys=True))
        with open(path, "wb") as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReluNetwork:
        """Load a network saved by :meth:`save` (or a problem file: its network)."""
        with open_npz(path) as data:
            return cls.from_arrays(data, source=os.fspath(path))

    @staticmethod
    def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
        """The metadata dictionary saved with a network or problem file."""
        with open_npz(path) as data:
            return read_metadata(data, os.fspath(path))


@contextlib.contextmanager
def open_npz(path: str | os.PathLike[str]) -> Iterator[Any]:
    """Open a ``.npz`` archive (no pickles) as a mapping of array names to arrays.

    Anything that is not a NumPy ``.npz`` archive (a text file, a single ``.npy`` array, a
    damaged zip) raises :class:`~reluinv.errors.ProblemFileError` naming the file; a
    missing or unreadable file raises the ``OSError`` as it is.
    """
    source = os.fspath(path)
    with open(path, "rb") as handle:  # ours to close: np.load leaks it on a damaged zip
        try:
            archive = np.load(handle, allow_pickle=False)
        except (ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ProblemFileError(
                f"{source}: not a NumPy .npz archive (a saved reluinv network or problem)"
            ) from exc
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ProblemFileError(
                f"{source}: a single .npy array, not a .npz archive (a saved reluinv network "
                "or problem)"
            )
        with archive:
            yield archive


def read_metadata(archive: Any, source: str) -> dict[str, Any]:
    """The JSON ``metadata`` entry of an open archive as a dict (``{}`` when absent)."""
    if "metadata" not in archive:
        return {}
    try:
        loaded = json.loads(str(archive["metadata"]))
    except (ValueError, zipfile.BadZipFile) as exc:
        raise ProblemFileError(f"{source}: the 'metadata' entry is not JSON: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ProblemFileError(f"{source}: the 'metadata' entry must be a JSON object")
    return loaded


def _to_exact(value: object, name: str) -> Exact:
    if isinstance(value, bool):
        raise InvalidTypeError(f"{name} must be a number, got a bool")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, Fraction):
        return value if value.denominator != 1 else value.numerator
    if isinstance(value, float | np.floating):
        f = float(value)
        if not np.isfinite(f):
            raise NonFiniteError(f"{name} is {f}; values must be finite")
        frac = Fraction(f)
        return frac.numerator if frac.denominator == 1 else frac
    raise InvalidTypeError(f"{name} must be an int, Fraction or float, got {type(value).__name__}")


def exact_vector(values: Sequence[Exact] | npt.ArrayLike, name: str = "vector") -> list[Exact]:
    """Convert a 1-D sequence of ints, Fractions or floats to exact Python numbers.

    Integer arrays, and float arrays whose values are all integers below ``2^63`` (a
    lifted assignment, a target), are converted in one step, exactly; anything else value
    by value (``Fraction(0.1)`` is the binary number the float holds).
    """
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ShapeError(f"{name} must be 1-D, got shape {values.shape}")
        if values.dtype.kind in "iu" and (values.dtype.kind == "i" or values.size == 0
                                          or int(values.max()) <= _INT64_MAX):
            fast: list[Exact] = values.tolist()
            return fast
        if (values.dtype.kind == "f" and values.dtype.itemsize <= 8
                and bool(np.all(np.isfinite(values))) and bool(np.all(values == np.trunc(values)))
                and bool(np.all(np.abs(values) < 2.0**63))):
            whole: list[Exact] = values.astype(np.int64).tolist()  # exact: integral, < 2^63
            return whole
        items: list[object] = values.tolist()
    else:
        items = list(check_sequence(values, name, of="numbers"))
        if all(type(v) is int for v in items):
            return items  # type: ignore[return-value]
    return [_to_exact(v, f"{name}[{i}]") for i, v in enumerate(items)]


def _values(w: Any) -> npt.NDArray[Any]:
    """The stored values of a weight matrix: the array itself, or a CSR array's data."""
    return np.asarray(w.data) if _is_sparse(w) else np.asarray(w)


def _same_matrix(a: Any, b: Any) -> bool:
    """Equal shapes and values, whatever the storage (dense or CSR) of each."""
    if a.shape != b.shape:
        return False
    if _is_sparse(a) and _is_sparse(b):
        return bool((a != b).nnz == 0)
    if _is_sparse(a) or _is_sparse(b):
        return bool(np.array_equal(_densified(a), _densified(b)))
    return bool(np.array_equal(a, b))


def _densified(a: Any) -> npt.NDArray[Any]:
    return a.toarray() if _is_sparse(a) else np.asarray(a)


def _row_abs_sum_bound(w: Any) -> int:
    """An upper bound on ``max_r sum_q |W[r, q]|`` in Python integers (never overflows):
    exact for a dense array; ``max|w| * (the most entries of a row)`` for a CSR one."""
    if _is_sparse(w):
        largest = int(np.abs(w.data.astype(object)).max(initial=0))
        return largest * int(np.diff(w.indptr).max(initial=0))
    return int(np.abs(w.astype(object)).sum(axis=1).max(initial=0))


def _read_csr(arrays: Any, key: str, source: str) -> Any:
    """The CSR matrix saved under ``key_data``, ``key_indices``, ``key_indptr``, ``key_shape``,
    checked (index ranges, monotone row pointers) before use."""
    data = np.asarray(arrays[f"{key}_data"])
    indices = np.asarray(arrays[f"{key}_indices"])
    indptr = np.asarray(arrays[f"{key}_indptr"])
    shape = np.asarray(arrays[f"{key}_shape"])
    if shape.shape != (2,) or shape.dtype.kind not in "iu" or np.any(shape < 0):
        raise ProblemFileError(f"{source}: '{key}_shape' must be two non-negative integers")
    if indices.ndim != 1 or indptr.ndim != 1 or data.ndim != 1 or not (
            indices.dtype.kind in "iu" and indptr.dtype.kind in "iu"):
        raise ProblemFileError(f"{source}: '{key}' is not a valid CSR matrix (1-D integer "
                               "indices and row pointers, 1-D data)")
    rows, cols = int(shape[0]), int(shape[1])
    if (indptr.shape != (rows + 1,) or (indptr.size and (indptr[0] != 0
            or indptr[-1] != data.size or np.any(np.diff(indptr) < 0)))
            or indices.shape != data.shape
            or (indices.size and (indices.min() < 0 or indices.max() >= cols))):
        raise ProblemFileError(f"{source}: '{key}' is not a valid CSR matrix of shape "
                               f"({rows}, {cols}) (row pointers or column indices out of range)")
    return sp.csr_array((data, indices.astype(np.int64), indptr.astype(np.int64)),
                        shape=(rows, cols))


def _exact_matrix(array: npt.NDArray[Any]) -> list[list[Exact]]:
    rows: list[list[object]] = array.tolist()
    return [[_to_exact(v, "weight") for v in row] for row in rows]
