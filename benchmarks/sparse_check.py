"""Peak memory and time of ``reluinv check`` on a SAT-competition-sized random 3-CNF.

Run from the repository root:

    .venv/bin/python benchmarks/sparse_check.py --vars 100000 --clauses 430000 --time-limit 60

Three formulas with ``--vars`` variables and ``--clauses`` clauses of three distinct
variables (seeded): a uniform random 3-CNF; a planted one (only clauses that a random
hidden assignment satisfies are kept: satisfiable, but at ratio 4.3 as hard for the SAT solver
as the uniform one); and an easy planted one (hidden assignment all zeros, the SAT solver's first
phase), whose model the check lifts and replays through lemmas L1 and L2 at full size.
Each is checked by
``python -m reluinv check FILE --time-limit T --json`` in a child process; the script
prints the child's peak resident memory (``os.wait4``: the child and the children it
waited for), its wall time, and which cross-checks passed or were skipped.

Baseline, in this process: the reduction of a ``--baseline-vars`` formula (same ratio)
encoded dense and sparse, with the median time of ``encode`` + ``forward_exact`` and the
peak traced allocation of each (``tracemalloc``); the script prints sparse / dense ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import reluinv as ri
from benchmarks.common import load_average, median


def random_3cnf(num_vars: int, num_clauses: int, rng: np.random.Generator, *,
                planted: bool, easy: bool = False) -> ri.Formula:
    """Clauses of 3 distinct variables with random signs; ``planted``: keep only clauses
    the hidden assignment ``rng.integers(0, 2, num_vars)`` satisfies; ``easy``: the hidden
    assignment is all zeros (the SAT solver's first phase), so SAT and MaxSAT finish at once."""
    hidden = np.zeros(num_vars, dtype=np.int64) if easy else rng.integers(0, 2, num_vars)
    chunks: list[np.ndarray] = []
    have = 0
    while have < num_clauses:
        draw = rng.integers(1, num_vars + 1, size=(2 * num_clauses, 3))
        draw = draw[(draw[:, 0] != draw[:, 1]) & (draw[:, 0] != draw[:, 2])
                    & (draw[:, 1] != draw[:, 2])]
        lits = draw * np.where(rng.random(draw.shape) < 0.5, -1, 1)
        if planted:
            true = np.where(lits > 0, hidden[draw - 1] == 1, hidden[draw - 1] == 0)
            lits = lits[true.any(axis=1)]
        chunks.append(lits)
        have += len(lits)
    clauses = np.concatenate(chunks)[:num_clauses]
    return ri.Formula(num_vars, tuple(tuple(c) for c in clauses.tolist()))


def check_child(path: Path, time_limit: float) -> dict[str, object]:
    """Run ``reluinv check`` on ``path`` in a child; its record, wall time and the peak
    resident memory of that child (``os.wait4``: this child and the children it waited for)."""
    out_path = path.with_suffix(".json")
    start = time.perf_counter()
    with open(out_path, "w") as out, subprocess.Popen(
            [sys.executable, "-m", "reluinv", "check", str(path), "--time-limit",
             str(time_limit), "--json"], stdout=out, stderr=subprocess.PIPE, text=True,
            env=os.environ.copy()) as child:
        assert child.stderr is not None
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    text = out_path.read_text()
    record = json.loads(text) if text.strip().startswith("{") else {}
    return {"exit": child.returncode, "seconds": seconds, "peak_mib": usage.ru_maxrss / 1024,
            "record": record, "stderr": stderr.strip()}


def baseline(num_vars: int, ratio: float, rng: np.random.Generator, repeats: int) -> None:
    """Dense against sparse storage of one reduction, in this process."""
    formula = random_3cnf(num_vars, int(ratio * num_vars), rng, planted=False)
    z = rng.integers(0, 2, num_vars).tolist()
    rows = {}
    for sparse in (False, True):
        times = []
        peak = 0
        for _ in range(repeats):
            tracemalloc.start()
            start = time.perf_counter()
            problem = ri.encode(formula, "real", sparse=sparse)
            problem.network.forward_exact(z)
            times.append(time.perf_counter() - start)
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        rows[sparse] = (median(times), peak / 2**20)
        print(f"baseline k={num_vars} real latent {'sparse' if sparse else 'dense '}: "
              f"encode + forward_exact median {rows[sparse][0]:.3f} s, "
              f"peak traced {rows[sparse][1]:.1f} MiB", flush=True)
    print(f"baseline ratios sparse / dense: time {rows[True][0] / rows[False][0]:.3f}, "
          f"memory {rows[True][1] / rows[False][1]:.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--vars", type=int, default=100_000)
    parser.add_argument("--clauses", type=int, default=430_000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-vars", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"# seed={args.seed} vars={args.vars} clauses={args.clauses} "
          f"time_limit={args.time_limit} load={load_average()}", flush=True)
    rng = np.random.default_rng(args.seed)
    baseline(args.baseline_vars, args.clauses / args.vars, rng, args.repeats)
    with tempfile.TemporaryDirectory(prefix="reluinv-sparse-check-") as folder:
        for kind in ("uniform", "planted", "easy"):
            formula = random_3cnf(args.vars, args.clauses, rng, planted=kind != "uniform",
                                  easy=kind == "easy")
            path = Path(folder) / f"{kind}.cnf"
            ri.write_dimacs(formula, path)
            del formula
            out = check_child(path, args.time_limit)
            record = out["record"]
            assert isinstance(record, dict)
            checks = record.get("checks", [])
            passed = sorted(c["name"] for c in checks if c["status"] == "passed")
            skipped = sorted(c["name"] for c in checks if c["status"] == "skipped")
            sat = record.get("sat", {}).get("status") if record else None
            print(f"{path.stem:8s} exit={out['exit']} wall={out['seconds']:.1f} s "
                  f"peak_rss={out['peak_mib']:.0f} MiB "
                  f"sat={sat} verdict={record.get('verdict')}", flush=True)
            print(f"  passed: {', '.join(passed) or '-'}", flush=True)
            print(f"  skipped: {', '.join(skipped) or '-'}", flush=True)
            if out["stderr"]:
                print(f"  stderr: {out['stderr'][:300]}", flush=True)


if __name__ == "__main__":
    main()
