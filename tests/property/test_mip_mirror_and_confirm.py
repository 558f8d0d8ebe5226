"""Two properties of the MIP backend.

* **Mirrored units** (``reluinv.exact.mip._mirror_units``): a hidden unit whose row and
  bias negate another's shares that unit's binary through ``s(-t) = s(t) - (1 + alpha) t``.
  Judged by planted pre-images (a genuine ``z0`` in the box must still be found, so the
  link cuts nothing off) and, on the reduction's real latent, by the brute-force MaxSAT
  cost (the l1 optimum, lemma L4: a link that is too loose would let the optimum drop).
* **No unconfirmed INFEASIBLE**: SCIP's INFEASIBLE is put to HiGHS; when HiGHS finds a
  point, or is undecided, ``solve_exact`` does not report INFEASIBLE. SCIP's wrong answer
  (seen in OR-Tools 9.15 through variable aggregation) is simulated, since the cases where
  it happens are rare: the engine's status is replaced, the model is not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reluinv as ri
import reluinv.exact.mip as mip
from reluinv.data.formula import Formula
from reluinv.exact.result import Status
from reluinv.reduction.construction import encode
from reluinv.testing import brute_force_maxsat_cost

QUARTERS = st.integers(-8, 8).map(lambda q: q / 4)


@st.composite
def mirrored_problems(draw: st.DrawFn) -> tuple[ri.InversionProblem, np.ndarray]:
    """A one-hidden-layer net whose hidden layer holds units and some of their negations
    (in any order), a box [-2, 2]^k, and a target planted at a point z0 of the box."""
    k = draw(st.integers(1, 3))
    base = draw(st.integers(1, 3))
    rows = [np.array(draw(st.lists(st.integers(-2, 2), min_size=k, max_size=k)), float)
            for _ in range(base)]
    biases = [float(draw(st.integers(-2, 2))) for _ in range(base)]
    negated = draw(st.lists(st.booleans(), min_size=base, max_size=base))
    units = [(r, b) for r, b in zip(rows, biases, strict=True)]
    units += [(-r, -b) for r, b, n in zip(rows, biases, negated, strict=True) if n]
    order = draw(st.permutations(range(len(units))))
    w1 = np.array([units[i][0] for i in order])
    b1 = np.array([units[i][1] for i in order])
    outputs = draw(st.integers(1, 2))
    w2 = np.array(draw(st.lists(st.lists(st.integers(-2, 2), min_size=len(units),
                                         max_size=len(units)),
                                min_size=outputs, max_size=outputs)), float)
    b2 = np.array(draw(st.lists(st.integers(-1, 1), min_size=outputs, max_size=outputs)),
                  float)
    activation = draw(st.sampled_from(["relu", ("leaky_relu", 0.25)]))
    net = ri.ReluNetwork([w1, w2], [b1, b2], activation)
    z0 = np.array(draw(st.lists(QUARTERS, min_size=k, max_size=k)))
    problem = ri.InversionProblem(net, net.forward(z0), ri.LatentDomain.box(k, -2, 2))
    return problem, z0


@settings(deadline=None)
@given(mirrored_problems())
def test_mirrored_units_keep_planted_preimages(case: tuple[ri.InversionProblem,
                                                           np.ndarray]) -> None:
    problem, _ = case
    result = ri.solve_exact(problem, backend="mip", objective="feasible")
    assert result.model is not None
    event(f"mirrored units in the model: {'some' if result.model.mirrored else 'none'}")
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result.message
    assert result.verified
    assert result.z is not None
    l1 = ri.solve_exact(problem, backend="mip", objective="l1")
    assert l1.status is Status.OPTIMAL
    assert l1.verified
    assert l1.objective is not None
    assert l1.objective <= 1e-6


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 4).flatmap(lambda k: st.tuples(
    st.just(k),
    st.lists(st.lists(st.integers(1, k).flatmap(
        lambda v: st.sampled_from([v, -v])), min_size=1, max_size=3),
        min_size=3, max_size=8))))
def test_real_latent_l1_optimum_with_mirrors_is_the_maxsat_cost(
        case: tuple[int, list[list[int]]]) -> None:
    """The gadget units a_v, b_v are mirrors: one binary per variable, and the optimum is
    still the MaxSAT cost (L4), by brute force."""
    k, clauses = case
    formula = Formula(k, clauses)
    problem = encode(formula, "real", box=(0.0, 1.0))
    result = ri.solve_exact(problem, backend="mip", objective="l1")
    assert result.model is not None
    assert result.model.mirrored == k
    assert result.status is Status.OPTIMAL
    assert result.verified
    cost = brute_force_maxsat_cost(formula)
    event(f"MaxSAT cost {'> 0' if cost else '0'}")
    assert result.objective == pytest.approx(cost, abs=1e-6)


def _scip_says_infeasible(monkeypatch: pytest.MonkeyPatch) -> None:
    """SCIP's status replaced by INFEASIBLE, as in the aggregation bug."""
    monkeypatch.setattr(mip, "_solve", lambda form, limit, threads: (Status.INFEASIBLE,
                                                                     "INFEASIBLE"))


