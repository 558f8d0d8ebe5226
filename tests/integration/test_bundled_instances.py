"""The bundled instance set against its manifest, and its regeneration.

The manifest's answers were computed by :mod:`reluinv.validation.bundled` (CaDiCaL and
Glucose for satisfiability, RC2 and a CaDiCaL linear search for the cost). They are checked
here by routes that share no code with that build:

* brute force over ``{0,1}^k`` (:mod:`reluinv.testing`) for ``k <= 12``;
* OR-Tools CP-SAT, given the clauses directly (:func:`reluinv.testing.cpsat_maxsat_cost`),
  for the cost of every other file but one (``CPSAT_TOO_SLOW``);
* :func:`reluinv.solve_sat` for satisfiability, its answer never taken on trust: a model is
  re-counted clause by clause, an UNSAT answer must carry a DRUP proof that drup (an
  independent, verified checker) accepted.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest

from reluinv import read_dimacs, solve_sat
from reluinv.cli import run
from reluinv.testing import (
    brute_force_maxsat_cost,
    cpsat_maxsat_cost,
    falsified_weight,
    rc2_cost,
)
from reluinv.validation.bundled import FAMILIES, MANIFEST_NAME, bundled_instances

INSTANCES = bundled_instances()
MANIFEST = json.loads((INSTANCES / MANIFEST_NAME).read_text())
FILES = sorted(MANIFEST["files"])

#: Instances at most this large get their answers recomputed by brute force.
BRUTE_FORCE_K = 12

#: Instances whose optimum CP-SAT (one worker) needs minutes to prove; their cost is
#: checked by the test's own RC2 call instead, the optimum's model re-counted. The one
#: such instance, r3-k60-ratio6-s1 (310 s measured), left the set (the manifest's
#: "rebalanced" says why).
CPSAT_TOO_SLOW: set[str] = set()

#: CP-SAT takes 1.5 s or more on these (measured on two cores, one worker; five to ten times
#: that on a loaded machine): run by `make test` only.
CPSAT_SLOW = {
    "maxsat-overconstrained/r3-k30-ratio8-s0.cnf",  # 2.2 s
    "maxsat-overconstrained/r3-k40-ratio6-s1.cnf",  # 2.4 s
    "maxsat-overconstrained/r3-k50-ratio6-s1.cnf",  # 1.5 s
    "random-3cnf/r3-k100-m426-s5.cnf",  # 2.5 s
}


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
BY_CPSAT = [pytest.param(p, marks=pytest.mark.slow) if p in CPSAT_SLOW else p
            for p in FILES if p not in SMALL and p not in CPSAT_TOO_SLOW]


@pytest.mark.parametrize("path", SMALL)
def test_small_answers_by_brute_force(path: str) -> None:
    entry = MANIFEST["files"][path]
    cost = brute_force_maxsat_cost(read_dimacs(INSTANCES / path))
    assert (cost == 0, cost) == (entry["satisfiable"], entry["maxsat_cost"])


@pytest.mark.parametrize("path", BY_CPSAT)
def test_costs_by_cpsat_on_the_clauses(path: str) -> None:
    entry = MANIFEST["files"][path]
    assert cpsat_maxsat_cost(read_dimacs(INSTANCES / path)) == entry["maxsat_cost"]


@pytest.mark.parametrize("path", sorted(CPSAT_TOO_SLOW))
def test_costs_by_rc2_called_directly(path: str) -> None:
    entry = MANIFEST["files"][path]
    assert rc2_cost(read_dimacs(INSTANCES / path)) == entry["maxsat_cost"]


@pytest.mark.parametrize("path", FILES)
def test_satisfiability_with_checked_evidence(path: str) -> None:
    formula = read_dimacs(INSTANCES / path)
    result = solve_sat(formula, proof=True)
    assert result.satisfiable == MANIFEST["files"][path]["satisfiable"]
    if result.satisfiable:
        assert result.model is not None
        assert falsified_weight(formula, result.model) == 0
    else:
        assert result.proof_checked is True, result.message


def test_every_cost_is_checked_outside_the_build() -> None:
    checked = set(SMALL) | set(CPSAT_TOO_SLOW) | {
        p if isinstance(p, str) else p.values[0] for p in BY_CPSAT}
    assert checked == set(FILES)


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
