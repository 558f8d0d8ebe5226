"""Independent oracles for tiny instances: brute force, exact forward pass, activation
patterns.

Use these to property-test an inverter, a solver or an encoder, reluinv's or your own,
against ground truths that share no code with what they judge. Every function here is
written out from the *definitions*, in plain Python loops over ``{0,1}^k``, over an integer
box, over the rows of every layer or over the activation patterns of the hidden units, with
``int`` / ``Fraction`` arithmetic, and it reads only the plain data of a formula or network
(``clauses``, ``weights``, ``hard``; ``weights``, ``biases``, ``activation``, ``slope``;
``target``, ``mask``, ``domain``). None of them calls reluinv code that evaluates, encodes
or solves (``Formula.falsified``, ``ReluNetwork.forward``, ``InversionProblem.exact_loss``,
``solve_exact``, ``invert_layerwise``, ``solve_sat``, ``solve_maxsat``): a test that
compares reluinv's answer with one of these compares two computations that share no code.
Third-party solvers are called directly where enumeration is too slow (:func:`rc2_cost`,
:func:`cpsat_maxsat_cost`, and SciPy's HiGHS for the one LP per pattern of
:func:`pattern_enumeration`).

Definitions (the conventions of the whole package):

* variable ``v`` is ``assignment[v - 1]``; literal ``v`` is true when it is 1, ``-v`` when
  it is 0; a clause is satisfied when one of its literals is true (the empty clause never);
* clause ``j`` weighs ``weights[j]`` (1 in an unweighted formula); a hard clause weighs
  ``1 + the total weight of the soft clauses``;
* ``G(z) = s(W_d s(... s(W_1 z + b_1) ...) + b_d)``, rows are outputs, ``s`` is ReLU
  (``max(t, 0)``) or LeakyReLU (``t`` for ``t >= 0``, ``alpha t`` below).

Everything is exponential in the number of variables, in the box volume or in the number
of hidden units: meant for tiny instances (``k <= 12``; at most ``max_hidden = 10`` hidden
units for the pattern enumeration). :mod:`reluinv.strategies` draws instances of that size.

This module is not imported by ``import reluinv``; nothing in the package imports it.

Examples
--------
>>> from reluinv import Formula, ReluNetwork
>>> from reluinv.testing import brute_force_maxsat_cost, realizability, reference_forward
>>> brute_force_maxsat_cost(Formula(2, ((1,), (-1,), (1, 2))))
1
>>> net = ReluNetwork([[[1.0], [-1.0]]], None, "relu")   # x = (relu(z), relu(-z))
>>> [str(v) for v in reference_forward(net, [3])]
['3', '0']
>>> realizability(net, [2.0, 0.0]).verdict, realizability(net, [1.0, 1.0]).verdict
('realizable', 'unrealizable')
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice, check_count
from reluinv.data.formula import Formula
from reluinv.data.network import ReluNetwork
from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidArgumentError

__all__ = [
    "FEASIBLE_GAP",
    "INFEASIBLE_GAP",
    "OracleError",
    "PatternVerdict",
    "Realizability",
    "all_assignments",
    "all_models",
    "brute_force_maxsat_cost",
    "brute_force_min_loss",
    "brute_force_preimages",
    "brute_force_satisfiable",
    "clause_weights",
    "cpsat_maxsat_cost",
    "falsified_weight",
    "farkas_radius",
    "integer_box",
    "pattern_enumeration",
    "rc2_cost",
    "realizability",
    "reference_forward",
    "reference_gap",
]

Number: TypeAlias = int | Fraction
FloatArray: TypeAlias = npt.NDArray[np.float64]


class OracleError(AssertionError):
    """A third-party solver called by an oracle gave an answer that does not re-check (a
    model whose recounted cost differs from the reported optimum, or no proven optimum).

    An ``AssertionError``, so that a property test that meets it fails like any other
    broken claim."""


# -- formulas ------------------------------------------------------------------------------


def all_assignments(num_vars: int) -> Iterator[tuple[int, ...]]:
    """Every 0/1 assignment of ``num_vars`` variables, in lexicographic order."""
    return itertools.product((0, 1), repeat=num_vars)


def clause_weights(formula: Formula) -> list[int]:
    """The weight of every clause, hard clauses at ``1 + soft total`` (recomputed here from
    ``formula.weights`` and ``formula.hard``)."""
    raw = list(formula.weights) if formula.weights is not None else [1] * len(formula.clauses)
    hard = list(formula.hard) if formula.hard else [False] * len(formula.clauses)
    soft_total = sum(w for w, h in zip(raw, hard, strict=True) if not h)
    return [1 + soft_total if h else w for w, h in zip(raw, hard, strict=True)]


def _satisfied(clause: Sequence[int], assignment: Sequence[int]) -> bool:
    for literal in clause:
        value = assignment[abs(literal) - 1]
        if (literal > 0 and value == 1) or (literal < 0 and value == 0):
            return True
    return False


def falsified_weight(formula: Formula, assignment: Sequence[int]) -> int:
    """Total weight of the clauses that ``assignment`` falsifies, clause by clause."""
    total = 0
    for clause, weight in zip(formula.clauses, clause_weights(formula), strict=True):
        if not _satisfied(clause, assignment):
            total += weight
    return total


def brute_force_maxsat_cost(formula: Formula) -> int:
    """``min`` over ``{0,1}^k`` of the falsified weight: the MaxSAT cost (hard clauses
    weighing ``1 + soft total``, so it exceeds the soft total exactly when the hard part is
    unsatisfiable)."""
    return min(falsified_weight(formula, a) for a in all_assignments(formula.num_vars))


def all_models(formula: Formula) -> list[tuple[int, ...]]:
    """Every satisfying assignment, in lexicographic order."""
    return [a for a in all_assignments(formula.num_vars)
            if all(_satisfied(clause, a) for clause in formula.clauses)]


def brute_force_satisfiable(formula: Formula) -> bool:
    """Whether some assignment satisfies every clause."""
    return any(all(_satisfied(clause, a) for clause in formula.clauses)
               for a in all_assignments(formula.num_vars))


# -- networks ------------------------------------------------------------------------------


def _exact(value: Any) -> Number:
    """A Python int, Fraction or float (numpy scalars included) as an exact rational."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, int | Fraction):
        return value
    return Fraction(value)  # the exact binary value of the float


