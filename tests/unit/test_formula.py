"""Strict DIMACS reading and writing, and clause evaluation."""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
from pathlib import Path

import pytest

from reluinv import DimacsError, Formula, format_dimacs, parse_dimacs, read_dimacs
from reluinv.errors import InvalidArgumentError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_satlib_file_with_percent_and_stray_zero() -> None:
    f = read_dimacs(EXAMPLES / "uf5-satlib.cnf")
    assert f.num_vars == 5
    assert f.clauses == ((1, -2, 3), (-1, 2, -4), (2, 4, 5), (-3, -5, 1), (3, 4, -5), (-2, -3, 4))
    assert f.weights is None
    assert f.comments[0].startswith("A SATLIB-style")


def test_declared_variable_count_is_authoritative() -> None:
    f = parse_dimacs("p cnf 7 1\n1 -2 0\n")
    assert f.num_vars == 7


def test_classic_and_new_wcnf_formats_agree() -> None:
    old = read_dimacs(EXAMPLES / "partial-maxsat.wcnf")
    new = read_dimacs(EXAMPLES / "partial-maxsat-new.wcnf")
    assert old == new
    assert old.hard == (True, True, False, False, False, False)
    assert old.soft_weight == 10
    assert old.weights == (11, 11, 3, 2, 1, 4)


def test_wcnf_without_top_has_only_soft_clauses() -> None:
    f = parse_dimacs("p wcnf 2 2\n5 1 0\n7 -1 2 0\n")
    assert f.weights == (5, 7)
    assert f.hard == ()


def test_new_format_string_needs_h_first_or_explicit_format() -> None:
    with pytest.raises(DimacsError, match="missing 'p cnf'"):
        parse_dimacs("3 1 0\nh -1 0\n")
    f = parse_dimacs("3 1 0\nh -1 0\n", format="wcnf")
    assert f.hard == (False, True)
    assert f.weights == (3, 4)


@pytest.mark.parametrize(("opener", "suffix"), [(gzip.open, ".gz"), (lzma.open, ".xz"),
                                           (bz2.open, ".bz2")])
def test_compressed_files(tmp_path: Path, opener: object, suffix: str) -> None:
    path = tmp_path / f"f.cnf{suffix}"
    with opener(path, "wt") as stream:  # type: ignore[operator]
        stream.write("p cnf 2 1\n1 2 0\n")
    assert read_dimacs(path) == Formula(2, ((1, 2),))


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_dimacs(tmp_path / "absent.cnf")


BAD_INPUTS = [
    ("1 2 0\n", 1, "missing 'p cnf' or 'p wcnf' line"),
    ("p cnf 2 1\np cnf 2 1\n1 0\n", 2, "second 'p' line"),
    ("p cnf 2 1\n1 3 0\n", 2, "literal 3 exceeds the declared number of variables 2"),
    ("p cnf 2 1\n1 -3 0\n", 2, "literal -3 exceeds"),
    ("p cnf 2 2\n1 2 0\n", None, "declares 2 clauses, found 1"),
    ("p cnf 2 1\n1 0\n2 0\n", 3, "more clauses than the 1"),
    ("p cnf 2 1\n1 x 0\n", 2, "invalid literal 'x'"),
    ("p cnf 2 1\n0x1 2 0\n", 2, "invalid literal '0x1'"),
    ("p cnf 2 1\n1.5 0\n", 2, "invalid literal '1.5'"),
    ("p cnf 2 1\n1 2\n", None, "not terminated by 0"),
    ("p cnf two 1\n1 0\n", 1, "header field variables = 'two'"),
    ("p cnf 2\n1 0\n", 1, "malformed header"),
    ("p sat 2 1\n1 0\n", 1, "malformed header"),
    ("p cnf 2 1 9\n1 0\n", 1, "has 5 fields, at most 4"),
    ("p wcnf 2 1\n0 1 0\n", 2, "clause weight '0' must be a positive integer"),
    ("p wcnf 2 1\n-3 1 0\n", 2, "clause weight '-3' must be a positive integer"),
    ("p wcnf 2 1\n2.5 1 0\n", 2, "clause weight '2.5' must be a positive integer"),
    ("p wcnf 2 1 0\n1 1 0\n", 1, "top = 0 must be positive"),
    ("p wcnf 2 1\n3 1\n", None, "not terminated by 0"),
    ("h 1 0\np cnf 1 1\n", 2, "a 'p' line after clauses"),
    ("p cnf 1 1\n1 0\n%\n1 0\n", 4, "only a stray '0' may follow"),
    ("c nothing but comments\n", None, "no 'p cnf' or 'p wcnf' header"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_INPUTS)
def test_bad_input_gets_one_line_error(text: str, line: int | None, message: str) -> None:
    with pytest.raises(DimacsError, match=message) as info:
        parse_dimacs(text, source="bad.cnf")
    assert info.value.line == line
    assert info.value.source == "bad.cnf"
    assert "\n" not in str(info.value)
    prefix = f"bad.cnf:{line}: " if line is not None else "bad.cnf: "
    assert str(info.value).startswith(prefix)


def test_dimacs_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="second 'p' line"):
        parse_dimacs("p cnf 1 0\np cnf 1 0\n")


def test_empty_clause_and_empty_formula() -> None:
    f = parse_dimacs("p cnf 2 2\n0\n1 0\n")
    assert f.clauses == ((), (1,))
    assert f.falsified([1, 1]) == 1
    empty = parse_dimacs("p cnf 3 0\n")
    assert empty.num_clauses == 0
    assert empty.falsified([0, 1, 0]) == 0


