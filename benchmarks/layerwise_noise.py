"""Relative error of the recovered code against the noise level, and how the per-layer
misfit propagates.

Paper setting: 20 x 100 x 500 ReLU (and 20 x 100 x 200 x 500 LeakyReLU 0.1), noise levels
1e-6 .. 1e-1, uniform noise with the l_inf LP and Gaussian noise with the l_1 LP, medians
over trials (200 in the paper). The inverter is told ``tau`` = the noise level (uniform) or
3 sigma (Gaussian). For each level the table gives the median of

* ``rel err``      ||z - z*|| / ||z*||
* ``err/level``    that error divided by the level: constant when growth is linear
* ``eps``          the optimal eps of each layer, output layer first (``l1``: total slack)
* ``res/eps_d``    the forward residual over the output layer's eps
* ``recovered``    the share of RECOVERED statuses against the stated noise bound
                   (``noise_bound``): ``level`` for uniform noise (l_inf), and
                   ``level * (n sqrt(2/pi) + 4 sqrt(n))`` for Gaussian noise (l_1: the mean
                   of ``||e||_1`` plus four standard deviations of its concentration)

and last the constant C of the fit ``rel err = C * level`` (least squares in log space) and
the log-log slope.

    python benchmarks/layerwise_noise.py --trials 20
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from reluinv import LayerwiseStatus, invert_layerwise, plant, random_network

LEVELS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
SETTINGS: list[tuple[str, list[int], Any, str, str]] = [
    ("relu", [20, 100, 500], "relu", "uniform", "linf"),
    ("relu", [20, 100, 500], "relu", "gaussian", "l1"),
    ("leaky 0.1", [20, 100, 200, 500], ("leaky_relu", 0.1), "uniform", "linf"),
    ("leaky 0.1", [20, 100, 200, 500], ("leaky_relu", 0.1), "gaussian", "l1"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{args.trials} trials per level (network seed {args.seed}, code seeds "
          f"{args.seed}..{args.seed + args.trials - 1})")
    for name, sizes, activation, kind, norm in SETTINGS:
        net = random_network(sizes, activation=activation, rng=np.random.default_rng(args.seed))
        shape = " x ".join(map(str, sizes))
        print(f"\n{name} {shape}, {kind} noise, {norm} LP")
        print(f"{'level':>8} {'rel err':>10} {'err/level':>10} {'res/eps_d':>9} "
              f"{'recovered':>9}  eps per layer (output first)")
        medians = []
        for level in LEVELS:
            errors, ratios, recovered, eps_rows = [], [], 0, []
            for trial in range(args.trials):
                instance = plant(net, rng=np.random.default_rng(args.seed + trial),
                                 noise_kind=kind, level=level)
                tau = level if kind == "uniform" else 3 * level
                n = sizes[-1]
                bound = (level if kind == "uniform"
                         else level * (n * np.sqrt(2 / np.pi) + 4 * np.sqrt(n)))
                result = invert_layerwise(net, instance.observation, noise=norm,  # type: ignore[arg-type]
                                          tau=tau, noise_bound=bound)
                assert result.z is not None
                errors.append(instance.relative_error(result.z))
                eps = [e if e is not None else np.nan for e in result.eps]
                eps_rows.append(eps)
                measured = result.residual if norm == "linf" else result.residual_l1
                ratios.append(measured / eps[0] if eps[0] > 0 else np.nan)
                recovered += result.status is LayerwiseStatus.RECOVERED
            median = float(np.median(errors))
            medians.append(median)
            eps_text = " ".join(f"{v:.2e}" for v in np.median(np.array(eps_rows), axis=0))
            print(f"{level:>8.0e} {median:>10.2e} {median / level:>10.3g} "
                  f"{np.nanmedian(ratios):>9.2f} {recovered / args.trials:>9.2f}  {eps_text}",
                  flush=True)
        logs = np.log10(np.array(medians)) - np.log10(np.array(LEVELS))
        slope = np.polyfit(np.log10(LEVELS), np.log10(medians), 1)[0]
        print(f"fit: rel err = C * level with C = {10 ** np.mean(logs):.3g} "
              f"(range {10 ** logs.min():.3g} .. {10 ** logs.max():.3g}); "
              f"log-log slope {slope:.3f}")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
