"""Small formula helpers for the SAT / MaxSAT tests: the library's generators, and a brute
force oracle."""

from __future__ import annotations

import itertools

from reluinv.data.formula import Formula
from reluinv.validation.generators import pigeonhole

__all__ = ["brute_force_minimum", "pigeonhole"]


def brute_force_minimum(formula: Formula) -> int:
    """``min_z formula.falsified(z)`` over all of ``{0,1}^n``."""
    return min(
        formula.falsified(z) for z in itertools.product((0, 1), repeat=formula.num_vars)
    )
