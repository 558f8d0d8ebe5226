"""The VNN-LIB reader's size limits, against an oracle computed from the text.

A limit refuses a file exactly when the file exceeds it: the oracle measures the text (its
UTF-8 bytes, its longest line) directly; the reader streams the file (plain or gzip)
through its byte budget and checks line lengths chunk by chunk, with chunks drawn small so
that lines straddle chunk boundaries. A file within both limits reads back to the
property written.
"""

from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import reluinv.data.vnnlib as vnnlib
from reluinv.data.formula import TextLimits
from reluinv.data.vnnlib import OutputPolytope, Property, VnnlibError, format_vnnlib, read_vnnlib

VALUES = st.integers(-8, 8).map(lambda v: v / 4)


@st.composite
def properties(draw: st.DrawFn) -> Property:
    """Small properties: a box of 1-3 inputs, 1-3 conjuncts of 1-2 rows over 1-3 outputs
    (shrinks towards one input, one output, one row, zero coefficients)."""
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 3))
    lower = [draw(VALUES) for _ in range(n)]
    upper = [low + draw(st.integers(0, 8)) / 4 for low in lower]
    disjuncts = []
    for _ in range(draw(st.integers(1, 3))):
        rows = draw(st.integers(1, 2))
        a = np.array([[draw(VALUES) for _ in range(m)] for _ in range(rows)])
        b = np.array([draw(VALUES) for _ in range(rows)])
        disjuncts.append(OutputPolytope(a, b))
    return Property(np.array(lower), np.array(upper), tuple(disjuncts), m)


def exceeded(text: str, limits: TextLimits) -> list[str]:
    """The limits ``text`` breaks, measured directly (the oracle)."""
    broken = []
    if max(len(line) for line in text.split("\n")) > limits.max_line_length:
        broken.append("max_line_length")
    if len(text.encode("utf-8")) > limits.max_bytes:
        broken.append("max_bytes")
    return broken


@given(properties(), st.data())
def test_a_limit_refuses_exactly_the_files_over_it(prop: Property, data: st.DataObject) -> None:
    comment = data.draw(st.sampled_from(["", "é" * 40, "x" * 90]), "comment")  # long lines
    text = format_vnnlib(prop, comments=[comment] if comment else [])
    longest = max(len(line) for line in text.split("\n"))

    def near(size: int) -> st.SearchStrategy[int]:  # on, above or below the boundary
        return st.sampled_from([max(1, size), size + 1, max(1, size - 1)])

    limits = TextLimits(max_bytes=data.draw(near(len(text.encode("utf-8"))), "max_bytes"),
                        max_line_length=data.draw(near(longest), "max_line_length"))
    compressed = data.draw(st.booleans(), "gzip")
    chunk = data.draw(st.sampled_from([1, 7, 64, 1 << 20]), "chunk")
    broken = exceeded(text, limits)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("p.vnnlib.gz" if compressed else "p.vnnlib")
        raw = text.encode("utf-8")
        path.write_bytes(gzip.compress(raw) if compressed else raw)
        read: Property | VnnlibError
        try:
            with mock.patch.object(vnnlib, "_CHUNK", chunk):
                read = read_vnnlib(path, prop.n_inputs, prop.n_outputs, limits=limits)
        except VnnlibError as exc:
            read = exc
    if isinstance(read, VnnlibError):
        rule = str(read)
        reason = "max_bytes" if "max_bytes" in rule else "max_line_length"
        event(f"refused by {reason} ({len(broken)} limit(s) broken, chunk {chunk})")
        assert reason in broken, (broken, rule)
        assert "\n" not in rule
        assert rule.startswith(str(path))
        return
    event(f"accepted (chunk {chunk})")
    assert not broken, f"accepted over {broken}"
    assert read == prop


@given(st.lists(st.text(st.characters(blacklist_characters="\n"), max_size=12), min_size=1,
                max_size=6),
       st.integers(1, 12))
def test_a_string_is_refused_at_its_first_long_line(lines: list[str], limit: int) -> None:
    """The line check (``parse_vnnlib`` runs it on a ``str``; bytes are not counted there)
    names the first line over the limit, found by the oracle: ``text.split("\\n")``."""
    text = "\n".join(lines)
    first = next((i + 1 for i, line in enumerate(lines) if len(line) > limit), None)
    if first is None:
        event("accepted")
        vnnlib._read_text(io.StringIO(text), limit, "s")
        return
    event("refused")
    with pytest.raises(VnnlibError, match=rf"^s:{first}: line longer than {limit} characters"):
        vnnlib._read_text(io.StringIO(text), limit, "s")