def _distance(a: Number, b: Number) -> Number:
    """``|a - b|``, exactly."""
    difference: Number = a - b
    return difference if difference >= 0 else -difference


def reference_forward(network: ReluNetwork, z: Sequence[Any] | npt.ArrayLike) -> list[Number]:
    """``G(z)`` in exact rational arithmetic, by plain loops over the rows of every layer.

    Layer ``i`` computes ``h_i = s(W_i h_{i-1} + b_i)`` row by row, each sum accumulated as
    ``int`` / ``Fraction``. Float weights and inputs are taken at their exact binary value,
    so this is the true value of the float network, to compare with a float64 forward pass
    within rounding.

    Parameters
    ----------
    network:
        The network; only ``weights``, ``biases``, ``activation``, ``slope`` and
        ``output_activation`` are read (a linear head has no ``s`` after the last layer).
    z:
        The latent code (ints, Fractions or floats), length ``k``.

    Returns
    -------
    list of int or Fraction
        ``G(z)``, exactly.
    """
    alpha = _exact(network.slope) if network.activation != "relu" else None
    linear_head = network.output_activation == "linear"
    h: list[Number] = [_exact(v) for v in np.asarray(z, dtype=object).tolist()]
    for depth, (W, b) in enumerate(zip(network.weights, network.biases, strict=True), 1):
        pre: list[Number] = []
        for row, bias in zip(np.asarray(W).tolist(), np.asarray(b).tolist(), strict=True):
            total: Number = _exact(bias)
            for w, x in zip(row, h, strict=True):
                total += _exact(w) * x
            pre.append(total)
        if linear_head and depth == len(network.weights):
            h = pre  # a linear head: no activation after the last layer
        elif alpha is None:
            h = [t if t >= 0 else 0 for t in pre]
        else:
            h = [t if t >= 0 else alpha * t for t in pre]
    return h


