"""The public testing API: ``reluinv.strategies`` and ``reluinv.testing``.

* ``import reluinv`` does not import hypothesis, and no module of the package imports the
  two testing modules (they sit on top of every stage);
* every strategy draws what its docstring states (expansion ratios, integer weights, edge
  cases, masks, target kinds, ground truth) and says how it shrinks;
* the oracles reject what they cannot judge, with the argument named;
* the README's "Property-testing your own inverter" snippet runs as written.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, find, given, settings
from hypothesis import strategies as st

import reluinv
import reluinv.strategies as rst
import reluinv.testing as rt
from reluinv import Formula, InvalidArgumentError, ReluNetwork, lift, solve_sat
from reluinv.testing import (
    OracleError,
    all_models,
    brute_force_maxsat_cost,
    falsified_weight,
    pattern_enumeration,
    rc2_cost,
    realizability,
    reference_forward,
)

PACKAGE = Path(reluinv.__file__).parent
README = Path(__file__).resolve().parents[2] / "README.md"


def test_import_reluinv_does_not_import_hypothesis() -> None:
    code = ("import sys, reluinv, reluinv.testing; "
            "assert 'hypothesis' not in sys.modules, 'hypothesis imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(
    p for p in PACKAGE.rglob("*.py") if p.name not in ("strategies.py", "testing.py")
    or p.parent != PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_package_module_imports_the_testing_modules(path: Path) -> None:
    imported = imported_modules(path)
    assert not imported & {"reluinv.strategies", "reluinv.testing", "hypothesis"}


def test_testing_module_imports_no_solver_or_evaluator_of_the_package() -> None:
    """The oracles read plain data only: no reluinv stage beyond ``data`` (and the
    argument checks and errors) is imported."""
    allowed = ("reluinv.arguments", "reluinv.errors", "reluinv.data")
    imported = {m for m in imported_modules(PACKAGE / "testing.py") if m.startswith("reluinv")}
    assert all(m.startswith(allowed) for m in imported), imported


@pytest.mark.parametrize("name", rst.__all__)
def test_every_strategy_says_how_it_shrinks(name: str) -> None:
    value = getattr(rst, name)
    if not callable(value) or inspect.isclass(value) or name.startswith("make_") \
            or name == "planted_problem":
        pytest.skip(f"{name} is not a strategy")
    assert "Shrinks towards" in (inspect.getdoc(value) or ""), name


@pytest.mark.parametrize("name", rt.__all__)
def test_every_oracle_is_documented(name: str) -> None:
    value = getattr(rt, name)
    if callable(value):
        assert inspect.getdoc(value), name


# -- what the strategies draw ------------------------------------------------------------


@pytest.mark.parametrize("integer", [False, True])
@given(data=st.data())
def test_networks_keep_the_stated_expansion(integer: bool, data: st.DataObject) -> None:
    net = data.draw(rst.networks(expansion=(1.5, 3.0), integer=integer))
    for before, after in zip(net.sizes, net.sizes[1:], strict=False):
        assert math.ceil(1.5 * before) <= after <= math.ceil(3.0 * before)
    arrays = [np.asarray(a) for a in (*net.weights, *net.biases)]
    assert all(np.all(a == np.round(a)) for a in arrays) or not integer


@given(net=rst.networks(integer=True, max_weight=2, activation="relu", max_k=3, max_depth=2))
def test_integer_networks_are_integral_within_the_weight_bound(net: ReluNetwork) -> None:
    assert net.is_integral
    assert net.activation == "relu"
    assert all(np.max(np.abs(np.asarray(w)), initial=0) <= 2 for w in net.weights)


def edge_cases_in(formula: Formula) -> set[str]:
    found = set()
    if not formula.clauses:
        found.add("empty formula")
    for j, clause in enumerate(formula.clauses):
        found.update({"empty clause"} if not clause else set())
        if len(set(clause)) < len(clause):
            found.add("duplicate literal")
        if any(-lit in clause for lit in clause):
            found.add("tautology")
        if len(clause) == 1:
            found.add("unit clause")
        if clause in formula.clauses[j + 1:]:
            found.add("duplicate clause")
    used = {abs(lit) for clause in formula.clauses for lit in clause}
    if used != set(range(1, formula.num_vars + 1)):
        found.add("unused variable")
    return found


@given(formula=rst.edge_case_formulas())
def test_edge_case_formulas_hold_an_edge_case(formula: Formula) -> None:
    found = edge_cases_in(formula)
    for kind in sorted(found):
        event(kind)
    assert found


@pytest.mark.parametrize("kind", rst.EDGE_CASES, ids=lambda kind: kind.replace(" ", "-"))
def test_every_edge_case_is_drawn_on_purpose(kind: str) -> None:
    """With no ordinary clause (``max_clauses=0``), each edge case can only come from the
    strategy putting it in."""
    found = find(rst.edge_case_formulas(max_clauses=0), lambda f: kind in edge_cases_in(f),
                 settings=settings(database=None, max_examples=300))
    assert kind in edge_cases_in(found)


@given(case=rst.reduction_problems(max_vars=4, max_clauses=6, weighted=None))
def test_reduction_ground_truth_agrees_with_cadical_and_the_forward_pass(
    case: rst.ReductionCase,
) -> None:
    event(f"{case.latent}: {'SAT' if case.satisfiable else 'UNSAT'}")
    assert solve_sat(case.formula, proof=False).satisfiable == case.satisfiable
    assert all(falsified_weight(case.formula, model) == 0 for model in case.models)
    for model in case.models:  # L2: models are exact pre-images of the target
        assert case.problem.loss(lift(case.problem, model), norm="l1") == 0
    if case.latent == "binary":  # L1: the least loss over the cube is the MaxSAT cost
        k = case.formula.num_vars
        losses = [case.problem.loss(lift(case.problem, a), norm="l1")
                  for a in rt.all_assignments(k)]
        assert min(losses) == case.maxsat_cost


@given(n=st.integers(1, 12), data=st.data())
def test_masks_observe_at_least_the_stated_number(n: int, data: st.DataObject) -> None:
    least = data.draw(st.integers(0, n))
    mask = data.draw(rst.masks(n, min_observed=least))
    assert mask.dtype == bool
    assert mask.shape == (n,)
    assert int(mask.sum()) >= least


@given(case=rst.layerwise_cases(max_k=3, expansion=(2.0, 3.0)))
def test_layerwise_cases_targets_are_what_their_kind_says(case: rst.LayerwiseCase) -> None:
    event(case.label)
    image = np.asarray(reference_forward(case.network, case.z_star), dtype=np.float64)
    observed = np.ones(len(case.x), dtype=bool) if case.mask is None else case.mask
    assert observed.any()
    if case.target_kind == "planted":
        assert np.allclose(case.x, image, rtol=0, atol=1e-12)
    elif case.target_kind == "negative":
        assert float(np.min(case.x[observed])) < 0.0
    elif case.target_kind == "perturbed":
        assert int(np.sum(np.abs(case.x - image) > 1e-12)) == 1


@pytest.mark.slow
@given(case=rst.layerwise_cases(max_k=2, min_depth=2, max_depth=2, expansion=(2.0, 3.0),
                                activation="relu", target_kinds=("negative",)))
def test_negative_relu_targets_are_unrealizable(case: rst.LayerwiseCase) -> None:
    assert realizability(case.network, case.x, case.mask).verdict == "unrealizable"


def test_masks_reject_an_impossible_minimum() -> None:
    with pytest.raises(InvalidArgumentError, match="min_observed"):
        rst.masks(3, min_observed=4)


def test_make_case_rejects_an_unknown_target_kind() -> None:
    with pytest.raises(InvalidArgumentError, match="target_kind"):
        rst.make_case("x", (2, 4), "relu", 0, "upside-down")


# -- the oracles' own checks -------------------------------------------------------------


def test_pattern_enumeration_refuses_too_many_hidden_units() -> None:
    net = ReluNetwork([np.ones((11, 1)), np.ones((1, 11))], None, "relu")
    with pytest.raises(InvalidArgumentError, match="max_hidden = 10"):
        pattern_enumeration(net, [1.0])


def test_rc2_cost_refuses_an_empty_clause() -> None:
    with pytest.raises(InvalidArgumentError, match=r"formula.clauses\[1\]"):
        rc2_cost(Formula(1, ((1,), ())))


def test_oracle_errors_fail_like_assertions() -> None:
    assert issubclass(OracleError, AssertionError)


@pytest.mark.parametrize(("formula", "cost", "models"), [
    (Formula(0, ()), 0, [()]),
    (Formula(0, ((),)), 1, []),
    (Formula(2, ((1, -1), (2, 2))), 0, [(0, 1), (1, 1)]),
    (Formula(1, ((1,), (-1,)), (3, 4), (False, True)), 3, []),
])
def test_brute_force_on_hand_checked_formulas(formula: Formula, cost: int,
                                              models: list[tuple[int, ...]]) -> None:
    assert brute_force_maxsat_cost(formula) == cost
    assert all_models(formula) == models


# -- the README snippet ------------------------------------------------------------------


def readme_snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Property-testing your own inverter", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "the section holds one Python example"
    return blocks[0]


@pytest.mark.slow
def test_readme_property_testing_snippet_runs() -> None:
    exec(compile(readme_snippet(), str(README), "exec"), {"__name__": "readme"})
