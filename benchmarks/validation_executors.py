"""Validation executors: the local pool against Dask, 1 and 2 workers, on small instances.

Run from the repository root:

    .venv/bin/python benchmarks/validation_executors.py --instances 200 --repeats 3

Instances: ``--instances`` random 3-CNF formulas with k = 6..10 variables at clause ratio
4.26 (seeded), checked by the real :func:`reluinv.check_instance` (time limit 30 s, none
is reached). Configurations, interleaved ``--repeats`` times in one process, each timing
one whole ``run_validation`` (discovery, hashing, every record appended and fsynced):

* ``in-process``: ``check_instance`` called in a loop, no run at all (the floor);
* ``local N``: the local pool with N workers (each serves up to 100 instances);
* ``fork N``: the local pool forking a process per instance (``tasks_per_worker=1``);
* ``dask N``: a Dask ``LocalCluster`` of N worker processes (one thread each), started
  before the timing (its start-up is reported on its own).

Prints the median wall time per configuration, the ratios the issue asks about (Dask 2 /
local 2, local 1 / local 2, dask 1 / dask 2, fork / local), and the fitted model
``T(n, W) = n * (c / W + s)`` (c: seconds of one check in a worker, s: serial seconds per
instance in the one process that writes the file), from which ``N`` machines of ``w``
workers give ``T = n * (c / (N w) + s)`` until ``N w = c / s``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.common import Table, load_average, machine_info, median
from reluinv import write_dimacs
from reluinv.validation.check import check_instance
from reluinv.validation.executors import DaskExecutor, Executor, LocalPoolExecutor
from reluinv.validation.generators import random_kcnf
from reluinv.validation.runner import ValidationOptions, discover, run_validation


def write_instances(folder: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for i in range(count):
        k = 6 + i % 5
        write_dimacs(random_kcnf(k, round(4.26 * k), rng=rng), folder / f"r{i:04d}.cnf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    import distributed

    info = machine_info()
    print(f"{info.get('cpu')}, {os.cpu_count()} cores, load average {load_average()}")
    options = ValidationOptions(time_limit=30)
    with tempfile.TemporaryDirectory(prefix="reluinv-bench-") as tmp:
        folder = Path(tmp) / "instances"
        folder.mkdir()
        write_instances(folder, args.instances, args.seed)
        files = discover([folder])
        started = time.perf_counter()
        clusters = {w: distributed.LocalCluster(n_workers=w, threads_per_worker=1,
                                                processes=True, dashboard_address=":0")
                    for w in (1, 2)}
        startup = (time.perf_counter() - started) / 2
        try:
            def run_with(executor: Executor) -> Callable[[], None]:
                def go() -> None:
                    records = run_validation([folder], out=Path(tmp) / "r.jsonl",
                                             options=options, executor=executor)
                    assert {r["verdict"] for r in records} == {"agree"}, "not all agree"
                return go

            def in_process() -> None:
                for path in files:
                    check_instance(path, time_limit=30)

            configs: dict[str, Callable[[], None]] = {
                "in-process": in_process,
                "local 1": run_with(LocalPoolExecutor(1)),
                "local 2": run_with(LocalPoolExecutor(2)),
                "fork 1": run_with(LocalPoolExecutor(1, tasks_per_worker=1)),
                "fork 2": run_with(LocalPoolExecutor(2, tasks_per_worker=1)),
                "dask 1": run_with(DaskExecutor(clusters[1].scheduler_address)),
                "dask 2": run_with(DaskExecutor(clusters[2].scheduler_address)),
            }
            configs["in-process"]()  # warm the parent: imports, solver set-up
            times: dict[str, list[float]] = {name: [] for name in configs}
            for repeat in range(args.repeats):
                for name, go in configs.items():
                    t0 = time.perf_counter()
                    go()
                    times[name].append(time.perf_counter() - t0)
                print(f"repeat {repeat + 1}: " + ", ".join(
                    f"{name} {times[name][-1]:.2f} s" for name in configs), flush=True)
        finally:
            for cluster in clusters.values():
                cluster.close()
    n = args.instances
    med = {name: median(values) for name, values in times.items()}
    table = Table(f"Validation executors, {n} instances, median of {args.repeats}",
                  ["configuration", "wall s", "ms / instance", "instances / s"])
    table.header()
    for name, seconds in med.items():
        table.add({"configuration": name, "wall s": seconds,
                   "ms / instance": 1000 * seconds / n, "instances / s": n / seconds})
    print(f"\nLocalCluster start-up: {startup:.2f} s per cluster (not in the times above)")
    ratios = {
        "dask 2 / local 2 (target <= 1.2)": med["dask 2"] / med["local 2"],
        "dask 1 / local 1": med["dask 1"] / med["local 1"],
        "local 1 / local 2 (speed-up from the second worker)": med["local 1"] / med["local 2"],
        "dask 1 / dask 2": med["dask 1"] / med["dask 2"],
        "fork-per-instance 1 / local 1 (before / after)": med["fork 1"] / med["local 1"],
        "fork-per-instance 2 / local 2": med["fork 2"] / med["local 2"],
        "local 1 / in-process": med["local 1"] / med["in-process"],
    }
    for label, value in ratios.items():
        print(f"{label}: {value:.3f}")
    for kind in ("local", "dask"):
        # T(W) = n (c / W + s): two equations, W = 1 and 2
        t1, t2 = med[f"{kind} 1"] / n, med[f"{kind} 2"] / n
        c, s = 2 * (t1 - t2), 2 * t2 - t1
        if c <= 0 or s <= 0:  # the second worker did not help, or more than doubled speed
            print(f"model {kind}: not identifiable from these times (1 worker {1000 * t1:.1f}"
                  f" ms, 2 workers {1000 * t2:.1f} ms per instance; is the machine shared?)")
            continue
        print(f"model {kind}: c = {1000 * c:.1f} ms per check, s = {1000 * s:.2f} ms serial "
              f"per instance; throughput stops growing near {c / s:.1f} workers")
    print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
