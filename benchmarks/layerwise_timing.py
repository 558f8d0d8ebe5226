"""Median time of one inversion: layer-wise (least-squares fast path and l_inf LP), the
least-squares floor, and the gradient-descent baseline, all in this process.

Shapes: 20 x 100 x 500 and 110 x 250 x 600, ReLU, N(0, 1/n_i) weights, no bias. The paper
reports 0.6-1.0 s for its l_inf LP on k x 250 x 600 (k = 10..110) and 1.6-2.1 s for
gradient descent; a least-squares solve on each layer's active rows is the floor.

* ``layerwise``: ``invert_layerwise(net, x)`` (realizable; least squares when the active
  rows have full column rank, LP otherwise).
* ``layerwise linf``: ``invert_layerwise(net, x, noise="linf")``: one LP per layer.
* ``lstsq floor``: ``numpy.linalg.lstsq`` on the active rows of each layer, nothing else.
* ``gradient``: ``invert_gradient`` with its defaults (Adam, 4 restarts, <= 3000 steps).

Run it alone on the machine (BLAS threads share the cores):

    python benchmarks/layerwise_timing.py --trials 20 --gradient-trials 5
"""

from __future__ import annotations

import os

# One BLAS thread: timings on a shared 2-core machine are steadier, and the ratios fair.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

import numpy as np

from reluinv import (
    LayerwiseStatus,
    ReluNetwork,
    invert_gradient,
    invert_layerwise,
    plant,
)
from reluinv import random_network as make_network
from reluinv.layerwise.inverter import ACTIVE_THRESHOLD


def lstsq_floor(net: ReluNetwork, x: np.ndarray) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    y = x
    for W in reversed(net.weights):
        active = y > ACTIVE_THRESHOLD
        y = np.linalg.lstsq(np.asarray(W)[active], y[active], rcond=None)[0]
    return y, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--gradient-trials", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{args.trials} trials (gradient: {args.gradient_trials}), seeds from {args.seed}")
    print(f"{'shape':<14} {'method':<16} {'median s':>9} {'x floor':>8} "
          f"{'recovered':>9} {'median rel err':>14}")
    for sizes in ([20, 100, 500], [110, 250, 600]):
        rows: dict[str, tuple[list[float], list[float], int]] = {}

        def record(name: str, seconds: float, error: float, ok: bool,
                   rows: dict[str, tuple[list[float], list[float], int]] = rows) -> None:
            times, errors, count = rows.setdefault(name, ([], [], 0))
            times.append(seconds)
            errors.append(error)
            rows[name] = (times, errors, count + int(ok))

        # one warm-up so BLAS and the LP solver are loaded before timing
        warm = make_network(sizes, rng=np.random.default_rng(999))
        invert_layerwise(warm, plant(warm, rng=np.random.default_rng(998)).observation)
        for trial in range(args.trials):
            seed = args.seed + trial
            net = make_network(sizes, rng=np.random.default_rng(seed))
            instance = plant(net, rng=np.random.default_rng(10_000 + seed))
            x = instance.observation
            z, seconds = lstsq_floor(net, x)
            record("lstsq floor", seconds, instance.relative_error(z), True)
            result = invert_layerwise(net, x)
            ok = result.status is LayerwiseStatus.RECOVERED
            error = instance.relative_error(result.z) if result.z is not None else np.nan
            record("layerwise", result.seconds, error, ok)
            result = invert_layerwise(net, x, noise="linf", noise_bound=0.0)  # clean x
            ok = result.status is LayerwiseStatus.RECOVERED
            error = instance.relative_error(result.z) if result.z is not None else np.nan
            record("layerwise linf", result.seconds, error, ok)
            if trial < args.gradient_trials:
                gd = invert_gradient(net, x, rng=np.random.default_rng(20_000 + seed))
                record("gradient", gd.seconds, instance.relative_error(gd.z),
                       gd.status is LayerwiseStatus.RECOVERED)
        floor = float(np.median(rows["lstsq floor"][0]))
        shape = " x ".join(map(str, sizes))
        for name, (times, errors, count) in rows.items():
            median = float(np.median(times))
            print(f"{shape:<14} {name:<16} {median:>9.4f} {median / floor:>8.1f} "
                  f"{count:>4}/{len(times):<4} {np.nanmedian(errors):>14.2e}", flush=True)


if __name__ == "__main__":
    main()
