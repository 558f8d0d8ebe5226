"""Hard formula families for verifier benchmarks, with their provenance.

Four families whose difficulty is known, each a function of its size and a seed:

``random3sat``
    Uniform random 3-CNF at the satisfiability threshold, ``m = round(4.26 n)`` clauses
    (cnfgen's ``RandomKCNF``): satisfiable about half the time, hardest for DPLL/CDCL there.
``pigeonhole``
    PHP(h+1, h), ``h+1`` pigeons into ``h`` holes (cnfgen's ``PigeonholePrinciple``):
    always unsatisfiable, exponential for resolution (``h (h+1)`` variables).
``tseitin``
    Tseitin parity formulas on a random ``d``-regular graph (an expander with high
    probability; networkx's ``random_regular_graph``, redrawn until connected; cnfgen's
    ``TseitinFormula``). One variable per edge, the charges sum to an odd number
    (unsatisfiable: the parity of all vertex constraints is the parity of the total charge,
    since every edge is counted twice) or an even one (satisfiable, the graph being
    connected). Exponential for resolution on expanders.
``planted_unique``
    Random 3-CNF with a planted model that is its *only* model (not in cnfgen; built here):
    clauses satisfied by the planted assignment ``a`` at ratio ``m / n``, then, while
    ``F and not a`` has a model ``b``, a clause satisfied by ``a`` and falsified by ``b``
    is added (one literal of a variable where they differ, true under ``a``, and two
    literals false under ``b``). Each round removes ``b``, so it ends; the last
    ``solve_sat`` call refutes ``F and not a`` with a checked DRUP proof, which certifies
    that ``a`` is the unique model.

Every formula comes with its comment lines (family, parameters, seed, generator) so a
written file says how to make it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reluinv.arguments import check_choice, check_count
from reluinv.data.formula import Formula
from reluinv.errors import InvalidArgumentError, SolverError
from reluinv.oracles.sat import SatStatus, solve_sat

__all__ = [
    "DETERMINISTIC_FAMILIES",
    "FAMILIES",
    "THRESHOLD_RATIO",
    "family_counts",
    "family_formula",
    "pigeonhole_family",
    "planted_unique_3sat",
    "random_3sat_threshold",
    "tseitin_expander",
]

#: The clause-to-variable ratio of the random 3-SAT threshold.
THRESHOLD_RATIO = 4.26


def _cnfgen() -> Any:
    import cnfgen

    return cnfgen


def _from_cnfgen(cnf: Any, comments: list[str]) -> Formula:
    clauses = tuple(tuple(int(lit) for lit in clause) for clause in cnf.clauses())
    return Formula(int(cnf.number_of_variables()), clauses, comments=tuple(comments))


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def random_3sat_threshold(num_vars: int, *, seed: int) -> Formula:
    """Uniform random 3-CNF with ``round(4.26 n)`` clauses (cnfgen ``RandomKCNF``)."""
    n = check_count(num_vars, "num_vars", minimum=3)
    m = round(THRESHOLD_RATIO * n)
    cnf = _cnfgen().RandomKCNF(3, n, m, seed=seed)
    return _from_cnfgen(cnf, [f"family random3sat num_vars={n} num_clauses={m} seed={seed} "
                              "(cnfgen RandomKCNF)"])


def pigeonhole_family(holes: int) -> Formula:
    """PHP(h+1, h) (cnfgen ``PigeonholePrinciple``): unsatisfiable."""
    h = check_count(holes, "holes")
    cnf = _cnfgen().PigeonholePrinciple(h + 1, h)
    return _from_cnfgen(cnf, [f"family pigeonhole pigeons={h + 1} holes={h} "
                              "(cnfgen PigeonholePrinciple)"])


def tseitin_expander(vertices: int, *, satisfiable: bool, seed: int,
                     degree: int = 3) -> Formula:
    """Tseitin formula of a connected random ``degree``-regular graph; the charges sum to
    an even number when ``satisfiable``, else to an odd one."""
    import networkx  # type: ignore[import-untyped]

    n = check_count(vertices, "vertices", minimum=degree + 1)
    if (n * degree) % 2:
        raise ValueError(f"vertices * degree must be even, got {n} * {degree}")
    rng = np.random.default_rng(seed)
    for _ in range(100):
        graph = networkx.random_regular_graph(degree, n, seed=_seed(rng))
        if networkx.is_connected(graph):
            break
    else:  # pragma: no cover - a random 3-regular graph is connected w.h.p.
        raise SolverError(f"no connected {degree}-regular graph on {n} vertices in 100 draws")
    charges = [int(c) for c in rng.integers(0, 2, size=n)]
    if (sum(charges) % 2 == 0) != satisfiable:
        charges[0] ^= 1
    cnf = _cnfgen().TseitinFormula(graph, charges=charges)
    return _from_cnfgen(cnf, [f"family tseitin vertices={n} degree={degree} "
                              f"satisfiable={satisfiable} seed={seed} (networkx "
                              "random_regular_graph, cnfgen TseitinFormula)"])


def planted_unique_3sat(num_vars: int, *, seed: int, ratio: float = 3.0,
                        max_rounds: int = 10_000) -> Formula:
    """Random 3-CNF whose only model is a planted one (module docstring)."""
    n = check_count(num_vars, "num_vars", minimum=3)
    rng = np.random.default_rng(seed)
    planted = rng.integers(0, 2, size=n)
    clauses: list[tuple[int, ...]] = []

    def literal(v: int, value: int) -> int:  # the literal of v that is true under value
        return v + 1 if value else -(v + 1)

    while len(clauses) < round(ratio * n):
        variables = rng.choice(n, size=3, replace=False)
        signs = rng.integers(0, 2, size=3)
        clause = tuple(literal(int(v), int(s)) for v, s in zip(variables, signs, strict=True))
        if any((lit > 0) == bool(planted[abs(lit) - 1]) for lit in clause):
            clauses.append(clause)
    blocking = tuple(-literal(v, int(planted[v])) for v in range(n))
    for _ in range(max_rounds):
        check = solve_sat(Formula(n, (*clauses, blocking)))
        if check.status is SatStatus.UNSATISFIABLE and check.proof_checked:
            model = tuple(int(v) for v in planted)
            return Formula(n, tuple(clauses), comments=(
                f"family planted_unique num_vars={n} ratio={ratio} seed={seed}",
                f"unique model {''.join(map(str, model))} (uniqueness refutation "
                f"sha256 {check.proof_sha256})"))
        if check.model is None:
            raise SolverError(f"the uniqueness check was not decided: {check.message}")
        other = check.model
        differ = [v for v in range(n) if other[v] != planted[v]]
        v = int(rng.choice(differ))
        rest = rng.choice([u for u in range(n) if u != v], size=2, replace=False)
        clauses.append((literal(v, int(planted[v])),
                        *(-literal(int(u), int(other[u])) for u in rest)))
    raise SolverError(f"no unique planted model after {max_rounds} rounds")


#: Family name -> maker(size, seed, satisfiable) -> Formula.
FAMILIES: dict[str, Callable[[int, int, bool], Formula]] = {
    "random3sat": lambda size, seed, sat: random_3sat_threshold(size, seed=seed),
    "pigeonhole": lambda size, seed, sat: pigeonhole_family(size),
    "tseitin": lambda size, seed, sat: tseitin_expander(size, satisfiable=sat, seed=seed),
    "planted_unique": lambda size, seed, sat: planted_unique_3sat(size, seed=seed),
}


def instance_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th formula of a set made with ``seed``: the Cantor pairing
    ``(s + i)(s + i + 1) / 2 + i``, which is one-to-one on pairs of non-negative integers, so
    no two (set seed, index) pairs share a formula seed, whatever the set sizes (``s * 1000
    + i`` would give set 0's formula 1000 to set 1 as its first).

    >>> [instance_seed(0, i) for i in range(4)], instance_seed(1, 0), instance_seed(0, 1)
    ([0, 2, 5, 9], 1, 2)
    """
    s = check_count(seed, "seed", minimum=0)
    i = check_count(index, "index", minimum=0)
    return (s + i) * (s + i + 1) // 2 + i


