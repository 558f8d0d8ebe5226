"""No process outlives the command that started it, however that command ends.

The matrix: a parent (``reluinv check``, ``reluinv validate`` with a worker process) is
killed each way (SIGTERM, SIGINT, SIGKILL, and for ``validate`` its own hard kill of a
worker past the hard timeout) while one of its descendants is busy in a stage that cannot
be interrupted:

* ``drup``: the verified proof checker in its child interpreter (``python -I
  _tasks.py``), checking the refutation of PHP(8, 7), which takes minutes;
* ``fork``: the latent parts of a record under a deadline, in a forked child, held in the
  layer-wise inverter (replaced by a long sleep in the parent before the fork, so the
  child is busy for as long as the test needs).

Every process of a test carries a unique marker in its environment (inherited by forks
and by the ``python -I`` child alike); after the kill, no live process may carry it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reluinv.data.formula import write_dimacs
from reluinv.validation.generators import pigeonhole

ROOT = Path(__file__).resolve().parents[2]

#: Seconds to wait for the busy descendant to appear, and for the processes to go.
APPEAR_SECONDS = 120.0
VANISH_SECONDS = 15.0

#: Run in the parent process before the command: the drup check of PHP(8, 7) is made to
#: run (normally only the fast RUP checker checks a proof that big), and for the ``fork``
#: workload the layer-wise inverter sleeps.
PRELUDE = """
import functools, sys, time
import reluinv.oracles.rupcheck as rupcheck
import reluinv.oracles.sat as sat
import reluinv.validation.check as check
sat.check_refutation = functools.partial(rupcheck.check_refutation, drup_up_to=10**12)
if sys.argv[1] == "fork":
    def sleeping_inverter(*args, **kwargs):
        time.sleep(3600)
    check.invert_layerwise = sleeping_inverter
"""

CHECK = PRELUDE + """
from reluinv.cli import run
sys.exit(run(["check", sys.argv[2], "--time-limit", "3000"]))
"""

VALIDATE = PRELUDE + """
from reluinv.cli import run
sys.exit(run(["validate", sys.argv[2], "--out", sys.argv[3], "--quiet",
              "--time-limit", "3000"]))
"""

#: ``validate`` whose hard timeout (1 s + 0 x the time limit) passes while the
#: descendant is busy: the run kills the worker itself and goes on.
HARD_KILL = PRELUDE + """
from reluinv.validation.runner import ValidationOptions, run_validation
options = ValidationOptions(time_limit=3000, hard_timeout_factor=0.0,
                            hard_timeout_grace=float(sys.argv[4]))
records = run_validation([sys.argv[2]], out=sys.argv[3], options=options)
sys.exit(0 if records[0]["verdict"] == "unknown" and "killed" in records[0]["reason"] else 9)
"""


def marked(marker: str) -> list[tuple[int, str]]:
    """Live (not zombie) processes whose environment holds ``marker``: (pid, command)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if state != "Z":
            found.append((int(entry.name), command))
    return found


def wait_for(condition: object, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def php87(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("php") / "php87.cnf"
    write_dimacs(pigeonhole(7), path)
    return path


def formula_for(workload: str, php87: Path) -> Path:
    """PHP(8, 7) for the drup workload (its proof keeps drup busy for minutes); a small
    formula for the fork workload (the fork comes within a second)."""
    return php87 if workload == "drup" else ROOT / "examples" / "uf5-satlib.cnf"


@pytest.fixture
def marker() -> Iterator[str]:
    token = f"reluinv-test-{uuid.uuid4().hex}"
    yield token
    for pid, _ in marked(token):  # never leave a process behind, even when a test fails
        os.kill(pid, signal.SIGKILL)


def start(script: str, workload: str, formula: Path, tmp_path: Path, marker: str,
          *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RELUINV_TEST_MARKER": marker,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    with open(tmp_path / "stderr.txt", "wb") as stderr:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-c", script, workload, str(formula),
             str(tmp_path / "out.jsonl"), *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy(parent: subprocess.Popen[bytes], workload: str, marker: str,
         depth: int) -> bool:
    """Whether the descendant of the workload is running (``depth``: processes between the
    parent and it, the parent included: 1 for ``check``, 2 for ``validate``). The drup
    child counts once it has spent a CPU second: it has read its whole input and is
    checking (killed earlier, its parent would leave it an input that ends early, and it
    would exit on its own, proving nothing)."""
    processes = marked(marker)
    if workload == "drup":
        return any("_tasks.py" in command and cpu_seconds(pid) >= 1.0
                   for pid, command in processes)
    return len(processes) >= depth + 1


def assert_no_descendant_survives(parent: subprocess.Popen[bytes], marker: str,
                                  parent_seconds: float = VANISH_SECONDS) -> None:
    try:
        parent.wait(timeout=parent_seconds)
    except subprocess.TimeoutExpired:
        parent.kill()
        parent.wait()
        pytest.fail("the parent did not end after the signal")
    assert wait_for(lambda: not marked(marker), VANISH_SECONDS), (
        f"processes outlived their parent: {marked(marker)}")


@pytest.mark.slow  # a PHP(8, 7) solve and proof check, or a fork, then a kill: 3-15 s each
@pytest.mark.parametrize("workload", ["drup", "fork"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])
@pytest.mark.parametrize(("command", "depth"), [("check", 1), ("validate", 2)])
def test_killing_the_parent_kills_every_descendant(
    command: str, depth: int, sig: signal.Signals, workload: str, php87: Path,
    tmp_path: Path, marker: str,
) -> None:
    parent = start(CHECK if command == "check" else VALIDATE, workload,
                   formula_for(workload, php87), tmp_path, marker)
    assert wait_for(lambda: busy(parent, workload, marker, depth), APPEAR_SECONDS), (
        f"the {workload} descendant never started: {(tmp_path / 'stderr.txt').read_text()}")
    os.kill(parent.pid, sig)
    assert_no_descendant_survives(parent, marker)
    # validate stops on SIGTERM as on Ctrl-C and exits TERMINATED (143); check dies of it
    expected = {signal.SIGINT: 130}.get(sig, 143 if command == "validate"
                                        and sig == signal.SIGTERM else -sig)
    assert parent.returncode == expected


@pytest.mark.slow
@pytest.mark.parametrize("workload", ["drup", "fork"])
def test_the_runs_hard_kill_of_a_worker_kills_its_descendants(
    workload: str, php87: Path, tmp_path: Path, marker: str,
) -> None:
    # the hard timeout must pass while the descendant is busy: the drup check starts after
    # the solve and the fast checker (a few seconds) and runs for minutes; the fork comes
    # within a second and sleeps
    hard_timeout = 30.0 if workload == "drup" else 3.0
    parent = start(HARD_KILL, workload, formula_for(workload, php87), tmp_path, marker,
                   str(hard_timeout))
    assert wait_for(lambda: busy(parent, workload, marker, 2), APPEAR_SECONDS)
    # the run kills its worker at the hard timeout and then ends by itself
    assert_no_descendant_survives(parent, marker, parent_seconds=hard_timeout + 60)
    assert parent.returncode == 0
