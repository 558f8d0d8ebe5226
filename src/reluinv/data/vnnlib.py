"""VNN-LIB properties: what a neural-network verifier is asked to refute.

A VNN-LIB file (an SMT-LIB dialect) states a *property* of a network ``y = N(x)`` with
inputs ``X_0 .. X_{n-1}`` and outputs ``Y_0 .. Y_{m-1}``: an input box and a condition on
the outputs. The verification question is whether the two can hold at once::

    exists x with  l <= x <= u  and  OR_{d}  AND_{r}  a_{d,r} . y <= b_{d,r},   y = N(x)

A verifier answers ``sat`` with such an ``x`` (a *counterexample*: the property
describes the unsafe region) or ``unsat`` when none exists. :class:`Property` holds the
box and the output condition as a disjunction of conjunctions of linear inequalities
``a . y <= b`` (each conjunct an :class:`OutputPolytope` ``A y <= b``).

The subset read (what VNN-COMP benchmarks use)
----------------------------------------------
* ``(declare-const X_i Real)`` and ``(declare-const Y_j Real)``: exactly ``X_0..X_{n-1}``
  and ``Y_0..Y_{m-1}`` for the ``n_inputs``, ``n_outputs`` the caller gives (a declaration
  twice, out of range, or missing is refused);
* ``(assert C)`` with ``C`` an atom, ``(and C ...)`` or ``(or C ...)``, nested;
* atoms ``(<= L R)`` and ``(>= L R)`` between linear terms over one kind of variable: a
  variable, a decimal constant, ``(+ t ...)``, ``(- t)``, ``(- t u ...)``, ``(* c t)`` or
  ``(* t c)`` with ``c`` a constant. Over inputs only *bounds* are read: an atom with one
  input ``X_i`` on one side and a constant on the other;
* input bounds may not sit under an ``or`` (the input set is one box); every ``X_i`` must
  get a lower and an upper bound (the box is bounded; the tightest of several is kept);
* numbers within the float64 range (a nonzero number that would be read as 0 is
  refused), terms and inequalities that stay in it, and
  parentheses nested at most :data:`MAX_NESTING` deep.

Several asserts are conjoined; the output condition is brought to disjunctive normal form
(an ``and`` of ``or`` s is distributed, refused beyond :data:`MAX_DISJUNCTS` conjuncts).
Anything else (``=``, ``<``, ``>``, ``not``, ``=>``, another command, a mixed input and
output atom, a non-constant product) is refused with one line naming the file, the line
and the rule (:class:`VnnlibError`). A file ending in ``.gz`` is decompressed on the fly.

Numbers are read with Python's correctly rounded ``float``; an inequality ``L <= R`` is
stored as ``(a_L - a_R) . y <= c_R - c_L``, and ``L >= R`` as its mirror, so a file that
:func:`write_vnnlib` wrote reads back to the same arrays bit for bit.

>>> import io, tempfile, os
>>> text = '''(declare-const X_0 Real)
... (declare-const Y_0 Real)
... (declare-const Y_1 Real)
... (assert (>= X_0 0.0))
... (assert (<= X_0 1.0))
... (assert (or (and (>= Y_0 1.0)) (and (<= Y_1 Y_0))))'''
>>> prop = parse_vnnlib(text, 1, 2)
>>> prop.lower.tolist(), prop.upper.tolist(), len(prop.disjuncts)
([0.0], [1.0], 2)
>>> prop.disjuncts[0].A.tolist(), prop.disjuncts[0].b.tolist()
([[-1.0, 0.0]], [-1.0])
>>> prop.holds([0.5], [2.0, 3.0])
True
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Union

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_count
from reluinv.data.formula import TextLimits, TextTooLargeError, open_text
from reluinv.errors import InvalidTypeError, ReluinvError, ShapeError

__all__ = [
    "DEFAULT_VNNLIB_LIMITS",
    "MAX_DISJUNCTS",
    "MAX_NESTING",
    "OutputPolytope",
    "Property",
    "VnnlibError",
    "format_vnnlib",
    "parse_vnnlib",
    "read_vnnlib",
    "write_vnnlib",
]

#: The most conjuncts the disjunctive normal form of a file's output condition may have.
MAX_DISJUNCTS = 10_000

#: The deepest nesting of parentheses read (VNN-COMP's properties nest a handful deep); the
#: reader recurses once per level, so a deeper text is refused at the line of its first
#: ``(`` past the limit rather than exhausting Python's stack.
MAX_NESTING = 200

#: The size limits :func:`read_vnnlib` applies when given none: the same as a formula's
#: (64 MiB decompressed, lines of 1 MiB; VNN-COMP's largest properties are a few MiB).
#: What a file at the limit costs, measured on one core (peak resident memory of the
#: process, Python and numpy included): 64 MiB of input bounds (670 000 inputs) 0.45 GiB
#: and 18 s; 64 MiB of output rows (1.5 million rows over 10 outputs) 0.85 GiB and 46 s.
#: The text is held once and its commands are read one at a time; the rows are what grows.
DEFAULT_VNNLIB_LIMITS = TextLimits()

_VARIABLE = re.compile(r"^([XY])_(0|[1-9][0-9]*)$")
_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


class VnnlibError(ReluinvError, ValueError):
    """A VNN-LIB text breaks a rule of the subset read (module docstring).

    ``source`` is the file name, ``line`` the 1-based line of the offending expression
    (``None`` for a rule about the whole file), ``rule`` the rule broken.
    """

    def __init__(self, source: str, line: int | None, rule: str) -> None:
        self.source, self.line, self.rule = source, line, rule
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {rule}")


@dataclass(frozen=True, eq=False)
class OutputPolytope:
    """One conjunct of the output condition: ``A y <= b`` (``A`` of shape ``(r, m)``)."""

    A: npt.NDArray[np.float64]
    b: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        A = np.array(self.A, dtype=np.float64, ndmin=2)
        b = np.array(self.b, dtype=np.float64, ndmin=1)
        if A.ndim != 2 or b.shape != (A.shape[0],):
            raise ShapeError(f"A y <= b needs A of shape (r, m) and b of shape (r,), got "
                             f"{A.shape} and {b.shape}")
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ShapeError("A and b of an output constraint must be finite")
        A.setflags(write=False)
        b.setflags(write=False)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)

    def slack(self, y: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``b - A y`` (non-negative where a constraint holds), float64."""
        return np.asarray(self.b - self.A @ np.asarray(y, dtype=np.float64), dtype=np.float64)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OutputPolytope):
            return NotImplemented
        return bool(np.array_equal(self.A, other.A) and np.array_equal(self.b, other.b))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Property:
    """A VNN-LIB property: an input box and an output condition in disjunctive normal form.

    Attributes
    ----------
    lower, upper:
        The input box ``lower <= x <= upper``, shape ``(n,)``, finite.
    disjuncts:
        The output condition ``OR_d (A_d y <= b_d)``, at least one conjunct, each ``A_d``
        with ``n_outputs`` columns. A conjunct with no rows is the condition ``true``
        (a file without output constraints); when one is present it is the only one kept.
    n_outputs:
        The number ``m`` of outputs the condition speaks of.
    """

    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    disjuncts: tuple[OutputPolytope, ...]
    n_outputs: int

    def __post_init__(self) -> None:
        lower = np.array(self.lower, dtype=np.float64, ndmin=1)
        upper = np.array(self.upper, dtype=np.float64, ndmin=1)
        if lower.ndim != 1 or lower.shape != upper.shape:
            raise ShapeError(f"lower and upper must be 1-D of one length, got {lower.shape} "
                             f"and {upper.shape}")
        if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
            raise ShapeError("the input box must be finite (every X_i bounded)")
        if isinstance(self.n_outputs, bool) or not isinstance(self.n_outputs, int):
            raise InvalidTypeError(f"n_outputs must be an int, got {self.n_outputs!r}")
        disjuncts = tuple(self.disjuncts)
        if not disjuncts:
            raise ShapeError("the output condition needs at least one conjunct")
        for d, polytope in enumerate(disjuncts):
            if not isinstance(polytope, OutputPolytope):
                raise InvalidTypeError(f"disjuncts[{d}] must be an OutputPolytope, got "
                                       f"{type(polytope).__name__}")
            if polytope.A.shape[1] != self.n_outputs:
                raise ShapeError(f"disjuncts[{d}].A has {polytope.A.shape[1]} columns for "
                                 f"n_outputs = {self.n_outputs}")
        if any(p.A.shape[0] == 0 for p in disjuncts):  # true OR anything = true
            disjuncts = (next(p for p in disjuncts if p.A.shape[0] == 0),)
        lower.setflags(write=False)
        upper.setflags(write=False)
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)
        object.__setattr__(self, "disjuncts", disjuncts)

    @property
    def n_inputs(self) -> int:
        """The number ``n`` of inputs."""
        return int(self.lower.shape[0])

    @property
    def box_is_empty(self) -> bool:
        """True when some ``lower_i > upper_i`` (no input at all)."""
        return bool(np.any(self.lower > self.upper))

    def holds(self, x: npt.ArrayLike, y: npt.ArrayLike, *, tol: float = 0.0) -> bool:
        """Whether ``x`` lies in the box and ``y`` meets some conjunct, each inequality
        within ``tol`` (absolute)."""
        xs = np.asarray(x, dtype=np.float64)
        if xs.shape != self.lower.shape:
            return False
        if np.any(xs < self.lower - tol) or np.any(xs > self.upper + tol):
            return False
        return any(bool(np.all(p.slack(y) >= -tol)) for p in self.disjuncts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Property):
            return NotImplemented
        return (np.array_equal(self.lower, other.lower)
                and np.array_equal(self.upper, other.upper)
                and self.n_outputs == other.n_outputs and self.disjuncts == other.disjuncts)

    __hash__ = None  # type: ignore[assignment]


