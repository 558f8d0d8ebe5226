"""What every answer of reluinv has in common, and how it is written down.

Every result object (a SAT answer, a MaxSAT optimum, an exact inversion, a layer-wise
inversion, ...) is a frozen dataclass that carries at least

``status``
    an :class:`enum.Enum` member saying what was established;
``message``
    one line on what happened, with the engine's own status text;
``seconds``
    the wall-clock time of the whole call.

:class:`ResultBase` adds :meth:`~ResultBase.to_record`, the result as a JSON-ready
``dict``, so records are built from results and never by hand in two places.

Numbers in records
------------------
One serializer, :func:`json_number`, writes every number of every record:

* an ``int`` (or an integral ``Fraction``, or a numpy integer) stays an ``int``;
* a non-integral :class:`fractions.Fraction` (an exact objective) becomes the string
  ``"p/q"``, e.g. ``"7/2"``, read back with ``Fraction("7/2")``; never a rounded float;
* a finite float stays a float; ``inf``, ``-inf`` and ``nan`` become the strings
  ``"inf"``, ``"-inf"``, ``"nan"``, since strict JSON has no such numbers.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from fractions import Fraction
from pathlib import PurePath
from typing import Any, ClassVar

import numpy as np

__all__ = ["JsonValue", "ResultBase", "json_number", "json_value"]

JsonValue = None | bool | int | float | str | list[Any] | dict[str, Any]


def json_number(value: object) -> int | float | str:
    """The one JSON form of a number (see the module docstring).

    >>> json_number(Fraction(7, 2)), json_number(Fraction(4, 2)), json_number(float("inf"))
    ('7/2', 2, 'inf')
    """
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"json_number takes a number, got the bool {value!r}")
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/"\
            f"{value.denominator}"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    raise TypeError(f"json_number takes an int, float or Fraction, got {type(value).__name__}")


def json_value(value: object) -> Any:
    """``value`` made JSON-ready: numbers by :func:`json_number`, enums by their value,
    arrays and tuples as lists, dataclasses and mappings as dicts, paths as strings."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | Fraction | np.integer | np.floating):
        return json_number(value)
    if isinstance(value, enum.Enum):
        return json_value(value.value)
    if isinstance(value, ResultBase):
        return value.to_record()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass_record(value, frozenset())
    if isinstance(value, np.ndarray):
        return [json_value(item) for item in value.tolist()]
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} into a record")


class ResultBase:
    """Mixin of every result dataclass: ``status``, ``message``, ``seconds``, ``to_record``.

    Subclasses are frozen dataclasses that declare those three fields. ``to_record`` writes
    every field by :func:`json_value`, except the names in ``record_exclude`` (bulky or
    derived fields, e.g. a latent code a record does not need); ``seconds`` is rounded to
    microseconds.
    """

    record_exclude: ClassVar[frozenset[str]] = frozenset()

    status: enum.Enum
    message: str
    seconds: float

    def to_record(self) -> dict[str, Any]:
        """The result as a JSON-ready ``dict`` (field name -> value)."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} must be a dataclass to be recorded")
        return _dataclass_record(self, self.record_exclude)


def _dataclass_record(value: Any, exclude: frozenset[str]) -> dict[str, Any]:
    """A dataclass instance as a dict of JSON-ready fields; ``*seconds`` rounded to 1 us."""
    record: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        if field.name in exclude:
            continue
        item = getattr(value, field.name)
        if field.name.endswith("seconds") and isinstance(item, float):
            item = round(item, 6)
        record[field.name] = json_value(item)
    return record
