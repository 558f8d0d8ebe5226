"""Small formula helpers for the SAT / MaxSAT tests: the library's generators (the brute
force oracles are in :mod:`reluinv.testing`)."""

from __future__ import annotations

from reluinv.validation.generators import pigeonhole

__all__ = ["pigeonhole"]

