"""Success rate of exact layer-wise inversion against the latent size k on k x 250 x 600.

The paper (Lei et al. 2019, random N(0, 1/n_i) weights, no bias) reports: ReLU near 1.0 up
to k = 100 and a collapse around k = 120-130 (the 250-wide layer has about 125 active
units, and a layer needs at least n_{i-1} active rows); LeakyReLU at 1.0 up to k = 250;
gradient descent collapsing near k = 60-70 (ReLU) and 160-170 (LeakyReLU).

A trial succeeds when the inverter says RECOVERED *and* ||z - z*|| / ||z*|| <= 1e-6 (the
planted code itself, not just some pre-image); for gradient descent, RECOVERED and
relative error <= 1e-4 (it stops at the forward check's 1e-6 residual). Each trial draws
a fresh network (seed ``seed + trial``) and a fresh planted code. ``--gradient`` adds the
Adam baseline.

    python benchmarks/layerwise_success.py --trials 10
"""

from __future__ import annotations

import os

# One BLAS thread: steadier timings on a shared 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

import numpy as np

from reluinv import LayerwiseStatus, invert_gradient, invert_layerwise, plant, random_network

SUCCESS_RELATIVE_ERROR = 1e-6
PAPER = {  # approximate success rates read off the paper's figure
    "relu": "1.0 up to k=100, collapse near 120-130",
    "leaky_relu 0.1": "1.0 up to k=250",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ks", type=int, nargs="+", default=list(range(10, 251, 20)))
    parser.add_argument("--slope", type=float, default=0.1)
    parser.add_argument("--gradient", action="store_true", help="also run gradient descent")
    parser.add_argument("--gradient-trials", type=int, default=3)
    args = parser.parse_args()
    activations = {"relu": "relu", f"leaky_relu {args.slope:g}": ("leaky_relu", args.slope)}
    print(f"k x 250 x 600, {args.trials} trials per k, seeds {args.seed}..."
          f"{args.seed + args.trials - 1}; success = RECOVERED and rel. error <= "
          f"{SUCCESS_RELATIVE_ERROR:g}")
    header = f"{'activation':<16} {'k':>4} {'success':>8} {'recovered':>9} {'median s':>9}"
    if args.gradient:
        header += f" {'GD success':>10} {'GD med s':>9} {'GD med rel err':>14}"
    print(header)
    started = time.perf_counter()
    for name, activation in activations.items():
        for k in args.ks:
            successes = recovered = 0
            seconds = []
            gd_successes = 0
            gd_seconds = []
            gd_errors = []
            for trial in range(args.trials):
                seed = args.seed + trial
                net = random_network([k, 250, 600], activation=activation,
                                     rng=np.random.default_rng(seed))
                instance = plant(net, rng=np.random.default_rng(10_000 + seed))
                result = invert_layerwise(net, instance.observation)
                seconds.append(result.seconds)
                if result.status is LayerwiseStatus.RECOVERED:
                    recovered += 1
                    assert result.z is not None
                    if instance.relative_error(result.z) <= SUCCESS_RELATIVE_ERROR:
                        successes += 1
                if args.gradient and trial < args.gradient_trials:
                    gd = invert_gradient(net, instance.observation,
                                         rng=np.random.default_rng(20_000 + seed))
                    gd_seconds.append(gd.seconds)
                    gd_errors.append(instance.relative_error(gd.z))
                    if (gd.status is LayerwiseStatus.RECOVERED
                            and instance.relative_error(gd.z) <= 1e-4):
                        gd_successes += 1
            line = (f"{name:<16} {k:>4} {successes / args.trials:>8.2f} "
                    f"{recovered / args.trials:>9.2f} {np.median(seconds):>9.4f}")
            if args.gradient:
                n_gd = min(args.trials, args.gradient_trials)
                line += (f" {gd_successes / n_gd:>10.2f} {np.median(gd_seconds):>9.3f} "
                         f"{np.median(gd_errors):>14.2e}")
            print(line, flush=True)
    print(f"paper: ReLU {PAPER['relu']}; LeakyReLU {PAPER['leaky_relu 0.1']}")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
