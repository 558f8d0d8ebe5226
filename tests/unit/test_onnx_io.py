"""ONNX in and out: round trips, onnxruntime against ``forward``, every op read, refusals.

Oracles: onnxruntime (which shares no code with reluinv) for what a written model
computes, and, for the hand-built graphs, the affine maps written out by hand in numpy.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reluinv as ri
from reluinv.cli import run
from reluinv.strategies import network_specs

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
helper, numpy_helper, TensorProto = onnx.helper, onnx.numpy_helper, onnx.TensorProto


def _network(sizes: tuple[int, ...], activation: Any, seed: int, head: str) -> ri.ReluNetwork:
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(o, i)) for i, o in itertools.pairwise(sizes)]
    biases = [rng.normal(size=o) for o in sizes[1:]]
    return ri.ReluNetwork(weights, biases, activation, output_activation=head)  # type: ignore[arg-type]


def _run(path: Path, z: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed_type = np.float64 if "double" in session.get_inputs()[0].type else np.float32
    (out,) = session.run(None, {session.get_inputs()[0].name: z.astype(feed_type)})
    return np.asarray(out, dtype=np.float64)


@given(spec=network_specs(), head=st.sampled_from(["hidden", "linear"]))
def test_write_then_read_is_exact(tmp_path_factory: pytest.TempPathFactory,
                                  spec: tuple[tuple[int, ...], Any, int], head: str) -> None:
    sizes, activation, seed = spec
    net = _network(sizes, activation, seed, head)
    path = tmp_path_factory.mktemp("onnx") / "net.onnx"
    ri.write_onnx(net, path)
    event(f"leaky: {activation != 'relu'}, head: {head}")
    back = ri.read_onnx(path)
    assert back == net
    assert back.slope == net.slope  # the float64 slope, not ONNX's float32 alpha


def test_integer_networks_come_back_integer(tmp_path: Path) -> None:
    net = ri.ReluNetwork([[[1, -2], [3, 0]], [[1, 1]]], [[0, 1], [-1]],
                         output_activation="linear")
    ri.write_onnx(net, tmp_path / "int.onnx", seed=3)
    back = ri.read_onnx(tmp_path / "int.onnx")
    assert back == net
    assert all(w.dtype == np.int64 for w in back.weights)
    assert back.is_integral


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(spec=network_specs(), head=st.sampled_from(["hidden", "linear"]),
       z_seed=st.integers(0, 2**16))
def test_onnxruntime_agrees_with_forward(tmp_path_factory: pytest.TempPathFactory,
                                         spec: tuple[tuple[int, ...], Any, int], head: str,
                                         z_seed: int, dtype: str) -> None:
    sizes, activation, seed = spec
    net = _network(sizes, activation, seed, head)
    path = tmp_path_factory.mktemp("onnx") / "net.onnx"
    ri.write_onnx(net, path, dtype=dtype)
    Z = np.random.default_rng(z_seed).normal(size=(4, sizes[0]))
    out = _run(path, Z)
    if dtype == "float64":
        # exact weights; a LeakyRelu alpha is a float32 attribute in ONNX, so a leaky
        # layer's negative side differs by the rounding of alpha (2**-24 relative per layer)
        scale = 1.0 + np.max(np.abs(net.forward(Z)))
        np.testing.assert_allclose(out, net.forward(Z), rtol=0,
                                   atol=1e-6 * scale if activation != "relu" else 1e-12 * scale)
    else:
        # the float32 file holds rounded weights: compare with the network read back from
        # it, fed the float32-rounded inputs; float32 arithmetic differs by rounding only
        back = ri.read_onnx(path)
        Z32 = Z.astype(np.float32).astype(np.float64)
        scale = 1.0 + np.max(np.abs(back.forward(Z32)))
        tol = 64 * np.finfo(np.float32).eps * scale * max(sizes)
        np.testing.assert_allclose(out, back.forward(Z32), rtol=0, atol=tol)


@pytest.mark.parametrize("opset", [13, 15, 16])
def test_a_double_leaky_model_is_written_only_where_onnxruntime_runs_it(
    tmp_path: Path, opset: int
) -> None:
    """onnxruntime has a double LeakyRelu kernel from opset 16 on; below that the file
    would be one it refuses to run, so write_onnx refuses it (float32 is fine)."""
    net = ri.ReluNetwork([[[1.0, -2.0], [0.5, 1.0]]], activation=("leaky_relu", 0.1))
    z = np.array([[1.0, 2.0]])
    if opset < 16:
        with pytest.raises(ri.errors.InvalidArgumentError, match=r"opset 1[35].*opset >= 16"):
            ri.write_onnx(net, tmp_path / "d.onnx", opset=opset)
        ri.write_onnx(net, tmp_path / "f.onnx", opset=opset, dtype="float32")
        assert _run(tmp_path / "f.onnx", z).shape == (1, 2)
        return
    ri.write_onnx(net, tmp_path / "d.onnx", opset=opset)
    np.testing.assert_allclose(_run(tmp_path / "d.onnx", z), net.forward(z), atol=1e-6)


def test_metadata_carries_the_provenance(tmp_path: Path) -> None:
    net = ri.ReluNetwork([[[1.0, 2.0]]])
    ri.write_onnx(net, tmp_path / "m.onnx", script="train.py", seed=7, epochs=[1, 2])
    from reluinv.data.onnx_io import onnx_metadata

    meta = onnx_metadata(tmp_path / "m.onnx")
    assert meta["producer_name"] == "reluinv"
    assert meta["reluinv.version"] == ri.__version__
    assert (meta["script"], meta["seed"], meta["epochs"]) == ("train.py", 7, [1, 2])


# -- hand-built graphs -----------------------------------------------------------------

K, N = 3, 4
RNG = np.random.default_rng(11)
A1, C1 = RNG.normal(size=(N, K)), RNG.normal(size=N)  # first layer, rows are outputs
A2, C2 = RNG.normal(size=(2, N)), RNG.normal(size=2)


def _tensor(name: str, value: np.ndarray, dtype: Any = np.float32) -> Any:
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def _model(nodes: list[Any], inits: list[Any], *, inputs: list[Any] | None = None,
           out_dim: int = 2, elem: int = TensorProto.FLOAT) -> Any:
    graph = helper.make_graph(
        nodes, "g",
        inputs or [helper.make_tensor_value_info("z", elem, [1, K])],
        [helper.make_tensor_value_info("x", elem, [1, out_dim])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _save(tmp_path: Path, model: Any, name: str = "g.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def _f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def _check_reads(tmp_path: Path, model: Any, head: str, alpha: float | None = None) -> None:
    path = _save(tmp_path, model)
    net = ri.read_onnx(path)
    assert net.output_activation == head
    z = np.random.default_rng(0).normal(size=(1, K)).astype(np.float32).astype(np.float64)
    tol = 1e-5 * (1 + np.max(np.abs(net.forward(z))))
    np.testing.assert_allclose(_run(path, z), net.forward(z), atol=tol)
    if alpha is not None:
        assert net.activation_spec == ("leaky_relu", pytest.approx(alpha))


@pytest.mark.parametrize(("trans_b", "alpha", "beta"), [(0, 1.0, 1.0), (1, 1.0, 1.0),
                                                        (1, 0.5, 2.0), (0, -1.5, 0.0)])
def test_gemm_attributes(tmp_path: Path, trans_b: int, alpha: float, beta: float) -> None:
    B1 = A1.T if not trans_b else A1
    nodes = [helper.make_node("Gemm", ["z", "B1", "C1"], ["t1"], transB=trans_b, alpha=alpha,
                              beta=beta),
             helper.make_node("Relu", ["t1"], ["h1"]),
             helper.make_node("Gemm", ["h1", "B2", "C2"], ["x"], transB=1)]
    model = _model(nodes, [_tensor("B1", B1), _tensor("C1", C1), _tensor("B2", A2),
                           _tensor("C2", C2)])
    net = ri.read_onnx(_save(tmp_path, model))
    np.testing.assert_array_equal(net.weights[0], alpha * _f32(A1))
    np.testing.assert_array_equal(net.biases[0], beta * _f32(C1))
    _check_reads(tmp_path, model, "linear")


def test_gemm_trans_a_on_a_column_vector(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B1", "C1"], ["x"], transA=1, transB=1),
             helper.make_node("Relu", ["x0"], ["x"])][:1]
    model = _model(nodes, [_tensor("B1", A1), _tensor("C1", C1)],
                   inputs=[helper.make_tensor_value_info("z", TensorProto.FLOAT, [K, 1])],
                   out_dim=N)
    net = ri.read_onnx(_save(tmp_path, model))
    np.testing.assert_array_equal(net.weights[0], _f32(A1))
    assert net.output_linear


@pytest.mark.parametrize("weight_first", [False, True])
def test_matmul_then_add_and_leaky_relu(tmp_path: Path, weight_first: bool) -> None:
    if weight_first:  # x = W z + c with z a column vector
        mm = helper.make_node("MatMul", ["W1", "z"], ["m1"])
        init = _tensor("W1", A1)
        inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, [K, 1])]
    else:
        mm = helper.make_node("MatMul", ["z", "W1"], ["m1"])
        init = _tensor("W1", A1.T)
        inputs = None
    bias = _tensor("c1", C1 if not weight_first else C1[:, None])
    nodes = [mm, helper.make_node("Add", ["c1", "m1"], ["t1"]),
             helper.make_node("LeakyRelu", ["t1"], ["x"], alpha=0.2)]
    model = _model(nodes, [init, bias], inputs=inputs, out_dim=N)
    net = ri.read_onnx(_save(tmp_path, model))
    np.testing.assert_array_equal(net.weights[0], _f32(A1))
    np.testing.assert_array_equal(net.biases[0], _f32(C1))
    assert net.output_activation == "hidden"
    assert net.activation_spec == ("leaky_relu", pytest.approx(0.2))
    if not weight_first:
        _check_reads(tmp_path, model, "hidden", alpha=0.2)


def test_flatten_reshape_identity_float64_and_constant_nodes(tmp_path: Path) -> None:
    shape = helper.make_node("Constant", [], ["shape"],
                             value=numpy_helper.from_array(np.array([1, -1], np.int64)))
    nodes = [helper.make_node("Flatten", ["z"], ["f"], axis=1),
             helper.make_node("Identity", ["f"], ["i"]),
             helper.make_node("Gemm", ["i", "B1", "C1"], ["t1"], transB=1),
             helper.make_node("Relu", ["t1"], ["h1"]),
             shape,
             helper.make_node("Reshape", ["h1", "shape"], ["r1"]),
             helper.make_node("Gemm", ["r1", "B2", "C2"], ["t2"], transB=1),
             helper.make_node("Relu", ["t2"], ["x"])]
    inits = [_tensor(n, v, np.float64) for n, v in (("B1", A1), ("C1", C1), ("B2", A2),
                                                     ("C2", C2))]
    model = _model(nodes, inits, elem=TensorProto.DOUBLE)
    net = ri.read_onnx(_save(tmp_path, model))
    np.testing.assert_array_equal(net.weights[1], A2)  # float64: bit for bit
    _check_reads(tmp_path, model, "hidden")


def _refused(tmp_path: Path, model: Any, pattern: str) -> None:
    path = _save(tmp_path, model, "refused.onnx")
    with pytest.raises(ri.ProblemFileError, match=pattern) as info:
        ri.read_onnx(path)
    message = str(info.value)
    assert "\n" not in message
    assert "refused.onnx" in message


def test_conv_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Conv", ["z", "K1"], ["x"], name="conv0")]
    model = _model(nodes, [_tensor("K1", np.ones((1, 1, 1)))])
    _refused(tmp_path, model, r"node 0 'conv0' \(Conv\) is not supported")


def test_sigmoid_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["t1"], transB=1),
             helper.make_node("Sigmoid", ["t1"], ["x"], name="squash")]
    model = _model(nodes, [_tensor("B1", A1)], out_dim=N)
    _refused(tmp_path, model, r"node 1 'squash' \(Sigmoid\) is not supported")


def test_a_branch_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["t1"], transB=1),
             helper.make_node("Relu", ["t1"], ["h1"], name="a"),
             helper.make_node("Relu", ["t1"], ["h2"], name="b"),
             helper.make_node("Add", ["h1", "h2"], ["x"], name="join")]
    model = _model(nodes, [_tensor("B1", A1)], out_dim=N)
    _refused(tmp_path, model, r"node 2 'b' \(Relu\) reads tensor 't1' a second time")


def test_a_second_input_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["x"], transB=1)]
    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, K]),
              helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, K])]
    model = _model(nodes, [_tensor("B1", A1)], inputs=inputs, out_dim=N)
    _refused(tmp_path, model, r"one input .* got 2: 'z', 'y'")


@pytest.mark.parametrize("then_relu", [False, True])
def test_a_non_vector_reshape_is_refused(tmp_path: Path, then_relu: bool) -> None:
    """A Reshape to (1, 2, 2) (then a Relu on the 3-D tensor, or not): one line naming the
    node, both shapes and the rule."""
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["t1"], transB=1),
             helper.make_node("Reshape", ["t1", "shape"], ["t2" if then_relu else "x"],
                              name="to_image")]
    if then_relu:
        nodes.append(helper.make_node("Relu", ["t2"], ["x"]))
    model = _model(nodes, [_tensor("B1", A1), _tensor("shape", [1, 2, 2], np.int64)],
                   out_dim=N)
    _refused(tmp_path, model, r"node 1 'to_image' \(Reshape\) reshapes the vector of shape "
             r"\(1, 4\) to \(1, 2, 2\), a tensor with 2 axes longer than 1; reluinv reads "
             r"networks whose every layer maps a vector to a vector \(at most one axis "
             r"longer than 1, such as \(n,\), \(1, n\) or \(1, n, 1\)\)$")


@pytest.mark.parametrize(("nodes", "pattern"), [
    ([helper.make_node("Relu", ["z"], ["x"])],
     r"\(Relu\) has no Gemm, MatMul or elementwise affine map before it"),
    ([helper.make_node("Gemm", ["z", "B1"], ["t"], transB=1),
      helper.make_node("Gemm", ["t", "B2"], ["x"], transB=1)],
     r"\(Gemm\) follows .* no activation between them"),
    ([helper.make_node("Gemm", ["z", "B1"], ["t"], transB=1),
      helper.make_node("Relu", ["t"], ["h"]),
      helper.make_node("Gemm", ["h", "B2"], ["u"], transB=1),
      helper.make_node("LeakyRelu", ["u"], ["x"], alpha=0.1)],
     r"\(LeakyRelu\) uses .* every layer must have the same activation"),
])
def test_structures_the_network_cannot_hold_are_refused(tmp_path: Path, nodes: list[Any],
                                                         pattern: str) -> None:
    model = _model(nodes, [_tensor("B1", A1), _tensor("B2", A2)])
    _refused(tmp_path, model, pattern)


def test_integer_initializers_are_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["x"], transB=1)]
    model = _model(nodes, [_tensor("B1", A1.round(), np.int32)], out_dim=N)
    _refused(tmp_path, model, r"B has dtype int32; only float32 and float64")


def test_a_missing_initializer_is_named(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B1", "C1"], ["x"], transB=1, name="dense")]
    model = _model(nodes, [_tensor("C1", C1)], out_dim=N)
    _refused(tmp_path, model, r"node 0 'dense' \(Gemm\) reads 'B1', which no initializer, "
             "Constant node or other node provides: a missing initializer")


def test_a_text_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "text.onnx"
    path.write_text("p cnf 1 1\n1 0\n")
    with pytest.raises(ri.ProblemFileError, match=r"text\.onnx: not an ONNX model"):
        ri.read_onnx(path)


# -- the command line and PyTorch ------------------------------------------------------


def test_cli_inverts_and_describes_an_onnx_model(tmp_path: Path) -> None:
    net = _network((3, 12, 40), "relu", 5, "linear")
    ri.write_onnx(net, tmp_path / "g.onnx", seed=5)
    z = np.array([0.5, -1.0, 2.0])
    np.save(tmp_path / "x.npy", net.forward(z))
    out, err = io.StringIO(), io.StringIO()
    code = run(["invert", str(tmp_path / "g.onnx"), str(tmp_path / "x.npy"), "-o",
                str(tmp_path / "z.npy")], stdout=out, stderr=err)
    assert code == 0, err.getvalue() + out.getvalue()
    found = np.load(tmp_path / "z.npy")  # a pre-image; it need not be z (non-unique)
    np.testing.assert_allclose(net.forward(found), net.forward(z), atol=1e-6)
    out = io.StringIO()
    assert run(["info", str(tmp_path / "g.onnx")], stdout=out, stderr=err) == 0
    text = out.getvalue()
    assert "sizes            3 x 12 x 40" in text
    assert "output           linear" in text
    assert "seed             5" in text


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_a_torch_sequential_reads_back(tmp_path: Path) -> None:  # pragma: no cover
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.LeakyReLU(0.1),
                                torch.nn.Linear(8, 5)).double()
    z = torch.randn(1, 3, dtype=torch.float64)
    torch.onnx.export(model, (z,), str(tmp_path / "t.onnx"))
    net = ri.read_onnx(tmp_path / "t.onnx")
    np.testing.assert_allclose(net.forward(z.numpy()), model(z).detach().numpy(), atol=1e-9)


@pytest.mark.slow  # a fresh interpreter importing reluinv: about 2.5 s
def test_reluinv_imports_without_onnx_and_says_what_is_missing() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "import reluinv\n"
        "assert 'onnxruntime' not in sys.modules\n"
        "try:\n"
        "    reluinv.read_onnx('g.onnx')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ("reading and writing ONNX needs the 'onnx' package: "
                                   "pip install 'reluinv[onnx]'")


@pytest.mark.usefixtures("layerwise_plain_lp")
def test_cli_hybrid_inverts_an_onnx_model_where_layerwise_cannot(tmp_path: Path) -> None:
    net = ri.digits_decoder("leaky")
    ri.write_onnx(net, tmp_path / "d.onnx")
    z = np.random.default_rng(2019).normal(size=10)
    np.save(tmp_path / "x.npy", net.forward(z))
    mask = np.zeros(64, dtype=bool)
    # 12 rows for 40 unknowns: the last layer is not pinned down, and the null-space LP's
    # vertex (the fixture leaves it alone) has no pre-image below
    mask[:12] = True
    np.save(tmp_path / "m.npy", mask)
    argv = ["invert", str(tmp_path / "d.onnx"), str(tmp_path / "x.npy"), "--mask",
            str(tmp_path / "m.npy")]
    out, err = io.StringIO(), io.StringIO()
    assert run(argv, stdout=out, stderr=err) == 4  # layer-wise alone: inconclusive
    out = io.StringIO()
    code = run([*argv, "--hybrid", "--time-limit", "30", "-o", str(tmp_path / "z.npy")],
               stdout=out, stderr=err)
    assert code == 0, err.getvalue() + out.getvalue()
    text = out.getvalue()
    assert text.startswith("status      recovered\n")
    assert "path        exact" in text
    assert "binds: no" in text
    assert "layer-wise stage:\n  status      inconclusive" in text
    found = np.load(tmp_path / "z.npy")
    np.testing.assert_allclose(net.forward(found)[mask], net.forward(z)[mask], atol=1e-6)


# -- shapes: what read_onnx accepts is what onnxruntime computes --------------------------

W_FIRST, B_FIRST = RNG.normal(size=(N, K)), RNG.normal(size=N)  # a layer K -> N


def _free_model(nodes: list[Any], inits: list[Any], input_shape: list[Any],
                elem: int = TensorProto.FLOAT) -> Any:
    """A model whose output shape is left to onnxruntime (nothing declared)."""
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("z", elem,
                                                                         input_shape)],
                              [helper.make_tensor_value_info("x", elem, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_a_column_bias_on_a_row_vector_is_refused(tmp_path: Path) -> None:
    """(1, N) + (N, 1) is an (N, N) matrix in onnxruntime, not a vector."""
    nodes = [helper.make_node("MatMul", ["z", "W"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["x"], name="Add_3")]
    model = _free_model(nodes, [_tensor("W", W_FIRST.T), _tensor("c", B_FIRST[:, None])],
                        [1, K])
    path = _save(tmp_path, model)
    assert _run(path, np.ones((1, K))).shape == (N, N)
    _refused(tmp_path, model, r"'Add_3' \(Add\): the bias of shape \(4, 1\) broadcasts the "
             r"vector of shape \(1, 4\) to a matrix of shape \(4, 4\); reluinv reads networks "
             "whose every layer maps a vector to a vector")


def test_a_flattened_1d_input_is_a_column(tmp_path: Path) -> None:
    """Flatten of (K,) is (K, 1); W z is then (N, 1), and a bias (N,) makes it (N, N)."""
    nodes = [helper.make_node("Flatten", ["z"], ["f"]),
             helper.make_node("MatMul", ["W", "f"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["x"], name="bias")]
    model = _free_model(nodes, [_tensor("W", W_FIRST), _tensor("c", B_FIRST)], [K])
    assert _run(_save(tmp_path, model), np.ones(K)).shape == (N, N)
    _refused(tmp_path, model, r"'bias' \(Add\): the bias of shape \(4,\) broadcasts the "
             r"vector of shape \(4, 1\)")


def test_a_column_reshape_before_a_bias_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("Reshape", ["z", "shape"], ["r"]),
             helper.make_node("MatMul", ["W", "r"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["x"], name="bias")]
    inits = [_tensor("shape", [K, 1], np.int64), _tensor("W", W_FIRST), _tensor("c", B_FIRST)]
    _refused(tmp_path, _free_model(nodes, inits, [1, K]),
             r"'bias' \(Add\): the bias of shape \(4,\) broadcasts the vector of shape \(4, 1\)")


def test_a_column_bias_on_a_column_vector_is_read(tmp_path: Path) -> None:
    nodes = [helper.make_node("Reshape", ["z", "shape"], ["r"]),
             helper.make_node("MatMul", ["W", "r"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["x"])]
    inits = [_tensor("shape", [-1, 1], np.int64), _tensor("W", W_FIRST),
             _tensor("c", B_FIRST[:, None])]
    path = _save(tmp_path, _free_model(nodes, inits, [1, K]))
    net = ri.read_onnx(path)
    z = _f32(RNG.normal(size=(1, K)))
    np.testing.assert_allclose(_run(path, z).ravel(), net.forward(z.ravel()), atol=1e-5)


@pytest.mark.parametrize(("input_shape", "pattern"), [
    ([K], r"Gemm reads a matrix, but its input has shape \(3,\)"),
    ([K, 1], r"the input of shape \(3, 1\) is read as 3 rows"),
    ([1, K + 1], r"the input 'z' has shape \(1, 4\), but the first layer reads 3 entries"),
])
def test_gemm_inputs_that_are_not_a_row_are_refused(tmp_path: Path, input_shape: list[int],
                                                    pattern: str) -> None:
    nodes = [helper.make_node("Gemm", ["z", "B"], ["x"], transB=1)]
    _refused(tmp_path, _free_model(nodes, [_tensor("B", W_FIRST)], input_shape), pattern)


_LAYOUTS = {"1d": [K], "row": [1, K], "col": [K, 1], "batch": ["N", K], "symbolic": ["N", "k"]}
_RESHAPES = ["none", "flatten", "flatten0", "row", "col", "flat"]
_BIASES = ["none", "vector", "row", "col", "scalar"]


def _reshape_nodes(kind: str, source: str, target: str, step: int) -> tuple[list[Any], list[Any]]:
    if kind == "none":
        return [helper.make_node("Identity", [source], [target])], []
    if kind.startswith("flatten"):
        return [helper.make_node("Flatten", [source], [target], axis=0 if kind == "flatten0"
                                 else 1)], []
    shape = {"row": [1, -1], "col": [-1, 1], "flat": [-1]}[kind]
    name = f"shape{step}"
    return ([helper.make_node("Reshape", [source, name], [target])],
            [_tensor(name, shape, np.int64)])


def _layer_nodes(kind: str, bias: str, W: np.ndarray, c: np.ndarray, source: str, target: str,
                 step: int) -> tuple[list[Any], list[Any]]:
    """``W a + c`` as ``kind`` (gemm, gemm_ta, matmul_right, matmul_left) and ``bias``."""
    w, b, m = f"W{step}", f"c{step}", f"m{step}"
    shaped = {"vector": c, "row": c[None, :], "col": c[:, None], "scalar": c[:1]}
    if kind.startswith("gemm"):
        inputs = [source, w] + ([b] if bias != "none" else [])
        nodes = [helper.make_node("Gemm", inputs, [target], transB=1,
                                  transA=int(kind == "gemm_ta"))]
        inits = [_tensor(w, W)] + ([_tensor(b, shaped[bias])] if bias != "none" else [])
        return nodes, inits
    pair = [source, w] if kind == "matmul_right" else [w, source]
    inits = [_tensor(w, W.T if kind == "matmul_right" else W)]
    if bias == "none":
        return [helper.make_node("MatMul", pair, [target])], inits
    return ([helper.make_node("MatMul", pair, [m]), helper.make_node("Add", [m, b], [target])],
            [*inits, _tensor(b, shaped[bias])])


#: elementwise ops, in both operand orders: ``_r`` has the constant second (``a - c``),
#: ``_l`` first (``c - a``)
_ELEMENTWISE = ["add_r", "add_l", "sub_r", "sub_l", "mul_r", "mul_l", "div", "neg", "bn"]
_POSITIONS = ("input", "after_affine", "after_relu", "end")


def _elementwise_nodes(ops: list[tuple[str, str]], width: int, source: str, target: str,
                       position: str, rng: np.random.Generator) -> tuple[list[Any], list[Any]]:
    """A chain of elementwise maps ``(op, constant shape)`` from ``source`` to ``target`` on
    a vector of ``width`` entries; constants away from zero, variances positive."""
    nodes: list[Any] = []
    inits: list[Any] = []
    current = source
    for j, (op, shape) in enumerate(ops):
        out = target if j == len(ops) - 1 else f"{position}_e{j}"
        name = f"{position}_c{j}"
        size = 1 if shape == "scalar" else width
        value = rng.normal(size=size) if op.startswith(("add", "sub")) else (
            rng.uniform(0.5, 2.0, size=size) * rng.choice([-1.0, 1.0], size=size))
        shaped = {"vector": value, "row": value[None, :], "col": value[:, None],
                  "scalar": value}[shape]
        if op == "neg":
            nodes.append(helper.make_node("Neg", [current], [out]))
        elif op == "bn":
            params = [value, rng.normal(size=size), rng.normal(size=size),
                      rng.uniform(0.1, 2.0, size=size)]
            names = [f"{name}_{k}" for k in ("scale", "B", "mean", "var")]
            inits += [_tensor(n, v) for n, v in zip(names, params, strict=True)]
            nodes.append(helper.make_node("BatchNormalization", [current, *names], [out],
                                          epsilon=float(rng.choice([1e-5, 0.5]))))
        else:
            kind = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div"}[op[:3]]
            pair = [name, current] if op.endswith("_l") else [current, name]
            nodes.append(helper.make_node(kind, pair, [out]))
            inits.append(_tensor(name, shaped))
        current = out
    if not ops:
        nodes.append(helper.make_node("Identity", [source], [target]))
    return nodes, inits


#: a row or column constant spreads a vector of the other kind into a matrix (refused):
#: drawn less often, so that most chains are read
_elementwise_chain = st.lists(
    st.tuples(st.sampled_from(_ELEMENTWISE),
              st.sampled_from(["vector", "scalar", "vector", "scalar", "row", "col"])),
    max_size=2)


def _two_layer_model(layout: str, first: str, middle: str, kinds: list[str],
                     biases: list[str], elementwise: dict[str, list[tuple[str, str]]],
                     rng: np.random.Generator) -> Any:
    """Two layers ``kinds`` (``none``: elementwise maps alone) with their ``biases``, a
    ReLU between them, reshapes ``first`` (of the input) and ``middle`` (after the ReLU),
    and the ``elementwise`` chains at each of ``_POSITIONS``."""
    sizes = [K]
    for kind, out in zip(kinds, (N, 2), strict=True):
        sizes.append(sizes[-1] if kind == "none" else out)
    nodes, inits = _reshape_nodes(first, "z", "r0", 0)
    more, values = _elementwise_nodes(elementwise["input"], K, "r0", "a0", "input", rng)
    nodes, inits = nodes + more, inits + values
    for step in (1, 2):
        W = rng.normal(size=(sizes[step], sizes[step - 1]))
        c = rng.normal(size=sizes[step])
        source = "a0" if step == 1 else "a1"
        if kinds[step - 1] == "none":
            more, values = [helper.make_node("Identity", [source], [f"l{step}"])], []
        else:
            more, values = _layer_nodes(kinds[step - 1], biases[step - 1], W, c, source,
                                        f"l{step}", step)
        nodes, inits = nodes + more, inits + values
        position = "after_affine" if step == 1 else "end"
        target = "t1" if step == 1 else "x"
        more, values = _elementwise_nodes(elementwise[position], sizes[step], f"l{step}",
                                          target, position, rng)
        nodes, inits = nodes + more, inits + values
        if step == 1:
            more, values = _reshape_nodes(middle, "h1", "s1", 1)
            nodes += [helper.make_node("Relu", ["t1"], ["h1"]), *more]
            inits += values
            more, values = _elementwise_nodes(elementwise["after_relu"], sizes[1], "s1",
                                              "a1", "after_relu", rng)
            nodes, inits = nodes + more, inits + values
    return _free_model(nodes, inits, _LAYOUTS[layout])


def _check_against_onnxruntime(path: Path, layout: str, kinds: list[str],
                               elementwise: dict[str, list[tuple[str, str]]],
                               rng: np.random.Generator, *,
                               must_read: bool = False) -> None:
    """read_onnx's network computes what onnxruntime computes on the file (or the file is
    refused, unless ``must_read``); hypothesis events name each op read and where."""
    try:
        net = ri.read_onnx(path)
    except ri.ProblemFileError:
        if must_read:
            raise
        event("refused")
        return
    event("read")
    for position, ops in elementwise.items():
        for op, shape in ops:
            event(f"read: {op} at {position}")
            event(f"read: {op} with a {shape} constant")
    if "none" in kinds:
        event("read: a layer of elementwise maps alone")
    z = _f32(rng.normal(size=K))
    # a symbolic dimension is the batch (1), or the vector's own when no fixed one is
    feed = z.reshape(1, K) if layout == "symbolic" else z.reshape(
        [1 if isinstance(d, str) else d for d in _LAYOUTS[layout]])
    out = _run(path, feed)
    assert out.size == net.output_dim, (out.shape, net.output_dim)
    expected = net.forward(z)
    np.testing.assert_allclose(out.ravel(), expected, atol=1e-5 * (1 + np.abs(expected).max()))


@settings(max_examples=300, deadline=None)
@given(layout=st.sampled_from(sorted(_LAYOUTS)), first=st.sampled_from(_RESHAPES),
       middle=st.sampled_from(_RESHAPES),
       kinds=st.lists(st.sampled_from(["gemm", "gemm_ta", "matmul_right", "matmul_left",
                                       "none"]), min_size=2, max_size=2),
       biases=st.lists(st.sampled_from(_BIASES), min_size=2, max_size=2),
       elementwise=st.fixed_dictionaries(dict.fromkeys(_POSITIONS, _elementwise_chain)),
       seed=st.integers(0, 2**16))
def test_read_onnx_computes_what_onnxruntime_computes(
        tmp_path_factory: pytest.TempPathFactory, layout: str, first: str, middle: str,
        kinds: list[str], biases: list[str], elementwise: dict[str, list[tuple[str, str]]],
        seed: int) -> None:
    """Graphs of two layers over every input layout, reshape and bias shape, with chains of
    elementwise affine maps (both operand orders, every constant shape) at the input, after
    an affine map, after an activation and at the end; a layer may be elementwise maps
    alone (kind ``none``): a graph that read_onnx accepts runs in onnxruntime and gives the
    network's outputs, in order."""
    rng = np.random.default_rng(seed)
    model = _two_layer_model(layout, first, middle, kinds, biases, elementwise, rng)
    path = _save(tmp_path_factory.mktemp("shapes"), model)
    _check_against_onnxruntime(path, layout, kinds, elementwise, rng)


