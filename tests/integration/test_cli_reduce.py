"""``reluinv reduce`` through the command-line entry point, read back with ``info`` and
``InversionProblem.load``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from reluinv import InversionProblem, encode, read_dimacs
from reluinv.cli import run
from reluinv.reduction.lemmas import check_cube

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("latent", "sizes"), [("binary", (5, 10, 6)), ("real", (5, 20, 11))])
def test_reduce_writes_a_problem_that_loads_back(tmp_path: Path, latent: str,
                                                 sizes: tuple[int, ...]) -> None:
    source = EXAMPLES / "uf5-satlib.cnf"
    target = tmp_path / "uf5.npz"
    code, out, err = call("reduce", str(source), "--latent", latent, "-o", str(target))
    assert (code, err) == (0, "")
    assert out.startswith(f"{target}: {latent} latent, sizes {' x '.join(map(str, sizes))}")
    loaded = InversionProblem.load(target)
    formula = read_dimacs(source)
    fresh = encode(formula, latent)  # type: ignore[arg-type]
    assert loaded.network == fresh.network
    assert np.array_equal(loaded.target, fresh.target)
    assert loaded.latent == latent
    assert loaded.lam == fresh.lam
    assert loaded.metadata["formula_sha256"] == formula.sha256()
    assert loaded.metadata["source"] == "uf5-satlib.cnf"
    assert loaded.metadata["num_clauses"] == 6
    # the saved network is the reduction: L1/L2 hold on it with the original formula
    assert check_cube(InversionProblem(loaded.network, loaded.target, loaded.domain,
                                       latent=latent, formula=formula, lam=loaded.lam)).holds


def test_reduce_with_lam_then_info_shows_what_matters(tmp_path: Path) -> None:
    target = tmp_path / "partial.npz"
    code, _, _ = call("reduce", str(EXAMPLES / "partial-maxsat.wcnf"), "--latent", "real",
                      "--lam", "9", "-o", str(target))
    assert code == 0
    code, out, err = call("info", str(target))
    assert (code, err) == (0, "")
    for line in ("sizes            4 x 16 x 10", "latent           real (real domain [-1, 2]^k)",
                 "lam              9", "lam_lower_bound  ", "num_hard         2",
                 "source           partial-maxsat.wcnf", "formula_sha256   ",
                 "max_clause_width 2", "non-zero weights 33"):
        assert line in out


def test_reduce_writes_exactly_the_name_given(tmp_path: Path) -> None:
    target = tmp_path / "p.problem"
    code, out, _ = call("reduce", str(EXAMPLES / "uf5-satlib.cnf"), "-o", str(target))
    assert code == 0
    assert not (tmp_path / "p.problem.npz").exists()
    assert out.startswith(f"{target}:")
    from reluinv import InversionProblem

    assert InversionProblem.load(target).network.sizes[0] == 5


@pytest.mark.parametrize(("extra", "message"), [
    (["--lam", "3"], "lam only applies to latent='real'"),
])
def test_reduce_bad_options_give_one_line(tmp_path: Path, extra: list[str], message: str) -> None:
    source = str(EXAMPLES / "uf5-satlib.cnf")
    code, out, err = call("reduce", source, *extra, "-o", str(tmp_path / "x.npz"))
    assert code == 2
    assert out == ""
    assert err == f"reluinv: error: {source}: {message}\n"
    assert not (tmp_path / "x.npz").exists()


def test_reduce_bad_formula_and_bad_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cnf"
    bad.write_text("p cnf 2 1\n1 3 0\n")
    code, _, err = call("reduce", str(bad), "-o", str(tmp_path / "x.npz"))
    assert code == 2
    assert err == (f"reluinv: error: {bad}:2: literal 3 exceeds the declared number of "
                   "variables 2\n")
    nowhere = tmp_path / "missing-dir" / "x.npz"
    code, _, err = call("reduce", str(EXAMPLES / "uf5-satlib.cnf"), "-o", str(nowhere))
    assert code == 2
    assert err == (f"reluinv: error: {nowhere}: cannot be created: the folder "
                   f"{nowhere.parent} does not exist\n")


def test_reduce_requires_an_output() -> None:
    code, _, _ = call("reduce", str(EXAMPLES / "uf5-satlib.cnf"))
    assert code == 2


def test_an_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    """``-o DIR`` would have written ``DIR.npz`` beside the folder."""
    formula = tmp_path / "f.cnf"
    formula.write_text("p cnf 2 1\n1 2 0\n")
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, err = call("reduce", str(formula), "-o", str(folder))
    assert code == 2
    assert "is a folder; give a file name" in err
    assert not (tmp_path / "out.npz").exists()
