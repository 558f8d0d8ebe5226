"""Timing of the SAT / MaxSAT cross-checks: solve, proof size, proof check, certificates.

Run from the repository root:

    .venv/bin/python benchmarks/sat_checks.py --seed 0 --proof-time-limit 120

Prints one line per instance. Times are wall-clock seconds on this machine; the proof check
and the certificate are bounded by ``--proof-time-limit`` (a check that hits it prints
``unchecked``). Instances: pigeonhole PHP(n + 1, n) for n = 3..7; random 3-CNF with
k = 100 variables at clause ratio 4.26, keeping only unsatisfiable draws; random MAX-3SAT
with k = 30..60 at ratios 6 and 8 (RC2, then the optimality certificate).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from reluinv import Formula, SatStatus, certify_maxsat_optimum, solve_maxsat, solve_sat
from reluinv.validation.generators import pigeonhole, random_kcnf


def sat_line(name: str, formula: Formula, proof_time_limit: float) -> None:
    r = solve_sat(formula, proof_time_limit=proof_time_limit)
    check = "-" if r.check_seconds is None else f"{r.check_seconds:.3f}"
    print(f"{name:24s} m={formula.num_clauses:5d} {r.status.value:13s} "
          f"solve={r.solve_seconds:.3f}s proof_lines={r.proof_lines} lemmas={r.proof_lemmas} "
          f"check={check}s proof_checked={r.proof_checked}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--proof-time-limit", type=float, default=120.0)
    parser.add_argument("--random-unsat", type=int, default=3,
                        help="number of unsatisfiable random 3-CNF instances to time")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"# seed={args.seed} proof_time_limit={args.proof_time_limit}", flush=True)

    for holes in range(3, 8):
        sat_line(f"PHP({holes + 1},{holes})", pigeonhole(holes), args.proof_time_limit)

    found = 0
    for draw in itertools.count():
        formula = random_kcnf(100, 426, rng=rng)
        if solve_sat(formula, proof=False).status is not SatStatus.UNSATISFIABLE:
            continue
        sat_line(f"3cnf k=100 r=4.26 #{draw}", formula, args.proof_time_limit)
        found += 1
        if found == args.random_unsat:
            break

    for ratio, k in itertools.product((6, 8), (30, 40, 50, 60)):
        formula = random_kcnf(k, ratio * k, rng=rng)
        r = solve_maxsat(formula)
        assert r.cost is not None
        assert r.model is not None
        c = certify_maxsat_optimum(formula, r.cost, r.model,
                                   proof_time_limit=args.proof_time_limit)
        check = "-" if c.check_seconds is None else f"{c.check_seconds:.2f}"
        print(f"max3sat k={k} ratio={ratio} m={formula.num_clauses:4d} cost={r.cost:3d} "
              f"rc2={r.seconds:.3f}s | certificate: encoding={c.encoding_vars} vars/"
              f"{c.encoding_clauses} clauses solve={c.solve_seconds:.2f}s "
              f"proof_lines={c.proof_lines} check={check}s lower_bound_checked="
              f"{c.lower_bound_checked}", flush=True)


if __name__ == "__main__":
    main()
