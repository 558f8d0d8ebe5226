"""Hypothesis strategies shared by the property tests.

Each strategy shrinks towards small formulas: fewer variables, fewer and shorter clauses,
positive literals and weight 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from reluinv.data.formula import Formula
from reluinv.data.network import ActivationSpec, ReluNetwork
from reluinv.data.problem import InversionProblem, LatentDomain


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
                     radius: int = 2, binary: bool = False,
                     linear_head: bool = False) -> InversionProblem:
    """Small integer ReLU networks over the integer box ``[-radius, radius]^k`` (over
    ``{0,1}^k`` when ``binary``) with a random integer target (realizable or not) and,
    sometimes, an output mask. With ``linear_head`` the last layer has no activation and
    an unrealizable target may be negative. Shrinks towards one layer, narrow layers, zero
    weights and an unmasked target."""
    depth = draw(st.integers(1, max_depth))
    sizes = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    entry = st.integers(-3, 3)
    weights = [[[draw(entry) for _ in range(n_in)] for _ in range(n_out)]
               for n_in, n_out in itertools.pairwise(sizes)]
    biases = [[draw(entry) for _ in range(n_out)] for n_out in sizes[1:]]
    net = ReluNetwork(weights, biases, "relu",
                      output_activation="linear" if linear_head else "hidden")
    if draw(st.booleans()):  # realizable: the image of a point of the box
        low, high = (0, 1) if binary else (-radius, radius)
        point = [draw(st.integers(low, high)) for _ in range(sizes[0])]
        target = np.asarray(net.forward_exact(point), dtype=np.float64)
    else:
        low_target = -4 if linear_head else 0
        target = np.asarray([draw(st.integers(low_target, 4)) for _ in range(sizes[-1])],
                            dtype=np.float64)
    mask = None
    if draw(st.booleans()):
        mask = np.asarray([draw(st.booleans()) for _ in range(sizes[-1])], dtype=bool)
    domain = (LatentDomain.binary(sizes[0]) if binary
              else LatentDomain.box(sizes[0], -radius, radius, integer=True))
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
def binary_points(k: int) -> st.SearchStrategy[list[int]]:
    """Vertices of ``{0,1}^k``; shrinks towards the all-zero vertex."""
    return st.lists(st.integers(0, 1), min_size=k, max_size=k)


#: Offsets that put a coordinate a hair away from a vertex: one float ulp at 1, a tiny
#: exact rational, and a float whose exact value is not the decimal it prints as.
TINY_OFFSETS = (Fraction(1, 2**52), Fraction(1, 10**30), Fraction(1e-9))


def adversarial_coordinates() -> st.SearchStrategy[Fraction | float | int]:
    """One latent coordinate chosen to stress the binary-forcing gadget and rounding:
    exact vertices, vertex +- tiny, exactly 1/2 and 1/2 +- tiny, points outside ``[0, 1]``
    (inside and beyond the default box ``[-1, 2]``), and generic rationals and floats.
    Shrinks towards the vertex 0."""
    vertex = st.sampled_from([0, 1])
    sign = st.sampled_from([-1, 1])
    near_vertex = st.builds(lambda v, s, t: v + s * t, vertex, sign, st.sampled_from(TINY_OFFSETS))
    near_half = st.builds(lambda s, t: Fraction(1, 2) + s * t, sign,
                          st.sampled_from((Fraction(0), *TINY_OFFSETS)))
    outside = st.one_of(
        st.fractions(min_value=-3, max_value=-Fraction(1, 10**6), max_denominator=10**6),
        st.fractions(min_value=1 + Fraction(1, 10**6), max_value=4, max_denominator=10**6),
    )
    generic = st.one_of(
        st.fractions(min_value=-1, max_value=2, max_denominator=1000),
        st.floats(min_value=-1.5, max_value=2.5, allow_nan=False, allow_infinity=False),
    )
    return st.one_of(vertex, near_vertex, near_half, outside, generic)


def real_points(k: int) -> st.SearchStrategy[list[Fraction | float | int]]:
    """Real latent codes of length ``k`` built from :func:`adversarial_coordinates`."""
    return st.lists(adversarial_coordinates(), min_size=k, max_size=k)


@st.composite
def planted_formulas(
    draw: st.DrawFn, *, max_vars: int = 6, max_clauses: int = 10, weighted: bool | None = None
) -> tuple[Formula, tuple[int, ...]]:
    """A formula with a satisfying assignment planted in it, and that assignment.

    Drawn like :func:`formulas` with non-empty clauses; every clause that the planted
    assignment falsifies gets one literal flipped so that it becomes true. Shrinks like
    :func:`formulas`, and the assignment towards all zeros.
    """
    formula = draw(formulas(max_vars=max(max_vars, 1), max_clauses=max_clauses, min_width=1,
                            weighted=weighted, partial=weighted))
    if formula.num_vars == 0:  # no literal to draw: only empty clauses, which nothing satisfies
        return Formula(0, ()), ()
    planted = tuple(draw(binary_points(formula.num_vars)))

    def true_under(lit: int) -> bool:
        return planted[abs(lit) - 1] == (1 if lit > 0 else 0)

    clauses = []
    for clause in formula.clauses:
        if clause and not any(true_under(lit) for lit in clause):
            i = draw(st.integers(0, len(clause) - 1))
            clause = (*clause[:i], -clause[i], *clause[i + 1:])
        clauses.append(clause)
    return Formula(formula.num_vars, tuple(clauses), formula.weights, formula.hard), planted


# -- layer-wise inversion cases ------------------------------------------------------------

#: How a target is made: ``planted`` ``x = G(z*)``; ``perturbed`` ``G(z*)`` with one
#: observed active output moved by a sizeable amount (non-realizable when the output layer
#: has more active rows than unknowns: its equalities become inconsistent); ``negative``
#: ``G(z*)`` with one observed output set below zero (never a ReLU output); ``random`` a
#: random point of the activation's range (realizable or not, by chance).
TARGET_KINDS = ("planted", "perturbed", "negative", "random")


@dataclass(frozen=True, eq=False)
class LayerwiseCase:
    """A network, a target, an optional mask, and how they were made (for ``event``s)."""

    family: str
    network: ReluNetwork
    x: npt.NDArray[np.float64]
    mask: npt.NDArray[np.bool_] | None
    target_kind: str
    z_star: npt.NDArray[np.float64]

    @property
    def label(self) -> str:
        """``family/target kind/activation``: the key the outcome shares are counted by."""
        activation = "relu" if self.network.activation == "relu" else "leaky"
        return f"{self.family}/{self.target_kind}/{activation}"


def make_case(family: str, sizes: Sequence[int], activation: ActivationSpec, seed: int,
              target_kind: str, *, bias: bool = False,
              mask_fraction: float = 1.0) -> LayerwiseCase:
    """The case of a random network ``sizes`` (weights ``N(0, 1/n_i)``; biases
    ``N(0, 0.1^2)`` when ``bias``), ``z* ~ N(0, I)``, a target of ``target_kind`` (see
    :data:`TARGET_KINDS`) and, below ``mask_fraction = 1``, a mask observing each output
    with that probability (at least one). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 1.0 / np.sqrt(n_out), size=(n_out, n_in))
               for n_in, n_out in itertools.pairwise(sizes)]
    biases = ([rng.normal(0.0, 0.1, size=n_out) for n_out in sizes[1:]] if bias else None)
    net = ReluNetwork(weights, biases, activation)
    z_star = rng.normal(size=sizes[0])
    x = net.forward(z_star)
    n = sizes[-1]
    mask = None
    if mask_fraction < 1.0:
        mask = rng.random(n) < mask_fraction
        mask[rng.integers(n)] = True
    observed = np.flatnonzero(mask) if mask is not None else np.arange(n)
    scale = max(1.0, float(np.max(np.abs(x))))
    if target_kind == "perturbed":
        active = observed[x[observed] > 0.0] if net.activation == "relu" else observed
        j = int(rng.choice(active)) if len(active) else int(rng.choice(observed))
        x = x.copy()
        x[j] += rng.uniform(0.2, 1.0) * scale  # up: a ReLU output stays positive
    elif target_kind == "negative":
        x = x.copy()
        x[int(rng.choice(observed))] = -rng.uniform(0.1, 1.0) * scale
    elif target_kind == "random":
        x = net.activate(rng.normal(size=n))
    elif target_kind != "planted":
        raise ValueError(f"target_kind must be one of {TARGET_KINDS}, got {target_kind!r}")
    return LayerwiseCase(family, net, np.asarray(x, dtype=np.float64), mask, target_kind,
                         z_star)


