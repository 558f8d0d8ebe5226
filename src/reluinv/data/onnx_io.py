"""ONNX in and out: feed-forward ReLU networks as ``.onnx`` files.

:func:`read_onnx` turns a feed-forward ONNX graph into a
:class:`~reluinv.data.network.ReluNetwork`; :func:`write_onnx` writes one back as a model
that onnxruntime runs. PyTorch users get their generator in with ``torch.onnx.export``
(an ``nn.Sequential`` of ``nn.Linear``, ``nn.ReLU`` / ``nn.LeakyReLU``, ``nn.Flatten``,
``nn.BatchNorm1d`` in eval mode, and input scaling by constants exports as the ops
below); so do the VNN-COMP ACAS Xu networks (``Flatten``, ``Sub``, ``MatMul``, ``Add``,
``Relu``).

**What is read.** The graph must be one chain from its single input to its single output,
each node consuming the previous node's output (the latent ``z``, a row vector of shape
``(1, k)``, ``(N, k)`` with a symbolic batch or ``(k,)``); weights come from float32 or
float64 initializers (or ``Constant`` nodes) and are kept exactly, as float64. The ops:

``Gemm``  ``Y = alpha A' B' + beta C`` with ``A' = A`` or ``A^T`` (``transA``) and
    ``B' = B`` or ``B^T`` (``transB``): on a vector ``a`` this is the affine map
    ``W a + b`` with ``W = alpha B'^T`` and ``b = beta C`` (``C`` broadcast, default 0).
``MatMul``  ``a B``: ``W = B^T``, ``b = 0`` (or ``B a`` when the weight is the first
    input: ``W = B``); an ``Add`` after it is its bias (below).
``Add``, ``Sub``, ``Mul``, ``Div``, ``Neg``, ``BatchNormalization``  elementwise affine
    maps ``a -> d * a + c`` with constants of one entry or one per entry of the vector:
    ``a + c`` and ``c + a``; ``a - c``; ``c - a`` (``d = -1``); ``a * d`` and ``d * a``;
    ``a / d`` (a constant divisor, no zero entry); ``-a``; and ``BatchNormalization`` in
    its inference form (``training_mode = 0``): ``y = scale (a - mean) / sqrt(var + eps)
    + B``, one value per channel (axis 1). Every constant must be finite. Such a map is
    folded into the affine map next to it: after a ``Gemm`` / ``MatMul`` into that map
    (``diag(d) W``, ``d * b + c``; so ``Add`` gives the bias), before one (at the input or
    right after an activation) into the next (``W2 diag(d)``, ``W2 c + b2``). Elementwise
    maps with no ``Gemm`` / ``MatMul`` between two activations (or at either end) form a
    layer of their own, ``diag(d) a + c``.
``Relu``, ``LeakyRelu(alpha)``  the hidden activation ``s`` closing a layer. Every layer
    must use the same one; a graph that ends with an affine map (elementwise maps
    included) has a linear head (``output_activation="linear"``).
``Flatten``, ``Reshape`` (of a vector: at most one target dimension other than 1, the
    shape a constant), ``Identity``  no-ops on a vector.

**Shapes.** The network read must be what onnxruntime computes, so every tensor's shape is
followed through the chain in ONNX's (numpy's) broadcasting semantics, for a batch of one
(a symbolic input dimension is the batch, or the vector's length when no fixed dimension
is), and every tensor must stay a vector: at most one dimension other than 1, its entries
in order. ``Flatten`` of ``(k,)`` is the column ``(k, 1)``; ``Gemm`` reads a 2-D row
(``(1, k)``, or ``(k, 1)`` with ``transA``); ``MatMul`` reads the vector along the axis it
contracts (a row for ``a B``, a column for ``B a``); the constant of ``Add``, ``Sub``,
``Mul``, ``Div`` must not spread the vector into a matrix (``(1, n) + (n, 1)`` is
``(n, n)`` in onnxruntime); ``BatchNormalization`` reads a tensor of rank 2 or more, its
four constants of shape ``(C,)`` for the ``C = shape[1]`` channels (one value for all
entries of ``(1, 1, 1, n)``, one per entry of ``(1, n)``).

**Exactness.** The network read holds the file's weights exactly (float32 -> float64 is
exact) when no elementwise map is folded: ``Gemm`` (with ``alpha = beta = 1``),
``MatMul``, an ``Add`` of a bias to a map without one. Folding computes in float64 and
rounds: ``diag(d) W`` and ``d * b`` are one rounding per entry (none when ``d`` and the
weight are float32 values, whose product has at most 48 significant bits and fits a
float64, nor for ``-a``); a sum ``b + c`` of two float32 values is exact when their
magnitudes are within ``2**28`` of each other, else rounded once; ``a / d`` is one
correctly rounded quotient per entry; ``W2 c`` (a map before a layer, folded into its
bias) is a sum of products and ``BatchNormalization``'s factor ``scale / sqrt(var + eps)``
takes a square root and a quotient, each rounded: relative errors of a few ``2**-53``
per fold. The file itself, run in float32, rounds *between* the ops, which folding
removes; that rounding is usually of float32's ``2**-24``, but a chain that cancels
(``+1e8`` then ``-1e8``), overflows or underflows in float32 computes another network
than the folded one. So a float32 graph with an elementwise map folded is run in
onnxruntime at :data:`FOLD_CHECK_POINTS` seeded standard normal inputs and refused when its
outputs differ from the network read by more than :data:`FOLD_TOLERANCE` ``* (1 + m)``
(``m`` a bound on the outputs' magnitude, :func:`output_magnitude`), or when onnxruntime
cannot run it. :func:`reluinv.verify` replays the caller's file in onnxruntime before it
answers (and a ``sat`` answer's point again), on every file that onnxruntime implements:
the ONNX standard defines ``LeakyRelu`` on doubles from opset 6, onnxruntime (1.32) only
from opset 16, so a float64 leaky graph of an older opset is read here and verified with
that comparison skipped (the result says why). Both comparisons are
:func:`runtime_mismatch`.

Anything else is refused with one line naming the file, the node and its op type: other
ops (``Conv``, ``Sigmoid``, ...), a branch (a tensor consumed twice), a second graph
input, a node off the chain, two ``Gemm`` / ``MatMul`` without an activation between
them, an activation without an affine map before it, a non-vector reshape, a shape that
is not a vector flow (``node 3 'Add_3' (Add): the bias of shape (4, 1) broadcasts the
vector of shape (1, 4) to a matrix of shape (4, 4); ...``), a missing weight initializer,
integer initializers, a division by the layer input (``Div(d, a)``), a zero divisor, a
non-finite constant, ``BatchNormalization`` with ``training_mode = 1`` or ``var + eps <=
0``.

**What is written.** One ``Gemm`` (``transB = 1``, the weight stored as ``W_i`` with rows
as outputs, as everywhere in reluinv) per layer, followed by ``Relu`` or ``LeakyRelu``
except after a linear head's last layer; initializers in float64 (exact) or float32
(``dtype="float32"``, rounded). The model's ``metadata_props`` carry the provenance
(``reluinv.*`` keys: version, activation, the slope as a decimal float64, integer
weights) and the caller's metadata, JSON-encoded. Reading a file reluinv wrote gives back
the same network exactly: the float64 slope from the metadata and integer weights as
``int64``. An ONNX ``alpha`` is a float32, so onnxruntime runs a leaky layer with the
slope rounded to float32 (relative difference below ``2**-24`` on negative inputs).

Neither ``onnx`` nor ``onnxruntime`` is needed to import reluinv: they are imported here
on first use (``pip install 'reluinv[onnx]'``); without them the call raises
:class:`MissingDependencyError`.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from reluinv._version import __version__
from reluinv.arguments import check_choice
from reluinv.data.network import ActivationSpec, OutputActivation, ReluNetwork
from reluinv.errors import InvalidArgumentError, InvalidTypeError, ProblemFileError, ReluinvError

__all__ = [
    "FOLD_CHECK_POINTS",
    "FOLD_TOLERANCE",
    "ONNX_GZ_MAX_BYTES",
    "ONNX_OPSET",
    "MissingDependencyError",
    "onnx_metadata",
    "onnxruntime_session",
    "output_magnitude",
    "read_model_bytes",
    "read_onnx",
    "runtime_mismatch",
    "write_onnx",
]

#: The most bytes a gzip-compressed model (``.onnx.gz``) is decompressed to: 2 GiB, the
#: largest message protobuf parses, so no ONNX model is larger (weights stored as external
#: data aside). A file that decompresses to more (a decompression bomb) is refused once that
#: much is read, before memory fills.
ONNX_GZ_MAX_BYTES = 2**31
#: Decompression proceeds in chunks of this many bytes (never one allocation of the cap).
_GZ_CHUNK = 2**20

#: The default ONNX operator set of written models (Gemm 13, Relu 14, LeakyRelu 16).
ONNX_OPSET = 17
#: The IR version written (the oldest that opset 17 allows: readable by older runtimes).
ONNX_IR_VERSION = 8
_PREFIX = "reluinv."
_AFFINE_OPS = ("Gemm", "MatMul")
_ACTIVATION_OPS = ("Relu", "LeakyRelu")
_NO_OPS = ("Flatten", "Reshape", "Identity")
_ELEMENTWISE_OPS = ("Add", "Sub", "Mul", "Div", "Neg", "BatchNormalization")
_BINARY_OPS = ("Add", "Sub", "Mul", "Div")
SUPPORTED_OPS: tuple[str, ...] = (*_AFFINE_OPS, *_ELEMENTWISE_OPS, *_ACTIVATION_OPS, *_NO_OPS)


class MissingDependencyError(ReluinvError, ImportError):
    """An optional package (``onnx``) is needed for this call and is not installed."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise MissingDependencyError(
            "reading and writing ONNX needs the 'onnx' package: pip install 'reluinv[onnx]'"
        ) from exc
    return onnx


