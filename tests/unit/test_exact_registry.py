"""The backend registry: every registered backend honours one contract, options are never
silently ignored, and ``backend="auto"`` follows its documented rule."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import reluinv as ri
from reluinv.errors import InvalidArgumentError, UnsupportedProblemError
from reluinv.exact import AUTO_ORDER, BACKENDS, EXACT_BACKENDS, UNIQUENESS_ORDER
from reluinv.exact.backend import CertifyingBackend
from reluinv.exact.order_cnf import MAX_VALUES
from tests.unit.exact_problems import FLOATS, LEAKY, UNBOUNDED

SAT = ri.parse_dimacs("p cnf 3 3\n1 2 0\n-1 3 0\n-2 -3 0\n")
UNSAT = ri.parse_dimacs("p cnf 2 4\n1 2 0\n-1 2 0\n1 -2 0\n-1 -2 0\n")

BINARY = ri.encode(SAT)
REAL = ri.encode(SAT, latent="real")
HALF_TARGET = ri.InversionProblem(ri.ReluNetwork([[[1, 2]]]), np.array([1.5]),
                                  ri.LatentDomain.binary(2))
# 1000 z_2 over |z| <= MAX_VALUES: a value set far above MAX_VALUES, refused by the
# maxsat compilation only while compiling (its `supports` cannot see it)
WIDE = ri.InversionProblem(ri.ReluNetwork([[[1, 1000]]], [[0]]), np.array([0.0]),
                           ri.LatentDomain.box(2, -MAX_VALUES, MAX_VALUES, integer=True))

PROBLEMS = {"binary": BINARY, "real": REAL, "leaky": LEAKY, "floats": FLOATS,
            "unbounded": UNBOUNDED, "half_target": HALF_TARGET}

# (problem, objective) -> per backend: None (supported) or a piece of the reason
SUPPORT: list[tuple[str, str, dict[str, str | None]]] = [
    ("binary", "feasible", {"cpsat": None, "maxsat": None, "mip": None}),
    ("binary", "l1", {"cpsat": None, "maxsat": None, "mip": None}),
    ("real", "feasible", {"cpsat": "needs a binary or integer latent domain",
                          "maxsat": "needs a binary or integer latent domain", "mip": None}),
    ("leaky", "l1", {"cpsat": "leaky ReLU", "maxsat": "leaky ReLU", "mip": None}),
    ("floats", "feasible", {"cpsat": "non-integer entries", "maxsat": "non-integer entries",
                            "mip": None}),
    ("unbounded", "feasible", {"cpsat": "needs a binary or integer latent domain",
                               "maxsat": "needs a binary or integer latent domain",
                               "mip": "needs a bounded latent box"}),
    ("half_target", "feasible", {"cpsat": None, "maxsat": None, "mip": None}),
    ("half_target", "linf", {"cpsat": "needs an integer target",
                             "maxsat": "needs an integer target", "mip": None}),
]

#: Every backend option solve_exact takes, with a valid value.
OPTION_VALUES: dict[str, Any] = {"encoding": "big_m", "threads": 2, "seed": 3,
                                 "mip_solver": "SCIP", "bound_tightening": "lp", "tol": 1e-7}


def _unused_options() -> list[tuple[str, str]]:
    return [(name, option) for name in EXACT_BACKENDS for option in OPTION_VALUES
            if option not in BACKENDS[name].options_type.names()]


# -- the contract of every registered backend ------------------------------------------


@pytest.mark.parametrize("name", EXACT_BACKENDS)
def test_registered_backend_has_its_name_and_default_options(name: str) -> None:
    backend = BACKENDS[name]  # type: ignore[index]
    assert backend.name == name
    options = backend.options_type()
    assert dataclasses.is_dataclass(options)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.encoding = "x"  # type: ignore[misc]
    assert options.encoding is None


@pytest.mark.parametrize("name", EXACT_BACKENDS)
@pytest.mark.parametrize(("case", "objective", "expected"), SUPPORT,
                         ids=[f"{c}-{o}" for c, o, _ in SUPPORT])
def test_supports_accepts_or_refuses_with_a_one_line_reason(
        name: str, case: str, objective: str, expected: dict[str, str | None]) -> None:
    reason = BACKENDS[name].supports(PROBLEMS[case], objective)  # type: ignore[index, arg-type]
    if expected[name] is None:
        assert reason is None
    else:
        assert reason is not None
        assert expected[name] in reason  # type: ignore[operator]
        assert f"the {name} backend" in reason
        assert "\n" not in reason


@pytest.mark.parametrize("name", EXACT_BACKENDS)
@pytest.mark.parametrize(("case", "objective", "expected"),
                         [row for row in SUPPORT if None in row[2].values()],
                         ids=[f"{c}-{o}" for c, o, e in SUPPORT if None in e.values()])
def test_solve_exact_refuses_exactly_what_supports_refuses(
        name: str, case: str, objective: str, expected: dict[str, str | None]) -> None:
    problem = PROBLEMS[case]
    if expected[name] is None:
        result = ri.solve_exact(problem, backend=name, objective=objective)  # type: ignore[arg-type]
        assert result.backend == name
        assert "auto" not in result.message
    else:
        with pytest.raises(UnsupportedProblemError, match=expected[name]):
            ri.solve_exact(problem, backend=name, objective=objective)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "option"), _unused_options())
def test_an_option_the_backend_does_not_take_is_an_error(name: str, option: str) -> None:
    users = [b for b in EXACT_BACKENDS if option in BACKENDS[b].options_type.names()]
    message = rf"{option} is not an option of backend '{name}': only backend .*'{users[0]}'"
    with pytest.raises(InvalidArgumentError, match=message):
        ri.solve_exact(BINARY, backend=name, **{option: OPTION_VALUES[option]})  # type: ignore[arg-type]


@pytest.mark.parametrize("name", EXACT_BACKENDS)
def test_a_non_integer_target_of_an_integer_network_is_infeasible_by_the_target(
        name: str) -> None:
    result = ri.solve_exact(HALF_TARGET, backend=name)  # type: ignore[arg-type]
    assert result.status is ri.Status.INFEASIBLE
    assert result.model is None
    assert result.backend == name
    assert "x[0] = 1.5 is not an integer, but G(z) is" in result.message


@pytest.mark.parametrize("name", EXACT_BACKENDS)
def test_only_the_certifying_backends_certify(name: str) -> None:
    certifies = isinstance(BACKENDS[name], CertifyingBackend)  # type: ignore[index]
    assert certifies == (name in UNIQUENESS_ORDER)
    if certifies:
        result = ri.certify_unique(BINARY, [1, 0, 1], backend=name)  # type: ignore[arg-type]
        assert result.backend == name
    else:
        with pytest.raises(InvalidArgumentError, match="maxsat backend has no distance"):
            ri.certify_unique(BINARY, [1, 0, 1], backend=name)  # type: ignore[arg-type]


# -- the auto rule ----------------------------------------------------------------------


def test_auto_orders_are_permutations_ending_with_mip() -> None:
    assert set(AUTO_ORDER) == {"feasible", "l1", "linf"}
    for order in AUTO_ORDER.values():
        assert sorted(order) == sorted(EXACT_BACKENDS)
        assert order[-1] == "mip"
    assert AUTO_ORDER["feasible"][0] == "cpsat"
    assert AUTO_ORDER["l1"][0] == "maxsat"
    assert AUTO_ORDER["linf"][0] == "maxsat"


AUTO_CASES = [
    ("binary", "feasible", {}, "cpsat"),
    ("binary", "l1", {}, "maxsat"),
    ("binary", "linf", {}, "maxsat"),
    ("real", "feasible", {}, "mip"),
    ("real", "l1", {}, "mip"),
    ("leaky", "feasible", {}, "mip"),
    ("floats", "l1", {}, "mip"),
    ("binary", "feasible", {"mip_solver": "HIGHS"}, "mip"),
    ("binary", "l1", {"bound_tightening": "lp"}, "mip"),
    ("binary", "l1", {"seed": 1}, "cpsat"),
    ("binary", "feasible", {"encoding": "order"}, "maxsat"),
    ("binary", "l1", {"encoding": "indicator"}, "cpsat"),
    ("binary", "l1", {"threads": 2}, "cpsat"),
]


@pytest.mark.parametrize(("case", "objective", "options", "expected"), AUTO_CASES,
                         ids=[f"{c}-{o}-{'-'.join(opts) or 'plain'}"
                              for c, o, opts, _ in AUTO_CASES])
def test_auto_picks_by_the_documented_rule(case: str, objective: str,
                                           options: dict[str, Any], expected: str) -> None:
    result = ri.solve_exact(PROBLEMS[case], objective=objective, **options)  # type: ignore[arg-type]
    assert result.backend == expected
    assert f"backend '{expected}' chosen by backend='auto'" in result.message
    assert result.status in (ri.Status.OPTIMAL, ri.Status.INFEASIBLE)


def test_auto_is_the_default_and_answers_like_the_backend_it_names() -> None:
    auto = ri.solve_exact(ri.encode(UNSAT), objective="l1")
    named = ri.solve_exact(ri.encode(UNSAT), backend=auto.backend, objective="l1")  # type: ignore[arg-type]
    assert (auto.status, auto.objective, auto.solver) == (named.status, named.objective,
                                                          named.solver)


def test_auto_falls_through_when_the_maxsat_compilation_refuses() -> None:
    assert BACKENDS["maxsat"].supports(WIDE, "l1") is None
    with pytest.raises(UnsupportedProblemError, match="more than MAX_VALUES"):
        ri.solve_exact(WIDE, backend="maxsat", objective="l1")
    result = ri.solve_exact(WIDE, objective="l1")
    assert result.backend == AUTO_ORDER["l1"][1]
    assert result.status is ri.Status.OPTIMAL
    assert result.objective == 0
    assert "skipped maxsat:" in result.message
    assert "MAX_VALUES" in result.message


def test_auto_with_no_backend_supporting_the_problem_lists_every_reason() -> None:
    with pytest.raises(UnsupportedProblemError,
                       match=r"no exact backend supports this problem: cpsat: .*; maxsat: "
                       r".*; mip: the mip backend needs a bounded latent box"):
        ri.solve_exact(UNBOUNDED)


def test_auto_with_options_no_backend_takes_together_names_them() -> None:
    with pytest.raises(InvalidArgumentError,
                       match=r"no backend takes all of the options given: seed \(cpsat\), "
                       r"mip_solver \(mip\)"):
        ri.solve_exact(BINARY, seed=1, mip_solver="SCIP")


def test_auto_restricted_by_options_still_refuses_an_unsupported_problem() -> None:
    with pytest.raises(UnsupportedProblemError, match="cpsat: the cpsat backend needs"):
        ri.solve_exact(REAL, seed=1)


# -- certify_unique ----------------------------------------------------------------------


@pytest.mark.parametrize(("problem", "options", "expected"),
                         [(BINARY, {}, "cpsat"), (REAL, {}, "mip"),
                          (BINARY, {"bound_tightening": "lp"}, "mip"),
                          (BINARY, {"seed": 2}, "cpsat")],
                         ids=["binary", "real", "binary-lp", "binary-seed"])
def test_certify_unique_auto_picks_cpsat_then_mip(problem: ri.InversionProblem,
                                                  options: dict[str, Any],
                                                  expected: str) -> None:
    result = ri.certify_unique(problem, [1, 0, 1], **options)
    assert result.backend == expected
    assert result.status is ri.UniquenessStatus.NOT_UNIQUE
    assert f"backend '{expected}' chosen by backend='auto'" in result.message


@pytest.mark.parametrize(("backend", "option", "value"),
                         [("mip", "seed", 1), ("cpsat", "mip_solver", "SCIP"),
                          ("cpsat", "bound_tightening", "lp")])
def test_certify_unique_refuses_an_option_the_backend_does_not_take(
        backend: str, option: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError,
                       match=f"{option} is not an option of backend '{backend}'"):
        ri.certify_unique(BINARY, [1, 0, 1], backend=backend, **{option: value})  # type: ignore[arg-type]


def test_certify_unique_on_an_unsupported_problem_names_the_reason() -> None:
    with pytest.raises(UnsupportedProblemError, match="the cpsat backend needs a binary"):
        ri.certify_unique(REAL, [1, 0, 1], backend="cpsat")
