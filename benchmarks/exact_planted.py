"""Time to an exact, verified inversion of a random expanding ReLU network.

``G = 20 x 60 x 784`` ReLU without bias, ``W_i`` with i.i.d. ``N(0, 1/n_i)`` entries
(``n_i`` the layer's output size), a planted latent ``z* ~ N(0, I)``, ``x = G(z*)``.
Solve ``objective="feasible"`` with the MIP backend over the real box ``[-B, B]^k`` with
``B = --box`` (default 5), without a starting solution, then once more with ``z*`` as the
hint. Prints per trial the status, verification, residual, distance to ``z*``, model size
and seconds, then the medians.

    python benchmarks/exact_planted.py --trials 5
"""

from __future__ import annotations

import argparse
import itertools
import statistics

import numpy as np

import reluinv as ri


def planted_problem(sizes: list[int], rng: np.random.Generator, box: float,
                    activation: ri.network.ActivationSpec = "relu"
                    ) -> tuple[ri.InversionProblem, np.ndarray]:
    weights = [rng.normal(0.0, 1.0 / np.sqrt(n_out), size=(n_out, n_in))
               for n_in, n_out in itertools.pairwise(sizes)]
    net = ri.ReluNetwork(weights, None, activation)
    z_star = rng.normal(size=sizes[0])
    domain = ri.LatentDomain.box(sizes[0], -box, box)
    return ri.InversionProblem(net, net.forward(z_star), domain), z_star


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 60, 784])
    parser.add_argument("--box", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--mip-solver", default="SCIP")
    parser.add_argument("--bound-tightening", default="interval")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"# sizes {args.sizes}, box [-{args.box:g}, {args.box:g}], seed {args.seed}, "
          f"{args.mip_solver}, bounds {args.bound_tightening}")
    cold, warm = [], []
    for trial in range(args.trials):
        problem, z_star = planted_problem(args.sizes, rng, args.box)
        runs = [("no hint", None, cold)]
        if args.mip_solver != "HIGHS":  # OR-Tools' HiGHS interface crashes on hints
            runs.append(("hint z*", z_star, warm))
        for label, hint, store in runs:
            r = ri.solve_exact(problem, backend="mip", objective="feasible", hint=hint,
                               time_limit=args.time_limit, mip_solver=args.mip_solver,
                               bound_tightening=args.bound_tightening)
            store.append(r.seconds)
            dist = float(np.max(np.abs(r.z - z_star))) if r.z is not None else float("nan")
            size = r.model
            print(f"trial {trial} {label:<8} {r.status.name:<10} verified={r.verified} "
                  f"residual={float(r.objective or 0.0):.1e} |z-z*|inf={dist:.2e} "
                  f"binaries={size.binaries if size else '-'} "
                  f"fixed={size.fixed_by_target if size else '-'} "
                  f"seconds={r.seconds:.2f}", flush=True)
    print(f"median seconds without hint {statistics.median(cold):.2f}"
          + (f", with z* as hint {statistics.median(warm):.2f}" if warm else ""))


if __name__ == "__main__":
    main()
