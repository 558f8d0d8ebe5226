"""reluinv.verify: the MIP path against an independent activation-pattern LP oracle, the
structural fast path, the evidence each answer carries, and what never becomes UNSAT."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import reluinv as ri
from reluinv.data.vnnlib import OutputPolytope
from reluinv.exact import verify_property
from reluinv.exact.backend import MipOptions
from reluinv.reduction.export import cnf_embedding, real_latent
from reluinv.validation.generators import pigeonhole
from tests.onnx_files import write_at_opset

V = ri.VerificationStatus
#: The oracle calls a property decided only when its optimum is this far from 0.
ORACLE_MARGIN = 1e-5


def pattern_oracle(net: ri.ReluNetwork, prop: ri.Property) -> float:
    """``min over x in box, over conjuncts d, of max_r (a_r . G(x) - b_r)``, by enumerating
    every activation pattern of a one-hidden-layer network and solving one LP per pattern
    with SciPy's HiGHS (``< 0``: sat, ``> 0``: unsat)."""
    (W1, W2), (b1, b2) = net.weights, net.biases
    W1, W2, b1, b2 = (np.asarray(a, dtype=float) for a in (W1, W2, b1, b2))
    alpha = net.slope if net.activation == "leaky_relu" else 0.0
    h, n, k = W1.shape[0], W2.shape[0], W1.shape[1]
    outs = 0 if net.output_linear else n
    best = np.inf
    for pattern in itertools.product((0, 1), repeat=h + outs):
        s1 = np.where(np.array(pattern[:h]) == 1, 1.0, alpha)
        # hidden h = D1 (W1 x + b1); pre-output t = W2 D1 W1 x + W2 D1 b1 + b2
        M = W2 @ (s1[:, None] * W1)
        c = W2 @ (s1 * b1) + b2
        rows, rhs = [], []
        for i in range(h):  # phase constraints: active -> t >= 0, inactive -> t <= 0
            sign = -1.0 if pattern[i] else 1.0
            rows.append(np.append(sign * W1[i], 0.0))
            rhs.append(-sign * b1[i])
        if outs:
            s2 = np.where(np.array(pattern[h:]) == 1, 1.0, alpha)
            for j in range(n):
                sign = -1.0 if pattern[h + j] else 1.0
                rows.append(np.append(sign * M[j], 0.0))
                rhs.append(-sign * c[j])
            M, c = s2[:, None] * M, s2 * c
        for polytope in prop.disjuncts:
            extra_rows = [np.append(a @ M, -1.0) for a in polytope.A]  # a.(Mx + c) - b <= t
            extra_rhs = [b - a @ c for a, b in zip(polytope.A, polytope.b, strict=True)]
            res = linprog(np.append(np.zeros(k), 1.0),
                          A_ub=np.array(rows + extra_rows).reshape(-1, k + 1),
                          b_ub=np.array(rhs + extra_rhs),
                          bounds=[*zip(prop.lower, prop.upper, strict=True), (-1e3, None)],
                          method="highs")
            if res.status == 0:
                best = min(best, float(res.fun))
    return best


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[ri.ReluNetwork, ri.Property]:
    k, h, n = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    activation: Any = draw(st.sampled_from(["relu", ("leaky_relu", 0.1)]))
    head = draw(st.sampled_from(["hidden", "linear"]))
    net = ri.ReluNetwork([rng.normal(size=(h, k)), rng.normal(size=(n, h))],
                         [rng.normal(size=h), rng.normal(size=n)], activation,
                         output_activation=head)
    disjuncts = tuple(OutputPolytope(rng.normal(size=(r, n)), rng.normal(size=r))
                      for r in draw(st.lists(st.integers(1, 2), min_size=1, max_size=2)))
    return net, ri.Property(-np.ones(k), np.ones(k), disjuncts, n)


@settings(max_examples=40, deadline=None)
@given(small_cases())
def test_mip_path_agrees_with_the_pattern_oracle(case: tuple[ri.ReluNetwork, ri.Property]) -> None:
    net, prop = case
    optimum = pattern_oracle(net, prop)
    if abs(optimum) < ORACLE_MARGIN:
        event("oracle: too close to the boundary to decide")
        return
    result = ri.verify(net, prop, structural=False)
    expected = V.SAT if optimum < 0 else V.UNSAT
    event(f"oracle: {expected.value}")
    event(f"activation={net.activation} head={net.output_activation}")
    assert result.status is expected, (optimum, result.message)
    if expected is V.SAT:
        assert result.counterexample is not None
        assert result.replay is not None
        assert prop.holds(result.counterexample, net.forward(result.counterexample), tol=1e-6)
    else:
        assert result.evidence == "mip_infeasible"


