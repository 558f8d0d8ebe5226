"""The hybrid inverter against layer-wise and gradient descent, on trained and random nets.

Cases: the shipped digits decoders (``reluinv.digits_decoder``, 10 x 40 x 64, ReLU and
LeakyReLU, linear head) with every pixel observed and with only the top half observed
(inpainting), and random ``k x 250 x 600`` ReLU nets (``N(0, 1/n_i)``, no bias). Per
trial a planted ``z* ~ N(0, I)`` and ``x = G(z*)`` (masked), then, interleaved in this
process:

* ``invert_layerwise(net, x)``;
* ``invert(net, x)``: layer-wise, then the exact MIP where inconclusive, answers replayed;
* ``invert_gradient(net, x)`` (Adam with restarts).

Success is each method's own ``RECOVERED`` (a forward residual within ``1e-6
max(1, ||x||_inf)``; for ``invert`` an exact replay). Reported: success counts, median
and worst seconds, the ratio of medians against layer-wise, and the median per-trial
ratio ``invert / invert_layerwise`` over the trials where layer-wise alone succeeded (the
hybrid's overhead: the replay). Run: ``python -m benchmarks --suites hybrid [--quick]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Table, median
from reluinv import (
    LayerwiseStatus,
    ReluNetwork,
    digits_decoder,
    invert,
    invert_gradient,
    invert_layerwise,
    random_network,
)

RECOVERED = LayerwiseStatus.RECOVERED
TIME_LIMIT = 30.0  # seconds per hybrid call


@dataclass(frozen=True)
class Case:
    label: str
    trials: int
    gradient_trials: int
    kind: str | None = None  # a digits decoder kind, or None for a random net
    k: int = 0
    half_mask: bool = False

    def network(self, seed: int) -> ReluNetwork:
        if self.kind is not None:
            return digits_decoder(self.kind)  # type: ignore[arg-type]
        return random_network([self.k, 250, 600], rng=np.random.default_rng(seed))

    def mask(self, n: int) -> np.ndarray | None:
        if not self.half_mask:
            return None
        mask = np.zeros(n, dtype=bool)
        mask[: n // 2] = True
        return mask


def cases(quick: bool) -> list[Case]:
    digits = [Case(f"digits {kind} 10x40x64", 8 if quick else 30, 4 if quick else 10, kind)
              for kind in ("relu", "leaky")]
    inpaint = [Case(f"digits {kind} top half", 4 if quick else 10, 2 if quick else 5, kind,
                    half_mask=True) for kind in ("relu", "leaky")]
    ks = (20, 100) if quick else (20, 100, 130)
    rand = [Case(f"random {k}x250x600 relu", 2 if quick else 4, 1 if quick else 2, None, k)
            for k in ks]
    return digits + inpaint + rand


def run(quick: bool, seed: int) -> list[Table]:
    table = Table("Hybrid invert vs invert_layerwise vs invert_gradient (realizable)",
                  ["case", "trials", "lw ok", "lw s", "hybrid ok", "via exact", "hybrid s",
                   "hybrid worst s", "hybrid / lw", "overhead where lw ok", "gd ok", "gd s",
                   "gd / lw"])
    table.header()
    warm = digits_decoder("relu")
    invert(warm, warm.forward(np.zeros(10)))  # imports and first-call costs out of the way
    for case in cases(quick):
        lw_s, hy_s, gd_s, overhead = [], [], [], []
        lw_ok = hy_ok = gd_ok = via_exact = 0
        for trial in range(case.trials):
            net = case.network(seed + trial)
            z_star = np.random.default_rng(seed + 10_000 + trial).normal(size=net.latent_dim)
            x = net.forward(z_star)
            mask = case.mask(net.output_dim)
            order = ["lw", "hybrid"] if trial % 2 == 0 else ["hybrid", "lw"]
            times = {}
            for name in order:
                started = time.perf_counter()
                if name == "lw":
                    lw = invert_layerwise(net, x, mask=mask)
                else:
                    hy = invert(net, x, mask=mask, time_limit=TIME_LIMIT)
                times[name] = time.perf_counter() - started
            lw_s.append(times["lw"])
            hy_s.append(times["hybrid"])
            lw_ok += int(lw.status is RECOVERED)
            hy_ok += int(hy.status is RECOVERED)
            via_exact += int(hy.path == "exact")
            if lw.status is RECOVERED:
                overhead.append(times["hybrid"] / times["lw"])
            if trial < case.gradient_trials:
                started = time.perf_counter()
                gd = invert_gradient(net, x, mask=mask,
                                     rng=np.random.default_rng(seed + 20_000 + trial))
                gd_s.append(time.perf_counter() - started)
                gd_ok += int(gd.status is RECOVERED)
        table.add({
            "case": case.label, "trials": case.trials,
            "lw ok": f"{lw_ok}/{case.trials}", "lw s": median(lw_s),
            "hybrid ok": f"{hy_ok}/{case.trials}", "via exact": via_exact,
            "hybrid s": median(hy_s), "hybrid worst s": max(hy_s),
            "hybrid / lw": median(hy_s) / median(lw_s),
            "overhead where lw ok": median(overhead) if overhead else "-",
            "gd ok": f"{gd_ok}/{len(gd_s)}", "gd s": median(gd_s),
            "gd / lw": median(gd_s) / median(lw_s),
        })
    return [table]


if __name__ == "__main__":
    run(quick=False, seed=2026)