# -- reading ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Atom:
    token: str
    line: int


@dataclass(frozen=True)
class _List:
    items: tuple[_Node, ...]
    line: int


_Node = Union[_Atom, _List]  # noqa: UP007 - a runtime alias used by the dataclasses above


def _tokens(text: str, source: str) -> Iterator[_Atom]:
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark, as some editors write
        text = text[1:]
    # lines end at "\n" only (a form feed or U+2028 inside a line is white space, as the
    # tokenizer reads it), so that line numbers are those of an editor
    for number, line in enumerate(text.split("\n"), start=1):
        code = line.split(";", 1)[0]
        for token in code.replace("(", " ( ").replace(")", " ) ").split():
            yield _Atom(token, number)


def _expressions(text: str, source: str) -> Iterator[_Node]:
    """The top-level expressions of ``text``, each as soon as its ``)`` is read (a file's
    commands are never all held at once)."""
    stack: list[tuple[int, list[_Node]]] = []
    for atom in _tokens(text, source):
        if atom.token == "(":
            if len(stack) == MAX_NESTING:
                raise VnnlibError(source, atom.line, f"expressions nested deeper than "
                                  f"{MAX_NESTING} levels (limit MAX_NESTING)")
            stack.append((atom.line, []))
        elif atom.token == ")":
            if not stack:
                raise VnnlibError(source, atom.line, "')' without a matching '('")
            line, items = stack.pop()
            node = _List(tuple(items), line)
            if stack:
                stack[-1][1].append(node)
            else:
                yield node
        else:
            if not stack:
                raise VnnlibError(source, atom.line, f"'{_shown(atom.token)}' outside "
                                  "parentheses")
            stack[-1][1].append(atom)
    if stack:
        raise VnnlibError(source, stack[-1][0], "'(' is never closed")