def family_counts(family: str, size: int, *, degree: int = 3) -> tuple[int, int]:
    """``(variables, clauses)`` of the ``family`` formula of ``size``, known before it is
    made: exact for random3sat (``n``, ``round(4.26 n)``), pigeonhole (``h (h + 1)``,
    ``h + 1 + h (h + 1) h / 2``) and tseitin (``n d / 2`` edges, ``n 2^(d-1)`` clauses),
    a lower bound on the clauses of planted_unique (``round(3 n)`` before the clauses that
    remove other models). So a size whose formula is too large is refused before anything
    is generated.

    >>> family_counts("pigeonhole", 3), family_counts("tseitin", 6)
    ((12, 22), (9, 24))
    """
    check_choice(family, "family", tuple(FAMILIES))
    n = check_count(size, "size")
    if family == "random3sat":
        return n, round(THRESHOLD_RATIO * n)
    if family == "pigeonhole":
        return n * (n + 1), n + 1 + n * (n + 1) * n // 2
    if family == "tseitin":
        return n * degree // 2, n * 2 ** (degree - 1)
    return n, round(3.0 * n)


#: Families with one formula per size: the seed changes nothing (PHP(h+1, h) is fixed by h),
#: so asking for several formulas of one size would give identical copies.
DETERMINISTIC_FAMILIES: tuple[str, ...] = ("pigeonhole",)


def family_formula(family: str, size: int, *, seed: int,
                   satisfiable: bool | None = None) -> Formula:
    """One formula of ``family`` (:data:`FAMILIES`): ``size`` is the number of variables
    (random3sat, planted_unique), of holes (pigeonhole) or of graph vertices (tseitin);
    ``satisfiable`` picks the charge parity of tseitin (required there, refused elsewhere:
    the other families fix their answer themselves).

    >>> f = family_formula("pigeonhole", 2, seed=0)
    >>> f.num_vars, f.num_clauses
    (6, 9)
    """
    check_choice(family, "family", tuple(FAMILIES))
    if (family == "tseitin") != (satisfiable is not None):
        raise InvalidArgumentError(
            "satisfiable is required for family 'tseitin' and only there, got "
            f"{satisfiable!r} for {family!r}")
    return FAMILIES[family](size, seed, bool(satisfiable))