SAT_F = ri.parse_dimacs("p cnf 3 4\n1 2 0\n-1 3 0\n-3 0\n2 0\n")
UNSAT_F = ri.parse_dimacs("p cnf 3 4\n1 2 0\n-1 3 0\n-3 0\n-2 1 0\n")


@pytest.mark.parametrize("encoding", [cnf_embedding, real_latent])
@pytest.mark.parametrize("structural", [True, False])
@pytest.mark.parametrize(("formula", "expected"), [(SAT_F, V.SAT), (UNSAT_F, V.UNSAT)],
                         ids=["sat", "unsat"])
def test_both_paths_decide_both_encodings(encoding: Any, structural: bool, formula: ri.Formula,
                                         expected: ri.VerificationStatus) -> None:
    net, prop = encoding(formula)
    result = ri.verify(net, prop, structural=structural)
    assert result.status is expected
    assert result.method == ("structural" if structural else "mip")
    if expected is V.UNSAT and structural:
        assert result.evidence == "drup_checked"
        assert len(result.proof_sha256 or "") == 64
    if expected is V.SAT:
        x = result.counterexample
        assert x is not None
        assert prop.holds(x, net.forward_exact(list(x)))


def test_a_perturbed_weight_is_not_recognised_and_the_mip_decides() -> None:
    net, prop = cnf_embedding(UNSAT_F)
    W1 = np.array(net.weights[0], dtype=float)
    W1[-1, 0] += 1e-9
    other = ri.ReluNetwork([W1, net.weights[1]], list(net.biases), output_activation="linear")
    result = ri.verify(other, prop)
    assert (result.status, result.method, result.evidence) == (V.UNSAT, "mip", "mip_infeasible")


def _tampered(kind: str) -> tuple[ri.ReluNetwork, ri.Property]:
    """UNSAT_F's embedding changed so that the pair becomes satisfiable while the clause
    rows still read as UNSAT_F: the clause unit of (-3) loses its bias (the clause drops
    out), or the threshold rises to 1.5 (a vertex falsifying one clause meets it)."""
    net, prop = cnf_embedding(UNSAT_F)
    if kind == "bias":
        b1 = np.array(net.biases[0])
        b1[2 * 3 + 2] -= 1  # clause 3 of UNSAT_F is (-3): bias 0 -> -1
        return ri.ReluNetwork(list(net.weights), [b1, net.biases[1]],
                              output_activation="linear"), prop
    return net, ri.Property(prop.lower, prop.upper,
                            (OutputPolytope([[1.0]], [1.5]),), 1)


@pytest.mark.parametrize("kind", ["bias", "threshold"])
def test_recognition_needs_every_number_to_match(kind: str) -> None:
    net, prop = _tampered(kind)
    result = ri.verify(net, prop)
    assert (result.status, result.method) == (V.SAT, "mip")


def test_a_changed_threshold_is_not_recognised() -> None:
    net, _ = cnf_embedding(SAT_F)
    prop = ri.Property(np.zeros(3), np.ones(3), (OutputPolytope([[1.0]], [-0.5]),), 1)
    result = ri.verify(net, prop)
    assert (result.status, result.method) == (V.UNSAT, "mip")  # Y_0 >= 0 on the box


def test_a_second_conjunct_can_be_the_satisfiable_one() -> None:
    net = ri.ReluNetwork([[[1.0]], [[1.0]]], output_activation="linear")  # y = relu(x)
    prop = ri.Property([0.0], [1.0], (OutputPolytope([[1.0]], [-1.0]),
                                      OutputPolytope([[-1.0]], [-0.75])), 1)
    result = ri.verify(net, prop)
    assert result.status is V.SAT
    assert result.refuted == 1
    assert result.replay is not None
    assert result.replay.conjunct == 1
    assert result.counterexample is not None
    assert result.counterexample[0] >= 0.75


def test_empty_box_is_unsat_by_the_box() -> None:
    net = ri.ReluNetwork([[[1.0]]])
    prop = ri.Property([1.0], [0.0], (OutputPolytope([[1.0]], [5.0]),), 1)
    result = ri.verify(net, prop)
    assert (result.status, result.evidence) == (V.UNSAT, "empty_box")


