"""Formula generators: random k-CNF, over-constrained and weighted MAX-3SAT, pigeonhole.

Every random generator takes an explicit ``numpy.random.Generator`` (``rng``) and nothing
else random, so a seed and the parameters determine the formula; the bundled instance set
(:mod:`reluinv.validation.bundled`) writes both into each file's provenance lines.

Conventions of the random models:

* **uniform random k-CNF** (:func:`random_kcnf`): each clause picks ``width`` *distinct*
  variables uniformly among ``1..n`` and negates each with probability 1/2, independently
  of the other clauses. Near ``m / n = 4.26`` random 3-CNF is satisfiable about half the
  time; above it (ratios 6 and 8: :func:`random_max3sat`) almost never, which makes the
  MaxSAT cost the interesting quantity.
* **weighted MAX-3SAT** (:func:`weighted_max3sat`): random 3-CNF with soft weights drawn
  uniformly from ``1..max_weight``.
* **partial weighted MAX-3SAT** (:func:`partial_weighted_max3sat`): random 3-CNF hard
  clauses that a hidden assignment satisfies (a clause it falsifies gets one literal
  negated), plus weighted random soft clauses; the hard part is satisfiable by
  construction, so the MaxSAT cost is the soft weight the best assignment gives up.
* **pigeonhole PHP(n+1, n)** (:func:`pigeonhole`): no randomness; unsatisfiable, with
  MaxSAT cost 1, and hard for resolution-based solvers as ``n`` grows.
"""

from __future__ import annotations

import numpy as np

from reluinv.arguments import check_count, check_rng
from reluinv.data.formula import Formula
from reluinv.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "partial_weighted_max3sat",
    "pigeonhole",
    "random_kcnf",
    "random_max3sat",
    "weighted_max3sat",
]



def _random_clauses(
    num_vars: int, num_clauses: int, width: int, rng: np.random.Generator
) -> list[tuple[int, ...]]:
    clauses = []
    for _ in range(num_clauses):
        variables = rng.choice(num_vars, size=width, replace=False) + 1
        signs = rng.integers(0, 2, size=width) * 2 - 1
        clauses.append(tuple(int(v) * int(s) for v, s in zip(variables, signs, strict=True)))
    return clauses


def random_kcnf(
    num_vars: int, num_clauses: int, *, width: int = 3, rng: np.random.Generator
) -> Formula:
    """Uniform random ``width``-CNF with ``num_vars`` variables and ``num_clauses`` clauses.

    >>> f = random_kcnf(10, 43, rng=np.random.default_rng(0))
    >>> f.num_vars, f.num_clauses, f.clause_length_histogram()
    (10, 43, {3: 43})
    """
    n = check_count(num_vars, "num_vars", minimum=1)
    m = check_count(num_clauses, "num_clauses", minimum=0)
    w = check_count(width, "width", minimum=1)
    if w > n:
        raise InvalidArgumentError(f"width = {w} distinct variables need num_vars >= {w}, got {n}")
    return Formula(n, tuple(_random_clauses(n, m, w, check_rng(rng))))


def random_max3sat(num_vars: int, ratio: float, *, rng: np.random.Generator) -> Formula:
    """Random 3-CNF with ``round(ratio * num_vars)`` clauses (over-constrained for
    ``ratio`` well above 4.26)."""
    if isinstance(ratio, bool) or not isinstance(ratio, int | float | np.integer | np.floating):
        raise InvalidTypeError(f"ratio must be a number, got {type(ratio).__name__} {ratio!r}")
    if not ratio > 0:
        raise InvalidArgumentError(f"ratio must be a positive number, got {ratio!r}")
    n = check_count(num_vars, "num_vars", minimum=3)
    return random_kcnf(n, round(ratio * n), rng=rng)


def weighted_max3sat(
    num_vars: int, num_clauses: int, *, max_weight: int = 10, rng: np.random.Generator
) -> Formula:
    """Random 3-CNF, every clause soft with a weight uniform in ``1..max_weight``."""
    top = check_count(max_weight, "max_weight", minimum=1)
    base = random_kcnf(num_vars, num_clauses, rng=rng)
    weights = tuple(int(w) for w in rng.integers(1, top + 1, size=base.num_clauses))
    return Formula(base.num_vars, base.clauses, weights)


def partial_weighted_max3sat(
    num_vars: int,
    num_hard: int,
    num_soft: int,
    *,
    max_weight: int = 10,
    rng: np.random.Generator,
) -> Formula:
    """``num_hard`` hard 3-clauses satisfied by a hidden assignment, then ``num_soft``
    random soft 3-clauses with weights uniform in ``1..max_weight`` (hard clauses first).

    The hidden assignment is drawn first from ``rng``; each hard clause it falsifies gets
    one uniformly chosen literal negated, so the hard part is satisfiable.
    """
    n = check_count(num_vars, "num_vars", minimum=3)
    hard_count = check_count(num_hard, "num_hard", minimum=0)
    soft_count = check_count(num_soft, "num_soft", minimum=0)
    top = check_count(max_weight, "max_weight", minimum=1)
    generator = check_rng(rng)
    hidden = generator.integers(0, 2, size=n)
    hard = []
    for clause in _random_clauses(n, hard_count, 3, generator):
        if not any(hidden[abs(lit) - 1] == (lit > 0) for lit in clause):
            i = int(generator.integers(0, len(clause)))
            clause = (*clause[:i], -clause[i], *clause[i + 1:])
        hard.append(clause)
    soft = _random_clauses(n, soft_count, 3, generator)
    soft_weights = [int(w) for w in generator.integers(1, top + 1, size=soft_count)]
    hard_weight = 1 + sum(soft_weights)
    return Formula(
        n,
        (*hard, *soft),
        (*([hard_weight] * hard_count), *soft_weights),
        (*([True] * hard_count), *([False] * soft_count)),
    )


def pigeonhole(holes: int) -> Formula:
    """PHP(n+1, n): ``n + 1`` pigeons, ``n = holes`` holes, every pigeon in some hole and
    no two pigeons in one hole. Unsatisfiable; dropping any one clause makes it satisfiable,
    so its MaxSAT cost is 1.

    Variable ``x(p, h) = (p - 1) * n + h`` says pigeon ``p`` (``1..n+1``) sits in hole ``h``
    (``1..n``). Clauses: ``x(p, 1) or ... or x(p, n)`` for each pigeon (width ``n``), then
    ``-x(p, h) or -x(q, h)`` for each hole and each pair ``p < q``.

    >>> f = pigeonhole(2)
    >>> f.num_vars, f.num_clauses, f.clause_length_histogram()
    (6, 9, {2: 9})
    """
    n = check_count(holes, "holes", minimum=1)

    def x(p: int, h: int) -> int:
        return (p - 1) * n + h

    pigeons = [tuple(x(p, h) for h in range(1, n + 1)) for p in range(1, n + 2)]
    exclusions = [
        (-x(p, h), -x(q, h))
        for h in range(1, n + 1)
        for p in range(1, n + 2)
        for q in range(p + 1, n + 2)
    ]
    return Formula((n + 1) * n, (*pigeons, *exclusions))
