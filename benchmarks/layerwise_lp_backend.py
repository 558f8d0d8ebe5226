"""HiGHS (through scipy.optimize.linprog) against OR-Tools GLOP on the layer LPs.

HiGHS runs with scipy's default choice (``method="highs"``, what reluinv uses) and with its
interior-point method (``"highs-ipm"``).

The LP of one layer of the l_inf inverter (``noise="linf"``) on k x 250 x 600 ReLU: the
output layer (250 unknowns + eps, about 900 rows) and the first layer (k unknowns + eps).
Both solvers get the same dense matrices; GLOP's time includes building the model (it has
no matrix interface), reported separately. The objective values must agree.

    python benchmarks/layerwise_lp_backend.py --trials 5
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

import numpy as np
from ortools.linear_solver.python import model_builder as mb
from scipy.optimize import linprog

from reluinv import plant, random_network


def linf_lp(W: np.ndarray, y: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """``A_ub [h; eps] <= b_ub`` of the l_inf layer LP (see reluinv.layerwise.inverter)."""
    m, _ = W.shape
    act = y > tau
    column = -np.ones((m, 1))
    A = np.vstack([np.hstack([W, column]), np.hstack([-W[act], column[act]])])
    b = np.concatenate([y, -y[act]])
    return A, b


def solve_highs(
    A: np.ndarray, b: np.ndarray, nonneg: bool, method: str = "highs"
) -> tuple[float, float]:
    n = A.shape[1] - 1
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    bounds = [(0.0, None) if nonneg else (None, None)] * n + [(0.0, None)]
    started = time.perf_counter()
    result = linprog(cost, A_ub=A, b_ub=b, bounds=bounds, method=method)
    assert result.status == 0, result.message
    return float(result.fun), time.perf_counter() - started


def solve_glop(A: np.ndarray, b: np.ndarray, nonneg: bool) -> tuple[float, float, float]:
    started = time.perf_counter()
    model = mb.Model()
    n = A.shape[1] - 1
    h = [model.new_num_var(0.0 if nonneg else -np.inf, np.inf, f"h[{j}]") for j in range(n)]
    eps = model.new_num_var(0.0, np.inf, "eps")
    variables = [*h, eps]
    for row, rhs in zip(A, b, strict=True):
        model.add(mb.LinearExpr.weighted_sum(variables, row.tolist()) <= float(rhs))
    model.minimize(eps)
    built = time.perf_counter()
    solver = mb.Solver("glop")
    status = solver.solve(model)
    assert status == mb.SolveStatus.OPTIMAL, status
    return float(solver.objective_value), built - started, time.perf_counter() - built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--k", type=int, nargs="+", default=[20, 110])
    parser.add_argument("--level", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"l_inf layer LP, uniform noise {args.level:g}, {args.trials} trials, seeds from "
          f"{args.seed}; medians in seconds")
    print(f"{'shape':<15} {'layer':>5} {'rows':>5} {'HiGHS':>8} {'HiGHS ipm':>9} "
          f"{'GLOP build':>10} {'GLOP solve':>10} {'max |obj diff|':>14}")
    for k in args.k:
        per_layer: dict[int, list[tuple[float, ...]]] = {2: [], 1: []}
        for trial in range(args.trials):
            seed = args.seed + trial
            net = random_network([k, 250, 600], rng=np.random.default_rng(seed))
            instance = plant(net, rng=np.random.default_rng(10_000 + seed),
                             noise_kind="uniform", level=args.level)
            hidden = net.layer_outputs(instance.z)[0]
            for layer, W, y, nonneg in ((2, net.weights[1], instance.observation, True),
                                        (1, net.weights[0], hidden, False)):
                A, b = linf_lp(np.asarray(W, dtype=float), y, args.level)
                highs_obj, highs_s = solve_highs(A, b, nonneg)
                ipm_obj, ipm_s = solve_highs(A, b, nonneg, "highs-ipm")
                glop_obj, build_s, glop_s = solve_glop(A, b, nonneg)
                gap = max(abs(highs_obj - glop_obj), abs(ipm_obj - glop_obj))
                per_layer[layer].append((highs_s, ipm_s, build_s, glop_s, gap, A.shape[0]))
        for layer, rows in per_layer.items():
            data = np.array(rows)
            print(f"{f'{k} x 250 x 600':<15} {layer:>5} {int(np.median(data[:, 5])):>5} "
                  f"{np.median(data[:, 0]):>8.4f} {np.median(data[:, 1]):>9.4f} "
                  f"{np.median(data[:, 2]):>10.4f} {np.median(data[:, 3]):>10.4f} "
                  f"{data[:, 4].max():>14.2e}", flush=True)


if __name__ == "__main__":
    main()
