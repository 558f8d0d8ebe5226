"""Ctrl-C during a solver call: stop the solver at once, then raise ``KeyboardInterrupt``.

Why this module exists
----------------------
The compiled solvers reluinv calls handle SIGINT themselves, each differently, and none
of them tells Python (measured with OR-Tools 9.15 and python-sat 1.9 on an unsatisfiable
random 3-SAT formula, n = 50 or 250, SIGINT sent one to two seconds into the call):

* **CP-SAT** (``catch_sigint_signal``, on by default) stops and returns ``UNKNOWN``, then
  resets the process's SIGINT action to ``SIG_DFL``: the *next* Ctrl-C kills the
  interpreter outright (exit -2, no cleanup, records lost).
* **SCIP** (``misc/catchctrlc``, on by default) prints "pressed CTRL-C 1 times" to stdout
  and stops; OR-Tools reports the interrupted solve as ``ABNORMAL``.
* **python-sat** solvers called without ``expect_interrupt`` install their own handler,
  jump out of the search and raise ``pysolvers.error("Caught keyboard interrupt")``, an
  ordinary :class:`Exception`; with ``expect_interrupt=True`` they leave SIGINT to Python
  but keep searching to the end of the call, so the Ctrl-C waits for the answer.

So an interrupted solve came back as UNKNOWN, ABNORMAL or an internal error, and the run
carried on or misreported. The rule here: **an interrupted solve never yields a status**;
it raises :class:`KeyboardInterrupt`, which the command line turns into exit 130.

How
---
:func:`stop_on_interrupt` wraps one solver call (the solvers are configured not to catch
SIGINT themselves where they have the option: CP-SAT's ``catch_sigint_signal = False``,
SCIP's ``misc/catchctrlc = FALSE``). Inside the block

1. a Python handler notes a SIGINT instead of raising at once, so the solver's own
   clean-up runs and its answer is dropped rather than half-read;
2. Python's C-level handler writes the signal number to a pipe
   (:func:`signal.set_wakeup_fd`) *even while the main thread is blocked in the solver*;
   a watcher thread reading that pipe calls the block's ``stops`` (CP-SAT's
   ``stop_search``, ``InterruptSolve``, python-sat's ``interrupt()``), which make the
   call return within the solver's next check (milliseconds to a fraction of a second);
3. on leaving the block, the previous handler and wakeup descriptor are restored and
   :class:`KeyboardInterrupt` is raised (a handler of the caller's own that the block
   replaced is called first);
4. an exception the solver library raises *because of* SIGINT (python-sat's, see
   :func:`is_library_interrupt`) becomes :class:`KeyboardInterrupt`.

What stays slow: **HiGHS through pywraplp** (the MIP backend's second opinion on an
INFEASIBLE, :func:`reluinv.exact.mip.confirm_infeasible`, and ``mip_solver="HIGHS"``)
has no working stop in OR-Tools 9.15 (``InterruptSolve`` returns False); it does not
catch SIGINT either, so a Ctrl-C during it takes effect, as KeyboardInterrupt, when that
solve returns. The LP solvers of the layer-wise stage (cvxopt, HiGHS inside SciPy) and
GLOP leave SIGINT to Python too; their calls last at most about a second.

Blocks nest: the outermost one installs the handler and the watcher, inner ones add their
``stops``. Outside the main thread (signals reach Python only there) and where SIGINT is
ignored (the validation pool's workers and the forked children of
:mod:`reluinv.oracles._bounded`, whose parent decides), the block only does step 4.

>>> with stop_on_interrupt():
...     1 + 1
2
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["INTERRUPTED_MESSAGE", "Terminated", "is_library_interrupt", "stop_on_interrupt",
           "terminate_as_interrupt"]

#: The text python-sat's compiled solvers raise when their own SIGINT handler fired.
INTERRUPTED_MESSAGE = "Caught keyboard interrupt"

Stop = Callable[[], Any]


def is_library_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is a solver library's report of a SIGINT it caught itself.

    python-sat raises ``pysolvers.error("Caught keyboard interrupt")`` (a plain
    :class:`Exception` subclass) when a solve that did not ``expect_interrupt`` is hit by
    Ctrl-C; nothing else raises that type with that text.

    >>> is_library_interrupt(ValueError("Caught keyboard interrupt"))
    False
    """
    kind = type(exc)
    return (kind.__module__ == "pysolvers" and kind.__name__ == "error"
            and str(exc).strip() == INTERRUPTED_MESSAGE)


