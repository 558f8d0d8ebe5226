"""Small formula generators for the SAT / MaxSAT tests and benchmarks."""

from __future__ import annotations

import itertools

import numpy as np

from reluinv.formula import Formula


def pigeonhole(holes: int) -> Formula:
    """PHP(holes + 1, holes): ``holes + 1`` pigeons, each in some hole, no two sharing one.

    Variable ``p * holes + h + 1`` says pigeon ``p`` sits in hole ``h``. Unsatisfiable for
    every ``holes >= 0``; resolution refutations grow exponentially with ``holes``.
    """
    pigeons = holes + 1

    def var(p: int, h: int) -> int:
        return p * holes + h + 1

    clauses = [tuple(var(p, h) for h in range(holes)) for p in range(pigeons)]
    clauses += [
        (-var(p, h), -var(q, h))
        for h in range(holes)
        for p, q in itertools.combinations(range(pigeons), 2)
    ]
    return Formula(pigeons * holes, tuple(clauses))


def random_3cnf(num_vars: int, num_clauses: int, rng: np.random.Generator) -> Formula:
    """Uniform random 3-CNF: three distinct variables per clause, random signs."""
    clauses = []
    for _ in range(num_clauses):
        chosen = rng.choice(num_vars, size=3, replace=False) + 1
        signs = rng.choice([-1, 1], size=3)
        clauses.append(tuple(int(v * s) for v, s in zip(chosen, signs, strict=True)))
    return Formula(num_vars, tuple(clauses))


def brute_force_minimum(formula: Formula) -> int:
    """``min_z formula.falsified(z)`` over all of ``{0,1}^n``."""
    return min(
        formula.falsified(z) for z in itertools.product((0, 1), repeat=formula.num_vars)
    )
