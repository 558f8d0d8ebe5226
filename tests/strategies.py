"""The hypothesis strategies now live in the public module :mod:`reluinv.strategies`; this
module re-exports them for older imports. New tests import :mod:`reluinv.strategies`."""

from __future__ import annotations

from reluinv.strategies import *  # noqa: F403
from reluinv.strategies import __all__  # noqa: F401