def test_a_time_limit_that_passes_is_timeout_never_unsat() -> None:
    net, prop = cnf_embedding(UNSAT_F)
    result = ri.verify(net, prop, structural=False, time_limit=1e-9)
    assert result.status is V.TIMEOUT
    assert result.evidence is None


def test_the_engine_stopping_is_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_property, "solve_network_model",
                        lambda *_, **__: (ri.Status.UNKNOWN, "NOT_SOLVED"))
    net, prop = cnf_embedding(UNSAT_F)
    assert ri.verify(net, prop, structural=False).status is V.TIMEOUT


def test_a_point_that_fails_the_exact_replay_is_unknown_not_sat(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_property, "_exact_violation", lambda *_: 1.0)
    net, prop = cnf_embedding(SAT_F)
    result = ri.verify(net, prop)
    assert result.status is V.UNKNOWN
    assert result.counterexample is None
    assert "failed the replay" in result.message


def test_a_point_that_fails_onnxruntime_is_unknown_not_sat(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_property, "_runtime_violation", lambda *_: 1.0)
    net, prop = real_latent(SAT_F)
    result = ri.verify(net, prop)
    assert result.status is V.UNKNOWN
    assert "onnxruntime violation" in result.message


def test_an_unchecked_refutation_falls_through_to_the_mip(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = verify_property.solve_sat

    def unchecked(*args: Any, **kwargs: Any) -> ri.SatResult:
        import dataclasses
        return dataclasses.replace(real(*args, **kwargs), proof_checked=None)

    monkeypatch.setattr(verify_property, "solve_sat", unchecked)
    net, prop = cnf_embedding(UNSAT_F)
    result = ri.verify(net, prop)
    assert (result.status, result.method) == (V.UNSAT, "mip")
    assert "structural path undecided" in result.message


def test_sizes_must_match() -> None:
    _net, prop = cnf_embedding(SAT_F)
    with pytest.raises(ri.ShapeError, match="the property speaks of 3 inputs"):
        ri.verify(ri.ReluNetwork([[[1.0, 1.0]]]), prop)


def test_vnncomp_text() -> None:
    net, prop = cnf_embedding(SAT_F)
    text = ri.verify(net, prop).vnncomp_text()
    assert text == "sat\n((X_0 0.0)\n (X_1 1.0)\n (X_2 0.0)\n (Y_0 0.0))\n"
    assert ri.verify(*cnf_embedding(UNSAT_F)).vnncomp_text() == "unsat\n"


@pytest.mark.parametrize("engine", ["SCIP", "HIGHS"])
@pytest.mark.parametrize("formula", [SAT_F, UNSAT_F], ids=["sat", "unsat"])
def test_verify_writes_nothing_to_descriptor_one(capfd: pytest.CaptureFixture[str], engine: str,
                                                 formula: ri.Formula) -> None:
    """Library code never prints: ``capfd`` sees what the native solvers write to file
    descriptor 1 (HiGHS's banner, unless its ``output_flag`` is off). The unsat property
    also runs the HiGHS second opinion on SCIP's INFEASIBLE."""
    net, prop = cnf_embedding(formula)
    ri.verify(net, prop, structural=False, options=MipOptions(mip_solver=engine))
    assert capfd.readouterr().out == ""


def test_a_file_onnxruntime_does_not_implement_is_not_run(tmp_path: Any) -> None:
    """A float64 LeakyRelu at opset 13 (valid ONNX; onnxruntime has no double kernel before
    opset 16): the answer is the network's, replayed on the network written in float32,
    and says that the file was not run."""
    net = ri.ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], activation=("leaky_relu", 0.25),
                         output_activation="linear")
    path = tmp_path / "leaky.onnx"
    write_at_opset(net, path, 13)
    prop = ri.Property([-1.0], [1.0], (OutputPolytope([[-1.0]], [-0.5]),), 1)  # y >= 0.5
    result = ri.verify(net, prop, onnx_model=path)
    assert result.status is V.SAT
    assert result.onnxruntime_skipped is not None
    assert "onnxruntime does not implement the model" in result.onnxruntime_skipped
    assert result.message.endswith(result.onnxruntime_skipped)
    plain = ri.verify(net, prop)
    assert plain.onnxruntime_skipped is None


