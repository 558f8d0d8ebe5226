"""Executors, content keys, shards and merging: the same records wherever the checks run.

The Dask tests start a real ``distributed.LocalCluster`` (worker processes, one thread
each) and are marked slow (a cluster takes a few seconds to start on two cores).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reluinv
from reluinv.cli import run
from reluinv.errors import ClusterError, InvalidArgumentError
from reluinv.validation.executors import DaskExecutor, LocalPoolExecutor
from reluinv.validation.merging import merge_results
from reluinv.validation.records import ErrorRecord, RunRecord
from reluinv.validation.runner import (
    Progress,
    ResultsFile,
    ValidationOptions,
    file_sha256,
    run_validation,
)
from tests.integration.validation_checks import (
    blas_threads_check,
    brute_force_check,
    hanging_check,
    pid_check,
    slow_check,
    worker_killing_check,
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

#: Keys of a record that measure time, dropped before records are compared.
TIMING_KEYS = {"timings"}  # and every key ending in "seconds" (see untimed)


def write_corpus(root: Path, extra: int = 0) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for i in range(extra):
        (root / "sat" / f"extra{i:02d}.cnf").write_text(
            f"c extra {i}\np cnf 3 2\n{1 + i % 3} -{1 + (i + 1) % 3} 0\n{3 - i % 3} 0\n")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def untimed(value: Any) -> Any:
    """``value`` without its timing fields (``timings`` and every ``*seconds``), at every
    depth."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items()
                if k not in TIMING_KEYS and not k.endswith("seconds")}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def by_key(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["key"]: untimed(r) for r in records}


# -- the local pool ----------------------------------------------------------------------


def test_local_workers_run_blas_on_one_thread(corpus: Path, tmp_path: Path) -> None:
    """Each worker limits its BLAS to one thread (the workers share the cores one each)."""
    records = run_validation([corpus], out=tmp_path / "r.jsonl", check=blas_threads_check,
                             executor=LocalPoolExecutor(2))
    checked = [r for r in records if "blas_threads" in r]
    assert checked
    assert all(r["blas_threads"] and set(r["blas_threads"]) == {1} for r in checked)


_PRELOAD_PROBE = """
import sys
from reluinv.validation.runner import run_validation
from tests.integration.validation_checks import brute_force_check
check = brute_force_check if sys.argv[3] == "custom" else None
run_validation([sys.argv[1]], out=sys.argv[2], check=check, workers=1)
print("ortools.sat.python.cp_model" in sys.modules, "scipy.optimize" in sys.modules)
"""


@pytest.mark.parametrize(("check", "preloaded"), [("default", "True True"),
                                                  ("custom", "False False")])
def test_the_run_imports_the_solvers_once_before_forking_its_workers(
    tmp_path: Path, check: str, preloaded: str
) -> None:
    """With the default check the run imports the solver modules before the pool forks
    (the workers start with them instead of each paying the import); a custom check's
    run imports nothing on its behalf."""
    formula = tmp_path / "f.cnf"
    formula.write_text("p cnf 2 2\n1 2 0\n-1 0\n")
    source = Path(reluinv.__file__).resolve().parents[1]  # the reluinv under test
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(ROOT)])}
    probe = subprocess.run(
        [sys.executable, "-c", _PRELOAD_PROBE, str(formula), str(tmp_path / "r.jsonl"), check],
        capture_output=True, text=True, env=env, timeout=120, check=True)
    assert probe.stdout.split("\n")[-2] == preloaded


@pytest.mark.parametrize(("tasks_per_worker", "processes"), [(100, 1), (2, 3), (1, 5)])
def test_local_workers_serve_several_instances_then_are_replaced(
    corpus: Path, tmp_path: Path, tasks_per_worker: int, processes: int
) -> None:
    (corpus / "bad" / "broken.cnf").unlink()
    (corpus / "sat" / "four.cnf").write_text("p cnf 4 1\n4 0\n")
    executor = LocalPoolExecutor(1, tasks_per_worker=tasks_per_worker)
    records = run_validation([corpus], out=tmp_path / "r.jsonl", check=pid_check,
                             executor=executor)
    assert len(records) == 5
    assert len({r["pid"] for r in records}) == processes
    assert os.getpid() not in {r["pid"] for r in records}


def test_reused_workers_give_the_records_of_fresh_ones(corpus: Path, tmp_path: Path) -> None:
    fresh = run_validation([corpus], out=tmp_path / "1.jsonl", check=brute_force_check,
                           executor=LocalPoolExecutor(2, tasks_per_worker=1))
    reused = run_validation([corpus], out=tmp_path / "2.jsonl", check=brute_force_check,
                            executor=LocalPoolExecutor(2))
    assert [untimed(r) for r in fresh] == [untimed(r) for r in reused]


