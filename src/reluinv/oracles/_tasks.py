"""The one call that runs in a separate interpreter: the ``drup`` proof check.

``drup`` is compiled code with no interrupt, so :mod:`reluinv.oracles._bounded` runs it in
a child process that it can end at a time limit. Every python-sat call (SAT solvers, RC2)
runs in-process instead and is stopped by ``interrupt()``
(:mod:`reluinv.oracles.pysat_layer`).

This module imports only ``drup`` (never the reluinv package, whose import pulls in numpy
and more), so the child starts within milliseconds. Run as a script it reads
``(task name, arguments)`` pickled on standard input and writes ``("value", result)`` or
``("error", text)`` pickled on standard output.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from typing import Any


def drup_accepts(clauses: list[list[int]], lemmas: list[list[int]]) -> bool:
    """Whether the ``drup`` checker accepts ``lemmas`` (no deletions) as a refutation."""
    import drup

    return bool(drup.check_proof(clauses, lemmas).outcome == drup.Outcome.VALID)


TASKS: dict[str, Callable[..., Any]] = {
    "drup_accepts": drup_accepts,
}
"""The functions a child process may be asked to run, by name."""


def _main() -> None:
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