_Linear = tuple[dict[int, float], float, str | None]  # coefficients, constant, kind X/Y


_NONZERO_DIGIT = re.compile(r"[1-9]")


def _shown(token: str, limit: int = 40) -> str:
    """``token`` as an error message quotes it: at most ``limit`` characters, characters
    that do not print (a NUL, a no-break space) escaped."""
    shown = token if token.isprintable() else ascii(token)[1:-1]
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def _number(token: str) -> float | None:
    return float(token) if _NUMBER.match(token) else None


class _Reader:
    def __init__(self, source: str, n_inputs: int, n_outputs: int,
                 network_name: str | None = None) -> None:
        self.source, self.n, self.m = source, n_inputs, n_outputs
        self.network = "the network" + (f" {network_name}" if network_name else "")
        self.declared: dict[str, set[int]] = {"X": set(), "Y": set()}
        self.declared_at: dict[int, int] = {}  # X_i -> the line of its declare-const
        self.lower = np.full(n_inputs, -np.inf)
        self.upper = np.full(n_inputs, np.inf)
        # the output condition: a conjunction of DNFs (each a list of lists of rows)
        self.condition: list[list[tuple[npt.NDArray[np.float64], float]]] = [[]]

    def error(self, node: _Node, rule: str) -> VnnlibError:
        return VnnlibError(self.source, node.line, rule)

    def command(self, node: _Node) -> None:
        if not isinstance(node, _List) or not node.items or not isinstance(node.items[0],
                                                                           _Atom):
            raise self.error(node, "expected a command (declare-const ...) or (assert ...)")
        head = node.items[0].token
        if head == "declare-const":
            self.declare(node)
        elif head == "assert":
            if len(node.items) != 2:
                raise self.error(node, "assert takes exactly one formula")
            dnf = self.formula(node.items[1], under_or=False)
            if dnf is not None:
                self.conjoin(dnf, node)
        else:
            raise self.error(node, f"unsupported command '{head}'; only declare-const and "
                             "assert are read")

    def declare(self, node: _List) -> None:
        items = node.items
        if (len(items) != 3 or not isinstance(items[1], _Atom) or not isinstance(items[2], _Atom)
                or items[2].token != "Real"):
            raise self.error(node, "declare-const takes a name and the sort Real")
        match = _VARIABLE.match(items[1].token)
        if match is None:
            raise self.error(node, f"variable '{items[1].token}' is not named X_i or Y_j")
        kind, index = match[1], int(match[2])
        limit = self.n if kind == "X" else self.m
        if index >= limit:
            raise self.error(node, f"{items[1].token} is out of range: {self.network} "
                             f"has {limit} {'inputs' if kind == 'X' else 'outputs'}")
        if index in self.declared[kind]:
            raise self.error(node, f"{items[1].token} is declared twice")
        self.declared[kind].add(index)
        if kind == "X":
            self.declared_at[index] = node.line

    def variable(self, atom: _Atom) -> tuple[str, int] | None:
        match = _VARIABLE.match(atom.token)
        if match is None:
            return None
        kind, index = match[1], int(match[2])
        if index not in self.declared[kind]:
            raise self.error(atom, f"{atom.token} is used before its declare-const")
        return kind, index

    def linear(self, node: _Node) -> _Linear:
        """A linear term: coefficients by variable index, a constant, the variable kind."""
        if isinstance(node, _Atom):
            value = _number(node.token)
            if value is not None:
                if not np.isfinite(value):
                    raise self.error(node, f"the number '{_shown(node.token)}' is outside the "
                                     "float64 range")
                if value == 0.0 and _NONZERO_DIGIT.search(node.token.lower().split("e")[0]):
                    # 1e-400 would silently become 0 and change the property
                    raise self.error(node, f"the number '{_shown(node.token)}' is below the "
                                     "float64 range (it would be read as 0)")
                return {}, value, None
            var = self.variable(node)
            if var is None:
                raise self.error(node, f"'{_shown(node.token)}' is neither a number nor a "
                                 "declared variable")
            return {var[1]: 1.0}, 0.0, var[0]
        if not node.items or not isinstance(node.items[0], _Atom):
            raise self.error(node, "a term must start with +, - or *")
        op = node.items[0].token
        coef, const, kind = self.term(node, op, [self.linear(item) for item in node.items[1:]])
        if not (np.isfinite(const) and all(np.isfinite(a) for a in coef.values())):
            raise self.error(node, "the term overflows the float64 range")
        return coef, const, kind

    def term(self, node: _List, op: str, args: list[_Linear]) -> _Linear:
        """The linear term ``(op args...)``."""
        if not args:
            raise self.error(node, f"'{op}' needs arguments")
        kinds = {kind for _, _, kind in args if kind is not None}
        if len(kinds) > 1:
            raise self.error(node, "a term mixes inputs X and outputs Y")
        kind = next(iter(kinds), None)
        if op == "+" or (op == "-" and len(args) > 1):
            coef: dict[int, float] = dict(args[0][0])
            const = args[0][1]
            sign = 1.0 if op == "+" else -1.0
            for c, k0, _ in args[1:]:
                for i, a in c.items():
                    coef[i] = coef.get(i, 0.0) + sign * a
                const += sign * k0
            return coef, const, kind
        if op == "-":
            c, k0, _ = args[0]
            return {i: -a for i, a in c.items()}, -k0, kind
        if op == "*":
            if len(args) != 2:
                raise self.error(node, "'*' takes two arguments, a constant and a term")
            (c1, k1, v1), (c2, k2, v2) = args
            if v1 is not None and v2 is not None:
                raise self.error(node, "'*' of two variables is not linear")
            scale, (c, k0) = (k1, (c2, k2)) if v1 is None else (k2, (c1, k1))
            return {i: scale * a for i, a in c.items()}, scale * k0, kind
        raise self.error(node, f"unsupported operator '{op}' in a term; +, - and * are read")

    def formula(self, node: _Node, *, under_or: bool) -> list[list[tuple[Any, float]]] | None:
        """The DNF of an output formula (list of conjuncts, each a list of rows), or None
        when the formula only bounded inputs."""
        if not isinstance(node, _List) or not node.items or not isinstance(node.items[0],
                                                                           _Atom):
            raise self.error(node, "expected a formula (<= ...), (>= ...), (and ...), (or ...)")
        op = node.items[0].token
        args = node.items[1:]
        if op in ("and", "or"):
            if not args:
                raise self.error(node, f"'{op}' needs at least one argument")
            parts = [self.formula(a, under_or=under_or or op == "or") for a in args]
            dnfs = [p for p in parts if p is not None]
            if not dnfs:
                return None
            if op == "or":
                if len(dnfs) != len(parts):
                    raise self.error(node, "an 'or' mixes input bounds with output "
                                     "constraints; the input set must be one box")
                return [conj for dnf in dnfs for conj in dnf]
            result: list[list[tuple[Any, float]]] = [[]]
            for dnf in dnfs:
                result = self.product(result, dnf, node)
            return result
        if op in ("<=", ">="):
            if len(args) != 2:
                raise self.error(node, f"'{op}' takes two terms")
            left, right = self.linear(args[0]), self.linear(args[1])
            kinds = {k for k in (left[2], right[2]) if k is not None}
            if not kinds:
                raise self.error(node, "a comparison of two constants")
            if len(kinds) > 1:
                raise self.error(node, "a comparison mixes inputs X and outputs Y")
            if op == ">=":
                left, right = right, left
            if kinds == {"X"}:
                self.bound(node, left, right, under_or)
                return None
            row = np.zeros(self.m)
            with np.errstate(over="ignore", invalid="ignore"):  # refused just below
                for i, a in left[0].items():
                    row[i] += a
                for i, a in right[0].items():
                    row[i] -= a
            if not (np.all(np.isfinite(row)) and np.isfinite(right[1] - left[1])):
                raise self.error(node, "the inequality overflows the float64 range")
            return [[(row, right[1] - left[1])]]
        raise self.error(node, f"unsupported operator '{op}'; only <=, >=, and, or are read")

    def bound(self, node: _Node, left: _Linear, right: _Linear, under_or: bool) -> None:
        """``left <= right`` with one of them ``X_i`` and the other a constant."""
        if under_or:
            raise self.error(node, "an input bound under 'or'; the input set must be one box")
        for var, const, upper in ((left, right, True), (right, left, False)):
            if (var[2] == "X" and const[2] is None and len(var[0]) == 1 and var[1] == 0.0
                    and next(iter(var[0].values())) == 1.0):
                i = next(iter(var[0]))
                if upper:
                    self.upper[i] = min(self.upper[i], const[1])
                else:
                    self.lower[i] = max(self.lower[i], const[1])
                return
        raise self.error(node, "only bounds X_i <= c and X_i >= c are read over inputs")

    def product(self, a: list[list[Any]], b: list[list[Any]], node: _Node) -> list[list[Any]]:
        """``a AND b`` in disjunctive normal form. Every conjunct list of ``a`` is owned by
        ``a`` (made here or by :meth:`formula`), so a single conjunct ``b`` is appended in
        place: a file of ``r`` asserts costs ``O(r)``, not ``O(r^2)``."""
        if len(a) * len(b) > MAX_DISJUNCTS:
            raise self.error(node, f"the output condition has more than {MAX_DISJUNCTS} "
                             "conjuncts in disjunctive normal form")
        if len(b) == 1:
            for x in a:
                x.extend(b[0])
            return a
        return [x + y for x in a for y in b]

    def conjoin(self, dnf: list[list[Any]], node: _Node) -> None:
        self.condition = self.product(self.condition, dnf, node)

    def finish(self) -> Property:
        for kind, count in (("X", self.n), ("Y", self.m)):
            missing = sorted(set(range(count)) - self.declared[kind])
            if missing:
                what = "inputs" if kind == "X" else "outputs"
                raise VnnlibError(self.source, None, f"{kind}_{missing[0]} is never declared "
                                  f"({self.network} has {count} {what}, the property "
                                  f"declares {len(self.declared[kind])})")
        for i in range(self.n):
            if not np.isfinite(self.lower[i]) or not np.isfinite(self.upper[i]):
                side = "lower" if not np.isfinite(self.lower[i]) else "upper"
                raise VnnlibError(self.source, self.declared_at.get(i), f"X_{i} (declared "
                                  f"here) has no {side} bound; the input box must be bounded")
        disjuncts = tuple(
            OutputPolytope(np.array([r for r, _ in conj], dtype=np.float64).reshape(-1, self.m),
                           np.array([c for _, c in conj], dtype=np.float64))
            for conj in self.condition)
        return Property(self.lower, self.upper, disjuncts, self.m)


