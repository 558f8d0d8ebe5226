"""The reduction MAX-3SAT -> inverting a two-layer ReLU network.

Let ``F`` have variables ``1..k`` and clauses ``C_1..C_m`` with positive integer weights
``w_j`` (see :mod:`reluinv.data.formula` for how hard clauses are weighted). The encoder builds
``G(z) = ReLU(W_2 ReLU(W_1 z + b_1) + b_2)`` with integer weights and the target ``x = 0``:

Layer 1, the *literal layer* (``2k`` units, in this order)::

    p_v = ReLU(z_v)          v = 1..k     (row e_v,  bias 0)
    q_v = ReLU(1 - z_v)      v = 1..k     (row -e_v, bias 1)

On a binary ``z`` these are exactly the values of the literals ``v`` and ``-v``.

Layer 2, the *clause layer* (``m`` units)::

    u_j = ReLU(w_j * (1 - sum of the literal units of C_j))

(a duplicated literal counts twice). On a binary ``z``, ``u_j = w_j`` when ``C_j`` is
falsified and ``0`` when it is satisfied, so ``||G(z) - 0||_1`` is the weight of the
falsified clauses (lemma L1) and ``G(z) = 0`` exactly when ``z`` satisfies ``F`` (L2).

The real-latent variant (``latent="real"``) adds the *binary-forcing gadget*: per variable
two more literal-layer units and one more output::

    a_v = ReLU(2 z_v - 1),  b_v = ReLU(1 - 2 z_v)      (layer 1, units 2k..4k-1)
    g_v = ReLU(lam * (a_v + b_v)) = lam * |2 z_v - 1|   (layer 2, outputs m..m+k-1)

with target ``lam`` on ``g_v``. Then ``G(z) = x`` forces ``|2 z_v - 1| = 1`` on every
coordinate, i.e. ``z`` binary (L3), and with integer ``lam >= max_v occ(v) / 2`` clamping
and rounding a real ``z`` never increases the l1 loss (L4), so the real-latent minimum is
the MaxSAT cost too. The latent domain of that variant is a real box (``[-1, 2]^k`` by
default) that strictly contains the cube, so the gadget, not the box, does the forcing.

Sizes (pinned by the tests). Write ``d_j`` for the number of *distinct* literals of
``C_j`` (a duplicated literal is one unit with coefficient ``-2 w_j``; ``v`` and ``-v`` are
two units). Then

::

    variant   latent   hidden units   outputs   non-zero weights (biases not counted)
    binary    k        2k             m         2k + sum_j d_j
    real      k        4k             m + k     6k + sum_j d_j

so a 3-CNF gives at most ``3m + 2k`` (binary) or ``3m + 6k`` (real) non-zero weights: the
map is polynomial. An exact inverter composed with :func:`decode` therefore solves
MAX-3SAT, which makes inverting two ReLU layers NP-hard. Clauses of any width are encoded
the same way (the clause layer does not care); problems record the largest width and the
number of clauses wider than 3 in their metadata, so a non-3-CNF input is visible.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from reluinv.arguments import check_zero_one
from reluinv.data.formula import Formula, FormulaLike, as_formula
from reluinv.data.network import DENSE_ENTRY_LIMIT, Exact, ReluNetwork, exact_vector
from reluinv.data.problem import InversionProblem, LatentDomain
from reluinv.errors import InvalidArgumentError, ShapeError

__all__ = [
    "MAX_ENCODABLE_WEIGHT",
    "REAL_LATENT_BOX",
    "decode",
    "encode",
    "encoding_problem",
    "lam_lower_bound",
    "lift",
    "literal_unit",
    "occurrences",
]

LatentKind = Literal["binary", "real"]

#: The default latent box of the real variant: it strictly contains the cube [0, 1]^k.
REAL_LATENT_BOX: tuple[float, float] = (-1.0, 2.0)

#: The largest ``w_j * |C_j|`` the encoder accepts: it keeps every weight, bias and
#: pre-activation of the network on the cube (and on the default box) far inside int64, and
#: the l1 loss of a binary point an exact integer in float64 for any practical ``m``.
MAX_ENCODABLE_WEIGHT = 2**40


def literal_unit(literal: int, num_vars: int) -> int:
    """The index in the literal layer of the unit that carries ``literal``:
    ``v - 1`` for ``p_v`` and ``k + v - 1`` for ``q_v`` (``literal = -v``)."""
    return literal - 1 if literal > 0 else num_vars + (-literal) - 1


def occurrences(formula: Formula) -> list[int]:
    """``occ(v)`` for ``v = 1..k`` (index ``v - 1``): the sum over clauses of ``w_j`` times the
    number of occurrences of ``v`` or ``-v`` in ``C_j`` (duplicates count twice)."""
    occ = [0] * formula.num_vars
    for clause, weight in zip(formula.clauses, formula.clause_weights(), strict=True):
        for literal in clause:
            occ[abs(literal) - 1] += weight
    return occ


def lam_lower_bound(formula: Formula) -> int:
    """The smallest gadget constant L4 allows: ``max(1, ceil(max_v occ(v) / 2))``.

    ``lam >= 1`` is needed as well: with ``lam = 0`` the gadget outputs are always 0 and
    force nothing. Computed in integers, ``ceil(a / 2) = (a + 1) // 2``, so that no
    occurrence count is rounded (``occ = 2^54 + 2`` gives ``2^53 + 1``).
    """
    return max(1, (max(occurrences(formula), default=0) + 1) // 2)


def encoding_problem(formula: FormulaLike, latent: LatentKind = "binary") -> str | None:
    """Why :func:`encode` must refuse ``formula`` for ``latent`` with its default ``lam``
    (``None`` when it can encode it): the rule a weight breaks, in one line.

    The network is exact only while every weight, bias and pre-activation stays an integer
    that int64 and float64 hold exactly: ``w_j * |C_j| <= MAX_ENCODABLE_WEIGHT`` for every
    clause and, on the real latent, ``lam = max(1, ceil(max_v occ(v) / 2))`` at most the
    same bound. A caller that answers the formula's own questions (SAT, MaxSAT) can ask
    first and report the reduction as not applicable.

    >>> from reluinv.data.formula import parse_dimacs
    >>> encoding_problem(parse_dimacs("p cnf 1 1\\n1 0\\n")) is None
    True
    >>> encoding_problem(parse_dimacs(f"p wcnf 1 1 {2**50}\\n{2**41} 1 0\\n"))[:32]
    'clause weight x width reaches 21'
    """
    formula = as_formula(formula)
    widest = max((len(c) for c in formula.clauses), default=0)
    largest = max(formula.clause_weights(), default=0) * max(widest, 1)
    if largest > MAX_ENCODABLE_WEIGHT:
        return (f"clause weight x width reaches {largest} > MAX_ENCODABLE_WEIGHT = "
                f"{MAX_ENCODABLE_WEIGHT}; the integer network would not be exact in "
                "int64/float64")
    if latent == "real" and lam_lower_bound(formula) > MAX_ENCODABLE_WEIGHT:
        return (f"lam (the L4 bound max occ(v) / 2) = {lam_lower_bound(formula)} > "
                f"MAX_ENCODABLE_WEIGHT = {MAX_ENCODABLE_WEIGHT} (2^40); the gadget outputs "
                "lam * |2 z_v - 1| would not be exact in float64")
    return None


def encode(
    formula: FormulaLike,
    latent: LatentKind = "binary",
    *,
    lam: int | None = None,
    box: tuple[float, float] | None = None,
    sparse: bool | None = None,
) -> InversionProblem:
    """Turn ``formula`` into an inversion problem (see the module docstring).

    Parameters
    ----------
    formula:
        The (weighted, partial) CNF formula.
    latent:
        ``"binary"``: latent domain ``{0,1}^k``. ``"real"``: latent domain the real box
        ``box``, with the binary-forcing gadget.
    lam:
        The gadget constant of the real variant; default :func:`lam_lower_bound`. A smaller
        positive value is accepted (to exhibit L4's failure) and recorded.
    box:
        ``(lo, hi)`` of the real variant's latent box, default :data:`REAL_LATENT_BOX`; it
        must contain ``[0, 1]``. Only for ``latent="real"`` (the binary domain has no box).
    sparse:
        Store the weight matrices as ``scipy.sparse`` CSR arrays (``True``) or dense
        arrays (``False``); default (``None``): CSR exactly when the dense matrices would
        have more than :data:`~reluinv.data.network.DENSE_ENTRY_LIMIT` entries.

    Raises
    ------
    InvalidArgumentError
        On an unknown ``latent``, a ``lam`` or ``box`` given to the binary variant, a
        non-positive or non-integer ``lam``, a box that misses ``[0, 1]``, or weights or a
        ``lam`` so large that the integer network could overflow int64 or stop being exact
        in float64 (``> MAX_ENCODABLE_WEIGHT``).

    >>> from reluinv.data.formula import parse_dimacs
    >>> p = encode(parse_dimacs("p cnf 2 2\\n1 2 0\\n-1 0\\n"))
    >>> p.network.sizes, p.loss([1, 0]), p.loss([0, 1])
    ((2, 4, 2), 1.0, 0.0)
    """
    formula = as_formula(formula)
    if latent not in ("binary", "real"):
        raise InvalidArgumentError(f"latent must be 'binary' or 'real', got {latent!r}")
    k, m = formula.num_vars, formula.num_clauses
    weights = formula.clause_weights()
    real = latent == "real"
    if not real and (lam is not None or box is not None):
        given = "lam" if lam is not None else "box"
        raise InvalidArgumentError(f"{given} only applies to latent='real'")
    widest = max((len(c) for c in formula.clauses), default=0)
    too_heavy = encoding_problem(formula)  # the weight rule (lam is checked below)
    if too_heavy is not None:
        raise InvalidArgumentError(too_heavy)
    if sparse is not None and not isinstance(sparse, bool):
        raise InvalidArgumentError(f"sparse must be True, False or None, got {sparse!r}")
    hidden = 4 * k if real else 2 * k
    outputs = m + k if real else m
    lam_value: int | None = None
    if real:
        lam_value = lam_lower_bound(formula) if lam is None else lam
        if isinstance(lam_value, bool) or not isinstance(lam_value, int | np.integer):
            raise InvalidArgumentError(f"lam must be a positive integer, got {lam_value!r}")
        lam_value = int(lam_value)
        if lam_value < 1:
            raise InvalidArgumentError(f"lam must be a positive integer, got {lam_value}")
        if lam_value > MAX_ENCODABLE_WEIGHT:
            given = "lam" if lam is not None else "lam (the L4 bound max occ(v) / 2)"
            raise InvalidArgumentError(
                f"{given} = {lam_value} > MAX_ENCODABLE_WEIGHT = {MAX_ENCODABLE_WEIGHT} "
                "(2^40); the gadget outputs lam * |2 z_v - 1| would not be exact in float64")
        lo, hi = (float(b) for b in (box if box is not None else REAL_LATENT_BOX))
        if not (lo <= 0.0 and hi >= 1.0):
            raise InvalidArgumentError(f"box must contain [0, 1], got ({lo}, {hi})")
        domain = LatentDomain.box(k, lo, hi)
    else:
        domain = LatentDomain.binary(k)
    use_sparse = (hidden * k + outputs * hidden > DENSE_ENTRY_LIMIT) if sparse is None \
        else sparse

    # layer 1: p_v = ReLU(z_v), q_v = ReLU(1 - z_v) [, a_v = ReLU(2 z_v - 1), b_v = ReLU(1 - 2 z_v)]
    var = np.arange(k, dtype=np.int64)
    blocks = 4 if real else 2
    w1_rows = np.arange(blocks * k, dtype=np.int64)
    w1_cols = np.tile(var, blocks)
    w1_vals = np.repeat(np.array([1, -1, 2, -2][:blocks], dtype=np.int64), k)
    b1 = np.repeat(np.array([0, 1, -1, 1][:blocks], dtype=np.int64), k)

    # layer 2: u_j = ReLU(w_j (1 - sum of the literal units of C_j)) [, g_v = lam (a_v + b_v)]
    widths = np.fromiter((len(c) for c in formula.clauses), dtype=np.int64, count=m)
    literals = np.fromiter(itertools.chain.from_iterable(formula.clauses), dtype=np.int64,
                           count=int(widths.sum()))
    clause_weight = np.asarray(weights, dtype=np.int64).reshape(m)
    w2_rows = np.repeat(np.arange(m, dtype=np.int64), widths)
    w2_cols = np.where(literals > 0, literals - 1, k - literals - 1)  # literal_unit
    w2_vals = -np.repeat(clause_weight, widths)
    b2 = np.zeros(outputs, dtype=np.int64)
    b2[:m] = clause_weight
    target: npt.NDArray[Any] = np.zeros(outputs, dtype=np.int64)
    if real:
        assert lam_value is not None
        w2_rows = np.concatenate([w2_rows, m + var, m + var])
        w2_cols = np.concatenate([w2_cols, 2 * k + var, 3 * k + var])
        w2_vals = np.concatenate([w2_vals, np.full(2 * k, lam_value, dtype=np.int64)])
        target[m:] = lam_value

    def assemble(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64],
                 vals: npt.NDArray[np.int64], shape: tuple[int, int]) -> Any:
        matrix = sp.coo_array((vals, (rows, cols)), shape=shape)  # duplicates are summed
        return matrix.tocsr() if use_sparse else matrix.toarray()

    W1 = assemble(w1_rows, w1_cols, w1_vals, (hidden, k))
    W2 = assemble(w2_rows, w2_cols, w2_vals, (outputs, hidden))

    network = ReluNetwork([W1, W2], [b1, b2], "relu")
    metadata: dict[str, object] = {
        "num_vars": k,
        "num_clauses": m,
        "max_clause_width": widest,
        "clauses_wider_than_3": sum(len(c) > 3 for c in formula.clauses),
        "weighted": formula.is_weighted,
        "num_hard": formula.num_hard,
    }
    if real:
        metadata["lam_lower_bound"] = lam_lower_bound(formula)
    return InversionProblem(
        network=network,
        target=target,
        domain=domain,
        latent=latent,
        formula=formula,
        lam=lam_value,
        metadata=metadata,
    )


def _latent_size(problem: InversionProblem) -> int:
    return problem.network.latent_dim


def decode(problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike) -> tuple[int, ...]:
    """The 0/1 assignment a latent code stands for: clamp ``z`` into ``[0, 1]`` and round
    each coordinate to the nearest of 0 and 1 (``1`` at exactly ``1/2``). Variable ``v`` is
    at index ``v - 1``. On a binary ``z`` this is ``z`` itself; by L4 it never increases the
    l1 loss of a real-latent reduction.

    The comparison with ``1/2`` is exact: ``z`` may hold floats, ints or ``Fraction`` values
    (a ``Fraction`` just below ``1/2`` rounds to 0 even where its float would be ``0.5``).

    >>> from reluinv.data.formula import parse_dimacs
    >>> from fractions import Fraction
    >>> p = encode(parse_dimacs("p cnf 3 0\\n"), latent="real")
    >>> decode(p, [-0.3, Fraction(1, 2), Fraction(10**20 - 1, 2 * 10**20)])
    (0, 1, 0)
    """
    k = _latent_size(problem)
    if isinstance(z, np.ndarray) and z.shape != (k,):
        raise ShapeError(f"z must have shape (k,) = ({k},), got {z.shape}")
    values = exact_vector(z, "z")
    if len(values) != k:
        raise ShapeError(f"z must have shape (k,) = ({k},), got length {len(values)}")
    half = Fraction(1, 2)
    return tuple(int(v >= half) for v in values)


def lift(problem: InversionProblem, assignment: Sequence[int]) -> npt.NDArray[np.float64]:
    """The latent code of a 0/1 assignment: ``z_v = assignment[v - 1]`` (float64)."""
    values = check_zero_one(assignment, "assignment")
    k = _latent_size(problem)
    if len(values) != k:
        raise ShapeError(f"assignment has length {len(values)}, the latent size is k = {k}")
    return np.asarray(values, dtype=np.float64)
