"""Ctrl-C during a solver call ends the command with exit 130 and one "interrupted" line.

The solver libraries catch SIGINT themselves unless told not to (CP-SAT and SCIP then
return a normal-looking status, python-sat raises its own error); these tests send SIGINT
to a command while a solver call is running and require the interrupt to win: exit 130,
the line ``reluinv: interrupted``, no traceback, no verdict printed.

"While a solver call is running" is observed, not guessed: a prelude wraps the solver entry
points (``pywraplp.Solver.Solve``, ``CpSolver.solve``, python-sat's ``Solver.solve`` /
``solve_limited``) so that each call first writes a marker line to stderr (and the stops,
``InterruptSolve`` and ``stop_search``, so a test can tell that the solver was stopped
rather than left to finish); the test waits
for the marker of the solver it targets, lets the call get going for a moment, then sends
the signal. The instances are chosen so that the targeted call lasts seconds.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import reluinv
from reluinv.data.formula import write_dimacs
from reluinv.oracles.sat import solve_sat
from reluinv.validation.generators import random_kcnf

ROOT = Path(__file__).resolve().parents[2]

#: The marker each wrapped solver call (and each call of a solver's stop) writes to stderr
#: before it starts.
MARK = "@@solver-call "

#: Seconds to wait for the targeted solver call to start (imports and encoding come first,
#: and the machine may be loaded), and for the command to end after the signal.
START_SECONDS = 180.0
END_SECONDS = 60.0

PRELUDE = f"""
import functools, sys

def announce(owner, name, tag):
    original = getattr(owner, name)

    @functools.wraps(original)
    def announced(*args, **kwargs):
        sys.stderr.write({MARK!r} + tag + "\\n")
        sys.stderr.flush()
        return original(*args, **kwargs)

    setattr(owner, name, announced)

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model
from pysat.solvers import Solver
announce(pywraplp.Solver, "Solve", "mip")
announce(cp_model.CpSolver, "solve", "cpsat")
announce(Solver, "solve", "pysat")
announce(Solver, "solve_limited", "pysat")
announce(pywraplp.Solver, "InterruptSolve", "stop mip")
announce(cp_model.CpSolver, "stop_search", "stop cpsat")

from reluinv.cli import run
sys.exit(run(sys.argv[1:]))
"""


def _unsatisfiable_3sat(num_vars: int, num_clauses: int, folder: Path) -> Path:
    """The first unsatisfiable random 3-SAT formula (seeds 0, 1, ...) of this size."""
    for seed in range(100):
        formula = random_kcnf(num_vars, num_clauses, rng=np.random.default_rng(seed))
        if not solve_sat(formula, proof=False).satisfiable:
            path = folder / f"uuf{num_vars}.cnf"
            write_dimacs(formula, path)
            return path
    raise AssertionError("no unsatisfiable formula among 100 seeds")  # pragma: no cover


@pytest.fixture(scope="module")
def uuf50(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """n = 50, m = 218 at the threshold: its real-latent MIP takes seconds, its exported
    property's MIP about fifteen."""
    return _unsatisfiable_3sat(50, 218, tmp_path_factory.mktemp("uuf50"))


