"""Independent oracles for the tests: brute force and reference evaluations.

Every function here is written out in plain Python (loops over ``{0,1}^k`` or over an
integer box, ``int`` / ``Fraction`` arithmetic) from the *definitions*, and reads only the
plain data of a formula or network (``clauses``, ``weights``, ``hard``; ``weights``,
``biases``, ``activation``, ``slope``; ``target``, ``mask``, ``domain``). None of them calls
project code that evaluates, encodes or solves (``Formula.falsified``,
``ReluNetwork.forward``, ``InversionProblem.exact_loss``, a solver): a test that compares
the project's answer with one of these compares two computations that share no code.

Definitions (the DESIGN notes' conventions):

* variable ``v`` is ``assignment[v - 1]``; literal ``v`` is true when it is 1, ``-v`` when
  it is 0; a clause is satisfied when one of its literals is true (the empty clause never);
* clause ``j`` weighs ``weights[j]`` (1 in an unweighted formula); a hard clause weighs
  ``1 + the total weight of the soft clauses``;
* ``G(z) = s(W_d s(... s(W_1 z + b_1) ...) + b_d)``, rows are outputs, ``s`` is ReLU
  (``max(t, 0)``) or LeakyReLU (``t`` for ``t >= 0``, ``alpha t`` below), and no ``s`` after
  the last layer when ``output_activation == "linear"``.

Everything is exponential in the number of variables (or the box volume): meant for
``k <= 12`` or so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from reluinv import Formula, InversionProblem, ReluNetwork

__all__ = [
    "PatternVerdict",
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
    "reference_forward",
    "reference_gap",
]

Number = int | Fraction


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


def reference_forward(network: ReluNetwork, z: Sequence[Any] | np.ndarray) -> list[Number]:
    """``G(z)`` in exact rational arithmetic, by plain loops over the rows of every layer.

    Float weights and inputs are taken at their exact binary value, so this is the true
    value of the float network, to compare with the float64 forward pass within rounding.
    """
    alpha = _exact(network.slope) if network.activation != "relu" else None
    linear_head = network.output_activation == "linear"
    h: list[Number] = [_exact(v) for v in np.asarray(z).tolist()]
    for depth, (W, b) in enumerate(zip(network.weights, network.biases, strict=True), 1):
        pre: list[Number] = []
        for row, bias in zip(np.asarray(W).tolist(), np.asarray(b).tolist(), strict=True):
            total: Number = _exact(bias)
            for w, x in zip(row, h, strict=True):
                total += _exact(w) * x
            pre.append(total)
        if linear_head and depth == len(network.weights):
            h = pre
        elif alpha is None:
            h = [t if t >= 0 else 0 for t in pre]
        else:
            h = [t if t >= 0 else alpha * t for t in pre]
    return h


def reference_gap(network: ReluNetwork, z: Sequence[Any] | np.ndarray,
                  x: Sequence[Any] | np.ndarray) -> float:
    """``max_i |G(z)_i - x_i|``, computed exactly by :func:`reference_forward`, as a float."""
    out = reference_forward(network, z)
    target = [_exact(v) for v in np.asarray(x).tolist()]
    return float(max((abs(g - t) for g, t in zip(out, target, strict=True)), default=0))


def integer_box(problem: InversionProblem) -> Iterator[tuple[int, ...]]:
    """Every integer point of the problem's box domain ``[lower, upper]``."""
    lower = [int(v) for v in np.asarray(problem.domain.lower).tolist()]
    upper = [int(v) for v in np.asarray(problem.domain.upper).tolist()]
    return itertools.product(*(range(lo, hi + 1) for lo, hi in zip(lower, upper, strict=True)))


def _observed_errors(problem: InversionProblem, z: Sequence[int]) -> list[Number]:
    out = reference_forward(problem.network, z)
    target = [_exact(v) for v in np.asarray(problem.target).tolist()]
    mask = ([True] * len(target) if problem.mask is None
            else [bool(m) for m in np.asarray(problem.mask).tolist()])
    return [abs(g - t) for g, t, seen in zip(out, target, mask, strict=True) if seen]


def brute_force_min_loss(problem: InversionProblem, norm: str) -> Number:
    """``min`` over the integer points of the box of ``||G(z)[mask] - x[mask]||`` in the
    ``"l1"`` or ``"linf"`` norm, evaluated exactly."""
    if norm == "l1":
        return min(sum(_observed_errors(problem, z)) for z in integer_box(problem))
    if norm == "linf":
        return min(max(_observed_errors(problem, z), default=0) for z in integer_box(problem))
    raise ValueError(f"norm must be 'l1' or 'linf', got {norm!r}")


def brute_force_preimages(problem: InversionProblem) -> list[tuple[int, ...]]:
    """The integer points ``z`` of the box with ``G(z)[mask] = x[mask]`` exactly."""
    return [z for z in integer_box(problem) if not any(_observed_errors(problem, z))]


# -- third-party solvers, called directly ------------------------------------------------
#
# For formulas too large to enumerate: solvers that share no code with the project's
# oracles layer, each given the clauses as they stand, each optimum's model re-counted by
# :func:`falsified_weight`.


def rc2_cost(formula: Formula) -> int | None:
    """The MaxSAT cost by python-sat's RC2 on the soft clauses, hard clauses kept hard.

    ``None`` when the hard clauses alone are unsatisfiable (RC2 finds no model). Needs
    every clause non-empty (RC2 cannot hold an empty clause).
    """
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF

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
    assert falsified_weight(formula, assignment) == cost
    return cost


