"""Sparse (CSR) networks: the same numbers as dense ones, in memory proportional to the
non-zeros; saved and loaded exactly; refused by the dense-only solvers before allocating."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reluinv.exact.backend as exact_backend
import reluinv.reduction.construction as construction
from reluinv import Formula, InversionProblem, ReluNetwork, encode, solve_exact
from reluinv.data.network import DENSE_ENTRY_LIMIT
from reluinv.errors import InvalidArgumentError, ProblemFileError, UnsupportedProblemError
from reluinv.reduction import lemmas
from reluinv.reduction.construction import decode, lift
from reluinv.strategies import binary_points, formulas, real_points
from reluinv.testing import falsified_weight, reference_forward
from reluinv.validation.check import check_instance


def random_3cnf(num_vars: int, num_clauses: int, seed: int) -> Formula:
    """Clauses of three distinct variables with random signs (a seeded draw)."""
    rng = np.random.default_rng(seed)
    variables = np.argsort(rng.random((num_clauses, num_vars)), axis=1)[:, :3] + 1 \
        if num_vars <= 64 else _distinct_triples(rng, num_vars, num_clauses)
    signs = np.where(rng.random((num_clauses, 3)) < 0.5, -1, 1)
    return Formula(num_vars, tuple(tuple(c) for c in (variables * signs).tolist()))


def _distinct_triples(rng: np.random.Generator, num_vars: int, count: int) -> np.ndarray:
    out = np.empty((0, 3), dtype=np.int64)
    while len(out) < count:
        draw = rng.integers(1, num_vars + 1, size=(2 * count, 3))
        keep = (draw[:, 0] != draw[:, 1]) & (draw[:, 0] != draw[:, 2]) & (draw[:, 1] != draw[:, 2])
        out = np.concatenate([out, draw[keep]])
    return out[:count]


def both(formula: Formula, latent: str) -> tuple[InversionProblem, InversionProblem]:
    return (encode(formula, latent, sparse=False),  # type: ignore[arg-type]
            encode(formula, latent, sparse=True))  # type: ignore[arg-type]


@pytest.mark.parametrize("latent", ["binary", pytest.param("real", marks=pytest.mark.slow)])
def test_sparse_and_dense_reductions_agree(latent: str) -> None:
    """k = 80, m = 344: forward, forward_exact (binary and Fraction points), the lemmas."""
    formula = random_3cnf(80, 344, seed=1)
    dense, sparse = both(formula, latent)
    assert not dense.network.is_sparse
    assert sparse.network.is_sparse
    assert sparse.network == dense.network
    assert dense.network == sparse.network
    assert sparse.network.num_nonzero_weights() == dense.network.num_nonzero_weights()
    assert np.array_equal(sparse.target, dense.target)
    rng = np.random.default_rng(2)
    binary = rng.integers(0, 2, 80).tolist()
    real = [Fraction(int(n), 7) for n in rng.integers(-7, 15, 80)]
    batch = rng.integers(-8, 16, size=(4, 80)) / 4  # dyadic: every float sum is exact
    assert np.array_equal(sparse.network.forward(batch), dense.network.forward(batch))
    noisy = rng.normal(size=(4, 80))  # summation order may differ in the last bit
    assert np.allclose(sparse.network.forward(noisy), dense.network.forward(noisy),
                       rtol=1e-12, atol=1e-12)
    for z in (binary, real):
        assert sparse.network.forward_exact(z) == dense.network.forward_exact(z)
        assert sparse.exact_loss(z) == dense.exact_loss(z)
    assert lemmas.check_loss_identity(sparse, binary) == lemmas.check_loss_identity(dense, binary)
    assert lemmas.check_realizability(sparse, binary) == lemmas.check_realizability(dense, binary)
    if latent == "real":
        assert lemmas.check_binary_forcing(sparse, real) == lemmas.check_binary_forcing(dense, real)
        assert lemmas.check_rounding(sparse, real) == lemmas.check_rounding(dense, real)


@pytest.mark.slow
@pytest.mark.parametrize("latent", ["binary", "real"])
def test_sparse_reduction_at_ten_thousand_variables(latent: str, tmp_path: Path) -> None:
    """k = 10^4, m = 4.3 x 10^4 (dense: 8.6 x 10^8 entries, 6.9 GB): the network is CSR by
    default, and its outputs at a binary point are what the formula says clause by clause
    (u_j = w_j when C_j is falsified, g_v = lam)."""
    formula = random_3cnf(10_000, 43_000, seed=3)
    problem = encode(formula, latent)  # type: ignore[arg-type]
    assert problem.network.is_sparse
    assert problem.network.dense_entries > DENSE_ENTRY_LIMIT
    z = np.random.default_rng(4).integers(0, 2, 10_000).tolist()
    falsified = set(formula.falsified_clauses(z))
    expected = [1 if j in falsified else 0 for j in range(formula.num_clauses)]
    if latent == "real":
        assert problem.lam is not None
        expected += [problem.lam] * formula.num_vars
    assert problem.network.forward_exact(z) == expected
    assert problem.network.forward(np.asarray(z, dtype=np.float64)).tolist() == expected
    loss = lemmas.check_loss_identity(problem, z)
    assert loss.holds
    assert loss.loss == falsified_weight(formula, z) == len(falsified)
    assert lemmas.check_realizability(problem, z).holds
    path = tmp_path / "big.npz"
    problem.save(path)
    loaded = InversionProblem.load(path)
    assert loaded.network.is_sparse
    assert loaded.network == problem.network
    assert loaded.fingerprint() == problem.fingerprint()
    assert loaded.network.forward_exact(z) == expected


@settings(max_examples=60, deadline=None)
@given(formula=formulas(max_vars=6, max_clauses=10), latent=st.sampled_from(["binary", "real"]),
       data=st.data())
def test_sparse_matches_dense_on_random_formulas(formula: Formula, latent: str,
                                                 data: st.DataObject) -> None:
    dense, sparse = both(formula, latent)
    k = formula.num_vars
    z_bin = data.draw(binary_points(k))
    z_real = data.draw(real_points(k))
    exact = sparse.network.forward_exact(z_real)
    event("fraction outputs" if any(isinstance(v, Fraction) and v.denominator != 1
                                    for v in exact) else "integer outputs")
    event("falsifies a clause" if formula.falsified(z_bin) else "satisfies F")
    assert exact == dense.network.forward_exact(z_real) == reference_forward(dense.network, z_real)
    assert sparse.network.forward_exact(z_bin) == dense.network.forward_exact(z_bin)
    assert np.array_equal(sparse.network.forward(np.asarray(z_bin, dtype=float)),
                          dense.network.forward(np.asarray(z_bin, dtype=float)))
    assert lemmas.check_loss_identity(sparse, z_bin) == lemmas.check_loss_identity(dense, z_bin)
    assert lemmas.check_realizability(sparse, z_bin) == lemmas.check_realizability(dense, z_bin)
    if latent == "real":
        assert lemmas.check_rounding(sparse, z_real) == lemmas.check_rounding(dense, z_real)


def test_csr_storage_is_canonical() -> None:
    """Duplicates summed, stored zeros dropped: equal matrices compare and hash equal."""
    coo = sp.coo_array((np.array([2, 3, 0, -1]), (np.array([0, 0, 1, 1]), np.array([1, 1, 0, 2]))),
                       shape=(2, 3))
    net = ReluNetwork([coo])
    w = net.weights[0]
    assert sp.issparse(w)
    assert w.nnz == 2
    assert w.dtype == np.int64
    assert w.toarray().tolist() == [[0, 5, 0], [0, 0, -1]]
    assert net == ReluNetwork([[[0, 5, 0], [0, 0, -1]]])
    assert net.to_dense().weights[0].tolist() == [[0, 5, 0], [0, 0, -1]]
    assert net.to_dense().to_sparse() == net


def test_sparse_float_network_matches_dense() -> None:
    rng = np.random.default_rng(5)
    mats = [sp.random(30, 10, density=0.3, random_state=6, format="csr"),
            sp.random(50, 30, density=0.2, random_state=7, format="csr")]
    sparse = ReluNetwork(mats, [rng.normal(size=30), rng.normal(size=50)], ("leaky_relu", 0.1))
    dense = sparse.to_dense()
    z = rng.normal(size=10)
    assert np.allclose(sparse.forward(z), dense.forward(z), rtol=1e-13, atol=1e-13)
    assert sparse.forward_exact(z.tolist()) == dense.forward_exact(z.tolist())


def test_unsigned_sparse_data_is_checked() -> None:
    big = sp.csr_array(np.array([[2**63, 0]], dtype=np.uint64))
    with pytest.raises(InvalidArgumentError,
                       match=r"weights\[0\]\.data\[0\] = 9223372036854775808"):
        ReluNetwork([big])


@pytest.mark.parametrize("latent", ["binary", "real"])
def test_save_load_round_trip_is_exact(latent: str, tmp_path: Path) -> None:
    formula = random_3cnf(40, 170, seed=8)
    _, sparse = both(formula, latent)
    path = tmp_path / "p.npz"
    sparse.save(path)
    loaded = InversionProblem.load(path)
    assert loaded.network.is_sparse
    assert loaded.network == sparse.network
    for a, b in zip(loaded.network.weights, sparse.network.weights, strict=True):
        assert a.dtype == b.dtype
        assert (a != b).nnz == 0
    assert np.array_equal(loaded.target, sparse.target)
    assert loaded.lam == sparse.lam
    assert loaded.fingerprint() == sparse.fingerprint()
    net_path = tmp_path / "n.npz"
    sparse.network.save(net_path)
    assert ReluNetwork.load(net_path) == sparse.network


def test_dense_files_are_unchanged(tmp_path: Path) -> None:
    """A dense network's file has no sparse entries (older readers still read it)."""
    net = ReluNetwork([[[1, -1]]])
    net.save(tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz") as data:
        assert sorted(data.files) == ["W1", "b1", "metadata", "network"]
        assert "sparse_layers" not in str(data["network"])


@pytest.mark.parametrize(
    ("entry", "value", "match"),
    [
        ("W1_indices", np.array([0, 9]), "column indices out of range"),
        ("W1_indptr", np.array([0, 2, 1]), "row pointers or column indices"),
        ("W1_shape", np.array([2.0, 2.0]), "two non-negative integers"),
        ("W1_data", np.array([[1, 2]]), "not a valid CSR matrix"),
    ],
    ids=["index-out-of-range", "pointers-decrease", "float-shape", "2-D-data"],
)
def test_malformed_csr_is_refused(entry: str, value: np.ndarray, match: str,
                                  tmp_path: Path) -> None:
    net = ReluNetwork([sp.csr_array(np.array([[1, 0], [0, 2]]))])
    arrays = net.to_arrays()
    arrays[entry] = value
    np.savez(tmp_path / "bad.npz", **arrays)  # type: ignore[arg-type]
    with pytest.raises(ProblemFileError, match=match):
        ReluNetwork.load(tmp_path / "bad.npz")


def test_to_dense_refuses_before_allocating() -> None:
    net = ReluNetwork([sp.csr_array((10**6, 10**5), dtype=np.int64)])
    with pytest.raises(InvalidArgumentError, match=r"dense copy of the 100000 x 1000000 "
                       r"network needs "
                       r"100000000000 weights \(745 GiB as float64\) > max_entries = "
                       r"8388608; it stays sparse \(0 non-zeros\)"):
        net.to_dense()


def test_encode_switches_to_csr_above_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    formula = random_3cnf(10, 40, seed=9)
    assert not encode(formula).network.is_sparse
    monkeypatch.setattr(construction, "DENSE_ENTRY_LIMIT", 100)
    assert encode(formula).network.is_sparse
    assert not encode(formula, sparse=False).network.is_sparse


def test_exact_solvers_take_small_sparse_problems() -> None:
    formula = random_3cnf(8, 30, seed=10)
    dense, sparse = both(formula, "binary")
    a = solve_exact(sparse, objective="l1")
    b = solve_exact(dense, objective="l1")
    assert a.verified
    assert a.objective == b.objective


def test_exact_solvers_refuse_large_sparse_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact_backend, "DENSE_ENTRY_LIMIT", 100)
    _, sparse = both(random_3cnf(10, 40, seed=11), "binary")
    with pytest.raises(UnsupportedProblemError, match="DENSE_ENTRY_LIMIT = 100"):
        solve_exact(sparse)