_row_chain = st.lists(st.tuples(st.sampled_from(_ELEMENTWISE),
                                st.sampled_from(["vector", "scalar", "row"])), max_size=3)


@settings(max_examples=300, deadline=None)
@given(layout=st.sampled_from(["row", "batch"]),
       kinds=st.lists(st.sampled_from(["gemm", "matmul_right", "none"]), min_size=2,
                      max_size=2),
       biases=st.lists(st.sampled_from(["none", "vector", "row", "scalar"]), min_size=2,
                       max_size=2),
       elementwise=st.fixed_dictionaries(dict.fromkeys(_POSITIONS, _row_chain)),
       seed=st.integers(0, 2**16))
def test_elementwise_maps_on_rows_compute_what_onnxruntime_computes(
        tmp_path_factory: pytest.TempPathFactory, layout: str, kinds: list[str],
        biases: list[str], elementwise: dict[str, list[tuple[str, str]]], seed: int) -> None:
    """The same on row vectors ``(1, n)`` (PyTorch's layout), where every constant shape
    drawn keeps the vector a row, so each op is checked in each position many times. Such
    a graph must be read unless an activation has no map before it, or a
    BatchNormalization has one value for the row's n channels (onnxruntime refuses it)."""
    rng = np.random.default_rng(seed)
    model = _two_layer_model(layout, "none", "none", kinds, biases, elementwise, rng)
    path = _save(tmp_path_factory.mktemp("rows"), model)
    bare_activation = kinds[0] == "none" and not (elementwise["input"]
                                                  or elementwise["after_affine"])
    one_channel = any(item == ("bn", "scalar") for ops in elementwise.values() for item in ops)
    _check_against_onnxruntime(path, layout, kinds, elementwise, rng,
                               must_read=not (bare_activation or one_channel))


