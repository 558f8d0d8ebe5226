"""Exact inversion of MAX-3SAT reductions against RC2, in one process.

For random 3-CNF formulas (``m = round(ratio * k)`` clauses of three distinct variables with
random signs, generated here from a seeded ``numpy.random.Generator``), encode each with
``reluinv.encode(latent="binary")`` and solve it with every exact backend and objective,
then solve the same formula as MaxSAT with RC2 (python-sat) on a WCNF of unit weights.
Prints, per configuration, the median seconds of each solver, the ratio of each median to
RC2's, how many solves hit the time limit, and a check that the l1 optimum equals RC2's
cost (lemma L1) and that "feasible" agrees with cost 0.

    python benchmarks/exact_vs_rc2.py                  # the default table
    python benchmarks/exact_vs_rc2.py --instances 3 --time-limit 10 --configs 4.26:20 \
        --solvers cpsat cpsat:indicator mip mip:HIGHS
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from pysat.examples.rc2 import RC2
from pysat.formula import WCNF

import reluinv as ri

DEFAULT_CONFIGS = ("4.26:20", "4.26:50", "6:20", "6:30", "6:40")


def random_3cnf(k: int, ratio: float, rng: np.random.Generator) -> ri.Formula:
    m = round(ratio * k)
    clauses = []
    for _ in range(m):
        variables = rng.choice(k, size=3, replace=False) + 1
        signs = rng.choice([-1, 1], size=3)
        clauses.append(tuple(int(v * s) for v, s in zip(variables, signs, strict=True)))
    return ri.Formula(k, tuple(clauses))


def rc2_cost(formula: ri.Formula) -> tuple[int, float]:
    wcnf = WCNF()
    for clause in formula.clauses:
        wcnf.append(list(clause), weight=1)
    start = time.perf_counter()
    with RC2(wcnf) as solver:
        solver.compute()
        cost = int(solver.cost)
    return cost, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS),
                        help="ratio:k pairs")
    parser.add_argument("--solvers", nargs="+",
                        default=["maxsat", "cpsat", "mip"],
                        help="backend[:option]: maxsat, cpsat:ENCODING or mip:ENGINE "
                             "(mip:HIGHS)")
    parser.add_argument("--objectives", nargs="+", default=["feasible", "l1", "linf"])
    args = parser.parse_args()
    print(f"# seed {args.seed}, {args.instances} instances per row, time limit "
          f"{args.time_limit:g} s, reluinv {ri.__version__}")
    header = f"{'ratio':>5} {'k':>3} {'solver':<18} {'objective':<9} {'median s':>9} " \
             f"{'RC2 s':>8} {'x RC2':>8} {'timeouts':>8} {'agree':>6}"
    print(header)
    print("# x RC2 = median / RC2 median; timeouts = FEASIBLE or UNKNOWN at the limit; agree = "
          "verified answers matching RC2 among the rest")
    for config in args.configs:
        ratio_text, k_text = config.split(":")
        ratio, k = float(ratio_text), int(k_text)
        # one generator per (seed, ratio, k): a row's formulas do not depend on other rows
        rng = np.random.default_rng([args.seed, round(ratio * 100), k])
        formulas = [random_3cnf(k, ratio, rng) for _ in range(args.instances)]
        rc2 = [rc2_cost(f) for f in formulas]
        rc2_median = statistics.median(t for _, t in rc2)
        for spec in args.solvers:
            backend, _, option = spec.partition(":")
            extra = {} if not option else (
                {"encoding": option} if backend == "cpsat" else {"mip_solver": option})
            for objective in args.objectives:
                times, timeouts, agree = [], 0, 0
                for formula, (cost, _) in zip(formulas, rc2, strict=True):
                    problem = ri.encode(formula, latent="binary")
                    result = ri.solve_exact(problem, backend=backend, objective=objective,
                                            time_limit=args.time_limit, **extra)
                    times.append(result.seconds)
                    if result.status in (ri.Status.UNKNOWN, ri.Status.FEASIBLE):
                        timeouts += 1
                        continue
                    if objective == "feasible":
                        ok = (result.status is ri.Status.OPTIMAL) == (cost == 0)
                    elif objective == "l1":
                        ok = result.objective == cost
                    else:
                        ok = result.objective == (1 if cost > 0 else 0)
                    agree += int(ok and (result.verified or result.z is None))
                median = statistics.median(times)
                print(f"{ratio:>5g} {k:>3} {spec:<18} {objective:<9} {median:>9.3f} "
                      f"{rc2_median:>8.4f} {median / rc2_median:>8.1f} {timeouts:>8} "
                      f"{agree:>3}/{len(formulas) - timeouts}", flush=True)


if __name__ == "__main__":
    main()