@st.composite
def expanding_cases(draw: st.DrawFn, *, min_k: int = 3, max_k: int = 5, max_depth: int = 2,
                    target_kinds: Sequence[str] = ("planted", "perturbed", "negative"),
                    masks: bool = True) -> LayerwiseCase:
    """Networks that are expanding by construction: ``n_i = ceil(r_i n_{i-1})`` with
    ``r_i`` in ``[3, 4]`` for ReLU (about half the rows are active, so a layer keeps about
    ``1.5 n_{i-1}`` equalities) and ``[1.5, 3]`` for LeakyReLU (every row is an equality),
    with a target of each kind in ``target_kinds`` (``negative`` only for ReLU) and,
    sometimes, a mask observing 80% of the outputs. The family where the layer-wise
    inverter should be conclusive: RECOVERED on planted targets, NO_PREIMAGE on perturbed
    and negative ones. Shrinks towards k = ``min_k``, one layer, ReLU, no mask, seed 0."""
    k = draw(st.integers(min_k, max_k))
    depth = draw(st.integers(1, max_depth))
    activation: ActivationSpec = draw(st.sampled_from(["relu", ("leaky_relu", 0.2)]))
    low, high = (3.0, 4.0) if activation == "relu" else (1.5, 3.0)
    sizes = [k]
    for _ in range(depth):
        ratio = draw(st.floats(low, high))
        sizes.append(math.ceil(ratio * sizes[-1]))
    kinds = [kind for kind in target_kinds if activation == "relu" or kind != "negative"]
    kind = draw(st.sampled_from(kinds))
    masked = masks and draw(st.booleans())
    return make_case("expanding", sizes, activation, draw(seeds), kind,
                     bias=draw(st.booleans()), mask_fraction=0.8 if masked else 1.0)