# -- elementwise maps: folds, refusals, ACAS Xu and BatchNorm1d shapes --------------------


def test_a_sub_after_matmul_is_its_bias_negated_exactly(tmp_path: Path) -> None:
    """``a B - c`` and ``c - a B``: the bias is ``-c`` (exact), or the map negated."""
    for order in ("a-c", "c-a"):
        pair = ["m", "c"] if order == "a-c" else ["c", "m"]
        nodes = [helper.make_node("MatMul", ["z", "W"], ["m"]),
                 helper.make_node("Sub", pair, ["x"])]
        model = _model(nodes, [_tensor("W", A1.T), _tensor("c", C1)], out_dim=N)
        net = ri.read_onnx(_save(tmp_path, model))
        sign = 1.0 if order == "a-c" else -1.0
        np.testing.assert_array_equal(net.weights[0], sign * _f32(A1))
        np.testing.assert_array_equal(net.biases[0], -sign * _f32(C1))
        _check_reads(tmp_path, model, "linear")


def test_an_input_scaling_is_folded_into_the_next_layer(tmp_path: Path) -> None:
    """``W ((z - mean) / std) + b`` is ``(W / std) z + (b - (W / std) mean)``, up to one
    float64 rounding per entry."""
    mean, std = RNG.normal(size=K), RNG.uniform(0.5, 2.0, size=K)
    nodes = [helper.make_node("Sub", ["z", "mean"], ["s"]),
             helper.make_node("Div", ["s", "std"], ["n"]),
             helper.make_node("Gemm", ["n", "B1", "C1"], ["t1"], transB=1),
             helper.make_node("Relu", ["t1"], ["x"])]
    model = _model(nodes, [_tensor("mean", mean), _tensor("std", std), _tensor("B1", A1),
                           _tensor("C1", C1)], out_dim=N)
    net = ri.read_onnx(_save(tmp_path, model))
    W = _f32(A1) / _f32(std)[None, :]
    np.testing.assert_allclose(net.weights[0], W, rtol=1e-15)
    np.testing.assert_allclose(net.biases[0], _f32(C1) - W @ _f32(mean), rtol=1e-14)
    _check_reads(tmp_path, model, "hidden")


