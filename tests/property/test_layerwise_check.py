"""The validation record's layer-wise and realizability checks can fail, and say
``not_applicable`` when the inverter claimed nothing.

Each check is fed the honest answers of the solvers on a formula, then the same answers
with one of them made wrong (``dataclasses.replace``): the check must notice. The honest
answers themselves come from the solvers, so the passing cases are real ones.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import reluinv.validation.check as check_module
from reluinv import (
    Formula,
    LayerwiseStatus,
    Status,
    check_instance,
    encode,
    invert_layerwise,
    parse_dimacs,
    solve_exact,
    solve_maxsat,
    solve_sat,
)
from reluinv.strategies import make_pinned_formula

#: A satisfiable formula whose binary reduction the layer-wise inverter recovers (every
#: variable pinned by a unit clause), and a 3-SAT formula where it is inconclusive with
#: the null-space LP alone (the ``layerwise_plain_lp`` fixture).
PINNED = make_pinned_formula(5, 0, satisfiable=True, extra=6)[0]
THREE_SAT = parse_dimacs("p cnf 4 5\n1 2 3 0\n-1 2 4 0\n1 -3 -4 0\n-2 3 4 0\n-1 -2 -4 0\n")


def run_checks(formula: Formula, latent: Any, **wrong: Any) -> dict[str, dict[str, Any]]:
    """The checks of one latent, from honest answers with the ``wrong`` ones put in."""
    problem = encode(formula, latent)
    answers: dict[str, Any] = {
        "sat": solve_sat(formula, proof=False),
        "maxsat": solve_maxsat(formula),
        "feasible": solve_exact(problem, objective="feasible"),
        "l1": solve_exact(problem, objective="l1"),
        "layerwise": invert_layerwise(problem.network, problem.target),
    }
    for key, change in wrong.items():
        answers[key] = change(answers[key])
    checks = check_module._Checks()
    check_module._check_latent(latent, problem, formula, answers["sat"], answers["maxsat"],
                               answers["feasible"], answers["l1"], answers["layerwise"],
                               checks)
    return {entry["name"]: dict(entry) for entry in checks.items}


def test_recovered_layerwise_answer_passes() -> None:
    checks = run_checks(PINNED, "binary")
    assert checks["layerwise_sound[binary]"]["status"] == "passed"


@pytest.mark.usefixtures("layerwise_plain_lp")
@pytest.mark.parametrize("latent", ["binary", "real"])
def test_inconclusive_layerwise_answer_is_not_applicable_never_passed(latent: Any) -> None:
    checks = run_checks(THREE_SAT, latent)
    entry = checks[f"layerwise_sound[{latent}]"]
    assert entry["status"] == "not_applicable"
    assert entry["reason"].startswith("layer-wise inconclusive: layer ")


def wrong_z(result: Any) -> Any:
    """RECOVERED with a latent that is not a pre-image (every unit clause falsified)."""
    assert result.z is not None
    return dataclasses.replace(result, status=LayerwiseStatus.RECOVERED, z=1.0 - result.z)


@pytest.mark.parametrize(("latent", "formula", "change"), [
    ("binary", PINNED, wrong_z),
    ("binary", PINNED, lambda r: dataclasses.replace(r, status=LayerwiseStatus.NO_PREIMAGE,
                                                     z=None)),
    ("real", THREE_SAT, lambda r: dataclasses.replace(r, status=LayerwiseStatus.NO_PREIMAGE)),
])
def test_a_wrong_layerwise_claim_fails(latent: Any, formula: Formula, change: Any) -> None:
    checks = run_checks(formula, latent, layerwise=change)
    assert checks[f"layerwise_sound[{latent}]"]["status"] == "failed"


UNSAT = parse_dimacs("p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n")


@pytest.mark.parametrize(("formula", "change"), [
    (PINNED, lambda r: dataclasses.replace(r, status=Status.INFEASIBLE, z=None)),
    (UNSAT, lambda r: dataclasses.replace(r, status=Status.OPTIMAL, z=np.zeros(2),
                                          verified=True)),
    (PINNED, lambda r: dataclasses.replace(r, verified=False)),
])
@pytest.mark.parametrize("latent", ["binary", "real"])
def test_a_wrong_realizability_answer_fails(formula: Formula, change: Any, latent: Any) -> None:
    honest = run_checks(formula, latent)
    assert honest[f"realizable_iff_satisfiable[{latent}]"]["status"] == "passed"
    checks = run_checks(formula, latent, feasible=change)
    assert checks[f"realizable_iff_satisfiable[{latent}]"]["status"] == "failed"


@pytest.mark.usefixtures("layerwise_plain_lp")
def test_the_record_counts_not_applicable_apart_and_agrees() -> None:
    record = check_instance(THREE_SAT)
    statuses = {c["name"]: c["status"] for c in record["checks"]}
    assert statuses["layerwise_sound[binary]"] == "not_applicable"
    assert statuses["layerwise_sound[real]"] == "not_applicable"
    assert record["verdict"] == "agree"
