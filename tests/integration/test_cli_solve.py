"""``reluinv solve`` through the command-line entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

import reluinv as ri
from reluinv.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_solve_dimacs_prints_status_and_falsified_weight() -> None:
    code, out, err = call("solve", str(EXAMPLES / "uf5-satlib.cnf"))
    assert code == 0
    assert err == ""
    fields = dict(line.split(None, 1) for line in out.splitlines())
    assert fields["status"] == "OPTIMAL"
    assert fields["verified"] == "True"
    assert fields["backend"] == "cpsat"
    assert fields["falsified_weight"] == "0"
    for key in ("objective", "bound", "seconds", "assignment"):
        assert key in fields


def test_solve_real_latent_json_with_mip(tmp_path: Path) -> None:
    unsat = tmp_path / "unsat.cnf"
    unsat.write_text("p cnf 1 2\n1 0\n-1 0\n")
    code, out, _ = call("solve", str(unsat), "--latent", "real", "--objective", "l1",
                        "--time-limit", "30", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["backend"] == "mip"
    assert report["status"] == "OPTIMAL"
    assert report["objective"] == 1
    assert report["falsified_weight"] == 1
    assert report["verified"] is True


def test_solve_saved_problem(tmp_path: Path) -> None:
    net = ri.ReluNetwork([[[1.5, -1.0], [0.5, 2.0], [-1.0, 1.0]]])
    z = np.array([0.5, 0.25])
    path = tmp_path / "planted.npz"
    ri.InversionProblem(net, net.forward(z), ri.LatentDomain.box(2, -1, 1)).save(path)
    code, out, _ = call("solve", str(path), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["status"] == "OPTIMAL"
    assert report["verified"] is True
    assert report["backend"] == "mip"
    assert "falsified_weight" not in report
    assert np.allclose(net.forward(report["z"]), net.forward(z), atol=1e-6)


def test_solve_errors_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.cnf"
    code, out, err = call("solve", str(missing))
    assert code == 1
    assert out == ""
    assert err.splitlines() == [f"reluinv: error: {missing}: no such file"]
    code, _, err = call("solve", str(EXAMPLES / "uf5-satlib.cnf"), "--latent", "real",
                        "--backend", "cpsat")
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "use backend='mip'" in err