@dataclass
class _Affine:
    """An affine map ``W a + b`` being assembled between two activations.

    ``W`` is a matrix once a ``Gemm`` / ``MatMul`` has been read; before that (elementwise
    maps only) it is the diagonal of ``diag(W)``, a vector of one entry (the same factor
    for every entry of a vector whose length is not known yet) or of the vector's length,
    and ``b`` is likewise one entry or as many."""

    W: npt.NDArray[np.float64]
    b: npt.NDArray[np.float64]
    node: str

    @property
    def diagonal(self) -> bool:
        return self.W.ndim == 1


@dataclass
class _Chain:
    weights: list[npt.NDArray[np.float64]] = field(default_factory=list)
    biases: list[npt.NDArray[np.float64]] = field(default_factory=list)
    activations: list[tuple[str, ActivationSpec]] = field(default_factory=list)
    pending: _Affine | None = None
    #: the length of the vector flowing through the chain, where it is known
    width: int | None = None


def _node_name(node: Any, index: int) -> str:
    return f"node {index} '{node.name}'" if node.name else f"node {index}"


def _attributes(onnx: Any, node: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def read_model_bytes(path: str | os.PathLike[str], *,
                     max_bytes: int = ONNX_GZ_MAX_BYTES) -> bytes:
    """The bytes of the model file ``path``; a ``.gz`` file is decompressed in memory, at
    most ``max_bytes`` (:data:`ONNX_GZ_MAX_BYTES`) of it.

    Raises :class:`~reluinv.errors.ProblemFileError` naming the file for a ``.gz`` file
    that is not gzip data, is truncated, or decompresses to more than ``max_bytes``;
    ``OSError`` when it is missing or cannot be read.
    """
    source = os.fspath(path)
    if not source.lower().endswith(".gz"):
        with open(source, "rb") as handle:
            return handle.read()
    chunks: list[bytes] = []
    total = 0
    try:
        with gzip.open(source, "rb") as stream:
            while chunk := stream.read(_GZ_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise ProblemFileError(
                        f"{source}: decompresses to more than {max_bytes} bytes "
                        f"(ONNX_GZ_MAX_BYTES = {ONNX_GZ_MAX_BYTES}, the largest protobuf "
                        "message), so it is not an ONNX model")
                chunks.append(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ProblemFileError(f"{source}: cannot be decompressed as gzip: {exc}") from None
    return b"".join(chunks)


def read_onnx(path: str | os.PathLike[str]) -> ReluNetwork:
    """The :class:`~reluinv.data.network.ReluNetwork` of a feed-forward ONNX graph.

    See the module docstring for the ops read and the refusals. A ``.gz`` file (``.onnx.gz``)
    is decompressed in memory first (:func:`read_model_bytes`).

    Raises
    ------
    ProblemFileError
        The file is not an ONNX model, or its graph is not one the network can hold
        exactly; the one-line message names the file, the node and its op type.
    MissingDependencyError
        The ``onnx`` package is not installed.
    OSError
        The file is missing or cannot be read.
    """
    onnx = _onnx()
    if not isinstance(path, str | os.PathLike):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    source = os.fspath(path)
    data = read_model_bytes(source)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises its own DecodeError
        raise ProblemFileError(f"{source}: not an ONNX model: {exc}") from exc
    graph = model.graph
    if not graph.node:
        raise ProblemFileError(f"{source}: not an ONNX model with a graph (no nodes)")
    meta = {p.key: p.value for p in model.metadata_props}
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite folds are refused
        return _read_graph(onnx, graph, source, meta)


def _tensor(onnx: Any, tensor: Any, source: str, what: str) -> npt.NDArray[Any]:
    """An initializer or constant as an array; a tensor stored in an external data file is
    read from beside the model (never from the working directory), and one that cannot be
    read is refused in one line."""
    try:
        return np.asarray(onnx.numpy_helper.to_array(
            tensor, base_dir=os.path.dirname(os.path.abspath(source))))
    except Exception as exc:  # onnx raises ValidationError, OSError, ValueError, ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProblemFileError(f"{source}: {what} '{tensor.name}' cannot be read: "
                               f"{reason}") from None


def _constants(onnx: Any, graph: Any, source: str) -> dict[str, npt.NDArray[Any]]:
    values: dict[str, npt.NDArray[Any]] = {}
    for tensor in graph.initializer:
        values[tensor.name] = _tensor(onnx, tensor, source, "initializer")
    for index, node in enumerate(graph.node):
        if node.op_type == "Constant":
            attrs = _attributes(onnx, node)
            if "value" not in attrs:
                raise ProblemFileError(f"{source}: {_node_name(node, index)} (Constant) has "
                                       "no tensor 'value'; only tensor constants are read")
            values[node.output[0]] = _tensor(onnx, attrs["value"], source, "constant")
    return values


def _float_weight(value: npt.NDArray[Any], what: str, where: str) -> npt.NDArray[np.float64]:
    if value.dtype not in (np.float32, np.float64):
        raise ProblemFileError(f"{where}: {what} has dtype {value.dtype}; only float32 and "
                               "float64 initializers are read")
    if value.size == 0:
        raise ProblemFileError(f"{where}: {what} has shape {value.shape}, no entries")
    return np.asarray(value, dtype=np.float64)  # float32 -> float64 is exact


#: The ops whose constant operands onnxruntime requires of the input's element type.
_SAME_TYPE_OPS = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div")


def _check_node_types(node: Any, where: str, constants: dict[str, npt.NDArray[Any]],
                      dtype: Any) -> None:
    """Refuse what onnxruntime would refuse to load, so that no command reads a network
    that the file does not compute: an op outside ONNX's own domain (a custom ``Relu`` may
    compute anything), and a weight of another element type than the input (float64
    weights on a float32 input)."""
    if node.domain not in ("", "ai.onnx"):
        raise ProblemFileError(f"{where} belongs to the operator domain '{node.domain}'; "
                               "only ONNX's own operators are read")
    if node.op_type not in _SAME_TYPE_OPS:
        return
    for name in node.input:
        value = constants.get(name)
        if value is not None and value.dtype in (np.float32, np.float64) and (
                value.dtype != dtype):  # other dtypes: refused by _float_weight
            raise ProblemFileError(f"{where}: '{name}' has dtype {value.dtype} but the input "
                                   f"is {np.dtype(dtype)}; ONNX requires one element type")


def _read_graph(onnx: Any, graph: Any, source: str, meta: dict[str, str]) -> ReluNetwork:
    constants = _constants(onnx, graph, source)
    inputs = [v for v in graph.input if v.name not in constants]
    if not inputs:
        raise ProblemFileError(f"{source}: every graph input is also an initializer: the "
                               "graph has no latent input z")
    if len(inputs) != 1:
        names = ", ".join(repr(v.name) for v in inputs)
        raise ProblemFileError(f"{source}: the graph must have one input (the latent z), "
                               f"got {len(inputs)}: {names}")
    if len(graph.output) != 1:
        raise ProblemFileError(f"{source}: the graph must have one output, "
                               f"got {len(graph.output)}")
    _check_vector_input(inputs[0], source)
    elem = inputs[0].type.tensor_type.elem_type
    dtypes = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64}
    if elem not in dtypes:
        name = onnx.TensorProto.DataType.Name(elem) if elem else "undefined"
        raise ProblemFileError(f"{source}: the input '{inputs[0].name}' has element type "
                               f"{name}; a float32 or float64 input is read")
    nodes = [(i, n) for i, n in enumerate(graph.node) if n.op_type != "Constant"]
    consumers: dict[str, list[tuple[int, Any]]] = {}
    for index, node in nodes:
        for name in node.input:
            if name and name not in constants:
                consumers.setdefault(name, []).append((index, node))
    produced = {name for _, node in nodes for name in node.output} | {
        v.name for v in graph.input}
    current = inputs[0].name
    chain = _Chain(width=_input_width(inputs[0]))
    visited: list[tuple[int, Any]] = []
    while True:
        users = consumers.get(current, [])
        if len(users) > 1:
            index, node = users[1]
            raise ProblemFileError(
                f"{source}: {_node_name(node, index)} ({node.op_type}) reads tensor "
                f"'{current}' a second time: a branch; only a single chain is read")
        if not users:
            break
        index, node = users[0]
        where = f"{source}: {_node_name(node, index)} ({node.op_type})"
        live = [name for name in node.input if name and name not in constants]
        missing = [name for name in live if name != current and name not in produced]
        if missing:
            raise ProblemFileError(f"{where} reads '{missing[0]}', which no initializer, "
                                   "Constant node or other node provides: a missing "
                                   "initializer")
        if len(live) != 1:
            raise ProblemFileError(f"{where} has {len(live)} non-constant inputs; each node "
                                   "must read only the previous node's output")
        if len(node.output) != 1:
            raise ProblemFileError(f"{where} has {len(node.output)} outputs; one is read")
        _check_node_types(node, where, constants, dtypes[elem])
        _apply(onnx, node, chain, constants, where)
        visited.append((index, node))
        current = node.output[0]
    if current != graph.output[0].name:
        raise ProblemFileError(f"{source}: the chain from the input ends at tensor "
                               f"'{current}', not at the graph output "
                               f"'{graph.output[0].name}'")
    if len(visited) != len(nodes):
        on_chain = _chain_indices(consumers, inputs[0].name)
        index, node = next((i, n) for i, n in nodes if i not in on_chain)
        raise ProblemFileError(f"{source}: {_node_name(node, index)} ({node.op_type}) is off "
                               "the chain from input to output; only a single chain is read")
    output_activation: OutputActivation = "hidden"
    if chain.pending is not None:
        _close_layer(chain, f"{source}: the graph's output")
        output_activation = "linear"
    if not chain.weights:
        raise ProblemFileError(f"{source}: the graph has no Gemm, MatMul or elementwise "
                               "affine map: no layer to read")
    activation = _hidden_activation(chain, source, meta)
    weights: list[npt.NDArray[Any]] = list(chain.weights)
    biases: list[npt.NDArray[Any]] = list(chain.biases)
    if meta.get(f"{_PREFIX}integer_weights") == "true" and all(
            np.all(a == np.round(a)) and np.all(np.abs(a) < 2.0**53) for a in weights + biases):
        weights = [a.astype(np.int64) for a in weights]
        biases = [a.astype(np.int64) for a in biases]
    try:
        network = ReluNetwork(weights, biases, activation, output_activation=output_activation)
    except ReluinvError as exc:
        raise ProblemFileError(f"{source}: {exc}") from exc
    shape = _input_shape(inputs[0], network.latent_dim, source)
    for index, node in visited:
        where = f"{source}: {_node_name(node, index)} ({node.op_type})"
        shape = _shape_after(onnx, node, shape, constants, where)
    if int(np.prod(shape)) != network.output_dim:  # cannot happen after the rules above
        raise ProblemFileError(f"{source}: the graph computes a tensor of shape {shape}, "
                               f"not the {network.output_dim} outputs read")
    if dtypes[elem] is np.float32 and _folds_rounding(visited):
        _check_against_onnxruntime(network, source, _input_shape(
            inputs[0], network.latent_dim, source))
    return network


#: Elementwise ops whose folding can change a float32 graph's value beyond rounding
#: (module docstring, *Exactness*); an ``Add`` right after a Gemm or MatMul is a bias.
_FOLDED_OPS = ("Sub", "Mul", "Div", "Neg", "BatchNormalization")
#: Points of the float32 check (:func:`_check_against_onnxruntime`) and its tolerance,
#: ``FOLD_TOLERANCE * (1 + m)`` with ``m`` a bound on the outputs' magnitude.
FOLD_CHECK_POINTS = 4
FOLD_TOLERANCE = 1e-4


def _folds_rounding(visited: list[tuple[int, Any]]) -> bool:
    after_affine = False
    for _, node in visited:
        if node.op_type in _FOLDED_OPS or (node.op_type == "Add" and not after_affine):
            return True
        after_affine = node.op_type in _AFFINE_OPS
    return False


def output_magnitude(network: ReluNetwork, x: npt.NDArray[np.float64]) -> float:
    """``max_j m_j`` with ``m = |W_d| (... (|W_1| |x| + |b_1|) ...) + |b_d|``: a bound on
    every output at ``x``, and the scale of float32's rounding errors in computing them."""
    m = np.abs(x)
    for w, b in zip(network.weights, network.biases, strict=True):
        m = np.asarray(abs(w) @ m, dtype=np.float64).ravel() + np.abs(np.asarray(b, float))
    return float(np.max(m, initial=0.0))


def onnxruntime_session(source: str | bytes) -> Any:
    """A single-threaded CPU onnxruntime session of the model file ``source`` (or of a
    model's bytes; raises onnxruntime's own errors)."""
    import onnxruntime  # type: ignore[import-untyped]

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def runtime_mismatch(network: ReluNetwork,
                     run: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
                     points: Iterable[npt.NDArray[np.float64]], tolerance: float
                     ) -> str | None:
    """Whether an onnxruntime model computes ``network``: at each point ``x`` (float64
    values, float32-representable) its outputs ``run(x)`` must be as many as the
    network's and within ``tolerance * (1 + m)`` of ``network.forward(x)``, ``m`` the
    bound :func:`output_magnitude` on the outputs (the scale of float32's rounding).
    ``None`` when they are; else why not, as a clause of a message.

    >>> net = ReluNetwork([[[2.0]]])
    >>> runtime_mismatch(net, lambda x: 2 * x, [np.array([1.0])], 1e-4) is None
    True
    >>> runtime_mismatch(net, lambda x: 3 * x, [np.array([1.0])], 1e-4)
    "onnxruntime's outputs differ from the network read by 1 (more than 0.0003)"
    """
    for x in points:
        with np.errstate(all="ignore"):
            observed = np.asarray(run(x), dtype=np.float64).ravel()
            if observed.size != network.output_dim:
                return (f"onnxruntime computes {observed.size} outputs, the network read "
                        f"has {network.output_dim}")
            gap = float(np.max(np.abs(observed - network.forward(x)), initial=0.0))
        bound = tolerance * (1.0 + output_magnitude(network, x))
        if not gap <= bound:
            return (f"onnxruntime's outputs differ from the network read by {gap:.3g} "
                    f"(more than {bound:.3g})")
    return None


def _check_against_onnxruntime(network: ReluNetwork, source: str,
                               shape: tuple[int, ...]) -> None:
    """A float32 graph whose elementwise maps were folded is run in onnxruntime at
    :data:`FOLD_CHECK_POINTS` seeded standard normal inputs, and refused when it computes
    another network than the one read: folding removes the float32 rounding between the
    ops, which changes the value when it cancels (``+1e8`` then ``-1e8``), overflows or
    underflows in float32."""
    rng = np.random.default_rng(0)
    points = [rng.standard_normal(network.latent_dim).astype(np.float32).astype(np.float64)
              for _ in range(FOLD_CHECK_POINTS)]
    try:
        session = onnxruntime_session(source)
        name = session.get_inputs()[0].name

        def run(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            feed = x.astype(np.float32).reshape(shape)
            return np.asarray(session.run(None, {name: feed})[0], dtype=np.float64)

        mismatch = runtime_mismatch(network, run, points, FOLD_TOLERANCE)
    except Exception as exc:  # onnxruntime raises its own pybind11 classes
        text = str(exc).strip().splitlines()
        raise ProblemFileError(f"{source}: onnxruntime cannot run the model: "
                               f"{text[0] if text else type(exc).__name__}") from None
    if mismatch is not None:
        raise ProblemFileError(
            f"{source}: the float32 graph computes other values than its folded network "
            f"({mismatch}, at a standard normal input): its elementwise maps cancel, "
            "overflow or underflow in float32")


def _chain_indices(consumers: dict[str, list[tuple[int, Any]]], start: str) -> set[int]:
    seen: set[int] = set()
    current = start
    while consumers.get(current):
        index, node = consumers[current][0]
        seen.add(index)
        current = node.output[0]
    return seen


def _input_width(value: Any) -> int | None:
    """The number of entries of the latent code, where the input's shape fixes it (the
    symbolic batch counts as 1); ``None`` when the vector's own length is symbolic."""
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    fixed = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    if None in fixed and all(d in (None, 1) for d in fixed):
        return None
    return int(np.prod([d for d in fixed if d is not None]))


def _check_vector_input(value: Any, source: str) -> None:
    dims = value.type.tensor_type.shape.dim
    sized = [d.dim_value for d in dims if d.HasField("dim_value")]
    if len([v for v in sized if v != 1]) > 1:
        shape = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in dims]
        raise ProblemFileError(f"{source}: the input '{value.name}' has shape {shape}; the "
                               "latent code must be a vector ((k,), (1, k) or (N, k))")


_VECTOR_RULE = "reluinv reads networks whose every layer maps a vector to a vector"
#: What a vector is, in the messages about shapes.
_VECTOR_SHAPES = "at most one axis longer than 1, such as (n,), (1, n) or (1, n, 1)"


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(int(d) for d in shape))


