"""``reluinv verify``: VNN-COMP's result format on stdout and in ``--out``, and the
counterexample it prints replayed independently in onnxruntime (float32)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest

import reluinv as ri
from reluinv.cli import run
from reluinv.data.vnnlib import OutputPolytope
from reluinv.reduction.export import cnf_embedding, real_latent
from tests.onnx_files import write_at_opset

SAT = ri.parse_dimacs("p cnf 3 3\n1 2 0\n-1 3 0\n-3 0\n")
UNSAT = ri.parse_dimacs("p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n")
PAIR = re.compile(r"\(([XY])_(\d+) ([^\s)]+)\)")


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def files(tmp_path: Path, encoding: object, formula: ri.Formula, gz: bool) -> tuple[str, str]:
    net, prop = encoding(formula)  # type: ignore[operator]
    onnx_path, vnnlib_path = tmp_path / "net.onnx", tmp_path / ("p.vnnlib.gz" if gz else "p.vnnlib")
    ri.write_onnx(net, onnx_path, dtype="float32")
    ri.write_vnnlib(prop, vnnlib_path)
    return str(onnx_path), str(vnnlib_path)


def parse_counterexample(text: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = PAIR.findall(text)
    x = np.array([float(v) for kind, _, v in pairs if kind == "X"])
    y = np.array([float(v) for kind, _, v in pairs if kind == "Y"])
    return x, y


@pytest.mark.parametrize("encoding", [cnf_embedding, real_latent])
@pytest.mark.parametrize("structural", [True, False])
def test_sat_prints_a_counterexample_that_onnxruntime_confirms(
        tmp_path: Path, encoding: object, structural: bool) -> None:
    onnx_path, vnnlib_path = files(tmp_path, encoding, SAT, gz=False)
    argv = ["verify", onnx_path, vnnlib_path, *([] if structural else ["--no-structural"])]
    code, out, err = call(*argv)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "sat"
    assert lines[1].startswith("((X_0 ")
    assert lines[-1].endswith("))")
    assert all(line.startswith(" (") for line in lines[2:])
    x, y = parse_counterexample(out)
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    y32 = session.run(None, {"z": x.astype(np.float32).reshape(1, -1)})[0].ravel()
    prop = ri.read_vnnlib(vnnlib_path, len(x), len(y))
    assert prop.holds(x, y32, tol=1e-4)
    np.testing.assert_allclose(y32, y, atol=1e-5)


def test_unsat_with_out_writes_the_file_and_a_summary(tmp_path: Path) -> None:
    onnx_path, vnnlib_path = files(tmp_path, cnf_embedding, UNSAT, gz=True)
    result = tmp_path / "result.txt"
    code, out, _ = call("verify", onnx_path, vnnlib_path, "--out", str(result))
    assert code == 3
    assert result.read_text() == "unsat\n"
    assert out.startswith("unsat (drup_checked): recognised cnf_embedding")


def test_timeout_is_written_as_timeout(tmp_path: Path) -> None:
    onnx_path, vnnlib_path = files(tmp_path, real_latent, UNSAT, gz=False)
    code, out, _ = call("verify", onnx_path, vnnlib_path, "--no-structural", "--timeout",
                        "1e-9")
    assert (code, out) == (4, "timeout\n")


def test_a_bad_property_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    onnx_path, vnnlib_path = files(tmp_path, cnf_embedding, SAT, gz=False)
    Path(vnnlib_path).write_text(Path(vnnlib_path).read_text() + "(assert (= Y_0 1))\n")
    code, out, err = call("verify", onnx_path, vnnlib_path)
    assert (code, out) == (2, "")
    assert re.fullmatch(r"reluinv: error: \S+p\.vnnlib:\d+: unsupported operator '='; [^\n]*\n",
                        err)


def test_a_model_onnxruntime_refuses_is_one_line_naming_the_file(tmp_path: Path) -> None:

    onnx_path, vnnlib_path = files(tmp_path, cnf_embedding, SAT, gz=False)
    model = onnx.load(onnx_path)
    model.opset_import[0].version = 99  # reluinv reads it; onnxruntime does not load it
    onnx.save(model, onnx_path)
    code, out, err = call("verify", onnx_path, vnnlib_path)
    assert (code, out) == (2, "")
    assert re.fullmatch(r"reluinv: error: \S+net\.onnx: onnxruntime cannot load the model: "
                        r"[^\n]*[Oo]pset 99[^\n]*\n", err), err


def test_a_double_leaky_model_onnxruntime_does_not_implement_is_verified(
        tmp_path: Path) -> None:
    """ONNX defines ``LeakyRelu`` on doubles from opset 6; onnxruntime implements it only
    from opset 16. Such a file is read and verified (a warning says onnxruntime did not run
    it), and inverted, never refused nor a traceback."""
    net = ri.ReluNetwork([[[1.0, -2.0], [0.5, 1.0], [1.0, 1.0]], [[1.0, -1.0, 0.5]]],
                         [[0.1, -0.2, 0.0], [0.3]], ("leaky_relu", 0.1))
    onnx_path, vnnlib_path = tmp_path / "leaky.onnx", tmp_path / "p.vnnlib"
    write_at_opset(net, onnx_path, 13)
    ri.write_vnnlib(ri.Property([-1.0, -1.0], [1.0, 1.0], (OutputPolytope([[-1.0]], [-0.5]),),
                                1), vnnlib_path)
    code, out, err = call("verify", str(onnx_path), str(vnnlib_path))
    assert code == 0, err
    assert out.startswith("sat\n")
    assert re.fullmatch(rf"reluinv: warning: {re.escape(str(onnx_path))}: onnxruntime does "
                        r"not implement the model \([^\n]*LeakyRelu[^\n]*\): it was not "
                        r"run; [^\n]*\n", err), err
    x_path = tmp_path / "x.npy"
    np.save(x_path, net.forward([0.2, 0.3]))
    code, out, err = call("invert", str(onnx_path), str(x_path), "--hybrid")
    assert (code, err) == (0, ""), out


def test_a_size_mismatch_names_both_files(tmp_path: Path) -> None:
    onnx_path, vnnlib_path = files(tmp_path, cnf_embedding, SAT, gz=False)  # 3 inputs
    ri.write_vnnlib(ri.Property(np.zeros(4), np.ones(4), (OutputPolytope([[1.0]], [0.5]),),
                                1), vnnlib_path)
    code, _, err = call("verify", onnx_path, vnnlib_path)
    assert code == 2
    assert re.fullmatch(r"reluinv: error: \S+p\.vnnlib:\d+: X_3 is out of range: the network "
                        r"\S+net\.onnx has 3 inputs\n", err), err
    ri.write_vnnlib(ri.Property(np.zeros(2), np.ones(2), (OutputPolytope([[1.0]], [0.5]),),
                                1), vnnlib_path)
    code, _, err = call("verify", onnx_path, vnnlib_path)
    assert code == 2
    assert re.fullmatch(r"reluinv: error: \S+p\.vnnlib: X_2 is never declared \(the network "
                        r"\S+net\.onnx has 3 inputs, the property declares 2\)\n", err), err


def test_a_file_that_computes_another_network_is_refused(tmp_path: Path) -> None:
    """verify runs the caller's file before it answers: a network read that differs from
    what onnxruntime computes would decide another question."""
    onnx_path, _ = files(tmp_path, cnf_embedding, SAT, gz=False)
    net, prop = cnf_embedding(SAT)
    other = ri.ReluNetwork(list(net.weights), [net.biases[0], np.asarray(net.biases[1]) + 1.0],
                           output_activation="linear")
    with pytest.raises(ri.ProblemFileError, match=r"net\.onnx: onnxruntime's outputs differ "
                       r"from the network read by 1 "):
        ri.verify(other, prop, onnx_model=onnx_path)
    wider = ri.ReluNetwork([net.weights[0], np.vstack([net.weights[1]] * 2)],
                           [net.biases[0], np.concatenate([net.biases[1]] * 2)],
                           output_activation="linear")
    prop2 = ri.Property(prop.lower, prop.upper, (OutputPolytope([[1.0, 0.0]], [0.5]),), 2)
    with pytest.raises(ri.ProblemFileError, match=r"onnxruntime computes 1 outputs, the "
                       "network read has 2"):
        ri.verify(wider, prop2, onnx_model=onnx_path)


def _acasxu_files(tmp_path: Path) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, float]:
    """An ACAS-Xu-shaped model (``tests.unit.test_onnx_io.acasxu_shaped``), a narrow box,
    onnxruntime's outputs at its centre, and an upper bound on ``Y_0`` over the box by
    interval arithmetic on the file's own initializers (no reluinv code)."""

    from tests.unit.test_onnx_io import acasxu_shaped

    model = acasxu_shaped(seed=7)
    onnx_path = tmp_path / "acasxu.onnx"
    onnx.save(model, str(onnx_path))
    centre = np.random.default_rng(1).uniform(-0.5, 0.5, size=5)
    lower, upper = centre - 0.01, centre + 0.01
    values = {t.name: onnx.numpy_helper.to_array(t).astype(np.float64)
              for t in model.graph.initializer}
    lo, hi = lower - values["mean"].ravel(), upper - values["mean"].ravel()
    for i in range(1, 8):
        W, b = values[f"W{i}"], values[f"b{i}"]
        mid, rad = (lo + hi) / 2 @ W + b, (hi - lo) / 2 @ np.abs(W)
        lo, hi = mid - rad, mid + rad
        if i < 7:
            lo, hi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    y = session.run(None, {"input": centre.astype(np.float32).reshape(1, 1, 1, 5)})[0].ravel()
    return str(onnx_path), lower, upper, y.astype(np.float64), float(hi[0])


