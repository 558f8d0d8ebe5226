"""The per-instance validation record: the answers agree on honest formulas, and the checks
notice when the encoding is corrupted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import reluinv.validation.check as check_module
from reluinv import Formula, encode, parse_dimacs
from reluinv.data.problem import InversionProblem
from reluinv.strategies import formulas
from reluinv.validation.check import check_instance
from reluinv.validation.records import ValidationRecord
from tests.typed_dicts import mismatches

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def statuses(record: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in record["checks"]}


def test_satisfiable_file_record() -> None:
    record = check_instance(EXAMPLES / "uf5-satlib.cnf", family="example")
    json.dumps(record, allow_nan=False)
    assert record["verdict"] == "agree"
    assert record["n"] == 5
    assert record["m"] == 6
    assert record["family"] == "example"
    assert record["sat"]["satisfiable"] is True
    assert record["maxsat"]["cost"] == 0
    for latent in ("binary", "real"):
        assert record["exact"][latent]["feasible"]["status"] == "optimal"
        assert record["exact"][latent]["l1"]["objective"] == 0
    found = statuses(record)
    assert found["realizable_iff_satisfiable[binary]"] == "passed"
    assert found["realizable_iff_satisfiable[real]"] == "passed"
    assert found["lifted_sat_model_realizes[real]"] == "passed"
    assert found["unsat_proof_checked"] == "skipped"
    assert set(record["timings"]) >= {"sat", "maxsat", "exact_binary", "exact_real", "checks"}


def test_unsatisfiable_weighted_record_has_checked_proof() -> None:
    record = check_instance(EXAMPLES / "partial-maxsat.wcnf")
    assert record["verdict"] == "agree"
    assert record["sat"]["satisfiable"] is False
    assert record["sat"]["proof_checked"] is True
    assert record["maxsat"]["cost"] == 2
    found = statuses(record)
    assert found["unsat_proof_checked"] == "passed"
    assert found["l1_optimum_equals_maxsat_cost[binary]"] == "passed"
    assert found["l1_optimum_equals_maxsat_cost[real]"] == "passed"
    assert found["lifted_sat_model_realizes[binary]"] == "skipped"


@pytest.mark.parametrize(("source", "arguments"), [
    ("uf5-satlib.cnf", {}),
    ("partial-maxsat.wcnf", {}),
    ("partial-maxsat.wcnf", {"layerwise": False, "proof": False, "time_limit": 60}),
], ids=["satisfiable", "unsatisfiable", "unsatisfiable-no-layerwise-no-proof"])
def test_record_has_exactly_the_typed_fields(source: str, arguments: dict[str, Any]) -> None:
    record = check_instance(EXAMPLES / source, **arguments)
    assert mismatches(record, ValidationRecord) == []
    written = json.loads(json.dumps(record, allow_nan=False))
    assert mismatches(written, ValidationRecord) == []


def test_record_of_a_spent_time_limit_has_the_not_run_shape(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    # the deadline passes right after SAT and MaxSAT: every exact solve is "not run"
    monkeypatch.setattr(check_module.Deadline, "expired", property(lambda self: True))
    record = check_instance(EXAMPLES / "uf5-satlib.cnf", time_limit=60)
    assert {entry["status"] for by_objective in record["exact"].values()
            for entry in by_objective.values()} == {"not run"}
    assert "exact_binary" not in record["timings"]
    # the certificates do not depend on the exact solves: the record is certified, and the
    # cross-checks that did not run are listed
    assert record["verdict"] == "agree"
    assert record["certified"] is True
    assert "realizable_iff_satisfiable[binary]" in record["unfinished"]
    assert "l1_optimum_equals_maxsat_cost[real]" in record["unfinished"]
    # the layer-wise inverter could not start: said so, not skipped silently
    assert "layerwise_sound[binary]" in record["unfinished"]
    assert mismatches(record, ValidationRecord) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(max_vars=4, max_clauses=6))
def test_random_small_formulas_always_agree(formula: Formula) -> None:
    record = check_instance(formula, layerwise=True)
    failed = [c for c in record["checks"] if c["status"] == "failed"]
    assert failed == []
    assert record["verdict"] == "agree"


def corrupt_one_clause_weight(formula: Formula, latent: str = "binary", **kwargs: Any
                              ) -> InversionProblem:
    """The reduction with the bias of clause unit 0 off by one: the unit becomes
    ``ReLU(w_0 + 1 - sum of literals)``, which charges a clause satisfied by one literal."""
    problem = encode(formula, latent, **kwargs)  # type: ignore[arg-type]
    net = problem.network
    biases = [np.array(b) for b in net.biases]
    weights = [np.array(w) for w in net.weights]
    biases[1][0] += 1
    corrupted = type(net)(weights, biases, net.activation_spec)
    return InversionProblem(corrupted, problem.target, problem.domain, latent=problem.latent,
                            formula=problem.formula, lam=problem.lam,
                            metadata=problem.metadata)


def test_corrupted_encoding_makes_the_checks_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    # (1 or 2) and (not 1) and (not 2): unsatisfiable, MaxSAT cost 1. On the corrupted
    # network every binary z loses 2, so the inversion optimum no longer matches RC2.
    formula = parse_dimacs("p cnf 2 3\n1 2 0\n-1 0\n-2 0\n")
    honest = check_instance(formula)
    assert honest["verdict"] == "agree"
    monkeypatch.setattr(check_module, "encode", corrupt_one_clause_weight)
    record = check_instance(formula)
    assert record["verdict"] == "disagree"
    failed = {c["name"] for c in record["checks"] if c["status"] == "failed"}
    assert {"l1_optimum_equals_maxsat_cost[binary]",
            "lifted_maxsat_model_loss_equals_cost[binary]",
            "lemma_L1_maxsat_model[binary]"} <= failed


def test_time_limit_gives_unknown_never_disagree() -> None:
    rng = np.random.default_rng(3)
    k, m = 60, 400
    clauses = tuple(tuple(int(v) * int(s) for v, s in zip(
        rng.choice(np.arange(1, k + 1), 3, replace=False), rng.choice([-1, 1], 3),
        strict=True)) for _ in range(m))
    record = check_instance(Formula(k, clauses), time_limit=0.5, layerwise=False)
    assert record["verdict"] in ("agree", "unknown")
    assert not [c for c in record["checks"] if c["status"] == "failed"]
    assert mismatches(record, ValidationRecord) == []


@pytest.mark.parametrize("engines", [(), ("maxsat",), ("maxsat", "mip")],
                         ids=["default", "maxsat-opinion", "two-opinions"])
def test_each_section_names_its_engine(engines: tuple[str, ...]) -> None:
    record = check_instance(EXAMPLES / "partial-maxsat.wcnf", engines=engines,
                            layerwise=False)
    assert record["verdict"] == "agree"
    assert record["sat"]["solver"] == "cadical195"
    assert record["maxsat"]["solver"] == "rc2-g3"
    # the binary latent is decided by OR-Tools, not by python-sat's CNF compilation
    assert {e["backend"] for e in record["exact"]["binary"].values()} == {"cpsat"}
    assert sorted(record["opinions"]) == sorted(engines)
    found = statuses(record)
    for engine in engines:
        assert {e["backend"] for e in record["opinions"][engine].values()} == {engine}
        assert found[f"l1_optimum_equals_maxsat_cost[binary:{engine}]"] == "passed"
        assert found[f"realizable_iff_satisfiable[binary:{engine}]"] == "passed"
    assert mismatches(record, ValidationRecord) == []


def test_a_wrong_opinion_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    # an additional engine that answers a wrong optimum must make the record disagree
    real_solve = check_module.solve_exact

    def lying(problem: Any, *, backend: str, objective: str, **kwargs: Any) -> Any:
        result = real_solve(problem, backend=backend, objective=objective, **kwargs)
        if backend == "maxsat" and objective == "l1":
            import dataclasses
            return dataclasses.replace(result, objective=result.objective + 1)
        return result

    monkeypatch.setattr(check_module, "solve_exact", lying)
    record = check_instance(EXAMPLES / "partial-maxsat.wcnf", engines=("maxsat",),
                            layerwise=False)
    assert record["verdict"] == "disagree"
    assert statuses(record)["l1_optimum_equals_maxsat_cost[binary:maxsat]"] == "failed"


@pytest.mark.parametrize(("source", "cost"), [("uf5-satlib.cnf", 0),
                                              ("partial-maxsat.wcnf", 2)])
def test_every_record_carries_a_checked_maxsat_certificate(source: str, cost: int) -> None:
    record = check_instance(EXAMPLES / source, layerwise=False)
    certificate = record["maxsat"]["certificate"]
    assert certificate is not None
    assert certificate["checked"] is True
    assert certificate["upper_bound"] == cost
    assert certificate["lower_bound"] == cost
    if cost:
        assert certificate["checker"] is not None
        assert certificate["proof_sha256"] is not None
        assert len(certificate["proof_sha256"]) == 64
    assert record["certified"] is True
    assert record["verdict"] == "agree"
    chain = record["real_chain"]
    assert chain["certified"] is True
    assert chain["lam_premise"] is True
    assert 2 * chain["lam"] >= chain["max_occurrence"]
    assert chain["witness_loss"] == cost


def test_without_proofs_the_record_is_uncertified_not_agree() -> None:
    record = check_instance(EXAMPLES / "partial-maxsat.wcnf", proof=False, layerwise=False)
    assert record["verdict"] == "uncertified"
    assert record["certified"] is False
    assert record["maxsat"]["certificate"] is None


def test_a_rejected_certificate_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import reluinv.oracles.maxsat as maxsat_module
    honest = maxsat_module.certify_maxsat_optimum

    def rejected(*args: Any, **kwargs: Any) -> Any:
        return dataclasses.replace(honest(*args, **kwargs), lower_bound_checked=False,
                                   certified=False)

    monkeypatch.setattr(maxsat_module, "certify_maxsat_optimum", rejected)
    record = check_instance(EXAMPLES / "partial-maxsat.wcnf", layerwise=False)
    assert statuses(record)["maxsat_optimum_certified"] == "failed"
    assert record["verdict"] == "disagree"
    assert record["certified"] is False


def test_an_unfinished_real_mip_is_listed_and_the_record_still_agrees(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_solve = check_module.solve_exact
    budgets: list[float | None] = []

    def timed_out(problem: Any, *, backend: str, objective: str, time_limit: Any,
                  hint: Any = None, **options: Any) -> Any:
        if problem.latent != "real":
            return real_solve(problem, backend=backend, objective=objective,
                              time_limit=time_limit, hint=hint, **options)
        budgets.append(time_limit)
        result = real_solve(problem, backend=backend, objective=objective,
                            time_limit=time_limit, hint=hint, **options)
        import dataclasses
        return dataclasses.replace(result, status=check_module.Status.UNKNOWN, z=None,
                                   objective=None, verified=False)

    monkeypatch.setattr(check_module, "solve_exact", timed_out)
    record = check_instance(EXAMPLES / "partial-maxsat.wcnf", layerwise=False,
                            real_mip_budget=2.5, real_l1_budget=0.5)
    assert budgets == [2.5, 0.5]
    assert record["verdict"] == "agree"
    assert record["certified"] is True
    assert set(record["unfinished"]) == {"realizable_iff_satisfiable[real]",
                                         "l1_optimum_equals_maxsat_cost[real]"}


@pytest.mark.parametrize("start", ["lifted", "all_ones"])
def test_exact_solves_are_hinted_but_decide_for_themselves(
        monkeypatch: pytest.MonkeyPatch, start: str) -> None:
    """The exact solves start from the lifted RC2 model (the entries say so), and a hint is
    only a start: replaced by a bad one (all ones, which falsifies 4 of the 8 clauses of
    this formula of cost 1), every exact solve still proves the optimum itself, and the
    l1 optima equal the brute-force MaxSAT cost."""
    from reluinv.testing import brute_force_maxsat_cost

    formula = Formula(3, [[1, 2, 3], [1, 2, -3], [1, -2, 3], [1, -2, -3],
                          [-1, 2, 3], [-1, 2, -3], [-1, -2, 3], [-1, -2, -3]])
    real_solve = check_module.solve_exact
    hints: list[Any] = []

    def spy(problem: Any, **kwargs: Any) -> Any:
        if start == "all_ones" and kwargs.get("hint") is not None:
            kwargs["hint"] = np.ones(len(kwargs["hint"]))
        hints.append(kwargs.get("hint"))
        return real_solve(problem, **kwargs)

    monkeypatch.setattr(check_module, "solve_exact", spy)
    record = check_instance(formula, layerwise=False)
    assert len(hints) == 4
    assert all(h is not None for h in hints)
    assert record["verdict"] == "agree"
    assert record["certified"] is True
    assert record["unfinished"] == []
    cost = brute_force_maxsat_cost(formula)
    for latent in ("binary", "real"):
        l1 = record["exact"][latent]["l1"]
        assert l1["status"] == "optimal"
        assert l1["objective"] == cost
        assert check_module.HINT_NOTE in l1["message"]
        assert record["exact"][latent]["feasible"]["status"] == "infeasible"


def test_the_layerwise_stage_runs_blas_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # the inverter's solves on a reduction's network are small: threads only cost there
    from threadpoolctl import threadpool_info

    seen: list[list[int]] = []
    real = check_module.invert_layerwise

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append([int(pool["num_threads"]) for pool in threadpool_info()
                     if pool["user_api"] == "blas"])
        return real(*args, **kwargs)

    monkeypatch.setattr(check_module, "invert_layerwise", spy)
    check_instance(parse_dimacs("p cnf 3 2\n1 2 -3 0\n-1 3 0\n"), proof=False)
    assert seen
    assert all(threads and set(threads) == {1} for threads in seen)