def _planted() -> ri.InversionProblem:
    net = ri.ReluNetwork([[[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0, -1.0]]],
                         [[0.0, 0.0, -1.0], [0.5]], "relu")
    z0 = np.array([0.75, -0.5])
    return ri.InversionProblem(net, net.forward(z0), ri.LatentDomain.box(2, -1, 1))


@pytest.mark.parametrize("objective", ["feasible", "l1"])
def test_scip_infeasible_refuted_by_highs_is_not_reported(
        monkeypatch: pytest.MonkeyPatch, objective: str) -> None:
    """A wrong INFEASIBLE on a problem with a planted pre-image: HiGHS finds a point, which
    is verified like any answer; INFEASIBLE is never returned."""
    problem = _planted()
    _scip_says_infeasible(monkeypatch)
    result = ri.solve_exact(problem, backend="mip", objective=objective)
    assert result.status is not Status.INFEASIBLE
    assert "refuted" in result.message
    assert result.z is not None
    assert result.verified
    assert float(np.max(np.abs(problem.residual(result.z)))) <= 1e-6


def test_scip_infeasible_unconfirmed_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS undecided (no second opinion): the answer is UNKNOWN, not INFEASIBLE."""
    _scip_says_infeasible(monkeypatch)
    monkeypatch.setattr(mip, "confirm_infeasible", lambda solver, limit, inputs=():
                        (None, None))
    result = ri.solve_exact(_planted(), backend="mip", objective="feasible")
    assert result.status is Status.UNKNOWN
    assert result.z is None


def test_scip_infeasible_confirmed_stays_infeasible() -> None:
    """A genuinely infeasible target (a ReLU output of 0 forced to 3 with the unit
    bounded by 1 on the box): SCIP says INFEASIBLE and HiGHS confirms; the message says
    so."""
    net = ri.ReluNetwork([[[1.0], [-1.0]], [[1.0, 0.0]]], [[0.0, 0.0], [0.0]], "relu")
    problem = ri.InversionProblem(net, np.array([3.0]), ri.LatentDomain.box(1, -1, 1))
    result = ri.solve_exact(problem, backend="mip", objective="feasible")
    assert result.status is Status.INFEASIBLE
    assert "confirmed by HIGHS" in result.message


def test_empty_bounds_confirm_infeasible() -> None:
    """A target beyond the bounds of an output (``ReLU(z + 3) = 0`` on ``[-2, 2]``, where
    ``z + 3 >= 1``) empties a variable's bounds; that is the confirmation (HiGHS refuses to
    load such a model), and brute force agrees."""
    net = ri.ReluNetwork([[[1.0]]], [[3.0]], "relu")
    problem = ri.InversionProblem(net, np.array([0.0]),
                                  ri.LatentDomain.box(1, -2, 2, integer=True))
    assert all(net.forward(np.array([float(z)]))[0] >= 1 for z in range(-2, 3))
    result = ri.solve_exact(problem, backend="mip", objective="feasible")
    assert result.status is Status.INFEASIBLE
    assert "empty bounds" in result.message


def _solve_with_evidence(problem: ri.InversionProblem, evidence: str | None
                         ) -> ri.ExactResult:
    from reluinv.exact.backend import MipOptions, run_backend

    return run_backend(mip.MIP, problem, objective="feasible", time_limit=None, hint=None,
                       options=MipOptions(infeasible_evidence=evidence))


def test_caller_evidence_confirms_scip_infeasible(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``infeasible_evidence`` SCIP's INFEASIBLE is confirmed by the caller's proof:
    no HiGHS solve runs, and the message quotes the proof."""
    def no_highs(*args: object, **kwargs: object) -> None:
        raise AssertionError("HiGHS was asked although the caller holds a proof")

    monkeypatch.setattr(mip, "confirm_infeasible", no_highs)
    net = ri.ReluNetwork([[[1.0], [-1.0]], [[1.0, 0.0]]], [[0.0, 0.0], [0.0]], "relu")
    problem = ri.InversionProblem(net, np.array([3.0]), ri.LatentDomain.box(1, -1, 1))
    result = _solve_with_evidence(problem, "ReLU(z) <= 1 < 3 on [-1, 1]")
    assert result.status is Status.INFEASIBLE
    assert "confirmed by the caller's proof: ReLU(z) <= 1 < 3" in result.message


