"""Combining results files: shards of one run, runs on several machines, resumed runs.

Records are matched by :func:`~reluinv.validation.runner.record_key`, the file's content
hash plus the options that change a record, never by path, so the same formula checked
under two names, on two machines, or in two shards counts once. Two records with the same
key are

* *identical duplicates* when their verdicts are equal: the first one read is kept (their
  timings differ, their answers do not decide anything the verdict does not);
* a *conflict* when their verdicts differ: the same instance checked with the same options
  came out two ways, which a merge must not hide. :func:`merge_results` lists every
  conflict and the command line refuses to merge (exit 1).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reluinv.validation.runner import ResultsFile, record_key

__all__ = ["Conflict", "MergedResults", "merge_results"]


@dataclass(frozen=True)
class Conflict:
    """One instance with records of different verdicts.

    Attributes
    ----------
    key:
        The instance's key (content and options).
    seen:
        ``(results file, record path, verdict)`` of every record of the instance, in the
        order read.
    """

    key: str
    seen: tuple[tuple[str, str, str], ...]

    def describe(self) -> str:
        """One line: the instance and each verdict with where it came from."""
        parts = "; ".join(f"{verdict} in {source} ({path})" for source, path, verdict
                          in self.seen)
        return f"instance {self.key}: conflicting verdicts: {parts}"


@dataclass(frozen=True)
class MergedResults:
    """What :func:`merge_results` found.

    Attributes
    ----------
    records:
        One record per instance (the first one read), ``key`` set to the content key, in
        the order first seen.
    read:
        Records read from each file, in the order the files were given.
    duplicates:
        Records dropped as identical duplicates of one kept.
    conflicts:
        Instances whose records disagree on the verdict.
    malformed:
        Per file, the numbers (from 1) of the lines that are not records (not JSON, not
        UTF-8, not an object): skipped, and listed so a reader can say so.
    """

    records: list[dict[str, Any]]
    read: dict[str, int]
    duplicates: int
    conflicts: list[Conflict] = field(default_factory=list)
    malformed: dict[str, list[int]] = field(default_factory=dict)

    def option_sets(self) -> dict[str, list[dict[str, Any]]]:
        """The records grouped by their ``options`` (as canonical JSON; ``"null"`` for
        records without), in the order first seen. A key hashes the options, so one
        instance run under two option sets is two records: a summary keeps the groups
        apart rather than count the instance twice."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for record in self.records:
            options = record.get("options")
            label = json.dumps(options if isinstance(options, dict) else None,
                               sort_keys=True)
            groups.setdefault(label, []).append(record)
        return groups


def merge_results(paths: Sequence[str | os.PathLike[str]]) -> MergedResults:
    """Read results files and combine their records, one per instance.

    Parameters
    ----------
    paths:
        Results files (JSON lines, as :class:`~reluinv.validation.runner.ResultsFile`
        reads them: a torn last line is skipped). A missing file raises
        :class:`FileNotFoundError`.

    Returns
    -------
    MergedResults
        The records, the counts, and the conflicts (empty when the files agree).
    """
    kept: dict[str, dict[str, Any]] = {}
    seen: dict[str, list[tuple[str, str, str]]] = {}
    read: dict[str, int] = {}
    malformed: dict[str, list[int]] = {}
    duplicates = 0
    for raw in paths:
        source = str(raw)
        if not Path(source).is_file():
            raise FileNotFoundError(f"{source}: no such file")
        results = ResultsFile(source)
        records = results.read()
        if results.malformed:
            malformed.setdefault(source, []).extend(results.malformed)
        read[source] = read.get(source, 0) + len(records)
        for line_number, record in enumerate(records, 1):
            key = record_key(record) or f"{source}#{line_number}"
            verdict = str(record.get("verdict", "error"))
            seen.setdefault(key, []).append((source, str(record.get("path")), verdict))
            if key in kept:
                if str(kept[key].get("verdict", "error")) == verdict:
                    duplicates += 1
                continue
            kept[key] = {**record, "key": key}
    conflicts = [Conflict(key, tuple(entries)) for key, entries in seen.items()
                 if len({verdict for _, _, verdict in entries}) > 1]
    return MergedResults(list(kept.values()), read, duplicates, conflicts, malformed)
