"""The one exit-code table, subcommand by subcommand, on small real inputs.

0 success / all agree, 1 a disagreement or a wrong answer, 2 usage or bad input, 3 no
solution (certified), 4 unknown. One case per subcommand and code it can produce. Codes
that no correct library call reaches on demand (a disagreement, an unverified witness, a
solver stopped by its time limit) are produced by a monkeypatched library result, and the
case says so in its id (``-patched``).
"""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import reluinv as ri
from reluinv.cli import build_parser, run
from reluinv.cli import check as check_command
from reluinv.cli import solve as solve_command
from reluinv.cli import validate as validate_command
from reluinv.cli.exit_codes import ExitCode, validation_exit_code

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
UF5 = str(EXAMPLES / "uf5-satlib.cnf")

#: A time limit every check outlives (the SAT and MaxSAT calls alone take longer), so the
#: exact solves after them are never started and the verdict is ``unknown``.
TINY = "1e-6"

Patch = Callable[[pytest.MonkeyPatch], None]


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Small inputs: formulas, results files, networks, problems, observations."""
    paths: dict[str, Path] = {}

    def write(name: str, text: str) -> None:
        paths[name] = tmp_path / name
        paths[name].write_text(text)

    write("sat.cnf", "p cnf 2 2\n1 2 0\n-1 0\n")
    write("unsat.cnf", "p cnf 1 2\n1 0\n-1 0\n")
    write("malformed.cnf", "p cnf 1 1\n2 0\n")
    write("text.npz", "p cnf 1 1\n1 0\n")
    for verdicts in (["agree"], ["agree", "disagree", "error", "unknown"],
                     ["agree", "error", "unknown"], ["agree", "unknown"]):
        write("-".join(verdicts) + ".jsonl", "".join(
            json.dumps({"path": f"f{i}.cnf", "family": "x", "verdict": verdict}) + "\n"
            for i, verdict in enumerate(verdicts)))
    for side, verdict in (("a", "agree"), ("b", "disagree")):  # one instance, two verdicts
        write(f"conflict-{side}.jsonl", json.dumps(
            {"path": f"{side}/f.cnf", "family": "x", "verdict": verdict, "key": "k"}) + "\n")
    for name in ("sat", "malformed"):
        (tmp_path / f"{name}-dir").mkdir()
        (tmp_path / f"{name}-dir" / f"{name}.cnf").write_text(paths[f"{name}.cnf"].read_text())
        paths[f"{name}-dir"] = tmp_path / f"{name}-dir"
    net = ri.random_network([3, 12, 36], rng=np.random.default_rng(0))
    paths["net.npz"] = tmp_path / "net.npz"
    net.save(paths["net.npz"])
    paths["x.npy"] = tmp_path / "x.npy"
    np.save(paths["x.npy"], ri.plant(net, rng=np.random.default_rng(1)).observation)
    paths["line.npz"] = tmp_path / "line.npz"
    ri.ReluNetwork([[[1.0], [1.0]]]).save(paths["line.npz"])  # G(z) = (s(z), s(z))
    paths["unequal.npy"] = tmp_path / "unequal.npy"
    np.save(paths["unequal.npy"], np.array([1.0, 2.0]))  # no z gives two different outputs
    paths["unsat-real.npz"] = tmp_path / "unsat-real.npz"
    ri.encode(ri.read_dimacs(paths["unsat.cnf"]), "real").save(paths["unsat-real.npz"])
    paths["out"] = tmp_path / "out"
    from reluinv.data.vnnlib import OutputPolytope
    from reluinv.reduction.export import cnf_embedding
    for name, text in (("sat", "p cnf 2 2\n1 2 0\n-1 0\n"), ("unsat", "p cnf 1 2\n1 0\n-1 0\n")):
        emb_net, emb_prop = cnf_embedding(ri.parse_dimacs(text))
        paths[f"{name}-emb.onnx"] = tmp_path / f"{name}-emb.onnx"
        ri.write_onnx(emb_net, paths[f"{name}-emb.onnx"])
        paths[f"{name}-emb.vnnlib"] = tmp_path / f"{name}-emb.vnnlib"
        ri.write_vnnlib(emb_prop, paths[f"{name}-emb.vnnlib"])
    paths["wrong-size.vnnlib"] = tmp_path / "wrong-size.vnnlib"
    ri.write_vnnlib(ri.Property([0.0], [1.0], (OutputPolytope([[1.0]], [0.5]),), 1),
                    paths["wrong-size.vnnlib"])
    paths["results"] = tmp_path / "results.jsonl"
    paths["merged"] = tmp_path / "merged.jsonl"
    return {name: str(path) for name, path in paths.items()}


def fake_records(*verdicts: str) -> Patch:
    """Replace the validation run by one that returns records with these verdicts."""
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        records = [{"path": f"f{i}.cnf", "family": "x", "verdict": verdict}
                   for i, verdict in enumerate(verdicts)]
        monkeypatch.setattr(validate_command, "run_validation", lambda *_, **__: records)
    return patch


def fake_verdict(verdict: str) -> Patch:
    """Replace the per-instance check by one whose record has this verdict."""
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(check_command, "check_instance",
                            lambda *_, **__: {"verdict": verdict, "checks": []})
    return patch


def fake_result(status: ri.Status, *, verified: bool, found: bool = True) -> Patch:
    """Replace the exact solver by one that answers ``status`` with or without a z."""
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        result = ri.ExactResult(status=status, z=np.zeros(5) if found else None,
                                objective=0 if found else None, bound=None, seconds=0.0,
                                verified=verified, backend="cpsat", message="made by hand")
        monkeypatch.setattr(solve_command, "solve_exact", lambda *_, **__: result)
    return patch


def uncertified_refutation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every refutation come back with its proof unchecked."""
    import dataclasses

    from reluinv.validation import vnncomp

    real = vnncomp.solve_sat
    monkeypatch.setattr(vnncomp, "solve_sat", lambda *a, **k: dataclasses.replace(
        real(*a, **k), proof_checked=None))