def test_falsified_counts_hard_clauses_with_hard_weight() -> None:
    f = read_dimacs(EXAMPLES / "partial-maxsat.wcnf")
    # x1 = x2 = 1 breaks the hard clause (-1 -2); clause (3) and (-3 4) hold one way.
    assert f.falsified([1, 1, 1, 1]) == 11
    assert f.falsified([1, 0, 1, 1]) == 2
    assert f.falsified([0, 1, 0, 0]) == 3 + 4


@pytest.mark.parametrize("assignment", [[0, 1], [0, 1, 2], [0.5, 1, 0]])
def test_falsified_rejects_bad_assignments(assignment: list[float]) -> None:
    f = parse_dimacs("p cnf 3 1\n1 2 3 0\n")
    with pytest.raises(InvalidArgumentError, match="assignment"):
        f.falsified(assignment)  # type: ignore[arg-type]


def test_writer_puts_provenance_first_and_round_trips() -> None:
    f = read_dimacs(EXAMPLES / "partial-maxsat-new.wcnf")
    text = format_dimacs(f, provenance={"seed": 7, "family": "example"})
    lines = text.splitlines()
    assert lines[0].startswith("c generator: reluinv")
    assert lines[1:3] == ["c seed: 7", "c family: example"]
    assert lines[3] == "p wcnf 4 6 11"
    again = parse_dimacs(text)
    assert again == f
    assert format_dimacs(again, provenance={"seed": 7, "family": "example"}) == text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_vars": 2, "clauses": ((3,),)}, r"clauses\[0\] holds literal 3"),
        ({"num_vars": 2, "clauses": ((1,),), "weights": (0,)}, "must be positive"),
        ({"num_vars": 2, "clauses": ((1,),), "weights": (1, 2)}, "2 entries for 1 clauses"),
        ({"num_vars": 2, "clauses": ((1,), (2,)), "weights": (5, 3), "hard": (True, False)},
         "a hard clause weighs 1 \\+ total soft weight = 4"),
        ({"num_vars": -1, "clauses": ()}, "num_vars must be >= 0"),
    ],
)
def test_formula_constructor_validates(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        Formula(**kwargs)  # type: ignore[arg-type]


def test_only_the_first_comments_are_kept() -> None:
    """A file of millions of comment lines costs no memory: the first MAX_COMMENTS are kept
    for provenance, the rest are read and dropped."""
    from reluinv.data.formula import MAX_COMMENTS

    text = "".join(f"c line {i}\n" for i in range(MAX_COMMENTS + 50)) + "p cnf 0 0\n"
    comments = parse_dimacs(text).comments
    assert len(comments) == MAX_COMMENTS
    assert comments[-1] == f"line {MAX_COMMENTS - 1}"


@pytest.mark.parametrize(("text", "character"), [
    ("p cnf 3 2\n1\x1c-2 0\n2 3 0\n", "'\\x1c'"),          # ASCII file separator
    ("p cnf 3 2\n1 -2 0\n2\u20033 0\n", "'\\u2003'"),       # em space
    ("p cnf 3 1\n1 -2 0\u00a0\n", "'\\xa0'"),               # trailing no-break space
    ("p cnf 2 1\n\u0661 2 0\n", "'١'"),                     # an Arabic-Indic digit
    ("p\u00a0cnf 2 1\n1 2 0\n", "'\\xa0'"),                 # in the header
])
def test_non_ascii_separators_and_digits_are_refused(text: str, character: str) -> None:
    with pytest.raises(DimacsError, match=re.escape(f"character {character} at column")):
        parse_dimacs(text)


def test_non_ascii_text_in_comments_is_kept() -> None:
    f = parse_dimacs("c caf\u00e9 \u2003 note\np cnf 2 1\n1 2 0\n")
    assert f.clauses == ((1, 2),)
    assert f.comments == ("caf\u00e9 \u2003 note",)


@pytest.mark.parametrize(("opener", "suffix"), [(gzip.open, "gz"), (lzma.open, "xz"),
                                                (bz2.open, "bz2")])
def test_a_compressed_file_without_its_suffix_is_named_so(tmp_path: Path, opener: object,
                                                           suffix: str) -> None:
    path = tmp_path / "f.cnf"
    with opener(path, "wt") as out:  # type: ignore[operator]
        out.write("p cnf 2 1\n1 2 0\n")
    with pytest.raises(DimacsError, match=re.escape(f"starts like a {suffix} stream")):
        read_dimacs(path)


def test_plain_binary_garbage_gets_no_compression_hint(tmp_path: Path) -> None:
    path = tmp_path / "f.cnf"
    path.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(DimacsError, match="not a UTF-8 text file") as info:
        read_dimacs(path)
    assert "stream" not in str(info.value)


@pytest.mark.parametrize("text", ["", "c a comment only\n", "\n\n"])
def test_header_less_maxsat_text_without_clauses_is_the_empty_formula(text: str) -> None:
    f = parse_dimacs(text, format="wcnf")
    assert (f.num_vars, f.clauses, f.weights) == (0, (), ())


def test_header_less_text_without_format_names_the_ways_out() -> None:
    with pytest.raises(DimacsError, match="format='wcnf'"):
        parse_dimacs("3 1 0\nh -1 0\n")
    with pytest.raises(DimacsError, match="no 'p cnf' or 'p wcnf' header"):
        parse_dimacs("")