# -- the exact replay has no tolerance ----------------------------------------------------


def _exactly_met(net: ri.ReluNetwork, prop: ri.Property, result: ri.VerificationResult) -> bool:
    """Whether the counterexample meets its conjunct in rational arithmetic, no tolerance."""
    assert result.counterexample is not None
    assert result.replay is not None
    y = net.forward_exact([Fraction(float(v)) for v in result.counterexample])
    polytope = prop.disjuncts[result.replay.conjunct]
    return all(sum((Fraction(float(c)) * yi for c, yi in zip(a, y, strict=True)), Fraction(0))
               <= Fraction(float(b)) for a, b in zip(polytope.A, polytope.b, strict=True))


def test_outputs_below_the_engines_tolerance_are_not_a_counterexample() -> None:
    net = ri.ReluNetwork([[[1e-7]]])  # y = relu(1e-7 x) <= 1e-7 on [0, 1]
    prop = ri.Property([0.0], [1.0], (OutputPolytope([[-1.0]], [-1e-6]),), 1)  # y >= 1e-6
    result = ri.verify(net, prop)
    assert result.status is not V.SAT, result.message
    assert result.counterexample is None


def test_an_impossible_output_within_the_tolerance_is_not_sat() -> None:
    net = ri.ReluNetwork([[[0.5]]])  # y = relu(x / 2) >= 0
    prop = ri.Property([0.0], [1.0], (OutputPolytope([[1.0]], [-1e-7]),), 1)  # y <= -1e-7
    result = ri.verify(net, prop)
    assert result.status is not V.SAT, result.message
    assert "refutes nothing" in result.message or result.status is V.UNSAT


def test_a_halved_unsat_embedding_with_its_threshold_lowered_is_never_sat() -> None:
    """PHP(4, 3)'s embedding with its output layer halved: the least output on the box is
    1/2, so ``y <= 0.4999999`` is unsatisfiable, by 1e-7, inside the engines' tolerance."""
    net, prop = cnf_embedding(pigeonhole(3))
    half = ri.ReluNetwork([net.weights[0], np.asarray(net.weights[1], dtype=float) / 2],
                          [net.biases[0], np.asarray(net.biases[1], dtype=float) / 2],
                          output_activation="linear")
    lowered = ri.Property(prop.lower, prop.upper, (OutputPolytope([[1.0]], [0.4999999]),), 1)
    result = ri.verify(half, lowered)
    assert result.status in (V.UNSAT, V.UNKNOWN), result.message


def test_a_failed_point_is_followed_by_tightened_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's points of the loosened and of the stated conjunct miss ``y >= 1/2``
    (stubbed); the re-solve with the row tightened by the first margin gives a point that
    meets it exactly."""
    real = verify_property._solve_conjunct

    def outside(*args: Any) -> Any:
        if args[5] == 0.0:  # the margin: the loosened solve, then the stated one
            return verify_property._Outcome("point", "stub", np.array([0.49]))
        return real(*args)

    monkeypatch.setattr(verify_property, "_solve_conjunct", outside)
    net = ri.ReluNetwork([[[1.0]]])
    prop = ri.Property([0.0], [1.0], (OutputPolytope([[-1.0]], [-0.5]),), 1)
    result = ri.verify(net, prop)
    assert result.status is V.SAT, result.message
    assert result.replay is not None
    assert result.replay.margin == verify_property.REPLAY_MARGINS[0]
    assert "tightened by 1e-09" in result.message
    assert _exactly_met(net, prop, result)


def test_the_exact_violation_is_unscaled() -> None:
    net = ri.ReluNetwork([[[2.0]]], [[0.0]], output_activation="linear")  # y = 2 x
    prop = ri.Property([1.0], [1.0], (OutputPolytope([[1.0]], [4.0]),), 1)  # y <= 4
    result = ri.verify(net, prop, structural=False)
    assert result.replay is not None
    assert result.replay.exact_violation == -2.0  # 2 - 4, not (2 - 4) / (1 + 4)


@st.composite
def boundary_cases(draw: st.DrawFn) -> tuple[ri.ReluNetwork, ri.Property]:
    """Tiny networks, weights at scales down to 1e-8, and properties whose bounds lie
    within 1e-6 of the outputs at a point of the box: where an engine's tolerance matters."""
    k, h, n = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1e-3, 1e-6, 1e-8]))
    head = draw(st.sampled_from(["hidden", "linear"]))
    net = ri.ReluNetwork([rng.normal(size=(h, k)) * scale, rng.normal(size=(n, h))],
                         [rng.normal(size=h) * scale, rng.normal(size=n) * scale],
                         output_activation=head)
    x0 = rng.uniform(-1.0, 1.0, size=k)
    A = rng.normal(size=(draw(st.integers(1, 2)), n))
    shift = draw(st.sampled_from([0.0, 1e-9, -1e-9, 1e-7, -1e-7, 1e-6, -1e-6]))
    b = A @ net.forward(x0) + shift * np.abs(rng.normal(size=A.shape[0]))
    return net, ri.Property(-np.ones(k), np.ones(k), (OutputPolytope(A, b),), n)


