"""The built wheel carries the package data and nothing of the repository around it.

Builds the wheel with pip (``pip wheel --no-deps``, in an isolated build environment, as a
user would) from a copy of the checkout (so the build leaves no ``build/`` or
``*.egg-info`` behind in it) and reads the archive's listing: the bundled
instances (the manifest and every file it lists), the typing marker, the license, and no
``tests/``, ``notebooks/`` or ``benchmarks/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = "reluinv/validation/instances/"
NOT_SHIPPED = ("tests", "notebooks", "benchmarks", "examples", "docs")
#: What the copy of the checkout leaves out: version control, environments, caches, builds.
SKIPPED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                 ".*_cache", ".hypothesis", "results*.jsonl")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("checkout") / "reluinv"
    shutil.copytree(ROOT, source, ignore=SKIPPED)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--wheel-dir", str(out), str(source)], check=True, capture_output=True)
    (path,) = out.glob("reluinv-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_wheel_holds_the_bundled_instances_listed_by_their_manifest(
    wheel: zipfile.ZipFile,
) -> None:
    names = set(wheel.namelist())
    manifest = json.loads(wheel.read(INSTANCES + "manifest.json"))
    listed = {INSTANCES + path for path in manifest["files"]}
    assert len(listed) >= 40
    assert listed <= names
    shipped = {n for n in names if n.startswith(INSTANCES) and not n.endswith("manifest.json")}
    assert shipped == listed


@pytest.mark.slow
def test_wheel_holds_the_typing_marker_and_the_license(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert "reluinv/py.typed" in names
    licenses = [n for n in names if n.split("/")[0].endswith(".dist-info")
                and n.rsplit("/", 1)[-1] == "LICENSE"]
    assert len(licenses) == 1
    assert wheel.read(licenses[0]) == (ROOT / "LICENSE").read_bytes()
    metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata


@pytest.mark.slow
def test_wheel_ships_nothing_from_the_repository_around_the_package(
    wheel: zipfile.ZipFile,
) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert tops <= {"reluinv"} | {t for t in tops if t.endswith(".dist-info")}
    assert not any(part in NOT_SHIPPED for name in wheel.namelist()
                   for part in name.split("/")[:-1])


@pytest.mark.slow
def test_wheel_holds_every_model_the_package_loads(wheel: zipfile.ZipFile) -> None:
    """The trained decoders that ``reluinv.digits_decoder`` loads are package data too."""
    shipped = {n for n in wheel.namelist() if n.startswith("reluinv/data/models/")}
    in_tree = {f"reluinv/data/models/{p.name}"
               for p in (ROOT / "src/reluinv/data/models").glob("*.onnx")}
    assert in_tree
    assert shipped == in_tree
