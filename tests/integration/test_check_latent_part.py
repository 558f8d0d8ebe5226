"""Each latent's part of a record (``reluinv.validation.check._LatentPart``): what its
docstrings promise, one test each.

* ``_solve_both``: the feasibility solve first; a pre-image verified exactly answers the
  l1 question (loss 0, never below), so no second solve runs; otherwise the l1 solve runs
  within its own budget. Judged by brute force over ``{0,1}^k``.
* The real latent's INFEASIBLE is confirmed by the certified L4 chain when the MaxSAT
  optimum is at least 1, and by HiGHS otherwise.
* The size skip (``exact_size_unsupported``): no exact solve, every cross-check that needed
  one listed as unfinished (the further engines' included), certificate links still made.
* The hint (``start_model``): the lifted RC2 model for the main engine, none for the
  further engines.
* ``unfinished()``: every check the part would have made, skipped and unfinished, the
  certificate links still marked as links (so the verdict is ``unknown``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings

import reluinv.exact.mip as mip
import reluinv.validation.check as check_module
from reluinv import Formula, solve_maxsat, solve_sat
from reluinv.deadline import Deadline
from reluinv.reduction.construction import encode, lift
from reluinv.strategies import formulas
from reluinv.testing import brute_force_maxsat_cost, brute_force_satisfiable
from reluinv.validation.check import DERIVED_L1_NOTE, check_instance

#: Every sign pattern of three variables: unsatisfiable, MaxSAT cost 1.
UNSAT_COST_1 = Formula(3, [[1, 2, 3], [1, 2, -3], [1, -2, 3], [1, -2, -3],
                           [-1, 2, 3], [-1, 2, -3], [-1, -2, 3], [-1, -2, -3]])
SATISFIABLE = Formula(3, [[1, 2], [-1, 3], [-2, -3]])


def _spy_solves(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record every exact solve ``check_instance`` asks for (latent, objective, backend,
    hint, options) and let it run."""
    real_solve = check_module.solve_exact
    calls: list[dict[str, Any]] = []

    def spy(problem: Any, **kwargs: Any) -> Any:
        calls.append({"latent": problem.latent, **kwargs})
        return real_solve(problem, **kwargs)

    monkeypatch.setattr(check_module, "solve_exact", spy)
    return calls


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(max_vars=4, max_clauses=7, weighted=False))
def test_l1_is_solved_only_when_feasibility_found_no_preimage(formula: Formula) -> None:
    """The l1 entries of both latents equal the brute-force MaxSAT cost; they come from the
    feasibility solve's pre-image exactly when the formula is satisfiable (brute force),
    and the record agrees."""
    calls: list[dict[str, Any]] = []
    real_solve = check_module.solve_exact

    def spy(problem: Any, **kwargs: Any) -> Any:
        calls.append({"latent": problem.latent, **kwargs})
        return real_solve(problem, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(check_module, "solve_exact", spy)
        record = check_instance(formula, layerwise=False)
    satisfiable = brute_force_satisfiable(formula)
    event("satisfiable: l1 derived" if satisfiable else "unsatisfiable: l1 solved")
    cost = brute_force_maxsat_cost(formula)
    assert record["verdict"] == "agree"
    solved = Counter((c["latent"], c["objective"]) for c in calls)
    for latent in ("binary", "real"):
        l1 = record["exact"][latent]["l1"]
        assert l1["status"] == "optimal"
        assert l1["objective"] == cost
        assert l1["message"].startswith(DERIVED_L1_NOTE) is satisfiable
        assert solved[(latent, "feasible")] == 1
        assert solved[(latent, "l1")] == (0 if satisfiable else 1)


def test_a_float_verified_preimage_still_gets_its_l1_solve() -> None:
    """``_l1_from_preimage`` takes only a pre-image verified in exact arithmetic."""
    import dataclasses

    problem = encode(SATISFIABLE, "real", box=check_module.VALIDATION_REAL_BOX)
    sat = solve_sat(SATISFIABLE)
    assert sat.model is not None
    feasible = check_module.solve_exact(problem, objective="feasible",
                                        hint=lift(problem, sat.model))
    assert feasible.verification == "exact"
    derived = check_module._l1_from_preimage(problem, feasible)
    assert derived is not None
    assert (derived.status.name, derived.objective, derived.objective_kind) == (
        "OPTIMAL", 0, "l1")
    as_float = dataclasses.replace(feasible, verification="float")
    assert check_module._l1_from_preimage(problem, as_float) is None
    off = dataclasses.replace(feasible, z=np.full(3, 0.5))  # not a pre-image
    assert check_module._l1_from_preimage(problem, off) is None


def test_real_infeasible_is_confirmed_by_the_certified_chain(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost 1, certified: SCIP's INFEASIBLE on the real latent is confirmed by the L4
    chain, and HiGHS is never asked."""
    def no_highs(*args: object, **kwargs: object) -> None:
        raise AssertionError("HiGHS was asked although the chain is certified")

    monkeypatch.setattr(mip, "confirm_infeasible", no_highs)
    calls = _spy_solves(monkeypatch)
    record = check_instance(UNSAT_COST_1, layerwise=False)
    feasible = record["exact"]["real"]["feasible"]
    assert feasible["status"] == "infeasible"
    assert "confirmed by the caller's proof: the MaxSAT optimum 1 >= 1 is certified" \
        in feasible["message"]
    assert record["verdict"] == "agree"
    assert record["certified"] is True
    real_feasible = [c for c in calls if (c["latent"], c["objective"]) == ("real", "feasible")]
    assert [c.get("infeasible_evidence") is not None for c in real_feasible] == [True]
    # the hint is then the certified optimum: the l1 solve only proves the bound
    real_l1 = [c for c in calls if (c["latent"], c["objective"]) == ("real", "l1")]
    assert [c.get("emphasis") for c in real_l1] == ["bound"]
    assert record["exact"]["real"]["l1"]["status"] == "optimal"
    binary = [c for c in calls if c["latent"] == "binary"]
    assert all("infeasible_evidence" not in c for c in binary)


def test_without_a_certificate_highs_confirms(monkeypatch: pytest.MonkeyPatch) -> None:
    """No certified chain (proofs off): no evidence is passed, and the real latent's
    INFEASIBLE is confirmed by HiGHS as before."""
    calls = _spy_solves(monkeypatch)
    record = check_instance(UNSAT_COST_1, layerwise=False, proof=False)
    assert "confirmed by HIGHS" in record["exact"]["real"]["feasible"]["message"]
    assert all("infeasible_evidence" not in c and "emphasis" not in c for c in calls)
    assert record["verdict"] == "uncertified"


def test_the_size_skip_lists_every_cross_check_it_skips(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A network too large for the exact models: no exact solve runs (the main engine's
    nor the further engines'), each entry says why, every cross-check that needed a solve
    is skipped and listed in ``unfinished``, and the certificate links still pass."""
    reason = "the exact backends build dense models: too large (test)"
    monkeypatch.setattr(check_module, "exact_size_unsupported", lambda problem: reason)
    calls = _spy_solves(monkeypatch)
    record = check_instance(SATISFIABLE, layerwise=True, engines=("maxsat",))
    assert calls == []
    entries = [record["exact"][latent][objective] for latent in ("binary", "real")
               for objective in ("feasible", "l1")]
    entries += [record["opinions"]["maxsat"][objective] for objective in ("feasible", "l1")]
    assert all(e == {"status": "not run", "message": reason} for e in entries)
    expected = {f"{name}[{tag}]" for name in ("realizable_iff_satisfiable",
                                              "l1_optimum_equals_maxsat_cost")
                for tag in ("binary", "real", "binary:maxsat")}
    assert set(record["unfinished"]) == expected
    assert record["layerwise"] == {}
    assert record["verdict"] == "agree"
    assert record["certified"] is True


@pytest.mark.parametrize("formula", [SATISFIABLE, UNSAT_COST_1], ids=["sat", "unsat"])
def test_the_main_engine_starts_from_the_lifted_model_the_others_do_not(
        monkeypatch: pytest.MonkeyPatch, formula: Formula) -> None:
    """``start_model``: the main engine's solves get ``lift(problem, RC2 model)`` as their
    hint, the further engines none."""
    calls = _spy_solves(monkeypatch)
    record = check_instance(formula, layerwise=False, engines=("maxsat",))
    model = solve_maxsat(formula).model
    assert model is not None
    for call in calls:
        problem = encode(formula, call["latent"], box=check_module.VALIDATION_REAL_BOX) \
            if call["latent"] == "real" else encode(formula)
        if call["backend"] == "maxsat":
            assert call["hint"] is None
        else:
            # RC2 is deterministic: the model check_instance lifted is the one solved here
            assert np.array_equal(call["hint"], lift(problem, model))
    assert {c["backend"] for c in calls} == {"cpsat", "auto", "maxsat"}
    # evidence of infeasibility exists only for a certified optimum >= 1
    evidence = [c.get("infeasible_evidence") for c in calls if c["latent"] == "real"]
    assert any(e is not None for e in evidence) is (record["maxsat"]["cost"] >= 1)
    assert record["verdict"] == "agree"


def _part(formula: Formula, latent: str, **changes: Any) -> check_module._LatentPart:
    sat = solve_sat(formula)
    maxsat = solve_maxsat(formula, certify=True)
    options: dict[str, Any] = {
        "backend": "auto", "engines": ("maxsat",) if latent == "binary" else (),
        "budget": None, "l1_budget": None, "layerwise": True,
        "real_box": check_module.VALIDATION_REAL_BOX, "start_model": maxsat.model}
    options.update(changes)
    return check_module._LatentPart(latent, formula, sat, maxsat,  # type: ignore[arg-type]
                                    Deadline(None), **options)


@pytest.mark.parametrize("latent", ["binary", "real"])
@pytest.mark.parametrize("formula", [SATISFIABLE, UNSAT_COST_1], ids=["sat", "unsat"])
def test_unfinished_names_every_check_the_part_makes(latent: str, formula: Formula) -> None:
    """``unfinished()`` lists every check ``run()`` makes (but the lemma checks and the
    decoded-objective check, which are made only on a witness), each skipped and
    unfinished, the certificate links still marked as links: the verdict is ``unknown``."""
    part = _part(formula, latent)
    made = {c["name"] for c in part.run().checks
            if not c["name"].startswith(("lemma_", "decoded_falsified"))}
    stopped = part.unfinished("stopped (test)")
    names = {c["name"] for c in stopped.checks}
    assert names == made
    assert all(c["status"] == "skipped" and c.get("unfinished") for c in stopped.checks)
    links = {c["name"] for c in stopped.checks if c.get("certificate")}
    assert links == ({f"lifted_maxsat_model_loss_equals_cost[{latent}]",
                      f"lifted_sat_model_realizes[{latent}]"}
                     | ({"real_optimum_by_L4"} if latent == "real" else set()))
    checks = check_module._Checks()
    checks.items.extend(stopped.checks)
    assert checks.verdict(proof=True) == "unknown"
    assert all(e["status"] == "not run" for e in stopped.exact.values())