def _batchnorm_mlp(epsilon: float) -> tuple[Any, tuple[np.ndarray, ...]]:
    """``nn.Sequential(Linear(K, N), BatchNorm1d(N), ReLU(), Linear(N, 2))`` in eval mode,
    as PyTorch exports it."""
    rng = np.random.default_rng(5)
    scale, shift = rng.uniform(0.5, 2.0, size=N), rng.normal(size=N)
    mean, var = rng.normal(size=N), rng.uniform(0.01, 0.2, size=N)
    nodes = [helper.make_node("Gemm", ["z", "B1", "C1"], ["t1"], transB=1),
             helper.make_node("BatchNormalization", ["t1", "scale", "shift", "mean", "var"],
                              ["n1"], epsilon=epsilon, momentum=0.9),
             helper.make_node("Relu", ["n1"], ["h1"]),
             helper.make_node("Gemm", ["h1", "B2", "C2"], ["x"], transB=1)]
    inits = [_tensor("B1", A1), _tensor("C1", C1), _tensor("scale", scale),
             _tensor("shift", shift), _tensor("mean", mean), _tensor("var", var),
             _tensor("B2", A2), _tensor("C2", C2)]
    return _model(nodes, inits), tuple(_f32(a) for a in (scale, shift, mean, var))


@pytest.mark.parametrize("epsilon", [1e-5, 0.25])
def test_a_batchnorm1d_mlp_reads_as_onnxruntime_runs_it(tmp_path: Path,
                                                       epsilon: float) -> None:
    model, (scale, shift, mean, var) = _batchnorm_mlp(epsilon)
    net = ri.read_onnx(_save(tmp_path, model))
    assert net.sizes == (K, N, 2)
    d = scale / np.sqrt(var + float(np.float32(epsilon)))
    np.testing.assert_allclose(net.weights[0], d[:, None] * _f32(A1), rtol=1e-14)
    np.testing.assert_allclose(net.biases[0], (_f32(C1) - mean) * d + shift, rtol=1e-14,
                               atol=1e-15)
    _check_reads(tmp_path, model, "linear")
    path = _save(tmp_path, model)
    Z = _f32(np.random.default_rng(1).normal(size=(8, K)))
    for z in Z:
        out = _run(path, z[None, :]).ravel()
        np.testing.assert_allclose(out, net.forward(z), atol=1e-5 * (1 + np.abs(out).max()))