def reference_gap(network: ReluNetwork, z: Sequence[Any] | npt.ArrayLike,
                  x: Sequence[Any] | npt.ArrayLike,
                  mask: Sequence[bool] | npt.ArrayLike | None = None) -> float:
    """``max_i |G(z)_i - x_i|`` over the observed outputs (all of them without ``mask``),
    computed exactly by :func:`reference_forward`, rounded to a float at the end."""
    out = reference_forward(network, z)
    target = [_exact(v) for v in np.asarray(x, dtype=object).tolist()]
    seen = ([True] * len(target) if mask is None
            else [bool(m) for m in np.asarray(mask).tolist()])
    gaps = [_distance(g, t) for g, t, m in zip(out, target, seen, strict=True) if m]
    return float(max(gaps, default=0))


def integer_box(problem: InversionProblem) -> Iterator[tuple[int, ...]]:
    """Every integer point of the problem's box domain ``[lower, upper]``."""
    lower = [math.ceil(v) for v in np.asarray(problem.domain.lower).tolist()]
    upper = [math.floor(v) for v in np.asarray(problem.domain.upper).tolist()]
    return itertools.product(*(range(lo, hi + 1) for lo, hi in zip(lower, upper, strict=True)))


def _observed_errors(problem: InversionProblem, z: Sequence[int]) -> list[Number]:
    out = reference_forward(problem.network, z)
    target = [_exact(v) for v in np.asarray(problem.target).tolist()]
    mask = ([True] * len(target) if problem.mask is None
            else [bool(m) for m in np.asarray(problem.mask).tolist()])
    return [_distance(g, t) for g, t, seen in zip(out, target, mask, strict=True) if seen]


def brute_force_min_loss(problem: InversionProblem, norm: str) -> Number:
    """``min`` over the integer points of the box of ``||G(z)[mask] - x[mask]||`` in the
    ``"l1"`` or ``"linf"`` norm, evaluated exactly (every point's forward pass by
    :func:`reference_forward`)."""
    check_choice(norm, "norm", ("l1", "linf"))
    if norm == "l1":
        return min(sum(_observed_errors(problem, z)) for z in integer_box(problem))
    return min(max(_observed_errors(problem, z), default=0) for z in integer_box(problem))


def brute_force_preimages(problem: InversionProblem) -> list[tuple[int, ...]]:
    """The integer points ``z`` of the box with ``G(z)[mask] = x[mask]`` exactly."""
    return [z for z in integer_box(problem) if not any(_observed_errors(problem, z))]


# -- third-party solvers, called directly ------------------------------------------------
#
# For formulas too large to enumerate: solvers that share no code with reluinv's oracles
# layer, each given the clauses as they stand, each optimum's model re-counted by
# :func:`falsified_weight`.


def rc2_cost(formula: Formula) -> int | None:
    """The MaxSAT cost by python-sat's RC2 on the soft clauses, hard clauses kept hard.

    ``None`` when the hard clauses alone are unsatisfiable (RC2 finds no model). Needs
    every clause non-empty (RC2 cannot hold an empty clause). Raises :class:`OracleError`
    when RC2's model does not falsify exactly the weight RC2 reports.
    """
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF

    empty = [j for j, clause in enumerate(formula.clauses) if not clause]
    if empty:
        raise InvalidArgumentError(f"formula.clauses[{empty[0]}] must be non-empty for "
                                   "rc2_cost (RC2 cannot hold an empty clause), got ()")
    wcnf = WCNF()
    for clause, weight, hard in zip(formula.clauses, clause_weights(formula),
                                    formula.hard or [False] * len(formula.clauses), strict=True):
        if hard:
            wcnf.append(list(clause))
        else:
            wcnf.append(list(clause), weight=weight)
    with RC2(wcnf) as solver:
        model = solver.compute()
        if model is None:
            return None
        cost = int(solver.cost)
    assignment = [1 if lit > 0 else 0 for lit in sorted(model, key=abs)][: formula.num_vars]
    assignment += [0] * (formula.num_vars - len(assignment))
    recounted = falsified_weight(formula, assignment)
    if recounted != cost:
        raise OracleError(f"RC2 reported cost {cost}, its model falsifies weight {recounted}")
    return cost


