"""The hardness families against brute force, and the CNF embedding's lemma E1 against the
reference forward pass on every vertex."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reluinv as ri
from reluinv.cli import run
from reluinv.reduction.export import cnf_embedding, recognise
from reluinv.validation.families import (
    DETERMINISTIC_FAMILIES,
    FAMILIES,
    family_formula,
    instance_seed,
)
from tests.oracles import all_models, brute_force_satisfiable, reference_forward


@pytest.mark.parametrize("seed", range(4))
def test_planted_unique_has_exactly_one_model(seed: int) -> None:
    f = family_formula("planted_unique", 10, seed=seed)
    models = all_models(f)
    assert len(models) == 1
    assert "".join(map(str, models[0])) in f.comments[1]


@pytest.mark.parametrize(("vertices", "satisfiable"), [(4, True), (4, False), (6, True),
                                                        (6, False), (8, False)])
def test_tseitin_parity_decides_satisfiability(vertices: int, satisfiable: bool) -> None:
    f = family_formula("tseitin", vertices, seed=vertices, satisfiable=satisfiable)
    assert f.num_vars == 3 * vertices // 2
    assert brute_force_satisfiable(f) == satisfiable


@pytest.mark.parametrize("holes", [1, 2, 3])
def test_pigeonhole_is_unsatisfiable(holes: int) -> None:
    f = family_formula("pigeonhole", holes, seed=0)
    assert f.num_vars == holes * (holes + 1)
    assert not brute_force_satisfiable(f)


def test_random3sat_sits_at_the_threshold() -> None:
    f = family_formula("random3sat", 50, seed=0)
    assert (f.num_vars, f.num_clauses) == (50, 213)
    assert all(len(set(map(abs, c))) == 3 for c in f.clauses)


@pytest.mark.parametrize(("family", "sat"), [("tseitin", None), ("pigeonhole", True)])
def test_satisfiable_only_for_tseitin(family: str, sat: bool | None) -> None:
    with pytest.raises(ri.InvalidArgumentError, match="satisfiable is required for family"):
        family_formula(family, 4, seed=0, satisfiable=sat)


@pytest.mark.parametrize("seed", range(6))
def test_lemma_e1_on_every_vertex(seed: int) -> None:
    """Y_0 = 0 on models and Y_0 = number of falsified clauses >= 1 elsewhere (vertices),
    by the reference forward pass; and the pair is recognised as this formula."""
    rng = np.random.default_rng(seed)
    f = ri.Formula(5, tuple(tuple(int(v) * int(s) for v, s in zip(
        rng.choice(5, size=w, replace=False) + 1, rng.choice([-1, 1], size=w), strict=True))
        for w in rng.integers(1, 4, size=12)))
    net, prop = cnf_embedding(f)
    models = set(all_models(f))
    for vertex in itertools.product((0, 1), repeat=5):
        (y,) = reference_forward(net, list(vertex))
        if vertex in models:
            assert y == 0
        else:
            assert y >= 1
    recognised = recognise(net, prop)
    assert recognised is not None
    assert sorted(map(sorted, recognised.formula.clauses)) == sorted(map(sorted, f.clauses))


@pytest.mark.slow
def test_generate_properties_regenerates_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "bench"
    code = run(["export", "--format", "vnncomp", "--out", str(folder), "--family",
                       "tseitin", "--count", "2", "--size", "4", "--seed", "1"])
    assert code == 0
    first = (folder / "instances.csv").read_text()
    src = str(Path(ri.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, str(folder / "generate_properties.py"), "1"],
                          env={"PYTHONPATH": src}, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (folder / "instances.csv").read_text() == first


#: A small size per family, and whether the formula depends on the seed.
SEEDED_SIZES = {"random3sat": 10, "pigeonhole": 2, "tseitin": 6, "planted_unique": 8}


@pytest.mark.parametrize("family", sorted(SEEDED_SIZES))
def test_deterministic_families_are_exactly_those_the_seed_does_not_change(family: str
                                                                           ) -> None:
    assert set(SEEDED_SIZES) == set(FAMILIES)
    sat = True if family == "tseitin" else None
    clauses = {family_formula(family, SEEDED_SIZES[family], seed=seed,
                              satisfiable=sat).clauses for seed in (0, 1, 2)}
    assert (len(clauses) == 1) is (family in DETERMINISTIC_FAMILIES)


@pytest.mark.parametrize("count", [2, 3])
def test_export_refuses_copies_of_a_deterministic_family(tmp_path: Path, count: int) -> None:
    err = io.StringIO()
    code = run(["export", "--format", "vnncomp", "--out", str(tmp_path / "bench"),
                "--family", "pigeonhole", "--count", str(count), "--size", "2"],
               stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert err.getvalue().count("\n") == 1
    assert f"--count {count}: the pigeonhole family has one formula" in err.getvalue()
    assert not (tmp_path / "bench").exists()


def test_instance_seeds_never_repeat_across_sets() -> None:
    # every (set seed, index) pair gets its own formula seed, even past 1000 per set
    seen = {instance_seed(seed, index) for seed in range(40) for index in range(1200)}
    assert len(seen) == 40 * 1200