def test_elementwise_maps_alone_are_a_diagonal_layer(tmp_path: Path) -> None:
    """``relu(-2 z + 1)`` then ``3 h``: layers ``diag(-2)``, ``diag(3)`` (linear head)."""
    nodes = [helper.make_node("Mul", ["two", "z"], ["m"]),
             helper.make_node("Neg", ["m"], ["n"]),
             helper.make_node("Add", ["n", "one"], ["t"]),
             helper.make_node("Relu", ["t"], ["h"]),
             helper.make_node("Mul", ["h", "three"], ["x"])]
    inits = [_tensor("two", [2.0]), _tensor("one", np.ones(K)), _tensor("three", [3.0])]
    model = _model(nodes, inits, out_dim=K)
    net = ri.read_onnx(_save(tmp_path, model))
    np.testing.assert_array_equal(net.weights[0], -2.0 * np.eye(K))
    np.testing.assert_array_equal(net.biases[0], np.ones(K))
    np.testing.assert_array_equal(net.weights[1], 3.0 * np.eye(K))
    _check_reads(tmp_path, model, "linear")


def _scaled(op: str, pair: list[str], value: Any, **attrs: Any) -> Any:
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["t1"], transB=1),
             helper.make_node(op, pair, ["x"], name="scale", **attrs)]
    return _model(nodes, [_tensor("B1", A1), _tensor("d", value)], out_dim=N)


