"""Hypothesis strategies shared by the property tests.

Each strategy shrinks towards small formulas: fewer variables, fewer and shorter clauses,
positive literals and weight 1.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from reluinv.formula import Formula
from reluinv.network import ActivationSpec, ReluNetwork
from reluinv.problem import InversionProblem, LatentDomain


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


def planted_problem(
    sizes: tuple[int, ...],
    seed: int,
    *,
    activation: ActivationSpec = "relu",
    box: float = 5.0,
    mask_fraction: float = 1.0,
) -> tuple[InversionProblem, npt.NDArray[np.float64]]:
    """A random network ``sizes[0] x ... x sizes[-1]`` without bias, ``W_i`` i.i.d.
    ``N(0, 1/n_i)``, a planted ``z* ~ N(0, I)`` clipped into ``[-box, box]``, and the
    problem of recovering it from ``x = G(z*)`` (observing each output with probability
    ``mask_fraction``, at least one). Returns the problem and ``z*``."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 1.0 / np.sqrt(n_out), size=(n_out, n_in))
               for n_in, n_out in itertools.pairwise(sizes)]
    net = ReluNetwork(weights, None, activation)
    z_star = np.clip(rng.normal(size=sizes[0]), -box, box)
    mask = None
    if mask_fraction < 1.0:
        mask = rng.random(sizes[-1]) < mask_fraction
        mask[rng.integers(sizes[-1])] = True
    problem = InversionProblem(net, net.forward(z_star), LatentDomain.box(sizes[0], -box, box),
                               mask=mask)
    return problem, z_star


#: Seeds of planted problems; shrinks towards seed 0.
seeds = st.integers(0, 2**16)


@st.composite
def integer_problems(draw: st.DrawFn, *, max_width: int = 3, max_depth: int = 3,
                     radius: int = 2) -> InversionProblem:
    """Small integer ReLU networks over the integer box ``[-radius, radius]^k`` with a
    random integer target (realizable or not) and, sometimes, an output mask. Shrinks
    towards one layer, narrow layers, zero weights and an unmasked target."""
    depth = draw(st.integers(1, max_depth))
    sizes = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    entry = st.integers(-3, 3)
    weights = [[[draw(entry) for _ in range(n_in)] for _ in range(n_out)]
               for n_in, n_out in itertools.pairwise(sizes)]
    biases = [[draw(entry) for _ in range(n_out)] for n_out in sizes[1:]]
    net = ReluNetwork(weights, biases, "relu")
    if draw(st.booleans()):  # realizable: the image of a point of the box
        point = [draw(st.integers(-radius, radius)) for _ in range(sizes[0])]
        target = np.asarray(net.forward_exact(point), dtype=np.float64)
    else:
        target = np.asarray([draw(st.integers(0, 4)) for _ in range(sizes[-1])],
                            dtype=np.float64)
    mask = None
    if draw(st.booleans()):
        mask = np.asarray([draw(st.booleans()) for _ in range(sizes[-1])], dtype=bool)
    domain = LatentDomain.box(sizes[0], -radius, radius, integer=True)
    return InversionProblem(net, target, domain, mask=mask)


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
