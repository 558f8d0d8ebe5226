"""Hypothesis strategies for property-testing inverters, solvers and encoders.

Strategies for every kind of input reluinv takes, sized so that the oracles of
:mod:`reluinv.testing` (brute force, exact forward pass, activation-pattern enumeration)
can judge each example:

* **formulas**: :func:`formulas` (CNF, weighted, partial with hard clauses; empty
  clauses, duplicate literals and tautologies by chance), :func:`edge_case_formulas` (each
  example carries at least one edge case on purpose), :func:`planted_formulas` (with a
  planted model), :func:`pinned_formulas` (every variable forced by a unit clause);
* **networks**: :func:`networks` (integer or real weights, ReLU or leaky ReLU, each layer
  ``n_i = ceil(r_i n_{i-1})`` with the expansion ratio ``r_i`` drawn from a stated range),
  :func:`network_specs`, :func:`integer_problems` (integer nets over integer boxes);
* **targets**: :func:`layerwise_cases` (a network, a planted or non-realizable target, an
  optional mask), :func:`expanding_cases`, :func:`tiny_cases`, :func:`masks`;
* **reduction problems with their ground truth attached**: :func:`reduction_problems`
  (formula, encoded problem, satisfiability, MaxSAT cost and every model, by brute force);
* **latent points**: :func:`binary_points`, :func:`real_points`,
  :func:`adversarial_coordinates`.

Each docstring says how its strategy shrinks: when a property fails, hypothesis reports
the smallest failing example it finds along those directions. Real-weighted networks are
drawn from a seed (``W_i`` i.i.d. ``N(0, 1/n_i)``, ``z* ~ N(0, I)``), so they shrink in
shape and seed, not entry by entry; integer networks shrink entry by entry towards 0.

This is the only module of reluinv that imports hypothesis; ``import reluinv`` does not
import it, and nothing in the package imports this module.

Examples
--------
A property of the reduction (lemma L2: every model lifts to an exact pre-image), the
models found by brute force:

>>> from hypothesis import given, settings
>>> from reluinv import lift
>>> from reluinv.strategies import reduction_problems
>>> @settings(max_examples=20, deadline=None, database=None)
... @given(reduction_problems(latent="binary"))
... def test_models_lift_to_exact_preimages(case):
...     for model in case.models:
...         assert case.problem.loss(lift(case.problem, model), norm="l1") == 0
>>> test_models_lift_to_exact_preimages()
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from reluinv.data.formula import Formula
from reluinv.data.network import ActivationSpec, ReluNetwork
from reluinv.data.problem import InversionProblem, LatentDomain
from reluinv.errors import InvalidArgumentError
from reluinv.reduction.construction import encode
from reluinv.testing import all_models, brute_force_maxsat_cost

__all__ = [
    "EDGE_CASES",
    "TARGET_KINDS",
    "LayerwiseCase",
    "ReductionCase",
    "adversarial_coordinates",
    "binary_points",
    "edge_case_formulas",
    "expanding_cases",
    "formulas",
    "integer_problems",
    "layerwise_cases",
    "make_case",
    "make_pinned_formula",
    "masks",
    "network_specs",
    "networks",
    "pinned_formulas",
    "planted_formulas",
    "planted_problem",
    "real_points",
    "reduction_problems",
    "seeds",
    "tiny_cases",
]

#: Seeds of networks drawn from a seed; shrinks towards seed 0.
seeds = st.integers(0, 2**16)

#: The activations drawn when a strategy is asked for ``"any"``.
_ACTIVATIONS: tuple[ActivationSpec, ...] = ("relu", ("leaky_relu", 0.2))


def _activations(activation: ActivationSpec | Literal["any"]) -> st.SearchStrategy[
        ActivationSpec]:
    if activation == "any":
        return st.sampled_from(_ACTIVATIONS)
    return st.just(activation)


# -- formulas --------------------------------------------------------------------------


def _build_formula(num_vars: int, clauses: Sequence[tuple[int, ...]], soft: Sequence[int],
                   hard: Sequence[bool], weighted: bool) -> Formula:
    """The formula, hard clauses weighing ``1 + total soft weight``."""
    if not weighted:
        return Formula(num_vars, tuple(clauses))
    soft_total = sum(w for w, h in zip(soft, hard, strict=True) if not h)
    weights = tuple(1 + soft_total if h else w for w, h in zip(soft, hard, strict=True))
    return Formula(num_vars, tuple(clauses), weights, tuple(hard))


def _literals(num_vars: int) -> st.SearchStrategy[int]:
    return st.integers(1, num_vars).flatmap(lambda v: st.sampled_from([v, -v]))


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
    """Random CNF formulas, weighted (soft weights 1-5) and partial (hard clauses) on
    request; ``None`` lets hypothesis choose each flag.

    Clauses have ``min_width`` to ``max_width`` literals drawn independently, so empty
    clauses (``min_width = 0``), duplicate literals, tautologies (``v`` and ``-v``) and
    variables that occur nowhere all turn up; ``num_vars = 0`` gives formulas with only
    empty clauses or none.

    Shrinks towards fewer variables, fewer and shorter clauses, positive literals of low
    variables, weight 1, unweighted and no hard clause.
    """
    n = draw(st.integers(0, max_vars))
    width = st.integers(min_width if n else 0, max_width if n else 0)
    literal = _literals(n) if n else st.nothing()
    clause = width.flatmap(lambda w: st.lists(literal, min_size=w, max_size=w).map(tuple))
    clauses = draw(st.lists(clause, max_size=max_clauses))
    is_weighted = draw(st.booleans()) if weighted is None else weighted
    if not is_weighted:
        return Formula(n, tuple(clauses))
    soft = [draw(st.integers(1, 5)) for _ in clauses]
    is_partial = draw(st.booleans()) if partial is None else partial
    hard = [draw(st.booleans()) for _ in clauses] if is_partial else [False] * len(clauses)
    return _build_formula(n, clauses, soft, hard, True)


#: The edge cases :func:`edge_case_formulas` puts in on purpose.
EDGE_CASES = ("empty clause", "duplicate literal", "tautology", "unit clause",
              "duplicate clause", "unused variable", "empty formula")


@st.composite
def edge_case_formulas(draw: st.DrawFn, *, max_vars: int = 5, max_clauses: int = 6,
                       weighted: bool | None = None) -> Formula:
    """Formulas that hold at least one of :data:`EDGE_CASES`, inserted at a drawn place
    among ordinary clauses of width 1-3: an empty clause (never satisfied), a clause with a
    duplicate literal ``(v, v, ...)`` (counted twice by the reduction's clause unit), a
    tautology ``(v, -v, ...)``, a unit clause, a clause repeated, a variable that occurs in
    no clause (``num_vars`` above every literal), or the formula with no clause at all.
    Weighted and partial like :func:`formulas` when ``weighted`` asks for it.

    Shrinks towards the first edge case of the list (the empty clause), one variable, no
    other clause, unweighted.
    """
    kinds = draw(st.lists(st.sampled_from(EDGE_CASES), min_size=1, max_size=3, unique=True))
    n = draw(st.integers(1, max_vars))
    base = draw(st.lists(st.lists(_literals(n), min_size=1, max_size=3).map(tuple),
                         max_size=max_clauses))
    clauses: list[tuple[int, ...]] = list(base)

    def insert(clause: tuple[int, ...]) -> None:
        clauses.insert(draw(st.integers(0, len(clauses))), clause)

    for kind in kinds:
        v = draw(st.integers(1, n))
        rest = draw(st.lists(_literals(n), max_size=1))
        if kind == "empty clause":
            insert(())
        elif kind == "duplicate literal":
            sign = draw(st.sampled_from([1, -1]))
            insert((sign * v, sign * v, *rest))
        elif kind == "tautology":
            insert((v, -v, *rest))
        elif kind == "unit clause":
            insert((draw(st.sampled_from([v, -v])),))
        elif kind == "duplicate clause":
            source = clauses[draw(st.integers(0, len(clauses) - 1))] if clauses else (v,)
            insert(source)
            insert(source)
        elif kind == "unused variable":
            n += 1  # variable n + 1 occurs in no clause
    if "empty formula" in kinds:
        clauses = []
    is_weighted = draw(st.booleans()) if weighted is None else weighted
    soft = [draw(st.integers(1, 5)) for _ in clauses] if is_weighted else []
    hard = ([draw(st.booleans()) for _ in clauses] if is_weighted and draw(st.booleans())
            else [False] * len(clauses))
    return _build_formula(n, clauses, soft, hard, is_weighted)


def binary_points(k: int) -> st.SearchStrategy[list[int]]:
    """Vertices of ``{0,1}^k``. Shrinks towards the all-zero vertex."""
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
    """Real latent codes of length ``k`` built from :func:`adversarial_coordinates`.
    Shrinks towards the all-zero vertex."""
    return st.lists(adversarial_coordinates(), min_size=k, max_size=k)


@st.composite
def planted_formulas(
    draw: st.DrawFn, *, max_vars: int = 6, max_clauses: int = 10, weighted: bool | None = None
) -> tuple[Formula, tuple[int, ...]]:
    """A formula with a satisfying assignment planted in it, and that assignment.

    Drawn like :func:`formulas` with non-empty clauses; every clause that the planted
    assignment falsifies gets one literal flipped so that it becomes true. Shrinks towards
    small formulas, like :func:`formulas`, and the assignment towards all zeros.
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


def make_pinned_formula(k: int, seed: int, *, satisfiable: bool,
                        extra: int = 8) -> tuple[Formula, tuple[int, ...]]:
    """A formula whose every variable has a unit clause (so the clause layer's LP
    relaxation ``sum of literal units >= 1`` reads ``p_v >= 1`` or ``q_v >= 1`` for each
    ``v``), plus ``extra`` clauses of width 2-3 true under the units' assignment and, when
    not ``satisfiable``, one clause of width 1-3 false under it: then nothing satisfies the
    formula (the units force the assignment). Returns the formula and the forced
    assignment; deterministic in ``seed``. Where the layer-wise inverter is conclusive on
    the binary-latent reduction network with k >= 3."""
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
    extra clauses. Shrinks towards k = ``min_vars``, unsatisfiable, no extra clause,
    seed 0."""
    return make_pinned_formula(draw(st.integers(min_vars, max_vars)), draw(seeds),
                               satisfiable=draw(st.booleans()),
                               extra=draw(st.integers(0, max_extra)))


@dataclass(frozen=True, eq=False)
class ReductionCase:
    """A formula, its reduction, and the ground truth, computed by brute force
    (:mod:`reluinv.testing`) from the formula alone.

    Attributes
    ----------
    formula, latent, problem:
        The formula, ``"binary"`` or ``"real"``, and ``encode(formula, latent)``.
    satisfiable:
        Whether some assignment satisfies every clause: by L2 (binary latent) and L3 (real
        latent), exactly when ``problem.target`` has a pre-image.
    maxsat_cost:
        The least falsified weight: by L1 (and L4 for the real latent), the least
        ``||G(z) - x||_1`` over binary (real) ``z``.
    models:
        Every satisfying assignment, lexicographically: by L2, ``lift`` maps them to the
        binary pre-images (``decode`` maps those back).
    """

    formula: Formula
    latent: Literal["binary", "real"]
    problem: InversionProblem
    satisfiable: bool
    maxsat_cost: int
    models: tuple[tuple[int, ...], ...]


@st.composite
def reduction_problems(draw: st.DrawFn, *, latent: Literal["binary", "real"] | None = None,
                       max_vars: int = 5, max_clauses: int = 8, weighted: bool | None = False,
                       edge_cases: bool = True) -> ReductionCase:
    """Reduction problems ``encode(F, latent)`` with their ground truth attached
    (:class:`ReductionCase`), ``F`` from :func:`formulas` (widths 1-3) or, when
    ``edge_cases``, sometimes from :func:`edge_case_formulas`; ``latent=None`` draws the
    latent kind. Brute force over ``{0,1}^k``: keep ``max_vars`` small.

    Shrinks towards the binary latent and, like the formula strategies, small formulas.
    """
    kind: Literal["binary", "real"] = (
        draw(st.sampled_from(["binary", "real"])) if latent is None else latent)
    plain = formulas(max_vars=max_vars, max_clauses=max_clauses, min_width=1,
                     weighted=weighted)
    if edge_cases:
        plain = st.one_of(plain, edge_case_formulas(max_vars=max(1, max_vars - 1),
                                                    max_clauses=max_clauses,
                                                    weighted=weighted))
    formula = draw(plain)
    models = tuple(all_models(formula))
    return ReductionCase(formula, kind, encode(formula, kind), bool(models),
                         brute_force_maxsat_cost(formula), models)


# -- networks --------------------------------------------------------------------------


def _check_expansion(expansion: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(v) for v in expansion)
    if not 0.0 < low <= high:
        raise InvalidArgumentError(f"expansion must be (low, high) with 0 < low <= high, "
                                   f"got {expansion!r}")
    return low, high


@st.composite
def _sizes(draw: st.DrawFn, min_k: int, max_k: int, min_depth: int, max_depth: int,
           expansion: tuple[float, float]) -> tuple[int, ...]:
    low, high = _check_expansion(expansion)
    sizes = [draw(st.integers(min_k, max_k))]
    for _ in range(draw(st.integers(min_depth, max_depth))):
        sizes.append(max(1, math.ceil(draw(st.floats(low, high)) * sizes[-1])))
    return tuple(sizes)


@st.composite
def networks(draw: st.DrawFn, *, min_k: int = 1, max_k: int = 4, min_depth: int = 1,
             max_depth: int = 3, expansion: tuple[float, float] = (2.0, 4.0),
             activation: ActivationSpec | Literal["any"] = "any", integer: bool = False,
             bias: bool | None = None, max_weight: int = 3) -> ReluNetwork:
    """Networks with a stated expansion: latent size ``k`` in ``[min_k, max_k]``, depth
    ``d`` in ``[min_depth, max_depth]``, layer widths ``n_i = ceil(r_i n_{i-1})`` with each
    ratio ``r_i`` drawn from ``expansion = (low, high)`` (``low < 1`` allows contracting
    layers; ReLU needs ``r`` a little above 2 to keep ``n_{i-1}`` active rows, leaky ReLU
    ``r >= 1``).

    ``integer``: weights and biases are integers in ``[-max_weight, max_weight]``, drawn
    entry by entry (with ReLU, the networks CP-SAT models exactly: ``is_integral``). Otherwise
    ``W_i`` i.i.d. ``N(0, 1/n_i)`` and biases ``N(0, 0.1^2)`` from a drawn seed.
    ``activation`` is ``"relu"``, ``("leaky_relu", alpha)`` or ``"any"`` (ReLU or leaky
    ReLU 0.2); ``bias=None`` draws whether there are biases.

    Shrinks towards ``k = min_k``, ``min_depth`` layers at the lowest ratio, ReLU, no
    bias, and (integer) zero weights or (real) seed 0.
    """
    sizes = draw(_sizes(min_k, max_k, min_depth, max_depth, expansion))
    spec = draw(_activations(activation))
    with_bias = (not draw(st.booleans())) if bias is None else bias
    pairs = list(itertools.pairwise(sizes))
    if integer:
        entry = st.integers(-max_weight, max_weight)
        weights = [np.asarray(draw(st.lists(st.lists(entry, min_size=a, max_size=a),
                                            min_size=b, max_size=b)), dtype=np.int64)
                   for a, b in pairs]
        biases = ([np.asarray(draw(st.lists(entry, min_size=b, max_size=b)), dtype=np.int64)
                   for _, b in pairs] if with_bias else None)
        return ReluNetwork(weights, biases, spec)
    rng = np.random.default_rng(draw(seeds))
    real = [rng.normal(0.0, 1.0 / np.sqrt(b), size=(b, a)) for a, b in pairs]
    real_biases = [rng.normal(0.0, 0.1, size=b) for _, b in pairs] if with_bias else None
    return ReluNetwork(real, real_biases, spec)


@st.composite
def network_specs(
    draw: st.DrawFn, *, max_depth: int = 3, max_width: int = 8
) -> tuple[tuple[int, ...], ActivationSpec, int]:
    """``(sizes, activation, seed)`` of a small random network of any shape (contracting,
    expanding or mixed). Shrinks towards one layer of width 1, ReLU, seed 0."""
    depth = draw(st.integers(1, max_depth))
    sizes = tuple(draw(st.integers(1, max_width)) for _ in range(depth + 1))
    activations: list[ActivationSpec] = ["relu", ("leaky_relu", 0.1), ("leaky_relu", 0.5)]
    activation = draw(st.sampled_from(activations))
    seed = draw(st.integers(0, 2**16))
    return sizes, activation, seed


def masks(n: int, *, min_observed: int = 1) -> st.SearchStrategy[npt.NDArray[np.bool_]]:
    """Boolean masks of ``n`` outputs observing at least ``min_observed`` of them: a hidden
    flag is drawn per output, and the first hidden outputs are observed again until
    ``min_observed`` are. Shrinks towards observing every output."""
    if not 0 <= min_observed <= n:
        raise InvalidArgumentError(f"min_observed must be in [0, n] = [0, {n}], "
                                   f"got {min_observed}")

    def observe(hidden: list[bool]) -> npt.NDArray[np.bool_]:
        mask = ~np.asarray(hidden, dtype=bool)
        missing = min_observed - int(mask.sum())
        if missing > 0:
            mask[np.flatnonzero(~mask)[:missing]] = True
        return mask

    return st.lists(st.booleans(), min_size=n, max_size=n).map(observe)


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
    ``mask_fraction``, at least one). Returns the problem and ``z*``; deterministic in
    ``seed`` (combine with :data:`seeds`)."""
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


@st.composite
def integer_problems(draw: st.DrawFn, *, max_width: int = 3, max_depth: int = 3,
                     radius: int = 2, binary: bool = False,
                     linear_head: bool = False) -> InversionProblem:
    """Small integer ReLU networks over the integer box ``[-radius, radius]^k`` (over
    ``{0,1}^k`` when ``binary``) with a random integer target (the image of a point of the
    box, or a random integer vector that may or may not be realizable: non-negative, or
    of any sign with ``linear_head``, where the last layer has no activation) and,
    sometimes, an output mask. Shrinks towards one layer, narrow layers, zero weights, a
    random target (entries towards 0) and no mask."""
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


# -- layer-wise inversion cases ----------------------------------------------------------

#: How a target is made: ``planted`` ``x = G(z*)`` (realizable); ``perturbed`` ``G(z*)``
#: with one observed active output moved up by a sizeable amount (non-realizable when the
#: output layer has more active rows than unknowns, as on expanding nets: its equalities
#: become inconsistent; judge by an oracle otherwise); ``negative`` ``G(z*)`` with one
#: observed output set below zero (never a ReLU output: non-realizable for ReLU, realizable
#: or not for leaky ReLU); ``random`` a random point of the activation's range
#: (realizable or not, by chance).
TARGET_KINDS = ("planted", "perturbed", "negative", "random")


@dataclass(frozen=True, eq=False)
class LayerwiseCase:
    """A network, a target, an optional mask, and how they were made.

    Attributes
    ----------
    family:
        A name for the family the case was drawn from (for ``hypothesis.event`` counts).
    network, x, mask:
        The inversion problem: find ``z`` with ``G(z)[mask] = x[mask]``.
    target_kind:
        One of :data:`TARGET_KINDS`.
    z_star:
        The planted latent code (``x = G(z*)`` exactly when ``target_kind`` is
        ``"planted"``).
    """

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
    if target_kind not in TARGET_KINDS:
        raise InvalidArgumentError(f"target_kind must be one of {TARGET_KINDS}, "
                                   f"got {target_kind!r}")
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
    return LayerwiseCase(family, net, np.asarray(x, dtype=np.float64), mask, target_kind,
                         z_star)


@st.composite
def layerwise_cases(draw: st.DrawFn, *, min_k: int = 1, max_k: int = 4, min_depth: int = 1,
                    max_depth: int = 2, expansion: tuple[float, float] = (2.0, 4.0),
                    activation: ActivationSpec | Literal["any"] = "any",
                    target_kinds: Sequence[str] = TARGET_KINDS,
                    mask_fraction: float | None = None) -> LayerwiseCase:
    """A real random network with a stated expansion (as :func:`networks`), a target of
    one of ``target_kinds`` (see :data:`TARGET_KINDS`: planted, or non-realizable by
    construction), and an output mask observing each output with probability
    ``mask_fraction`` (``None``: drawn between no mask and 0.8). The case's ``family`` is
    ``"r<low>-<high>"``.

    Shrinks towards ``k = min_k``, ``min_depth`` layers at the lowest ratio, ReLU, the
    first target kind, no mask, no bias, seed 0.
    """
    sizes = draw(_sizes(min_k, max_k, min_depth, max_depth, expansion))
    spec = draw(_activations(activation))
    kind = draw(st.sampled_from(list(target_kinds)))
    fraction = (draw(st.sampled_from([1.0, 0.8])) if mask_fraction is None
                else mask_fraction)
    low, high = _check_expansion(expansion)
    return make_case(f"r{low:g}-{high:g}", sizes, spec, draw(seeds), kind,
                     bias=draw(st.booleans()), mask_fraction=fraction)


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
    activation = draw(st.sampled_from(_ACTIVATIONS))
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
    enough for :func:`reluinv.testing.pattern_enumeration`: ``k <= 3``, one or two hidden
    layers with at most ``max_hidden`` units together, ``n <= max_out`` outputs, biases,
    any target kind. Where the layer-wise inverter need not be conclusive. Shrinks towards
    one narrow hidden layer, ReLU, a planted target."""
    k = draw(st.integers(1, 3))
    first = draw(st.integers(1, max_hidden))
    hidden = [first]
    if first < max_hidden and draw(st.booleans()):
        hidden.append(draw(st.integers(1, max_hidden - first)))
    out = draw(st.integers(1, max_out))
    activation = draw(st.sampled_from(_ACTIVATIONS))
    kind = draw(st.sampled_from(TARGET_KINDS))
    mask_fraction = draw(st.sampled_from([1.0, 1.0, 0.7]))
    return make_case("tiny", [k, *hidden, out], activation, draw(seeds), kind, bias=True,
                     mask_fraction=mask_fraction)
