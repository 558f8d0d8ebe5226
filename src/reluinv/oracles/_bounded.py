"""Run the ``drup`` proof check in a separate process under a wall-clock limit.

The ``drup`` proof checker is a compiled library that runs to completion: it has no
interrupt. To bound a check we run it in a child Python process and kill that process when
the limit passes. A check that did not finish reports ``finished=False``; callers turn that
into "not checked", never into a verdict. (The python-sat solvers and RC2 need no child:
they are interrupted in-process, see :mod:`reluinv.oracles.pysat_layer`.)

Every child dies with its parent: it sets ``PR_SET_PDEATHSIG`` on itself (Linux), so a
parent that is killed in any way (SIGTERM, SIGINT, SIGKILL, the validation run's hard
kill of a worker) takes its children along, and a parent that returns or raises has
always killed and reaped them first.

The child is a fresh isolated interpreter (``python -I``) running
:mod:`reluinv.oracles._tasks` as a script; it imports only drup, so it starts in well under
a second, and it never re-runs the caller's ``__main__`` module (as ``multiprocessing``
would) nor inherits the caller's threads (as ``fork`` would). Arguments and results travel
pickled through the child's standard input and output.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reluinv.oracles._tasks import TASKS, die_with_parent

__all__ = ["FORK_GRACE_SECONDS", "ChildOutcome", "ForkedItems", "run_bounded", "run_forked"]

#: Seconds a forked stage may run past its limit before it is killed: a solver inside it
#: that stops at the limit (CP-SAT, SCIP, HiGHS) then still returns its answer.
FORK_GRACE_SECONDS = 0.5

_TASKS_SCRIPT = Path(__file__).with_name("_tasks.py")


@dataclass(frozen=True)
class ChildOutcome:
    """What a bounded call gave back.

    Attributes
    ----------
    finished:
        True when the child answered (with a value or an error) before the limit.
    value:
        The returned value (``None`` when not finished or on error).
    error:
        ``None`` on success; otherwise one line on the exception the task raised or on the
        child's abnormal end (killed by a signal, out of memory, unreadable answer).
    seconds:
        Wall-clock seconds from start to the answer (or to the limit).
    """

    finished: bool
    value: Any
    error: str | None
    seconds: float


def run_bounded(task: str, args: tuple[Any, ...], *, time_limit: float | None) -> ChildOutcome:
    """Run ``_tasks.TASKS[task](*args)`` in a child process, killed after ``time_limit``.

    ``time_limit=None`` waits as long as it takes. The child has always ended when this
    returns.
    """
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r}; known: {sorted(TASKS)}")
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            [sys.executable, "-I", str(_TASKS_SCRIPT), str(os.getpid())],
            input=pickle.dumps((task, args)),
            capture_output=True,
            timeout=time_limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ChildOutcome(False, None, None, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    try:
        kind, payload = pickle.loads(completed.stdout)
    except Exception:
        stderr = completed.stderr.decode(errors="replace").strip().splitlines()
        last = stderr[-1] if stderr else "no output"
        return ChildOutcome(
            True, None, f"the child process ended with code {completed.returncode}: {last}",
            seconds,
        )
    if kind == "error":
        return ChildOutcome(True, None, str(payload), seconds)
    return ChildOutcome(True, payload, None, seconds)


@dataclass(frozen=True)
class ForkedItems:
    """What a forked producer sent back before it ended or was killed.

    Attributes
    ----------
    items:
        The items received, in order (a prefix of what the producer yields).
    finished:
        True when the producer ran to its end (or raised) before the limit.
    error:
        ``None``, or one line on the child's abnormal end (killed by a signal, out of
        memory, an item that cannot be pickled).
    seconds:
        Wall-clock seconds from the fork to the last message (or to the limit).
    """

    items: list[Any]
    finished: bool
    error: str | None
    seconds: float


def run_forked(produce: Callable[[], Iterable[Any]], *, time_limit: float | None,
               grace: float = FORK_GRACE_SECONDS) -> ForkedItems:
    """Run ``produce()`` in a forked child, killed ``grace`` seconds after ``time_limit``;
    each item it yields is sent back as soon as it is made.

    For work that cannot be interrupted and whose inputs are too large to send to a fresh
    interpreter (dense linear algebra on a big network, building a model): the fork shares
    the parent's memory, and only the (small) items travel back, pickled through a pipe, so
    what finished before the limit is kept. The child sets ``PR_SET_PDEATHSIG`` and ignores
    SIGINT (a Ctrl-C reaches the parent, which decides and kills it). An exception raised
    by ``produce`` is sent back and re-raised here (as :class:`RuntimeError` with its text
    when it cannot be pickled). ``time_limit=None`` waits as long as it takes. The child
    has always ended when this returns (or raises, KeyboardInterrupt included).

    Fork safety: the child starts with only the calling thread, so the parent should hold
    no lock another thread might own (the validation check forks before any threaded
    solver runs in its own process); a child that hangs is killed at its limit like any
    other and reported unfinished.
    """
    start = time.monotonic()
    end = None if time_limit is None else start + time_limit + grace
    parent = os.getpid()
    reader, writer = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            reader.close()
            die_with_parent(parent)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                for item in produce():
                    writer.send(("item", item))
                writer.send(("done", None))
            except Exception as exc:
                try:
                    writer.send(("error", exc))
                except Exception:  # an unpicklable exception
                    writer.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        finally:
            os._exit(0)
    writer.close()
    items: list[Any] = []
    kind: str | None = None
    payload: Any = None
    try:
        while kind is None:
            wait = None if end is None else max(0.0, end - time.monotonic())
            if not reader.poll(wait):
                break
            message, payload = reader.recv()
            if message == "item":
                items.append(payload)
            else:
                kind = message
    except (EOFError, OSError, pickle.UnpicklingError):
        kind = "died"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        reader.close()
    seconds = time.monotonic() - start
    if kind == "error":
        raise payload if isinstance(payload, BaseException) else RuntimeError(str(payload))
    if kind == "died":
        code = os.waitstatus_to_exitcode(status)
        return ForkedItems(items, False, f"the child process ended with code {code} "
                           "before it finished", seconds)
    return ForkedItems(items, kind == "done", None, seconds)
