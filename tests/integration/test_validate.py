"""Validation runs: records, errors, crashes, interruption and resumption, summaries."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reluinv.cli import run
from reluinv.validation.records import ErrorRecord, KilledRecord, RunRecord
from reluinv.validation.runner import (
    Progress,
    ResultsFile,
    ValidationOptions,
    discover,
    run_validation,
    summarize,
)
from tests.integration.validation_checks import (
    brute_force_check,
    crashing_check,
    hanging_check,
)
from tests.typed_dicts import mismatches

ROOT = Path(__file__).resolve().parents[2]

FILES = {
    "sat/two.cnf": "p cnf 2 2\n1 2 0\n-1 0\n",
    "sat/three.cnf": "c three\np cnf 3 2\n1 -2 3 0\n-3 0\n",
    "unsat/contradiction.cnf": "p cnf 1 2\n1 0\n-1 0\n",
    "weighted/partial.wcnf": "p wcnf 2 3 10\n10 1 0\n10 2 0\n3 -1 -2 0\n",
    "bad/broken.cnf": "p cnf 2 1\n1 5 0\n",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "notes.txt").write_text("not a formula")
    return root


def by_path(records: list[Any]) -> dict[str, dict[str, Any]]:
    return {Path(r["path"]).name: r for r in records}


def test_discover_finds_formulas_recursively(corpus: Path) -> None:
    names = sorted(p.name for p in discover([corpus]))
    assert names == ["broken.cnf", "contradiction.cnf", "partial.wcnf", "three.cnf", "two.cnf"]


def test_one_record_per_file_and_malformed_file_is_an_error(corpus: Path, tmp_path: Path
                                                            ) -> None:
    out = tmp_path / "results.jsonl"
    records = run_validation([corpus], out=out, check=brute_force_check)
    assert len(records) == len(FILES)
    on_disk = ResultsFile(out).read()
    assert sorted(r["key"] for r in on_disk) == sorted(r["key"] for r in records)
    found = by_path(records)
    assert found["contradiction.cnf"]["maxsat_cost"] == 1
    assert found["partial.wcnf"]["maxsat_cost"] == 3
    broken = found["broken.cnf"]
    assert broken["verdict"] == "error"
    assert "broken.cnf:2: literal 5 exceeds the declared number of variables 2" in broken["error"]
    assert found["two.cnf"]["family"] == "sat"


def test_missing_and_oversized_files_become_error_records(corpus: Path, tmp_path: Path) -> None:
    big = corpus / "sat" / "big.cnf"
    big.write_text("p cnf 1 1\n1 0\n" + "c padding\n" * 100)
    out = tmp_path / "results.jsonl"
    options = ValidationOptions(max_bytes=200)
    records = run_validation([big, corpus / "absent.cnf", corpus / "sat" / "two.cnf"],
                             out=out, check=brute_force_check, options=options)
    found = by_path(records)
    assert "over the limit of 200 bytes" in found["big.cnf"]["error"]
    assert found["absent.cnf"]["error"].endswith("absent.cnf: no such file")
    assert found["two.cnf"]["verdict"] == "agree"


def test_a_crashing_worker_costs_only_its_instance(corpus: Path, tmp_path: Path) -> None:
    (corpus / "sat" / "crash.cnf").write_text("p cnf 1 1\n1 0\n")
    records = run_validation([corpus], out=tmp_path / "r.jsonl", check=crashing_check,
                             workers=2)
    found = by_path(records)
    assert found["crash.cnf"]["verdict"] == "error"
    assert "worker died without a record (exit code 3)" in found["crash.cnf"]["error"]
    assert mismatches(found["crash.cnf"], ErrorRecord) == []
    assert found["two.cnf"]["verdict"] == "agree"
    assert len(records) == len(FILES) + 1


def test_a_hanging_worker_is_killed_and_recorded_unknown(corpus: Path, tmp_path: Path) -> None:
    (corpus / "sat" / "hang.cnf").write_text("p cnf 1 1\n1 0\n")
    options = ValidationOptions(time_limit=0.2, hard_timeout_factor=1.0, hard_timeout_grace=0.5)
    records = run_validation([corpus / "sat"], out=tmp_path / "r.jsonl", check=hanging_check,
                             options=options)
    found = by_path(records)
    assert found["hang.cnf"]["verdict"] == "unknown"
    assert "hard timeout" in found["hang.cnf"]["reason"]
    assert mismatches(found["hang.cnf"], KilledRecord) == []
    assert found["three.cnf"]["verdict"] == "agree"


def test_family_comes_from_the_manifest_files_entry(corpus: Path, tmp_path: Path) -> None:
    # the manifest lists sat/two.cnf under "files" with a family other than its folder's
    manifest = {"files": {"sat/two.cnf": {"family": "tiny-planted"}}}
    (corpus / "manifest.json").write_text(json.dumps(manifest))
    records = run_validation([corpus / "sat"], out=tmp_path / "r.jsonl", check=brute_force_check)
    found = by_path(records)
    assert found["two.cnf"]["family"] == "tiny-planted"
    assert found["three.cnf"]["family"] == "sat"  # not listed: the folder name


def test_records_of_a_run_have_exactly_the_typed_fields(corpus: Path, tmp_path: Path) -> None:
    # the real check: checked records, an error record from a worker (malformed file) and
    # one from the run itself (missing file)
    out = tmp_path / "r.jsonl"
    run_validation([corpus, corpus / "absent.cnf"], out=out, workers=2,
                   options=ValidationOptions(time_limit=60))
    written = ResultsFile(out).read()
    assert len(written) == len(FILES) + 1
    for record in written:
        shape = ErrorRecord if record["verdict"] == "error" else RunRecord
        assert mismatches(record, shape) == [], record["path"]
    found = by_path(written)
    assert "file_sha256" in found["broken.cnf"]  # a worker ran
    assert "file_sha256" not in found["absent.cnf"]


def strip_timings(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("timings", "wall_seconds")}


def test_two_workers_give_the_same_records_as_one(corpus: Path, tmp_path: Path) -> None:
    one = run_validation([corpus], out=tmp_path / "1.jsonl", check=brute_force_check)
    two = run_validation([corpus], out=tmp_path / "2.jsonl", check=brute_force_check, workers=2)
    assert [strip_timings(r) for r in one] == [strip_timings(r) for r in two]


def test_interrupted_run_resumes_without_loss_or_duplicates(corpus: Path, tmp_path: Path
                                                            ) -> None:
    out = tmp_path / "r.jsonl"

    def stop_after_two(progress: Progress) -> None:
        if progress.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_validation([corpus], out=out, check=brute_force_check, on_progress=stop_after_two)
    assert len(ResultsFile(out).read()) == 2
    with open(out, "a") as stream:  # a torn line, as a kill in mid-write would leave
        stream.write('{"key": "torn", "verd')
    records = run_validation([corpus], out=out, check=brute_force_check, resume=True)
    on_disk = ResultsFile(out).read()
    assert len(records) == len(on_disk) == len(FILES)
    assert len({r["key"] for r in on_disk}) == len(FILES)
    assert out.read_text().endswith("\n")


def add_distinct_formulas(corpus: Path, count: int) -> None:
    """``count`` more satisfiable formulas in ``corpus/sat``, each of distinct bytes (files
    with identical bytes are one instance)."""
    for i in range(count):
        (corpus / "sat" / f"extra{i}.cnf").write_text(f"c extra {i}\np cnf 2 1\n{1 + i % 2} 0\n")


@pytest.mark.slow  # measured 1.5-8 s on two cores
def test_killed_process_leaves_a_valid_file_and_resume_completes(corpus: Path, tmp_path: Path
                                                                 ) -> None:
    add_distinct_formulas(corpus, 6)
    out = tmp_path / "r.jsonl"
    script = (
        "import sys; from reluinv.validation.runner import run_validation; "
        "from tests.integration.validation_checks import slow_check; "
        "run_validation([sys.argv[1]], out=sys.argv[2], check=slow_check)"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(corpus), str(out)],
                               cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(ResultsFile(out).read()) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = ResultsFile(out).read()
    assert 3 <= len(partial) < len(FILES) + 6
    for line in out.read_text().splitlines():
        json.loads(line)
    records = run_validation([corpus], out=out, check=brute_force_check, resume=True)
    on_disk = ResultsFile(out).read()
    assert len(records) == len(on_disk) == len(FILES) + 6
    assert len({r["path"] for r in on_disk}) == len(FILES) + 6


def test_summary_counts_match_records(corpus: Path, tmp_path: Path) -> None:
    records = run_validation([corpus], out=tmp_path / "r.jsonl", check=brute_force_check)
    summaries = summarize(records)
    total = summaries[-1]
    assert total.family == "all"
    assert total.instances == len(records)
    assert total.counts == {"agree": 4, "disagree": 0, "unknown": 0, "uncertified": 0,
                            "error": 1}
    families = {s.family: s for s in summaries[:-1]}
    assert families["sat"].counts["agree"] == 2
    assert families["bad"].counts["error"] == 1
    assert sum(s.instances for s in summaries[:-1]) == len(records)
    assert "brute_force" in families["sat"].median_seconds


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_report_reprints_the_summary(corpus: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "r.jsonl"
    run_validation([corpus], out=out, check=brute_force_check)
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(["report", str(out), "--format", fmt], stdout=stdout, stderr=stderr)
    assert code == 2  # the malformed file is bad input (exit-code table)
    text = stdout.getvalue()
    assert "sat" in text
    assert "weighted" in text
    if fmt == "csv":
        header = text.splitlines()[0].split(",")
        assert header[:7] == ["family", "instances", "agree", "disagree", "unknown",
                              "uncertified", "error"]
    if fmt == "table":
        assert text.splitlines()[-1] == "FAILED: 0 instance(s) disagree, 1 error(s) (of 5)"


def test_cli_validate_with_the_real_check(corpus: Path, tmp_path: Path) -> None:
    """The main job end to end: the real per-instance check on good, unsatisfiable, weighted
    and malformed files, two workers, then a resumed run that checks nothing again."""
    out = tmp_path / "results.jsonl"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(["validate", str(corpus), "--out", str(out), "--workers", "2"],
               stdout=stdout, stderr=stderr)
    text = stdout.getvalue()
    assert code == 2, text + stderr.getvalue()
    assert text.splitlines()[-1] == (
        f"FAILED: 0 instance(s) disagree, 1 error(s) (of 5); records in {out}")
    records = ResultsFile(out).read()
    verdicts = {Path(r["path"]).name: r["verdict"] for r in records}
    assert verdicts == {"two.cnf": "agree", "three.cnf": "agree", "contradiction.cnf": "agree",
                        "partial.wcnf": "agree", "broken.cnf": "error"}
    unsat = next(r for r in records if r["path"].endswith("contradiction.cnf"))
    assert unsat["sat"]["proof_checked"] is True
    again = run(["validate", str(corpus), "--out", str(out), "--resume"],
                stdout=io.StringIO(), stderr=io.StringIO())
    assert again == 2
    assert len(ResultsFile(out).read()) == len(FILES)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as stream:
            return [int(p) for p in stream.read().split()]
    except OSError:
        return []


@pytest.mark.slow  # measured 1.5-8 s on two cores
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_do_not_outlive_a_killed_run(corpus: Path, tmp_path: Path) -> None:
    (corpus / "sat" / "hang.cnf").write_text("p cnf 1 1\n1 0\n")
    script = (
        "import sys; from reluinv.validation.runner import run_validation; "
        "from tests.integration.validation_checks import hanging_check; "
        "run_validation([sys.argv[1]], out=sys.argv[2], check=hanging_check)"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(corpus / "sat"),
                                str(tmp_path / "r.jsonl")], cwd=ROOT)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and not workers:
        workers = _children(process.pid)  # hang.cnf sorts first: this worker never ends
        time.sleep(0.05)
    assert workers
    time.sleep(0.5)  # let the worker settle into its check
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.05)
    assert not any(Path(f"/proc/{w}").exists() for w in workers)


def test_a_malformed_file_is_one_clean_line_in_its_record_and_the_summary(
        tmp_path: Path) -> None:
    """The record held ``DimacsError: FILE:2: ...`` and the summary printed the path again
    before it: both are now the one ``FILE:LINE: rule`` line."""
    bad = tmp_path / "over.cnf"
    bad.write_text("p cnf 2 1\n1 3 0\n")
    results = tmp_path / "r.jsonl"
    out, err = io.StringIO(), io.StringIO()
    code = run(["validate", str(bad), "--out", str(results), "--quiet"], stdout=out,
               stderr=err)
    assert code == 2
    rule = f"{bad}:2: literal 3 exceeds the declared number of variables 2"
    [record] = [json.loads(line) for line in results.read_text().splitlines()]
    assert record["error"] == rule
    assert f"error: {rule}" in out.getvalue().splitlines()


def test_a_refused_resume_prints_no_banner(tmp_path: Path) -> None:
    """The banner ``... results in OUT (resuming); executor ...`` came before the refusal,
    as if the run had started."""
    formula = tmp_path / "f.cnf"
    formula.write_text("p cnf 1 1\n1 0\n")
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps({"path": str(formula), "verdict": "agree", "key": "k",
                                   "family": None, "options": {"time_limit": 1}}) + "\n")
    out, err = io.StringIO(), io.StringIO()
    code = run(["validate", str(formula), "--out", str(results), "--resume", "--quiet"],
               stdout=out, stderr=err)
    assert code == 2
    assert out.getvalue() == ""
    assert len(err.getvalue().splitlines()) == 1
    assert "cannot resume" in err.getvalue()


@pytest.mark.slow  # a fresh interpreter and a few slow checks: about 2 s
def test_sigterm_stops_a_run_as_ctrl_c_does(corpus: Path, tmp_path: Path) -> None:
    """SIGTERM ended the run at once, exit 143 and not a word; it now stops as Ctrl-C does:
    the workers stopped, the records intact, the hint to resume (exit 143 still)."""
    add_distinct_formulas(corpus, 8)
    out = tmp_path / "r.jsonl"
    script = (
        "import sys; import reluinv.validation.check as c; "
        "from tests.integration.validation_checks import slow_check; "
        "c.check_instance = slow_check; from reluinv.cli import main; main(sys.argv[1:])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, "validate", str(corpus), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(ResultsFile(out).read()) < 1:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143
    assert err.splitlines()[-1] == (f"reluinv: terminated (SIGTERM); the records so far are "
                                    f"in {out}; rerun with --resume to continue")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert 1 <= len(records) < len(FILES) + 8
