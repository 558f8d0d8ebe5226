"""The linear head of :class:`reluinv.ReluNetwork`: construction, persistence, model sizes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import reluinv as ri
from reluinv.cli import run
from reluinv.data.files import load_npz


def test_default_keeps_the_activation_after_the_last_layer() -> None:
    net = ri.ReluNetwork([[[1, -1]]])
    assert net.output_activation == "hidden"
    assert not net.output_linear
    assert net.forward([1.0, 3.0]).tolist() == [0.0]
    assert ri.ReluNetwork([[[1, -1]]], output_activation=None) == net


def test_linear_head_skips_only_the_last_activation() -> None:
    net = ri.ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [-5.0]],
                         output_activation="linear")
    # hidden ReLU still clips: h = (2, 0); linear output 2 + 0 - 5 = -3
    assert net.forward([2.0]).tolist() == [-3.0]
    assert net.forward_exact([2]) == [-3]
    assert [p.tolist() for p in net.pre_activations([2.0])] == [[2.0, -2.0], [-3.0]]
    assert [p.tolist() for p in net.layer_outputs([2.0])] == [[2.0, 0.0], [-3.0]]
    assert net.is_integral
    assert "output_activation='linear'" in repr(net)
    assert net != ri.ReluNetwork(net.weights, net.biases)


@pytest.mark.parametrize(("value", "error"), [
    ("sigmoid", ri.InvalidArgumentError),
    ("relu", ri.InvalidArgumentError),
    (3, ri.InvalidTypeError),
])
def test_bad_output_activation_is_refused(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="output_activation must be 'hidden'"):
        ri.ReluNetwork([[[1]]], output_activation=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("head", ["hidden", "linear"])
def test_save_and_load_keep_the_output_activation(tmp_path: Path, head: str) -> None:
    net = ri.ReluNetwork([[[1.5, -2.0]], [[3.0]]], None, ("leaky_relu", 0.25),
                         output_activation=head)  # type: ignore[arg-type]
    path = tmp_path / "net.npz"
    net.save(path, seed=1)
    loaded = load_npz(path)
    assert loaded == net
    assert isinstance(loaded, ri.ReluNetwork)
    assert loaded.output_activation == head


def test_files_without_the_key_load_with_the_hidden_activation(tmp_path: Path) -> None:
    arrays = ri.ReluNetwork([[[1, 2]]]).to_arrays()
    header = json.loads(str(arrays["network"]))
    del header["output_activation"]
    arrays["network"] = np.array(json.dumps(header))
    np.savez(tmp_path / "old.npz", **arrays)  # type: ignore[arg-type]
    assert ri.ReluNetwork.load(tmp_path / "old.npz").output_activation == "hidden"


def test_a_bad_output_activation_in_a_file_is_a_file_error(tmp_path: Path) -> None:
    arrays = ri.ReluNetwork([[[1, 2]]]).to_arrays()
    header = json.loads(str(arrays["network"]))
    header["output_activation"] = "tanh"
    arrays["network"] = np.array(json.dumps(header))
    np.savez(tmp_path / "bad.npz", **arrays)  # type: ignore[arg-type]
    with pytest.raises(ri.ProblemFileError, match=r"bad\.npz: output_activation"):
        ri.ReluNetwork.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("objective", ["l1", "linf"])
@pytest.mark.parametrize("backend", ["cpsat", "mip"])
def test_a_linear_output_needs_no_binary(backend: str, objective: str) -> None:
    """Pinned sizes: 1 hidden unit unstable on the box (one binary), 2 linear outputs."""
    net = ri.ReluNetwork([[[1, 1]], [[1], [-1]]], [[-1], [0, 0]], output_activation="linear")
    problem = ri.InversionProblem(net, np.array([-1.0, 1.0]),
                                  ri.LatentDomain.box(2, -1, 1, integer=True))
    result = ri.solve_exact(problem, backend=backend, objective=objective)  # type: ignore[arg-type]
    assert result.model is not None
    assert result.model.linear_outputs == 2
    assert result.model.unstable == 1
    if backend == "mip":  # big-M: one binary per unstable unit, none for the outputs
        assert result.model.binaries == 1
    # h = relu(z1 + z2 - 1) in {0, 1}; outputs (h, -h) against (-1, 1): best h = 0
    assert result.objective == (2 if objective == "l1" else 1)


def test_the_target_fixes_a_negative_linear_output() -> None:
    net = ri.ReluNetwork([[[2.0, -1.0]]], output_activation="linear")
    problem = ri.InversionProblem(net, np.array([-3.0]), ri.LatentDomain.box(2, -2, 2))
    result = ri.solve_exact(problem, backend="mip", objective="feasible")
    assert result.status is ri.Status.OPTIMAL
    assert result.z is not None
    assert 2 * result.z[0] - result.z[1] == pytest.approx(-3.0)
    assert result.model is not None
    assert result.model.fixed_by_target == 1


def test_info_describes_the_output(tmp_path: Path) -> None:
    net = ri.ReluNetwork([[[1, 2]]], output_activation="linear")
    net.save(tmp_path / "n.npz")
    out, err = io.StringIO(), io.StringIO()
    code = run(["info", str(tmp_path / "n.npz")], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "output           linear" in out.getvalue()
