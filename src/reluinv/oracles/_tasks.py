"""The one call that may run in a separate interpreter: the ``drup`` proof check.

``drup`` is compiled code with no interrupt, so :mod:`reluinv.oracles._bounded` runs it in
a child process that it can end at a time limit. Small proofs are the exception: up to
:data:`~reluinv.oracles.rupcheck.DRUP_IN_PROCESS_UP_TO` (``lemmas * (clauses + lemmas)``)
:func:`~reluinv.oracles.rupcheck.check_refutation` calls :func:`drup_accepts` in its own
process, where the check takes less time than starting a child would (a time limit is
then overrun by at most that check's time, measured there). Every python-sat call (SAT
solvers, RC2) runs in-process and is stopped by ``interrupt()``
(:mod:`reluinv.oracles.pysat_layer`).

The child is started with its parent's process id as its one argument: it asks Linux to
kill it when that parent dies (:func:`die_with_parent`), so a check never outlives the
process that asked for it, however that process ends (SIGKILL included).

This module imports only ``drup`` (never the reluinv package, whose import pulls in numpy
and more), so the child starts within milliseconds. Run as a script it reads
``(task name, arguments)`` pickled on standard input and writes ``("value", result)`` or
``("error", text)`` pickled on standard output.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any

#: ``prctl`` option that sets the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have Linux kill this process with SIGKILL when its parent dies (``PR_SET_PDEATHSIG``,
    set here, in the child itself), and end now if ``parent`` is already gone (it died
    between the start of this process and the ``prctl`` call, so no signal will come).
    Where ``prctl`` does not exist (not Linux) only the second test is made."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def drup_accepts(clauses: list[list[int]], lemmas: list[list[int]]) -> bool:
    """Whether the ``drup`` checker accepts ``lemmas`` (no deletions) as a refutation."""
    import drup

    return bool(drup.check_proof(clauses, lemmas).outcome == drup.Outcome.VALID)


TASKS: dict[str, Callable[..., Any]] = {
    "drup_accepts": drup_accepts,
}
"""The functions a child process may be asked to run, by name."""


def _main() -> None:
    if len(sys.argv) > 1:
        die_with_parent(int(sys.argv[1]))
    name, args = pickle.load(sys.stdin.buffer)
    reply: tuple[str, Any]
    try:
        reply = ("value", TASKS[name](*args))
    except Exception as exc:  # reported to the parent, which decides
        reply = ("error", f"{type(exc).__name__}: {exc}")
    pickle.dump(reply, sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
