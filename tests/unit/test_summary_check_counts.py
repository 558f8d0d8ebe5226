"""The validation summary counts cross-checks by status, ``not_applicable`` included, per
family and in total, and the summary table shows those counts."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from reluinv import Formula, check_instance
from reluinv.cli.validate import render_summary
from reluinv.validation.records import CHECK_STATUSES
from reluinv.validation.runner import summarize


def record(family: str, verdict: str, *statuses: str) -> dict[str, Any]:
    return {"family": family, "path": f"{family}/{verdict}.cnf", "verdict": verdict,
            "checks": [{"name": f"c{i}", "status": s} for i, s in enumerate(statuses)]}


RECORDS = [
    record("a", "agree", "passed", "passed", "not_applicable"),
    record("a", "agree", "passed", "not_applicable", "not_applicable", "skipped"),
    record("b", "disagree", "failed", "passed"),
    {"family": "b", "path": "b/bad.cnf", "verdict": "error", "error": "malformed"},
]


def test_check_statuses_are_the_record_literal() -> None:
    from typing import get_args

    from reluinv.validation.records import CheckStatus
    assert set(CHECK_STATUSES) == set(get_args(CheckStatus))


@pytest.mark.parametrize(("family", "expected"), [
    ("a", {"passed": 3, "failed": 0, "skipped": 1, "not_applicable": 3}),
    ("b", {"passed": 1, "failed": 1, "skipped": 0, "not_applicable": 0}),
    ("all", {"passed": 4, "failed": 1, "skipped": 1, "not_applicable": 3}),
])
def test_summary_counts_checks_by_status(family: str, expected: dict[str, int]) -> None:
    summaries = {s.family: s for s in summarize(RECORDS)}
    assert summaries[family].check_counts == expected


@pytest.mark.parametrize("fmt", ["csv", "table", "markdown"])
def test_rendered_summary_shows_the_check_counts(fmt: str) -> None:
    text = render_summary(summarize(RECORDS), fmt)
    assert "checks not_applicable" in text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        total = next(row for row in rows if row["family"] == "all")
        assert [total[f"checks {s}"] for s in CHECK_STATUSES] == ["4", "1", "1", "3"]


@pytest.mark.slow
@pytest.mark.usefixtures("layerwise_plain_lp")
def test_a_real_record_counts_its_not_applicable_checks() -> None:
    """Random 3-SAT at ratio 4.26, k = 6: the layer-wise inverter (null-space LP alone) is
    inconclusive on the reduction, so layer-wise soundness is not applicable, and the
    summary says so."""
    clauses = ((1, -2, 3), (-1, 4, 5), (2, -5, 6), (-3, -4, -6), (1, 5, -6), (-2, 3, 4),
               (2, 4, -5), (-1, -3, 6), (3, -5, -6), (1, -4, 5), (-2, -3, -6), (4, 5, 6),
               (-1, 2, -4), (1, 3, -5), (-2, 5, 6), (-3, 4, -6), (1, -2, -5), (2, 3, 6),
               (-1, -4, -5), (3, 4, 5), (-2, -4, 6), (1, -3, -6), (2, -3, 5), (-1, 4, -6),
               (-4, -5, 6), (1, 2, 4))
    rec = dict(check_instance(Formula(6, clauses)))
    rec.setdefault("family", "3sat")
    expected = sum(c["status"] == "not_applicable" for c in rec["checks"])
    assert expected >= 1, rec["checks"]
    total = summarize([rec])[-1]
    assert total.check_counts["not_applicable"] == expected
    assert sum(total.check_counts.values()) == len(rec["checks"])


def test_summary_counts_every_record_verdict() -> None:
    """Every verdict a record can carry (the ``Verdict`` literal) has a summary column, so
    an ``uncertified`` record (``proof=False``) is counted, not dropped; the count is the
    one of a real record made by ``check_instance``."""
    from typing import get_args

    from reluinv.validation.records import Verdict
    from reluinv.validation.runner import VERDICTS
    assert set(get_args(Verdict)) | {"error"} == set(VERDICTS)
    made = check_instance(Formula(2, [[1, 2], [-1]]), proof=False, layerwise=False)
    assert made["verdict"] == "uncertified"
    total = summarize([made, *RECORDS])[-1]
    assert total.counts["uncertified"] == 1
    assert sum(total.counts.values()) == total.instances
