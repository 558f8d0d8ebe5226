"""VNN-LIB: the parser table (good and bad inputs), gzip, and the write -> read round trip."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import reluinv as ri
from reluinv.data.vnnlib import (
    MAX_NESTING,
    OutputPolytope,
    VnnlibError,
    format_vnnlib,
    parse_vnnlib,
)

HEAD = ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n"
        "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
        "(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 -1.5))\n(assert (<= X_1 2e0))\n")


def rows(*pairs: tuple[list[float], float]) -> tuple[list[list[float]], list[float]]:
    return [list(a) for a, _ in pairs], [b for _, b in pairs]


# body after HEAD -> the disjuncts as (A, b) lists
GOOD: dict[str, tuple[str, list[tuple[list[list[float]], list[float]]]]] = {
    "upper-bound": ("(assert (<= Y_0 3.5))", [rows(([1, 0], 3.5))]),
    "lower-bound": ("(assert (>= Y_1 -2))", [rows(([0, -1], 2.0))]),
    "constant-left": ("(assert (<= 1 Y_0))", [rows(([-1, 0], -1.0))]),
    "two-variables": ("(assert (<= Y_0 Y_1))", [rows(([1, -1], 0.0))]),
    "two-variables-geq": ("(assert (>= Y_0 Y_1))", [rows(([-1, 1], 0.0))]),
    "sum": ("(assert (<= (+ Y_0 Y_1) 4))", [rows(([1, 1], 4.0))]),
    "scaled": ("(assert (<= (* 2 Y_0) 1))", [rows(([2, 0], 1.0))]),
    "scaled-right": ("(assert (<= (* Y_0 0.5) 1))", [rows(([0.5, 0], 1.0))]),
    "difference": ("(assert (>= (- Y_0 Y_1) 0.25))", [rows(([-1, 1], -0.25))]),
    "negation": ("(assert (<= (- Y_1) 1))", [rows(([0, -1], 1.0))]),
    "constant-in-term": ("(assert (<= (+ Y_0 1) Y_1))", [rows(([1, -1], -1.0))]),
    "and": ("(assert (and (<= Y_0 1) (>= Y_1 2)))", [rows(([1, 0], 1.0), ([0, -1], -2.0))]),
    "two-asserts": ("(assert (<= Y_0 1))\n(assert (>= Y_1 2))",
                    [rows(([1, 0], 1.0), ([0, -1], -2.0))]),
    "or-of-ands": ("(assert (or (and (<= Y_0 1)) (and (>= Y_1 2) (<= Y_1 3))))",
                   [rows(([1, 0], 1.0)), rows(([0, -1], -2.0), ([0, 1], 3.0))]),
    "or-of-atoms": ("(assert (or (<= Y_0 1) (<= Y_1 1)))",
                    [rows(([1, 0], 1.0)), rows(([0, 1], 1.0))]),
    "and-of-ors-distributed": (
        "(assert (and (or (<= Y_0 1) (<= Y_0 2)) (or (<= Y_1 3) (<= Y_1 4))))",
        [rows(([1, 0], 1.0), ([0, 1], 3.0)), rows(([1, 0], 1.0), ([0, 1], 4.0)),
         rows(([1, 0], 2.0), ([0, 1], 3.0)), rows(([1, 0], 2.0), ([0, 1], 4.0))]),
    "no-output-constraint": ("", [([], [])]),
    "comments-and-blank-lines": ("; a comment\n\n(assert (<= Y_0 1)) ; trailing\n",
                                 [rows(([1, 0], 1.0))]),
    "input-bounds-under-and": ("(assert (and (>= X_0 0.25) (<= Y_0 1)))",
                               [rows(([1, 0], 1.0))]),
    "exponent-number": ("(assert (<= Y_0 1.5e-3))", [rows(([1, 0], 0.0015))]),
}

BAD: dict[str, tuple[str, str, str]] = {
    # name: (whole text or "+" body appended to HEAD, expected line, message fragment)
    "equality": ("+(assert (= Y_0 1))", "9", "unsupported operator '='"),
    "strict-less": ("+(assert (< Y_0 1))", "9", "unsupported operator '<'"),
    "not": ("+(assert (not (<= Y_0 1)))", "9", "unsupported operator 'not'"),
    "other-command": ("+(check-sat)", "9", "unsupported command 'check-sat'"),
    "undeclared": ("+(assert (<= Y_2 1))", "9", "Y_2 is used before its declare-const"),
    "unknown-symbol": ("+(assert (<= Y_0 pi))", "9", "neither a number nor a declared"),
    "mixed-atom": ("+(assert (<= X_0 Y_0))", "9", "mixes inputs X and outputs Y"),
    "input-linear": ("+(assert (<= (+ X_0 X_1) 1))", "9", "only bounds X_i <= c"),
    "input-under-or": ("+(assert (or (<= X_0 0.5) (<= Y_0 1)))", "9", "input bound under 'or'"),
    "nonlinear": ("+(assert (<= (* Y_0 Y_1) 1))", "9", "not linear"),
    "unclosed": ("+(assert (<= Y_0 1)", "9", "never closed"),
    "extra-close": ("+(assert (<= Y_0 1)))", "9", "without a matching"),
    "constants-only": ("+(assert (<= 1 2))", "9", "comparison of two constants"),
    "bad-sort": ("(declare-const X_0 Int)", "1", "sort Real"),
    "bad-name": ("(declare-const Z_0 Real)", "1", "not named X_i or Y_j"),
    "out-of-range": ("(declare-const X_5 Real)", "1", "out of range"),
    "declared-twice": ("(declare-const X_0 Real)\n(declare-const X_0 Real)", "2",
                       "declared twice"),
    "unbounded-input": ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n"
                        "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
                        "(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 0))",
                        "2", "X_1 (declared here) has no upper bound"),
    "missing-declaration": ("(declare-const X_0 Real)\n(declare-const Y_0 Real)", "",
                            "X_1 is never declared"),
    "bare-atom": ("+Y_0", "9", "outside parentheses"),
    "nul-escaped": ("+\x00", "9", "'\\x00' outside parentheses"),
    "form-feeds-inside-a-line": ("+\f\u2028(assert (<= Y_0 pi))", "9",
                                 "'pi' is neither a number"),
    "empty-and": ("+(assert (and))", "9", "needs at least one argument"),
    "assert-two": ("+(assert (<= Y_0 1) (<= Y_1 1))", "9", "exactly one formula"),
    "deep-and": ("+\n(assert " + "(and " * 5000 + "(<= Y_0 1)" + ")" * 5001, "10",
                 f"nested deeper than {MAX_NESTING} levels"),
    "deep-term": ("+(assert (<= " + "(- " * 5000 + "Y_0" + ")" * 5000 + " 1))", "9",
                  f"nested deeper than {MAX_NESTING} levels"),
    "huge-number": ("+(assert (<= Y_0 1e999))", "9", "'1e999' is outside the float64 range"),
    "huge-bound": ("+(assert (<= X_0 -1e999))", "9", "outside the float64 range"),
    "underflow": ("+(assert (>= Y_0 1e-400))", "9",
                  "'1e-400' is below the float64 range (it would be read as 0)"),
    "underflow-decimal": ("+(assert (>= Y_0 0.5e-330))", "9",
                          "'0.5e-330' is below the float64 range"),
    "long-number": ("+(assert (<= Y_0 1" + "0" * 400 + "))", "9",
                    "'1" + "0" * 36 + "...' is outside the float64 range"),
    "term-overflow": ("+(assert (<= (* 1e300 (* 1e300 Y_0)) 1))", "9",
                      "the term overflows the float64 range"),
    "row-overflow": ("+(assert (<= (* 1e308 Y_0) (* -1e308 Y_0)))", "9",
                     "the inequality overflows the float64 range"),
}


@pytest.mark.parametrize(("body", "expected"), GOOD.values(), ids=GOOD.keys())
def test_good_inputs_parse_to_these_constraints(
    body: str, expected: list[tuple[list[list[float]], list[float]]]
) -> None:
    prop = parse_vnnlib(HEAD + body, 2, 2)
    assert prop.lower.tolist() == [0.0, -1.5] or "X_0 0.25" in body
    assert prop.upper.tolist() == [1.0, 2.0]
    want = tuple(OutputPolytope(np.array(A, dtype=float).reshape(-1, 2), b)
                 for A, b in expected)
    assert prop.disjuncts == want


@pytest.mark.parametrize(("text", "line", "fragment"), BAD.values(), ids=BAD.keys())
def test_bad_inputs_are_refused_in_one_line_with_the_line_number(
    text: str, line: str, fragment: str
) -> None:
    full = HEAD + text[1:] if text.startswith("+") else text
    with pytest.raises(VnnlibError) as info:
        parse_vnnlib(full, 2, 2, source="p.vnnlib")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"p.vnnlib:{line}: " if line else "p.vnnlib: ")
    assert fragment in message


def test_nesting_up_to_the_limit_is_read() -> None:
    """``(assert`` is one level and the atom another: MAX_NESTING - 2 ``and`` s fit."""
    depth = MAX_NESTING - 2
    prop = parse_vnnlib(HEAD + "(assert " + "(and " * depth + "(<= Y_0 1)" + ")" * depth + ")",
                        2, 2)
    assert prop.disjuncts[0].b.tolist() == [1.0]


def test_asserts_are_conjoined_in_place() -> None:
    """One row per assert is appended to the conjunct, not copied with it (a file of r
    asserts took O(r^2) time: 1.5 million rows, a 64 MiB file, did not finish in 10 min)."""
    from reluinv.data.vnnlib import _Reader

    reader = _Reader("p.vnnlib", 1, 1)
    conjunct = reader.condition[0]
    for r in range(3):
        reader.conjoin([[(np.ones(1), float(r))]], None)  # type: ignore[arg-type]
    assert reader.condition[0] is conjunct
    assert [c for _, c in conjunct] == [0.0, 1.0, 2.0]


def test_tightest_of_several_bounds_is_kept() -> None:
    prop = parse_vnnlib(HEAD + "(assert (<= X_0 0.5))\n(assert (>= X_1 0))", 2, 2)
    assert (prop.lower.tolist(), prop.upper.tolist()) == ([0.0, 0.0], [0.5, 2.0])


def test_gzip_is_read_on_the_fly(tmp_path: Path) -> None:
    path = tmp_path / "p.vnnlib.gz"
    path.write_bytes(gzip.compress((HEAD + "(assert (<= Y_0 1))").encode()))
    assert ri.read_vnnlib(path, 2, 2) == parse_vnnlib(HEAD + "(assert (<= Y_0 1))", 2, 2)


def test_a_broken_gzip_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.vnnlib.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(VnnlibError, match=r"p\.vnnlib\.gz: not a gzip file"):
        ri.read_vnnlib(path, 2, 2)


@pytest.mark.parametrize(
    ("n_inputs", "error", "match"),
    [(0, ValueError, "n_inputs must be at least 1, got 0"),  # a wrong value
     (2.5, TypeError, "n_inputs must be an int, got float"),  # a wrong kind
     (True, TypeError, "n_inputs must be an int, got bool")],
)
def test_sizes_are_checked(n_inputs: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        parse_vnnlib(HEAD, n_inputs, 2)  # type: ignore[arg-type]


numbers = st.one_of(st.integers(-5, 5).map(float),
                    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@st.composite
def properties(draw: st.DrawFn) -> ri.Property:
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 3))
    lower = np.array(draw(st.lists(numbers, min_size=n, max_size=n)))
    upper = lower + np.array(draw(st.lists(st.floats(0, 10), min_size=n, max_size=n)))
    count = draw(st.integers(1, 3))
    disjuncts = []
    for _ in range(count):
        r = draw(st.integers(0 if count == 1 else 1, 3))
        A = np.array(draw(st.lists(st.lists(st.sampled_from([0.0, 1.0, -1.0, 2.5, -0.125])
                                            | numbers, min_size=m, max_size=m),
                                   min_size=r, max_size=r)), dtype=float).reshape(r, m)
        b = np.array(draw(st.lists(numbers, min_size=r, max_size=r)), dtype=float)
        if r and draw(st.booleans()):  # a comparison of two outputs, y_i <= y_j
            A[0] = 0.0
            A[0, 0] = 1.0
            A[0, m - 1] = -1.0 if m > 1 else 1.0
            b[0] = 0.0
        disjuncts.append(OutputPolytope(A, b))
    return ri.Property(lower, upper, tuple(disjuncts), m)


@given(properties(), st.booleans())
def test_write_then_read_gives_the_same_property(prop: ri.Property, gz: bool) -> None:
    event(f"disjuncts={min(len(prop.disjuncts), 2)}")
    event("two-variable atom" if "(<= Y_0 Y_" in format_vnnlib(prop) else "no two-variable atom")
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("p.vnnlib.gz" if gz else "p.vnnlib")
        ri.write_vnnlib(prop, path)
        back = ri.read_vnnlib(path, prop.n_inputs, prop.n_outputs)
    assert back == prop


def test_written_gzip_is_reproducible(tmp_path: Path) -> None:
    prop = parse_vnnlib(HEAD + "(assert (<= Y_0 1))", 2, 2)
    ri.write_vnnlib(prop, tmp_path / "a.vnnlib.gz")
    ri.write_vnnlib(prop, tmp_path / "b.vnnlib.gz")
    assert (tmp_path / "a.vnnlib.gz").read_bytes() == (tmp_path / "b.vnnlib.gz").read_bytes()


def test_a_byte_order_mark_is_skipped() -> None:
    """Some editors start a UTF-8 file with U+FEFF; it is not part of the text."""
    assert parse_vnnlib("\ufeff" + HEAD, 2, 2) == parse_vnnlib(HEAD, 2, 2)
