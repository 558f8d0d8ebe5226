"""A resumed run over edited and duplicated files keeps its results file true to the files.

Random folders of small formulas drawn from a pool of three (so byte-identical copies are
common), a first run, random edits (a file gets another formula of the pool, or keeps its
own), and a resumed run. The oracle is the files themselves, hashed here with
:mod:`hashlib`: after the resumed run the results file holds one record per distinct
content of the folder, each under a path that holds those bytes now; every file left out
is named as a duplicate of a file with the same bytes; and a record whose path was edited
is reported superseded. The checks run in this process (:class:`InProcess`), so an example
costs milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from reluinv.validation.executors import CheckFunction, Outcome, Task
from reluinv.validation.runner import Progress, run_validation
from tests.integration.validation_checks import brute_force_check

POOL = ("p cnf 2 2\n1 2 0\n-1 0\n", "p cnf 1 2\n1 0\n-1 0\n", "p cnf 3 1\n1 -2 3 0\n")


class InProcess:
    """An executor that runs each check in this process, in order."""

    name = "in-process"
    workers = 1

    def run(self, tasks: Sequence[Task], check: CheckFunction) -> Iterator[Outcome]:
        for task in tasks:
            record = check(task.path, time_limit=task.time_limit, family=task.family)
            yield Outcome(task=task, record=record)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _validate(folder: Path, results: Path, *, resume: bool) -> Progress:
    seen: list[Progress] = []
    run_validation([folder], out=results, check=brute_force_check, executor=InProcess(),
                   resume=resume, on_progress=seen.append)
    return seen[-1]


@given(first=st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=5),
       edits=st.lists(st.one_of(st.none(), st.sampled_from(range(len(POOL)))), max_size=5))
def test_resume_keeps_the_results_true_to_the_edited_files(first: list[int],
                                                           edits: list[int | None]) -> None:
    with tempfile.TemporaryDirectory(prefix="reluinv-resume-") as tmp:
        folder, results = Path(tmp) / "set", Path(tmp) / "results.jsonl"
        folder.mkdir()
        files = [folder / f"f{i}.cnf" for i in range(len(first))]
        for path, which in zip(files, first, strict=True):
            path.write_text(POOL[which])
        _validate(folder, results, resume=False)
        recorded = {json.loads(line)["path"] for line in results.read_text().splitlines()}
        edited = set()
        for path, which in zip(files, edits, strict=False):
            if which is not None and path.read_text() != POOL[which]:
                path.write_text(POOL[which])
                edited.add(str(path))
        progress = _validate(folder, results, resume=True)

        records: list[dict[str, Any]] = [json.loads(line)
                                         for line in results.read_text().splitlines()]
        contents = {_sha(path) for path in files}
        assert sorted(r["file_sha256"] for r in records) == sorted(contents)
        assert all(_sha(Path(r["path"])) == r["file_sha256"] for r in records)
        assert len(progress.duplicates) == len(files) - len(contents)
        for copy, original in progress.duplicates.items():
            assert Path(copy).read_bytes() == Path(original).read_bytes()
        assert set(progress.superseded) == edited & recorded
        event("a record superseded" if progress.superseded else "no record superseded")
        event("duplicates" if progress.duplicates else "no duplicates")