@pytest.mark.parametrize(("model", "pattern"), [
    (_scaled("Div", ["d", "t1"], np.ones(N)),
     r"'scale' \(Div\) divides by the layer input; only a division by a constant is read"),
    (_scaled("Div", ["t1", "d"], [1.0, 2.0, 0.0, 1.0]),
     r"'scale' \(Div\): the divisor has a zero entry"),
    (_scaled("Div", ["t1", "d"], [1.0, np.inf, 1.0, 1.0]),
     r"'scale' \(Div\): the divisor has a non-finite entry"),
    (_scaled("Mul", ["t1", "d"], [1.0, np.nan, 1.0, 1.0]),
     r"'scale' \(Mul\): input 1 has a non-finite entry"),
    (_scaled("Sub", ["t1", "d"], np.ones((N, 1))),
     r"'scale' \(Sub\): the constant of shape \(4, 1\) broadcasts the vector of shape "
     r"\(1, 4\) to a matrix of shape \(4, 4\); reluinv reads networks whose every layer"),
    (_scaled("Mul", ["t1", "d"], np.ones(N + 1)),
     r"'scale' \(Mul\): input 1 has shape \(5,\), not one entry or \(4,\)"),
])
def test_elementwise_maps_the_network_cannot_hold_are_refused(tmp_path: Path, model: Any,
                                                             pattern: str) -> None:
    _refused(tmp_path, model, pattern)


