"""``reluinv verify`` on exported VNN-COMP folders, as another verifier's harness runs it.

``python -m benchmarks.vnncomp_verify [--count 100] [--family-count 6] [--seed 0]``

1. Exports ``--count`` CNF-embedding instances of random 3-CNF with 2-100 variables and
   clause ratio 1-5 (uniform draws; width ``min(3, n)``), half satisfiable (drawn until each
   half is full), and ``--family-count`` instances of each hardness family
   (:mod:`reluinv.validation.families`), with ``reluinv export``'s library call.
2. Runs ``reluinv verify NET VNNLIB --timeout T --out RESULT`` as a fresh process per
   instance (the time includes the interpreter's start and reluinv's imports) and compares
   the first line of RESULT with the private ground truth.
3. The same calls in this process (``reluinv.verify`` on the read files), to separate the
   work from the interpreter's start and imports.
4. Baseline, in this process: ``reluinv.verify`` with and without the structural fast path
   (the MIP alone, capped at ``--mip-limit`` seconds) on the instances with at most
   ``--mip-vars`` variables; prints the median ratio MIP / structural.

Prints one row per family: instances, all correct?, median and worst seconds, share
decided within 1 s and 10 s; and the machine's load before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import reluinv as ri
from benchmarks.common import load_average, machine_info
from reluinv.validation.families import family_formula
from reluinv.validation.generators import random_kcnf
from reluinv.validation.vnncomp import export_vnncomp, ground_truth_path

FAMILY_SIZES = {  # family -> sizes cycled through (variables: up to 100)
    "random3sat": [20, 40, 60, 80, 100],
    # PHP(8, 7)'s DRUP refutation (14k lemmas) takes drup over 60 s: no certified verdict
    "pigeonhole": [3, 4, 5, 6],
    "tseitin": [10, 16, 20, 24, 30, 36],  # 15-54 edge variables; 60 vertices: drup > 60 s
    "planted_unique": [20, 40, 60, 80, 100],
}


def random_mix(count: int, rng: np.random.Generator) -> list[ri.Formula]:
    """``count`` random CNFs, 2-100 variables, ratio 1-5, half satisfiable."""
    want = {True: count // 2, False: count - count // 2}
    out: list[ri.Formula] = []
    while any(want.values()):
        n = int(rng.integers(2, 101))
        ratio = float(rng.uniform(1.0, 5.0))
        f = random_kcnf(n, max(1, round(ratio * n)), width=min(3, n), rng=rng)
        sat = bool(ri.solve_sat(f, proof=False).satisfiable)
        if want[sat]:
            want[sat] -= 1
            out.append(ri.Formula(f.num_vars, f.clauses,
                                  comments=(f"random n={n} ratio={ratio:.2f}",)))
    return out


def families(count: int, seed: int) -> dict[str, list[ri.Formula]]:
    made: dict[str, list[ri.Formula]] = {}
    for family, sizes in FAMILY_SIZES.items():
        made[family] = [family_formula(family, sizes[i % len(sizes)], seed=seed + i,
                                       satisfiable=(i % 2 == 0) if family == "tseitin"
                                       else None)
                        for i in range(count)]
    return made


def run_folder(folder: Path, timeout: float) -> list[dict[str, object]]:
    truth = [json.loads(line) for line in ground_truth_path(folder).read_text().splitlines()]
    rows = []
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    for record in truth:
        result = folder / "result.txt"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reluinv", "verify",
                        str(folder / str(record["onnx"])), str(folder / str(record["vnnlib"])),
                        "--timeout", f"{timeout:g}", "--out", str(result)],
                       env=env, capture_output=True, check=False)
        seconds = time.perf_counter() - start
        answer = result.read_text().splitlines()[0] if result.exists() else "missing"
        result.unlink(missing_ok=True)
        rows.append({"verdict": record["verdict"], "answer": answer, "seconds": seconds,
                     "num_vars": record["num_vars"]})
    return rows


def in_process(folder: Path) -> list[float]:
    """Seconds of ``reluinv.verify`` itself (read files, decide, replay) per instance."""
    truth = [json.loads(line) for line in ground_truth_path(folder).read_text().splitlines()]
    seconds = []
    for record in truth:
        start = time.perf_counter()
        net = ri.read_onnx(folder / str(record["onnx"]))
        prop = ri.read_vnnlib(folder / str(record["vnnlib"]), net.latent_dim, net.output_dim)
        ri.verify(net, prop, onnx_model=folder / str(record["onnx"]))
        seconds.append(time.perf_counter() - start)
    return seconds


def baseline(folder: Path, max_vars: int, limit: float) -> list[tuple[float, float, str]]:
    truth = [json.loads(line) for line in ground_truth_path(folder).read_text().splitlines()]
    pairs = []
    for record in truth:
        if int(str(record["num_vars"])) > max_vars:
            continue
        net = ri.read_onnx(folder / str(record["onnx"]))
        prop = ri.read_vnnlib(folder / str(record["vnnlib"]), net.latent_dim, net.output_dim)
        fast = ri.verify(net, prop, onnx_model=folder / str(record["onnx"]))
        mip = ri.verify(net, prop, structural=False, time_limit=limit,
                        onnx_model=folder / str(record["onnx"]))
        pairs.append((fast.seconds, mip.seconds, mip.status.value))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vnncomp_verify",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--family-count", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--mip-vars", type=int, default=30)
    parser.add_argument("--mip-limit", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    args = parser.parse_args()
    load_before = load_average()
    rng = np.random.default_rng(args.seed)
    sets = {"random-mix": random_mix(args.count, rng), **families(args.family_count, args.seed)}
    table = []
    base_rows: list[tuple[float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="reluinv-vnncomp-") as scratch:
        for name, formulas in sets.items():
            folder = Path(scratch) / name
            export_vnncomp(formulas, folder, seed=args.seed, timeout=args.timeout)
            rows = run_folder(folder, args.timeout)
            times = [float(str(r["seconds"])) for r in rows]
            correct = sum(r["answer"] == r["verdict"] for r in rows)
            sats = sum(r["verdict"] == "sat" for r in rows)
            inner = in_process(folder)
            table.append({
                "family": name, "instances": len(rows), "sat": sats, "correct": correct,
                "vars": f"{min(int(str(r['num_vars'])) for r in rows)}-"
                        f"{max(int(str(r['num_vars'])) for r in rows)}",
                "median_s": round(statistics.median(times), 3), "worst_s": round(max(times), 3),
                "within_1s": round(sum(t <= 1.0 for t in times) / len(times), 3),
                "within_10s": round(sum(t <= 10.0 for t in times) / len(times), 3),
                "in_process_median_s": round(statistics.median(inner), 3),
                "in_process_worst_s": round(max(inner), 3),
            })
            print(table[-1], flush=True)
            if name == "random-mix":
                base_rows = baseline(folder, args.mip_vars, args.mip_limit)
    load_after = load_average()
    header = ("family", "instances", "sat", "correct", "vars", "median_s", "worst_s",
              "within_1s", "within_10s", "in_process_median_s", "in_process_worst_s")
    print(" | ".join(header))
    for row in table:
        print(" | ".join(str(row[h]) for h in header))
    if base_rows:
        ratio = statistics.median(m / f for f, m, _ in base_rows)
        decided = sum(s in ("sat", "unsat") for _, _, s in base_rows)
        fast_median = statistics.median(f for f, _, _ in base_rows)
        mip_median = statistics.median(m for _, m, _ in base_rows)
        print(f"baseline in process on {len(base_rows)} random-mix instances with <= "
              f"{args.mip_vars} variables: median structural {fast_median:.4f} s, "
              f"median MIP alone {mip_median:.4f} s "
              f"(cap {args.mip_limit:g} s, decided {decided}); median ratio MIP / structural "
              f"{ratio:.1f}")
    print(f"load average before {load_before}, after {load_after} (2 cores, shared)")
    if args.out is not None:
        args.out.write_text(json.dumps({"machine": machine_info(), "load_before": load_before,
                                        "load_after": load_after, "table": table,
                                        "baseline": base_rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
