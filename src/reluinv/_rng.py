"""The one rule for randomness in reluinv: every random function takes an explicit
``numpy.random.Generator``, so every result can be reproduced from its seed."""

from __future__ import annotations

import numpy as np

__all__ = ["check_rng"]


def check_rng(rng: object) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``; raise ``TypeError`` otherwise."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng
