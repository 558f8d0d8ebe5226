"""Compile an integer ReLU network over an integer latent box into CNF, unit by unit.

Every integer quantity ``v`` of the network (a latent coordinate, a pre-activation, a unit's
output) is held in the **order encoding** over its *value set* ``v_0 < v_1 < ... < v_r``,
the values it can take: one Boolean ``[v >= v_i]`` per ``i = 1..r`` (``[v >= v_0]`` is
true), chained by ``[v >= v_{i+1}] -> [v >= v_i]``. Then ``v = v_0 + sum_i (v_i -
v_{i-1}) [v >= v_i]``. An :class:`OrderInt` is such a variable.

Operations, each exact:

* **scaling by an integer** ``w``: free. ``w > 0`` relabels the values; ``w < 0`` reverses
  them, and ``[w v >= w v_i]`` is the negated literal ``not [v >= v_{i+1}]``;
* **adding a constant**: free (the values shift);
* **adding two variables** ``c = a + b`` (the generalised totalizer): the value set of
  ``c`` is every ``a_i + b_j``; for every pair ``(i, j)``::

      [a >= a_i] and [b >= b_j]          -> [c >= a_i + b_j]       (upward)
      not [a >= a_{i+1}] and not [b >= b_{j+1}]
                                          -> not [c > a_i + b_j]    (downward)

  so in every model ``c = a + b`` exactly. A weighted sum ``t = w . h + b`` is a tree of
  such additions, smallest value sets first;
* **ReLU** ``h = max(t, 0)``: free. ``h`` takes the values ``{0} u {t_i > 0}`` and
  ``[h >= c] = [t >= c]`` for ``c > 0``: the unit's output shares the pre-activation's
  literals (the ``"order"`` entry of :mod:`reluinv.exact.encodings`).

The value sets are exact supersets of what each quantity can reach (sums of value sets),
never tighter, so a value outside a set is a proof that the quantity never takes it.
A unit whose value set would exceed :data:`MAX_VALUES` values is refused
(:class:`~reluinv.errors.UnsupportedProblemError`): the encoding is meant for the small
integer ranges of reductions and verification benchmarks, not for wide real-valued nets.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from reluinv.errors import UnsupportedProblemError
from reluinv.problem import InversionProblem

if TYPE_CHECKING:
    from reluinv.exact.encodings import ReluEncoding

__all__ = [
    "MAX_VALUES",
    "CnfBuilder",
    "CompiledNetwork",
    "OrderInt",
    "compile_network",
    "linear_sum",
    "relu",
]

#: The largest value set one quantity may hold; a larger one is refused, because the
#: addition that builds it would need on the order of ``MAX_VALUES**2`` clauses.
MAX_VALUES = 2048

#: A literal that is constantly true or false; :class:`CnfBuilder` simplifies it away.
Lit = int | bool


@dataclass(frozen=True)
class OrderInt:
    """An integer in the order encoding: ``values`` ascending (at least one), and
    ``lits[i]`` the literal ``[v >= values[i + 1]]`` (so ``len(lits) == len(values) - 1``)."""

    values: tuple[int, ...]
    lits: tuple[int, ...]

    @classmethod
    def constant(cls, value: int) -> OrderInt:
        """The constant ``value`` (no literal)."""
        return cls((int(value),), ())

    def geq(self, c: int) -> Lit:
        """The literal ``[v >= c]``: ``True`` when ``c <= v_0``, ``False`` when ``c > v_r``."""
        if c <= self.values[0]:
            return True
        if c > self.values[-1]:
            return False
        index = bisect.bisect_left(self.values, c)  # the smallest value >= c
        return self.lits[index - 1]

    def scaled(self, w: int) -> OrderInt:
        """``w * v`` (``w != 0``)."""
        if w > 0:
            return OrderInt(tuple(w * v for v in self.values), self.lits)
        values = tuple(w * v for v in reversed(self.values))
        r = len(self.lits)
        # [w v >= w v_{r-k}] = [v <= v_{r-k}] = not [v >= v_{r-k+1}] = -lits[r-k]
        return OrderInt(values, tuple(-self.lits[r - k] for k in range(1, r + 1)))

    def shifted(self, b: int) -> OrderInt:
        """``v + b``."""
        return OrderInt(tuple(v + b for v in self.values), self.lits)

    def value_in(self, true_variables: set[int]) -> int:
        """The value an assignment gives ``v``; ``true_variables`` holds the variables set
        to true (every other variable is false)."""
        value = self.values[0]
        for value_i, lit in zip(self.values[1:], self.lits, strict=True):
            if (lit in true_variables) if lit > 0 else (-lit not in true_variables):
                value = value_i
        return value


@dataclass
class CnfBuilder:
    """Fresh variables and hard clauses; constant literals are simplified away.

    ``empty`` records that a clause became empty (every literal constantly false): the
    constraints are then unsatisfiable, and ``empty_reason`` says which one.
    """

    top: int = 0
    clauses: list[list[int]] = field(default_factory=list)
    empty_reason: str | None = None

    def new_var(self) -> int:
        self.top += 1
        return self.top

    def add(self, clause: Sequence[Lit], reason: str = "") -> None:
        """Add ``clause``; a constantly true literal drops it, a false one drops out."""
        kept: list[int] = []
        for lit in clause:
            if lit is True:
                return
            if lit is False:
                continue
            kept.append(int(lit))
        if not kept:
            if self.empty_reason is None:
                self.empty_reason = reason or "a clause is constantly false"
            return
        self.clauses.append(kept)

    def order_var(self, values: Sequence[int]) -> OrderInt:
        """A fresh :class:`OrderInt` over ``values`` (sorted, distinct), chain included."""
        lits = tuple(self.new_var() for _ in values[1:])
        for lower, upper in itertools.pairwise(lits):
            self.add([-upper, lower])
        return OrderInt(tuple(values), lits)

    def add_sum(self, a: OrderInt, b: OrderInt, label: str) -> OrderInt:
        """``a + b`` as a fresh :class:`OrderInt` (module docstring: upward and downward
        clauses for every pair of values)."""
        if len(a.values) == 1:
            return b.shifted(a.values[0])
        if len(b.values) == 1:
            return a.shifted(b.values[0])
        sums = sorted({x + y for x in a.values for y in b.values})
        if len(sums) > MAX_VALUES:
            raise UnsupportedProblemError(
                f"unit {label} would take {len(sums)} values, more than MAX_VALUES = "
                f"{MAX_VALUES}: the order encoding of the maxsat backend is for small "
                "integer ranges; use backend='cpsat'"
            )
        c = self.order_var(sums)
        ra, rb = len(a.values), len(b.values)
        for i in range(ra):
            a_at_least = a.geq(a.values[i])
            a_above = a.geq(a.values[i + 1]) if i + 1 < ra else False
            for j in range(rb):
                s = a.values[i] + b.values[j]
                # upward: a >= a_i and b >= b_j  ->  c >= s
                self.add([_neg(a_at_least), _neg(b.geq(b.values[j])), c.geq(s)])
                # downward: a <= a_i and b <= b_j  ->  c <= s, i.e. not [c >= s + 1]
                b_above = b.geq(b.values[j + 1]) if j + 1 < rb else False
                self.add([a_above, b_above, _neg(c.geq(s + 1))])
        return c


def _neg(lit: Lit) -> Lit:
    if isinstance(lit, bool):
        return not lit
    return -lit


def linear_sum(builder: CnfBuilder, terms: list[OrderInt], constant: int,
               label: str) -> OrderInt:
    """``sum(terms) + constant``, adding the two smallest value sets first."""
    heap = [(len(t.values), n, t) for n, t in enumerate(terms)]
    heapq.heapify(heap)
    counter = len(heap)
    while len(heap) > 1:
        _, _, a = heapq.heappop(heap)
        _, _, b = heapq.heappop(heap)
        c = builder.add_sum(a, b, label)
        heapq.heappush(heap, (len(c.values), counter, c))
        counter += 1
    total = heap[0][2] if heap else OrderInt.constant(0)
    return total.shifted(constant)


def relu(t: OrderInt) -> OrderInt:
    """``max(t, 0)`` sharing ``t``'s literals (no clause)."""
    if t.values[0] >= 0:
        return t
    positive = [v for v in t.values if v > 0]
    lits = tuple(int(t.geq(v)) for v in positive)  # literals: every v > values[0]
    return OrderInt((0, *positive), lits)