def cpsat_maxsat_cost(formula: Formula, *, workers: int = 1) -> int:
    """The MaxSAT cost by OR-Tools CP-SAT on the clauses, written out directly.

    One Boolean per variable and one relaxation Boolean ``r_j`` per clause with
    ``OR(clause_j) or r_j``; minimize ``sum_j w_j r_j`` (hard clauses at ``1 + soft
    total``, as everywhere). Raises :class:`OracleError` unless CP-SAT proves optimality
    and its model falsifies exactly the optimum.
    """
    from ortools.sat.python import cp_model

    workers = check_count(workers, "workers")
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x[{v + 1}]") for v in range(formula.num_vars)]
    objective = []
    for j, (clause, weight) in enumerate(zip(formula.clauses, clause_weights(formula),
                                             strict=True)):
        relax = model.new_bool_var(f"r[{j}]")
        literals = [x[lit - 1] if lit > 0 else ~x[-lit - 1] for lit in clause]
        model.add_bool_or([*literals, relax])
        objective.append(weight * relax)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:
        raise OracleError(f"CP-SAT proved no optimum: {solver.status_name(status)}")
    assignment = [int(solver.boolean_value(v)) for v in x]
    cost = falsified_weight(formula, assignment)
    if cost != round(solver.objective_value):
        raise OracleError(f"CP-SAT reported cost {solver.objective_value}, its model "
                          f"falsifies weight {cost}")
    return cost


# -- activation patterns: one LP per pattern ---------------------------------------------
#
# Fix the activation pattern of every hidden unit and the network is affine in ``z``: the
# pre-activations of layer ``i`` are ``A_i z + c_i``, built by composing the layers with
# the pattern's diagonal slopes (1 or 0 for ReLU, 1 or alpha for LeakyReLU). The pre-image
# of ``x`` under that pattern is a polyhedron in ``z`` (sign conditions of the hidden units,
# output equalities), and the pre-image of ``x`` is the union over the patterns. The LP of
# each pattern is solved by SciPy's HiGHS directly; nothing here goes through reluinv's
# inverters, forward passes or solvers.

#: A relaxation ``t`` (see :class:`PatternVerdict`) at most this times ``max(1, ||x||_inf)``
#: means ``x`` is realizable (the witness is re-checked by :func:`reference_forward`).
FEASIBLE_GAP = 1e-9
#: A relaxation at least this times ``max(1, ||x||_inf)`` means ``x`` is not realizable;
#: between the two the verdict is ``"borderline"`` (LP tolerances could decide either way).
INFEASIBLE_GAP = 1e-6


@dataclass(frozen=True)
class PatternVerdict:
    """The pattern-enumeration oracle's answer.

    Attributes
    ----------
    gap:
        The least ``t >= 0`` such that, for some hidden pattern, a ``z`` meets every sign
        condition within ``t`` and every observed output within ``t``: 0 exactly when
        ``x`` has a pre-image, continuous in ``x``, ``inf`` when no LP was feasible.
    z:
        A minimiser (``None`` when no LP was feasible).
    patterns:
        How many LPs were solved (``2^hidden units``).
    """

    gap: float
    z: FloatArray | None
    patterns: int