def _check_size(value: object, name: str) -> int:
    """A positive int: the wrong kind is a ``TypeError``, a value below 1 a ``ValueError``."""
    return check_count(value, name)


def _text_limits(limits: object) -> TextLimits:
    if limits is None:
        return DEFAULT_VNNLIB_LIMITS
    if not isinstance(limits, TextLimits):
        raise InvalidTypeError(f"limits must be a reluinv.data.formula.TextLimits or None, "
                               f"got {type(limits).__name__}")
    return limits


def _too_long(source: str, line: int, limit: int) -> VnnlibError:
    return VnnlibError(source, line, f"line longer than {limit} characters (limit "
                                     "max_line_length, --max-line-length)")


def _read_text(stream: IO[str], limit: int, source: str) -> str:
    """All of ``stream``, read in chunks, refused at the first line longer than ``limit``
    characters as soon as that line has been read past the limit (never held whole)."""
    parts: list[str] = []
    line, run = 1, 0
    while chunk := stream.read(_CHUNK):
        pieces = chunk.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                line, run = line + 1, 0
            run += len(piece)
            if run > limit:
                raise _too_long(source, line, limit)
        parts.append(chunk)
    return "".join(parts)


#: Characters read at a time from a VNN-LIB file.
_CHUNK = 1 << 20


