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

**Clamping to the thresholds asked.** Often only a few thresholds of a quantity are ever
asked: the realizable case asks ``[t >= x_j]`` and ``[t >= x_j + 1]`` of an output, and a
clause unit ``u = ReLU(w (1 - s))`` of the MAX-3SAT reduction asks only ``[s >= 1]`` of its
literal sum. A backward pass over the layers computes, for every pre-activation, the
interval ``[low, high]`` of thresholds its consumers can ask (through a sum ``t = P + R``
with the rest ``R`` in ``[R_lo, R_hi]``, a threshold ``c`` of ``t`` asks ``P`` for
``c - R_hi .. c - R_lo``); each partial sum is then replaced by
``min(max(P, low - 1), high)`` with ``[low, high]`` cut to the thresholds its bounds do not
decide. That answers every threshold asked exactly, and the sum of two clamped values,
clamped again, is the clamped sum, so the totalizers stay exact while their value sets
shrink (the reduction's clause sums become plain ORs).

The value sets are supersets of what each (clamped) quantity can reach, never tighter, so
a value outside a set is a proof that the quantity never takes it.
A unit whose value set would exceed :data:`MAX_VALUES` values is refused
(:class:`~reluinv.errors.UnsupportedProblemError`): the encoding is meant for the small
integer ranges of reductions and verification benchmarks, not for wide real-valued nets.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from reluinv.data.problem import InversionProblem
from reluinv.errors import UnsupportedProblemError
from reluinv.exact.bounds import interval_bounds

__all__ = [
    "MAX_VALUES",
    "CnfBuilder",
    "CompiledNetwork",
    "OrderInt",
    "UnitEncoding",
    "clamp",
    "compile_network",
    "effective_need",
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

    def add_sum(self, a: OrderInt, b: OrderInt, label: str,
                need: tuple[int, int] | None = None) -> OrderInt:
        """``a + b`` as a fresh :class:`OrderInt` (module docstring: upward and downward
        clauses for every pair of values), clamped to ``need`` when given."""
        if len(a.values) == 1:
            return clamp(b.shifted(a.values[0]), need)
        if len(b.values) == 1:
            return clamp(a.shifted(b.values[0]), need)
        low, high = need if need is not None else (None, None)

        def cut(v: int) -> int:
            return v if low is None or high is None else min(max(v, low - 1), high)

        sums = sorted({cut(x + y) for x in a.values for y in b.values})
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
                s = cut(a.values[i] + b.values[j])
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


def clamp(v: OrderInt, need: tuple[int, int] | None) -> OrderInt:
    """``min(max(v, low - 1), high)`` for ``need = (low, high)``: the same literal for
    every threshold ``c`` in ``[low, high]``, fewer values (``None``: ``v`` itself)."""
    if need is None:
        return v
    low, high = need
    values = sorted({min(max(x, low - 1), high) for x in v.values})
    if len(values) == len(v.values):
        return v
    return OrderInt(tuple(values), tuple(int(v.geq(x)) for x in values[1:]))


def effective_need(low: int, high: int, lo: int, hi: int) -> tuple[int, int]:
    """The thresholds ``[low, high]`` of a quantity in ``[lo, hi]`` that are not decided
    by its bounds alone, as a clamp range: its clamped values then stay in ``[lo, hi]``,
    which keeps sums of clamped values exact on the thresholds asked. When every
    threshold is decided, a range that clamps to the constant that decides them the same
    way (``hi`` when all are above ``hi``, else ``lo``)."""
    first, last = max(low, lo + 1), min(high, hi)
    if first <= last:
        return first, last
    return (hi + 1, hi) if low > hi else (lo + 1, lo)


def linear_sum(builder: CnfBuilder, terms: list[tuple[OrderInt, int, int]], constant: int,
               label: str, need: tuple[int, int] | None = None) -> OrderInt:
    """``sum(terms) + constant``, adding the two smallest value sets first.

    ``terms`` are ``(v, lo, hi)``: an order-encoded integer and the true bounds of what it
    can take. With ``need = (low, high)`` only the thresholds ``[t >= c]``, ``low <= c <=
    high``, of the total ``t`` are asked for, so every partial sum ``P`` is clamped to the
    thresholds that can still decide one of them: with the other terms ``R`` in
    ``[R_lo, R_hi]``, ``[P >= c']`` for ``low - R_hi <= c' <= high - R_lo``.
    """
    s_lo = sum(lo for _, lo, _ in terms)
    s_hi = sum(hi for _, _, hi in terms)

    def node_need(lo: int, hi: int) -> tuple[int, int] | None:
        if need is None:
            return None
        return effective_need(need[0] - constant - (s_hi - hi),
                              need[1] - constant - (s_lo - lo), lo, hi)

    heap = [(len(v.values), n, clamp(v, node_need(lo, hi)), lo, hi)
            for n, (v, lo, hi) in enumerate(terms)]
    heapq.heapify(heap)
    counter = len(heap)
    while len(heap) > 1:
        _, _, a, a_lo, a_hi = heapq.heappop(heap)
        _, _, b, b_lo, b_hi = heapq.heappop(heap)
        lo, hi = a_lo + b_lo, a_hi + b_hi
        c = builder.add_sum(a, b, label, node_need(lo, hi))
        heapq.heappush(heap, (len(c.values), counter, c, lo, hi))
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


class UnitEncoding(Protocol):
    """What :func:`compile_network` needs of a ReLU encoding: ``add_unit(builder, t, lo,
    hi, alpha, name)`` returning an object whose ``y`` is the unit's output. The
    ``"order"`` entry of :mod:`reluinv.exact.encodings` is one; this module does not import
    that registry (the registry imports :func:`relu` from here)."""

    @property
    def add_unit(self) -> Any: ...


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


Need = tuple[int, int] | None


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _input_needs(w: npt.NDArray[Any], b: npt.NDArray[Any], t_lo: list[int], t_hi: list[int],
                 h_lo: list[int], h_hi: list[int], needs: list[Need]) -> list[Need]:
    """The thresholds of each input ``h_q`` that some unit's needed thresholds depend on
    (the hull over the units; ``None``: none), by the rule of :func:`linear_sum`."""
    out: list[Need] = [None] * len(h_lo)
    for j, need in enumerate(needs):
        if need is None:
            continue
        low, high = need[0] - int(b[j]), need[1] - int(b[j])
        s_lo, s_hi = t_lo[j] - int(b[j]), t_hi[j] - int(b[j])
        for q in np.flatnonzero(w[j]).tolist():
            weight = int(w[j, q])
            term_lo, term_hi = sorted((weight * h_lo[q], weight * h_hi[q]))
            n_lo, n_hi = low - (s_hi - term_hi), high - (s_lo - term_lo)
            if n_lo > n_hi:
                continue
            if weight > 0:  # [w h >= c] = [h >= ceil(c / w)]
                c_lo, c_hi = _ceil_div(n_lo, weight), _ceil_div(n_hi, weight)
            else:  # [w h >= c] = not [h >= floor(c / w) + 1]
                c_lo, c_hi = n_hi // weight + 1, n_lo // weight + 1
            c_lo, c_hi = max(c_lo, h_lo[q] + 1), min(c_hi, h_hi[q])  # the rest is trivial
            if c_lo > c_hi:
                continue
            old = out[q]
            out[q] = (c_lo, c_hi) if old is None else (min(old[0], c_lo), max(old[1], c_hi))
    return out


def compile_network(problem: InversionProblem, encoding: UnitEncoding, *,
                    output_needs: Mapping[int, tuple[int, int]] | None = None
                    ) -> CompiledNetwork:
    """Compile ``problem.network`` over ``problem.domain`` (integer box) into CNF.

    Only what the observed outputs depend on is encoded. ``output_needs[j] = (low, high)``
    says that only the thresholds ``[t_dj >= c]``, ``low <= c <= high``, of output ``j``'s
    pre-activation will be asked for (the realizable case asks for two); by default all
    thresholds of ``h_dj`` are. A backward pass turns these into the thresholds every
    hidden unit must provide, and each sum is clamped to them (:func:`linear_sum`):
    exact for every threshold asked, with fewer values. ``encoding`` links each unit's
    output to its pre-activation (``"order"``: shared literals).
    """
    net = problem.network
    widths = problem.domain.upper - problem.domain.lower + 1
    if widths.size and float(widths.max()) > MAX_VALUES:  # before any list of values
        j = int(np.argmax(widths))
        raise UnsupportedProblemError(
            f"latent z[{j}] would take {float(widths[j]):.0f} values, more than MAX_VALUES = "
            f"{MAX_VALUES}: the order encoding of the maxsat backend is for small integer "
            "boxes")
    bounds = interval_bounds(net, problem.domain.lower, problem.domain.upper, exact=True)
    t_lo = [[int(v) for v in layer] for layer in bounds.lower]
    t_hi = [[int(v) for v in layer] for layer in bounds.upper]
    observed = set(problem.observed.tolist())
    # backward: the thresholds each pre-activation must provide
    needs: list[list[Need]] = [[None] * len(layer) for layer in t_lo]
    for j in observed:
        given = None if output_needs is None else output_needs.get(j)
        if given is None and net.output_linear:  # h = t: every threshold of t
            given = (t_lo[-1][j] + 1, max(t_hi[-1][j], t_lo[-1][j] + 1))
        needs[-1][j] = given if given is not None else (max(1, t_lo[-1][j] + 1),
                                                        max(t_hi[-1][j], 1))
    for i in range(net.depth - 1, 0, -1):
        h_lo = [max(v, 0) for v in t_lo[i - 1]]
        h_hi = [max(v, 0) for v in t_hi[i - 1]]
        h_needs = _input_needs(net.weights[i], net.biases[i], t_lo[i], t_hi[i], h_lo, h_hi,
                               needs[i])
        # h = max(t, 0): [h >= c] = [t >= c] for c >= 1; c <= 0 is always true
        needs[i - 1] = [None if n is None or n[1] < 1 else (max(n[0], 1), n[1])
                        for n in h_needs]

    builder = CnfBuilder()
    latent = tuple(builder.order_var(list(range(int(lo), int(hi) + 1)))
                   for lo, hi in zip(problem.domain.lower, problem.domain.upper, strict=True))
    h: list[OrderInt] = list(latent)
    h_lo = [int(v) for v in problem.domain.lower]
    h_hi = [int(v) for v in problem.domain.upper]
    phases = dict.fromkeys(("stable_active", "stable_inactive", "unstable"), 0)
    pre: dict[int, OrderInt] = {}
    outputs: dict[int, OrderInt] = {}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        last = i == net.depth - 1
        nxt: list[OrderInt] = []
        for j in range(w.shape[0]):
            lo, hi = t_lo[i][j], t_hi[i][j]
            if needs[i][j] is None:  # nothing downstream asks: keep only the trivial answers
                nxt.append(OrderInt.constant(max(lo, 0)))
                continue
            label = f"[{i + 1}][{j}]"
            constant = int(b[j])
            terms: list[tuple[OrderInt, int, int]] = []
            for q in np.flatnonzero(w[j]).tolist():
                weight = int(w[j, q])
                term = h[q].scaled(weight)
                term_lo, term_hi = sorted((weight * h_lo[q], weight * h_hi[q]))
                if term_lo == term_hi:
                    constant += term_lo
                else:
                    terms.append((term, term_lo, term_hi))
            t = linear_sum(builder, terms, constant, label, needs[i][j])
            if lo >= 0:
                phases["stable_active"] += 1
            elif hi <= 0:
                phases["stable_inactive"] += 1
            else:
                phases["unstable"] += 1
            if last and net.output_linear:  # a linear head: the output is t itself
                y = t
            else:
                y = encoding.add_unit(builder, t, lo, hi, 0.0, label).y
            nxt.append(y)
            if last:
                pre[j], outputs[j] = t, y
        h = nxt
        h_lo = [max(v, 0) for v in t_lo[i]]
        h_hi = [max(v, 0) for v in t_hi[i]]
    return CompiledNetwork(builder, latent, pre, outputs, phases)