class _Watch:
    """The state of the outermost active block: the handler and wakeup descriptor it
    replaced, the pipe, the watcher thread, and the ``stops`` of every nested block."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.noted = threading.Event()
        self.stops: list[Stop] = []
        self.lock = threading.Lock()
        self.reader, self.writer = os.pipe()
        os.set_blocking(self.writer, False)
        self.previous_fd = -1
        self.thread = threading.Thread(target=self._watch, name="reluinv-sigint",
                                       daemon=True)

    def note(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler: remember the SIGINT (the watcher stops the solver)."""
        self.noted.set()

    def stop_all(self) -> None:
        """Ask every registered solver to stop; a solver that already finished ignores it."""
        self.noted.set()
        with self.lock:
            stops = list(self.stops)
        for stop in stops:
            with contextlib.suppress(Exception):  # a stop on a finished solver is harmless
                stop()

    def _watch(self) -> None:
        """Read signal numbers from the wakeup pipe until the closing byte ``0``."""
        while True:
            try:
                data = os.read(self.reader, 64)
            except OSError:
                return
            if not data:
                return
            if self.previous_fd >= 0:  # keep feeding a descriptor someone else installed
                with contextlib.suppress(OSError):
                    os.write(self.previous_fd, bytes(b for b in data if b))
            if int(signal.SIGINT) in data:
                self.stop_all()
            if 0 in data:
                return

    def start(self) -> None:
        """Install the handler and the wakeup descriptor, start the watcher."""
        signal.signal(signal.SIGINT, self.note)
        self.previous_fd = signal.set_wakeup_fd(self.writer, warn_on_full_buffer=False)
        self.thread.start()

    def close(self) -> None:
        """Restore what :meth:`start` replaced, end the watcher, close the pipe."""
        signal.set_wakeup_fd(self.previous_fd, warn_on_full_buffer=False)
        signal.signal(signal.SIGINT, self.previous)
        with contextlib.suppress(OSError):
            os.write(self.writer, b"\0")
        self.thread.join()
        os.close(self.reader)
        os.close(self.writer)


_active: _Watch | None = None


def _watching_possible() -> bool:
    """Signals reach Python's main thread only, an ignored SIGINT is left ignored, and
    the wakeup pipe is a POSIX pipe."""
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return False
    return signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, None)


def _deliver(previous: Any) -> None:
    """Hand a noted SIGINT to a handler of the caller's own that the outermost block
    replaced (Python's default one would only raise what the block raises anyway)."""
    if callable(previous) and previous is not signal.default_int_handler:
        previous(int(signal.SIGINT), None)


@contextlib.contextmanager
def stop_on_interrupt(*stops: Stop) -> Iterator[None]:
    """Run one solver call so that Ctrl-C stops it promptly and raises KeyboardInterrupt.

    Parameters
    ----------
    *stops:
        Thread-safe callables that make the running call return early (CP-SAT's
        ``stop_search``, ``pywraplp.Solver.InterruptSolve``, python-sat's ``interrupt``
        when the call passes ``expect_interrupt=True``). Called from the watcher thread
        on SIGINT; none is needed for a call whose library raises on SIGINT itself.

    Raises
    ------
    KeyboardInterrupt
        When SIGINT arrived during the block (also after the call finished normally, or
        when the stopped solver then failed: whatever it returned is dropped), or the
        library reported catching it. A handler of the caller's own that the block
        replaced is called first; if it returns, the block still raises, because the
        stopped call has no answer to give.

    Notes
    -----
    The solver must not catch SIGINT itself (see the module docstring): a library
    handler replaces Python's at the C level and this block would never hear of it.
    """
    global _active
    outermost = _active is None and _watching_possible()
    watch = _Watch(signal.getsignal(signal.SIGINT)) if outermost else _active
    if watch is not None:
        with watch.lock:
            watch.stops.extend(stops)
        if outermost:
            watch.start()
            _active = watch
    failure: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, GeneratorExit):
            raise
        failure = exc
    finally:
        if watch is not None:
            with watch.lock:
                for stop in stops:
                    watch.stops.remove(stop)
            if outermost:
                _active = None
                watch.close()
    if watch is not None and failure is not None and is_library_interrupt(failure):
        watch.noted.set()  # the library heard the SIGINT: an outer block delivers it too
    noted = watch is not None and watch.noted.is_set()
    if noted or (failure is not None and is_library_interrupt(failure)):
        if outermost and watch is not None:
            _deliver(watch.previous)
        raise KeyboardInterrupt from failure
    if failure is not None:
        raise failure


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread inside :func:`terminate_as_interrupt`.

    A :class:`KeyboardInterrupt`, so the clean stop written for Ctrl-C runs for it too;
    its own type lets the caller tell the two apart (exit 143 rather than 130)."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread instead of
    ending the process at once, so a long run (``reluinv validate``) stops as on Ctrl-C:
    its workers stopped, its message printed. The previous SIGTERM action is restored on
    leaving the block.

    Meant for a main thread that waits on workers, not one inside a solver call: a Python
    handler runs only between bytecodes, so a SIGTERM during a compiled solve would wait
    for the solve to end, where the default action ends the process at once. Outside the
    main thread, and where SIGTERM is ignored, the block changes nothing.

    >>> with terminate_as_interrupt():
    ...     signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    True
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN:
        yield
        return

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:  # an action installed outside Python reads as None: the default stands in
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