def _is_vector(shape: tuple[int, ...]) -> bool:
    return sum(d != 1 for d in shape) <= 1


def _input_shape(value: Any, k: int, source: str) -> tuple[int, ...]:
    """The shape onnxruntime gives the latent code ``z`` of ``k`` entries in a batch of one:
    a symbolic dimension is the batch (1), or the vector's own when no fixed one is."""
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        raise ProblemFileError(f"{source}: the input '{value.name}' has no shape; the "
                               "latent code must be a vector ((k,), (1, k) or (N, k))")
    dims = list(tensor.shape.dim)
    fixed = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    shape = [1 if d is None else d for d in fixed]
    if k != 1 and all(d in (None, 1) for d in fixed) and None in fixed:
        last = max(i for i, d in enumerate(fixed) if d is None)
        shape[last] = k  # the vector's length is symbolic too
    if int(np.prod(shape)) != k:
        raise ProblemFileError(f"{source}: the input '{value.name}' has shape "
                               f"{_shape_text(tuple(shape))}, but the first layer reads "
                               f"{k} entries")
    return tuple(shape)


def _shape_after(onnx: Any, node: Any, shape: tuple[int, ...],
                 constants: dict[str, npt.NDArray[Any]], where: str) -> tuple[int, ...]:
    """The shape of ``node``'s output in ONNX's (numpy's) broadcasting semantics, given the
    shape of the vector it reads; refused in one line where that is not a vector laid out
    as the network read it."""
    op = node.op_type
    attrs = _attributes(onnx, node)
    given = {i: constants[name] for i, name in enumerate(node.input) if name in constants}
    if op == "Gemm":
        if len(shape) != 2:
            raise ProblemFileError(f"{where}: Gemm reads a matrix, but its input has shape "
                                   f"{_shape_text(shape)}")
        rows = shape[1] if attrs.get("transA", 0) else shape[0]
        B = given[1]
        outputs = B.shape[0] if attrs.get("transB", 0) else B.shape[1]
        if rows != 1:
            raise ProblemFileError(f"{where}: the input of shape {_shape_text(shape)} is "
                                   f"read as {rows} rows; {_VECTOR_RULE}")
        out: tuple[int, ...] = (1, int(outputs))
        if 2 in given:
            _bias_broadcast(given[2].shape, out, where, "C")
        return out
    if op == "MatMul":
        index = next(iter(given))
        B = given[index]
        if index == 1:  # a B: the vector is the last axis
            if len(shape) == 1:
                return (int(B.shape[1]),)
            if int(np.prod(shape[:-1])) != 1:
                raise ProblemFileError(f"{where}: the input of shape {_shape_text(shape)} "
                                       f"is read as {int(np.prod(shape[:-1]))} rows; "
                                       f"{_VECTOR_RULE}")
            return (*shape[:-1], int(B.shape[1]))
        if len(shape) == 1:  # B a: the vector is the second-to-last axis (a column)
            return (int(B.shape[0]),)
        if shape[-1] != 1 or int(np.prod(shape[:-2])) != 1:
            raise ProblemFileError(f"{where}: the input of shape {_shape_text(shape)} is "
                                   f"read as {shape[-1]} columns; {_VECTOR_RULE}")
        return (*shape[:-2], int(B.shape[0]), 1)
    if op in _BINARY_OPS:
        (_, value), = given.items()
        name = "the bias" if op == "Add" else "the constant"
        return _bias_broadcast(value.shape, shape, where, name, grow=True)
    if op == "BatchNormalization":
        if len(shape) < 2:
            raise ProblemFileError(f"{where}: BatchNormalization reads a tensor (N, C, ...), "
                                   f"but its input has shape {_shape_text(shape)}")
        for index, name in enumerate(_BATCHNORM_INPUTS, start=1):
            if tuple(given[index].shape) != (shape[1],):
                raise ProblemFileError(
                    f"{where}: {name} has shape {_shape_text(given[index].shape)}, not "
                    f"({shape[1]},): one value per channel (axis 1) of the input of shape "
                    f"{_shape_text(shape)}")
        return shape
    if op == "Flatten":
        axis = int(attrs.get("axis", 1))
        axis = axis + len(shape) if axis < 0 else axis
        if not 0 <= axis <= len(shape):
            raise ProblemFileError(f"{where}: axis {attrs.get('axis', 1)} is out of range "
                                   f"for the input of shape {_shape_text(shape)}")
        return (int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))
    if op == "Reshape":
        return _reshaped(shape, given[1], bool(attrs.get("allowzero", 0)), where)
    return shape  # Relu, LeakyRelu, Identity, Neg