def test_batchnorm_in_training_mode_is_refused(tmp_path: Path) -> None:
    model, _ = _batchnorm_mlp(1e-5)
    model.graph.node[1].attribute.append(helper.make_attribute("training_mode", 1))
    model.graph.node[1].name = "bn"
    _refused(tmp_path, model, r"'bn' \(BatchNormalization\): training_mode = 1 normalises "
             "with the batch's statistics; only the inference form is read")


def test_batchnorm_of_one_value_for_a_rows_channels_is_refused(tmp_path: Path) -> None:
    """Channels are axis 1: a row ``(1, n)`` has n of them (onnxruntime refuses one)."""
    nodes = [helper.make_node("Gemm", ["z", "B1"], ["t1"], transB=1),
             helper.make_node("BatchNormalization", ["t1", "s", "b", "m", "v"], ["x"],
                              name="bn")]
    inits = [_tensor("B1", A1), *(_tensor(n, [1.0]) for n in "sbmv")]
    _refused(tmp_path, _model(nodes, inits, out_dim=N),
             r"'bn' \(BatchNormalization\): scale has shape \(1,\), not \(4,\): one value "
             r"per channel \(axis 1\) of the input of shape \(1, 4\)")


def acasxu_shaped(seed: int = 0, *, mean_shape: tuple[int, ...] = (5,)) -> Any:
    """A model with the structure of VNN-COMP's ACAS Xu networks: input ``(1, 1, 1, 5)``,
    ``Flatten``, ``Sub`` of the input mean, six hidden ``MatMul`` + ``Add`` + ``Relu``
    layers of 50 units, ``MatMul`` + ``Add`` to 5 outputs; random weights."""
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=5).reshape(mean_shape)
    nodes = [helper.make_node("Flatten", ["input"], ["f"]),
             helper.make_node("Sub", ["f", "mean"], ["a0"])]
    inits = [_tensor("mean", mean)]
    sizes = (5, 50, 50, 50, 50, 50, 50, 5)
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        last = i == len(sizes) - 1
        nodes += [helper.make_node("MatMul", [f"a{i - 1}", f"W{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"],
                                   ["output" if last else f"t{i}"])]
        if not last:
            nodes.append(helper.make_node("Relu", [f"t{i}"], [f"a{i}"]))
        inits += [_tensor(f"W{i}", rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)),
                  _tensor(f"b{i}", 0.1 * rng.normal(size=fan_out))]
    graph = helper.make_graph(
        nodes, "acasxu_shaped",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 1, 5])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize("mean_shape", [(5,), (1, 5)])
def test_an_acasxu_shaped_network_reads_as_onnxruntime_runs_it(
        tmp_path: Path, mean_shape: tuple[int, ...]) -> None:
    path = _save(tmp_path, acasxu_shaped(mean_shape=mean_shape))
    net = ri.read_onnx(path)
    assert net.sizes == (5, 50, 50, 50, 50, 50, 50, 5)
    assert net.output_activation == "linear"
    for z in _f32(np.random.default_rng(3).uniform(-1, 1, size=(20, 5))):
        out = _run(path, z.reshape(1, 1, 1, 5)).ravel()
        np.testing.assert_allclose(out, net.forward(z), atol=1e-5 * (1 + np.abs(out).max()))


