"""``reluinv check`` through the command-line entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path

from reluinv.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_check_prints_a_readable_record() -> None:
    code, out, err = call("check", str(EXAMPLES / "partial-maxsat.wcnf"))
    assert code == 0, err
    assert "UNSAT, proof accepted by drup" in out
    assert "MaxSAT  cost 2" in out
    assert "exact real   l1       optimal, objective 2, via mip, witness verified" in out
    assert out.rstrip().splitlines()[-1].startswith("  verdict agree")


def test_check_json_is_the_record() -> None:
    code, out, _ = call("check", "--json", "--no-layerwise", str(EXAMPLES / "uf5-satlib.cnf"))
    assert code == 0
    record = json.loads(out)
    assert record["verdict"] == "agree"
    assert record["sat"]["satisfiable"] is True
    assert record["layerwise"] == {}


def test_check_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cnf"
    bad.write_text("p cnf 1 1\n2 0\n")
    code, out, err = call("check", str(bad))
    assert code == 2
    assert out == ""
    assert err == f"reluinv: error: {bad}:2: literal 2 exceeds the declared number of variables 1\n"


def test_check_engines_flag_adds_an_opinion() -> None:
    code, out, err = call("check", "--json", "--no-layerwise", "--engines", "maxsat",
                          str(EXAMPLES / "partial-maxsat.wcnf"))
    assert code == 0, err
    record = json.loads(out)
    assert record["opinions"]["maxsat"]["l1"]["backend"] == "maxsat"
    assert record["exact"]["binary"]["l1"]["backend"] == "cpsat"


def test_check_engines_flag_rejects_an_unknown_backend() -> None:
    code, _, err = call("check", "--engines", "maxsat,gurobi", str(EXAMPLES / "uf5-satlib.cnf"))
    assert code == 2
    assert "--engines must be a comma-separated list of" in err
