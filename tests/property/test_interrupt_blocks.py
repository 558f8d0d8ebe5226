"""Nested ``stop_on_interrupt`` blocks against a small model of what they must do.

Drawn: the nesting depth (1-3), per level how many stops it registers (0-2), at which
level (if any) a SIGINT arrives, whether the innermost "solver" then fails (with an
ordinary error or python-sat's interrupt error), and whether the replaced handler is
Python's default or one of the caller's own. The model: the outermost block raises
KeyboardInterrupt exactly when a SIGINT arrived or python-sat reported one; every stop
registered at the moment of the signal is called (and no other, and none without a
signal); a caller's own handler is called once per SIGINT, also for the one python-sat
caught itself; an ordinary error with no
signal propagates unchanged; the handler and the wakeup descriptor are restored.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from reluinv.interrupts import INTERRUPTED_MESSAGE, stop_on_interrupt

STOP_SECONDS = 30.0
PysatError = type("error", (Exception,), {"__module__": "pysolvers"})


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[int], int | None, str, bool]:
    depth = draw(st.integers(1, 3))
    stops = draw(st.lists(st.integers(0, 2), min_size=depth, max_size=depth))
    signal_level = draw(st.none() | st.integers(0, depth - 1))
    failure = draw(st.sampled_from(["none", "error", "pysat"]))
    own_handler = draw(st.booleans())
    return stops, signal_level, failure, own_handler


@given(scenarios())
def test_nested_blocks_follow_the_model(
        scenario: tuple[list[int], int | None, str, bool]) -> None:
    stops_per_level, signal_level, failure, own_handler = scenario
    seen: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    replaced = record if own_handler else signal.default_int_handler
    previous = signal.signal(signal.SIGINT, replaced)
    events = [[threading.Event() for _ in range(n)] for n in stops_per_level]
    raised: BaseException | None = None
    try:
        with contextlib.ExitStack() as stack:
            for level, level_events in enumerate(events):
                stack.enter_context(stop_on_interrupt(*(e.set for e in level_events)))
                if level == signal_level:
                    signal.raise_signal(signal.SIGINT)
                    for registered in events[:level + 1]:
                        for stopped in registered:
                            assert stopped.wait(STOP_SECONDS)
            if failure == "error":
                raise RuntimeError("the solver failed")
            if failure == "pysat":
                raise PysatError(INTERRUPTED_MESSAGE)
    except BaseException as exc:  # the model decides what was right
        raised = exc
    finally:
        restored = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, previous)
        wakeup = signal.set_wakeup_fd(-1)

    interrupted = signal_level is not None or failure == "pysat"
    event(f"signal at level {signal_level}" if signal_level is not None
          else f"no signal, failure {failure}")
    if interrupted:
        assert isinstance(raised, KeyboardInterrupt), raised
    elif failure == "error":
        assert isinstance(raised, RuntimeError)
    else:
        assert raised is None
    called = {(level, i) for level, level_events in enumerate(events)
              for i, e in enumerate(level_events) if e.is_set()}
    expected = ({(level, i) for level, n in enumerate(stops_per_level) if level <= signal_level
                 for i in range(n)} if signal_level is not None else set())
    assert called == expected
    assert seen == ([signal.SIGINT] if own_handler and interrupted else [])
    assert restored is replaced
    assert wakeup == -1


@pytest.mark.parametrize("depth", [1, 3])
def test_no_watcher_thread_outlives_the_blocks(depth: int) -> None:
    with contextlib.ExitStack() as stack:
        for _ in range(depth):
            stack.enter_context(stop_on_interrupt())
        assert sum(t.name == "reluinv-sigint" for t in threading.enumerate()) == 1
    assert all(t.name != "reluinv-sigint" for t in threading.enumerate())
