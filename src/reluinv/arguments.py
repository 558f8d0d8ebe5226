"""Argument checks at the library's boundary, in one place.

Every public function checks its arguments here before it computes anything, so the same
mistake gets the same message everywhere:

* the wrong *kind* of value (a string where seconds are expected, a list where a
  ``numpy.random.Generator`` is) raises :class:`~reluinv.errors.InvalidTypeError`, a
  ``TypeError``;
* a value of the right kind outside what the function accepts (a negative time limit, an
  unknown backend name) raises :class:`~reluinv.errors.InvalidArgumentError`, a
  ``ValueError``.

Each check takes ``name``, the argument *as the caller wrote it*: the library passes the
keyword (``"time_limit"``), the command line passes its flag (``"--time-limit"``), so the
message names what the user can change. Messages read
``"<name> must be <rule>, got <value>"``.

Conventions shared by every function of the package:

* **time limits** are seconds, a positive number; ``None`` (and ``math.inf``) mean
  "no limit" and come back as ``None``;
* **counts** (workers, threads) are ``int``, never ``bool``;
* **randomness** comes from an explicit ``numpy.random.Generator`` (:func:`check_rng`), so
  every result can be reproduced from its seed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from reluinv.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "check_choice",
    "check_count",
    "check_flag",
    "check_nonnegative",
    "check_real_array",
    "check_rng",
    "check_sequence",
    "check_shard",
    "check_text_lines",
    "check_time_limit",
    "check_zero_one",
    "shown",
]

T = TypeVar("T")


def shown(value: object) -> str:
    """A short, unambiguous text of ``value`` for messages (``repr``, cut at 60
    characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer
                                                      | np.floating)


def _as_float(value: object) -> float:
    """``float(value)`` for a number of :func:`_is_number`; a Python int beyond float64's
    range (``10**400``) is ``+-inf`` rather than an ``OverflowError``."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]


def check_time_limit(value: object, name: str = "time_limit") -> float | None:
    """Seconds, or ``None`` for no limit: a positive number (``inf`` means no limit).

    >>> check_time_limit(2), check_time_limit(None), check_time_limit(float("inf"))
    (2.0, None, None)
    """
    if value is None:
        return None
    if not _is_number(value):
        raise InvalidTypeError(
            f"{name} must be a number of seconds or None, got {type(value).__name__} "
            f"{shown(value)}"
        )
    seconds = _as_float(value)
    if math.isnan(seconds) or seconds <= 0:
        raise InvalidArgumentError(
            f"{name} must be a positive number of seconds, got {shown(value)}")
    return None if math.isinf(seconds) else seconds


def check_count(value: object, name: str, *, minimum: int = 1) -> int:
    """An ``int`` (not a ``bool``) of at least ``minimum``.

    >>> check_count(2, "workers")
    2
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidTypeError(f"{name} must be an int, got {type(value).__name__} "
                               f"{shown(value)}")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_nonnegative(value: object, name: str) -> float:
    """A finite number ``>= 0`` (a tolerance, a bound), as ``float``."""
    if not _is_number(value):
        raise InvalidTypeError(f"{name} must be a number, got {type(value).__name__} "
                               f"{shown(value)}")
    number = _as_float(value)
    if not (math.isfinite(number) and number >= 0):
        raise InvalidArgumentError(f"{name} must be a finite number >= 0, got {shown(value)}")
    return number


def check_flag(value: object, name: str) -> bool:
    """A ``bool`` (``numpy.bool_`` accepted)."""
    if not isinstance(value, bool | np.bool_):
        raise InvalidTypeError(f"{name} must be True or False, got {type(value).__name__} "
                               f"{shown(value)}")
    return bool(value)