def _bias_broadcast(bias: tuple[int, ...], shape: tuple[int, ...], where: str,
                    name: str, *, grow: bool = False) -> tuple[int, ...]:
    """The shape of ``vector + bias`` (numpy broadcasting), refused unless it holds the
    vector's entries in their order: ``shape`` itself, or with ``grow`` (``Add``; Gemm's
    ``C`` broadcasts one way only) a vector of as many entries (``(n,) + (1, n)``)."""
    try:
        result = np.broadcast_shapes(tuple(shape), tuple(bias))
    except ValueError:
        raise ProblemFileError(f"{where}: {name} of shape {_shape_text(bias)} does not "
                               f"broadcast to the vector of shape {_shape_text(shape)}"
                               ) from None
    same = result == tuple(shape) or (
        grow and _is_vector(result) and int(np.prod(result)) == int(np.prod(shape)))
    if not same:
        kind = "a tensor" if _is_vector(result) else "a matrix"
        raise ProblemFileError(f"{where}: {name} of shape {_shape_text(bias)} broadcasts "
                               f"the vector of shape {_shape_text(shape)} to {kind} of "
                               f"shape {_shape_text(result)}; {_VECTOR_RULE}")
    return tuple(int(d) for d in result)


def _reshaped(shape: tuple[int, ...], target: npt.NDArray[Any], allowzero: bool,
              where: str) -> tuple[int, ...]:
    """ONNX ``Reshape``: ``0`` copies the input's dimension (unless ``allowzero``), one
    ``-1`` takes what is left."""
    wanted = [int(v) for v in np.asarray(target).ravel()]
    dims = [shape[i] if v == 0 and not allowzero and i < len(shape) else v
            for i, v in enumerate(wanted)]
    total = int(np.prod(shape))
    known = int(np.prod([d for d in dims if d != -1]))
    if dims.count(-1) > 1 or any(d < -1 for d in dims) or (
            -1 in dims and (known == 0 or total % known)) or (
            -1 not in dims and known != total):
        raise ProblemFileError(f"{where}: cannot reshape the input of shape "
                               f"{_shape_text(shape)} to {_shape_text(tuple(wanted))}")
    out = tuple(total // known if d == -1 else d for d in dims)
    if not _is_vector(out):
        longer = sum(d != 1 for d in out)
        raise ProblemFileError(f"{where} reshapes the vector of shape {_shape_text(shape)} "
                               f"to {_shape_text(out)}, a tensor with {longer} axes longer "
                               f"than 1; {_VECTOR_RULE} ({_VECTOR_SHAPES})")
    return out


def _bias(value: npt.NDArray[np.float64], rows: int, where: str) -> npt.NDArray[np.float64]:
    if value.size == 1:
        return np.full(rows, float(value.ravel()[0]))
    if value.size != rows or sum(d != 1 for d in value.shape) > 1:
        raise ProblemFileError(f"{where}: the bias has shape {value.shape}, not one entry "
                               f"or ({rows},)")
    return value.reshape(-1)


def _apply(onnx: Any, node: Any, chain: _Chain, constants: dict[str, npt.NDArray[Any]],
           where: str) -> None:
    op = node.op_type
    attrs = _attributes(onnx, node)
    if op not in SUPPORTED_OPS:
        raise ProblemFileError(f"{where} is not supported; a ReLU network is read from "
                               f"{', '.join(SUPPORTED_OPS)}")
    given = {i: constants[name] for i, name in enumerate(node.input) if name in constants}
    if op in _AFFINE_OPS:
        affine = _affine(node, attrs, given, where)
        pending = chain.pending
        if pending is not None and not pending.diagonal:
            raise ProblemFileError(f"{where} follows {pending.node} with no activation "
                                   "between them; two affine maps are not merged")
        if pending is not None:  # W2 (d a + c) + b2 = (W2 diag(d)) a + (W2 c + b2)
            columns = affine.W.shape[1]
            if max(pending.W.size, pending.b.size) not in (1, columns):
                raise ProblemFileError(
                    f"{where} reads {columns} entries, but {pending.node} before it maps "
                    f"{max(pending.W.size, pending.b.size)}")
            affine.b = affine.b + affine.W @ np.broadcast_to(pending.b, (columns,))
            affine.W = affine.W * pending.W[None, :]
        chain.pending = affine
        chain.width = affine.W.shape[0]
    elif op in _ELEMENTWISE_OPS:
        if chain.pending is None:  # the identity map, diagonal, of a length yet unknown
            chain.pending = _Affine(np.ones(1), np.zeros(1), where)
        _elementwise(op, attrs, given, chain, where)
    elif op in _ACTIVATION_OPS:
        if chain.pending is None:
            raise ProblemFileError(f"{where} has no Gemm, MatMul or elementwise affine map "
                                   "before it; every activation must close an affine layer")
        spec: ActivationSpec = "relu"
        if op == "LeakyRelu":
            # ONNX's default alpha is the float32 0.01 (what onnxruntime runs), not 0.01
            spec = ("leaky_relu", float(attrs.get("alpha", np.float32(0.01))))
        _close_layer(chain, where)
        chain.activations.append((where, spec))
    elif op == "Reshape" and 1 not in given:
        raise ProblemFileError(f"{where}: the target shape must be a constant")
    # Flatten, Identity and Reshape leave the vector's entries as they are; whether the
    # shapes stay vectors is checked by _shape_after once the network is read


_BATCHNORM_INPUTS = ("scale", "B", "input_mean", "input_var")


def _close_layer(chain: _Chain, where: str) -> None:
    """Append the pending affine map as a layer; a diagonal one becomes ``diag(d)``."""
    pending = chain.pending
    assert pending is not None
    W, b = pending.W, pending.b
    if pending.diagonal:
        width = chain.width if chain.width is not None else max(W.size, b.size)
        if width == 1 and chain.width is None:
            raise ProblemFileError(f"{where}: the elementwise map from {pending.node} is "
                                   "the layer, but the length of the vector it maps is not "
                                   "known (a symbolic input and one-entry constants)")
        W = np.diag(np.broadcast_to(W, (width,)))
        b = np.array(np.broadcast_to(b, (width,)))
    chain.weights.append(W)
    chain.biases.append(b)
    chain.pending = None
    chain.width = W.shape[0]


def _elementwise(op: str, attrs: dict[str, Any], given: dict[int, npt.NDArray[Any]],
                 chain: _Chain, where: str) -> None:
    """Compose the diagonal affine map ``a -> d * a + c`` of an elementwise op into the
    pending map ``W a + b``: ``diag(d) W`` (rows scaled) and ``d * b + c``."""
    pending = chain.pending
    assert pending is not None
    width = pending.W.shape[0] if not pending.diagonal else chain.width

    def constant(index: int, what: str) -> npt.NDArray[np.float64]:
        nonlocal width
        value = _float_weight(given[index], what, where)
        if not np.all(np.isfinite(value)):
            raise ProblemFileError(f"{where}: {what} has a non-finite entry; only finite "
                                   "constants are read")
        if value.size == 1:
            return value.reshape(1)
        if sum(d != 1 for d in value.shape) > 1 or (width is not None
                                                    and value.size != width):
            expected = f"({width},)" if width is not None else "a vector"
            raise ProblemFileError(f"{where}: {what} has shape "
                                   f"{_shape_text(value.shape)}, not one entry or {expected}")
        width = value.size
        return value.reshape(-1)

    W, b = pending.W, pending.b
    if op == "Neg":
        W, b = -W, -b
    elif op == "BatchNormalization":
        if int(attrs.get("training_mode", 0)) != 0:
            raise ProblemFileError(f"{where}: training_mode = 1 normalises with the batch's "
                                   "statistics; only the inference form is read")
        missing = [name for i, name in enumerate(_BATCHNORM_INPUTS, start=1) if i not in given]
        if missing:
            raise ProblemFileError(f"{where}: {missing[0]} must be a constant")
        scale, shift, mean, var = (constant(i, name)
                                   for i, name in enumerate(_BATCHNORM_INPUTS, start=1))
        # ONNX's default epsilon is the float32 1e-5 (what onnxruntime runs), not 1e-5
        epsilon = float(attrs.get("epsilon", np.float32(1e-5)))
        if not np.all(var + epsilon > 0):
            raise ProblemFileError(f"{where}: input_var + epsilon must be positive, got "
                                   f"{float(np.min(var + epsilon))}")
        # y = scale (a - mean) / sqrt(var + epsilon) + B
        d = scale / np.sqrt(var + epsilon)
        W, b = _rows(W, d, pending.diagonal), (b - mean) * d + shift
    else:
        if len(given) != 1:
            raise ProblemFileError(f"{where}: one input must be a constant")
        (index, _), = given.items()
        if op == "Div" and index == 0:
            raise ProblemFileError(f"{where} divides by the layer input; only a division "
                                   "by a constant is read")
        value = constant(index, "the divisor" if op == "Div" else f"input {index}")
        if op == "Add":
            b = b + value
        elif op == "Sub" and index == 1:  # a - c
            b = b - value
        elif op == "Sub":  # c - a
            W, b = -W, value - b
        elif op == "Mul":
            W, b = _rows(W, value, pending.diagonal), b * value
        else:  # Div(a, d): each entry divided, rounded once
            if np.any(value == 0):
                raise ProblemFileError(f"{where}: the divisor has a zero entry")
            W, b = _rows(W, value, pending.diagonal, divide=True), b / value
    if pending.diagonal and width is not None and max(W.size, b.size) not in (1, width):
        raise ProblemFileError(f"{where}: the constants of {pending.node} and of this node "
                               "have different lengths")
    pending.W, pending.b = W, b
    if width is not None:
        chain.width = width


def _rows(W: npt.NDArray[np.float64], d: npt.NDArray[np.float64], diagonal: bool, *,
          divide: bool = False) -> npt.NDArray[np.float64]:
    """``diag(d) W`` (or ``diag(d)^-1 W``): row ``i`` scaled by ``d_i`` (one ``d`` for
    all); a diagonal ``W`` is scaled entry by entry."""
    factor = d if diagonal else d[:, None]
    return W / factor if divide else W * factor


def _affine(node: Any, attrs: dict[str, Any], given: dict[int, npt.NDArray[Any]],
            where: str) -> _Affine:
    if node.op_type == "Gemm":
        if 1 not in given or 0 in given:
            raise ProblemFileError(f"{where}: B must be a constant and A the layer input")
        B = _float_weight(given[1], "B", where)
        if B.ndim != 2:
            raise ProblemFileError(f"{where}: B has shape {B.shape}, not a matrix")
        B = B.T if attrs.get("transB", 0) else B
        alpha = float(attrs.get("alpha", 1.0))
        beta = float(attrs.get("beta", 1.0))
        W = (alpha * B.T) if alpha != 1.0 else B.T.copy()
        b = np.zeros(W.shape[0])
        if 2 in given:
            c = _bias(_float_weight(given[2], "C", where), W.shape[0], where)
            b = beta * c if beta != 1.0 else c
        return _Affine(np.ascontiguousarray(W), b, where)
    # MatMul: a B (weight second) or B a (weight first, a a column vector)
    index, value = next(iter(given.items())) if given else (None, None)
    if value is None:
        raise ProblemFileError(f"{where}: one input must be a constant weight matrix")
    B = _float_weight(value, f"input {index}", where)
    if B.ndim != 2:
        raise ProblemFileError(f"{where}: the weight has shape {B.shape}, not a matrix")
    W = B.T if index == 1 else B
    return _Affine(np.ascontiguousarray(W), np.zeros(W.shape[0]), where)


def _hidden_activation(chain: _Chain, source: str, meta: dict[str, str]) -> ActivationSpec:
    if not chain.activations:
        # one affine layer: the hidden activation is never applied; keep what reluinv wrote
        if meta.get(f"{_PREFIX}activation") == "leaky_relu":
            slope = float(meta.get(f"{_PREFIX}slope", "nan"))
            if 0.0 < slope < 1.0:
                return ("leaky_relu", slope)
        return "relu"
    where, first = chain.activations[0]
    for other_where, spec in chain.activations[1:]:
        if spec != first:
            raise ProblemFileError(f"{other_where} uses {spec}, but {where} uses {first}; "
                                   "every layer must have the same activation")
    if isinstance(first, tuple):
        slope = float(first[1])
        written = meta.get(f"{_PREFIX}slope")
        if written is not None:
            # an ONNX alpha is a float32: take the float64 slope reluinv wrote, if it is that
            exact = float(written)
            if np.float32(exact) == np.float32(slope):
                slope = exact
        if not 0.0 < slope < 1.0:
            raise ProblemFileError(f"{where}: LeakyRelu alpha = {slope} must lie in (0, 1)")
        return ("leaky_relu", slope)
    return first


def onnx_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata_props`` of an ONNX model, values JSON-decoded where they are JSON,
    plus ``producer_name`` and ``producer_version``."""
    onnx = _onnx()
    source = os.fspath(path)
    data = read_model_bytes(source)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:
        raise ProblemFileError(f"{source}: not an ONNX model: {exc}") from exc
    out: dict[str, Any] = {"producer_name": model.producer_name,
                           "producer_version": model.producer_version}
    for prop in model.metadata_props:
        try:
            out[prop.key] = json.loads(prop.value)
        except ValueError:
            out[prop.key] = prop.value
    return out


def write_onnx(network: ReluNetwork, path: str | os.PathLike[str], *,
               dtype: str = "float64", opset: int = ONNX_OPSET, **metadata: object) -> None:
    """Write ``network`` as an ONNX model that onnxruntime runs (module docstring).

    Parameters
    ----------
    network:
        The network.
    path:
        The ``.onnx`` file to write.
    dtype:
        ``"float64"`` (default; exact) or ``"float32"`` (weights rounded to float32, the
        usual type of trained models; half the size).
    opset:
        The ONNX operator set version (at least 13).
    **metadata:
        JSON-serialisable provenance, stored in ``metadata_props`` (key -> JSON text).

    The model's input is ``z`` of shape ``(N, k)``, its output ``x`` of shape ``(N, n)``;
    a network with a size 0 (``k = 0``: no input) is refused, as :func:`read_onnx` would
    refuse the file. ONNX initializers are dense: a network stored sparse (CSR) is written through
    :meth:`~reluinv.ReluNetwork.to_dense`, refused in one line when that copy would exceed
    :data:`~reluinv.data.network.DENSE_ENTRY_LIMIT` entries; it reads back dense, equal to
    the network written.
    """
    onnx = _onnx()
    if not isinstance(network, ReluNetwork):
        raise InvalidTypeError(
            f"network must be a reluinv.ReluNetwork, got {type(network).__name__}")
    check_choice(dtype, "dtype", ("float64", "float32"))
    if isinstance(opset, bool) or not isinstance(opset, int) or opset < 13:
        raise InvalidTypeError(f"opset must be an int >= 13, got {opset!r}")
    if dtype == "float64" and network.activation == "leaky_relu" and opset < 16:
        raise InvalidArgumentError(
            f"opset {opset}: onnxruntime runs a double LeakyRelu only from opset 16 (its "
            "kernel before that is float only); pass opset >= 16 or dtype='float32'")
    for i, w in enumerate(network.weights, start=1):  # read_onnx refuses an empty weight
        if 0 in w.shape:
            sizes = " x ".join(str(s) for s in network.sizes)
            raise InvalidArgumentError(
                f"write_onnx: the {sizes} network's W{i} has shape {tuple(w.shape)}, no "
                "entries; an ONNX network needs at least one input and one unit per layer")
    try:
        network = network.to_dense()
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"write_onnx stores dense weights: {exc}") from None
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    np_type = np.float64 if dtype == "float64" else np.float32
    elem = onnx.TensorProto.DOUBLE if dtype == "float64" else onnx.TensorProto.FLOAT
    nodes, initializers = [], []
    current = "z"
    for i, (w, b) in enumerate(zip(network.weights, network.biases, strict=True), start=1):
        initializers.append(numpy_helper.from_array(np.asarray(w, dtype=np_type), f"W{i}"))
        initializers.append(numpy_helper.from_array(np.asarray(b, dtype=np_type), f"b{i}"))
        last = i == network.depth
        affine_out = "x" if last and network.output_linear else f"t{i}"
        nodes.append(helper.make_node("Gemm", [current, f"W{i}", f"b{i}"], [affine_out],
                                      name=f"layer{i}", transB=1))
        current = affine_out
        if last and network.output_linear:
            break
        out = "x" if last else f"h{i}"
        if network.activation == "relu":
            nodes.append(helper.make_node("Relu", [current], [out], name=f"relu{i}"))
        else:
            nodes.append(helper.make_node("LeakyRelu", [current], [out], name=f"leaky{i}",
                                          alpha=network.slope))
        current = out
    graph = helper.make_graph(
        nodes, "reluinv_network",
        [helper.make_tensor_value_info("z", elem, ["N", network.latent_dim])],
        [helper.make_tensor_value_info("x", elem, ["N", network.output_dim])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="reluinv", producer_version=__version__)
    model.ir_version = ONNX_IR_VERSION
    integer = all(np.issubdtype(a.dtype, np.integer)
                  for a in (*network.weights, *network.biases))
    props = {
        f"{_PREFIX}format": "reluinv-network",
        f"{_PREFIX}version": __version__,
        f"{_PREFIX}sizes": json.dumps(list(network.sizes)),
        f"{_PREFIX}activation": network.activation,
        f"{_PREFIX}slope": repr(network.slope),
        f"{_PREFIX}output_activation": network.output_activation,
        f"{_PREFIX}integer_weights": "true" if integer and dtype == "float64" else "false",
    }
    for key, value in metadata.items():
        try:
            props[key] = json.dumps(value, sort_keys=True)
        except TypeError as exc:
            raise InvalidTypeError(f"metadata {key!r} is not JSON-serialisable: {exc}") from exc
    helper.set_model_props(model, props)
    onnx.checker.check_model(model)
    onnx.save(model, os.fspath(path))