def _one_gemm_double(nodes_after: list[Any]) -> Any:
    """``y = s(W x)`` on a float64 row vector of one entry, ``W = [[2]]``."""
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["z", "W"], ["h"]), *nodes_after], "g",
        [helper.make_tensor_value_info("z", TensorProto.DOUBLE, [1, 1])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 1])],
        [_tensor("W", np.array([[2.0]]), np.float64)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_leaky_relu_without_alpha_is_the_float32_default_onnxruntime_runs(
        tmp_path: Path) -> None:
    """ONNX's default ``alpha`` is the float32 0.01; read as the float64 0.01 the network
    differs from the file by 2e-10 relative, and ``verify`` answered ``sat`` on that."""
    path = _save(tmp_path, _one_gemm_double([helper.make_node("LeakyRelu", ["h"], ["x"])]))
    net = ri.read_onnx(path)
    assert net.activation_spec == ("leaky_relu", float(np.float32(0.01)))
    z = np.array([[-1.0]])
    assert net.forward(z)[0] == _run(path, z)[0, 0]  # float64 model: equal to the last bit


def test_external_data_is_read_from_beside_the_model(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A tensor stored in an external file is read from the model's folder, never from the
    working directory (a decoy ``w.data`` there held another weight); a missing one is
    refused in one line."""
    folder = tmp_path / "model"
    folder.mkdir()
    model = _one_gemm_double([helper.make_node("Relu", ["h"], ["x"])])
    onnx.save(model, str(folder / "ext.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="w.data", size_threshold=0)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "w.data").write_bytes(np.array([7.0]).tobytes())
    monkeypatch.chdir(elsewhere)
    net = ri.read_onnx(folder / "ext.onnx")
    assert np.asarray(net.weights[0]).tolist() == [[2.0]]
    (folder / "w.data").unlink()
    with pytest.raises(ri.ProblemFileError, match=r"ext\.onnx: initializer 'W' cannot be read"):
        ri.read_onnx(folder / "ext.onnx")


def test_what_onnxruntime_would_not_load_is_refused(tmp_path: Path) -> None:
    """A custom-domain op, float64 weights on a float32 input, an integer input, an empty
    weight and a graph whose only input is an initializer: each refused in one line, so
    that no command works on a network the file does not compute."""
    gemm = [helper.make_node("Gemm", ["z", "B1"], ["x"], transB=1)]
    custom = [helper.make_node("Gemm", ["z", "B1"], ["h"], transB=1),
              helper.make_node("Relu", ["h"], ["x"], domain="com.example")]
    cases = [
        (_model(custom, [_tensor("B1", A1)], out_dim=N), "operator domain 'com.example'"),
        (_model(gemm, [_tensor("B1", A1, np.float64)], out_dim=N),
         "'B1' has dtype float64 but the input is float32"),
        (_model(gemm, [_tensor("B1", A1)], out_dim=N, elem=TensorProto.INT64),
         "element type INT64; a float32 or float64 input is read"),
        (_model(gemm, [_tensor("B1", np.zeros((0, K)))], out_dim=N), "no entries"),
    ]
    for model, pattern in cases:
        _refused(tmp_path, model, pattern)
    graph = helper.make_graph(gemm, "g", [helper.make_tensor_value_info("z", TensorProto.FLOAT,
                                                                         [1, K])],
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, N])],
                              [_tensor("B1", A1), _tensor("z", np.ones((1, K)))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    _refused(tmp_path, model, "every graph input is also an initializer")


def test_batch_normalization_without_epsilon_is_the_float32_default(tmp_path: Path) -> None:
    """ONNX's default epsilon is the float32 1e-5; read as the float64 1e-5 the network
    differs from the file by about 1e-8 relative, and verify answered unsat on a sat
    property of such a file."""
    nodes = [helper.make_node("Gemm", ["z", "W"], ["h"]),
             helper.make_node("BatchNormalization", ["h", "s", "B", "m", "v"], ["n"]),
             helper.make_node("Relu", ["n"], ["x"])]
    inits = [_tensor("W", np.array([[1.0, 1.0]]), np.float64),
             _tensor("s", np.array([1.0, 1.0]), np.float64),
             _tensor("B", np.array([0.0, 0.0]), np.float64),
             _tensor("m", np.array([0.0, 0.0]), np.float64),
             _tensor("v", np.array([1e-6, 1e-6]), np.float64)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("z", TensorProto.DOUBLE, [1, 1])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    path = _save(tmp_path, model)
    net = ri.read_onnx(path)
    z = np.array([[0.7]])
    np.testing.assert_allclose(net.forward(z)[0], _run(path, z)[0], rtol=1e-13)


def _elementwise_chain_after_relu(tmp_path: Path, ops: tuple[str, ...],
                                  values: tuple[float, ...]) -> Path:
    """A float32 file ``x = op_n(... op_1(relu(sum z), c_1) ..., c_n)``."""
    nodes = [helper.make_node("Gemm", ["z", "W"], ["h"]), helper.make_node("Relu", ["h"], ["a0"])]
    inits = [_tensor("W", np.ones((K, 1)))]
    for i, (op, value) in enumerate(zip(ops, values, strict=True)):
        nodes.append(helper.make_node(op, [f"a{i}", f"c{i}"],
                                      ["x" if i == len(ops) - 1 else f"a{i + 1}"]))
        inits.append(_tensor(f"c{i}", np.array([value])))
    return _save(tmp_path, _model(nodes, inits, out_dim=1))


@pytest.mark.parametrize(("ops", "values"), [
    (("Add", "Sub"), (1e8, 1e8)),         # cancels in float32: (x + 1e8) - 1e8 = 0
    (("Mul", "Mul", "Div", "Div"), (1e30, 1e30, 1e30, 1e30)),  # overflows to inf
    (("Mul", "Mul", "Div", "Div"), (1e-30, 1e-30, 1e-30, 1e-30)),  # underflows to 0
])
def test_a_float32_fold_that_changes_the_value_is_refused(
        tmp_path: Path, ops: tuple[str, ...], values: tuple[float, ...]) -> None:
    """Folding removes float32's rounding between the ops; where that rounding changes the
    value, the file computes another network than the one folded, and is refused."""
    path = _elementwise_chain_after_relu(tmp_path, ops, values)
    with pytest.raises(ri.ProblemFileError, match="computes other values than its folded"):
        ri.read_onnx(path)


def test_a_float32_fold_within_rounding_is_read(tmp_path: Path) -> None:
    """The same chain with harmless constants: (x + 3) * 2 / 4 - 1 reads and matches."""
    path = _elementwise_chain_after_relu(tmp_path, ("Add", "Mul", "Div", "Sub"),
                                         (3.0, 2.0, 4.0, 1.0))
    net = ri.read_onnx(path)
    z = np.random.default_rng(1).normal(size=(1, K)).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(net.forward(z)[0], _run(path, z)[0], rtol=1e-6)


def test_a_gzip_compressed_model_reads_as_the_model(tmp_path: Path) -> None:
    """VNN-COMP folders ship ``.onnx.gz``: it was read as a NumPy archive and refused."""
    import gzip

    from reluinv.data.onnx_io import read_model_bytes

    net = ri.random_network([3, 5, 4], rng=np.random.default_rng(2))
    ri.write_onnx(net, tmp_path / "n.onnx")
    whole = (tmp_path / "n.onnx").read_bytes()
    (tmp_path / "n.onnx.gz").write_bytes(gzip.compress(whole))
    assert ri.read_onnx(tmp_path / "n.onnx.gz") == ri.read_onnx(tmp_path / "n.onnx") == net
    assert read_model_bytes(tmp_path / "n.onnx.gz") == whole
    # a decompression bomb stops at the cap, in one line naming the file
    with pytest.raises(ri.ProblemFileError, match=r"n\.onnx\.gz: decompresses to more than "
                                                  r"100 bytes"):
        read_model_bytes(tmp_path / "n.onnx.gz", max_bytes=100)