def cpsat_maxsat_cost(formula: Formula, *, workers: int = 1) -> int:
    """The MaxSAT cost by OR-Tools CP-SAT on the clauses, written out directly.

    One Boolean per variable and one relaxation Boolean ``r_j`` per clause with
    ``OR(clause_j) or r_j``; minimize ``sum_j w_j r_j`` (hard clauses at ``1 + soft
    total``, as everywhere). Raises ``AssertionError`` unless CP-SAT proves optimality.
    """
    from ortools.sat.python import cp_model

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
    assert status == cp_model.OPTIMAL, solver.status_name(status)
    assignment = [int(solver.boolean_value(v)) for v in x]
    cost = falsified_weight(formula, assignment)
    assert cost == round(solver.objective_value)
    return cost


# -- activation patterns: one LP per pattern ---------------------------------------------
#
# Fix the activation pattern of every hidden unit and the network is affine in ``z``: the
# pre-activations of layer ``i`` are ``A_i z + c_i``, built by composing the layers with
# the pattern's diagonal slopes (1 or 0 for ReLU, 1 or alpha for LeakyReLU). The pre-image
# of ``x`` under that pattern is a polyhedron in ``z`` (sign conditions of the hidden units,
# output equalities), and the pre-image of ``x`` is the union over the patterns. The LP of
# each pattern is solved by scipy's HiGHS directly; nothing here goes through the
# project's inverters, networks' forward passes or solvers.


@dataclass(frozen=True)
class PatternVerdict:
    """The pattern-enumeration oracle's answer.

    ``gap``: the least ``t >= 0`` such that, for some hidden pattern, a ``z`` meets every
    sign condition within ``t`` and every observed output within ``t`` (0 exactly when
    ``x`` has a pre-image; continuous in ``x``). ``z``: a minimiser. ``patterns``: how
    many LPs were solved.
    """

    gap: float
    z: np.ndarray | None
    patterns: int


def pattern_enumeration(network: ReluNetwork, x: Sequence[float] | np.ndarray,
                        mask: Sequence[bool] | np.ndarray | None = None,
                        max_hidden: int = 10) -> PatternVerdict:
    """Minimise the relaxation ``t`` over every activation pattern of the hidden units.

    Output rows (observed ones only): ReLU ``x_j > 0`` gives ``|pre_j - x_j| <= t``,
    ``x_j <= 0`` gives ``pre_j <= t`` and ``-x_j <= t`` (a ReLU output is never
    negative); LeakyReLU inverts the output, ``|pre_j - s^{-1}(x_j)| <= t``. Hidden unit
    under the pattern: active ``pre >= -t``, inactive ``pre <= t``. Exponential: at most
    ``max_hidden`` hidden units.
    """
    from scipy.optimize import linprog

    weights = [np.asarray(w, dtype=np.float64) for w in network.weights]
    biases = [np.asarray(b, dtype=np.float64) for b in network.biases]
    leaky = network.activation != "relu"
    alpha = float(network.slope) if leaky else 0.0
    target = np.asarray(x, dtype=np.float64)
    observed = (np.ones(len(target), dtype=bool) if mask is None
                else np.asarray(mask, dtype=bool))
    hidden = [w.shape[0] for w in weights[:-1]]
    if sum(hidden) > max_hidden:
        raise ValueError(f"{sum(hidden)} hidden units: more than max_hidden = {max_hidden}")
    k = weights[0].shape[1]
    best = PatternVerdict(math.inf, None, 0)
    count = 0
    for bits in itertools.product((True, False), repeat=sum(hidden)):
        count += 1
        A, c = np.eye(k), np.zeros(k)
        rows: list[np.ndarray] = []  # each row: coefficients of z, then of t; <= rhs
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
        for j in np.flatnonzero(observed):
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
        if result.status == 0 and float(result.fun) < best.gap:
            best = PatternVerdict(float(result.fun), np.asarray(result.x[:k]), 0)
    return PatternVerdict(best.gap, best.z, count)


def farkas_radius(A_eq: np.ndarray, b_eq: np.ndarray, A_ub: np.ndarray, b_ub: np.ndarray,
                  nonneg: bool, ray_eq: np.ndarray, ray_ub: np.ndarray) -> float:
    """What a ray ``y = (u, v)`` proves about ``{h : A_eq h = b_eq, A_ub h <= b_ub, h >= 0
    if nonneg}``, recomputed from Farkas' lemma: ``-inf`` when ``v`` has a negative entry
    or ``b^T y >= 0``; otherwise ``gap / violation`` with ``gap = -b^T y`` and
    ``violation`` the l_1 size of the sign-condition breaks of ``A^T y`` (zero on free
    columns, ``>= 0`` on non-negative ones): no point of the set has ``||h||_inf`` below
    it (``inf``: the set is empty)."""
    if ray_ub.size and float(np.min(ray_ub)) < 0.0:
        return -math.inf
    gap = -(float(b_eq @ ray_eq) + float(b_ub @ ray_ub))
    if gap <= 0.0:
        return -math.inf
    combined = A_eq.T @ ray_eq + A_ub.T @ ray_ub
    breaks = np.maximum(-combined, 0.0) if nonneg else np.abs(combined)
    violation = float(np.sum(breaks))
    return math.inf if violation == 0.0 else gap / violation
