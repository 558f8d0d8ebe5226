"""Run the benchmark suites: ``python -m benchmarks [--quick] [--suites ...] [--out FILE]``.

Prints one table per suite and writes every row, with the machine's description (CPU,
cores, load, library versions, date), to a JSON file (default
``benchmarks/results/latest.json``, or ``latest-quick.json`` with ``--quick``).
BLAS runs on one thread so that timings on a shared machine are steadier.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from pathlib import Path

from benchmarks.common import Table, machine_info, write_results

SUITES = ("layerwise", "exact", "validation", "hybrid", "conclusiveness", "certify",
          "paper")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer trials and smaller families (a few minutes)")
    parser.add_argument("--suites", nargs="+", choices=SUITES, default=list(SUITES))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(__file__).with_name("results") / (
        "latest-quick.json" if args.quick else "latest.json")
    machine = machine_info()
    print(f"# {machine['date_utc']}  {machine['cpu']}, {machine['cores']} cores, load "
          f"{machine['load_average_start']}, versions {machine['versions']}")
    started = time.perf_counter()
    tables: list[Table] = []
    for suite in args.suites:
        if suite == "layerwise":
            from benchmarks import suite_layerwise
            tables += suite_layerwise.run(args.quick, args.seed)
        elif suite == "exact":
            from benchmarks import suite_exact
            tables += suite_exact.run(args.quick, args.seed)
        elif suite == "hybrid":
            from benchmarks import suite_hybrid
            tables += suite_hybrid.run(args.quick, args.seed)
        elif suite == "certify":
            from benchmarks import suite_certify
            tables += suite_certify.run(args.quick, args.seed)
        elif suite == "conclusiveness":
            from benchmarks import suite_conclusiveness
            tables += suite_conclusiveness.run(args.quick, args.seed)
        elif suite == "paper":
            from benchmarks import suite_paper
            tables += suite_paper.run(args.quick, args.seed)
        else:
            from benchmarks import suite_validation
            tables += suite_validation.run(args.quick, args.seed)
        write_results(out, machine, tables, {"quick": args.quick, "seed": args.seed,
                                             "seconds": time.perf_counter() - started})
    print(f"\n# {time.perf_counter() - started:.0f} s; results in {out}")


if __name__ == "__main__":
    main()
