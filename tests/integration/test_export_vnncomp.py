"""``export`` + ``verify`` round trip on every hardness family and both encodings: the
folder's structure, agreement with ``solve_sat``, counterexamples in onnxruntime, and the
float32 margin of lemmas E1 and L3."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest

import reluinv as ri
from reluinv.reduction.export import ENCODINGS, cnf_embedding, real_latent
from reluinv.validation.families import family_formula
from reluinv.validation.vnncomp import export_vnncomp, ground_truth_path

PAIR = re.compile(r"\(([XY])_(\d+) ([^\s)]+)\)")
VERDICT_WORDS = re.compile(r"sat|unsat|true|false|yes|no|safe|unsafe|holds|violated", re.I)

# (family, size, satisfiable) per formula; sizes keep k <= 30
STRUCTURAL = {
    # seeds 7..12: unsatisfiable at 20, 30, 25 and 16 variables, satisfiable at 12 and 24
    "random3sat": [("random3sat", n, None) for n in (20, 30, 25, 12, 16, 24)],
    "pigeonhole": [("pigeonhole", 4, None), ("pigeonhole", 5, None)],
    "tseitin": [("tseitin", 12, True), ("tseitin", 20, False)],
    "planted_unique": [("planted_unique", 20, None), ("planted_unique", 30, None)],
}
# small enough for the MIP path alone (no structural fast path)
GENERAL = {
    "random3sat": [("random3sat", 8, None)],
    "pigeonhole": [("pigeonhole", 2, None)],
    "tseitin": [("tseitin", 6, True), ("tseitin", 6, False)],
    "planted_unique": [("planted_unique", 8, None)],
}


def make(specs: list[tuple[str, int, bool | None]], seed: int = 7) -> list[ri.Formula]:
    return [family_formula(family, size, seed=seed + i, satisfiable=sat)
            for i, (family, size, sat) in enumerate(specs)]


def structural_check(folder: Path) -> list[dict[str, Any]]:
    """instances.csv rows point to existing files; no name carries a verdict; the ground
    truth lives beside the folder, one record per row."""
    with open(folder / "instances.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows
    for onnx_rel, vnnlib_rel, timeout in rows:
        assert (folder / onnx_rel).is_file()
        assert (folder / vnnlib_rel).is_file()
        assert float(timeout) > 0
    for path in folder.rglob("*"):
        assert not VERDICT_WORDS.search(path.name.replace("vnnlib", "")), path.name
    assert not list(folder.rglob("*ground_truth*"))
    truth = [json.loads(line) for line in ground_truth_path(folder).read_text().splitlines()]
    assert [(t["onnx"], t["vnnlib"]) for t in truth] == [(a, b) for a, b, _ in rows]
    return truth


def parse_counterexample(text: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = PAIR.findall(text)
    return (np.array([float(v) for kind, _, v in pairs if kind == "X"]),
            np.array([float(v) for kind, _, v in pairs if kind == "Y"]))


def runtime_outputs(onnx_path: Path, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feed = np.asarray(x, dtype=np.float32).reshape(-1, session.get_inputs()[0].shape[1])
    return np.asarray(session.run(None, {"z": feed})[0], dtype=np.float64)


def round_trip(tmp_path: Path, formulas: list[ri.Formula], encoding: str, structural: bool,
               gz: bool) -> set[str]:
    folder = tmp_path / "bench"
    summary = export_vnncomp(formulas, folder, encoding=encoding, seed=3, gzip=gz)  # type: ignore[arg-type]
    truth = structural_check(folder)
    assert summary.instances == len(formulas)
    by_hash = {f.sha256(): f for f in formulas}
    for record in truth:
        formula = by_hash[record["formula_sha256"]]
        expected = "sat" if ri.solve_sat(formula).satisfiable else "unsat"
        assert record["verdict"] == expected
        net = ri.read_onnx(folder / record["onnx"])
        prop = ri.read_vnnlib(folder / record["vnnlib"], net.latent_dim, net.output_dim)
        result = ri.verify(net, prop, structural=structural, onnx_model=folder / record["onnx"])
        assert result.status.value == expected, result.message
        assert result.method == ("structural" if structural else "mip")
        if expected == "sat":
            for text in (record["witness"], result.vnncomp_text()):
                x, _ = parse_counterexample(text)
                y32 = runtime_outputs(folder / record["onnx"], x)[0]
                assert prop.holds(x, y32, tol=1e-4)
        elif structural:
            assert result.evidence == "drup_checked"
            assert result.proof_sha256 is not None
            assert len(record["proof_sha256"]) == 64
    return {record["verdict"] for record in truth}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("family", sorted(STRUCTURAL))
def test_export_then_verify_agrees_with_solve_sat(tmp_path: Path, family: str,
                                                 encoding: str) -> None:
    verdicts = round_trip(tmp_path, make(STRUCTURAL[family]), encoding, structural=True,
                          gz=family == "tseitin")
    expected = {"pigeonhole": {"unsat"}, "planted_unique": {"sat"}}.get(family, {"sat", "unsat"})
    assert verdicts == expected


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("family", sorted(GENERAL))
def test_the_mip_alone_agrees_on_small_instances(tmp_path: Path, family: str,
                                                encoding: str) -> None:
    round_trip(tmp_path, make(GENERAL[family]), encoding, structural=False, gz=False)


def test_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "x").write_text("")
    with pytest.raises(ri.InvalidArgumentError, match="the folder is not empty"):
        export_vnncomp(make(GENERAL["pigeonhole"]), tmp_path / "bench")


def test_instance_order_is_shuffled_by_the_seed(tmp_path: Path) -> None:
    formulas = make([("pigeonhole", 1, None), ("pigeonhole", 2, None), ("pigeonhole", 3, None),
                     ("tseitin", 4, True)])
    orders = []
    for seed in (0, 1, 0):
        folder = tmp_path / f"b{len(orders)}"
        export_vnncomp(formulas, folder, seed=seed)
        orders.append([json.loads(line)["num_vars"]
                       for line in ground_truth_path(folder).read_text().splitlines()])
    assert orders[0] == orders[2]
    assert sorted(orders[0]) == sorted(orders[1])
    assert orders[0] != orders[1]
    assert orders[0] != sorted(orders[0])


# -- float32 robustness (lemma E1, lemma L3) ---------------------------------------------

SMALL = [ri.parse_dimacs(text) for text in (
    "p cnf 3 4\n1 2 0\n-1 3 0\n-3 0\n2 0\n",             # satisfiable
    "p cnf 3 4\n1 2 0\n-1 3 0\n-3 0\n-2 1 0\n",          # unsatisfiable
    "p cnf 4 8\n1 2 3 0\n-1 -2 0\n-2 -3 0\n-1 -3 0\n4 -4 1 0\n2 2 0\n-2 4 0\n-4 -1 0\n",
)] + make(GENERAL["pigeonhole"] + GENERAL["tseitin"])


def sample_points(k: int, rng: np.random.Generator) -> np.ndarray:
    vertices = np.array(list(itertools.product((0.0, 1.0), repeat=k)))
    near = np.clip(vertices[rng.integers(0, len(vertices), 400)]
                   + rng.normal(scale=0.05, size=(400, k)), 0.0, 1.0)
    return np.concatenate([vertices, near, rng.uniform(size=(400, k)),
                           np.full((1, k), 0.5)])


@pytest.mark.parametrize("formula", SMALL, ids=[f"f{i}" for i in range(len(SMALL))])
def test_float32_margin_of_the_cnf_embedding_is_at_least_1e_3(
        tmp_path: Path, formula: ri.Formula) -> None:
    net, prop = cnf_embedding(formula)
    ri.write_onnx(net, tmp_path / "n.onnx", dtype="float32")
    points = sample_points(formula.num_vars, np.random.default_rng(0))
    y = runtime_outputs(tmp_path / "n.onnx", points)[:, 0]
    threshold = float(prop.disjuncts[0].b[0])
    if ri.solve_sat(formula).satisfiable:
        model = ri.solve_sat(formula).model
        assert model is not None
        y_model = runtime_outputs(tmp_path / "n.onnx", np.array([model], dtype=float))[0, 0]
        assert threshold - y_model >= 1e-3
    else:
        assert float(np.min(y)) - threshold >= 1e-3  # E1: min Y_0 >= 1 on the box
        assert float(np.min(y)) >= 1.0 - 1e-6


@pytest.mark.parametrize("formula", SMALL, ids=[f"f{i}" for i in range(len(SMALL))])
def test_float32_gap_of_the_real_latent_encoding(tmp_path: Path, formula: ri.Formula) -> None:
    net, prop = real_latent(formula)
    ri.write_onnx(net, tmp_path / "n.onnx", dtype="float32")
    points = sample_points(formula.num_vars, np.random.default_rng(1))
    y = runtime_outputs(tmp_path / "n.onnx", points)
    target = prop.disjuncts[0].b[: net.output_dim]
    miss = np.max(np.abs(y - target), axis=1)
    width = max(len(c) for c in formula.clauses)
    if not ri.solve_sat(formula).satisfiable:
        assert float(np.min(miss)) >= 2 / (width + 2) - 1e-6 >= 1e-3
    else:
        assert float(np.min(miss)) == 0.0  # a model meets the target exactly in float32