def _acasxu_property(path: Path, lower: np.ndarray, upper: np.ndarray, output: str) -> str:
    lines = [f"(declare-const X_{i} Real)" for i in range(5)]
    lines += [f"(declare-const Y_{j} Real)" for j in range(5)]
    for i in range(5):
        lines += [f"(assert (>= X_{i} {float(lower[i])!r}))",
                  f"(assert (<= X_{i} {float(upper[i])!r}))"]
    path.write_text("\n".join([*lines, output, ""]))
    return str(path)


def test_an_acasxu_shaped_network_is_verified_end_to_end(tmp_path: Path) -> None:
    """The VNN-COMP ACAS Xu structure (``(1, 1, 1, 5)`` input, ``Flatten``, ``Sub`` of the
    input mean, ``MatMul`` + ``Add`` + ``Relu``): ``Y_0 - Y_1 <= v`` holds at the box's
    centre (onnxruntime), so is sat; ``Y_0 >= U + 0.5`` with ``U`` an interval bound on
    ``Y_0`` over the box is unsat."""
    onnx_path, lower, upper, y, bound = _acasxu_files(tmp_path)
    sat = _acasxu_property(tmp_path / "sat.vnnlib", lower, upper,
                           f"(assert (<= (- Y_0 Y_1) {float(y[0] - y[1] + 0.01)!r}))")
    code, out, err = call("verify", onnx_path, sat)
    assert (code, err) == (0, ""), out
    x, y_found = parse_counterexample(out)
    assert np.all(lower <= x)
    assert np.all(x <= upper)
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    y32 = session.run(None, {"input": x.astype(np.float32).reshape(1, 1, 1, 5)})[0].ravel()
    assert y32[0] - y32[1] <= y[0] - y[1] + 0.01 + 1e-4
    np.testing.assert_allclose(y32, y_found, atol=1e-5)
    unsat = _acasxu_property(tmp_path / "unsat.vnnlib", lower, upper,
                             f"(assert (>= Y_0 {bound + 0.5!r}))")
    code, out, err = call("verify", onnx_path, unsat)
    assert (code, err) == (3, ""), out
    assert out == "unsat\n"


