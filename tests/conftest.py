"""Test configuration: hypothesis settings profiles and the speed tiers.

``dev`` (the default) is quick; ``ci`` runs more examples and is chosen automatically when
the ``CI`` environment variable is set. ``HYPOTHESIS_PROFILE`` overrides both.

Speed tiers: a plain ``pytest`` (``make test-fast``) deselects the tests marked ``slow``
(pyproject's ``addopts`` hold ``-m "not slow"``) and executes no notebook; ``make test``
runs them all (``--nbmake -m ""``). A test is slow when it takes more than about 1.5 s on
two cores (``pytest --durations``), or up to several seconds depending on what hypothesis
draws. Such tests carry ``@pytest.mark.slow``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture
def layerwise_plain_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The layer-wise inverter with the null-space LP alone on undetermined layers (no
    Gauss-Newton through the layers below, no restarts): for tests whose instance must be
    one the layer-wise stage leaves ``INCONCLUSIVE`` (the exact stage's answers, the
    checks' ``not_applicable``), which the composed route now recovers."""
    from reluinv.layerwise import composed

    monkeypatch.setattr(composed, "COMPOSED_ROUNDS", 0)
    monkeypatch.setattr(composed, "COMPOSED_RESTARTS", 0)