def test_check_skips_the_exact_solves_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """What does not fit is skipped with its reason; SAT, MaxSAT, lifting, L1 and L2 run."""
    monkeypatch.setattr(construction, "DENSE_ENTRY_LIMIT", 100)
    monkeypatch.setattr(exact_backend, "DENSE_ENTRY_LIMIT", 100)
    formula = random_3cnf(12, 30, seed=12)
    record = check_instance(formula, time_limit=60)
    assert record["sat"]["status"] == "satisfiable"
    checks = {c["name"]: c for c in record["checks"]}
    for latent in ("binary", "real"):
        for objective in ("feasible", "l1"):
            entry = record["exact"][latent][objective]
            assert entry["status"] == "not run"
            assert "DENSE_ENTRY_LIMIT = 100" in str(entry["message"])
        skipped = checks[f"realizable_iff_satisfiable[{latent}]"]
        assert skipped["status"] == "skipped"
        assert "DENSE_ENTRY_LIMIT" in skipped["reason"]
        assert "DENSE_ENTRY_LIMIT" in checks[f"layerwise_sound[{latent}]"]["reason"]
        for name in ("lifted_sat_model_realizes", "lemma_L2_sat_model",
                     "lifted_maxsat_model_loss_equals_cost", "lemma_L1_maxsat_model"):
            assert checks[f"{name}[{latent}]"]["status"] == "passed", name
    # the certificate chain (SAT model, MaxSAT certificate, L4) does not involve the
    # exact solves: the verdict stands, and the skipped cross-checks are listed
    assert record["verdict"] == "agree"
    assert {"realizable_iff_satisfiable[binary]", "l1_optimum_equals_maxsat_cost[real]"} <= set(
        record["unfinished"])


