"""stdout carries reluinv's own output only: what native libraries write to file
descriptor 1 goes to stderr (:func:`reluinv.cli.reserve_stdout_for_results`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import reluinv

SRC = str(Path(reluinv.__file__).resolve().parents[1])

#: The console entry point with ``run`` replaced by a command that writes to descriptor 1
#: the way a native solver does, then prints its result through ``sys.stdout``.
PROBE = textwrap.dedent("""
    import os, sys
    import reluinv.cli as cli

    def chatty_run(argv):
        os.write(1, b"native solver chatter\\n")
        print("unsat")
        return 0

    cli.run = chatty_run
    cli.main([])
""")


def run_probe(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_native_writes_to_descriptor_one_reach_stderr_not_the_results() -> None:
    done = run_probe(PROBE)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "unsat\n"
    assert "native solver chatter" in done.stderr


def test_a_real_command_still_prints_its_result_on_stdout(tmp_path: Path) -> None:
    path = tmp_path / "f.cnf"
    path.write_text("p cnf 2 2\n1 2 0\n-1 0\n")
    code = f"import reluinv.cli as cli; cli.main(['info', {str(path)!r}])"
    done = run_probe(code)
    assert done.returncode == 0, done.stderr
    assert "f.cnf" in done.stdout
    assert done.stderr == ""
