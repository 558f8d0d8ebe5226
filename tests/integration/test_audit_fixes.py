"""Regression tests for an outside audit's findings, each failing before its fix.

Every test drives the command line (:func:`reluinv.cli.run`) the way the audit did and
judges the outcome by reading the files back or by an independent route (hashes, the
bundled manifest, python-sat's solvers called directly).
"""

from __future__ import annotations

import hashlib
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
    assert "not a reluinv-instances manifest" in err
    assert len(err.splitlines()) == 1
    assert (tmp_path / MANIFEST_NAME).read_text() == '{"files": {"x.cnf": {}}}\n'
    assert not (tmp_path / "walkthrough").exists()
    assert out == ""


# -- validate --out equal to an input ------------------------------------------------------


@pytest.mark.parametrize("resume", [False, True], ids=["fresh", "resume"])
def test_validate_refuses_an_out_that_is_the_input(tmp_path: Path, resume: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(UF5, "x.cnf")
    code, _, err = cli("validate", "x.cnf", "--out", "./x.cnf", "--quiet",
                         *(["--resume"] if resume else []))
    assert code == 2
    assert err.count("\n") == 1
    assert "--out ./x.cnf: is the input x.cnf" in err
    assert Path("x.cnf").read_bytes() == UF5.read_bytes()


def test_validate_refuses_an_out_a_folder_search_would_pick_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(UF5, "a.cnf")
    code, _, err = cli("validate", ".", "--out", "r.cnf", "--quiet")
    assert code == 2
    assert err.count("\n") == 1
    assert "below the input folder ." in err
    assert not Path("r.cnf").exists()


def test_run_validation_skips_its_own_results_file_in_a_folder(tmp_path: Path) -> None:
    from reluinv.validation.runner import run_validation
    from tests.integration.validation_checks import brute_force_check

    shutil.copy(UF5, tmp_path / "a.cnf")
    results = tmp_path / "r.cnf"
    records = run_validation([tmp_path], out=results, check=brute_force_check)
    assert [Path(r["path"]).name for r in records] == ["a.cnf"]
    resumed = run_validation([tmp_path], out=results, check=brute_force_check, resume=True)
    assert [Path(r["path"]).name for r in resumed] == ["a.cnf"]


def test_run_validation_refuses_a_named_input_as_results_file(tmp_path: Path) -> None:
    from reluinv.errors import InvalidArgumentError
    from reluinv.validation.runner import run_validation
    from tests.integration.validation_checks import brute_force_check

    shutil.copy(UF5, tmp_path / "x.cnf")
    with pytest.raises(InvalidArgumentError, match=r"out = .*x\.cnf: is the input"):
        run_validation([tmp_path / "x.cnf"], out=tmp_path / "x.cnf", check=brute_force_check)
    assert (tmp_path / "x.cnf").read_bytes() == UF5.read_bytes()


# -- duplicates and edited files -----------------------------------------------------------


def test_a_byte_identical_copy_is_named_as_a_duplicate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("set").mkdir()
    shutil.copy(UF5, "set/a.cnf")
    shutil.copy(UF5, "set/b.cnf")
    code, out, _ = cli("validate", "set", "--out", "r.jsonl", "--quiet", "--time-limit", "20")
    assert code == 0, out
    records = [json.loads(line) for line in Path("r.jsonl").read_text().splitlines()]
    assert [Path(r["path"]).name for r in records] == ["a.cnf"]
    assert "duplicate: set/b.cnf has the same bytes as set/a.cnf" in out
    assert out.splitlines()[-1].endswith("; 1 duplicate file(s) counted once; records in "
                                         "r.jsonl")


def test_resume_after_an_edit_replaces_the_stale_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.cnf").write_text("p cnf 2 2\n1 2 0\n-1 0\n")
    Path("b.cnf").write_text("p cnf 1 1\n1 0\n")
    assert cli("validate", "a.cnf", "b.cnf", "--out", "r.jsonl", "--quiet")[0] == 0
    before = [json.loads(line) for line in Path("r.jsonl").read_text().splitlines()]
    Path("a.cnf").write_text("p cnf 1 2\n1 0\n-1 0\n")  # now unsatisfiable
    code, out, _ = cli("validate", "a.cnf", "b.cnf", "--out", "r.jsonl", "--quiet",
                       "--resume")
    assert code == 0, out
    after = [json.loads(line) for line in Path("r.jsonl").read_text().splitlines()]
    assert sorted(r["path"] for r in after) == ["a.cnf", "b.cnf"]
    fresh = next(r for r in after if r["path"] == "a.cnf")
    assert fresh["sat"]["satisfiable"] is False
    assert fresh["file_sha256"] == hashlib.sha256(Path("a.cnf").read_bytes()).hexdigest()
    assert next(r for r in after if r["path"] == "b.cnf") == before[1]  # kept as it was
    assert "superseded: a.cnf changed since its record in r.jsonl" in out
    code, out, _ = cli("report", "r.jsonl")
    assert code == 0
    assert "OK: 2 of 2 instances agree" in out


# -- the SAT engine a record names -------------------------------------------------------


@pytest.mark.parametrize(("limit", "engine"), [([], "cadical195"),
                                               (["--time-limit", "30"], "glucose4")],
                         ids=["no-limit", "time-limit"])
def test_details_name_the_sat_engine_that_answered(tmp_path: Path, limit: list[str],
                                                   engine: str) -> None:
    # engine: pysat_layer's rule, DEFAULT_SAT_SOLVER without a limit, the interruptible
    # one with a limit; the details must name what sat.solver says, whatever it is
    code, out, err = cli("check", str(UF5), "--json", "--no-layerwise", *limit)
    assert code == 0, err
    record = json.loads(out)
    assert record["sat"]["solver"] == engine
    details = [c["detail"] for c in record["checks"]
               if c["name"].startswith("realizable_iff_satisfiable")]
    assert details
    assert all(f"; {engine}: SAT" in d for d in details)
    assert not any("CaDiCaL" in d for d in details)


# -- a MaxSAT file whose weights the reduction cannot encode -------------------------------

HUGE = ("p wcnf 2 2 1000000000000000000000000000000\n"
        "999999999999999999999999999999 1 0\n"
        "999999999999999999999999999998 -1 0\n")


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    path = tmp_path / "h.wcnf"
    path.write_text(HUGE)
    return path


def test_check_answers_sat_and_maxsat_when_the_reduction_cannot_encode(huge: Path) -> None:
    from reluinv.validation.records import ValidationRecord
    from tests.typed_dicts import mismatches

    code, out, err = cli("check", str(huge), "--json")
    assert code == 4
    assert err == ""
    record = json.loads(out)
    assert mismatches(record, ValidationRecord) == []
    # x1 and -x1 with soft weights W and W - 1: SAT says no; the optimum drops the lighter
    assert record["sat"]["satisfiable"] is False
    assert record["maxsat"]["cost"] == 999999999999999999999999999998
    assert record["maxsat"]["certificate"]["checked"] is True
    reduction = [c for c in record["checks"] if "[" in c["name"]] + [
        c for c in record["checks"] if c["name"] == "real_optimum_by_L4"]
    assert reduction
    assert all(c["status"] == "not_applicable" and "MAX_ENCODABLE_WEIGHT"
                             in c["reason"] for c in reduction)
    assert {e["status"] for latent in record["exact"].values() for e in latent.values()} \
        == {"not run"}
    assert record["verdict"] == "unknown"
    assert record["certified"] is False
    code, text, _ = cli("check", str(huge))
    assert "not applicable: the reduction cannot encode this formula" in text


def test_validate_writes_a_record_for_a_formula_it_cannot_encode(huge: Path) -> None:
    results = huge.with_name("r.jsonl")
    code, out, _ = cli("validate", str(huge), "--out", str(results), "--quiet")
    assert code == 4, out
    (record,) = [json.loads(line) for line in results.read_text().splitlines()]
    assert record["verdict"] == "unknown"
    assert "error" not in record
    assert "or a reduction that cannot be encoded" in out


@pytest.mark.parametrize(("text", "shows_weight"), [
    (HUGE, False),
    ("p wcnf 2 2 10\n10 1 0\n3 -1 0\n", True),
], ids=["no-hard-clauses", "one-hard-clause"])
def test_info_prints_a_hard_weight_only_with_hard_clauses(tmp_path: Path, text: str,
                                                          shows_weight: bool) -> None:
    path = tmp_path / "f.wcnf"
    path.write_text(text)
    code, out, _ = cli("info", str(path))
    assert code == 0
    (line,) = [line for line in out.splitlines() if "hard clauses" in line]
    assert ("weight" in line) is shows_weight


# -- an opinion from the engine that already answered ----------------------------------


@pytest.mark.parametrize(("command", "engines", "rule"), [
    ("check", "cpsat", "cpsat already answers the binary latent"),
    ("check", "maxsat,cpsat", "cpsat already answers the binary latent"),
    ("validate", "cpsat", "cpsat already answers the binary latent"),
    ("check", "mip,mip", "an engine named twice"),
])
def test_a_redundant_engine_is_refused_up_front(tmp_path: Path, command: str, engines: str,
                                                rule: str) -> None:
    results = tmp_path / "r.jsonl"
    extra = ["--out", str(results)] if command == "validate" else []
    code, out, err = cli(command, str(UF5), "--engines", engines, *extra)
    assert code == 2
    assert out == ""
    assert f"error: --engines {engines}: {rule}" in err
    assert not results.exists()


@pytest.mark.parametrize(("binary_backend", "engines", "rule"), [
    ("cpsat", ("cpsat",), r"engines\[0\] = 'cpsat' is already asked as binary_backend"),
    ("mip", ("maxsat", "mip"), r"engines\[1\] = 'mip' is already asked as binary_backend"),
    ("cpsat", ("maxsat", "maxsat"), r"engines\[1\] = 'maxsat' is already asked in engines"),
])
def test_check_instance_refuses_an_engine_asked_twice(binary_backend: str,
                                                      engines: tuple[str, ...],
                                                      rule: str) -> None:
    from reluinv import InvalidArgumentError, check_instance

    with pytest.raises(InvalidArgumentError, match=rule):
        check_instance(UF5, binary_backend=binary_backend, engines=engines)


def test_report_names_a_path_recorded_with_two_contents(tmp_path: Path) -> None:
    # a results file as older versions left it after an edit and a resume: two records,
    # one path, two contents
    results = tmp_path / "old.jsonl"
    lines = [{"path": "a.cnf", "verdict": "agree", "family": "x", "file_sha256": sha,
              "key": sha[:32]} for sha in ("ab" * 32, "cd" * 32)]
    results.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out, err = cli("report", str(results))
    assert code == 0
    assert "OK: 2 of 2 instances agree" in out
    assert err == ("reluinv: warning: a.cnf: records of 2 different contents (the file was "
                   "edited between runs); each is counted as an instance\n")
