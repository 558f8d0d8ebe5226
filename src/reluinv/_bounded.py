"""Run a function in a child process under a wall-clock limit.

Some of the tools reluinv calls cannot be interrupted from Python: the ``drup`` proof
checker is a compiled library that runs to completion, CaDiCaL (as python-sat exposes it)
has no interrupt, and RC2 has no time limit. To bound such a call we run it in a child
process and end that process when the limit passes. A call that did not finish reports
``finished=False``; callers turn that into an UNKNOWN answer, never into a verdict.

Children are started by the ``forkserver`` method: forking from a small server process that
has already imported reluinv costs milliseconds, and unlike a plain ``fork`` it does not copy
the threads (solver timers, OR-Tools workers) of the calling process.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

__all__ = ["ChildOutcome", "run_bounded"]

T = TypeVar("T")

_PRELOAD = ["reluinv"]


@dataclass(frozen=True)
class ChildOutcome(Generic[T]):
    """What a bounded call gave back.

    Attributes
    ----------
    finished:
        True when the child returned a value or raised before the limit.
    value:
        The returned value (``None`` when not finished or when the child raised).
    error:
        ``None`` on success; otherwise a one-line description of the exception the child
        raised, or of its abnormal end (for example killed by a signal, out of memory).
    seconds:
        Wall-clock seconds from start to the answer (or to the limit).
    """

    finished: bool
    value: T | None
    error: str | None
    seconds: float


def _child_main(connection: Connection, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        value = target(*args)
    except BaseException as exc:  # reported to the parent, which decides
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        connection.send(("value", value))
    connection.close()


def run_bounded(
    target: Callable[..., T], args: tuple[Any, ...], *, time_limit: float
) -> ChildOutcome[T]:
    """Call ``target(*args)`` in a child process; end the child after ``time_limit`` seconds.

    ``target`` and its arguments must be picklable (a module-level function). The child is
    always joined before returning, so no process outlives the call.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    start = time.perf_counter()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, target, args), daemon=True)
    child.start()
    sender.close()
    try:
        ready = receiver.poll(max(0.0, time_limit))
        if not ready:
            child.terminate()
            child.join()
            return ChildOutcome(False, None, None, time.perf_counter() - start)
        try:
            kind, payload = receiver.recv()
        except EOFError:
            child.join()
            return ChildOutcome(
                True, None, f"the child process ended with exit code {child.exitcode}",
                time.perf_counter() - start,
            )
        child.join()
        seconds = time.perf_counter() - start
        if kind == "error":
            return ChildOutcome(True, None, str(payload), seconds)
        return ChildOutcome(True, payload, None, seconds)
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
            child.join()
