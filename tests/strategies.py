"""Hypothesis strategies shared by the property tests.

Each strategy shrinks towards small formulas: fewer variables, fewer and shorter clauses,
positive literals and weight 1.
"""

from __future__ import annotations

from hypothesis import strategies as st

from reluinv.formula import Formula


@st.composite
def formulas(
    draw: st.DrawFn,
    *,
    max_vars: int = 6,
    max_clauses: int = 10,
    max_width: int = 3,
    min_width: int = 0,
    weighted: bool | None = None,
    partial: bool | None = None,
) -> Formula:
    """Random (weighted, partial) CNF formulas; ``None`` lets hypothesis choose a flag."""
    n = draw(st.integers(0, max_vars))
    literal = (st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v]))
               if n else st.nothing())
    width = st.integers(min_width if n else 0, max_width if n else 0)
    clause = width.flatmap(lambda w: st.lists(literal, min_size=w, max_size=w).map(tuple))
    clauses = draw(st.lists(clause, max_size=max_clauses))
    is_weighted = draw(st.booleans()) if weighted is None else weighted
    if not is_weighted:
        return Formula(n, tuple(clauses))
    soft = [draw(st.integers(1, 5)) for _ in clauses]
    is_partial = draw(st.booleans()) if partial is None else partial
    hard = [draw(st.booleans()) for _ in clauses] if is_partial else [False] * len(clauses)
    soft_total = sum(w for w, h in zip(soft, hard, strict=True) if not h)
    weights = tuple(1 + soft_total if h else w for w, h in zip(soft, hard, strict=True))
    return Formula(n, tuple(clauses), weights, tuple(hard))


@st.composite
def network_specs(
    draw: st.DrawFn, *, max_depth: int = 3, max_width: int = 8
) -> tuple[tuple[int, ...], str | tuple[str, float], int]:
    """``(sizes, activation, seed)`` of a small random network of any shape (contracting,
    expanding or mixed). Shrinks towards one layer of width 1, ReLU, seed 0."""
    depth = draw(st.integers(1, max_depth))
    sizes = tuple(draw(st.integers(1, max_width)) for _ in range(depth + 1))
    activation = draw(st.sampled_from(["relu", ("leaky_relu", 0.1), ("leaky_relu", 0.5)]))
    seed = draw(st.integers(0, 2**16))
    return sizes, activation, seed
