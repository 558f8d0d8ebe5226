"""Certified validation throughput: ``python -m benchmarks.certify [--count N] [--big N]``.

Two sets of uniform random 3-CNF (:func:`reluinv.validation.generators.random_kcnf`,
seeded), each half satisfiable and half not (formulas are drawn until each half is full):

* ``--count`` formulas with n = 20, m = 91 (SATLIB's uf20-91 shape), validated by
  :func:`reluinv.validation.runner.run_validation` with two workers: instances per second
  of wall time, the share of records that agree and are ``certified``;
* ``--big`` formulas with n = 100, m = 430: the median seconds per instance.

For both, from the records: the certification time (the MaxSAT certificate: the
refutation of "cost <= c - 1" and its check, plus the SAT refutation's check) as a ratio
of the solving time (SAT, MaxSAT and the exact solves without the certificate), medians
over the instances; the per-instance overhead (a worker's wall time minus the check's own
``seconds``: process start and result transfer); the workers' busy share (the records'
wall time over workers x the run's wall time: what dispatch and record writing cost); and
the largest proof each checker accepted. The ratios are taken within one run, so the
machine's load cancels out of them; the absolute rates do not, and the script prints the
load average next to them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reluinv import solve_sat, write_dimacs
from reluinv.validation.check import DEFAULT_REAL_L1_BUDGET
from reluinv.validation.generators import random_kcnf
from reluinv.validation.runner import ValidationOptions, run_validation


def balanced_formulas(folder: Path, count: int, n: int, m: int, seed: int) -> list[Path]:
    """``count`` files, half satisfiable and half not, drawn in seed order."""
    rng = np.random.default_rng([seed, n, m])
    wanted = {True: count - count // 2, False: count // 2}
    paths: list[Path] = []
    while any(wanted.values()):
        formula = random_kcnf(n, m, rng=rng)
        satisfiable = bool(solve_sat(formula, proof=False).satisfiable)
        if wanted[satisfiable] == 0:
            continue
        wanted[satisfiable] -= 1
        path = folder / f"uf{n}-{m}-{len(paths):04d}.cnf"
        write_dimacs(formula, path)
        paths.append(path)
    return paths


def certification_seconds(record: Mapping[str, Any]) -> float:
    certificate = record["maxsat"].get("certificate") or {}
    return float(certificate.get("seconds") or 0.0)


def solving_seconds(record: Mapping[str, Any]) -> float:
    timings = record["timings"]
    solving = sum(float(timings.get(step, 0.0))
                  for step in ("sat", "maxsat", "exact_binary", "exact_real"))
    return solving - certification_seconds(record)


def summarize(name: str, records: Sequence[Mapping[str, Any]], wall: float,
              workers: int = 2) -> dict[str, Any]:
    checked = [r for r in records if "timings" in r]
    certified = sum(1 for r in checked if r.get("certified") is True)
    agree = sum(1 for r in checked if r.get("verdict") == "agree")
    ratios = [certification_seconds(r) / solving_seconds(r) for r in checked
              if solving_seconds(r) > 0]
    overhead = [float(r["wall_seconds"]) - float(r["seconds"]) for r in checked]
    proofs: dict[str, int] = {}
    for r in checked:
        certificate = r["maxsat"].get("certificate") or {}
        if certificate.get("checked") and certificate.get("checker"):
            for checker in str(certificate["checker"]).split(" + "):
                proofs[checker] = max(proofs.get(checker, 0), int(certificate["proof_lines"]))
    stages: dict[str, list[float]] = {}
    for r in checked:
        for stage, seconds in r["timings"].items():
            stages.setdefault(stage, []).append(float(seconds))
    return {
        "set": name,
        "instances": len(records),
        "agree": agree,
        "certified": certified,
        "wall s": round(wall, 1),
        "instances/s": round(len(records) / wall, 2),
        "median s/instance": round(statistics.median(float(r["wall_seconds"])
                                                     for r in checked), 3),
        "median s sat / unsat": " / ".join(
            str(round(statistics.median(half), 3)) if half else "-" for half in (
                [float(r["wall_seconds"]) for r in checked if r["sat"]["satisfiable"]],
                [float(r["wall_seconds"]) for r in checked
                 if r["sat"]["satisfiable"] is False])),
        "median cert/solve": round(statistics.median(ratios), 3) if ratios else None,
        "median overhead s": round(statistics.median(overhead), 3),
        # the workers' busy share: the records' wall time over workers x the run's wall
        # time (1 when no time is lost between instances: dispatch, writing, imports)
        "busy share": round(sum(float(r["wall_seconds"]) for r in checked)
                            / (workers * wall), 3),
        "largest proof lines": proofs,
        "all cross-checks finished": sum(1 for r in checked if not r.get("unfinished")),
        "median stage s": {stage: round(statistics.median(v), 4)
                           for stage, v in sorted(stages.items())},
    }


def run(count: int, big: int, seed: int, workers: int,
        real_l1_budgets: Sequence[float] = (DEFAULT_REAL_L1_BUDGET,)
        ) -> list[dict[str, Any]]:
    """One row per set and real-latent l1 MIP budget (``check_instance``'s
    ``real_l1_budget``; the default first)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="reluinv-certify-") as tmp:
        for name, size, n, m in (("uf20-91", count, 20, 91), ("uf100-430", big, 100, 430)):
            if size == 0:
                continue
            folder = Path(tmp) / name
            folder.mkdir()
            paths = balanced_formulas(folder, size, n, m, seed)
            for budget in real_l1_budgets:
                options = ValidationOptions(check_options={"real_l1_budget": budget})
                start = time.perf_counter()
                records = run_validation([folder], out=Path(tmp) / f"{name}-{budget}.jsonl",
                                         workers=workers, options=options)
                wall = time.perf_counter() - start
                rows.append({**summarize(name, records, wall, workers),
                             "real l1 MIP budget s": budget})
                assert len(records) == len(paths)
    return rows


