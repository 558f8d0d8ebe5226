"""``invert_layerwise`` against the paper's algorithm (epsilon inflation) on the same inputs.

For every net and noise cell, ``trials`` planted codes ``z* ~ N(0, I)`` and observations
``x = G(z*) + e``, with ``e`` uniform in ``[-level, level]`` or ``N(0, level^2)`` per
output (``reluinv.plant``). Each observation goes, interleaved in this process, to

* ``reluinv``: :func:`reluinv.invert_layerwise`: ``noise="none"`` at level 0; uniform
  noise: ``noise="linf"``, ``tau = level``, ``noise_bound = level``; Gaussian noise (the
  paper's pairing): ``noise="l1"``, ``tau = 3 level``, ``noise_bound = level (n sqrt(2/pi)
  + 4 sqrt(n))`` (the mean of ``||e||_1`` plus four standard deviations);
* ``paper``: :func:`benchmarks.paper_baseline.invert_paper`, the paper's per-layer l_inf
  LP with epsilon inflation, told the same level (its starting ``eps``; for Gaussian noise
  it inflates from there).

**Success** of an answer ``z``: ``||z - z*|| <= max(1e-6 ||z*||, SUCCESS_FACTOR *
||J^+ e||)`` with ``SUCCESS_FACTOR = 10``. Here ``J`` is the Jacobian of ``G`` at ``z*``
(the product of the layers' weights masked by the activation pattern of ``z*``) and
``J^+ e`` the least-squares solution of ``J d = e``: to first order, the error of the best
l_2 fit of ``x`` by ``G`` near ``z*``, the error the noise itself forces on an estimator
that knows the activation pattern. "The level the noise allows" is ten times that (an
l_inf or l_1 fit is less efficient than least squares, and layer-by-layer fitting loses a
further factor, ``(2/c)^j`` after ``j`` layers in the paper's analysis); on noise-free
data it is ``1e-6`` relative, and it is never more than ``SUCCESS_CAP = 0.5``: an answer
off by half of ``||z*||`` has not recovered the code, whatever the noise (without the cap
the digits decoders' cells at 1e-2 allowed a relative error of 1.15, so ``z = 0``, error
1, counted as a success). The same rule judges both methods; ``z = None`` is a failure.
The table also gives the share of ``RECOVERED`` statuses of ``reluinv`` (what it
certified), the median relative errors, and ``floor``: the median of ``||J^+ e|| /
||z*||``.

Columns: ``ok`` = successes / trials, ``s`` = median seconds, ``ratio`` = reluinv's median
over the baseline's, ``cert`` = reluinv's RECOVERED share, ``err`` = median relative
error. Last, peak memory (``tracemalloc``) of ``invert_layerwise`` on a 250 x 1000 x 4000
ReLU net against the least-squares floor (one ``lstsq`` per layer on the active rows).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as python -m benchmarks: steadier timings
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import Table, machine_info, median, write_results
from benchmarks.paper_baseline import invert_paper
from reluinv import (
    LayerwiseStatus,
    ReluNetwork,
    digits_decoder,
    invert_layerwise,
    plant,
    random_network,
)

#: Success: relative error <= max(1e-6, SUCCESS_FACTOR * relative noise).
SUCCESS_FACTOR = 10.0
REALIZABLE_SUCCESS = 1e-6
SUCCESS_CAP = 0.5
LEVELS = (0.0, 1e-6, 1e-4, 1e-2)
KINDS = ("uniform", "gaussian")


@dataclass(frozen=True)
class Net:
    label: str
    network: ReluNetwork
    trials: int


def nets(quick: bool, seed: int) -> list[Net]:
    """The trained digits decoders and random nets of the issue's shapes (smaller with
    ``quick``). The full run gives the 20 x 200 x 500 x 784 LeakyReLU net 5 trials per
    cell: both methods take 10-25 s per inversion there (three dense LPs of up to
    1568 x 501, several per layer for the baseline)."""
    leaky = ("leaky_relu", 0.1)
    trials = 4 if quick else 30
    out = [Net("digits decoder relu 10x40x64", digits_decoder("relu"), trials),
           Net("digits decoder leaky 10x40x64", digits_decoder("leaky"), trials)]
    shapes: list[tuple[list[int], Any, int]] = (
        [([20, 60, 300], "relu", 4), ([20, 100, 200, 300], leaky, 3)] if quick
        else [([20, 60, 784], "relu", 30), ([20, 200, 500, 784], leaky, 5)])
    for sizes, act, count in shapes:
        name = "relu" if act == "relu" else "leaky 0.1"
        out.append(Net(" x ".join(map(str, sizes)) + f" {name}",
                       random_network(sizes, activation=act, rng=np.random.default_rng(seed)),
                       count))
    return out


def noise_floor(net: ReluNetwork, z: np.ndarray, e: np.ndarray) -> float:
    """``||J^+ e||``: ``J`` the Jacobian of ``G`` at ``z`` (module docstring)."""
    J = np.eye(len(z))
    h = z
    for i, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        pre = np.asarray(W, dtype=np.float64) @ h + np.asarray(b, dtype=np.float64)
        if i == net.depth - 1 and net.output_linear:
            slope = np.ones_like(pre)
        elif net.activation == "leaky_relu":
            slope = np.where(pre > 0.0, 1.0, net.slope)
        else:
            slope = (pre > 0.0).astype(np.float64)
        J = (slope[:, None] * np.asarray(W, dtype=np.float64)) @ J
        h = slope * pre
    return float(np.linalg.norm(np.linalg.lstsq(J, e, rcond=None)[0]))


def success_limit(net: ReluNetwork, z: np.ndarray, e: np.ndarray) -> float:
    """The largest ``||z - z*|| / ||z*||`` that counts as a success (module docstring)."""
    norm = float(np.linalg.norm(z))
    return min(SUCCESS_CAP, max(REALIZABLE_SUCCESS, SUCCESS_FACTOR * noise_floor(net, z, e) / norm))


def run_reluinv(net: ReluNetwork, x: np.ndarray, kind: str, level: float) -> Any:
    if level == 0.0:
        return invert_layerwise(net, x)
    if kind == "uniform":
        return invert_layerwise(net, x, noise="linf", tau=level, noise_bound=level)
    n = net.output_dim
    bound = level * (n * math.sqrt(2.0 / math.pi) + 4.0 * math.sqrt(n))
    return invert_layerwise(net, x, noise="l1", tau=3.0 * level, noise_bound=bound)


def cells(quick: bool) -> list[tuple[str, float]]:
    return [("none", 0.0)] + [(k, lv) for k in KINDS for lv in LEVELS if lv > 0]


def memory_row(quick: bool, seed: int) -> dict[str, Any]:
    """tracemalloc peaks of invert_layerwise and of the floor on 250 x 1000 x 4000."""
    net = random_network([250, 1000, 4000], rng=np.random.default_rng(seed))
    x = plant(net, rng=np.random.default_rng(seed + 1)).observation
    from benchmarks.suite_layerwise import lstsq_floor as floor

    peaks = {}
    for name, call in (("floor", lambda: floor(net, x)),
                       ("reluinv", lambda: invert_layerwise(net, x))):
        tracemalloc.start()
        call()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {"net": "250 x 1000 x 4000 relu", "floor MiB": peaks["floor"],
            "reluinv MiB": peaks["reluinv"], "ratio": peaks["reluinv"] / peaks["floor"]}


def run(quick: bool, seed: int, only: Sequence[str] = (), memory: bool = True,
        trials: int | None = None) -> list[Table]:
    """Every net (or those whose label contains one of ``only``) and noise cell, then the
    memory row. ``trials`` overrides the per-net trial counts."""
    table = Table("reluinv.invert_layerwise against the paper's algorithm (eps inflation)",
                  ["net", "noise", "level", "ok reluinv", "ok paper", "cert", "s reluinv",
                   "s paper", "ratio", "err reluinv", "err paper", "floor"])
    table.header()
    for net in nets(quick, seed):
        if only and not any(word in net.label for word in only):
            continue
        count = trials or net.trials
        for kind, level in cells(quick):
            rng = np.random.default_rng(seed + 7)
            ok = {"reluinv": 0, "paper": 0}
            secs: dict[str, list[float]] = {"reluinv": [], "paper": []}
            errs: dict[str, list[float]] = {"reluinv": [], "paper": []}
            certified = 0
            floors: list[float] = []
            for _ in range(count):
                inst = plant(net.network, rng=rng,
                             noise_kind=None if level == 0.0 else kind,  # type: ignore[arg-type]
                             level=level)
                e = inst.observation - inst.clean
                limit = success_limit(net.network, inst.z, e)
                floors.append(noise_floor(net.network, inst.z, e) / float(
                    np.linalg.norm(inst.z)))
                started = time.perf_counter()
                ours = run_reluinv(net.network, inst.observation, kind, level)
                secs["reluinv"].append(time.perf_counter() - started)
                certified += ours.status is LayerwiseStatus.RECOVERED
                base = invert_paper(net.network, inst.observation, level)
                secs["paper"].append(base.seconds)
                for name, z in (("reluinv", ours.z), ("paper", base.z)):
                    err = inst.relative_error(z) if z is not None else math.inf
                    errs[name].append(err)
                    ok[name] += err <= limit
            t_ours, t_base = median(secs["reluinv"]), median(secs["paper"])
            table.add({"net": net.label, "noise": kind, "level": level,
                       "ok reluinv": f"{ok['reluinv']}/{count}",
                       "ok paper": f"{ok['paper']}/{count}",
                       "cert": f"{certified}/{count}", "s reluinv": t_ours,
                       "s paper": t_base, "ratio": t_ours / t_base,
                       "err reluinv": median(errs["reluinv"]),
                       "err paper": median(errs["paper"]), "floor": median(floors)})
    if not memory:
        return [table]
    peaks = Table("peak memory (tracemalloc) against the least-squares floor",
                  ["net", "floor MiB", "reluinv MiB", "ratio"])
    peaks.header()
    peaks.add(memory_row(quick, seed))
    return [table, peaks]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite_paper",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--nets", nargs="*", default=[],
                        help="only the nets whose label contains one of these words")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--trials", type=int, default=None,
                        help="trials per cell instead of each net's own count")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    machine = machine_info()
    started = time.perf_counter()
    tables = run(args.quick, args.seed, args.nets, not args.no_memory, args.trials)
    write_results(args.out, machine, tables, {"quick": args.quick, "seed": args.seed,
                                              "nets": args.nets,
                                              "seconds": time.perf_counter() - started})


if __name__ == "__main__":
    main()
