"""The conclusiveness map of the layer-wise inverter, next to the exact solver's answer.

Random ReLU nets ``k x n_1 x ... x n_d`` with ``n_i = ceil(r n_{i-1})`` for an expansion
ratio ``r`` (the same at every layer) and depth ``d`` (1-3 layers), ``W_i`` i.i.d.
``N(0, 1/n_i)``, biases ``N(0, 0.1^2)``, ``z* ~ N(0, I)`` (``reluinv.strategies.make_case``).
Three targets per net: ``planted`` ``x = G(z*)`` (realizable); ``perturbed`` ``G(z*)``
with one active output moved up by 0.2-1 times ``max(1, ||x||_inf)`` (non-realizable
once the output layer has more active rows than unknowns, realizable below); ``random``
``relu(N(0, I))`` (non-realizable unless the net's image is large). Which of them has a
pre-image is the exact solver's answer, reported next to the inverter's.

Per case, in this process: ``invert_layerwise(net, x)`` (RECOVERED / NO_PREIMAGE /
INCONCLUSIVE) and ``solve_exact`` on the same net and target with the MIP backend,
``objective="feasible"``, over the box ``[-R, R]^k`` with ``R = max(6, 2 ||z*||_inf,
2 ||z_lw||_inf)`` (``z_lw`` the inverter's point, when it has one: a random target's
pre-image can lie far from ``z*``), under a short time limit: FEASIBLE / OPTIMAL (a
verified pre-image: ``realizable``), INFEASIBLE (none in the box; the inverter's
NO_PREIMAGE is about all of ``R^k``), or UNKNOWN (time limit; counted as such, never as
either).
``contradictions`` counts RECOVERED against a proved INFEASIBLE and NO_PREIMAGE against a
verified pre-image: the layer-wise answers are certified, so it must stay 0.

The table has one row per (ratio, depth, target); the figure plots, per depth and target,
the shares of the three layer-wise outcomes and of the exact solver's answers against the
ratio (``benchmarks/results/conclusiveness.png``, ``conclusiveness-quick.png`` for
``--quick``).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import Table, median
from reluinv import InversionProblem, LayerwiseStatus, Status, invert_layerwise, solve_exact
from reluinv.data.problem import LatentDomain
from reluinv.strategies import make_case

RESULTS = Path(__file__).with_name("results")
OUTCOMES = ("RECOVERED", "NO_PREIMAGE", "INCONCLUSIVE")
EXACT = ("realizable", "INFEASIBLE", "UNKNOWN")
TARGETS = ("planted", "perturbed", "random")


def grid(quick: bool) -> tuple[int, tuple[float, ...], tuple[int, ...], int, float]:
    """``(k, ratios, depths, trials per cell and target, MIP time limit in s)``."""
    if quick:
        return 4, (1.0, 2.0, 3.0, 4.0), (1, 2, 3), 3, 1.0
    return 5, (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0), (1, 2, 3), 16, 5.0


def exact_answer(net: Any, x: np.ndarray, reach: float, limit: float) -> tuple[str, float]:
    """The exact solver's answer over ``[-R, R]^k``, ``R = max(6, 2 reach)``, and its
    seconds."""
    k = net.sizes[0]
    radius = max(6.0, 2.0 * reach)
    problem = InversionProblem(net, x, LatentDomain.box(k, -radius, radius))
    started = time.perf_counter()
    result = solve_exact(problem, backend="mip", objective="feasible", time_limit=limit)
    seconds = time.perf_counter() - started
    if result.status in (Status.OPTIMAL, Status.FEASIBLE):
        if not result.verified:
            raise RuntimeError(f"solve_exact returned an unverified z: {result.message}")
        return "realizable", seconds
    return ("INFEASIBLE" if result.status is Status.INFEASIBLE else "UNKNOWN"), seconds


def run(quick: bool, seed: int) -> list[Table]:
    k, ratios, depths, trials, limit = grid(quick)
    table = Table(f"Conclusiveness of the layer-wise inverter against the expansion ratio "
                  f"and depth (ReLU, k = {k}, {trials} nets per row; exact: MIP, "
                  f"feasible, {limit:g} s limit)",
                  ["ratio", "depth", "sizes", "target", "cases", *OUTCOMES,
                   *(f"exact {e}" for e in EXACT), "contradictions", "median lw s",
                   "median exact s"])
    table.header()
    # (depth, ratio) -> joint counts of (layer-wise outcome, exact answer) over the targets
    joint: dict[tuple[int, float], Counter[tuple[str, str]]] = {}
    for depth in depths:
        for ratio in ratios:
            sizes = [k]
            for _ in range(depth):
                sizes.append(math.ceil(ratio * sizes[-1]))
            for target in TARGETS:
                outcomes: Counter[str] = Counter()
                exact: Counter[str] = Counter()
                contradictions = 0
                lw_s: list[float] = []
                exact_s: list[float] = []
                for trial in range(trials):
                    case = make_case("bench", sizes, "relu", seed + 1000 * depth + trial,
                                     target, bias=True)
                    result = invert_layerwise(case.network, case.x)
                    lw_s.append(result.seconds)
                    reach = float(np.max(np.abs(case.z_star)))
                    if result.z is not None:  # so that a RECOVERED z lies in the box
                        reach = max(reach, float(np.max(np.abs(result.z))))
                    answer, seconds = exact_answer(case.network, case.x, reach, limit)
                    exact_s.append(seconds)
                    outcomes[result.status.name] += 1
                    exact[answer] += 1
                    joint.setdefault((depth, ratio), Counter())[
                        (result.status.name, answer)] += 1
                    contradictions += int(
                        (result.status is LayerwiseStatus.RECOVERED and answer == "INFEASIBLE")
                        or (result.status is LayerwiseStatus.NO_PREIMAGE
                            and answer == "realizable"))
                table.add({
                    "ratio": ratio, "depth": depth, "sizes": " x ".join(map(str, sizes)),
                    "target": target, "cases": trials,
                    **{o: outcomes[o] / trials for o in OUTCOMES},
                    **{f"exact {e}": exact[e] / trials for e in EXACT},
                    "contradictions": contradictions, "median lw s": median(lw_s),
                    "median exact s": median(exact_s),
                })
    figure(table, RESULTS / ("conclusiveness-quick.png" if quick else "conclusiveness.png"))
    return [table, summary(joint, depths, ratios, trials * len(TARGETS))]


def summary(joint: dict[tuple[int, float], Counter[tuple[str, str]]], depths: tuple[int, ...],
            ratios: tuple[float, ...], cases: int) -> Table:
    """Per ratio and depth, over all targets: the share of the exactly realizable cases the
    inverter RECOVERED, of the exactly infeasible ones it proved NO_PREIMAGE, and the
    share it left INCONCLUSIVE (``-``: no such case)."""
    columns = ["ratio"]
    for depth in depths:
        columns += [f"d{depth} RECOVERED of realizable", f"d{depth} NO_PREIMAGE of infeasible",
                    f"d{depth} INCONCLUSIVE"]
    unknown = sum(c[(o, "UNKNOWN")] for c in joint.values() for o in OUTCOMES)
    contradictions = sum(c[("RECOVERED", "INFEASIBLE")] + c[("NO_PREIMAGE", "realizable")]
                         for c in joint.values())
    table = Table(f"Conclusive share by exact answer ({cases} cases per ratio and depth: "
                  f"planted, perturbed and random targets; exact UNKNOWN {unknown}, "
                  f"contradictions {contradictions})", columns)
    table.header()

    def share(part: int, whole: int) -> float | str:
        return part / whole if whole else "-"

    for ratio in ratios:
        row: dict[str, Any] = {"ratio": ratio}
        for depth in depths:
            counts = joint[(depth, ratio)]
            realizable = sum(counts[(o, "realizable")] for o in OUTCOMES)
            infeasible = sum(counts[(o, "INFEASIBLE")] for o in OUTCOMES)
            total = sum(counts.values())
            row[f"d{depth} RECOVERED of realizable"] = share(
                counts[("RECOVERED", "realizable")], realizable)
            row[f"d{depth} NO_PREIMAGE of infeasible"] = share(
                counts[("NO_PREIMAGE", "INFEASIBLE")], infeasible)
            row[f"d{depth} INCONCLUSIVE"] = share(
                sum(counts[("INCONCLUSIVE", e)] for e in EXACT), total)
        table.add(row)
    return table


def figure(table: Table, path: Path) -> None:
    """Shares against the ratio: one panel per (target, depth); per ratio, a stacked bar
    of the layer-wise outcomes (left, solid) and one of the exact solver's answers (right,
    hatched)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    depths = sorted({row["depth"] for row in table.rows})
    fig, axes = plt.subplots(len(TARGETS), len(depths), figsize=(4 * len(depths),
                                                                 2.8 * len(TARGETS)),
                             sharey=True, squeeze=False)
    colors = {"RECOVERED": "tab:green", "NO_PREIMAGE": "tab:red", "INCONCLUSIVE": "tab:gray",
              "exact realizable": "tab:green", "exact INFEASIBLE": "tab:red",
              "exact UNKNOWN": "tab:orange"}
    width = 0.38
    for row_index, target in enumerate(TARGETS):
        for col, depth in enumerate(depths):
            ax = axes[row_index][col]
            rows = [r for r in table.rows if r["depth"] == depth and r["target"] == target]
            where = np.arange(len(rows))
            for names, shift, hatch, prefix in ((OUTCOMES, -width / 2, None, "layer-wise "),
                                                 ([f"exact {e}" for e in EXACT], width / 2,
                                                  "//", "")):
                bottom = np.zeros(len(rows))
                for name in names:
                    share = np.array([r[name] for r in rows], dtype=float)
                    ax.bar(where + shift, share, width, bottom=bottom, color=colors[name],
                           alpha=0.55 if hatch else 0.9, hatch=hatch, edgecolor="white",
                           label=prefix + name)
                    bottom += share
            ax.set_xticks(where, [f"{r['ratio']:g}" for r in rows])
            ax.set_title(f"{target} target, depth {depth}", fontsize=9)
            ax.set_ylim(0, 1.02)
            if row_index == len(TARGETS) - 1:
                ax.set_xlabel("expansion ratio n_i / n_(i-1)")
            if col == 0:
                ax.set_ylabel("share (left: layer-wise,\nright: exact)", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=7)
    fig.suptitle(table.title, fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"# figure: {path}", flush=True)
