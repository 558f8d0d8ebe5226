"""Formula.from_pysat / to_pysat, as_formula, and every entry point taking CNF / WCNF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pysat.formula import CNF, WCNF, CNFPlus

from reluinv import (
    Formula,
    MaxSatStatus,
    SatStatus,
    certify_maxsat_optimum,
    encode,
    parse_dimacs,
    solve_maxsat,
    solve_sat,
)
from reluinv.data.formula import as_formula
from reluinv.errors import InvalidArgumentError, InvalidTypeError
from reluinv.validation.check import check_instance


def _cnfplus(clauses: list[list[int]], atmosts: list[tuple[list[int], int]]) -> CNFPlus:
    cnf = CNFPlus()
    for clause in clauses:
        cnf.append(clause)
    for literals, bound in atmosts:
        cnf.append([literals, bound], is_atmost=True)
    return cnf


def _wcnf(hard: list[list[int]], soft: list[tuple[list[int], int]]) -> WCNF:
    wcnf = WCNF()
    for clause in hard:
        wcnf.append(clause)
    for clause, weight in soft:
        wcnf.append(clause, weight=weight)
    return wcnf


def test_a_cnf_becomes_an_unweighted_formula_sized_by_nv() -> None:
    formula = Formula.from_pysat(CNF(from_clauses=[[1, -3], [2], []]))
    assert formula == Formula(3, ((1, -3), (2,), ()))
    assert formula.weights is None


def test_num_vars_overrides_nv_the_largest_variable_that_occurs() -> None:
    cnf = CNF(from_clauses=[[1, -2]])
    assert cnf.nv == 2
    assert Formula.from_pysat(cnf, num_vars=5).num_vars == 5


def test_a_wcnf_keeps_hard_clauses_hard_at_one_plus_the_soft_weight() -> None:
    formula = Formula.from_pysat(_wcnf([[1, 2]], [([-1], 3), ([-2], 4)]))
    assert formula.clauses == ((1, 2), (-1,), (-2,))
    assert formula.hard == (True, False, False)
    assert formula.weights == (1 + 3 + 4, 3, 4)
    assert formula.falsified((0, 0)) == 8  # the hard clause outweighs every soft one


def test_a_wcnf_puts_its_hard_clauses_first() -> None:
    wcnf = WCNF()
    wcnf.append([1], weight=2)
    wcnf.append([2])
    assert Formula.from_pysat(wcnf).clauses == ((2,), (1,))


@pytest.mark.parametrize(
    "formula",
    [parse_dimacs("p cnf 3 2\n1 -2 0\n3 0\n"),
     parse_dimacs("p cnf 6 2\n1 -2 0\n3 0\n"),
     parse_dimacs("p wcnf 4 4 20\n20 1 2 0\n20 -3 0\n3 -1 0\n5 2 3 0\n"),
     parse_dimacs("p wcnf 7 2\n3 -1 0\n5 2 0\n"),
     Formula(0, ()),
     Formula(2, ((), (1,)))],
    ids=["cnf", "cnf-unused-variables", "wcnf-hard-first", "wcnf-unused-variables",
         "empty", "empty-clause"],
)
def test_to_pysat_and_back_is_the_identity(formula: Formula) -> None:
    converted = formula.to_pysat()
    assert isinstance(converted, WCNF if formula.is_weighted else CNF)
    assert converted.nv == formula.num_vars
    assert Formula.from_pysat(converted) == formula


def test_to_pysat_keeps_the_hard_and_soft_split() -> None:
    formula = parse_dimacs("p wcnf 2 3 20\n3 -1 0\n20 1 2 0\n5 -2 0\n")
    wcnf = formula.to_pysat()
    assert isinstance(wcnf, WCNF)
    assert (wcnf.hard, wcnf.soft, wcnf.wght) == ([[1, 2]], [[-1], [-2]], [3, 5])
    # What is lost: the interleaving. The way back puts the hard clause first.
    back = Formula.from_pysat(wcnf)
    assert back.clauses == ((1, 2), (-1,), (-2,))
    assert back.clause_weights() == (9, 3, 5)


@pytest.mark.parametrize(
    ("obj", "options", "error", "match"),
    [(CNF(from_clauses=[[1, 3]]), {"num_vars": 2}, InvalidArgumentError,
      "num_vars = 2 is below obj.nv = 3"),
     (CNF(from_clauses=[[1]]), {"num_vars": 2.0}, InvalidTypeError, "num_vars must be an int"),
     (_wcnf([], [([1], 2.5)]), {}, InvalidArgumentError, r"obj.wght\[0\] = 2.5"),
     (_cnfplus([[1]], []), {}, None, None),
     ("p cnf 1 1\n1 0\n", {}, InvalidTypeError, "obj must be a python-sat CNF or WCNF")],
    ids=["num-vars-below-nv", "num-vars-float", "fractional-weight", "cnfplus-without-atmost",
         "text"],
)
def test_from_pysat_checks(obj: Any, options: dict[str, Any], error: type[Exception] | None,
                           match: str | None) -> None:
    if error is None:
        assert Formula.from_pysat(obj, **options) == Formula(1, ((1,),))
    else:
        with pytest.raises(error, match=match):
            Formula.from_pysat(obj, **options)


def test_cardinality_constraints_are_refused() -> None:
    cnf = _cnfplus([[1, 2]], [([1, 2], 1)])
    with pytest.raises(InvalidArgumentError, match="1 cardinality constraints"):
        Formula.from_pysat(cnf)


@pytest.mark.parametrize("obj", ["p cnf 1 0\n", [[1]], None], ids=["text", "list", "none"])
def test_as_formula_refuses_anything_else(obj: object) -> None:
    with pytest.raises(InvalidTypeError, match=r"formula must be a reluinv\.Formula"):
        as_formula(obj)


# -- every entry point accepts CNF and WCNF --------------------------------------------

UNSAT_CNF = CNF(from_clauses=[[1, 2], [-1], [-2]])
# Hard 1 or 2; soft -1 (3), -2 (2): optimum 2 with x = (0, 1).
PARTIAL_WCNF = _wcnf([[1, 2]], [([-1], 3), ([-2], 2)])

ENTRIES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], bool]]] = {
    "solve_sat-cnf": (lambda: solve_sat(UNSAT_CNF),
                      lambda r: r.status is SatStatus.UNSATISFIABLE and r.proof_checked),
    "solve_sat-wcnf": (lambda: solve_sat(PARTIAL_WCNF),
                       lambda r: r.status is SatStatus.UNSATISFIABLE),
    "solve_maxsat-cnf": (lambda: solve_maxsat(UNSAT_CNF),
                         lambda r: r.status is MaxSatStatus.OPTIMAL and r.cost == 1),
    "solve_maxsat-wcnf": (lambda: solve_maxsat(PARTIAL_WCNF),
                          lambda r: r.cost == 2 and r.model == (0, 1)),
    "certify-cnf": (lambda: certify_maxsat_optimum(UNSAT_CNF, 1, (1, 0)),
                    lambda c: c.certified),
    "certify-wcnf": (lambda: certify_maxsat_optimum(PARTIAL_WCNF, 2, (0, 1)),
                     lambda c: c.certified),
    "encode-cnf": (lambda: encode(UNSAT_CNF), lambda p: p.network.sizes == (2, 4, 3)),
    "encode-wcnf": (lambda: encode(PARTIAL_WCNF),
                    lambda p: p.loss([0, 1]) == 2.0 and p.loss([0, 0]) == 6.0),
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_every_entry_point_accepts_pysat_formulas(entry: str) -> None:
    call, holds = ENTRIES[entry]
    assert holds(call())


@pytest.mark.parametrize("obj", [UNSAT_CNF, PARTIAL_WCNF], ids=["cnf", "wcnf"])
def test_check_instance_accepts_pysat_formulas(obj: CNF | WCNF) -> None:
    record = check_instance(obj, layerwise=False)
    assert record["verdict"] == "agree"
    assert record["sha256"] == Formula.from_pysat(obj).sha256()


@pytest.mark.parametrize(
    "entry",
    [solve_sat, solve_maxsat, encode, lambda x: certify_maxsat_optimum(x, 0, ())],
    ids=["solve_sat", "solve_maxsat", "encode", "certify_maxsat_optimum"],
)
def test_every_entry_point_refuses_other_kinds(entry: Callable[[Any], Any]) -> None:
    with pytest.raises(InvalidTypeError, match=r"formula must be a reluinv\.Formula"):
        entry([[1, 2]])