def test_caller_evidence_never_hides_a_point() -> None:
    """The evidence confirms an INFEASIBLE only: on a realizable target SCIP's point is
    returned and verified whatever the caller claims."""
    problem = _planted()
    result = _solve_with_evidence(problem, "a wrong claim")
    assert result.status is Status.OPTIMAL
    assert result.verified
    assert result.z is not None


@pytest.mark.parametrize("evidence", ["", "  ", 3])
def test_infeasible_evidence_must_be_a_statement(evidence: object) -> None:
    from reluinv.errors import InvalidTypeError
    from reluinv.exact.backend import MipOptions

    with pytest.raises(InvalidTypeError, match="infeasible_evidence must be None or a non"):
        MipOptions(infeasible_evidence=evidence)  # type: ignore[arg-type]


@pytest.mark.parametrize("formula", [
    Formula(3, [[1, 2, 3], [1, 2, -3], [1, -2, 3], [1, -2, -3],
                [-1, 2, 3], [-1, 2, -3], [-1, -2, 3], [-1, -2, -3]]),
    Formula(2, [[1], [-1], [2], [-2], [1, 2]]),
], ids=["all-eight", "units"])
def test_bound_emphasis_proves_the_same_optimum(formula: Formula) -> None:
    """``emphasis="bound"`` (heuristics off, one root round of cuts) changes the search,
    not the answer: from the lifted optimal model it proves the brute-force MaxSAT cost
    (lemma L4) on the real latent."""
    from reluinv.reduction.construction import lift
    from reluinv.testing import all_assignments

    problem = encode(formula, "real", box=(0.0, 1.0))
    cost = brute_force_maxsat_cost(formula)
    best = min(all_assignments(formula.num_vars), key=formula.falsified)
    result = ri.solve_exact(problem, backend="mip", objective="l1", emphasis="bound",
                            hint=lift(problem, best))
    assert result.status is Status.OPTIMAL
    assert result.objective == cost
    assert result.bound is not None
    assert result.bound >= cost - 1e-6


def test_bound_emphasis_sets_its_scip_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emphasis reaches SCIP: the solver is created with its parameters (and keeps
    the soundness ones); it is refused with HiGHS, which has none of them."""
    from reluinv.errors import InvalidArgumentError

    seen: list[str] = []
    real_new = mip._new_solver

    def spy(engine: str, emphasis: str = "default") -> object:
        seen.append(emphasis)
        return real_new(engine, emphasis)

    monkeypatch.setattr(mip, "_new_solver", spy)
    ri.solve_exact(_planted(), backend="mip", objective="l1", emphasis="bound")
    assert seen == ["bound"]
    assert mip.SCIP_BOUND_EMPHASIS.count("/freq = -1") == len(mip.SCIP_HEURISTICS)
    with pytest.raises(InvalidArgumentError, match="emphasis='bound' sets SCIP parameters"):
        ri.solve_exact(_planted(), backend="mip", objective="l1", emphasis="bound",
                       mip_solver="HIGHS")
