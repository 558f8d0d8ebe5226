"""Shared helpers of the benchmark suites: machine description, medians, the results file."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    versions = {}
    for package in ("numpy", "scipy", "ortools", "python-sat", "highspy", "reluinv"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average_start": load_average(),
    }


def bench_arguments(prog: str, description: str, results_name: str, *,
                    suites: Sequence[str] = ()) -> tuple[argparse.Namespace, Path]:
    """The command line every benchmark entry point shares: ``--quick``, ``--seed``,
    ``--out`` (and ``--suites`` when ``suites`` are given), parsed, with the results path
    (default ``results/<results_name>.json``, ``-quick`` before the suffix with
    ``--quick``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true",
                        help="fewer trials and smaller families (a few minutes)")
    if suites:
        parser.add_argument("--suites", nargs="+", choices=suites, default=list(suites))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    name = f"{results_name}-quick.json" if args.quick else f"{results_name}.json"
    return args, args.out or Path(__file__).with_name("results") / name


def machine_header(machine: dict[str, Any]) -> str:
    """The first line a benchmark prints: when, on what, under which load and versions."""
    return (f"# {machine['date_utc']}  {machine['cpu']}, {machine['cores']} cores, load "
            f"{machine['load_average_start']}, versions {machine['versions']}")


def median(values: Sequence[float]) -> float:
    finite = [v for v in values if v == v]  # drop NaN
    return float(statistics.median(finite)) if finite else float("nan")


@dataclass
class Table:
    """Rows of one suite, printed as an aligned text table and stored as dicts."""

    title: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        print(self.format_row(row), flush=True)

    def header(self) -> None:
        print(f"\n## {self.title}", flush=True)
        print(self.format_row({c: c for c in self.columns}), flush=True)

    def format_row(self, row: dict[str, Any]) -> str:
        cells = []
        for column in self.columns:
            value = row.get(column, "")
            if isinstance(value, float):
                text = f"{value:.3g}" if abs(value) < 1e4 else f"{value:.3e}"
            else:
                text = str(value)
            cells.append(text)
        return "| " + " | ".join(cells) + " |"

    def markdown(self) -> str:
        lines = [self.format_row({c: c for c in self.columns}),
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += [self.format_row(row) for row in self.rows]
        return "\n".join(lines)


def write_results(path: Path, machine: dict[str, Any], tables: list[Table],
                  extra: dict[str, Any]) -> None:
    """The JSON results file: machine, options, and every table's rows."""
    machine = dict(machine, load_average_end=load_average())
    payload = {"machine": machine, **extra,
               "tables": {t.title: {"columns": t.columns, "rows": t.rows} for t in tables}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
