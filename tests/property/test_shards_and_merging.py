"""Shards partition any set of instances; merging shards returns each instance once and
finds every conflict (against oracles written here: a plain dict of what was written)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from reluinv.validation.merging import merge_results
from reluinv.validation.runner import ResultsFile, Shard

sha256s = st.binary(min_size=32, max_size=32).map(bytes.hex)
VERDICTS = ("agree", "disagree", "unknown", "error")


@given(sha=sha256s, count=st.integers(1, 16))
def test_every_instance_is_in_exactly_one_shard(sha: str, count: int) -> None:
    owners = [index for index in range(1, count + 1) if Shard(index, count).contains(sha)]
    assert len(owners) == 1
    event("owner: shard 1" if owners[0] == 1 else
          "owner: the last shard" if owners[0] == count else "owner: an inner shard")


@given(index=st.integers(1, 50), extra=st.integers(0, 50))
def test_a_shard_reads_back_from_its_text(index: int, extra: int) -> None:
    shard = Shard(index, index + extra)
    assert Shard.parse(str(shard)) == shard


@st.composite
def split_runs(draw: st.DrawFn) -> tuple[dict[str, str], list[list[dict[str, str]]], bool]:
    """Instances with verdicts, written into 1-4 files, some of them more than once; when
    ``conflict`` one repeated record has its verdict changed."""
    keys = draw(st.lists(st.text("abcdef0123456789", min_size=4, max_size=4), min_size=1,
                         max_size=12, unique=True))
    truth = {key: draw(st.sampled_from(VERDICTS)) for key in keys}
    files: list[list[dict[str, str]]] = [[] for _ in range(draw(st.integers(1, 4)))]
    for key in keys:
        for where in draw(st.lists(st.integers(0, len(files) - 1), min_size=1, max_size=3)):
            files[where].append({"key": key, "path": f"{where}/{key}.cnf",
                                 "verdict": truth[key], "family": "f"})
    repeated = [r for f in files for r in f
                if sum(s["key"] == r["key"] for g in files for s in g) > 1]
    conflict = bool(repeated) and draw(st.booleans())
    if conflict:
        victim = draw(st.sampled_from(repeated))
        victim["verdict"] = next(v for v in VERDICTS if v != victim["verdict"])
    return truth, files, conflict


@given(case=split_runs())
def test_merge_keeps_each_instance_once_and_finds_each_conflict(
    case: tuple[dict[str, str], list[list[dict[str, str]]], bool]
) -> None:
    truth, files, conflict = case
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, records in enumerate(files):
            path = Path(folder) / f"part{number}.jsonl"
            ResultsFile(path).replace(records)
            paths.append(path)
        merged = merge_results(paths)
    written = sum(len(f) for f in files)
    event("conflict" if conflict else
          "identical duplicates" if written > len(truth) else "no duplicates")
    assert [r["key"] for r in merged.records] == list(dict.fromkeys(
        r["key"] for f in files for r in f))
    assert sum(merged.read.values()) == written
    if conflict:
        assert len(merged.conflicts) == 1
        assert len({verdict for _, _, verdict in merged.conflicts[0].seen}) == 2
    else:
        assert merged.conflicts == []
        assert merged.duplicates == written - len(truth)
        assert {r["key"]: r["verdict"] for r in merged.records} == truth