def parse_vnnlib(text: str, n_inputs: int, n_outputs: int, *,
                 source: str = "<string>", limits: TextLimits | None = None,
                 network_name: str | None = None) -> Property:
    """The :class:`Property` of a VNN-LIB text (module docstring); ``source`` names it in
    errors, ``network_name`` the network whose sizes were given (in the errors about
    them). ``limits`` (:data:`DEFAULT_VNNLIB_LIMITS` when ``None``) bounds the length of
    a line; its byte limit applies to files only (a ``str`` is already in memory)."""
    if not isinstance(text, str):
        raise InvalidTypeError(f"text must be a str, got {type(text).__name__}")
    n = _check_size(n_inputs, "n_inputs")
    m = _check_size(n_outputs, "n_outputs")
    _read_text(io.StringIO(text), _text_limits(limits).max_line_length, source)
    return _parse(text, n, m, source, network_name)


def _parse(text: str, n: int, m: int, source: str, network_name: str | None) -> Property:
    reader = _Reader(source, n, m, network_name)
    for node in _expressions(text, source):
        reader.command(node)
    return reader.finish()


def read_vnnlib(path: str | os.PathLike[str], n_inputs: int, n_outputs: int, *,
                limits: TextLimits | None = None, network_name: str | None = None
                ) -> Property:
    """The :class:`Property` of a ``.vnnlib`` (or ``.vnnlib.gz``) file for a network with
    ``n_inputs`` inputs and ``n_outputs`` outputs.

    ``limits`` (a :class:`~reluinv.data.formula.TextLimits`; ``None``:
    :data:`DEFAULT_VNNLIB_LIMITS`) bounds the decompressed bytes read and the length of a
    line, as :class:`~reluinv.data.formula.DimacsLimits` does for formulas: a file over a
    limit is refused on one line before more than the limit is held. ``network_name``
    (e.g. the network's file) names the network in the errors about its sizes.

    Raises
    ------
    VnnlibError
        The text breaks a rule of the subset read or a size limit, or is not UTF-8, or
        cannot be decompressed; the one-line message names the file, the line and the rule.
    OSError
        The file is missing or cannot be read.
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    _check_size(n_inputs, "n_inputs")  # before the file is read
    _check_size(n_outputs, "n_outputs")
    bounds = _text_limits(limits)
    source = os.fspath(path)
    try:
        with open_text(source, max_bytes=bounds.max_bytes) as handle:
            text = _read_text(handle, bounds.max_line_length, source)
    except TextTooLargeError as exc:
        raise VnnlibError(source, None, f"the text is larger than {exc.limit} bytes "
                                        "(decompressed; limit max_bytes, --max-bytes)") from None
    except UnicodeDecodeError as exc:
        raise VnnlibError(source, None, f"not a UTF-8 text file ({exc.reason} at byte "
                                        f"{exc.start})") from None
    except (EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error) as exc:
        kind = "not a gzip file" if source.endswith(".gz") else "cannot be decompressed"
        raise VnnlibError(source, None, f"{kind}: {exc}") from None
    return _parse(text, n_inputs, n_outputs, source, network_name)  # lines checked


# -- writing ---------------------------------------------------------------------------

def _num(value: float) -> str:
    text = repr(float(value))
    return text if ("." in text or "e" in text or "n" in text) else f"{text}.0"


def _term(index: int, coefficient: float) -> str:
    return f"Y_{index}" if coefficient == 1.0 else f"(* {_num(coefficient)} Y_{index})"


def _atom(row: npt.NDArray[np.float64], b: float) -> str:
    nz = np.flatnonzero(row).tolist()
    if len(nz) == 1 and row[nz[0]] == 1.0:
        return f"(<= Y_{nz[0]} {_num(b)})"
    if len(nz) == 1 and row[nz[0]] == -1.0:
        return f"(>= Y_{nz[0]} {_num(-b)})"  # -y <= b  <=>  y >= -b (exact negation)
    if (len(nz) == 2 and b == 0.0 and row[nz[0]] == -row[nz[1]]
            and abs(row[nz[0]]) == 1.0):
        i, j = (nz[0], nz[1]) if row[nz[0]] == 1.0 else (nz[1], nz[0])
        return f"(<= Y_{i} Y_{j})"
    if not nz:  # 0 . y <= b: a constant condition, kept as a row over Y_0
        return f"(<= (* 0.0 Y_0) {_num(b)})"
    terms = " ".join(_term(i, float(row[i])) for i in nz)
    return f"(<= (+ {terms}) {_num(b)})" if len(nz) > 1 else f"(<= {terms} {_num(b)})"


def format_vnnlib(prop: Property, *, comments: Sequence[str] = ()) -> str:
    """The VNN-LIB text of ``prop`` (read back by :func:`parse_vnnlib` to equal arrays).

    Input bounds are written as ``(assert (<= X_i u))`` / ``(assert (>= X_i l))``; a
    single conjunct as one ``assert`` per inequality, several as one
    ``(assert (or (and ...) ...))``. ``comments`` become leading ``;`` lines.
    """
    if not isinstance(prop, Property):
        raise InvalidTypeError(f"prop must be a reluinv.Property, got {type(prop).__name__}")
    lines = [f"; {c}" for c in comments]
    lines += [f"(declare-const X_{i} Real)" for i in range(prop.n_inputs)]
    lines += [f"(declare-const Y_{j} Real)" for j in range(prop.n_outputs)]
    for i in range(prop.n_inputs):
        lines.append(f"(assert (>= X_{i} {_num(prop.lower[i])}))")
        lines.append(f"(assert (<= X_{i} {_num(prop.upper[i])}))")
    if len(prop.disjuncts) == 1:
        p = prop.disjuncts[0]
        lines += [f"(assert {_atom(p.A[r], float(p.b[r]))})" for r in range(len(p.b))]
    else:  # no conjunct has zero rows here (Property keeps a true condition as one)
        body = []
        for p in prop.disjuncts:
            atoms = " ".join(_atom(p.A[r], float(p.b[r])) for r in range(len(p.b)))
            body.append(f"  (and {atoms})")
        lines.append("(assert (or\n" + "\n".join(body) + "\n))")
    return "\n".join(lines) + "\n"


def write_vnnlib(prop: Property, path: str | os.PathLike[str], *,
                 comments: Sequence[str] = ()) -> None:
    """Write ``prop`` as VNN-LIB text (:func:`format_vnnlib`); gzipped when ``path`` ends in
    ``.gz`` (with a zero modification time, so equal properties give equal files)."""
    text = format_vnnlib(prop, comments=comments)
    target = os.fspath(path)
    if target.endswith(".gz"):
        with open(target, "wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0) as handle:
            handle.write(text.encode("utf-8"))
    else:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
