"""The result contract of every backend: each status, with its fields checked."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import reluinv as ri
from reluinv.data.formula import Formula
from reluinv.data.vnnlib import OutputPolytope

SAT = ri.parse_dimacs("p cnf 3 3\n1 2 0\n-1 3 0\n-2 -3 0\n")
UNSAT = ri.parse_dimacs("p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n")


def hard_formula(k: int = 80, ratio: float = 6.0, seed: int = 3) -> Formula:
    """An over-constrained random 3-CNF: its MaxSAT optimum takes far longer than 10 ms."""
    rng = np.random.default_rng(seed)
    clauses = []
    for _ in range(round(ratio * k)):
        variables = rng.choice(k, size=3, replace=False) + 1
        signs = rng.choice([-1, 1], size=3)
        clauses.append(tuple(int(v * s) for v, s in zip(variables, signs, strict=True)))
    return Formula(k, tuple(clauses))


@pytest.mark.parametrize("backend", ri.EXACT_BACKENDS)
def test_optimal_result_carries_a_verified_witness(backend: str) -> None:
    problem = ri.encode(SAT)
    result = ri.solve_exact(problem, backend=backend)  # type: ignore[arg-type]
    assert result.status is ri.Status.OPTIMAL
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = ri.Status.UNKNOWN  # type: ignore[misc]
    assert result.z is not None
    assert problem.is_preimage(result.z)
    assert SAT.satisfies(ri.decode(problem, result.z))
    assert result.objective == 0
    assert result.bound == 0.0
    assert result.verified
    assert result.verification == "exact"
    assert result.tolerance == 0.0
    assert result.backend == backend
    assert result.objective_kind == "feasible"
    assert result.solver in ("CP-SAT", "SCIP", "CaDiCaL")
    assert result.encoding
    assert result.seconds > 0
    assert result.model is not None
    assert result.model.fixed_by_target == SAT.num_clauses
    assert "OPTIMAL" in result.message


@pytest.mark.parametrize(("backend", "latent"),
                         [("cpsat", "binary"), ("maxsat", "binary"), ("mip", "binary"),
                          ("mip", "real")])
def test_infeasible_is_the_solvers_proof(backend: str, latent: str) -> None:
    result = ri.solve_exact(ri.encode(UNSAT, latent=latent), backend=backend)  # type: ignore[arg-type]
    assert result.status is ri.Status.INFEASIBLE
    assert result.z is None
    assert result.objective is None
    assert result.bound is None
    assert not result.verified
    assert result.verification == "none"
    assert "INFEASIBLE" in result.message


@pytest.mark.parametrize("backend", ri.EXACT_BACKENDS)
def test_a_negative_relu_target_is_infeasible_before_solving(backend: str) -> None:
    net = ri.ReluNetwork([[[1, 1]]], [[0]])
    problem = ri.InversionProblem(net, np.array([-1.0]), ri.LatentDomain.binary(2))
    result = ri.solve_exact(problem, backend=backend)  # type: ignore[arg-type]
    assert result.status is ri.Status.INFEASIBLE
    assert result.model is None
    assert "x[0] = -1.0 < 0 is not a ReLU output" in result.message


@pytest.mark.parametrize(("backend", "options"),
                         [("cpsat", {}), ("mip", {"mip_solver": "SCIP"}),
                          ("mip", {"mip_solver": "HIGHS"})])
@pytest.mark.parametrize("objective", ["l1", "linf"])
def test_time_limit_gives_feasible_or_unknown_never_a_proof(backend: str,
                                                             options: dict[str, str],
                                                             objective: str) -> None:
    formula = hard_formula()
    problem = ri.encode(formula)
    result = ri.solve_exact(problem, backend=backend, objective=objective,  # type: ignore[arg-type]
                            time_limit=0.01, **options)  # type: ignore[arg-type]
    assert result.status in (ri.Status.FEASIBLE, ri.Status.UNKNOWN), result.message
    if result.status is ri.Status.FEASIBLE:
        assert result.z is not None
        assert result.verified
        weights = formula.clause_weights()
        falsified = formula.falsified_clauses(ri.decode(problem, result.z))
        expected = (len(falsified) if objective == "l1"
                    else max((weights[j] for j in falsified), default=0))
        assert result.objective == expected
        assert result.bound is None or result.bound <= float(result.objective) + 1e-6
    else:
        assert result.z is None
        assert not result.verified


@pytest.mark.parametrize(
    "backend",
    [pytest.param(b, marks=pytest.mark.slow) if b == "maxsat" else b for b in ri.EXACT_BACKENDS],
)  # the maxsat case waits about 2 s on its time limit
def test_time_limit_with_an_incumbent_gives_feasible_with_a_lower_bound(backend: str) -> None:
    formula = hard_formula()
    problem = ri.encode(formula)
    result = ri.solve_exact(problem, backend=backend, objective="l1",  # type: ignore[arg-type]
                            time_limit=0.5, hint=np.zeros(formula.num_vars))
    assert result.status is ri.Status.FEASIBLE, result.message
    assert result.z is not None
    assert result.verified
    assert result.verification == "exact"
    assert result.objective == formula.falsified([int(v) for v in result.z])
    assert result.solver_objective is not None
    assert result.objective <= result.solver_objective + 1e-6
    assert result.bound is not None
    assert result.bound <= float(result.objective)


@pytest.mark.parametrize("backend", ri.EXACT_BACKENDS)
def test_optimal_l1_reports_matching_objective_and_bound(backend: str) -> None:
    result = ri.solve_exact(ri.encode(UNSAT), backend=backend, objective="l1")  # type: ignore[arg-type]
    assert result.status is ri.Status.OPTIMAL
    assert result.objective == 1
    assert result.bound == pytest.approx(1.0)
    assert result.solver_objective == pytest.approx(1.0)
    assert result.verified
    assert result.z is not None
    assert UNSAT.falsified([int(v) for v in result.z]) == 1


@pytest.mark.parametrize("backend", ri.EXACT_BACKENDS)
def test_hint_is_accepted_and_the_answer_still_verified(backend: str) -> None:
    problem = ri.encode(SAT)
    assignment = next(a for a in np.ndindex(2, 2, 2) if SAT.satisfies(a))
    result = ri.solve_exact(problem, backend=backend,  # type: ignore[arg-type]
                            hint=ri.lift(problem, assignment))
    assert result.status is ri.Status.OPTIMAL
    assert result.verified


def test_verification_failure_is_reported_not_hidden() -> None:
    from reluinv.exact.verify import verify_latent

    problem = ri.encode(SAT)
    wrong = verify_latent(problem, [0, 0, 0], "feasible", 0.0, proven_optimal=True)
    assert not wrong.verified
    assert "differs from x" in wrong.note
    claims_less = verify_latent(problem, [0, 0, 0], "l1", 0.0, proven_optimal=True)
    assert not claims_less.verified
    assert "recomputed objective 1" in claims_less.note


#: A 3-layer integer network over the box [-2, 2]^2 and a target it misses by exactly 1 in
#: l1 at z = (0, 0): SCIP's feasibility tolerance lets its objective (and bound) for such a
#: point read 0.99999667, which a slack of 1e-6 rejected.
DEEP_NET = ri.ReluNetwork([[[3, -2], [1, 3]], [[2, -3], [3, 1]], [[3, 2]]],
                          [[1, 0], [2, -1], [0]])
DEEP = ri.InversionProblem(DEEP_NET, np.array([float(DEEP_NET.forward_exact([0, 0])[0] + 1)]),
                           ri.LatentDomain.box(2, -2, 2, integer=True))


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_an_engine_objective_within_its_feasibility_error_is_accepted(kind: str) -> None:
    from reluinv.exact.verify import verify_latent

    problem = DEEP if kind == "exact" else dataclasses.replace(
        DEEP, network=ri.ReluNetwork([w.astype(float) + 1e-9 for w in DEEP_NET.weights],
                                     DEEP_NET.biases))
    check = verify_latent(problem, [0, 0], "l1", 0.99999667, proven_optimal=True)
    assert check.method == kind
    assert check.verified, check.note
    assert check.objective == pytest.approx(1.0)


#: A one-layer integer network over {0,1}^2 whose target G(z) misses by 1 at z = (0, 0),
#: where the engine's error bound (9 phi) is below the cap.
SHALLOW = ri.InversionProblem(ri.ReluNetwork([[[1, -1]]], [[0]]), np.array([1.0]),
                              ri.LatentDomain.binary(2))


def _hand_slack(layers: list[tuple[int, int]], reach: float) -> float:
    """The propagated bound written out: B_i = ||W_i||_inf B_{i-1} + ||b_i||_inf,
    delta_i = ||W_i||_inf delta_{i-1} + 2 phi (1 + B_i), delta_0 = phi; one output."""
    from reluinv.exact.verify import ENGINE_FEASIBILITY_TOLERANCE as PHI

    delta = PHI
    for norm, bias in layers:
        reach = norm * reach + bias
        delta = norm * delta + 2 * PHI * (1 + reach)
    return delta + PHI


@pytest.mark.parametrize(("name", "layers", "reach"), [("DEEP", [(5, 1), (5, 2), (5, 0)], 2.0),
                                                        ("SHALLOW", [(2, 0)], 1.0)])
def test_the_engine_slack_is_the_propagated_bound(name: str, layers: list[tuple[int, int]],
                                                  reach: float) -> None:
    from reluinv.exact.verify import engine_objective_slack

    problem = DEEP if name == "DEEP" else SHALLOW
    for objective in ("l1", "linf"):  # one output: the two agree
        assert engine_objective_slack(problem, objective) == pytest.approx(
            _hand_slack(layers, reach), rel=1e-12)


@pytest.mark.parametrize("objective", ["l1", "linf"])
@pytest.mark.parametrize(("factor", "accepted"), [(0.99, True), (1.01, False)])
@pytest.mark.parametrize("name", ["DEEP", "SHALLOW"])
def test_a_claim_beyond_the_slack_is_rejected(objective: str, factor: float, accepted: bool,
                                              name: str) -> None:
    """The slack is the engine's bound (SHALLOW: 9 phi) or, where that is larger, the cap
    ENGINE_SLACK_CAP * max(1, |value|) (DEEP: 1878 phi > 1e-3); value 1 in both."""
    from reluinv.exact.verify import ENGINE_SLACK_CAP, verify_latent

    problem = DEEP if name == "DEEP" else SHALLOW
    slack = min(_hand_slack([(5, 1), (5, 2), (5, 0)], 2.0) if name == "DEEP"
                else _hand_slack([(2, 0)], 1.0), ENGINE_SLACK_CAP)
    below = verify_latent(problem, [0, 0], objective, 1 - factor * slack, proven_optimal=False)
    assert below.verified is accepted, below.note
    above = verify_latent(problem, [0, 0], objective, 1 + factor * slack, proven_optimal=True)
    assert above.verified is accepted, above.note


@pytest.mark.parametrize(("value", "objective", "observed", "engine", "integral", "expected"), [
    (1.0, "l1", 3, 0.0, False, 3e-6),  # the float l1 slack counts the outputs
    (1.0, "l1", 3, 0.0, True, 1e-6),  # an exact check does not
    (0.0, "l1", 0, 0.0, False, 1e-6),  # never below tol
    (2.0, "linf", 3, 5e-6, False, 5e-6),  # the engine's bound when larger
    (2.0, "linf", 3, 1.0, False, 2e-3),  # capped at ENGINE_SLACK_CAP * |value|
    (1e4, "l1", 3, 80.0, True, math.nextafter(0.5, 0.0)),  # an integer: below 1/2
    (1e4, "l1", 3, 80.0, False, 10.0),  # a float objective: the cap only
])
def test_objective_slack(value: float, objective: str, observed: int, engine: float,
                         integral: bool, expected: float) -> None:
    from reluinv.exact.verify import objective_slack

    got = objective_slack(value, objective, observed, 1e-6, engine,  # type: ignore[arg-type]
                          integral=integral)
    assert got == pytest.approx(expected, rel=1e-12)


def test_the_engine_slack_counts_each_observed_output_for_l1() -> None:
    from reluinv.exact.verify import engine_objective_slack

    net = ri.ReluNetwork([[[1, -1], [2, 0], [0, 1]]], [[0, 0, 0]])
    box = ri.LatentDomain.box(2, -1, 1, integer=True)
    full = ri.InversionProblem(net, np.zeros(3), box)
    masked = ri.InversionProblem(net, np.zeros(3), box, mask=np.array([True, False, True]))
    one = engine_objective_slack(full, "linf")
    assert engine_objective_slack(full, "l1") == pytest.approx(3 * one)
    assert engine_objective_slack(masked, "l1") == pytest.approx(2 * one)
    unbounded = ri.InversionProblem(net, np.zeros(3), ri.LatentDomain.box(2, -np.inf, np.inf))
    assert engine_objective_slack(unbounded, "l1") == 0.0


def test_snapping_falls_back_to_the_float_check_when_the_integer_point_fails() -> None:
    from reluinv.exact.verify import verify_latent

    # G(z) = ReLU(10^7 z) = 1 at z = 1e-7, within tol of the integer 0, where G(0) = 0
    problem = ri.InversionProblem(ri.ReluNetwork([[[10**7]]]), np.array([1.0]),
                                  ri.LatentDomain.box(1, -1.0, 1.0))
    check = verify_latent(problem, [1e-7], "feasible", 0.0, proven_optimal=True)
    assert check.verified
    assert check.method == "float"
    assert check.z.tolist() == [1e-7]
    snapped = verify_latent(ri.encode(SAT, latent="real"), [1 - 1e-9, 1e-9, 1 - 1e-9],
                            "feasible", 0.0, proven_optimal=True)
    assert snapped.method == "exact"
    assert snapped.verified
    assert snapped.z.tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("objective", ["linf", "l1"])
def test_scip_presolving_regression_optimum(objective: str) -> None:
    """SCIP's presolving once proved a wrong optimum (3 instead of 2) on this integer net
    with a linear head; brute force over the box is the judge."""
    import itertools

    weights = [[[2, 2], [2, -1]], [[-1, 3], [-1, 1]], [[0, 0], [3, 2], [0, 0]]]
    biases = [[-3, -3], [-2, 1], [0, -3, 0]]
    net = ri.ReluNetwork(weights, biases, "relu", output_activation="linear")
    target = np.array([0.0, 2.0, 0.0])
    problem = ri.InversionProblem(net, target, ri.LatentDomain.box(2, -2, 2, integer=True))
    norm = max if objective == "linf" else sum
    best = min(norm(abs(a - b) for a, b in zip(net.forward_exact(list(z)), [0, 2, 0],
                                                strict=True))
               for z in itertools.product(range(-2, 3), repeat=2))
    result = ri.solve_exact(problem, backend="mip", objective=objective)
    assert result.status is ri.Status.OPTIMAL
    assert result.objective == best == 2


#: 3 x 3 x 3 x 3 integer ReLU nets (differing in one weight) on which SCIP with restarts
#: proved the l1 optimum 4 for the target (1, 2, 1) over [-2, 2]^3 where 2 is reachable,
#: found by ``test_lp_tightened_bounds_keep_the_optimum``.
RESTART_NETS = {
    first: ([[[3, -1, 3], [2, -3, 1], [3, 2, 3]], [[0, 1, -2], [-2, 3, -2], [2, -1, 3]],
             [[first, 2, -2], [-3, 0, 2], [1, 2, -2]]],
            [[1, 2, 3], [-3, -2, 2], [2, 0, 2]])
    for first in (2, -1)
}


@pytest.mark.parametrize("tightening", ["interval", "lp"])
@pytest.mark.parametrize("first", sorted(RESTART_NETS))
def test_scip_restart_regression_optimum(first: int, tightening: str) -> None:
    """SCIP, restarting after the root, once proved a wrong l1 optimum (4 instead of 2)
    on these nets with LP-tightened bounds; brute force over the box is the judge."""
    import itertools

    weights, biases = RESTART_NETS[first]
    net = ri.ReluNetwork(weights, biases)
    problem = ri.InversionProblem(net, np.array([1.0, 2.0, 1.0]),
                                  ri.LatentDomain.box(3, -2, 2, integer=True))
    best = min(sum(abs(a - b) for a, b in zip(net.forward_exact(list(z)), [1, 2, 1],
                                              strict=True))
               for z in itertools.product(range(-2, 3), repeat=3))
    result = ri.solve_exact(problem, backend="mip", objective="l1",
                            bound_tightening=tightening)  # type: ignore[arg-type]
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified
    assert result.objective == best == 2


def test_scip_presolving_regression_feasible() -> None:
    """SCIP's presolving declares this feasible LP infeasible: a 1 x 1 x 2 leaky net whose
    units are all stably inactive, and one output constraint with slack 0.44 at every
    input. ``reluinv.verify`` said unsat before its INFEASIBLE answers were confirmed by
    HiGHS (``reluinv.exact.mip.confirm_infeasible``)."""
    net = ri.ReluNetwork([[[-0.09540101556375853]], [[0.5671765430986232],
                                                      [-1.415441399836282]]],
                         [[-0.8167816786426237], [-1.5129378119660521, -2.0051322557147797]],
                         ("leaky_relu", 0.1))
    a, b = np.array([-1.16223917, 1.36367556]), 0.36254893
    assert float(a @ net.forward(np.array([0.0]))) < b - 0.4  # the independent judge
    prop = ri.Property(lower=np.array([-1.0]), upper=np.array([1.0]),
                       disjuncts=(OutputPolytope(A=a[None, :], b=np.array([b])),),
                       n_outputs=2)
    result = ri.verify(net, prop, structural=False)
    # SCIP alone says infeasible; HiGHS, asked to confirm, finds a point, which replays
    assert result.status.name == "SAT", result.message
    assert result.counterexample is not None
    assert float(a @ net.forward(result.counterexample)) <= b