@settings(max_examples=30, deadline=None)
@given(boundary_cases())
def test_every_counterexample_meets_its_conjunct_exactly(
        case: tuple[ri.ReluNetwork, ri.Property]) -> None:
    net, prop = case
    result = ri.verify(net, prop, structural=False)
    event(f"status={result.status.value}")
    if result.status is V.SAT:
        assert result.replay is not None
        assert result.replay.exact_violation <= 0.0
        assert _exactly_met(net, prop, result), result.message


def test_a_conjunct_met_by_less_than_the_engines_tolerance_is_never_refuted() -> None:
    """4 -> 2 -> 2 -> 1, leaky 0.5, linear head, first-layer weights up to about 1e3,
    last-layer weights about 1e-7: ``y >= t`` holds at a corner of the box by 1e-11 to
    1e-10. The unloosened MIP called it infeasible (a wrong ``unsat``); the answer must be
    ``sat`` or ``unknown``, and a ``sat`` must meet the conjunct exactly."""
    W1 = np.array([[316.7561950683594, -403.1181335449219, 175.02178955078125,
                    -959.844482421875],
                   [344.2066955566406, -808.1248168945312, 928.1378173828125,
                    -123.31604766845703]])
    b1 = np.array([-0.6100000143051147, -0.3400000035762787])
    W2 = np.array([[1.0, 1.0], [-3.0, -2.0]])
    b2 = np.array([-0.12999999523162842, 2.2799999713897705])
    W3 = np.array([[-1.2754456690799998e-07, 2.0997699579083928e-08]])
    net = ri.ReluNetwork([W1, W2, W3], [b1, b2, np.ones(1)], ("leaky_relu", 0.5),
                         output_activation="linear")
    lower = np.array([-0.63, 0.93, -0.57, 0.85])
    upper = lower + 1.0
    corner = np.array([-0.63, 1.93, -0.57, 1.85])
    top = net.forward_exact(corner)[0]
    for gap in (1e-11, 1e-10):
        threshold = float(top) - gap
        assert Fraction(threshold) < top  # the corner meets y >= threshold exactly
        prop = ri.Property(lower, upper, (OutputPolytope([[-1.0]], [-threshold]),), 1)
        result = ri.verify(net, prop, time_limit=60)
        assert result.status is not V.UNSAT, result.message
        if result.status is V.SAT:
            assert _exactly_met(net, prop, result)


def test_when_every_engine_point_fails_a_sampled_point_can_still_be_the_counterexample(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every solve of the conjunct (stubbed) returns ``x = 0.49``, which misses ``y >= 1/2``
    for ``y = relu(x)``; the sampled points of ``[0, 1]`` include ones that meet it, and
    the best of them is replayed exactly."""

    def outside(*args: Any, **kwargs: Any) -> Any:
        return verify_property._Outcome("point", "stub", np.array([0.49]))

    monkeypatch.setattr(verify_property, "_solve_conjunct", outside)
    net = ri.ReluNetwork([[[1.0]]])
    prop = ri.Property([0.0], [1.0], (OutputPolytope([[-1.0]], [-0.5]),), 1)
    result = ri.verify(net, prop)
    assert result.status is V.SAT, result.message
    assert result.method == "sampling"
    assert "a sampled point of the box met it" in result.message
    assert _exactly_met(net, prop, result)
    unreachable = ri.Property([0.0], [1.0], (OutputPolytope([[-1.0]], [-2.0]),), 1)
    result = ri.verify(net, unreachable)
    assert result.status is V.UNKNOWN
    assert "no sampled point met it" in result.message