# -- location-independent keys -----------------------------------------------------------


def test_a_moved_set_resumes_without_checking_anything_again(corpus: Path, tmp_path: Path
                                                             ) -> None:
    out = tmp_path / "r.jsonl"
    first = run_validation([corpus], out=out, check=brute_force_check)
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(corpus, moved)
    shutil.rmtree(corpus)
    seen: list[Progress] = []
    again = run_validation([moved], out=out, check=brute_force_check, resume=True,
                           on_progress=seen.append)
    assert (seen[-1].skipped, seen[-1].done) == (len(FILES), 0)  # the malformed one too
    assert by_key(again) == by_key(first)
    assert all(r["path"].startswith(str(corpus)) for r in again)  # where each was read


def test_files_with_the_same_bytes_are_one_instance(corpus: Path, tmp_path: Path) -> None:
    twin = corpus / "sat" / "twin.cnf"
    twin.write_bytes((corpus / "sat" / "two.cnf").read_bytes())
    records = run_validation([corpus], out=tmp_path / "r.jsonl", check=brute_force_check)
    assert len(records) == len(FILES)
    assert len(ResultsFile(tmp_path / "r.jsonl").read()) == len(FILES)
    paths = [r["path"] for r in records]
    assert (str(twin) in paths) != (str(corpus / "sat" / "two.cnf") in paths)


