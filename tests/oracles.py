"""The test oracles now live in the public module :mod:`reluinv.testing`; this module
re-exports them for older imports. New tests import :mod:`reluinv.testing`."""

from __future__ import annotations

from reluinv.testing import *  # noqa: F403
from reluinv.testing import __all__  # noqa: F401
