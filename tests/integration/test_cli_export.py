"""``reluinv export`` through the command-line entry point: sizes, the output folder,
interrupts."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import reluinv as ri
import reluinv.validation.vnncomp as vnncomp
from reluinv.cli import run
from reluinv.data.formula import write_dimacs
from reluinv.validation.generators import pigeonhole


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def export(out: Path, *extra: str) -> tuple[int, str, str]:
    return call("export", "--format", "vnncomp", "--out", str(out), *extra)


@pytest.mark.parametrize(("family", "expected"), [
    ("random3sat", "--size 100000: the random3sat formula (100000 variables, 426000 "
                   "clauses): its cnf_embedding network would have 62600626000 weight "
                   "entries > EXPORT_MAX_ENTRIES = 8388608 (ONNX stores them dense)"),
    ("pigeonhole", "--size 100000: the pigeonhole formula (10000100000 variables, "
                   "500005000100001 clauses)"),
])
def test_a_huge_size_is_refused_before_anything_is_made(tmp_path: Path, family: str,
                                                        expected: str) -> None:
    """It died of MemoryError (a dense 626000 x 100000 matrix) or hung in the generator."""
    code, out, err = export(tmp_path / "bench", "--family", family, "--size", "100000",
                            "--count", "1")
    assert (code, out) == (2, "")
    assert err.startswith(f"reluinv: error: {expected}")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_formula_file_too_large_to_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "php.cnf"
    write_dimacs(pigeonhole(40), path)  # 1640 variables, 32841 clauses
    code, _, err = export(tmp_path / "bench", str(path))
    assert code == 2
    assert err == (f"reluinv: error: {path} (1640 variables, 32841 clauses): its "
                   "cnf_embedding network would have 59274561 weight entries > "
                   "EXPORT_MAX_ENTRIES = 8388608 (ONNX stores them dense)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["php.cnf"]


def test_a_non_empty_folder_error_names_the_flag(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "notes.txt").write_text("mine")
    code, out, err = export(bench, "--family", "pigeonhole", "--size", "2", "--count", "1")
    assert (code, out) == (2, "")
    assert err == f"reluinv: error: {bench}: the folder is not empty; --force writes into it\n"


def test_force_replaces_an_older_export(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    assert export(bench, "--family", "random3sat", "--size", "5", "--count", "3")[0] == 0
    (bench / "notes.txt").write_text("mine")
    code, _, err = export(bench, "--family", "pigeonhole", "--size", "2", "--count", "1",
                          "--force")
    assert (code, err) == (0, "")
    assert sorted(p.name for p in (bench / "onnx").iterdir()) == ["inst_0000.onnx"]
    assert (bench / "notes.txt").read_text() == "mine"
    assert len((tmp_path / "bench_ground_truth.jsonl").read_text().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench", "bench_ground_truth.jsonl"]


@pytest.mark.parametrize("existing", [False, True], ids=["new", "forced-over-old"])
def test_ctrl_c_leaves_no_half_written_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              existing: bool) -> None:
    bench = tmp_path / "bench"
    if existing:
        assert export(bench, "--family", "pigeonhole", "--size", "2", "--count", "1")[0] == 0
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
              if p.is_file()}
    calls = []
    real = vnncomp.solve_sat

    def interrupted_second(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(vnncomp, "solve_sat", interrupted_second)
    code, _, err = export(bench, "--family", "random3sat", "--size", "5", "--count", "3",
                          "--force")
    assert (code, err) == (130, "reluinv: interrupted\n")
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*")
             if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["bench", "bench_ground_truth.jsonl"] if existing else [])


@pytest.mark.parametrize("stage", ["staging folder", "a file in it"])
def test_an_unwritable_place_names_the_users_folder(tmp_path: Path, stage: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The export is staged beside the folder under an internal name; a failure there
    (an unwritable parent, a full disk) names the folder the user gave, on one line."""
    import errno

    source = tmp_path / "php2.cnf"
    write_dimacs(pigeonhole(2), source)
    out_dir = tmp_path / "bench"
    if stage == "staging folder":
        def refuse(*_: object, **kwargs: object) -> str:
            raise PermissionError(errno.EACCES, "Permission denied",
                                  str(Path(str(kwargs["dir"])) / ".bench.x.partial"))

        monkeypatch.setattr(vnncomp.tempfile, "mkdtemp", refuse)
    else:
        real = vnncomp.write_vnnlib

        def full(prop: object, path: object, **kwargs: object) -> None:
            real(prop, path, **kwargs)  # type: ignore[arg-type]
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

        monkeypatch.setattr(vnncomp, "write_vnnlib", full)
    code, out, err = call("export", str(source), "--format", "vnncomp", "--out", str(out_dir))
    assert (code, out) == (2, "")
    expected = "Permission denied" if stage == "staging folder" else "No space left on device"
    assert err.startswith(f"reluinv: error: {out_dir}: cannot be created there ({expected}; "
                          "the export is staged in"), err
    assert err.count("\n") == 1
    assert ".partial" not in err
    assert list(tmp_path.iterdir()) == [source]


def test_generate_properties_runs_from_inside_the_folder(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The script stored the formula paths as typed (relative to where the export ran), so
    ``cd DIR && python generate_properties.py SEED``, as VNN-COMP runs it, found no file;
    it now reads copies in ``DIR/formulas`` under neutral names, relative to itself."""
    monkeypatch.chdir(tmp_path)
    Path("uf3-sat.cnf").write_text("p cnf 3 2\n1 2 0\n-3 0\n")
    Path("uuf2-unsat.cnf.gz").write_bytes(gzip.compress(
        b"p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n"))
    code, _, err = call("export", "uf3-sat.cnf", "uuf2-unsat.cnf.gz", "--format", "vnncomp",
                        "--out", "bench", "--seed", "1")
    assert code == 0, err
    folder = tmp_path / "bench"
    assert sorted(p.name for p in (folder / "formulas").iterdir()) == [
        "formula_0000.cnf", "formula_0001.cnf.gz"]
    truth = tmp_path / "bench_ground_truth.jsonl"

    def hashes() -> list[tuple[str, str]]:
        return sorted((r["formula_sha256"], r["verdict"])
                      for r in map(json.loads, truth.read_text().splitlines()))

    first = hashes()
    moved = tmp_path / "elsewhere" / "bench"  # another place, the sources gone
    moved.parent.mkdir()
    folder.rename(moved)
    for name in ("uf3-sat.cnf", "uuf2-unsat.cnf.gz", "bench_ground_truth.jsonl"):
        (tmp_path / name).unlink()
    src = str(Path(ri.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "generate_properties.py", "5"], cwd=moved,
                          env={"PYTHONPATH": src}, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    truth = moved.parent / "bench_ground_truth.jsonl"
    assert hashes() == first
    assert len((moved / "instances.csv").read_text().splitlines()) == 2
    assert "seed 5" in (moved / "README.md").read_text()