def old_key(path: Path, options: dict[str, Any]) -> str:
    """The resume key of earlier versions: resolved path, file sha256 and options."""
    payload = json.dumps([str(path.resolve()), file_sha256(path), options], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def test_a_file_written_with_path_keys_is_re_keyed_and_resumes(corpus: Path, tmp_path: Path
                                                               ) -> None:
    out = tmp_path / "r.jsonl"
    options = ValidationOptions(time_limit=60)
    run_validation([corpus], out=out, check=brute_force_check, options=options)
    lines = ResultsFile(out).read()
    for record in lines:  # rewrite as an earlier version wrote it
        if "file_sha256" in record:
            record["key"] = old_key(Path(record["path"]), record["options"])
    ResultsFile(out).replace(lines)
    seen: list[Progress] = []
    records = run_validation([corpus], out=out, check=brute_force_check, options=options,
                             resume=True, on_progress=seen.append)
    assert seen[-1].done == 0
    assert seen[-1].skipped == len(FILES)
    assert len(records) == len(FILES)
    # other options would make every instance a second one: the resume is refused
    with pytest.raises(InvalidArgumentError, match="cannot resume"):
        run_validation([corpus], out=tmp_path / "r.jsonl", check=brute_force_check,
                       resume=True, options=ValidationOptions(time_limit=30))


# -- shards and merging ------------------------------------------------------------------


def run_shards(corpus: Path, tmp_path: Path, count: int) -> list[Path]:
    outs = []
    for index in range(1, count + 1):
        out = tmp_path / f"shard{index}.jsonl"
        run_validation([corpus], out=out, check=brute_force_check, shard=f"{index}/{count}")
        outs.append(out)
    return outs


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_then_merge_equal_one_run(tmp_path: Path, count: int) -> None:
    corpus = write_corpus(tmp_path / "corpus", extra=12)
    whole = run_validation([corpus], out=tmp_path / "all.jsonl", check=brute_force_check)
    outs = run_shards(corpus, tmp_path, count)
    parts = [ResultsFile(out).read() for out in outs]
    keys = [r["key"] for part in parts for r in part]
    assert len(keys) == len(set(keys)) == len(whole)  # disjoint, and they cover the set
    merged_out = tmp_path / "merged.jsonl"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(["merge", *map(str, outs), "-o", str(merged_out)], stdout=stdout, stderr=stderr)
    assert code == 2, stderr.getvalue()  # the malformed file, as for the one run
    assert by_key(ResultsFile(merged_out).read()) == by_key(whole)
    assert stdout.getvalue().splitlines()[-1].startswith("FAILED: 0 instance(s) disagree, 1 ")


def test_report_of_shards_prints_the_summary_of_one_run(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", extra=4)
    run_validation([corpus], out=tmp_path / "all.jsonl", check=brute_force_check)
    outs = run_shards(corpus, tmp_path, 3)
    one, many = io.StringIO(), io.StringIO()
    assert run(["report", str(tmp_path / "all.jsonl"), "--format", "csv"], stdout=one) == 2
    assert run(["report", *map(str, outs), "--format", "csv"], stdout=many) == 2
    assert one.getvalue().splitlines()[0] == many.getvalue().splitlines()[0]
    count_columns = 6  # family, instances and the four verdict counts

    def counts(text: str) -> list[list[str]]:
        return sorted(line.split(",")[:count_columns] for line in text.splitlines()[1:])

    assert counts(one.getvalue()) == counts(many.getvalue())


def test_identical_duplicates_count_once(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run_validation([corpus], out=out, check=brute_force_check)
    again = tmp_path / "again.jsonl"
    run_validation([corpus], out=again, check=brute_force_check)
    merged = merge_results([out, again, out])
    assert merged.conflicts == []
    assert merged.duplicates == 2 * len(FILES)
    assert by_key(merged.records) == by_key(ResultsFile(out).read())
    assert merge_results([again, out]).records == ResultsFile(again).read()  # the first read
    stdout = io.StringIO()
    run(["report", str(out), str(again)], stdout=stdout)
    assert f"2 file(s), {2 * len(FILES)} records read: {len(FILES)} instances" in (
        stdout.getvalue())


@pytest.mark.parametrize("command", ["merge", "report"])
def test_conflicting_duplicates_are_rejected_loudly(corpus: Path, tmp_path: Path, command: str
                                                    ) -> None:
    out = tmp_path / "r.jsonl"
    run_validation([corpus], out=out, check=brute_force_check)
    records = ResultsFile(out).read()
    flipped = next(r for r in records if r["path"].endswith("two.cnf"))
    other = tmp_path / "other.jsonl"
    ResultsFile(other).replace([{**flipped, "verdict": "disagree", "path": "/far/two.cnf"}])
    merged_out = tmp_path / "merged.jsonl"
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = [command, str(out), str(other)] + (["-o", str(merged_out)] if command == "merge"
                                              else [])
    code = run(argv, stdout=stdout, stderr=stderr)
    assert code == 1
    errors = stderr.getvalue().splitlines()
    assert errors[0] == (
        f"reluinv: error: instance {flipped['key']}: conflicting verdicts: agree in {out} "
        f"({flipped['path']}); disagree in {other} (/far/two.cnf)")
    assert not merged_out.exists()  # merge writes nothing


# -- Dask ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A LocalCluster of two worker processes; yields the scheduler's address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local:
        yield local.scheduler_address


@pytest.mark.slow  # a cluster of two processes starts in 3-6 s
def test_dask_records_equal_the_local_pools_with_the_real_check(
    cluster: str, corpus: Path, tmp_path: Path
) -> None:
    options = ValidationOptions(time_limit=60)
    local = run_validation([corpus, corpus / "absent.cnf"], out=tmp_path / "local.jsonl",
                           options=options, workers=2)
    dask = run_validation([corpus, corpus / "absent.cnf"], out=tmp_path / "dask.jsonl",
                          options=options, executor=DaskExecutor(cluster))
    assert [untimed(r) for r in dask] == [untimed(r) for r in local]
    written = ResultsFile(tmp_path / "dask.jsonl").read()
    assert by_key(written) == by_key(local)
    for record in written:
        shape = ErrorRecord if record["verdict"] == "error" else RunRecord
        assert mismatches(record, shape) == [], record["path"]


@pytest.mark.slow
def test_dask_kills_a_check_past_its_hard_timeout(cluster: str, corpus: Path, tmp_path: Path
                                                  ) -> None:
    (corpus / "sat" / "hang.cnf").write_text("p cnf 1 1\n1 0\n")
    options = ValidationOptions(time_limit=0.2, hard_timeout_factor=1.0, hard_timeout_grace=0.5)
    records = run_validation([corpus / "sat"], out=tmp_path / "r.jsonl", check=hanging_check,
                             options=options, executor=DaskExecutor(cluster))
    found = {Path(r["path"]).name: r for r in records}
    assert found["hang.cnf"]["verdict"] == "unknown"
    assert found["hang.cnf"]["reason"] == "killed after 0.7 s (hard timeout)"
    assert found["hang.cnf"]["wall_seconds"] < 0.7 + 5  # killed then, not at some later time
    assert found["two.cnf"]["verdict"] == "agree"


def worker_pids(address: str) -> list[int]:
    distributed = pytest.importorskip("distributed")
    with distributed.Client(address, timeout=10) as client:
        return sorted(client.run(os.getpid).values())


@pytest.mark.slow  # two clusters, a worker restart: 10-20 s
def test_a_dask_worker_killed_mid_run_loses_no_record(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    corpus = write_corpus(tmp_path / "corpus", extra=10)
    (corpus / "bad" / "broken.cnf").unlink()
    expected = run_validation([corpus], out=tmp_path / "local.jsonl", check=brute_force_check,
                              workers=2)
    killed: list[int] = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local:
        address = local.scheduler_address

        def kill_a_worker(progress: Progress) -> None:
            if progress.done == 2 and not killed:  # both workers are busy with the next
                killed.append(worker_pids(address)[0])
                os.kill(killed[0], signal.SIGKILL)

        records = run_validation([corpus], out=tmp_path / "dask.jsonl", check=slow_check,
                                 executor=DaskExecutor(address), on_progress=kill_a_worker)
    assert killed
    written = ResultsFile(tmp_path / "dask.jsonl").read()
    assert len(written) == len(records) == len(expected)
    assert {r["verdict"] for r in written} == {"agree"}
    assert by_key(written) == by_key(expected)


@pytest.mark.slow
def test_a_task_that_keeps_killing_its_worker_is_recorded_as_an_error(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "sat" / "killer.cnf").write_text("p cnf 1 1\n-1 0\n")
    records = run_validation([corpus / "sat"], out=tmp_path / "r.jsonl",
                             check=worker_killing_check,
                             executor=DaskExecutor(workers=2, allowed_failures=1))
    found = {Path(r["path"]).name: r for r in records}
    assert found["killer.cnf"]["verdict"] == "error"
    assert "every Dask worker that ran this instance died" in found["killer.cnf"]["error"]
    assert mismatches(found["killer.cnf"], ErrorRecord) == []
    assert found["two.cnf"]["verdict"] == found["three.cnf"]["verdict"] == "agree"


@pytest.mark.slow  # a cluster start and a kill: 5-15 s
def test_a_killed_dask_client_leaves_a_file_that_resume_completes(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", extra=8)
    out = tmp_path / "r.jsonl"
    script = (
        "import sys; from reluinv.validation.runner import run_validation; "
        "from tests.integration.validation_checks import slow_check\n"
        "if __name__ == '__main__':\n"
        "    run_validation([sys.argv[1]], out=sys.argv[2], check=slow_check, "
        "executor='dask', workers=2)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(corpus), str(out)],
                               cwd=ROOT, start_new_session=True,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(ResultsFile(out).read()) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = ResultsFile(out).read()
    assert 3 <= len(partial) < len(FILES) + 8
    for line in out.read_text().splitlines():
        json.loads(line)
    records = run_validation([corpus], out=out, check=brute_force_check, resume=True)
    on_disk = ResultsFile(out).read()
    assert len(records) == len(on_disk) == len(FILES) + 8
    assert len({r["key"] for r in on_disk}) == len(FILES) + 8


def test_an_unreachable_scheduler_is_one_clear_error(corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ClusterError, match=r"^cannot reach the Dask scheduler at "
                                           r"tcp://127\.0\.0\.1:9 within 0\.5 s \("):
        run_validation([corpus], out=tmp_path / "r.jsonl", check=brute_force_check,
                       executor=DaskExecutor("tcp://127.0.0.1:9", connect_timeout=0.5))
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(["validate", str(corpus), "-o", str(tmp_path / "r.jsonl"), "--scheduler",
                "tcp://127.0.0.1:9", "--connect-timeout", "0.5"], stdout=stdout, stderr=stderr)
    assert code == 2
    assert len(stderr.getvalue().splitlines()) == 1
    assert stderr.getvalue().startswith("reluinv: error: cannot reach the Dask scheduler at ")


def test_importing_reluinv_does_not_import_dask() -> None:
    script = ("import sys, reluinv, reluinv.cli, reluinv.validation.executors; "
              "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, cwd=ROOT)
    assert shown.stdout.strip() == "[]"


@pytest.mark.slow  # starts a LocalCluster
def test_cli_validate_dask_then_report(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(["validate", str(corpus), "-o", str(out), "--dask", "--workers", "2",
                "--quiet"], stdout=stdout, stderr=stderr)
    assert code == 2, stdout.getvalue() + stderr.getvalue()  # the malformed file
    assert "executor DaskExecutor(LocalCluster(2 workers))" in stdout.getvalue().splitlines()[0]
    assert stdout.getvalue().splitlines()[-1] == (
        f"FAILED: 0 instance(s) disagree, 1 error(s) (of 5); records in {out}")
    verdicts = {Path(r["path"]).name: r["verdict"] for r in ResultsFile(out).read()}
    assert verdicts == {"two.cnf": "agree", "three.cnf": "agree", "contradiction.cnf": "agree",
                        "partial.wcnf": "agree", "broken.cnf": "error"}
