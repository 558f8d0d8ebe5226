"""``reluinv invert`` through the command-line entry point."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from reluinv import ReluNetwork, encode, parse_dimacs, plant, random_network
from reluinv.cli import run
from reluinv.validation.generators import pigeonhole


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def saved_instance(tmp_path: Path) -> tuple[Path, Path, np.ndarray]:
    net = random_network([4, 16, 48], rng=np.random.default_rng(0))
    instance = plant(net, rng=np.random.default_rng(1))
    net_path, x_path = tmp_path / "net.npz", tmp_path / "x.npy"
    net.save(net_path, seed=0)
    np.save(x_path, instance.observation)
    return net_path, x_path, instance.z


def test_recovered_prints_layers_and_writes_z(tmp_path: Path) -> None:
    net_path, x_path, z = saved_instance(tmp_path)
    z_path = tmp_path / "z.npy"
    code, out, err = call("invert", str(net_path), str(x_path), "-o", str(z_path))
    assert (code, err) == (0, "")
    assert out.startswith("status      recovered\n")
    assert "layers (last first):" in out
    layer_lines = [line.split() for line in out.splitlines() if line.startswith("      ")]
    assert [fields[0] for fields in layer_lines] == ["2", "1"]
    assert [fields[8] for fields in layer_lines] == ["lstsq", "lstsq"]
    np.testing.assert_allclose(np.load(z_path), z, rtol=1e-8)


@pytest.mark.parametrize(("bound", "code", "status"), [
    ((), 4, "fit"),  # no stated noise bound: an uncertified fit, exit code 4 (unknown)
    (("--noise-bound", "1e-9"), 0, "recovered"),
])
def test_noise_and_mask_options(tmp_path: Path, bound: tuple[str, ...], code: int,
                                status: str) -> None:
    net_path, x_path, _ = saved_instance(tmp_path)
    mask = np.ones(48, dtype=bool)
    mask[::3] = False
    mask_path = tmp_path / "mask.npy"
    np.save(mask_path, mask)
    returned, out, _ = call("invert", str(net_path), str(x_path), "--noise", "linf",
                            "--mask", str(mask_path), *bound)
    assert returned == code
    assert out.startswith(f"status      {status}\n")
    assert "noise       linf" in out
    assert "    32 " in out  # 32 observed rows constrain the last layer


def test_problem_file_unsat_reduction_is_inconclusive(tmp_path: Path) -> None:
    problem = encode(parse_dimacs("p cnf 1 2\n1 0\n-1 0\n"), "real")
    path = tmp_path / "p.npz"
    problem.save(path)
    code, out, _ = call("invert", str(path))
    assert code == 4
    assert "status      inconclusive" in out
    assert "verified True" in out


def test_no_preimage_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "net.npz"
    ReluNetwork([[[1.0], [1.0]]]).save(path)
    x_path = tmp_path / "x.npy"
    np.save(x_path, np.array([1.0, 2.0]))
    code, out, _ = call("invert", str(path), str(x_path))
    assert code == 3
    assert "status      no_preimage" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("{net}",), "{net}: a bare network needs an observation X.npy"),
        (("{net}", "{wrong}"), "{wrong}: x must have shape (n,) = (48,), got (5,)"),
        (("{missing}", "{wrong}"), "{missing}: no such file"),
        (("{net}", "{net}"), "{net}: X must be a .npy array, got an archive"),
        (("{text}",), "{text}: not a NumPy .npz archive (a saved reluinv network or problem)"),
        (("{net}", "{text}"), "{text}: X must be a NumPy .npy array file"),
        (("{wrong}",), "{wrong}: a single .npy array, not a .npz archive (a saved reluinv "
                       "network or problem)"),
    ],
    ids=["no-observation", "wrong-shape", "missing-network", "archive-as-x", "text-as-npz",
         "text-as-x", "npy-as-npz"],
)
def test_bad_inputs_get_one_error_line(
    tmp_path: Path, argv: tuple[str, ...], expected: str
) -> None:
    net_path, _, _ = saved_instance(tmp_path)
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros(5))
    text = tmp_path / "formula.npz"
    text.write_text("p cnf 1 1\n1 0\n")
    paths = {"net": net_path, "wrong": wrong, "missing": tmp_path / "missing.npz", "text": text}
    code, out, err = call("invert", *(arg.format(**paths) for arg in argv))
    assert (code, out) == (2, "")
    assert err == f"reluinv: error: {expected.format(**paths)}\n"



@pytest.mark.parametrize(("seed", "within"), [(0, True), (1, False)])
def test_noisy_verdict_agrees_with_the_residual(tmp_path: Path, seed: int,
                                               within: bool) -> None:
    """Under uniform noise 1e-3 a noisy ``recovered`` may leave a residual above the noise
    bound (seed 1: 1.43e-3, within the propagated bound 0.038); the verdict line must say
    which bound the residual is within, and the numbers it prints must bear it out."""
    net = random_network([4, 16, 48], rng=np.random.default_rng(seed))
    inst = plant(net, rng=np.random.default_rng(seed + 10), noise_kind="uniform", level=1e-3)
    net_path, x_path, z_path = tmp_path / "net.npz", tmp_path / "x.npy", tmp_path / "z.npy"
    net.save(net_path, seed=seed)
    np.save(x_path, inst.observation)
    code, out, err = call("invert", str(net_path), str(x_path), "--noise", "linf",
                          "--noise-bound", "1e-3", "-o", str(z_path))
    assert (code, err) == (0, "")
    assert out.startswith("status      recovered\nverdict     ")
    verdict = out.splitlines()[1]
    residual = float(np.max(np.abs(net.forward(np.load(z_path)) - inst.observation)))
    assert float(verdict.split("linf residual ")[1].split()[0]) == pytest.approx(
        residual, rel=1e-2)
    assert (residual <= 1e-3) is within
    if within:
        assert "G(z) within the noise bound: " in verdict
        assert "<= noise bound 0.001 " in verdict
    else:
        assert "G(z) not within the noise bound: " in verdict
        assert "> noise bound 0.001; <= " in verdict
        assert residual <= float(verdict.split("; <= ")[1].split()[0])


@pytest.mark.parametrize("hybrid", [(), ("--hybrid",)], ids=["layerwise", "hybrid"])
def test_binary_latent_problem_is_refused(tmp_path: Path, hybrid: tuple[str, ...]) -> None:
    """PHP(4, 3) is unsatisfiable: no binary latent maps to its target, though real ones
    (z = 1/2 ...) do. invert searches real latents, so it must not answer the binary
    problem ("recovered" with entries 0.5 was wrong); solve proves it infeasible."""
    path = tmp_path / "php.npz"
    encode(pigeonhole(3), "binary").save(path)
    code, out, err = call("invert", str(path), *hybrid)
    assert (code, out) == (2, "")
    assert err == (f"reluinv: error: {path}: the problem's latent code is binary (k = 12); "
                   "invert searches real latent codes (layer-wise and --hybrid alike), whose "
                   "answer would not be one of this problem: solve it exactly with reluinv "
                   "solve\n")
    code, out, _ = call("solve", str(path))
    assert code == 3
    assert "infeasible" in out


@pytest.mark.parametrize(("argv", "expected"), [
    (("--certify-unique",), "--certify-unique applies to --hybrid only"),
    (("--latent-radius", "3"), "--latent-radius applies to --hybrid only"),
    (("--time-limit", "5"), "--time-limit applies to --hybrid only"),
    (("--time-limit", "inf"), "--time-limit applies to --hybrid only"),
    (("--noise-bound", "1e-3"),
     "--noise-bound needs a noise model (--noise linf, l1 or l1_total)"),
    (("-o", "{tmp}"), "-o {tmp}: is a folder; give a file name (e.g. DIR/results.jsonl)"),
    (("-o", "{tmp}/x.npy/z.npy"), "-o {tmp}/x.npy/z.npy: {tmp}/x.npy is a file, not a folder"),
], ids=["certify-unique", "latent-radius", "time-limit", "time-limit-inf", "noise-bound",
        "output-folder", "output-under-file"])
def test_a_flag_that_would_be_ignored_or_a_bad_output_is_refused_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...],
        expected: str) -> None:
    """Once silently ignored (or, for -o, found only after solving): now one usage line
    before anything is read or solved."""
    import reluinv.cli.invert as invert_cli

    net_path, x_path, _ = saved_instance(tmp_path)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before the usage check")

    monkeypatch.setattr(invert_cli, "invert_layerwise", never)
    code, out, err = call("invert", str(net_path), str(x_path),
                          *(a.format(tmp=tmp_path) for a in argv))
    assert (code, out) == (2, "")
    assert err == f"reluinv invert: error: {expected.format(tmp=tmp_path)}\n"


def test_output_is_written_under_exactly_its_name(tmp_path: Path) -> None:
    net_path, x_path, z = saved_instance(tmp_path)
    code, _, _ = call("invert", str(net_path), str(x_path), "-o", str(tmp_path / "z.out"))
    assert code == 0
    assert not (tmp_path / "z.out.npy").exists()
    np.testing.assert_allclose(np.load(tmp_path / "z.out"), z, rtol=1e-8)


def test_solve_refuses_latent_on_a_problem_file(tmp_path: Path) -> None:
    path = tmp_path / "php.npz"
    encode(pigeonhole(2), "binary").save(path)
    code, out, err = call("solve", str(path), "--latent", "real")
    assert (code, out) == (2, "")
    assert err == (f"reluinv solve: error: --latent applies to DIMACS input only; {path} is "
                   "a saved problem with its own latent domain\n")


@pytest.mark.parametrize("hybrid", [False, True])
def test_a_code_outside_the_problems_box_is_not_an_answer(tmp_path: Path,
                                                          hybrid: bool) -> None:
    """``x = relu(z)`` with the latent box ``[0, 1]`` and target 2: both modes recover
    ``z = 2``, outside the box; the problem has no pre-image in it, so the code must not
    be reported as its answer (exit 4, a domain line), while one inside passes."""
    from reluinv import InversionProblem, LatentDomain

    net = ReluNetwork([[[1.0]]])
    box = LatentDomain("real", np.array([0.0]), np.array([1.0]))
    path = tmp_path / "p.npz"
    InversionProblem(net, np.array([2.0]), box).save(path)
    flags = ["--hybrid", "--latent-radius", "5"] if hybrid else []
    code, out, _ = call("invert", str(path), *flags)
    assert code == 4, out
    if hybrid:  # the exact stage searched the problem's box (cut to [-5, 5]): no code
        assert "exact: no pre-image in the box [0, 1]^1" in out
        assert "box         [0, 1]^1 (binds: yes)" in out
    else:
        assert "domain      z lies outside the problem's latent box by up to 1" in out
    InversionProblem(net, np.array([0.5]), box).save(path)
    code, out, _ = call("invert", str(path), *flags)
    assert code == 0, out
    assert "domain" not in out


@pytest.mark.usefixtures("layerwise_plain_lp")
def test_the_hybrid_searches_the_problems_own_box(tmp_path: Path) -> None:
    """The real-latent reduction of a satisfiable formula with its latent shifted by 10
    (``z' = z + 10``, box ``[9, 12]^2``): every pre-image lies in ``{10, 11}^2``, outside
    the default box ``[-5, 5]^2``, and the layer-wise stage (null-space LP alone) cannot
    find one. The exact
    stage must search the problem's box and recover a model."""
    from reluinv import InversionProblem, LatentDomain

    formula = parse_dimacs("p cnf 2 3\n1 2 0\n-1 -2 0\n1 -1 0\n")
    reduced = encode(formula, latent="real")
    W1 = np.asarray(reduced.network.weights[0], dtype=float)
    b1 = np.asarray(reduced.network.biases[0], dtype=float) - W1 @ np.full(2, 10.0)
    net = ReluNetwork([W1, *reduced.network.weights[1:]], [b1, *reduced.network.biases[1:]],
                      output_activation=reduced.network.output_activation)
    path, z_path = tmp_path / "shifted.npz", tmp_path / "z.npy"
    InversionProblem(net, reduced.target, LatentDomain.box(2, 9.0, 12.0)).save(path)
    code, out, err = call("invert", str(path), "--hybrid", "-o", str(z_path))
    assert (code, err) == (0, ""), out
    assert "box         [9, 12]^2 (binds: no)" in out
    z = np.load(z_path)
    assert formula.satisfies(tuple(int(v) for v in np.round(z - 10.0)))
    # a radius given as well cuts the problem's box to [9, 10.5]^2: the models (1, 0) and
    # (0, 1) need a coordinate at 11, so there is no pre-image in the cut box
    code, out, _ = call("invert", str(path), "--hybrid", "--latent-radius", "10.5")
    assert code == 4, out
    assert "exact: no pre-image in the box [9, 10.5]^2" in out


def test_a_code_on_the_boxs_face_is_an_answer(tmp_path: Path) -> None:
    """z* = (0, 1, 0.3) in the box [0, 1]^3: the inverter's code lies on two faces up to
    rounding (2.8e-16 outside), which must not make it "outside the box"."""
    from reluinv import InversionProblem, LatentDomain

    net = random_network([3, 30, 80], rng=np.random.default_rng(0))
    z = np.array([0.0, 1.0, 0.3])
    path = tmp_path / "p.npz"
    InversionProblem(net, net.forward(z), LatentDomain.box(3, 0.0, 1.0)).save(path)
    code, out, _ = call("invert", str(path))
    assert code == 0, out
    assert "domain" not in out


def test_a_mask_of_the_wrong_kind_names_the_mask_file(tmp_path: Path) -> None:
    net_path, x_path, _ = saved_instance(tmp_path)
    mask_path = tmp_path / "m.npy"
    np.save(mask_path, np.ones(48))  # floats, not booleans
    code, _, err = call("invert", str(net_path), str(x_path), "--mask", str(mask_path))
    assert code == 2
    assert err.startswith(f"reluinv: error: {mask_path}: the mask must be a boolean array")


def test_output_into_a_missing_folder_is_created_and_never_an_input(tmp_path: Path) -> None:
    net_path, x_path, _ = saved_instance(tmp_path)
    code, _, err = call("invert", str(net_path), str(x_path), "-o", str(x_path))
    assert code == 2
    assert "writing there would destroy it" in err
    target = tmp_path / "new" / "z.npy"
    code, _out, err = call("invert", str(net_path), str(x_path), "-o", str(target))
    assert code == 0, err
    assert target.exists()
