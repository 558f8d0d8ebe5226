"""The DIMACS reader's size limits and its strictness, against oracles computed from the text.

* A limit refuses a file exactly when the file exceeds it: the oracle measures the text
  (its UTF-8 bytes, its longest line) and the formula (``n``, ``m``) directly, and the
  reader, which streams a gzip file through its byte budget, must agree.
* Hostile edits of a valid text (a ``+`` sign, a ``-0``, a stray character, a cut) are
  either refused with one :class:`~reluinv.errors.DimacsError` line naming the source and
  a line of the text, or give a formula that round-trips; never another exception.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from reluinv import format_dimacs, parse_dimacs, read_dimacs
from reluinv.data.formula import DimacsLimits, Formula
from reluinv.errors import DimacsError
from reluinv.strategies import formulas


def exceeded(formula: Formula, text: str, limits: DimacsLimits) -> list[str]:
    """The limits the text of ``formula`` breaks, measured directly (the oracle)."""
    longest = max((len(line) for line in text.split("\n")), default=0)
    broken = []
    if formula.num_vars > limits.max_vars:
        broken.append("max_vars")
    if formula.num_clauses > limits.max_clauses:
        broken.append("max_clauses")
    if longest > limits.max_line_length:
        broken.append("max_line_length")
    if len(text.encode("utf-8")) > limits.max_bytes:
        broken.append("max_bytes")
    return broken


@given(formulas(max_vars=8, max_clauses=12, max_width=5), st.data())
def test_a_limit_refuses_exactly_the_files_over_it(formula: Formula, data: st.DataObject
                                                   ) -> None:
    text = format_dimacs(formula, provenance={"comment": "é" * 3})  # multi-byte characters
    longest = max(len(line) for line in text.split("\n"))

    def near(size: int) -> st.SearchStrategy[int]:  # on, above or below the boundary
        return st.sampled_from([max(1, size), size + 1, max(1, size - 1)])

    limits = DimacsLimits(
        max_bytes=data.draw(near(len(text.encode("utf-8"))), "max_bytes"),
        max_line_length=data.draw(near(longest), "max_line_length"),
        max_vars=data.draw(near(formula.num_vars), "max_vars"),
        max_clauses=data.draw(near(formula.num_clauses), "max_clauses"))
    broken = exceeded(formula, text, limits)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.cnf.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8")))
        read: Formula | DimacsError
        try:
            read = read_dimacs(path, limits=limits)
        except DimacsError as exc:
            read = exc
    if isinstance(read, DimacsError):
        event(f"refused ({len(broken)} limit(s) broken)")
        rule = str(read)
        assert broken, f"refused within every limit: {rule}"
        assert "\n" not in rule
        assert rule.startswith(str(path))
        assert any(name in rule for name in broken), (broken, rule)
        return
    event("accepted")
    assert not broken, f"accepted over {broken}"
    assert read == formula


def mutate(text: str, kind: str, where: int, char: str) -> str:
    """One hostile edit of ``text`` at position ``where``."""
    lines = text.split("\n")
    clause_lines = [i for i, line in enumerate(lines) if line[:1] not in ("c", "p", "")]
    if kind == "plus-sign" and clause_lines:
        for shift in range(len(clause_lines)):  # the first line with a positive literal
            i = clause_lines[(where + shift) % len(clause_lines)]
            tokens = lines[i].split()
            first = 1 if "wcnf" in text else 0  # a weight leads each weighted clause
            positive = [j for j in range(first, len(tokens) - 1) if tokens[j][0] != "-"]
            if positive:
                tokens[positive[where % len(positive)]] = "+" + tokens[positive[where %
                                                                          len(positive)]]
                lines[i] = " ".join(tokens)
                break
        return "\n".join(lines)
    if kind == "minus-zero" and clause_lines:
        i = clause_lines[where % len(clause_lines)]
        lines[i] = lines[i][: -1] + "-0" if lines[i].endswith("0") else lines[i]
        return "\n".join(lines)
    if kind == "insert":
        at = where % (len(text) + 1)
        return text[:at] + char + text[at:]
    if kind == "cut":
        return text[: where % (len(text) + 1)]
    return text


@given(
    formulas(max_vars=6, max_clauses=8, max_width=4),
    st.sampled_from(["plus-sign", "minus-zero", "insert", "cut"]),
    st.integers(0, 10_000),
    st.sampled_from([*"+-0 x.%cph\t\ufeff\x00é", "0x1", "1e3", "99999999999"]),
)
def test_hostile_edits_are_one_dimacs_error_or_a_round_trip(
    formula: Formula, kind: str, where: int, char: str
) -> None:
    text = format_dimacs(formula, provenance=None)
    edited = mutate(text, kind, where, char)
    if edited == text:
        event(f"{kind}: nothing to edit")
        assert parse_dimacs(edited) == formula
        return
    parsed: Formula | DimacsError
    try:
        parsed = parse_dimacs(edited, source="edited.cnf")
    except DimacsError as exc:
        parsed = exc
    if isinstance(parsed, DimacsError):
        event(f"{kind}: refused")
        message = str(parsed)
        assert "\n" not in message
        assert message.startswith("edited.cnf")
        if parsed.line is not None:
            assert 1 <= parsed.line <= edited.count("\n") + 1
        return
    event(f"{kind}: accepted")
    if kind in ("plus-sign", "minus-zero"):
        assert edited == text, "a '+' sign or a '-0' was accepted"
    assert parse_dimacs(format_dimacs(parsed, provenance=None)) == parsed


@pytest.mark.parametrize("text", ["p cnf 2 1\n+1 -2 0\n", "p cnf 2 2\n1 -0\n2 0\n"],
                         ids=["plus-one", "minus-zero"])
def test_the_issue_reproducers_are_refused(text: str) -> None:
    with pytest.raises(DimacsError, match=r"^<string>:2: invalid literal"):
        parse_dimacs(text)