@st.composite
def tiny_cases(draw: st.DrawFn, *, max_hidden: int = 6, max_out: int = 12) -> LayerwiseCase:
    """Networks of any shape (contracting, near the expansion threshold, expanding) small
    enough for :func:`tests.oracles.pattern_enumeration`: ``k <= 3``, one or two hidden
    layers with at most ``max_hidden`` units together, ``n <= max_out`` outputs, biases,
    any target kind. Where the layer-wise inverter need not be conclusive. Shrinks towards
    one narrow hidden layer, ReLU, a planted target."""
    k = draw(st.integers(1, 3))
    first = draw(st.integers(1, max_hidden))
    hidden = [first]
    if first < max_hidden and draw(st.booleans()):
        hidden.append(draw(st.integers(1, max_hidden - first)))
    out = draw(st.integers(1, max_out))
    activation: ActivationSpec = draw(st.sampled_from(["relu", ("leaky_relu", 0.2)]))
    kind = draw(st.sampled_from(TARGET_KINDS))
    mask_fraction = draw(st.sampled_from([1.0, 1.0, 0.7]))
    return make_case("tiny", [k, *hidden, out], activation, draw(seeds), kind, bias=True,
                     mask_fraction=mask_fraction)


def make_pinned_formula(k: int, seed: int, *, satisfiable: bool,
                        extra: int = 8) -> tuple[Formula, tuple[int, ...]]:
    """A formula whose every variable has a unit clause (so the clause layer's LP
    relaxation ``sum of literal units >= 1`` reads ``p_v >= 1`` or ``q_v >= 1`` for each
    ``v``), plus ``extra`` clauses of width 2-3 true under the units' assignment and, when
    not ``satisfiable``, one clause of width 1-3 false under it: then nothing satisfies the
    formula (the units force the assignment). Returns the formula and the forced
    assignment; deterministic in ``seed``. Where the layer-wise inverter is conclusive on
    the binary-latent reduction network with k >= 3 (measured in the corpus test)."""
    rng = np.random.default_rng(seed)
    forced = tuple(int(b) for b in rng.integers(0, 2, size=k))

    def literal(v: int, true: bool) -> int:
        return v if (forced[v - 1] == 1) == true else -v

    clauses: list[tuple[int, ...]] = [(literal(v, True),) for v in range(1, k + 1)]
    for _ in range(extra):
        variables = rng.integers(1, k + 1, size=int(rng.integers(2, 4))).tolist()
        truth = rng.random(len(variables)) < 0.5
        truth[rng.integers(len(variables))] = True
        clauses.append(tuple(literal(v, bool(t)) for v, t in zip(variables, truth, strict=True)))
    if not satisfiable:
        variables = rng.integers(1, k + 1, size=int(rng.integers(1, 4))).tolist()
        clauses.append(tuple(literal(v, False) for v in variables))
    order = rng.permutation(len(clauses))
    return Formula(k, tuple(clauses[i] for i in order)), forced


@st.composite
def pinned_formulas(draw: st.DrawFn, *, min_vars: int = 3, max_vars: int = 8,
                    max_extra: int = 12) -> tuple[Formula, tuple[int, ...]]:
    """:func:`make_pinned_formula` with drawn ``k``, seed, satisfiability and number of
    extra clauses. Shrinks towards k = ``min_vars``, no extra clause, seed 0."""
    return make_pinned_formula(draw(st.integers(min_vars, max_vars)), draw(seeds),
                               satisfiable=draw(st.booleans()),
                               extra=draw(st.integers(0, max_extra)))
