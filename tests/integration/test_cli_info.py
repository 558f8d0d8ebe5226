"""``reluinv info`` through the command-line entry point."""

from __future__ import annotations

import io
from pathlib import Path

from reluinv import __version__
from reluinv.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_info_reports_every_good_file_and_one_line_per_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cnf"
    bad.write_text("p cnf 2 1\n1 3 0\n")
    missing = tmp_path / "missing.cnf"
    code, out, err = call("info", str(EXAMPLES / "uf5-satlib.cnf"), str(bad), str(missing),
                          str(EXAMPLES / "partial-maxsat.wcnf"))
    assert code == 2
    assert "variables        5" in out
    assert "clause lengths   3:6" in out
    assert "hard clauses     2 (weight 11 each)" in out
    lines = err.splitlines()
    assert lines == [
        f"reluinv: error: {bad}:2: literal 3 exceeds the declared number of variables 2",
        f"reluinv: error: {missing}: no such file",
    ]


def test_info_exit_zero_on_good_files() -> None:
    code, out, err = call("info", str(EXAMPLES / "partial-maxsat-new.wcnf"))
    assert code == 0
    assert err == ""
    assert "weighted (wcnf)" in out


def test_version_and_help() -> None:
    import contextlib
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert run(["--version"]) == 0
    assert buffer.getvalue().strip() == f"reluinv {__version__}"
    code, out, _ = call()
    assert code == 2
    assert "info" in out