@dataclass(frozen=True)
class CompiledNetwork:
    """The CNF of a network over its latent box.

    Attributes
    ----------
    builder:
        The variables and hard clauses.
    latent:
        One :class:`OrderInt` per latent coordinate.
    pre:
        Pre-activations of the observed output units, by unit index.
    outputs:
        The outputs ``h_dj = max(t_dj, 0)`` of the observed units, by unit index.
    phases:
        Counts of units proven ``stable_active`` (value set ``>= 0``), ``stable_inactive``
        (``<= 0``) and ``unstable`` by their value sets.
    """

    builder: CnfBuilder
    latent: tuple[OrderInt, ...]
    pre: dict[int, OrderInt]
    outputs: dict[int, OrderInt]
    phases: dict[str, int]


def compile_network(problem: InversionProblem, encoding: ReluEncoding) -> CompiledNetwork:
    """Compile ``problem.network`` over ``problem.domain`` (integer box) into CNF.

    Hidden units are compiled in full; of the last layer only the observed units.
    ``encoding`` links each unit's output to its pre-activation (``"order"``: shared
    literals).
    """
    net = problem.network
    builder = CnfBuilder()
    latent = tuple(builder.order_var(list(range(int(lo), int(hi) + 1)))
                   for lo, hi in zip(problem.domain.lower, problem.domain.upper, strict=True))
    h: list[OrderInt] = list(latent)
    phases = dict.fromkeys(("stable_active", "stable_inactive", "unstable"), 0)
    pre: dict[int, OrderInt] = {}
    outputs: dict[int, OrderInt] = {}
    observed = set(problem.observed.tolist())
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        last = i == net.depth - 1
        nxt: list[OrderInt] = []
        for j in range(w.shape[0]):
            if last and j not in observed:
                nxt.append(OrderInt.constant(0))
                continue
            label = f"[{i + 1}][{j}]"
            constant = int(b[j])
            terms: list[OrderInt] = []
            for q in np.flatnonzero(w[j]).tolist():
                term = h[q].scaled(int(w[j, q]))
                if len(term.values) == 1:
                    constant += term.values[0]
                else:
                    terms.append(term)
            t = linear_sum(builder, terms, constant, label)
            if t.values[0] >= 0:
                phases["stable_active"] += 1
            elif t.values[-1] <= 0:
                phases["stable_inactive"] += 1
            else:
                phases["unstable"] += 1
            y = encoding.add_unit(builder, t, t.values[0], t.values[-1], 0.0, label).y
            nxt.append(y)
            if last:
                pre[j], outputs[j] = t, y
        h = nxt
    return CompiledNetwork(builder, latent, pre, outputs, phases)
