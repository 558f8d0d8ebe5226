"""Check functions for exercising the validation runner without the solvers.

``brute_force_check`` is an honest, tiny check: it reads the formula and computes its
satisfiability and MaxSAT cost by enumerating {0,1}^k, so the runner's bookkeeping can be
tested on its own. The others misbehave on purpose.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from reluinv import read_dimacs
from reluinv.testing import brute_force_maxsat_cost


def brute_force_check(path: str, *, time_limit: float | None = None, family: str | None = None
                      ) -> dict[str, Any]:
    start = time.perf_counter()
    formula = read_dimacs(path)
    cost = brute_force_maxsat_cost(formula)
    seconds = time.perf_counter() - start
    return {"verdict": "agree", "satisfiable": cost == 0, "maxsat_cost": cost,
            "timings": {"brute_force": seconds}, "family": family}


def crashing_check(path: str, **kwargs: Any) -> dict[str, Any]:
    """Dies without a record on files whose name contains 'crash'."""
    if "crash" in os.path.basename(path):
        os._exit(3)
    return brute_force_check(path, **kwargs)


def hanging_check(path: str, **kwargs: Any) -> dict[str, Any]:
    """Never returns on files whose name contains 'hang'."""
    if "hang" in os.path.basename(path):
        time.sleep(3600)
    return brute_force_check(path, **kwargs)


def slow_check(path: str, **kwargs: Any) -> dict[str, Any]:
    """Takes a while per instance, so a run can be killed in the middle."""
    time.sleep(0.4)
    return brute_force_check(path, **kwargs)


def pid_check(path: str, **kwargs: Any) -> dict[str, Any]:
    """Records the id of the process that ran the check (to see workers being reused)."""
    return {**brute_force_check(path, **kwargs), "pid": os.getpid()}


def blas_threads_check(path: str, **kwargs: Any) -> dict[str, Any]:
    """Records the BLAS thread counts of the process that ran the check."""
    from threadpoolctl import threadpool_info

    threads = [int(pool["num_threads"]) for pool in threadpool_info()
               if pool["user_api"] == "blas"]
    return {**brute_force_check(path, **kwargs), "blas_threads": threads}


def worker_killing_check(path: str, **kwargs: Any) -> dict[str, Any]:
    """On files whose name contains 'killer', kills the process that started this one: on
    Dask, the worker running the task (so every attempt loses its worker). Never use it
    with the local pool, whose workers are started by the run itself."""
    if "killer" in os.path.basename(path):
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(60)
    return brute_force_check(path, **kwargs)