def check_choice(value: T, name: str, choices: Iterable[T]) -> T:
    """``value`` if it is one of ``choices`` (compared with ``==``), else a clear error.

    >>> check_choice("l1", "objective", ("feasible", "l1", "linf"))
    'l1'
    """
    options = tuple(choices)
    if isinstance(value, str | int | float | bool | type(None)) and value in options:
        return value
    listed = ", ".join(repr(option) for option in options)
    if options and not isinstance(value, type(options[0])) and value is not None:
        raise InvalidTypeError(f"{name} must be one of {listed}, got {type(value).__name__} "
                               f"{shown(value)}")
    raise InvalidArgumentError(f"{name} must be one of {listed}, got {shown(value)}")


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """``rng`` if it is a ``numpy.random.Generator``; an :class:`InvalidTypeError` otherwise."""
    if not isinstance(rng, np.random.Generator):
        raise InvalidTypeError(
            f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_shard(value: object, name: str = "shard") -> tuple[int, int]:
    """Shard ``I`` of ``N`` as ``(I, N)``, from the text ``"I/N"`` or a pair of ints, with
    ``1 <= I <= N``.

    >>> check_shard("2/5")
    (2, 5)
    """
    if isinstance(value, str):
        index_text, slash, count_text = value.strip().partition("/")
        try:
            pair: tuple[object, object] = (int(index_text), int(count_text))
        except ValueError:
            pair = (None, None)
        if not slash or pair[0] is None:
            raise InvalidArgumentError(
                f"{name} must be I/N with integers 1 <= I <= N, got {shown(value)}")
    elif isinstance(value, tuple) and len(value) == 2:
        pair = value
    else:
        raise InvalidTypeError(f"{name} must be 'I/N' or a pair (I, N), got "
                               f"{type(value).__name__} {shown(value)}")
    count = check_count(pair[1], f"{name} count N")
    index = check_count(pair[0], f"{name} index I")
    if index > count:
        raise InvalidArgumentError(f"{name} must be I/N with 1 <= I <= N, got {index}/{count}")
    return index, count


def check_sequence(value: object, name: str, *, of: str = "values") -> Iterable[object]:
    """``value`` if it can be iterated over and is not text, else an
    :class:`InvalidTypeError` naming ``name``: ``None``, a number, and a ``str`` or
    ``bytes`` (which would iterate over its characters: ``"01"`` is not an assignment) are
    refused. ``of`` says what the items should be, for the message.

    >>> check_sequence([0, 1], "assignment")
    [0, 1]
    >>> check_sequence("01", "assignment", of="0/1 values")
    Traceback (most recent call last):
    ...
    reluinv.errors.InvalidTypeError: assignment must be a sequence of 0/1 values, got str
    """
    if isinstance(value, str | bytes) or not _is_iterable(value):
        raise InvalidTypeError(f"{name} must be a sequence of {of}, got {type(value).__name__}")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        raise InvalidTypeError(f"{name} must be a sequence of {of}, got a 0-d array")
    return value  # type: ignore[return-value]


def _is_iterable(value: object) -> bool:
    try:
        iter(value)  # type: ignore[call-overload]
    except TypeError:
        return False
    return True


def check_text_lines(value: object, name: str) -> list[str]:
    """A sequence of ``str`` lines (a proof, a file's lines) as a list; one ``str`` is
    refused (its characters are not lines), and so is an item of another kind, by index.

    >>> check_text_lines(("1 0", "0"), "proof_lines")
    ['1 0', '0']
    """
    lines = list(check_sequence(value, name, of="str lines"))
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise InvalidTypeError(f"{name}[{i}] must be a str line, got "
                                   f"{type(line).__name__} {shown(line)}")
    return lines  # type: ignore[return-value]


def check_real_array(value: object, name: str) -> npt.NDArray[np.float64]:
    """``value`` as a float64 array, refusing what would convert only by losing information.

    NumPy's ``np.asarray(value, dtype=float)`` drops the imaginary part of complex numbers
    (with a warning), parses the string ``"1"`` as 1.0, reads ``True`` as 1.0, and raises a
    bare ``ValueError`` on ``"abc"``. Here a string, bytes, bools, complex numbers and
    non-numeric objects raise :class:`InvalidTypeError` naming ``name``; exact numbers
    (Python ints, ``Fraction``) in an object array are converted to the nearest float64.
    Shape and finiteness are the caller's to check.

    >>> check_real_array([1, 2.5], "z")
    array([1. , 2.5])
    >>> check_real_array([1j, 0], "z")
    Traceback (most recent call last):
    ...
    reluinv.errors.InvalidTypeError: z must hold real numbers, got complex
    """
    if isinstance(value, str | bytes) or value is None:
        raise InvalidTypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    try:  # a list is looked at item by item: NumPy reads [0.5, True] as [0.5, 1.0]
        raw = np.asarray(value, dtype=None if isinstance(value, np.ndarray) else object)
    except (TypeError, ValueError) as exc:  # ragged nesting
        raise InvalidTypeError(f"{name} must be an array of numbers: {exc}") from None
    if raw.dtype.kind == "O":
        wrong = sorted({type(v).__name__ for v in raw.flat
                        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real)})
        if wrong:
            raise InvalidTypeError(f"{name} must hold real numbers, got {', '.join(wrong)}")
        try:
            return np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidTypeError(f"{name} must hold real numbers: {exc}") from None
    if raw.dtype.kind not in "iuf":
        raise InvalidTypeError(f"{name} must hold real numbers, got dtype {raw.dtype}")
    return np.asarray(raw, dtype=np.float64)


def check_zero_one(value: object, name: str) -> tuple[int, ...]:
    """A sequence of 0/1 values (an assignment) as a tuple of Python ints.

    ``0``, ``1``, ``0.0``, ``1.0``, NumPy scalars (``numpy.bool_`` too) and ``False`` /
    ``True`` are read as 0 and 1; another number raises :class:`InvalidArgumentError`
    naming ``name[i]``, a non-number (a string ``"1"``, ``None``) :class:`InvalidTypeError`.

    >>> check_zero_one([1, 0.0, True], "assignment")
    (1, 0, 1)
    >>> check_zero_one([1, "0"], "assignment")
    Traceback (most recent call last):
    ...
    reluinv.errors.InvalidTypeError: assignment[1] = '0' must be 0 or 1, got str
    """
    out = []
    for i, item in enumerate(check_sequence(value, name, of="0/1 values")):
        if not isinstance(item, numbers.Real | np.bool_):
            raise InvalidTypeError(f"{name}[{i}] = {shown(item)} must be 0 or 1, got "
                                   f"{type(item).__name__}")
        if item not in (0, 1):
            raise InvalidArgumentError(f"{name}[{i}] = {shown(item)}; values must be 0 or 1")
        out.append(1 if item == 1 else 0)
    return tuple(out)