def pattern_enumeration(network: ReluNetwork, x: Sequence[float] | npt.ArrayLike,
                        mask: Sequence[bool] | npt.ArrayLike | None = None,
                        max_hidden: int = 10) -> PatternVerdict:
    """Minimise the relaxation ``t`` over every activation pattern of the hidden units.

    For a pattern, in the variables ``(z, t)``: minimise ``t`` subject to, per hidden unit,
    ``pre >= -t`` (active) or ``pre <= t`` (inactive), and per observed output row ``j``:
    ReLU ``x_j > 0`` gives ``|pre_j - x_j| <= t``, ``x_j <= 0`` gives ``pre_j <= t`` and
    ``t >= -x_j`` (a ReLU output is never negative); LeakyReLU inverts the output,
    ``|pre_j - s^{-1}(x_j)| <= t``. Exponential: at most ``max_hidden`` hidden units.

    Raises
    ------
    InvalidArgumentError
        More than ``max_hidden`` hidden units.
    """
    from scipy.optimize import linprog

    max_hidden = check_count(max_hidden, "max_hidden", minimum=0)
    weights = [np.asarray(w, dtype=np.float64) for w in network.weights]
    biases = [np.asarray(b, dtype=np.float64) for b in network.biases]
    leaky = network.activation != "relu"
    alpha = float(network.slope) if leaky else 0.0
    target = np.asarray(x, dtype=np.float64)
    observed = (np.ones(len(target), dtype=bool) if mask is None
                else np.asarray(mask, dtype=bool))
    hidden = [w.shape[0] for w in weights[:-1]]
    if sum(hidden) > max_hidden:
        raise InvalidArgumentError(f"network must have at most max_hidden = {max_hidden} "
                                   f"hidden units for pattern_enumeration, got {sum(hidden)}")
    k = weights[0].shape[1]
    best_gap, best_z = math.inf, None
    count = 0
    for bits in itertools.product((True, False), repeat=sum(hidden)):
        count += 1
        A, c = np.eye(k), np.zeros(k)
        rows: list[FloatArray] = []  # each row: coefficients of z, then of t; <= rhs
        rhs: list[float] = []
        offset = 0
        for W, b, width in zip(weights[:-1], biases[:-1], hidden, strict=True):
            pre_A, pre_c = W @ A, W @ c + b
            pattern = np.array(bits[offset:offset + width])
            offset += width
            for j in range(width):
                if pattern[j]:  # -pre <= t
                    rows.append(np.append(-pre_A[j], -1.0))
                    rhs.append(float(pre_c[j]))
                else:  # pre <= t
                    rows.append(np.append(pre_A[j], -1.0))
                    rhs.append(float(-pre_c[j]))
            slope = np.where(pattern, 1.0, alpha)
            A, c = slope[:, None] * pre_A, slope * pre_c
        out_A, out_c = weights[-1] @ A, weights[-1] @ c + biases[-1]
        floor = 0.0  # t >= -x_j for negative ReLU outputs
        for j in np.flatnonzero(observed).tolist():
            value = float(target[j])
            if not leaky and value <= 0.0:
                rows.append(np.append(out_A[j], -1.0))
                rhs.append(float(-out_c[j]))
                floor = max(floor, -value)
                continue
            goal = value if value >= 0.0 or not leaky else value / alpha
            rows.append(np.append(out_A[j], -1.0))
            rhs.append(goal - float(out_c[j]))
            rows.append(np.append(-out_A[j], -1.0))
            rhs.append(float(out_c[j]) - goal)
        cost = np.zeros(k + 1)
        cost[k] = 1.0
        result = linprog(cost, A_ub=np.array(rows).reshape(-1, k + 1), b_ub=np.array(rhs),
                         bounds=[(None, None)] * k + [(floor, None)], method="highs")
        if result.status == 0 and float(result.fun) < best_gap:
            best_gap, best_z = float(result.fun), np.asarray(result.x[:k], dtype=np.float64)
    return PatternVerdict(best_gap, best_z, count)