def test_decode_and_lift_on_sparse() -> None:
    _, sparse = both(random_3cnf(9, 20, seed=13), "real")
    assignment = (1, 0, 1, 1, 0, 0, 1, 0, 1)
    z = lift(sparse, assignment)
    assert decode(sparse, z) == assignment
    assert sparse.exact_loss(z) == sparse.formula.falsified(assignment)  # type: ignore[union-attr]


def test_sparse_exact_pass_does_not_overflow_int64() -> None:
    """Three weights of 3 * 2^60 (each below 2^62) sum past int64: the bound must count the
    entries of a row, and the exact pass leave the int64 fast path."""
    w = sp.csr_array(np.array([[3 * 2**60] * 3, [1, -1, 0]], dtype=np.int64))
    net = ReluNetwork([w], [[0, 0]])
    assert net.forward_exact([1, 1, 1]) == [9 * 2**60, 0]
    assert net.forward_exact([1, 1, 1]) == net.to_dense().forward_exact([1, 1, 1])


def test_layerwise_takes_small_sparse_networks_and_refuses_large_ones() -> None:
    from reluinv import invert_layerwise

    _, sparse = both(random_3cnf(6, 10, seed=14), "binary")
    dense_result = invert_layerwise(sparse.network.to_dense(), sparse.target)
    assert invert_layerwise(sparse.network, sparse.target).status == dense_result.status
    huge = ReluNetwork([sp.csr_array((10**5, 10**4), dtype=np.int64)])
    with pytest.raises(InvalidArgumentError, match="max_entries"):
        invert_layerwise(huge, np.zeros(10**5))


