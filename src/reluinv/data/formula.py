"""CNF and weighted CNF formulas, and strict DIMACS input and output.

A formula has variables ``1..num_vars`` and clauses ``C_1..C_m``; a clause is a tuple of
non-zero integer literals (``v`` for the variable, ``-v`` for its negation). On a 0/1
assignment ``z`` (variable ``v`` at index ``v - 1``) a literal has the value
``val(v) = z_v`` and ``val(-v) = 1 - z_v``; a clause is satisfied when one of its literals
has the value 1. The empty clause is never satisfied.

Weights
-------
Every clause ``C_j`` has a positive integer weight ``w_j``: 1 in an unweighted formula,
the written weight of a soft clause in a weighted one. A *hard* clause gets
``w_j = 1 + (total weight of the soft clauses)``, so violating it costs more than violating
every soft clause together. This is the weight the reduction of
:mod:`reluinv.reduction.construction`
puts on the clause unit, and :meth:`Formula.falsified` counts the same way: the minimum of
``falsified`` is the MaxSAT cost when the hard clauses can be satisfied, and exceeds the
total soft weight exactly when they cannot.

Formats read
------------
* ``p cnf n m``: plain CNF. The declared ``n`` is authoritative: variables that occur in no
  clause still exist (python-sat's ``CNF.nv`` is the largest variable that *occurs*).
* ``p wcnf n m [top]``: every clause starts with its weight; clauses of weight ``>= top`` are
  hard. Without ``top`` every clause is soft.
* The newer MaxSAT format with no ``p`` line: a hard clause starts with ``h``, a soft clause
  with its weight; ``n`` is the largest variable that occurs.

From and to python-sat
----------------------
:meth:`Formula.from_pysat` takes a python-sat ``CNF`` (an unweighted formula) or ``WCNF``
(a weighted one: its hard clauses stay hard and weigh ``1 + total soft weight``, its soft
clauses keep their weights); :meth:`Formula.to_pysat` goes back. :func:`as_formula` is the
entry check of every function that accepts either kind. python-sat's ``nv`` is the largest
variable that occurs, not a declared count, so ``from_pysat`` takes ``num_vars`` to say
how many variables the formula really has.

Clauses may span lines or share one; ``c`` comment lines may stand anywhere; a SATLIB file
may end with a ``%`` line followed by a stray ``0``. Everything else that breaks a rule
raises :class:`~reluinv.errors.DimacsError` naming the line and the rule. Parsing streams
line by line, so a large file is never held as a list of lines.

Strictness: a literal is ``v`` or ``-v`` in plain decimal (``+1``, ``-0``, ``0x12`` and
``1.5`` are refused: ``-0`` would otherwise end a clause unseen); a UTF-8 byte order mark
at the start of the text is skipped.

Size limits
-----------
A hostile file can be small on disk and huge once read (a 1 MB ``.gz`` of one long comment
line decompresses to gigabytes; a header may declare 10^21 variables). :class:`DimacsLimits`
bounds what matters, and the reader refuses, before anything large is allocated:

* ``max_bytes``: the *decompressed* bytes read (counted below the text decoder, so a
  compressed file is measured by what it expands to);
* ``max_line_length``: the characters of one line (a line is never read whole first);
* ``max_vars`` and ``max_clauses``: the header's declared counts (and, in the header-less
  format, the counts as they are read).

The defaults (:data:`DEFAULT_LIMITS`) admit SAT-competition-sized formulas (10^6 variables,
4 x 10^6 clauses, 64 MiB of text, 1 MiB lines); the command line raises them with
``--max-bytes``, ``--max-line-length``, ``--max-vars`` and ``--max-clauses``.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import IO, Any, Literal, TypeAlias

import numpy as np
from pysat.formula import CNF, WCNF

from reluinv._version import __version__
from reluinv.arguments import check_choice, check_count, check_sequence, check_zero_one
from reluinv.errors import DimacsError, InvalidArgumentError, InvalidTypeError

__all__ = [
    "DEFAULT_LIMITS",
    "DimacsLimits",
    "Formula",
    "FormulaLike",
    "TextLimits",
    "TextTooLargeError",
    "as_formula",
    "as_limits",
    "format_dimacs",
    "open_text",
    "parse_dimacs",
    "read_dimacs",
    "write_dimacs",
]

Clause = tuple[int, ...]
DimacsFormat = Literal["auto", "cnf", "wcnf"]

_PLAIN_CLAUSE = re.compile(r"-?[0-9]+(?:[ \t]+-?[0-9]+)*")
#: A character no DIMACS line outside a comment may hold: anything but printable ASCII and
#: ASCII white space. ``str.split`` would take NBSP, an em space or ``\x1c`` for a
#: separator and ``int`` would read other scripts' digits; pysat's reader refuses them.
_FOREIGN_CHARACTER = re.compile(r"[^\x20-\x7e\t\n\r\v\f]")
_COMPRESSED_OPENERS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}

#: The formats ``format=`` accepts.
DIMACS_FORMATS = ("auto", "cnf", "wcnf")

#: Digits an integer token may have (a weight of 10^100 is already absurd); longer tokens
#: are refused before ``int`` is asked to convert them.
MAX_DIGITS = 100

#: Comment lines kept for provenance (the first ones; the rest are read and dropped, so a
#: file of millions of comment lines costs no memory).
MAX_COMMENTS = 1000

#: The byte order mark some editors put before UTF-8 text.
_BOM = "\ufeff"


@dataclass(frozen=True)
class TextLimits:
    """Size limits of any text file the package reads (DIMACS here, VNN-LIB in
    :mod:`reluinv.data.vnnlib`): what a hostile file can make the reader hold.

    Parameters
    ----------
    max_bytes:
        Decompressed bytes of the file (a ``str`` given to a ``parse_*`` function is not
        measured: it is already in memory).
    max_line_length:
        Characters of one line.

    >>> TextLimits(max_bytes=10).max_line_length
    1048576
    """

    max_bytes: int = 64 * 2**20
    max_line_length: int = 2**20

    def __post_init__(self) -> None:
        for item in fields(self):
            check_count(getattr(self, item.name), item.name)


@dataclass(frozen=True)
class DimacsLimits(TextLimits):
    """Size limits of a DIMACS text (see "Size limits" in the module docstring): the text
    limits of :class:`TextLimits` and the declared counts.

    Parameters
    ----------
    max_bytes:
        Decompressed bytes of the file (a ``str`` given to :func:`parse_dimacs` is not
        measured: it is already in memory).
    max_line_length:
        Characters of one line.
    max_vars:
        Variables (the header's ``n``; in the header-less format, the largest variable).
    max_clauses:
        Clauses (the header's ``m``; in the header-less format, the clauses read).

    Examples
    --------
    >>> DimacsLimits(max_vars=10).max_vars
    10
    >>> DimacsLimits(max_vars=0)
    Traceback (most recent call last):
    ...
    reluinv.errors.InvalidArgumentError: max_vars must be at least 1, got 0
    """

    max_vars: int = 10**6
    max_clauses: int = 4 * 10**6


#: The limits :func:`read_dimacs` and :func:`parse_dimacs` apply when given none.
DEFAULT_LIMITS = DimacsLimits()


def as_limits(limits: object, name: str = "limits") -> DimacsLimits:
    """``limits`` as :class:`DimacsLimits`: ``None`` gives :data:`DEFAULT_LIMITS`, a
    mapping of field names (for example from JSON options) overrides the defaults.

    >>> as_limits({"max_vars": 5}).max_vars
    5
    """
    if limits is None:
        return DEFAULT_LIMITS
    if isinstance(limits, DimacsLimits):
        return limits
    if isinstance(limits, Mapping):
        known = {item.name for item in fields(DimacsLimits)}
        unknown = sorted(str(key) for key in limits if key not in known)
        if unknown:
            raise InvalidArgumentError(
                f"{name} has unknown field(s) {unknown}; known: {sorted(known)}")
        return DimacsLimits(**{str(key): value for key, value in limits.items()})
    raise InvalidTypeError(f"{name} must be a DimacsLimits, a mapping of its fields or None, "
                           f"got {type(limits).__name__}")


@dataclass(frozen=True)
class Formula:
    """A CNF formula, optionally weighted and partial (hard + soft clauses).

    Parameters
    ----------
    num_vars:
        The number ``n`` of variables, ``1..n``; it sizes the latent code of the reduction.
    clauses:
        The clauses, each a tuple of non-zero literals with ``|literal| <= num_vars``.
    weights:
        ``None`` for an unweighted formula (every weight is 1); otherwise one positive
        integer per clause. For a hard clause the entry is the hard weight
        ``1 + total soft weight`` (see the module docstring).
    hard:
        One flag per clause (empty tuple: no hard clauses).
    comments:
        Comment lines (without the leading ``c``) kept for provenance; not part of equality.
        The readers keep the first :data:`MAX_COMMENTS`.
    """

    num_vars: int
    clauses: tuple[Clause, ...]
    weights: tuple[int, ...] | None = None
    hard: tuple[bool, ...] = ()
    comments: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.num_vars, bool) or not isinstance(self.num_vars, int):
            raise InvalidArgumentError(
                f"num_vars must be an int, got {type(self.num_vars).__name__}"
            )
        if self.num_vars < 0:
            raise InvalidArgumentError(f"num_vars must be >= 0, got {self.num_vars}")
        clauses = _literal_tuples(self.clauses)
        n = self.num_vars
        for j, clause in enumerate(clauses):
            if clause and (0 in clause or max(clause) > n or min(clause) < -n):
                bad = next(lit for lit in clause if lit == 0 or abs(lit) > n)
                raise InvalidArgumentError(
                    f"clauses[{j}] holds literal {bad}; literals must be non-zero with "
                    f"|literal| <= num_vars = {n}"
                )
        object.__setattr__(self, "clauses", clauses)
        m = len(clauses)
        hard = tuple(bool(h) for h in self.hard)
        if hard and len(hard) != m:
            raise InvalidArgumentError(f"hard has {len(hard)} flags for {m} clauses")
        if not any(hard):
            hard = ()
        object.__setattr__(self, "hard", hard)
        if self.weights is not None:
            weights = _integer_tuple(self.weights, "weights")
            if len(weights) != m:
                raise InvalidArgumentError(f"weights has {len(weights)} entries for {m} clauses")
            for j, w in enumerate(weights):
                if w <= 0:
                    raise InvalidArgumentError(f"weights[{j}] = {w}; weights must be positive")
            if hard:
                expected = 1 + sum(w for w, h in zip(weights, hard, strict=True) if not h)
                for j, (w, h) in enumerate(zip(weights, hard, strict=True)):
                    if h and w != expected:
                        raise InvalidArgumentError(
                            f"weights[{j}] = {w} on a hard clause; a hard clause weighs "
                            f"1 + total soft weight = {expected}"
                        )
            object.__setattr__(self, "weights", weights)
        elif hard:
            raise InvalidArgumentError("a formula with hard clauses needs weights")

    # -- python-sat ----------------------------------------------------------------------

    @classmethod
    def from_pysat(cls, obj: CNF | WCNF, num_vars: int | None = None) -> Formula:
        """The formula of a python-sat ``CNF`` or ``WCNF``.

        * A ``CNF`` gives an unweighted formula with the same clauses in the same order.
        * A ``WCNF`` gives a weighted formula: its hard clauses first (python-sat keeps hard
          and soft clauses in two lists, so their interleaving is not known), each hard and
          weighing ``1 + total soft weight`` (the convention of the module docstring, so
          that ``falsified`` counts a violated hard clause above all soft ones), then its
          soft clauses in order, each with its weight (a positive integer; fractional
          weights are refused). WCNF's ``topw`` is not used.

        Parameters
        ----------
        obj:
            The python-sat formula. Cardinality constraints (``CNFPlus`` / ``WCNFPlus``
            ``atmosts``) have no place in a Formula and are refused.
        num_vars:
            The number of variables. python-sat's ``obj.nv`` is the largest variable that
            occurs (its readers and ``append`` set it so), not a declared count: variables
            that occur in no clause would be lost. ``num_vars`` overrides it and must be at
            least ``obj.nv``; ``None`` takes ``obj.nv``.

        Examples
        --------
        >>> from pysat.formula import CNF
        >>> Formula.from_pysat(CNF(from_clauses=[[1, -2], [2]]), num_vars=3).num_vars
        3
        """
        if not isinstance(obj, CNF | WCNF):
            raise InvalidTypeError(
                f"obj must be a python-sat CNF or WCNF, got {type(obj).__name__}"
            )
        if getattr(obj, "atmosts", None):
            raise InvalidArgumentError(
                f"obj is a {type(obj).__name__} with {len(obj.atmosts)} cardinality "
                "constraints; a Formula holds clauses only"
            )
        largest = int(obj.nv)
        if num_vars is None:
            n = largest
        elif isinstance(num_vars, bool) or not isinstance(num_vars, int):
            raise InvalidTypeError(f"num_vars must be an int or None, got "
                                   f"{type(num_vars).__name__}")
        elif num_vars < largest:
            raise InvalidArgumentError(
                f"num_vars = {num_vars} is below obj.nv = {largest}, the largest variable "
                "of the python-sat formula"
            )
        else:
            n = num_vars
        comments = tuple(_pysat_comment(line) for line in obj.comments)
        if isinstance(obj, CNF):
            return cls(n, tuple(tuple(c) for c in obj.clauses), comments=comments)
        soft_weights = []
        for j, weight in enumerate(obj.wght):
            if isinstance(weight, bool) or int(weight) != weight or weight <= 0:
                raise InvalidArgumentError(
                    f"obj.wght[{j}] = {weight!r}; soft weights must be positive integers"
                )
            soft_weights.append(int(weight))
        hard_weight = 1 + sum(soft_weights)
        clauses = tuple(tuple(c) for c in [*obj.hard, *obj.soft])
        weights = (hard_weight,) * len(obj.hard) + tuple(soft_weights)
        hard = (True,) * len(obj.hard) + (False,) * len(obj.soft)
        return cls(n, clauses, weights, hard, comments=comments)

    def to_pysat(self) -> CNF | WCNF:
        """This formula as a python-sat ``CNF`` (unweighted) or ``WCNF`` (weighted).

        A hard clause becomes a WCNF hard clause, a soft one keeps its weight. ``nv`` is set
        to ``num_vars`` (python-sat's own readers would set the largest variable that
        occurs; a larger ``nv`` only moves fresh variables of an encoding further up), so
        ``Formula.from_pysat(f.to_pysat()) == f`` keeps the declared ``n`` even when some
        variables occur in no clause. Comments travel as ``c`` lines. What is lost: the
        order of hard clauses among soft ones (WCNF keeps two lists; ``from_pysat`` puts
        the hard clauses first), and the hard weight itself, which ``from_pysat`` recomputes
        as ``1 + soft weight`` (the same number).
        """
        comments = [f"c {text}" if text else "c" for text in self.comments]
        if self.weights is None:
            cnf = CNF(from_clauses=[list(c) for c in self.clauses])
            cnf.nv = self.num_vars
            cnf.comments = comments
            return cnf
        wcnf = WCNF()
        for j, (clause, weight) in enumerate(zip(self.clauses, self.weights, strict=True)):
            if self.is_hard(j):
                wcnf.append(list(clause))
            else:
                wcnf.append(list(clause), weight=weight)
        wcnf.nv = self.num_vars
        wcnf.comments = comments
        return wcnf

    # -- sizes -------------------------------------------------------------------------

    @property
    def num_clauses(self) -> int:
        """The number ``m`` of clauses."""
        return len(self.clauses)

    @property
    def is_weighted(self) -> bool:
        """True for a formula read from (or meant for) the weighted format."""
        return self.weights is not None

    @property
    def num_hard(self) -> int:
        """The number of hard clauses."""
        return sum(self.hard)

    def clause_weights(self) -> tuple[int, ...]:
        """The weight ``w_j`` of every clause (1 for each clause of an unweighted formula)."""
        return self.weights if self.weights is not None else (1,) * len(self.clauses)

    @property
    def soft_weight(self) -> int:
        """Total weight of the soft clauses (of all clauses when there are no hard ones)."""
        weights = self.clause_weights()
        if not self.hard:
            return sum(weights)
        return sum(w for w, h in zip(weights, self.hard, strict=True) if not h)

    @property
    def hard_weight(self) -> int:
        """The weight a hard clause carries: ``1 + soft_weight``."""
        return 1 + self.soft_weight

    def is_hard(self, j: int) -> bool:
        """Whether clause ``j`` (0-based) is hard."""
        return bool(self.hard) and self.hard[j]

    def clause_length_histogram(self) -> dict[int, int]:
        """Map clause length -> number of clauses of that length, sorted by length."""
        counts = Counter(len(c) for c in self.clauses)
        return dict(sorted(counts.items()))

    def sha256(self) -> str:
        """A content hash of the formula (its canonical DIMACS text without comments)."""
        digest = hashlib.sha256()
        for chunk in _dimacs_lines(self, provenance=None):
            digest.update(chunk.encode())
        return digest.hexdigest()

    # -- evaluation --------------------------------------------------------------------

    def _check_assignment(self, assignment: Sequence[int]) -> tuple[int, ...]:
        values = check_zero_one(assignment, "assignment")
        if len(values) != self.num_vars:
            raise InvalidArgumentError(
                f"assignment has length {len(values)}; it needs one 0/1 value per variable, "
                f"num_vars = {self.num_vars}"
            )
        return values

    def falsified_clauses(self, assignment: Sequence[int]) -> list[int]:
        """Indices (0-based) of the clauses that the 0/1 ``assignment`` falsifies."""
        values = self._check_assignment(assignment)
        falsified = []
        for j, clause in enumerate(self.clauses):
            if not any((values[lit - 1] == 1) if lit > 0 else (values[-lit - 1] == 0)
                       for lit in clause):
                falsified.append(j)
        return falsified

    def falsified(self, assignment: Sequence[int]) -> int:
        """Total weight of the clauses that the 0/1 ``assignment`` falsifies.

        ``assignment[v - 1]`` is the value of variable ``v``. A falsified hard clause
        counts ``hard_weight = 1 + soft_weight``, exactly as the reduction weighs it.

        >>> f = parse_dimacs("p cnf 2 2\\n1 2 0\\n-1 0\\n")
        >>> f.falsified([1, 0]), f.falsified([0, 1])
        (1, 0)
        """
        weights = self.clause_weights()
        return sum(weights[j] for j in self.falsified_clauses(assignment))

    def satisfies(self, assignment: Sequence[int]) -> bool:
        """Whether the 0/1 ``assignment`` satisfies every clause."""
        return not self.falsified_clauses(assignment)


def _is_integer(value: object) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)


def _integer_tuple(values: object, name: str) -> tuple[int, ...]:
    """``values`` as a tuple of Python ints; a float (even ``2.0``), a bool, a string or a
    non-sequence raises :class:`InvalidTypeError` naming ``name[i]`` (a float would be
    truncated silently: ``int(2.5) == 2``)."""
    out: list[int] = []
    for i, value in enumerate(check_sequence(values, name, of="ints")):
        if not _is_integer(value):
            raise InvalidTypeError(f"{name}[{i}] = {value!r} must be an int, got "
                                   f"{type(value).__name__}")
        out.append(int(value))  # type: ignore[call-overload]
    return tuple(out)


def _literal_tuples(clauses: object) -> tuple[Clause, ...]:
    """The clauses as tuples of ints (fast when they already are)."""
    out: list[Clause] = []
    items: Iterable[Any] = check_sequence(clauses, "clauses", of="clauses")
    for j, clause in enumerate(items):
        if type(clause) is tuple and all(type(lit) is int for lit in clause):
            out.append(clause)
        else:
            out.append(_integer_tuple(clause, f"clauses[{j}]"))
    return tuple(out)


FormulaLike: TypeAlias = Formula | CNF | WCNF
"""What a function that takes a formula accepts (see :func:`as_formula`)."""


def _pysat_comment(line: str) -> str:
    """A python-sat comment line (``"c text"``) as a Formula comment (``"text"``)."""
    return line[1:].strip() if line[:1] == "c" else line.strip()


def as_formula(obj: object, name: str = "formula") -> Formula:
    """``obj`` as a :class:`Formula`: a Formula as it is, a python-sat ``CNF`` or ``WCNF``
    through :meth:`Formula.from_pysat` (its ``nv`` as the number of variables).

    The entry check of every function that takes a formula; anything else raises
    :class:`~reluinv.errors.InvalidTypeError` naming ``name``.

    >>> from pysat.formula import CNF
    >>> as_formula(CNF(from_clauses=[[1, 2]])).clauses
    ((1, 2),)
    """
    if isinstance(obj, Formula):
        return obj
    if isinstance(obj, CNF | WCNF):
        return Formula.from_pysat(obj)
    raise InvalidTypeError(
        f"{name} must be a reluinv.Formula, got {type(obj).__name__}; a python-sat CNF or "
        "WCNF is also accepted"
    )


# -- reading -----------------------------------------------------------------------------


class _ByteBudget(io.RawIOBase):
    """A raw reader over a (decompressed) binary stream that refuses to deliver more than
    ``limit`` bytes: the text decoder above it can never see more than the limit, so a
    decompression bomb stops after ``limit`` bytes, not after it filled the memory."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__()
        self.stream = stream
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self.stream.read(min(len(view), self.limit + 1 - self.count))
        self.count += len(chunk)
        if self.count > self.limit:
            raise TextTooLargeError(self.limit)
        view[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self.stream.close()
        super().close()


class TextTooLargeError(Exception):
    """Raised by a stream of :func:`open_text` when its byte limit is passed (each reader
    turns it into its own error naming the file and the limit)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def open_text(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> IO[str]:
    """Open a text file (UTF-8) for reading, decompressing ``.gz``, ``.xz`` and ``.bz2``.

    With ``max_bytes``, reading past that many decompressed bytes raises an exception of
    this module's own; :func:`read_dimacs` turns it into a
    :class:`~reluinv.errors.DimacsError` naming the limit.
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    opener = _COMPRESSED_OPENERS.get(suffix)
    binary: IO[bytes] = (opener(path, "rb") if opener is not None  # type: ignore[operator]
                         else open(path, "rb"))  # noqa: SIM115 (the caller closes it)
    if max_bytes is None:
        return io.TextIOWrapper(binary, encoding="utf-8")
    raw = _ByteBudget(binary, max_bytes)
    return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8")


def _format_from_path(path: str | os.PathLike[str]) -> DimacsFormat:
    name = os.fspath(path).lower()
    for suffix in _COMPRESSED_OPENERS:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return "wcnf" if name.endswith(".wcnf") else "auto"


#: The first bytes of each compressed format :func:`read_dimacs` reads, by suffix.
_COMPRESSED_MAGIC = {".gz": b"\x1f\x8b", ".xz": b"\xfd7zXZ\x00", ".bz2": b"BZh"}


def _compression_hint(path: str | os.PathLike[str]) -> str:
    """``"; it looks gzip-compressed: ..."`` when a file that failed to decode as text
    starts like a compressed stream (the suffix decides how a file is opened), else ``""``."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(6)
    except OSError:
        return ""
    for suffix, magic in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return (f"; it starts like a {suffix[1:]} stream: files are decompressed by "
                    f"their suffix, so name it *{suffix}")
    return ""


def read_dimacs(
    path: str | os.PathLike[str],
    *,
    format: DimacsFormat | None = None,
    limits: DimacsLimits | Mapping[str, int] | None = None,
) -> Formula:
    """Read a DIMACS CNF or WCNF file (optionally ``.gz``, ``.xz`` or ``.bz2`` compressed).

    Parameters
    ----------
    path:
        The file. A missing or unreadable file raises the usual ``OSError``.
    format:
        ``"auto"`` recognises the ``p`` line; ``"wcnf"`` also accepts the header-less MaxSAT
        format whose first clause is soft. ``None`` picks ``"wcnf"`` for ``*.wcnf`` files
        and ``"auto"`` otherwise.
    limits:
        Size limits (:class:`DimacsLimits` or a mapping of its fields; ``None``:
        :data:`DEFAULT_LIMITS`). The byte limit counts decompressed bytes.

    Raises
    ------
    DimacsError
        The text breaks a rule of the format or a limit, or is not UTF-8, or cannot be
        decompressed; the message names the file, the line and the rule.
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if format is not None:
        check_choice(format, "format", DIMACS_FORMATS)
    bounds = as_limits(limits)
    fmt = format if format is not None else _format_from_path(path)
    source = os.fspath(path)
    parser = _Parser(source, fmt, bounds)
    try:
        with open_text(path, max_bytes=bounds.max_bytes) as stream:
            _feed_stream(parser, stream)
            return parser.finish()
    except TextTooLargeError as exc:
        raise DimacsError(
            source, parser.line + 1,
            f"the text is larger than {exc.limit} bytes (decompressed; limit max_bytes, "
            "--max-bytes)") from None
    except UnicodeDecodeError as exc:
        raise DimacsError(source, None, f"not a UTF-8 text file ({exc.reason})"
                          f"{_compression_hint(path)}") from None
    except (EOFError, gzip.BadGzipFile, lzma.LZMAError, OSError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise
        raise DimacsError(source, None, f"cannot be decompressed: {exc}") from None


def parse_dimacs(
    text: str,
    *,
    source: str = "<string>",
    format: DimacsFormat = "auto",
    limits: DimacsLimits | Mapping[str, int] | None = None,
) -> Formula:
    """Parse DIMACS CNF or WCNF ``text``; see the module docstring for the formats.

    ``limits`` as for :func:`read_dimacs` (its byte limit does not apply to a string).

    >>> f = parse_dimacs("p wcnf 3 2 10\\n10 1 -2 0\\n3 3 0\\n")
    >>> f.num_vars, f.clauses, f.weights, f.hard
    (3, ((1, -2), (3,)), (4, 3), (True, False))
    """
    if not isinstance(text, str):
        raise InvalidTypeError(f"text must be a str, got {type(text).__name__}"
                               + ("; decode bytes first" if isinstance(text, bytes) else ""))
    check_choice(format, "format", DIMACS_FORMATS)
    parser = _Parser(source, format, as_limits(limits))
    _feed_stream(parser, io.StringIO(text))
    return parser.finish()


def _feed_stream(parser: _Parser, stream: IO[str]) -> None:
    """Feed ``stream`` to ``parser`` line by line, reading it in chunks of
    :data:`_CHUNK` characters, so that no more than ``max_line_length`` + one chunk is ever
    held for a line that turns out too long."""
    limit = parser.limits.max_line_length
    number = 0
    rest = ""

    def too_long(line_number: int) -> DimacsError:
        return DimacsError(parser.source, line_number,
                           f"line longer than {limit} characters (limit max_line_length, "
                           "--max-line-length)")

    while chunk := stream.read(_CHUNK):
        lines = (rest + chunk).split("\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            if len(line) > limit:
                raise too_long(number)
            parser.feed(number, line)
        if len(rest) > limit:
            raise too_long(number + 1)
    if rest:
        parser.feed(number + 1, rest)


#: Characters read at a time by the DIMACS reader.
_CHUNK = 1 << 20


class _Parser:
    """A streaming DIMACS parser: one line at a time, state kept between lines."""

    def __init__(self, source: str, fmt: DimacsFormat, limits: DimacsLimits) -> None:
        self.source = source
        self.fmt = fmt
        self.limits = limits
        self.kind: Literal["cnf", "wcnf", "new"] | None = None
        self.declared_vars = 0
        self.declared_clauses = 0
        self.top: int | None = None
        self.clauses: list[Clause] = []
        self.raw_weights: list[int] = []
        self.hard: list[bool] = []
        self.comments: list[str] = []
        self.current: list[int] = []
        self.current_weight: int | None = None  # weighted formats: None = expecting a weight
        self.current_hard = False
        self.clause_start_line = 0
        self.max_var = 0
        self.after_percent = False
        self.line = 0

    def error(self, rule: str, line: int | None = -1) -> DimacsError:
        return DimacsError(self.source, self.line if line == -1 else line, rule)

    def feed(self, number: int, line: str) -> None:
        self.line = number
        if number == 1 and line.startswith(_BOM):
            line = line[1:]
        stripped = line.strip()
        if not stripped:
            return
        head = stripped[0]
        if head == "c":
            if not self.after_percent and len(self.comments) < MAX_COMMENTS:
                self.comments.append(stripped[1:].strip())
            return
        foreign = _FOREIGN_CHARACTER.search(line)
        if foreign is not None:
            raise self.error(f"character {foreign.group()!r} at column {foreign.start() + 1} "
                             "outside a comment (DIMACS lines are ASCII digits, signs, "
                             "letters and spaces)")
        if self.after_percent:
            if stripped == "0":
                return
            raise self.error("only a stray '0' may follow the SATLIB end marker '%'")
        if self.kind == "cnf" and not self.current and self.read_plain_clause(stripped):
            return
        if head == "%":
            self.after_percent = True
            return
        if head == "p":
            self.read_header(stripped)
            return
        if self.kind is None:
            if head == "h" or self.fmt == "wcnf":
                self.kind = "new"
            else:
                raise self.error(
                    "missing 'p cnf' or 'p wcnf' line before the first clause (a header-less "
                    "MaxSAT file needs an 'h' clause first, the .wcnf suffix or "
                    "format='wcnf')"
                )
        self.read_tokens(stripped.split())

    def read_header(self, stripped: str) -> None:
        if self.kind is not None:
            if self.kind == "new":
                raise self.error("a 'p' line after clauses (the header must come first)")
            raise self.error("second 'p' line (only one header is allowed)")
        tokens = stripped.split()
        if len(tokens) < 4 or tokens[0] != "p" or tokens[1] not in ("cnf", "wcnf"):
            raise self.error(
                f"malformed header {stripped!r}; expected 'p cnf N M' or 'p wcnf N M [TOP]'"
            )
        kind = tokens[1]
        allowed = 4 if kind == "cnf" else 5
        if len(tokens) > allowed:
            raise self.error(f"header {stripped!r} has {len(tokens)} fields, at most {allowed}")
        numbers = []
        for name, token in zip(("variables", "clauses", "top"), tokens[2:], strict=False):
            value = self.integer(token, f"header field {name}")
            if value is None or value < 0:
                raise self.error(
                    f"header field {name} = {token!r} must be a non-negative integer"
                )
            numbers.append(value)
        self.kind = "cnf" if kind == "cnf" else "wcnf"
        self.declared_vars, self.declared_clauses = numbers[0], numbers[1]
        self.check_count_limit(self.declared_vars, "max_vars",
                               f"the header declares {self.declared_vars} variables")
        self.check_count_limit(self.declared_clauses, "max_clauses",
                               f"the header declares {self.declared_clauses} clauses")
        if len(numbers) == 3:
            if numbers[2] <= 0:
                raise self.error(f"header field top = {numbers[2]} must be positive")
            self.top = numbers[2]

    def integer(self, token: str, what: str) -> int | None:
        """:func:`_to_int` of ``token``, refusing tokens of more than :data:`MAX_DIGITS`
        digits before converting them."""
        if len(token) > MAX_DIGITS + 1:
            raise self.error(f"{what} has {len(token)} characters; integers have at most "
                             f"{MAX_DIGITS} digits")
        return _to_int(token)

    def check_count_limit(self, count: int, limit: Literal["max_vars", "max_clauses"],
                          what: str) -> None:
        """Refuse ``count`` (``what`` says whose it is) when it exceeds the ``limit``
        field of :class:`DimacsLimits`; the message names the field and its flag."""
        bound: int = getattr(self.limits, limit)
        if count > bound:
            noun = "variables" if limit == "max_vars" else "clauses"
            raise self.error(f"{what}, over the limit of {bound} {noun} ({limit}, "
                             f"--{limit.replace('_', '-')})")

    def read_plain_clause(self, stripped: str) -> bool:
        """Fast path for the common CNF line: one whole clause of decimal literals ending
        in 0. Returns False (nothing consumed) whenever the general path is needed."""
        if "-0" in stripped or not _PLAIN_CLAUSE.fullmatch(stripped):
            return False  # a token "-0..." goes to the general path, which refuses "-0"
        try:
            values = [int(token) for token in stripped.split()]
        except ValueError:
            return False
        if values[-1] != 0 or 0 in values[:-1]:
            return False
        clause = tuple(values[:-1])
        n = self.declared_vars
        if clause and (max(clause) > n or min(clause) < -n):
            return False  # the general path names the offending literal
        if len(self.clauses) >= self.declared_clauses:
            return False
        self.clauses.append(clause)
        return True

    def read_tokens(self, tokens: list[str]) -> None:
        weighted = self.kind != "cnf"
        for token in tokens:
            if weighted and self.current_weight is None:
                self.clause_start_line = self.line
                if self.kind == "new" and token == "h":
                    self.current_weight = 0
                    self.current_hard = True
                    continue
                weight = self.integer(token, "a clause weight")
                if weight is None or weight <= 0:
                    raise self.error(
                        f"clause weight {token!r} must be a positive integer"
                        + (" (a literal 0 cannot stand where a weight is expected)"
                           if token == "0" else "")
                    )
                self.current_weight = weight
                self.current_hard = self.top is not None and weight >= self.top
                continue
            literal = self.integer(token, "a literal")
            if literal is None:
                raise self.error(f"invalid literal {token!r}; literals are non-zero integers "
                                 "in plain decimal (v or -v)")
            if literal == 0 and token != "0":
                raise self.error(f"invalid literal {token!r}; only a plain '0' ends a clause")
            if literal == 0:
                self.end_clause()
                continue
            if not self.current:
                self.clause_start_line = self.line
            var = abs(literal)
            if self.kind != "new" and var > self.declared_vars:
                raise self.error(
                    f"literal {literal} exceeds the declared number of variables "
                    f"{self.declared_vars}"
                )
            if var > self.max_var:
                self.check_count_limit(var, "max_vars",
                                       f"literal {literal} names variable {var}")
                self.max_var = var
            self.current.append(literal)

    def end_clause(self) -> None:
        self.clauses.append(tuple(self.current))
        self.current = []
        if self.kind != "cnf":
            assert self.current_weight is not None  # set before any literal is read
            self.raw_weights.append(self.current_weight)
            self.hard.append(self.current_hard)
            self.current_weight = None
            self.current_hard = False
        if self.kind == "new":
            self.check_count_limit(len(self.clauses), "max_clauses",
                                   f"clause {len(self.clauses)}")
        elif len(self.clauses) > self.declared_clauses:
            raise self.error(
                f"more clauses than the {self.declared_clauses} the header declares"
            )

    def finish(self) -> Formula:
        if self.kind is None and self.fmt == "wcnf":
            self.kind = "new"  # a header-less (2022) MaxSAT file without clauses: legal
        if self.kind is None:
            raise self.error("no 'p cnf' or 'p wcnf' header and no clauses", line=None)
        if self.current or self.current_weight is not None:
            raise self.error(
                f"the last clause (from line {self.clause_start_line}) is not terminated by 0",
                line=None,
            )
        if self.kind != "new" and len(self.clauses) != self.declared_clauses:
            raise self.error(
                f"the header declares {self.declared_clauses} clauses, found "
                f"{len(self.clauses)}",
                line=None,
            )
        num_vars = self.declared_vars if self.kind != "new" else self.max_var
        comments = tuple(self.comments)
        if self.kind == "cnf":
            return Formula(num_vars, tuple(self.clauses), comments=comments)
        soft_total = sum(w for w, h in zip(self.raw_weights, self.hard, strict=True) if not h)
        weights = tuple(
            (1 + soft_total) if h else w for w, h in zip(self.raw_weights, self.hard, strict=True)
        )
        return Formula(
            num_vars, tuple(self.clauses), weights, tuple(self.hard), comments=comments
        )


def _to_int(token: str) -> int | None:
    """The integer a token spells in plain decimal, or None (``+1``, ``0x12``, ``1.5``,
    ``1e3``...). ``-0`` spells 0; the parser refuses it where a literal is read."""
    body = token[1:] if token[:1] == "-" else token
    if not body.isdigit() or not body.isascii():
        return None
    return int(token)


# -- writing -----------------------------------------------------------------------------


def _dimacs_lines(formula: Formula, provenance: dict[str, object] | None) -> Iterator[str]:
    if provenance is not None:
        yield f"c generator: reluinv {__version__}\n"
        for key, value in provenance.items():
            text = str(value).replace("\n", " ")
            yield f"c {key}: {text}\n"
    n, m = formula.num_vars, formula.num_clauses
    if formula.weights is None:
        yield f"p cnf {n} {m}\n"
        for clause in formula.clauses:
            yield " ".join(map(str, (*clause, 0))) + "\n"
        return
    top = formula.hard_weight
    yield f"p wcnf {n} {m} {top}\n"
    for clause, weight in zip(formula.clauses, formula.weights, strict=True):
        yield " ".join(map(str, (weight, *clause, 0))) + "\n"


def format_dimacs(formula: Formula, *, provenance: dict[str, object] | None = None) -> str:
    """The DIMACS text of ``formula``: ``p cnf`` when unweighted, else ``p wcnf n m top``.

    ``top`` is the hard weight ``1 + soft_weight``, so exactly the hard clauses reach it and
    ``parse_dimacs(format_dimacs(f)) == f``. ``provenance`` (for example generator
    parameters and the seed) is written first as ``c key: value`` lines, after a line naming
    the generator and version.
    """
    formula = as_formula(formula)
    return "".join(_dimacs_lines(formula, provenance if provenance is not None else {}))


def write_dimacs(
    formula: Formula,
    path: str | os.PathLike[str],
    *,
    provenance: dict[str, object] | None = None,
) -> None:
    """Write ``formula`` to ``path`` in DIMACS (see :func:`format_dimacs`), streaming."""
    formula = as_formula(formula)
    if not isinstance(path, str | os.PathLike):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    with open(path, "w", encoding="utf-8") as stream:
        for chunk in _dimacs_lines(formula, provenance if provenance is not None else {}):
            stream.write(chunk)