@dataclass(frozen=True)
class Realizability:
    """Whether ``x`` has a pre-image, by :func:`realizability`.

    Attributes
    ----------
    verdict:
        ``"realizable"`` (a witness replays ``x`` when re-checked exactly),
        ``"unrealizable"`` (the least relaxation is clearly positive) or ``"borderline"``
        (in between: LP tolerances could decide either way; count it, don't judge by it).
    gap:
        The least relaxation of :func:`pattern_enumeration`.
    witness:
        A latent code with ``G(z) = x`` on the observed outputs, for ``"realizable"``.
    """

    verdict: Literal["realizable", "unrealizable", "borderline"]
    gap: float
    witness: FloatArray | None


def realizability(network: ReluNetwork, x: Sequence[float] | npt.ArrayLike,
                  mask: Sequence[bool] | npt.ArrayLike | None = None, *,
                  max_hidden: int = 10) -> Realizability:
    """The exact ground truth "does ``x`` have a pre-image?" for a tiny network.

    Runs :func:`pattern_enumeration` and reads its relaxation ``t`` against the scale
    ``max(1, ||x||_inf)``: ``t <= FEASIBLE_GAP`` times the scale is ``"realizable"``, once
    the minimiser's exact forward pass (:func:`reference_gap`) replays ``x`` within
    ``100 FEASIBLE_GAP`` times the scale (else :class:`OracleError`); ``t >= INFEASIBLE_GAP``
    times the scale is ``"unrealizable"``; in between ``"borderline"``.

    Examples
    --------
    >>> from reluinv import ReluNetwork
    >>> net = ReluNetwork([[[1.0], [1.0]]], None, "relu")     # x = (relu(z), relu(z))
    >>> realizability(net, [2.0, 2.0]).verdict, realizability(net, [2.0, 1.0]).verdict
    ('realizable', 'unrealizable')
    """
    verdict = pattern_enumeration(network, x, mask, max_hidden)
    target = np.asarray(x, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(target), initial=0.0)))
    if verdict.gap <= FEASIBLE_GAP * scale and verdict.z is not None:
        replay = reference_gap(network, verdict.z, target, mask)
        if replay > 100 * FEASIBLE_GAP * scale:
            raise OracleError(f"pattern enumeration's witness misses x by {replay:.3g} in "
                              f"the exact forward pass, above 100 FEASIBLE_GAP x {scale:g}")
        return Realizability("realizable", verdict.gap, verdict.z)
    if verdict.gap >= INFEASIBLE_GAP * scale:
        return Realizability("unrealizable", verdict.gap, None)
    return Realizability("borderline", verdict.gap, None)


def farkas_radius(A_eq: FloatArray, b_eq: FloatArray, A_ub: FloatArray, b_ub: FloatArray,
                  nonneg: bool, ray_eq: FloatArray, ray_ub: FloatArray) -> float:
    """What a ray ``y = (u, v)`` proves about ``{h : A_eq h = b_eq, A_ub h <= b_ub, h >= 0
    if nonneg}``, recomputed from Farkas' lemma.

    For every ``h`` of the set, ``0 = y^T (A h - b) + v^T s`` with slack ``s >= 0``, so
    ``(A^T y)^T h >= b^T y`` when ``v >= 0``. Returns ``-inf`` when ``v`` has a negative
    entry or ``b^T y >= 0`` (the ray proves nothing); otherwise ``gap / violation`` with
    ``gap = -b^T y`` and ``violation`` the l_1 size of the sign-condition breaks of
    ``A^T y`` (zero on free columns, ``>= 0`` on non-negative ones): no point of the set
    has ``||h||_inf`` below it (``inf``: the set is empty).
    """
    if ray_ub.size and float(np.min(ray_ub)) < 0.0:
        return -math.inf
    gap = -(float(b_eq @ ray_eq) + float(b_ub @ ray_ub))
    if gap <= 0.0:
        return -math.inf
    combined = A_eq.T @ ray_eq + A_ub.T @ ray_ub
    breaks = np.maximum(-combined, 0.0) if nonneg else np.abs(combined)
    violation = float(np.sum(breaks))
    return math.inf if violation == 0.0 else gap / violation
