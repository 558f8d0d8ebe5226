"""The linear-programming solver of the layer-wise stage, imported on first use.

Every LP of the layer-wise inverter and of its Farkas certificates goes to HiGHS through
:func:`scipy.optimize.linprog`. Importing :mod:`scipy.optimize` takes about a third of a
second, which every ``reluinv`` command would pay at start-up (``reluinv verify`` on a
small instance spends more time importing than verifying), so it is imported here, when
the first LP is solved.
"""

from __future__ import annotations

from typing import Any

__all__ = ["linprog"]


def linprog(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.linprog` with the same arguments, imported on first call."""
    from scipy.optimize import linprog as scipy_linprog

    return scipy_linprog(*args, **kwargs)
