"""``reluinv.interrupts.stop_on_interrupt``: a SIGINT during the block stops the solver
through its ``stops`` and raises KeyboardInterrupt when the block ends; what the block
replaced (handler, wakeup descriptor) is back afterwards.

Every test here runs under a recording SIGINT handler (the ``recorded`` fixture), so a
signal that escapes a broken block is noted instead of ending the test session; the
real solvers are interrupted in child processes by ``tests/integration/test_interrupts``.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from reluinv.interrupts import INTERRUPTED_MESSAGE, is_library_interrupt, stop_on_interrupt

#: Seconds a test waits for the watcher thread to call a stop (it takes microseconds).
STOP_SECONDS = 30.0


@pytest.fixture
def recorded() -> Iterator[list[int]]:
    """Install a SIGINT handler that records the signals it gets; restore the old one."""
    seen: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _pysat_error() -> Exception:
    """An exception of the kind python-sat raises after catching SIGINT itself."""
    kind = type("error", (Exception,), {"__module__": "pysolvers"})
    return kind(INTERRUPTED_MESSAGE)  # type: ignore[no-any-return]


def _wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def _interrupted_call(*stopped: threading.Event, failure: Exception | None = None) -> None:
    """A "solver call" hit by SIGINT: it returns only when every ``stopped`` is set (the
    watcher thread must call the stops), then fails with ``failure`` if given."""
    signal.raise_signal(signal.SIGINT)
    for event in stopped:
        assert event.wait(STOP_SECONDS)
    if failure is not None:
        raise failure


def test_sigint_calls_the_stop_then_raises(recorded: list[int]) -> None:
    stopped = threading.Event()
    with pytest.raises(KeyboardInterrupt), stop_on_interrupt(stopped.set):
        _interrupted_call(stopped)
    assert recorded == [signal.SIGINT]  # delivered once, to the replaced handler, at exit


def test_no_sigint_no_stop_and_everything_restored(recorded: list[int]) -> None:
    stopped = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    with stop_on_interrupt(stopped.set):
        assert signal.getsignal(signal.SIGINT) is not before
    assert not stopped.is_set()
    assert signal.getsignal(signal.SIGINT) is before
    assert _wakeup_fd() == -1
    assert recorded == []
    assert threading.active_count() == 1 or all(
        t.name != "reluinv-sigint" for t in threading.enumerate())


def test_restored_after_an_interrupt(recorded: list[int]) -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), stop_on_interrupt():
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    assert _wakeup_fd() == -1
    assert all(t.name != "reluinv-sigint" for t in threading.enumerate())


def test_default_handler_raises_keyboard_interrupt() -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), stop_on_interrupt():
            signal.raise_signal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_stopped_solvers_failure_becomes_the_interrupt(recorded: list[int]) -> None:
    # SCIP stopped by InterruptSolve may end with a status the caller calls a failure
    with pytest.raises(KeyboardInterrupt) as caught, stop_on_interrupt():
        _interrupted_call(failure=RuntimeError("status ABNORMAL"))
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_nested_blocks_stop_every_solver_and_raise_once(recorded: list[int]) -> None:
    outer, inner = threading.Event(), threading.Event()
    with pytest.raises(KeyboardInterrupt), stop_on_interrupt(outer.set), \
            stop_on_interrupt(inner.set):
        _interrupted_call(inner, outer)
    assert recorded == [signal.SIGINT]


def test_library_interrupt_becomes_keyboard_interrupt(recorded: list[int]) -> None:
    with pytest.raises(KeyboardInterrupt) as caught, stop_on_interrupt():
        raise _pysat_error()
    assert is_library_interrupt(caught.value.__cause__)  # type: ignore[arg-type]


@pytest.mark.parametrize("exc", [
    ValueError(INTERRUPTED_MESSAGE),                                 # right text, wrong type
    type("error", (Exception,), {"__module__": "pysolvers"})("x"),  # right type, wrong text
])
def test_other_errors_pass_through(exc: Exception, recorded: list[int]) -> None:
    assert not is_library_interrupt(exc)
    with pytest.raises(type(exc)), stop_on_interrupt():
        raise exc


def test_ignored_sigint_stays_ignored() -> None:
    stopped = threading.Event()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with stop_on_interrupt(stopped.set):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)
        assert not stopped.is_set()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_outside_the_main_thread_only_library_errors_are_translated(
        recorded: list[int]) -> None:
    outcome: list[Any] = []

    def work() -> None:
        with stop_on_interrupt():
            outcome.append(signal.getsignal(signal.SIGINT))
        try:
            with stop_on_interrupt():
                raise _pysat_error()
        except KeyboardInterrupt:
            outcome.append("interrupt")

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == [before, "interrupt"]


def _c_level_sigint_handler() -> int:
    """The SIGINT handler address the kernel holds for this process (0 is SIG_DFL)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(256)  # struct sigaction; sa_handler comes first
    assert libc.sigaction(int(signal.SIGINT), None, buffer) == 0
    return int.from_bytes(buffer.raw[:ctypes.sizeof(ctypes.c_void_p)], "little")


@pytest.mark.parametrize("threads", [1, 2])
def test_cpsat_leaves_the_sigint_action_alone(threads: int, recorded: list[int]) -> None:
    """CP-SAT's own handler (``catch_sigint_signal``) resets SIGINT to SIG_DFL when a
    solve ends, so the next Ctrl-C would kill the interpreter: after a solve through the
    backend the kernel still holds Python's handler (the backend turns CP-SAT's off, and
    the block reinstates the handler it replaced in any case)."""
    import numpy as np

    import reluinv as ri

    before = _c_level_sigint_handler()
    formula = ri.parse_dimacs("p cnf 3 3\n1 2 0\n-1 3 0\n-3 -2 0\n")
    result = ri.solve_exact(ri.encode(formula), backend="cpsat", objective="l1",
                            threads=threads)
    assert result.status is ri.Status.OPTIMAL
    assert result.message.startswith("CP-SAT")  # the solver ran (no shortcut answered)
    assert _c_level_sigint_handler() == before != 0
    assert np.isfinite(result.seconds)


def test_a_library_interrupt_outside_a_block_is_exit_130(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The command line's last resort: python-sat's interrupt error raised by a call no
    block guards is an interruption (130, one line), not an internal error (2)."""
    import io

    from reluinv.cli import run
    from reluinv.cli import solve as solve_command

    def caught_by_pysat(*_: Any, **__: Any) -> None:
        raise _pysat_error()

    monkeypatch.setattr(solve_command, "solve_exact", caught_by_pysat)
    path = tmp_path / "f.cnf"
    path.write_text("p cnf 1 1\n1 0\n")
    out, err = io.StringIO(), io.StringIO()
    assert run(["solve", str(path)], stdout=out, stderr=err) == 130
    assert (out.getvalue(), err.getvalue()) == ("", "reluinv: interrupted\n")
