"""Run the ``drup`` proof check in a separate process under a wall-clock limit.

The ``drup`` proof checker is a compiled library that runs to completion: it has no
interrupt. To bound a check we run it in a child Python process and kill that process when
the limit passes. A check that did not finish reports ``finished=False``; callers turn that
into "not checked", never into a verdict. (The python-sat solvers and RC2 need no child:
they are interrupted in-process, see :mod:`reluinv.oracles.pysat_layer`.)

The child is a fresh isolated interpreter (``python -I``) running
:mod:`reluinv.oracles._tasks` as a script; it imports only drup, so it starts in well under
a second, and it never re-runs the caller's ``__main__`` module (as ``multiprocessing``
would) nor inherits the caller's threads (as ``fork`` would). Arguments and results travel
pickled through the child's standard input and output.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reluinv.oracles._tasks import TASKS

__all__ = ["ChildOutcome", "run_bounded"]

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
            [sys.executable, "-I", str(_TASKS_SCRIPT)],
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
