"""Print a results file of ``python -m benchmarks`` as Markdown (for the README).

    python -m benchmarks.report benchmarks/results/latest.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import Table


def markdown(path: Path) -> str:
    data = json.loads(path.read_text())
    machine = data["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    lines = [f"Measured {machine['date_utc']} on {machine['cpu']}, {machine['cores']} cores "
             f"(load average {machine['load_average_start']} at the start, "
             f"{machine.get('load_average_end')} at the end; the machine was shared), "
             f"Python {machine['python']}, {versions}; BLAS threads "
             f"{machine['blas_threads']}; {'quick' if data.get('quick') else 'full'} run, "
             f"seed {data.get('seed')}, {data.get('seconds', 0):.0f} s."]
    for title, table in data["tables"].items():
        t = Table(title, table["columns"], table["rows"])
        lines += ["", f"**{title}**", "", t.markdown()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    print(markdown(parser.parse_args().file))


if __name__ == "__main__":
    main()
