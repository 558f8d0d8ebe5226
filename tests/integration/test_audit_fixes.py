"""Regression tests for an outside audit's findings, each failing before its fix.

Every test drives the command line (:func:`reluinv.cli.run`) the way the audit did and
judges the outcome by reading the files back or by an independent route (hashes, the
bundled manifest, python-sat's solvers called directly).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from reluinv.cli import run
from reluinv.validation.bundled import MANIFEST_NAME, bundled_instances

INSTANCES = bundled_instances()
MANIFEST = json.loads((INSTANCES / MANIFEST_NAME).read_text())
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UF5 = EXAMPLES / "uf5-satlib.cnf"


def cli(*argv: str) -> tuple[int, str, str]:
    """Run one command; its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- generate-instances --family F --out <existing set> ------------------------------------


def test_generating_one_family_keeps_the_other_entries_of_the_manifest(tmp_path: Path) -> None:
    shutil.copytree(INSTANCES, tmp_path / "set")
    code, _, err = cli("generate-instances", "--out", str(tmp_path / "set"),
                       "--family", "walkthrough")
    assert code == 0, err
    merged = json.loads((tmp_path / "set" / MANIFEST_NAME).read_text())
    # the bundled set is deterministic: the rebuilt family's entries come back equal
    assert merged == MANIFEST
    assert not list((tmp_path / "set").glob("*.partial"))


def test_generating_into_a_foreign_manifest_is_refused_before_writing(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text('{"files": {"x.cnf": {}}}\n')
    code, out, err = cli("generate-instances", "--out", str(tmp_path),
                         "--family", "walkthrough")
    assert code == 2
    assert "not a reluinv-instances manifest" in err and len(err.splitlines()) == 1
    assert (tmp_path / MANIFEST_NAME).read_text() == '{"files": {"x.cnf": {}}}\n'
    assert not (tmp_path / "walkthrough").exists() and out == ""
