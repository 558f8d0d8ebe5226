"""The notebooks are stored clean: no outputs, no execution counts, a kernel that exists.

`make test` executes them (``pytest --nbmake``); what is committed is
only their source, so a diff shows what changed in the text and the code, never a stale
figure or a number from somebody's machine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = (
    "01_reduction_walkthrough.ipynb",
    "02_layerwise_inversion.ipynb",
    "03_noise_and_error_bounds.ipynb",
    "04_trained_generator.ipynb",
)


def _cells(path: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return cells


def _code_cells(path: Path) -> list[dict[str, Any]]:
    return [cell for cell in _cells(path) if cell["cell_type"] == "code"]


def test_the_walkthrough_notebooks_are_all_there() -> None:
    assert tuple(p.name for p in NOTEBOOKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path: Path) -> None:
    dirty = [i for i, cell in enumerate(_code_cells(path))
             if cell.get("outputs") or cell.get("execution_count") is not None]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs or execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_on_the_python3_kernel(path: Path) -> None:
    kernel = json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
    assert kernel["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_the_package_and_asserts_its_claims(path: Path) -> None:
    source = "\n".join("".join(cell["source"]) for cell in _code_cells(path))
    assert "import reluinv as ri" in source
    assert source.count("assert ") >= 10
    assert not re.search(r"default_rng\(\s*\)", source), "an unseeded generator"
