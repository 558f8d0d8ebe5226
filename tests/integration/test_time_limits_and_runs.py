"""A time limit bounds a whole record; validation runs survive missing files, odd
manifests, damaged results files, too many workers and a resume with other options."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import reluinv.validation.check as check_module
from reluinv import Formula, check_instance
from reluinv.cli import run
from reluinv.errors import InvalidArgumentError
from reluinv.oracles import sat as sat_module
from reluinv.oracles._bounded import FORK_GRACE_SECONDS
from reluinv.strategies import formulas
from reluinv.validation.records import ValidationRecord
from reluinv.validation.runner import ResultsFile, ValidationOptions, family_of, run_validation
from tests.integration.validation_checks import brute_force_check
from tests.typed_dicts import mismatches

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: The stated overshoot of a record past its time limit (docs/records.md, "The time limit").
OVERSHOOT = 1.0

GOOD = "p cnf 2 2\n1 2 0\n-1 0\n"


def sleeping_inverter(*args: Any, **kwargs: Any) -> Any:
    time.sleep(30)  # long enough to break the bound, short enough to end if run in-process


# -- the deadline of a record ------------------------------------------------------------


def test_a_stage_that_cannot_be_interrupted_is_stopped_at_the_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the layer-wise inverter never returns: the latent parts' child is killed at the limit
    monkeypatch.setattr(check_module, "invert_layerwise", sleeping_inverter)
    record = check_instance(EXAMPLES / "uf5-satlib.cnf", time_limit=2.0)
    assert record["seconds"] <= 2.0 + OVERSHOOT
    assert record["verdict"] == "unknown"
    assert record["certified"] is False
    statuses = {entry["status"] for by_objective in record["exact"].values()
                for entry in by_objective.values()}
    assert "infeasible" not in statuses
    unfinished = {c["name"] for c in record["checks"] if c.get("unfinished")}
    assert {"layerwise_sound[binary]", "realizable_iff_satisfiable[binary]",
            "lifted_maxsat_model_loss_equals_cost[binary]"} <= unfinished
    assert not any(c["status"] == "failed" for c in record["checks"])
    assert mismatches(record, ValidationRecord) == []


def test_the_proof_check_gets_only_what_is_left_of_the_time_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # before: the proof check had its own 60 s whatever the time limit said
    seen: list[float | None] = []
    original = sat_module.check_refutation

    def spy(clauses: Any, lines: Any, *, time_limit: float | None = None) -> Any:
        seen.append(time_limit)
        return original(clauses, lines, time_limit=time_limit)

    monkeypatch.setattr(sat_module, "check_refutation", spy)
    result = sat_module.solve_sat(Formula(1, [[1], [-1]]), time_limit=0.5)
    assert result.satisfiable is False
    assert seen
    assert seen[0] is not None
    assert seen[0] <= 0.5


@pytest.mark.slow  # one record per example, each with a fork: 5-15 s
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(formula=formulas(max_vars=5, max_clauses=8),
       time_limit=st.sampled_from([0.05, 0.3, 30.0]),
       delay=st.sampled_from([0.0, 0.3, 0.8]))
def test_any_time_limit_gives_a_sound_record_within_its_bound(
        monkeypatch: pytest.MonkeyPatch, formula: Formula, time_limit: float,
        delay: float) -> None:
    # the layer-wise inverter is made slower by ``delay`` seconds, so that the deadline
    # passes inside the forked child for some examples and between stages for others
    real = check_module.invert_layerwise

    def slowed(*args: Any, **kwargs: Any) -> Any:
        time.sleep(delay)
        return real(*args, **kwargs)

    monkeypatch.setattr(check_module, "invert_layerwise", slowed)
    record = check_instance(formula, time_limit=time_limit)
    assert record["seconds"] <= time_limit + OVERSHOOT
    # what did not finish is unknown, never a disagreement nor an infeasibility
    assert record["verdict"] in ("agree", "unknown")
    assert not any(c["status"] == "failed" for c in record["checks"])
    if record["sat"]["satisfiable"] is True:
        for by_objective in record["exact"].values():
            assert by_objective["feasible"]["status"] != "infeasible"
    assert mismatches(record, ValidationRecord) == []
    killed = any("stopped at the time limit" in str(c.get("reason", ""))
                 for c in record["checks"])
    event("the child was stopped at the deadline" if killed else
          "some stage unfinished" if record["verdict"] == "unknown" else "all finished")


def test_the_grace_is_within_the_stated_overshoot() -> None:
    assert FORK_GRACE_SECONDS < OVERSHOOT


# -- check and validate on the command line ------------------------------------------------


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_check_time_limit_inf_means_no_limit() -> None:
    code, out, err = cli("check", str(EXAMPLES / "uf5-satlib.cnf"), "--time-limit", "inf",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["time_limit"] is None


def test_a_missing_file_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.cnf"
    good.write_text(GOOD)
    out = tmp_path / "r.jsonl"
    code, _text, err = cli("validate", str(good), str(tmp_path / "missing.cnf"), "--out",
                          str(out), "--quiet")
    assert code == 2
    assert err.count("\n") == 1
    assert "missing.cnf: no such file or folder" in err
    records = {Path(r["path"]).name: r for r in ResultsFile(out).read()}
    assert records["missing.cnf"]["verdict"] == "error"
    assert records["good.cnf"]["verdict"] == "agree"


@pytest.mark.parametrize("manifest", ["[1, 2]", "7", '"text"', '{"files": [1]}',
                                      '{"files": {"sub/a.cnf": 5}}', "\xff"],
                         ids=["list", "number", "string", "files-list", "entry-number",
                              "not-utf8"])
def test_a_parent_manifest_that_is_not_an_object_is_ignored(tmp_path: Path,
                                                             manifest: str) -> None:
    (tmp_path / "manifest.json").write_bytes(manifest.encode("latin-1"))
    formula = tmp_path / "sub" / "a.cnf"
    formula.parent.mkdir()
    formula.write_text(GOOD)
    assert family_of(formula) == "sub"
    records = run_validation([formula.parent], out=tmp_path / "r.jsonl",
                             check=brute_force_check)
    assert records[0]["family"] == "sub"


def test_lines_that_are_not_utf8_json_are_skipped_and_named(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    good = tmp_path / "good.cnf"
    good.write_text(GOOD)
    run_validation([good], out=results, check=brute_force_check)
    with open(results, "ab") as stream:
        stream.write(b"\xff\xfe{not json\n")
    code, _, err = cli("report", str(results))
    assert code == 2  # skipped lines are bad input, never silently dropped
    assert "1 line(s) are not records" in err
    assert "line 2" in err
    # a resume reads past it and checks nothing again
    records = run_validation([good], out=results, check=brute_force_check, resume=True)
    assert len(records) == 1


@pytest.mark.parametrize("line", [
    b"[" * 100_000 + b"]" * 100_000,  # RecursionError in the JSON parser, once a crash
    b'{"verdict": "agree"}',  # once counted as an agreeing instance
    b'{"path": "x.cnf", "verdict": "fine", "key": "k"}',  # no such verdict
], ids=["deeply-nested", "verdict-only", "unknown-verdict"])
def test_a_line_that_is_not_a_record_is_named_and_fails_the_report(
        tmp_path: Path, line: bytes) -> None:
    results = tmp_path / "r.jsonl"
    good = tmp_path / "good.cnf"
    good.write_text(GOOD)
    run_validation([good], out=results, check=brute_force_check)
    with open(results, "ab") as stream:
        stream.write(line + b"\n")
    code, out, err = cli("report", str(results))
    assert code == 2
    assert err == (f"reluinv: error: {results}: 1 line(s) are not records (a JSON object "
                   "with a path and a known verdict), skipped: line 2\n")
    assert out.endswith("INCOMPLETE: 1 line(s) skipped, not records; OK: 1 of 1 instances "
                        "agree\n")
    assert ResultsFile(results).read()[0]["verdict"] == "agree"
    assert len(ResultsFile(results).read()) == 1


def test_workers_are_capped_at_the_usable_cores_unless_forced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reluinv.cli.validate as validate_cli

    monkeypatch.setattr(validate_cli, "usable_cores", lambda: 2)
    started: list[int] = []
    monkeypatch.setattr(validate_cli, "LocalPoolExecutor",
                        lambda workers: _Recording(workers, started))
    good = tmp_path / "good.cnf"
    good.write_text(GOOD)
    out = str(tmp_path / "r.jsonl")
    code, _, err = cli("validate", str(good), "--out", out, "--quiet", "--workers", "10000")
    assert code == 0
    assert "--workers 10000 capped at the 2 core(s)" in err
    code, _, err = cli("validate", str(good), "--out", out, "--quiet", "--workers", "3",
                       "--force-workers", "--overwrite")
    assert code == 0
    assert "capped" not in err
    assert started == [2, 3]


class _Recording:
    """A stand-in local executor that records its size and checks with brute force."""

    name = "local"

    def __init__(self, workers: int, started: list[int]) -> None:
        started.append(workers)
        self.workers = workers

    def run(self, tasks: Any, check: Any) -> Any:
        from reluinv.validation.executors import Outcome

        for task in tasks:
            yield Outcome(task, record=brute_force_check(task.path, family=task.family),
                          wall_seconds=0.0)


def test_resume_with_other_options_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.cnf"
    good.write_text(GOOD)
    results = tmp_path / "r.jsonl"
    run_validation([good], out=results, check=brute_force_check,
                   options=ValidationOptions(time_limit=60))
    before = results.read_bytes()
    with pytest.raises(InvalidArgumentError, match=r"cannot resume: record 1 was made with "
                       r"options .*this run.s are"):
        run_validation([good], out=results, check=brute_force_check, resume=True,
                       options=ValidationOptions(time_limit=30))
    assert results.read_bytes() == before
    # the command line says so in one line, exit 2
    code, _, err = cli("validate", str(good), "--out", str(results), "--resume", "--quiet",
                       "--time-limit", "30")
    assert code == 2
    assert err.count("\n") == 1
    assert "cannot resume" in err
    assert results.read_bytes() == before


def test_report_keeps_option_sets_apart(tmp_path: Path) -> None:
    good, other = tmp_path / "good.cnf", tmp_path / "other.cnf"
    good.write_text(GOOD)
    other.write_text("p cnf 1 1\n1 0\n")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run_validation([good, other], out=first, check=brute_force_check,
                   options=ValidationOptions(time_limit=60))
    run_validation([good], out=second, check=brute_force_check,
                   options=ValidationOptions(time_limit=30))
    code, out, _ = cli("report", str(first), str(second))
    assert code == 0
    assert 'options {"check_options": {}, "time_limit": 60}: 2 instance(s)' in out
    assert 'options {"check_options": {}, "time_limit": 30}: 1 instance(s)' in out
    assert "under 2 option sets" in out


def test_an_earlier_run_is_not_thrown_away_without_resume_or_overwrite(tmp_path: Path) -> None:
    good = tmp_path / "good.cnf"
    good.write_text(GOOD)
    out = tmp_path / "r.jsonl"
    code, _, _ = cli("validate", str(good), "--out", str(out), "--quiet")
    assert code == 0
    before = out.read_text()
    code, _, err = cli("validate", str(good), "--out", str(out), "--quiet")
    assert code == 2
    assert "already holds 1 line(s) of an earlier run" in err
    assert "--resume" in err
    assert "--overwrite" in err
    assert out.read_text() == before
    code, _, _ = cli("validate", str(good), "--out", str(out), "--quiet", "--resume")
    assert code == 0
    code, _, _ = cli("validate", str(good), "--out", str(out), "--quiet", "--overwrite")
    assert code == 0
    assert len(out.read_text().splitlines()) == 1
    code, _, err = cli("validate", str(good), "--out", str(out), "--quiet", "--resume",
                       "--overwrite")
    assert code == 2
    assert "give one" in err
    out.write_text("")  # an empty file holds nothing to lose
    code, _, _ = cli("validate", str(good), "--out", str(out), "--quiet")
    assert code == 0


def test_report_on_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    code, _, err = cli("report", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: is a folder; give the results files in it" in err
