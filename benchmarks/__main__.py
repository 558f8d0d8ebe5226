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

import time

from benchmarks.common import Table, bench_arguments, machine_header, machine_info, write_results

SUITES = ("layerwise", "exact", "validation", "hybrid", "conclusiveness", "certify",
          "paper")


def main() -> None:
    args, out = bench_arguments("python -m benchmarks", __doc__.splitlines()[0], "latest",
                                suites=SUITES)
    machine = machine_info()
    print(machine_header(machine))
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
