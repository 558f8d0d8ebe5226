"""``reluinv solve`` through the command-line entry point."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import reluinv as ri
from reluinv.cli import run
from reluinv.cli import solve as solve_command

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_solve_dimacs_prints_the_record_and_the_falsified_weight() -> None:
    """The default backend is ``auto``: the library picks it (needs ``backend="auto"``)."""
    code, out, err = call("solve", str(EXAMPLES / "uf5-satlib.cnf"))
    assert (code, err) == (0, "")
    pairs = (line.partition(" ") for line in out.splitlines())
    fields = {key: value.strip() for key, _, value in pairs}
    assert fields["status"] == "optimal"
    assert fields["verified"] == "True"
    assert fields["backend"] in ri.EXACT_BACKENDS
    assert fields["falsified_weight"] == "0"
    assert len(fields["assignment"].split()) == 5
    for key in ("objective", "bound", "seconds", "z", "message"):
        assert key in fields


def test_solve_decodes_the_assignment_with_the_library(tmp_path: Path) -> None:
    """A pre-image decodes to the one satisfying assignment (lemma L2), falsifying 0."""
    formula = tmp_path / "one-model.cnf"
    formula.write_text("p cnf 2 2\n1 2 0\n-1 0\n")  # only x1 = 0, x2 = 1
    code, out, _ = call("solve", str(formula), "--backend", "cpsat", "--json")
    report = json.loads(out)
    assert (code, report["status"]) == (0, "optimal")
    assert report["z"] == [0, 1]
    assert report["assignment"] == [0, 1]
    assert report["falsified_weight"] == 0


def test_solve_passes_the_backend_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line chooses no backend: ``--backend`` (default ``auto``) goes to
    ``solve_exact`` as given."""
    seen: list[Any] = []

    def fake(problem: ri.InversionProblem, **options: Any) -> ri.ExactResult:
        seen.append(options["backend"])
        return ri.ExactResult(status=ri.Status.UNKNOWN, z=None, objective=None, bound=None,
                              seconds=0.0, verified=False, backend="cpsat", message="fake")

    monkeypatch.setattr(solve_command, "solve_exact", fake)
    source = str(EXAMPLES / "uf5-satlib.cnf")
    call("solve", source)
    call("solve", source, "--latent", "real", "--backend", "maxsat")
    assert seen == ["auto", "maxsat"]


def test_solve_real_latent_json_with_mip(tmp_path: Path) -> None:
    unsat = tmp_path / "unsat.cnf"
    unsat.write_text("p cnf 1 2\n1 0\n-1 0\n")
    code, out, _ = call("solve", str(unsat), "--latent", "real", "--objective", "l1",
                        "--backend", "mip", "--time-limit", "30", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["file"] == str(unsat)
    assert report["backend"] == "mip"
    assert report["status"] == "optimal"
    assert report["objective"] == 1
    assert report["assignment"] in ([0], [1])
    assert report["falsified_weight"] == 1
    assert report["verified"] is True


def test_solve_saved_problem(tmp_path: Path) -> None:
    net = ri.ReluNetwork([[[1.5, -1.0], [0.5, 2.0], [-1.0, 1.0]]])
    z = np.array([0.5, 0.25])
    path = tmp_path / "planted.npz"
    ri.InversionProblem(net, net.forward(z), ri.LatentDomain.box(2, -1, 1)).save(path)
    code, out, _ = call("solve", str(path), "--backend", "mip", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["status"] == "optimal"
    assert report["verified"] is True
    assert report["backend"] == "mip"
    assert "falsified_weight" not in report
    assert np.allclose(net.forward(report["z"]), net.forward(z), atol=1e-6)


def test_solve_writes_exact_objectives_as_fractions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The record's numbers go through the one serializer: an exact objective 7/2 is the
    string "7/2", never a rounded float. (The backends verify exactly only integer networks
    at integer points, where objectives are integers, so the result is made by hand.)"""
    result = ri.ExactResult(status=ri.Status.OPTIMAL, z=np.zeros(5), objective=Fraction(7, 2),
                            bound=3.5, seconds=0.0, verified=True, backend="mip",
                            message="by hand", objective_kind="l1", verification="exact")
    monkeypatch.setattr(solve_command, "solve_exact", lambda problem, **_: result)
    code, out, _ = call("solve", str(EXAMPLES / "uf5-satlib.cnf"), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["objective"] == "7/2"
    assert report["z"] == [0, 0, 0, 0, 0]
    assert report["assignment"] == [0, 0, 0, 0, 0]
    assert report["falsified_weight"] == ri.read_dimacs(EXAMPLES / "uf5-satlib.cnf").falsified(
        [0, 0, 0, 0, 0])


def test_solve_errors_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.cnf"
    code, out, err = call("solve", str(missing))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"reluinv: error: {missing}: no such file"]
    code, _, err = call("solve", str(EXAMPLES / "uf5-satlib.cnf"), "--latent", "real",
                        "--backend", "cpsat")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "use backend='mip'" in err


def test_solve_names_a_network_file_that_is_not_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "net.npz"
    ri.ReluNetwork([[[1.0]]]).save(path)
    code, out, err = call("solve", str(path))
    assert (code, out) == (2, "")
    assert err == (f"reluinv: error: {path}: a saved network without a target, not a "
                   "problem file (reluinv reduce writes problem files)\n")
