"""The record types and their documentation say the same thing.

``docs/records.md`` lists every field of every part of a validation record in a table
(field names in backticks in the first column, under a heading naming the part);
:mod:`reluinv.validation.records` types each part as a TypedDict. These tests read the
tables and compare them with the TypedDicts in both directions.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

import pytest

from reluinv.exact import Status
from reluinv.layerwise.inverter import LayerwiseStatus
from reluinv.oracles.maxsat import MaxSatStatus
from reluinv.oracles.sat import SatStatus
from reluinv.validation import records
from tests.typed_dicts import mismatches, typeddict_keys

DOC = Path(__file__).resolve().parents[2] / "docs" / "records.md"

RECORD_PARTS = ("Identity", "The answers", "Cross-checks and verdict", "Timings")

#: Which headings of docs/records.md list the fields of which TypedDicts (a part with two
#: shapes, like an exact entry that ran or did not, lists the union of their fields).
DOCUMENTED: dict[str, tuple[tuple[Any, ...], tuple[str, ...]]] = {
    "ValidationRecord": ((records.ValidationRecord,), RECORD_PARTS),
    "RunRecord": ((records.RunRecord,), (*RECORD_PARTS, "Added by validation runs")),
    "SatSection": ((records.SatSection,), ("`sat`",)),
    "MaxSatSection": ((records.MaxSatSection,), ("`maxsat`",)),
    "MaxSatCertificateSection": ((records.MaxSatCertificateSection,),
                                 ("`maxsat.certificate`",)),
    "RealChain": ((records.RealChain,), ("`real_chain`",)),
    "ExactEntry": ((records.ExactSection, records.ExactNotRun), ("`exact` entries",)),
    "LayerwiseSection": ((records.LayerwiseSection,), ("`layerwise` entries",)),
    "CheckEntry": ((records.CheckEntry,), ("Check entries",)),
    "Timings": ((records.Timings,), ("`timings`",)),
    "RunOptions": ((records.RunOptions,), ("`options`",)),
    "ErrorRecord": ((records.ErrorRecord,), ("`error` records",)),
    "KilledRecord": ((records.KilledRecord,), ("Killed `unknown` records",)),
}

#: TypedDicts whose keys are names (latents, objectives), documented in the row of the
#: field that holds them rather than in a table of their own.
NAMED_IN_ROW = {
    "ExactSections": (records.ExactSections, "exact"),
    "ExactObjectives": (records.ExactObjectives, "exact"),
    "LayerwiseSections": (records.LayerwiseSections, "layerwise"),
}


def field_tables(text: str) -> dict[str, list[tuple[set[str], str]]]:
    """Heading -> rows ``(field names, meaning)`` of the tables under it whose first header
    cell is ``field`` (other tables, like the list of check names, are not field tables)."""
    tables: dict[str, list[tuple[set[str], str]]] = {}
    heading = ""
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            heading, header = line.lstrip("#").strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(cells[0]) <= set("-: ") or header[0] != "field":
            continue
        names = set(re.findall(r"`([^`]+)`", cells[0]))
        assert names, f"docs/records.md, under {heading!r}: a row without a field: {line}"
        tables.setdefault(heading, []).append((names, cells[1] if len(cells) > 1 else ""))
    return tables


@pytest.fixture(scope="module")
def tables() -> dict[str, list[tuple[set[str], str]]]:
    return field_tables(DOC.read_text(encoding="utf-8"))


def documented_fields(tables: dict[str, list[tuple[set[str], str]]],
                      headings: tuple[str, ...]) -> set[str]:
    missing = [h for h in headings if h not in tables]
    assert not missing, f"docs/records.md has no field table under {missing}"
    return {name for h in headings for names, _ in tables[h] for name in names}


@pytest.mark.parametrize("part", sorted(DOCUMENTED))
def test_documented_fields_equal_the_typeddict_fields(
        part: str, tables: dict[str, list[tuple[set[str], str]]]) -> None:
    shapes, headings = DOCUMENTED[part]
    in_code = set().union(*(typeddict_keys(shape) for shape in shapes))
    in_doc = documented_fields(tables, headings)
    assert not in_code - in_doc, f"{part}: fields not documented in docs/records.md " \
        f"under {headings}: {sorted(in_code - in_doc)}"
    assert not in_doc - in_code, f"{part}: docs/records.md documents fields the code " \
        f"does not have: {sorted(in_doc - in_code)}"


@pytest.mark.parametrize("part", sorted(NAMED_IN_ROW))
def test_section_keys_are_named_in_their_row(
        part: str, tables: dict[str, list[tuple[set[str], str]]]) -> None:
    shape, field = NAMED_IN_ROW[part]
    rows = [meaning for h in RECORD_PARTS for names, meaning in tables.get(h, [])
            if field in names]
    assert len(rows) == 1, f"docs/records.md: one row for {field!r} expected, got {len(rows)}"
    assert typeddict_keys(shape) <= set(re.findall(r"`([^`]+)`", rows[0]))


def test_every_record_typeddict_is_compared_with_the_doc() -> None:
    compared = {shape.__name__ for shapes, _ in DOCUMENTED.values() for shape in shapes}
    compared |= set(NAMED_IN_ROW)
    typeddicts = {name for name in records.__all__
                  if isinstance(getattr(records, name), type)
                  and hasattr(getattr(records, name), "__required_keys__")}
    assert typeddicts <= compared, sorted(typeddicts - compared)


def test_sometimes_absent_fields_are_marked_in_the_doc(
        tables: dict[str, list[tuple[set[str], str]]]) -> None:
    # a NotRequired field is documented as absent in some records
    for part, (shapes, headings) in DOCUMENTED.items():
        if len(shapes) != 1:
            continue
        (shape,) = shapes
        for name in shape.__optional_keys__:
            meaning = next(m for h in headings for names, m in tables[h] if name in names)
            assert "absent" in meaning or "only" in meaning, (part, name, meaning)


@pytest.mark.parametrize(("shape", "enum"), [
    (records.SatSection, SatStatus),
    (records.MaxSatSection, MaxSatStatus),
    (records.ExactSection, Status),
    (records.LayerwiseSection, LayerwiseStatus),
])
def test_status_literals_are_the_enum_values(shape: Any, enum: type[Enum]) -> None:
    hint = get_type_hints(shape)["status"]
    assert set(get_args(hint)) == {member.value for member in enum}


def test_schema_version_is_the_documented_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"`schema` \(currently (\d+)\)", text)
    assert match is not None
    assert int(match.group(1)) == records.RECORD_SCHEMA_VERSION


@pytest.mark.parametrize(("value", "annotation", "fits"), [
    (1, int, True),
    (True, int, False),
    (1, float, False),
    (None, int | None, True),
    ("7/2", records.JsonNumber, True),
    ([1.0, "inf"], list[records.JsonNumber], True),
    ("maybe", Literal["yes", "no"], False),
    ({"time_limit": None, "check_options": {}}, records.RunOptions, True),
    ({"time_limit": None}, records.RunOptions, False),
    ({"time_limit": None, "check_options": {}, "extra": 1}, records.RunOptions, False),
    ({"name": "c", "status": "passed"}, records.CheckEntry, True),  # NotRequired is optional
    ({"name": "c", "status": "passed", "unfinished": 1}, records.CheckEntry, False),
    ({"status": "not run", "message": "x"}, records.ExactEntry, True),
    ({"status": "not run", "message": "x", "bound": 1}, records.ExactEntry, False),
])
def test_the_checker_tells_fitting_values_from_others(value: object, annotation: Any,
                                                      fits: bool) -> None:
    assert (mismatches(value, annotation) == []) is fits
