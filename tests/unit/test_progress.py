"""Progress of a validation run in a pipe: one line per record, a heartbeat naming the
instances in flight, and an ETA from the median."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from reluinv.cli import run
from reluinv.cli.validate import _Heartbeat, heartbeat_line, record_line
from reluinv.validation.runner import Progress

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_eta_is_the_median_times_the_rounds_left() -> None:
    progress = Progress(total=10, done=4, workers=2, wall_seconds=[1.0, 1.0, 1.0, 100.0])
    # six left, two at a time: three rounds of the median (1 s), not of the mean (25.75 s)
    assert progress.eta == pytest.approx(3.0)
    assert Progress(total=3).eta is None


def test_record_line_names_the_record_its_verdict_and_seconds() -> None:
    progress = Progress(total=3, done=1, wall_seconds=[2.5])
    progress.last_record = {"path": "/x/uf20-01.cnf", "verdict": "agree", "certified": True,
                            "wall_seconds": 2.5}
    assert record_line(progress) == "[1/3] agree certified uf20-01.cnf 2.5 s | eta 0:00:05"


def test_heartbeat_line_names_the_instances_in_flight() -> None:
    now = time.monotonic()
    progress = Progress(total=5, done=2, in_flight={"/a/slow.cnf": now - 40,
                                                     "/a/new.cnf": now - 1})
    line = heartbeat_line(progress, now)
    assert "in flight: slow.cnf (40 s), new.cnf (1 s)" in line
    assert line.startswith("... 2/5 done")


def test_heartbeat_thread_beats_until_stopped() -> None:
    beats: list[str] = []
    seen = threading.Event()

    def write(text: str) -> None:
        beats.append(text)
        seen.set()

    with _Heartbeat(0.01, write) as heartbeat:
        heartbeat.progress = Progress(total=1, in_flight={"/a/x.cnf": time.monotonic()})
        assert seen.wait(5)
    count = len(beats)
    time.sleep(0.05)
    assert len(beats) == count
    assert "x.cnf" in beats[0]


def test_validate_in_a_pipe_prints_one_line_per_record(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()  # not terminals
    code = run(["validate", str(EXAMPLES / "uf5-satlib.cnf"),
                str(EXAMPLES / "partial-maxsat.wcnf"), "-o", str(tmp_path / "r.jsonl"),
                "--heartbeat", "0"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    lines = [line for line in err.getvalue().splitlines() if line.startswith("[")]
    assert len(lines) == 2
    assert {line.split()[1] for line in lines} == {"agree"}
    assert {line.split()[3] for line in lines} == {"uf5-satlib.cnf", "partial-maxsat.wcnf"}


def test_evidence_line_counts_certified_and_cross_checked_records() -> None:
    from reluinv.cli.validate import evidence_line

    records = [{"certified": True, "unfinished": []},
               {"certified": True, "unfinished": ["l1_optimum_equals_maxsat_cost[real]"]},
               {"certified": False, "unfinished": []},
               {"verdict": "error"}]
    assert evidence_line(records) == (
        "evidence: 2 of 3 checked records certified; 2 with every cross-check finished, "
        "1 with unfinished cross-checks (listed in their records)")
