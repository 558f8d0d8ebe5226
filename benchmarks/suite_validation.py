"""Validation throughput: instances per second of ``run_validation`` with 1 and 2 workers.

The instances are the bundled set (:func:`reluinv.validation.bundled.bundled_instances`)
when it is installed, else ``examples/`` plus
random 3-CNF formulas at ratio 4.26 (``benchmarks/exact_vs_rc2.py``'s generator, seeded,
written to a temporary folder). Each configuration (binary-latent exact backend of
``check_instance``, number of workers) validates the same files with the same per-instance
time limit; the table gives wall-clock seconds, instances per second, the verdicts, and the
median share of an instance's time spent in each stage (from the records' ``timings``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import Table, median
from benchmarks.exact_vs_rc2 import random_3cnf
from reluinv import write_dimacs
from reluinv.validation.bundled import bundled_instances
from reluinv.validation.runner import ValidationOptions, run_validation

ROOT = Path(__file__).resolve().parent.parent


def instance_paths(folder: Path, quick: bool, seed: int) -> tuple[list[Path], str]:
    bundled = bundled_instances()
    if bundled.is_dir() and any(bundled.iterdir()):
        return [bundled], "the bundled set"
    ks = (20, 25) if quick else (20, 30, 40)
    paths: list[Path] = [ROOT / "examples"]
    for k in ks:
        rng = np.random.default_rng([seed, 426, k])
        for copy in range(1):
            path = folder / f"uf-{k}-{copy}.cnf"
            write_dimacs(random_3cnf(k, 4.26, rng), path)
            paths.append(path)
    return paths, f"examples/ + {len(paths) - 1} random 3-CNF (ratio 4.26, k in {ks})"


def run(quick: bool, seed: int) -> list[Table]:
    time_limit = 20.0 if quick else 30.0
    backends = ("maxsat",) if quick else ("maxsat", "cpsat")
    table = Table("Validation throughput (run_validation)",
                  ["instances", "binary backend", "workers", "time limit s", "records",
                   "wall s", "instances/s", "verdicts", "median exact_binary s",
                   "median exact_real s", "median sat+maxsat s"])
    table.header()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths, label = instance_paths(folder, quick, seed)
        for backend in backends:
            for workers in (1, 2):
                out = folder / f"results-{backend}-{workers}.jsonl"
                options = ValidationOptions(time_limit=time_limit,
                                            check_options={"binary_backend": backend})
                started = time.perf_counter()
                records = run_validation(paths, out=out, options=options, workers=workers)
                wall = time.perf_counter() - started
                verdicts: dict[str, int] = {}
                for record in records:
                    verdicts[record.get("verdict", "?")] = verdicts.get(
                        record.get("verdict", "?"), 0) + 1
                timings = [r.get("timings", {}) for r in records]
                table.add({
                    "instances": label, "binary backend": backend, "workers": workers,
                    "time limit s": time_limit, "records": len(records), "wall s": wall,
                    "instances/s": len(records) / wall,
                    "verdicts": " ".join(f"{k}:{v}" for k, v in sorted(verdicts.items())),
                    "median exact_binary s": median([t.get("exact_binary", 0.0)
                                                     for t in timings]),
                    "median exact_real s": median([t.get("exact_real", 0.0) for t in timings]),
                    "median sat+maxsat s": median([t.get("sat", 0.0) + t.get("maxsat", 0.0)
                                                   for t in timings]),
                })
    return [table]
