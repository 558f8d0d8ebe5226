"""Exact inversion of MAX-3SAT reductions against python-sat on the same formulas.

Random 3-CNF formulas (``benchmarks/exact_vs_rc2.py``'s seeded generator: ``round(ratio k)``
clauses of three distinct variables, random signs), encoded with a binary latent. Per
formula, in this process, one after the other:

* decision: ``solve_sat(F, proof=False)`` (CaDiCaL 1.9.5, model re-checked) against
  ``solve_exact(encode(F), objective="feasible")`` for each exact backend;
* optimum: ``solve_maxsat(F)`` (RC2, model re-counted) against
  ``solve_exact(encode(F), objective="l1")`` for each exact backend.

Every exact answer is verified outside the solver (exact forward pass) and compared with
the python-sat answer (``agree``). The OR-Tools backends get a time limit; a run that hits
it counts with the limit as its time, so their ratio is then a lower bound (``>=``). The
MIP backend runs on the smallest size of each family only.
Ratios are ratios of medians over the formulas of a row; ``family`` rows give the median
of the per-formula ratios over all sizes of a family.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.common import Table, median
from benchmarks.exact_vs_rc2 import random_3cnf
from reluinv import Status, encode, solve_exact, solve_maxsat, solve_sat


@dataclass(frozen=True)
class Family:
    name: str
    ratio: float
    ks: tuple[int, ...]
    instances: int


def families(quick: bool) -> list[Family]:
    if quick:
        return [Family("3-CNF 4.26", 4.26, (20, 50, 100), 3),
                Family("MAX-3SAT 6", 6.0, (30, 40), 3),
                Family("MAX-3SAT 8", 8.0, (30,), 3)]
    return [Family("3-CNF 4.26", 4.26, (20, 40, 60, 80, 100), 5),
            Family("MAX-3SAT 6", 6.0, (30, 40, 50, 60), 3),
            Family("MAX-3SAT 8", 8.0, (30, 35, 40), 3)]


#: The OR-Tools MIP backend runs only on the smallest size of each family (it is the
#: slowest by far, and each of its runs may take the whole time limit).
MIP_ONLY_SMALLEST = True


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, time.perf_counter() - started


def run(quick: bool, seed: int) -> list[Table]:
    all_backends = ("maxsat", "cpsat") if quick else ("maxsat", "cpsat", "mip")
    limit = 20.0 if quick else 30.0
    table = Table(
        "Exact inversion vs python-sat (binary latent); time ratios of medians",
        ["family", "k", "m", "question", "baseline", "baseline s", "backend", "backend s",
         "x baseline", "timeouts", "agree"])
    table.header()
    per_formula: dict[tuple[str, str, str], list[float]] = {}
    for family in families(quick):
        for k in family.ks:
            backends = tuple(b for b in all_backends
                             if b != "mip" or not MIP_ONLY_SMALLEST or k == family.ks[0])
            rng = np.random.default_rng([seed, round(family.ratio * 100), k])
            formulas = [random_3cnf(k, family.ratio, rng) for _ in range(family.instances)]
            for question in ("decision", "optimum"):
                base_times: list[float] = []
                answers: list[Any] = []
                runs: dict[str, list[tuple[float, bool, bool]]] = {b: [] for b in backends}
                for formula in formulas:
                    problem = encode(formula, latent="binary")
                    if question == "decision":
                        sat, seconds = _timed(lambda f=formula: solve_sat(f, proof=False))
                        answers.append(sat.satisfiable)
                    else:
                        opt, seconds = _timed(lambda f=formula: solve_maxsat(f))
                        answers.append(opt.cost)
                    base_times.append(seconds)
                    objective = "feasible" if question == "decision" else "l1"
                    for backend in backends:
                        result = solve_exact(
                            problem, backend=backend, objective=objective,  # type: ignore[arg-type]
                            time_limit=None if backend == "maxsat" else limit)
                        timed_out = result.status in (Status.UNKNOWN, Status.FEASIBLE)
                        if question == "decision":
                            ok = (result.status is Status.OPTIMAL and result.verified) == \
                                answers[-1] and not timed_out
                        else:
                            ok = (result.status is Status.OPTIMAL and result.verified
                                  and result.objective == answers[-1])
                        runs[backend].append((result.seconds, timed_out, ok))
                        per_formula.setdefault((family.name, question, backend), []).append(
                            result.seconds / seconds)
                base_name = "CaDiCaL" if question == "decision" else "RC2"
                base_median = median(base_times)
                for backend in backends:
                    times = [t for t, _, _ in runs[backend]]
                    timeouts = sum(int(t) for _, t, _ in runs[backend])
                    ratio = median(times) / base_median
                    table.add({
                        "family": family.name, "k": k, "m": round(family.ratio * k),
                        "question": question, "baseline": base_name,
                        "baseline s": base_median, "backend": backend,
                        "backend s": median(times),
                        "x baseline": (f">={ratio:.3g}" if timeouts else ratio),
                        "timeouts": timeouts,
                        "agree": f"{sum(int(ok) for _, _, ok in runs[backend])}/"
                                 f"{len(formulas)}",
                    })
    summary = Table("Exact inversion vs python-sat: median per-formula time ratio by family",
                    ["family", "question", "baseline", "backend", "formulas",
                     "median ratio"])
    summary.header()
    for (name, question, backend), ratios in per_formula.items():
        summary.add({"family": name, "question": question,
                     "baseline": "CaDiCaL" if question == "decision" else "RC2",
                     "backend": backend, "formulas": len(ratios),
                     "median ratio": median(ratios)})
    return [table, summary]