# -- gradient descent and ONNX on CSR networks --------------------------------------------

SPARSE_KINDS = {
    "relu": {"activation": "relu"},
    "leaky": {"activation": ("leaky_relu", 0.2)},
    "linear-head": {"activation": "relu", "output_activation": "linear"},
}


def _pair(kind: str) -> tuple[ReluNetwork, ReluNetwork]:
    """A dense reduction network (integer weights, biases, mostly zeros) with the activation
    ``kind`` asks for, and its CSR copy."""
    net = encode(random_3cnf(8, 20, seed=5), "real", sparse=False).network
    dense = ReluNetwork(net.weights, net.biases, **SPARSE_KINDS[kind])  # type: ignore[arg-type]
    return dense, dense.to_sparse()


@pytest.mark.parametrize("kind", SPARSE_KINDS)
def test_gradient_on_a_csr_network_equals_the_dense_gradient(kind: str) -> None:
    """``df/dz`` back-propagated through CSR weights equals the dense computation, and the
    dense one matches central finite differences (the independent oracle) away from kinks."""
    from reluinv.layerwise.gradient import loss_and_gradient

    dense, sparse = _pair(kind)
    rng = np.random.default_rng(7)
    x = dense.forward(rng.random(8))
    observed = np.flatnonzero(rng.random(dense.output_dim) < 0.8)
    z = rng.normal(0.5, 0.4, size=(5, 8))
    loss_d, grad_d = loss_and_gradient(dense, z, x[observed], observed)
    loss_s, grad_s = loss_and_gradient(sparse, z, x[observed], observed)
    assert np.allclose(loss_s, loss_d, rtol=1e-12, atol=1e-12)
    assert np.allclose(grad_s, grad_d, rtol=1e-12, atol=1e-12)
    h = 1e-6
    for j in range(8):
        step = np.zeros(8)
        step[j] = h
        up, _ = loss_and_gradient(dense, z + step, x[observed], observed)
        down, _ = loss_and_gradient(dense, z - step, x[observed], observed)
        assert np.allclose((up - down) / (2 * h), grad_d[:, j], rtol=1e-4, atol=1e-4)


