"""Test configuration: hypothesis settings profiles, and the tests marked slow by table.

``dev`` (the default) is quick; ``ci`` runs more examples and is chosen automatically when
the ``CI`` environment variable is set. ``HYPOTHESIS_PROFILE`` overrides both.

Speed tiers: a plain ``pytest`` (``make test-fast``) deselects the tests marked ``slow``
(pyproject's ``addopts`` hold ``-m "not slow"``) and executes no notebook; ``make test``
runs them all (``--nbmake -m ""``). A test is slow when it takes more than about 1.5 s on
two cores (``pytest --durations``), or up to several seconds depending on what hypothesis
draws. Tests in most files carry ``@pytest.mark.slow``; the ones below are marked from here.
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

#: Slow tests marked by node id (all parametrizations of a test when the id has none), with
#: the seconds measured on two cores: time-limit and process-killing tests that wait on
#: purpose, and property tests whose cost depends on the examples drawn.
SLOW_TESTS: dict[str, str] = {
    "tests/property/test_exact_integer_networks.py::test_lp_tightened_bounds_keep_the_optimum":
        "1 to 8 s",
    "tests/property/test_exact_planted.py::test_expanding_network_has_a_unique_preimage":
        "1 to 3 s each",
    "tests/unit/test_exact_maxsat.py::test_a_unit_with_too_many_values_is_refused": "2.2 to 2.5 s",
    "tests/unit/test_exact_maxsat.py::test_time_limit_without_a_hint_is_unknown": "2.1 s",
    "tests/unit/test_exact_maxsat.py::test_time_limit_with_a_hint_keeps_it_as_the_verified"
    "_incumbent": "2.0 to 2.3 s",
    "tests/unit/test_exact_contract.py::test_time_limit_with_an_incumbent_gives_feasible_with_a"
    "_lower_bound[maxsat]": "2.0 to 2.3 s",
    "tests/integration/test_validate.py::test_workers_do_not_outlive_a_killed_run": "2.3 to 2.9 s",
    "tests/integration/test_validate.py::test_killed_process_leaves_a_valid_file_and_resume"
    "_completes": "1.8 to 2.0 s",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid in SLOW_TESTS or item.nodeid.split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