@pytest.fixture(scope="module")
def uuf100(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """n = 100, m = 430: its binary-latent CP-SAT l1 solve takes seconds."""
    return _unsatisfiable_3sat(100, 430, tmp_path_factory.mktemp("uuf100"))


@pytest.fixture(scope="module")
def exported(uuf50: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The ONNX network and VNN-LIB property of ``uuf50`` (cnf_embedding, unsat)."""
    out = tmp_path_factory.mktemp("export") / "bench"
    done = subprocess.run([sys.executable, "-c", PRELUDE, "export", "--format", "vnncomp",
                           "--out", str(out), str(uuf50)],
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out / "onnx" / "inst_0000.onnx", out / "vnnlib" / "inst_0000.vnnlib"


def _env() -> dict[str, str]:
    """The command imports the same package as the tests (a mutated copy under
    ``tests/mutants.py`` included)."""
    source = Path(reluinv.__file__).resolve().parents[1]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(ROOT)])}


def _interrupt_during(arguments: list[str], tag: str, settle: float, *,
                      group: bool = False) -> tuple[int, str, str, list[str]]:
    """Run ``reluinv *arguments``; once a ``tag`` solver call has started and ``settle``
    seconds have passed, send SIGINT (to the whole process group with ``group``, as a
    terminal's Ctrl-C does). Returns the exit code, stdout, stderr without the markers,
    and the markers written after the targeted call started."""
    process = subprocess.Popen([sys.executable, "-c", PRELUDE, *arguments], env=_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=group)
    assert process.stderr is not None
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    kept: list[str] = []
    after: list[str] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        end = time.monotonic() + START_SECONDS
        while True:
            line = lines.get(timeout=max(0.0, end - time.monotonic()))
            assert line is not None, f"the command ended before a {tag} call: {kept}"
            if line.startswith(MARK):
                if line[len(MARK):].strip() == tag:
                    break
            else:
                kept.append(line)
        time.sleep(settle)
        assert process.poll() is None, "the command ended before the signal"
        if group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        stdout = process.stdout.read()
        code = process.wait(timeout=END_SECONDS)
    finally:
        if process.poll() is None:  # never leave the command behind, even on failure
            process.kill()
            process.wait()
        reader.join(timeout=10)
        process.stdout.close()
        process.stderr.close()
    while (line := lines.get_nowait() if not lines.empty() else None) is not None:
        if line.startswith(MARK):
            after.append(line[len(MARK):].strip())
        else:
            kept.append(line)
    return code, stdout, "".join(kept), after


def _assert_interrupted(code: int, stdout: str, stderr: str) -> None:
    assert code == 130, f"exit {code}; stdout: {stdout!r}; stderr: {stderr!r}"
    assert stderr.strip().splitlines()[-1].startswith("reluinv: interrupted"), stderr
    assert [line for line in stderr.splitlines() if "interrupted" in line] == [
        stderr.strip().splitlines()[-1]]
    assert "Traceback" not in stderr + stdout
    assert "pressed CTRL-C" not in stdout  # SCIP's own handler did not take the signal


def _assert_stopped(after: list[str], tag: str) -> None:
    """The running ``tag`` solver was stopped (not left to finish), and no solver call
    started after the stop."""
    assert after, "no solver was stopped"
    assert after[-1] == f"stop {tag}", after


@pytest.mark.slow  # an uuf50 check up to its first MIP solve: 3-10 s
@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
def test_check_interrupted_in_the_mip_cross_check(uuf50: Path, group: bool) -> None:
    code, stdout, stderr, after = _interrupt_during(["check", str(uuf50)], "mip", 0.3,
                                                    group=group)
    _assert_interrupted(code, stdout, stderr)
    _assert_stopped(after, "mip")
    assert "verdict" not in stdout


@pytest.mark.slow  # encoding, then a real-latent SCIP solve of seconds
def test_solve_real_latent_interrupted_in_scip(uuf50: Path) -> None:
    code, stdout, stderr, after = _interrupt_during(
        ["solve", str(uuf50), "--latent", "real"], "mip", 0.3)
    _assert_interrupted(code, stdout, stderr)
    _assert_stopped(after, "mip")
    assert "ABNORMAL" not in stderr


@pytest.mark.slow  # a binary-latent CP-SAT l1 solve of seconds
def test_solve_binary_interrupted_in_cpsat(uuf100: Path) -> None:
    code, stdout, stderr, after = _interrupt_during(
        ["solve", str(uuf100), "--objective", "l1", "--backend", "cpsat"], "cpsat", 0.3)
    _assert_interrupted(code, stdout, stderr)
    _assert_stopped(after, "cpsat")


@pytest.mark.slow  # the exported property's MIP takes about fifteen seconds
def test_verify_interrupted_in_the_mip(exported: tuple[Path, Path]) -> None:
    network, prop = exported
    code, stdout, stderr, after = _interrupt_during(
        ["verify", str(network), str(prop), "--no-structural"], "mip", 1.0)
    _assert_interrupted(code, stdout, stderr)
    _assert_stopped(after, "mip")
    assert stdout.strip() not in ("unknown", "unsat", "sat")


@pytest.mark.slow  # PHP(10, 9)'s proof-logging SAT solve takes seconds
def test_export_interrupted_in_the_sat_solver(tmp_path: Path) -> None:
    code, stdout, stderr, after = _interrupt_during(
        ["export", "--family", "pigeonhole", "--size", "9", "--count", "1",
         "--format", "vnncomp", "--out", str(tmp_path / "bench")], "pysat", 0.3)
    _assert_interrupted(code, stdout, stderr)
    assert "internal error" not in stderr
    assert after == []  # python-sat stopped itself; no solver ran after it
