"""The one deadline of a job, and the forked child that keeps uninterruptible work to it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from reluinv.deadline import MIN_STAGE_SECONDS, Deadline
from reluinv.errors import InvalidArgumentError
from reluinv.oracles._bounded import run_forked


def test_no_deadline_gives_no_limit_but_keeps_a_stage_cap() -> None:
    deadline = Deadline(None)
    assert deadline.left() is None
    assert deadline.left(cap=3.0) == 3.0
    assert deadline.remaining() is None
    assert not deadline.expired


def test_a_stage_gets_the_smaller_of_what_is_left_and_its_cap() -> None:
    deadline = Deadline(100.0)
    left = deadline.left()
    assert left is not None
    assert 99.0 < left <= 100.0
    assert deadline.left(cap=2.0) == 2.0


def test_a_passed_deadline_is_expired_and_still_gives_a_sliver(
        monkeypatch: pytest.MonkeyPatch) -> None:
    deadline = Deadline(5.0)
    later = time.monotonic() + 6.0
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert deadline.expired
    assert deadline.remaining() == 0.0
    assert deadline.left() == MIN_STAGE_SECONDS


@pytest.mark.parametrize("seconds", [0, -5, float("nan")])
def test_a_deadline_that_is_not_positive_is_refused(seconds: float) -> None:
    with pytest.raises(InvalidArgumentError, match="time_limit must be a positive number"):
        Deadline(seconds)


def test_infinity_is_no_deadline() -> None:
    assert Deadline(float("inf")).end is None


def produce_then_hang(count: int) -> Iterator[int]:
    yield from range(count)
    time.sleep(3600)


def test_forked_items_made_before_the_limit_are_kept() -> None:
    sent = run_forked(lambda: produce_then_hang(2), time_limit=0.2, grace=0.1)
    assert sent.items == [0, 1]
    assert not sent.finished
    assert sent.error is None


def test_a_forked_producer_that_ends_is_finished() -> None:
    sent = run_forked(lambda: iter([os.getpid(), "two"]), time_limit=None)
    assert sent.finished
    assert sent.items[1] == "two"
    assert sent.items[0] != os.getpid()  # it ran in another process


def raising() -> Iterator[int]:
    yield 1
    raise InvalidArgumentError("formula: rule broken")


def test_an_exception_in_the_child_is_raised_here_with_its_type() -> None:
    with pytest.raises(InvalidArgumentError, match="rule broken"):
        run_forked(raising, time_limit=30)


def dying() -> Iterator[int]:
    yield 1
    os._exit(7)


def test_a_child_that_dies_is_reported_not_finished_with_its_items() -> None:
    sent = run_forked(dying, time_limit=30)
    assert sent.items == [1]
    assert not sent.finished
    assert sent.error is not None
    assert "before it finished" in sent.error