@contextlib.contextmanager
def baseline_settings() -> Iterator[dict[str, Any]]:
    """The validation settings before the per-latent solves were cut, restored on exit:
    the l1 question always solved on its own, SCIP's real-latent INFEASIBLE confirmed by
    HiGHS, the real-latent l1 solve with SCIP's default emphasis and a 5 s budget, and
    ``drup`` in a child above 5,000 (``lemmas * (clauses + lemmas)``). Yields the
    :func:`~reluinv.validation.check.check_instance` options of the baseline."""
    from reluinv.oracles import rupcheck
    from reluinv.validation import check

    saved = (check._l1_from_preimage, check._infeasibility_evidence,
             rupcheck.DRUP_IN_PROCESS_UP_TO)
    check._l1_from_preimage = lambda problem, feasible: None  # type: ignore[assignment]
    check._infeasibility_evidence = lambda chain, maxsat: None  # type: ignore[assignment]
    rupcheck.DRUP_IN_PROCESS_UP_TO = 5_000
    try:
        yield {"real_l1_budget": 5.0}
    finally:
        (check._l1_from_preimage, check._infeasibility_evidence,
         rupcheck.DRUP_IN_PROCESS_UP_TO) = saved


def compare_with_baseline(paths: Sequence[Path]) -> dict[str, Any]:
    """Each formula checked by :func:`~reluinv.validation.check.check_instance` in this
    process with the current settings and with :func:`baseline_settings`, interleaved
    (so that a change of load hits both alike): the median per-instance ratio of the wall
    times (current / baseline), per half (satisfiable, unsatisfiable) and overall, and
    the median seconds of each. Every record of both must agree and be certified."""
    from reluinv.validation.check import check_instance

    rows: list[tuple[bool, float, float]] = []
    if paths:  # imports and solver start-up, outside the measurement
        check_instance(paths[0])
    for path in paths:
        start = time.perf_counter()
        now = check_instance(path)
        current = time.perf_counter() - start
        with baseline_settings() as options:
            start = time.perf_counter()
            before = check_instance(path, **options)
            baseline = time.perf_counter() - start
        assert now["verdict"] == before["verdict"] == "agree", path
        assert now["certified"], path
        assert before["certified"], path
        rows.append((bool(now["sat"]["satisfiable"]), current, baseline))

    def medians(selected: list[tuple[bool, float, float]]) -> str:
        if not selected:
            return "-"
        ratio = statistics.median(c / b for _, c, b in selected)
        return (f"{ratio:.2f} ({statistics.median(c for _, c, _ in selected):.3f} s vs "
                f"{statistics.median(b for _, _, b in selected):.3f} s)")

    return {"instances": len(rows), "ratio current / baseline (median s)": medians(rows),
            "satisfiable": medians([r for r in rows if r[0]]),
            "unsatisfiable": medians([r for r in rows if not r[0]])}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--big", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--real-l1-budget", type=float, nargs="+",
                        default=[DEFAULT_REAL_L1_BUDGET])
    args = parser.parse_args(argv)
    load = os.getloadavg()
    rows = run(args.count, args.big, args.seed, args.workers, args.real_l1_budget)
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    columns = list(rows[0]) if rows else []
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