def no_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the library as it is."""


# (argv with {name} placeholders for the files above, patch, expected code); each id reads
# "subcommand-code-what".
CASES: dict[str, tuple[tuple[str, ...], Patch, int]] = {
    "validate-0-agree": (("validate", "{sat-dir}", "-o", "{results}"), no_patch, 0),
    "validate-1-disagree-patched": (("validate", "{sat-dir}", "-o", "{results}"),
                                    fake_records("agree", "disagree", "error", "unknown"), 1),
    "validate-2-malformed-file": (("validate", "{malformed-dir}", "-o", "{results}"),
                                  no_patch, 2),
    "validate-2-missing-path": (("validate", "{out}", "-o", "{results}"), no_patch, 2),
    "validate-2-bad-flag": (("validate", "{sat-dir}", "--workers", "0"), no_patch, 2),
    # a spent time limit leaves the exact cross-checks unfinished (listed in the record),
    # but the certificates of this easy formula finish: the verdict stays agree
    "validate-0-time-limit": (("validate", "{sat-dir}", "-o", "{results}", "--time-limit",
                               TINY), no_patch, 0),
    "validate-4-unknown-patched": (("validate", "{sat-dir}", "-o", "{results}"),
                                   fake_records("agree", "unknown"), 4),
    "validate-2-unreachable-scheduler": (("validate", "{sat-dir}", "-o", "{results}",
                                          "--scheduler", "tcp://127.0.0.1:9",
                                          "--connect-timeout", "0.5"), no_patch, 2),
    "validate-2-shard-out-of-range": (("validate", "{sat-dir}", "--shard", "3/2"), no_patch, 2),
    "report-0-agree": (("report", "{agree.jsonl}"), no_patch, 0),
    "report-1-conflicting-duplicates": (("report", "{conflict-a.jsonl}", "{conflict-b.jsonl}"),
                                        no_patch, 1),
    "report-1-disagree": (("report", "{agree-disagree-error-unknown.jsonl}"), no_patch, 1),
    "report-2-error-record": (("report", "{agree-error-unknown.jsonl}"), no_patch, 2),
    "report-2-not-a-results-file": (("report", "{sat.cnf}"), no_patch, 2),
    "report-2-missing": (("report", "{out}"), no_patch, 2),
    "report-4-unknown": (("report", "{agree-unknown.jsonl}"), no_patch, 4),
    "merge-0-agree": (("merge", "{agree.jsonl}", "{agree.jsonl}", "-o", "{merged}"), no_patch,
                      0),
    "merge-1-conflicting-duplicates": (("merge", "{conflict-a.jsonl}", "{conflict-b.jsonl}",
                                        "-o", "{merged}"), no_patch, 1),
    "merge-2-missing": (("merge", "{agree.jsonl}", "{out}", "-o", "{merged}"), no_patch, 2),
    "merge-4-unknown": (("merge", "{agree-unknown.jsonl}", "-o", "{merged}"), no_patch, 4),
    "check-0-agree": (("check", "--json", "{sat.cnf}"), no_patch, 0),
    "check-1-disagree-patched": (("check", "--json", "{sat.cnf}"), fake_verdict("disagree"), 1),
    "check-2-malformed": (("check", "{malformed.cnf}"), no_patch, 2),
    "check-2-bad-flag": (("check", "{sat.cnf}", "--time-limit", "0"), no_patch, 2),
    "check-0-time-limit": (("check", "--json", "{sat.cnf}", "--time-limit", TINY), no_patch, 0),
    "check-4-unknown-patched": (("check", "--json", "{sat.cnf}"), fake_verdict("unknown"), 4),
    "check-4-uncertified-patched": (("check", "--json", "{sat.cnf}"),
                                    fake_verdict("uncertified"), 4),
    "info-0": (("info", UF5, "{net.npz}", "{unsat-real.npz}"), no_patch, 0),
    "info-2-malformed": (("info", UF5, "{malformed.cnf}"), no_patch, 2),
    "info-2-text-as-npz": (("info", "{text.npz}"), no_patch, 2),
    "reduce-0": (("reduce", UF5, "-o", "{out}"), no_patch, 0),
    "reduce-2-malformed": (("reduce", "{malformed.cnf}", "-o", "{out}"), no_patch, 2),
    "reduce-2-bad-flag": (("reduce", UF5, "--latent", "real", "--lam", "0", "-o", "{out}"),
                          no_patch, 2),
    "solve-0-optimal": (("solve", UF5, "--backend", "cpsat"), no_patch, 0),
    "solve-1-unverified-patched": (("solve", UF5),
                                   fake_result(ri.Status.OPTIMAL, verified=False), 1),
    "solve-2-malformed": (("solve", "{malformed.cnf}"), no_patch, 2),
    "solve-2-text-as-npz": (("solve", "{text.npz}"), no_patch, 2),
    "solve-2-bad-flag": (("solve", UF5, "--time-limit", "-1"), no_patch, 2),
    "solve-3-unsat": (("solve", "{unsat.cnf}", "--backend", "cpsat"), no_patch, 3),
    "solve-4-unknown-patched": (("solve", UF5),
                                fake_result(ri.Status.UNKNOWN, verified=False, found=False), 4),
    "solve-4-feasible-patched": (("solve", UF5, "--objective", "l1"),
                                 fake_result(ri.Status.FEASIBLE, verified=True), 4),
    "invert-0-recovered": (("invert", "{net.npz}", "{x.npy}"), no_patch, 0),
    "invert-2-text-as-npz": (("invert", "{text.npz}"), no_patch, 2),
    "invert-2-bad-flag": (("invert", "{net.npz}", "{x.npy}", "--tau", "-1"), no_patch, 2),
    "invert-3-no-preimage": (("invert", "{line.npz}", "{unequal.npy}"), no_patch, 3),
    "invert-4-inconclusive": (("invert", "{unsat-real.npz}"), no_patch, 4),
    "invert-4-fit": (("invert", "{net.npz}", "{x.npy}", "--noise", "linf"), no_patch, 4),
    "invert-0-within-noise-bound": (("invert", "{net.npz}", "{x.npy}", "--noise", "linf",
                                     "--noise-bound", "1e-6"), no_patch, 0),
    "generate-instances-0": (("generate-instances", "--family", "walkthrough", "--out",
                              "{out}"), no_patch, 0),
    "generate-instances-2-unwritable": (("generate-instances", "--family", "walkthrough",
                                         "--out", "{sat.cnf}"), no_patch, 2),
    "generate-instances-2-bad-flag": (("generate-instances", "--family", "nonsense"),
                                      no_patch, 2),
    "verify-0-sat": (("verify", "{sat-emb.onnx}", "{sat-emb.vnnlib}"), no_patch, 0),
    "verify-2-wrong-size-property": (("verify", "{sat-emb.onnx}", "{wrong-size.vnnlib}"),
                                     no_patch, 2),
    "verify-2-not-onnx": (("verify", "{sat.cnf}", "{sat-emb.vnnlib}"), no_patch, 2),
    "verify-2-bad-flag": (("verify", "{sat-emb.onnx}", "{sat-emb.vnnlib}", "--timeout", "0"),
                          no_patch, 2),
    "verify-3-unsat": (("verify", "{unsat-emb.onnx}", "{unsat-emb.vnnlib}"), no_patch, 3),
    "verify-4-timeout": (("verify", "{unsat-emb.onnx}", "{unsat-emb.vnnlib}",
                          "--no-structural", "--timeout", TINY), no_patch, 4),
    "export-0": (("export", "{sat.cnf}", "{unsat.cnf}", "--format", "vnncomp", "--out",
                  "{out}"), no_patch, 0),
    "export-2-malformed": (("export", "{malformed.cnf}", "--format", "vnncomp", "--out",
                            "{out}"), no_patch, 2),
    "export-2-non-empty-folder": (("export", "{sat.cnf}", "--format", "vnncomp", "--out",
                                   "{sat-dir}"), no_patch, 2),
    "export-2-no-formulas": (("export", "--format", "vnncomp", "--out", "{out}"), no_patch, 2),
    "export-4-uncertified-patched": (("export", "{unsat.cnf}", "--format", "vnncomp", "--out",
                                      "{out}"), uncertified_refutation, 4),
    "none-2-no-subcommand": ((), no_patch, 2),
}


@pytest.mark.parametrize(("argv", "patch", "expected"), CASES.values(), ids=CASES.keys())
def test_exit_code(
    argv: tuple[str, ...], patch: Patch, expected: int, files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patch(monkeypatch)
    code, out, err = call(*(re.sub(r"\{([^}]+)\}", lambda m: files[m[1]], arg) for arg in argv))
    assert code == expected, out + err


def test_every_subcommand_has_cases() -> None:
    """Each subcommand has a case for bad input (2) and one for its good outcome (0); the
    help test below ties the other codes to the rows each ``--help`` lists."""
    for command in subcommands():
        assert {0, 2} <= codes_of(command), command


def subcommands() -> list[str]:
    """The subcommands the parser knows, as ``--help`` lists them."""
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices)


def codes_of(command: str) -> set[int]:
    """The codes the cases above expect from ``command``."""
    return {code for case, (_, _, code) in CASES.items()
            if case.startswith(f"{command}-") and case[len(command) + 1].isdigit()}


@pytest.mark.parametrize("command", [None, *subcommands()])
def test_help_lists_the_exit_code_table(command: str | None) -> None:
    code, out, _ = call(*([command] if command else []), "--help")
    assert code == 0
    table = out[out.index("\nexit codes:\n"):]
    rows = {int(line.split()[0]): line.split(None, 1)[1]
            for line in table.splitlines()[2:] if line.strip()}
    expected = set(ExitCode) if command is None else {*codes_of(command), 130, 143}
    assert set(rows) == expected
    for value, meaning in rows.items():
        assert meaning == ExitCode(value).meaning


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("solve", UF5, "--time-limit", "-1"),
         "--time-limit must be a positive number of seconds, got -1"),
        (("check", UF5, "--time-limit", "soon"), "--time-limit must be a number of seconds, "
                                                 "got 'soon'"),
        (("validate", "--time-limit", "0"),
         "--time-limit must be a positive number of seconds, got 0"),
        (("validate", "--workers", "0"), "--workers must be at least 1, got 0"),
        (("validate", "--workers", "2.5"), "--workers must be an integer, got '2.5'"),
        (("validate", "--max-bytes", "-5"), "--max-bytes must be at least 1, got -5"),
        (("validate", "--shard", "3/2"), "--shard must be I/N with 1 <= I <= N, got 3/2"),
        (("validate", "--shard", "half"),
         "--shard must be I/N with integers 1 <= I <= N, got 'half'"),
        (("validate", "--shard", "0/2"), "--shard index I must be at least 1, got 0"),
        (("reduce", UF5, "--lam", "0", "-o", "x.npz"), "--lam must be at least 1, got 0"),
        (("invert", "n.npz", "--tau", "-0.5"), "--tau must be a finite number >= 0, got -0.5"),
        (("invert", "n.npz", "--noise-bound", "nan"),
         "--noise-bound must be a finite number >= 0, got nan"),
    ],
    ids=["time-limit-negative", "time-limit-text", "validate-time-limit-zero", "workers-zero",
         "workers-float", "max-bytes-negative", "shard-over", "shard-text", "shard-zero",
         "lam-zero", "tau-negative", "noise-bound-nan"],
)
def test_bad_flag_values_are_one_usage_line_naming_the_flag(
    argv: tuple[str, ...], message: str
) -> None:
    code, out, err = call(*argv)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"reluinv {argv[0]}: error: {message} "
                                f"(see reluinv {argv[0]} --help)"]


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [((), 2), (("agree",), 0), (("agree", "unknown"), 4), (("unknown", "error"), 2),
     (("error", "disagree", "unknown"), 1)],
)
def test_validation_exit_code_precedence(verdicts: tuple[str, ...], expected: int) -> None:
    assert validation_exit_code(verdicts) == expected


def test_interrupted_is_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(solve_command, "solve_exact", interrupted)
    code, _, err = call("solve", UF5)
    assert code == ExitCode.INTERRUPTED == 130
    assert err == "reluinv: interrupted\n"


def test_readme_lists_the_same_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Exit codes\n"):]
    section = section[:section.index("\n## ")]
    rows = {int(cells[1]): cells[2].strip() for line in section.splitlines()
            if (cells := line.split("|")) and len(cells) > 3 and cells[1].strip().isdigit()}
    assert rows == {code.value: code.meaning for code in ExitCode}