@pytest.mark.parametrize("shape", [["K"], ["N", "K"], ["N", 3]])
def test_an_input_of_symbolic_length_is_fed_as_read_onnx_reads_it(
        tmp_path: Path, shape: list[object]) -> None:
    """``y = x . (1, 2, -1)`` with the input's length symbolic: ``read_onnx`` reads three
    inputs, and onnxruntime must be fed three too (it was fed one, and the file refused)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, shape)],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, None)],
        [numpy_helper.from_array(np.array([[1.0], [2.0], [-1.0]]), "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "n.onnx"))
    declare = "".join(f"(declare-const X_{i} Real)\n(assert (>= X_{i} 0.0))\n"
                      f"(assert (<= X_{i} 1.0))\n" for i in range(3))
    (tmp_path / "p.vnnlib").write_text(declare + "(declare-const Y_0 Real)\n"
                                       "(assert (>= Y_0 2.5))\n")
    code, out, err = call("verify", str(tmp_path / "n.onnx"), str(tmp_path / "p.vnnlib"))
    assert code == 0, err
    x, _ = parse_counterexample(out)
    assert x @ np.array([1.0, 2.0, -1.0]) >= 2.5


def test_out_is_checked_before_solving_and_never_an_input(tmp_path: Path) -> None:
    """``--out`` naming the property would destroy it; a missing folder is created."""
    net_path, prop_path = files(tmp_path, cnf_embedding, UNSAT, gz=False)
    before = Path(prop_path).read_text()
    code, _, err = call("verify", net_path, prop_path, "--out", prop_path)
    assert code == 2
    assert "writing there would destroy it" in err
    assert Path(prop_path).read_text() == before
    code, _out, err = call("verify", net_path, prop_path, "--out",
                          str(tmp_path / "new" / "result.txt"))
    assert code == 3, err
    assert (tmp_path / "new" / "result.txt").read_text().startswith("unsat")
