"""The bundled instance set against its manifest, and its regeneration."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from reluinv import Formula, read_dimacs
from reluinv.cli import run
from reluinv.validation.bundled import (
    FAMILIES,
    MANIFEST_NAME,
    bundled_instances,
    linear_search_cost,
    satisfiable,
)

INSTANCES = bundled_instances()
MANIFEST = json.loads((INSTANCES / MANIFEST_NAME).read_text())
FILES = sorted(MANIFEST["files"])

#: Instances at most this large get their answers recomputed by brute force.
BRUTE_FORCE_K = 12


def brute_force(formula: Formula) -> tuple[bool, int]:
    """(satisfiable, min falsified weight) by enumerating {0,1}^k with numpy."""
    k = formula.num_vars
    cube = np.array(list(itertools.product((0, 1), repeat=k)), dtype=np.int8).reshape(-1, k)
    falsified = np.zeros(len(cube), dtype=np.int64)
    for clause, weight in zip(formula.clauses, formula.clause_weights(), strict=True):
        true = np.zeros(len(cube), dtype=bool)
        for lit in clause:
            column = cube[:, abs(lit) - 1]
            true |= (column == 1) if lit > 0 else (column == 0)
        falsified += weight * ~true
    best = int(falsified.min())
    return best == 0, best


def test_manifest_lists_exactly_the_files_on_disk() -> None:
    on_disk = sorted(str(p.relative_to(INSTANCES)) for p in INSTANCES.rglob("*")
                     if p.is_file() and p.name != MANIFEST_NAME)
    assert on_disk == FILES
    assert {entry["family"] for entry in MANIFEST["files"].values()} == set(FAMILIES)
    assert all(path.split("/")[0] == MANIFEST["files"][path]["family"] for path in FILES)


def test_the_set_stays_modest() -> None:
    assert 40 <= len(FILES) <= 60
    assert sum((INSTANCES / p).stat().st_size for p in FILES) < 2_000_000
    answers = {entry["satisfiable"] for entry in MANIFEST["files"].values()
               if entry["family"] == "random-3cnf"}
    assert answers == {True, False}


@pytest.mark.parametrize("path", FILES)
def test_file_matches_its_manifest_entry(path: str) -> None:
    entry = MANIFEST["files"][path]
    formula = read_dimacs(INSTANCES / path)
    assert formula.sha256() == entry["sha256"]
    assert (formula.num_vars, formula.num_clauses, formula.num_hard) == (
        entry["num_vars"], entry["num_clauses"], entry["num_hard"])
    head = (INSTANCES / path).read_text().splitlines()[:3]
    assert head[0].startswith("c generator: reluinv ")
    assert head[1] == f"c family: {entry['family']}"
    assert head[2].startswith("c function: ")
    if entry["family"] not in ("walkthrough", "pigeonhole"):
        assert any(c.startswith("seed: ") for c in formula.comments)
    assert entry["satisfiable"] == (entry["maxsat_cost"] == 0)


SMALL = [p for p in FILES if MANIFEST["files"][p]["num_vars"] <= BRUTE_FORCE_K]


@pytest.mark.parametrize("path", SMALL)
def test_small_answers_by_brute_force(path: str) -> None:
    entry = MANIFEST["files"][path]
    assert brute_force(read_dimacs(INSTANCES / path)) == (entry["satisfiable"],
                                                          entry["maxsat_cost"])


MEDIUM = [p for p in FILES
          if BRUTE_FORCE_K < MANIFEST["files"][p]["num_vars"] <= 30
          and MANIFEST["files"][p]["maxsat_cost"] <= 8]


@pytest.mark.parametrize("path", MEDIUM)
def test_medium_answers_by_sat_solvers(path: str) -> None:
    entry = MANIFEST["files"][path]
    formula = read_dimacs(INSTANCES / path)
    assert satisfiable(formula) == entry["satisfiable"]
    assert linear_search_cost(formula) == entry["maxsat_cost"]


def test_brute_force_covers_every_family_but_random_large() -> None:
    covered = {MANIFEST["files"][p]["family"] for p in SMALL + MEDIUM}
    assert covered == set(FAMILIES)


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    families = ("walkthrough", "pigeonhole", "maxsat-partial")
    out = io.StringIO()
    code = run(["generate-instances", "--out", str(tmp_path), *itertools.chain.from_iterable(
        ("--family", f) for f in families)], stdout=out, stderr=io.StringIO())
    assert code == 0
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                     if p.is_file() and p.name != MANIFEST_NAME)
    assert written == [p for p in FILES if p.split("/")[0] in families]
    for path in written:
        assert (tmp_path / path).read_bytes() == (INSTANCES / path).read_bytes()
    regenerated = json.loads((tmp_path / MANIFEST_NAME).read_text())["files"]
    assert regenerated == {p: MANIFEST["files"][p] for p in written}
    assert "rc2" in out.getvalue()