def test_invert_gradient_takes_a_csr_network() -> None:
    from reluinv.layerwise.gradient import invert_gradient

    dense, sparse = _pair("leaky")
    x = dense.forward(np.full(8, 0.5))
    got = invert_gradient(sparse, x, rng=np.random.default_rng(3), steps=200)
    want = invert_gradient(dense, x, rng=np.random.default_rng(3), steps=200)
    assert got.status is want.status
    assert np.allclose(got.z, want.z, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", SPARSE_KINDS)
def test_write_onnx_writes_a_csr_network_dense(kind: str, tmp_path: Path) -> None:
    from reluinv import read_onnx, write_onnx

    dense, sparse = _pair(kind)
    write_onnx(sparse, tmp_path / "net.onnx")
    back = read_onnx(tmp_path / "net.onnx")
    assert not back.is_sparse
    assert back == sparse
    assert back == dense


def test_write_onnx_refuses_a_csr_network_too_large_to_densify(tmp_path: Path) -> None:
    from reluinv import write_onnx

    huge = ReluNetwork([sp.csr_array((10**5, 10**4), dtype=np.int64)])
    with pytest.raises(InvalidArgumentError, match=r"^write_onnx stores dense weights: a dense "
                       r"copy of the 10000 x 100000 network needs 1000000000 weights .* > "
                       r"max_entries = 8388608; it stays sparse \(0 non-zeros\)$"):
        write_onnx(huge, tmp_path / "huge.onnx")
    assert not (tmp_path / "huge.onnx").exists()
