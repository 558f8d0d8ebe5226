"""Certified validation throughput against the targets, as a ``make bench`` suite.

Runs :func:`benchmarks.certify.run` (``reluinv validate --workers 2`` through
:func:`reluinv.validation.runner.run_validation`, every record certified) on the two sets
of the targets: uniform random 3-CNF with 20 variables and 91 clauses (target: at least 10
instances per second) and with 100 variables and 430 clauses (target: median at most 2 s
per instance, every record certified and agreeing). Both sets are half satisfiable. The
full run uses the targets' sizes, 1000 and 100 instances; ``--quick`` uses 100 and 10.
The 100-variable set runs twice: with the default real-latent l1 MIP budget (1 s) and
with 5 s (the real-latent l1 MIP does not finish on its unsatisfiable half in either: its
LP bound stays 0; the budget is then pure cost, and the second row shows what it costs).
The median per instance is also given per half (satisfiable, unsatisfiable): with half
of each, the overall median lies between the slowest satisfiable and the fastest
unsatisfiable instance.

A second table compares the current settings with the baseline ones
(:func:`benchmarks.certify.baseline_settings`: the l1 question always solved, HiGHS
confirming SCIP's INFEASIBLE, a 5 s real-latent l1 budget, ``drup`` in a child above
5,000), formula by formula in this process, interleaved: the median per-instance ratio.

The ratios are taken within the run: certification seconds over solving seconds (median
over the records), and each stage's median seconds (from the records' ``timings``), which
depend on the load far less than the instances per second do; the load average is in the
results file's machine description.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.certify import balanced_formulas, compare_with_baseline
from benchmarks.certify import run as run_sets
from benchmarks.common import Table
from reluinv.validation.check import DEFAULT_REAL_L1_BUDGET

#: (instances/s at least, median seconds per instance at most) per set.
TARGETS = {"uf20-91": (10.0, None), "uf100-430": (None, 2.0)}


def run(quick: bool, seed: int) -> list[Table]:
    count, big = (100, 10) if quick else (1000, 100)
    table = Table("Certified validation throughput (2 workers)",
                  ["set", "real l1 MIP budget s", "instances", "agree", "certified",
                   "all cross-checks finished", "wall s", "instances/s",
                   "median s/instance", "median s sat / unsat", "median cert/solve",
                   "median overhead s",
                   "busy share", "target", "met", "median stage s", "largest proof lines"])
    table.header()
    rows = run_sets(count, 0, seed, workers=2)
    rows += run_sets(0, big, seed, workers=2, real_l1_budgets=(DEFAULT_REAL_L1_BUDGET, 5.0))
    for row in rows:
        rate, median = TARGETS[row["set"]]
        if rate is not None:
            row["target"] = f">= {rate:g} instances/s, all certified"
            met = row["instances/s"] >= rate and row["certified"] == row["instances"]
        else:
            row["target"] = f"median <= {median:g} s, all certified and agreeing"
            met = (row["median s/instance"] <= median
                   and row["certified"] == row["agree"] == row["instances"])
        row["met"] = "yes" if met else "no"
        table.add(row)
    ratios = Table("Certified validation against the baseline settings (one process, "
                   "interleaved)", ["set", "instances", "ratio current / baseline (median s)",
                                    "satisfiable", "unsatisfiable"])
    ratios.header()
    with tempfile.TemporaryDirectory(prefix="reluinv-certify-ab-") as tmp:
        for name, size, n, m in (("uf20-91", 20 if quick else 60, 20, 91),
                                 ("uf100-430", 4 if quick else 10, 100, 430)):
            folder = Path(tmp) / name
            folder.mkdir()
            paths = balanced_formulas(folder, size, n, m, seed + 1)
            ratios.add({"set": name, **compare_with_baseline(paths)})
    return [table, ratios]
