"""A small run-time checker of JSON values against ``TypedDict`` annotations.

``mismatches(value, annotation)`` lists every place where ``value`` does not fit: a missing
required key, a key the TypedDict does not declare, a value of the wrong type. It knows the
forms the record types use: TypedDicts (``NotRequired`` through ``__required_keys__``),
unions, ``Literal``, ``list[...]``, ``dict[str, ...]``, ``Any``, ``None`` and the JSON
scalars (``bool`` is not an ``int`` here, and an ``int`` is not a ``float``).
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict


def mismatches(value: object, annotation: Any, where: str = "record") -> list[str]:
    """Every way ``value`` fails ``annotation`` (empty when it fits)."""
    if annotation is Any:
        return []
    if annotation is None or annotation is type(None):
        return [] if value is None else [f"{where}: expected null, got {value!r}"]
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        found = [mismatches(value, arm, where) for arm in get_args(annotation)]
        if any(not problems for problems in found):
            return []
        return [f"{where}: {value!r} fits none of {annotation}: "
                + "; ".join(p for problems in found for p in problems)]
    if origin is Literal:
        if any(value == option and type(value) is type(option)
               for option in get_args(annotation)):
            return []
        return [f"{where}: {value!r} is not one of {get_args(annotation)}"]
    if is_typeddict(annotation):
        return _typeddict_mismatches(value, annotation, where)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        (item,) = get_args(annotation)
        return [p for i, entry in enumerate(value) for p in mismatches(entry, item,
                                                                     f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        key_type, item = get_args(annotation)
        problems = [f"{where}: key {key!r} is not a str" for key in value
                    if key_type is str and not isinstance(key, str)]
        return problems + [p for key, entry in value.items()
                           for p in mismatches(entry, item, f"{where}.{key}")]
    if annotation in (int, float, str, bool):
        fits = type(value) is annotation
        return [] if fits else [f"{where}: expected {annotation.__name__}, got "
                                f"{type(value).__name__} {value!r}"]
    raise TypeError(f"{where}: the checker does not know the annotation {annotation!r}")


def _typeddict_mismatches(value: object, shape: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: expected an object ({shape.__name__}), got {type(value).__name__}"]
    hints = get_type_hints(shape)
    required = set(shape.__required_keys__)
    allowed = required | set(shape.__optional_keys__)
    problems = [f"{where}: required field {key!r} of {shape.__name__} is missing"
                for key in sorted(required - set(value))]
    problems += [f"{where}: field {key!r} is not in {shape.__name__}"
                 for key in sorted(set(value) - allowed)]
    for key in sorted(set(value) & allowed):
        problems += mismatches(value[key], hints[key], f"{where}.{key}")
    return problems


def typeddict_keys(shape: Any) -> set[str]:
    """All keys a TypedDict declares, required or not."""
    assert is_typeddict(shape), shape
    return set(shape.__required_keys__) | set(shape.__optional_keys__)


__all__ = ["mismatches", "typeddict_keys"]
