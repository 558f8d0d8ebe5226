"""The reduction in the verification community's terms: a network and a VNN-LIB property
whose verdict is exactly a formula's satisfiability, and the recognition of such pairs.

A verifier asks ``exists x in [l, u] with N(x) in S?`` (:mod:`reluinv.data.vnnlib`). Two
encodings of a CNF formula ``F`` (variables ``1..k``, clauses ``C_1..C_m``) make that
question equivalent to "is ``F`` satisfiable?"; both are built from the reduction's own
units (:mod:`reluinv.reduction.construction`): the literal values ``val(v) = x_v``,
``val(-v) = 1 - x_v``, the clause unit ``ReLU(1 - sum val)`` of lemma L1 and the
binary-forcing pair ``a_v = ReLU(2 x_v - 1)``, ``b_v = ReLU(1 - 2 x_v)`` of lemma L3.
Weights are ignored: every clause must hold (a weighted formula is read as its clauses).

``real_latent``: the reduction itself
    ``N = encode(F, latent="real", box=(0, 1)).network`` (two ReLU layers, ``k -> 4k ->
    m + k``), input box ``[0, 1]^k``, and the output condition ``Y = x`` for the
    reduction's target ``x = (0, ..., 0, lam, ..., lam)``, written as ``Y_j <= x_j`` and
    ``Y_j >= x_j``. **Lemma L3** (binary forcing) makes the verdict exact: ``N(z) = x``
    iff ``z`` is binary and satisfies ``F``. It is robust to rounding: every weight, bias
    and target is a small integer (exact in float32), a satisfying vertex meets the
    condition exactly, and on an unsatisfiable ``F`` every ``z`` in the box misses the
    target by at least ``2 lam / (w + 2 lam) >= 2 / (w + 2)`` in some output (``w`` the
    widest clause: if ``round(z)`` falsifies ``C``, the clause output is at least
    ``1 - D`` with ``D`` the summed distance of ``C``'s variables to their rounded values,
    and some gadget output misses ``lam`` by ``2 lam d`` with ``d >= D / w``).

``cnf_embedding``: one hidden layer (Gemm, Relu, Gemm), the VNN-COMP style
    Hidden units ``a_v``, ``b_v`` (``v = 1..k``) then ``c_j = ReLU(1 - sum_{l in C_j}
    val(l))`` (``j = 1..m``, a repeated literal counts twice, as in the reduction); one
    linear output::

        Y_0 = sum_j c_j + sum_v (1 - a_v - b_v)        (bias k, weights +1 and -1)

    Input box ``[0, 1]^k``; output condition ``Y_0 <= 1/2``. On the box ``1 - a_v - b_v =
    1 - |2 x_v - 1| = 2 dist(x_v, {0, 1}) >= 0``. **Lemma E1 (gap)**: for ``x`` in the box,
    ``Y_0(x) = 0`` when ``x`` is a satisfying vertex, and ``Y_0(x) >= 1`` whenever
    ``round(x)`` falsifies a clause. Proof: if ``round(x)`` falsifies ``C``, each literal of
    ``C`` has ``val = d_v``, the distance of ``x_v`` to its rounded value, so ``c_C >= 1 -
    D`` with ``D`` the sum of those ``d_v`` (a repeated literal counts twice), while the
    forcing terms give ``2 sum_v d_v >= D``; the total is at least ``1``. So ``min Y_0`` is
    ``0`` when ``F`` is satisfiable (at a model) and at least ``1`` when it is not:
    ``F`` is satisfiable iff some ``x`` has ``Y_0 <= 1/2``, with a margin of ``1/2`` on
    both sides. Weights and biases are integers of size at most ``max(k, 2 max_v occ)``, so
    float32 evaluation errs by far less than that margin for any practical ``k`` and ``m``.

:func:`recognise` inverts both encodings: it reads a formula off a network and a property
and accepts it only when re-encoding that formula reproduces every weight, bias, box
bound and output constraint exactly, so the recognition is itself checked and a
refutation of the recognised formula is a refutation of the property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice
from reluinv.data.formula import Formula, FormulaLike, as_formula
from reluinv.data.network import ReluNetwork
from reluinv.data.vnnlib import OutputPolytope, Property
from reluinv.reduction.construction import encode

__all__ = [
    "ENCODINGS",
    "EncodingName",
    "Recognition",
    "cnf_embedding",
    "encoded_entries",
    "real_latent",
    "recognise",
    "witness_input",
]

EncodingName = Literal["cnf_embedding", "real_latent"]
#: The threshold of the CNF embedding's output condition ``Y_0 <= 1/2`` (lemma E1).
CNF_EMBEDDING_THRESHOLD = 0.5


def _plain(formula: FormulaLike) -> Formula:
    f = as_formula(formula)
    return Formula(f.num_vars, f.clauses)


def cnf_embedding(formula: FormulaLike) -> tuple[ReluNetwork, Property]:
    """The one-hidden-layer embedding of ``formula`` and its property (module docstring,
    lemma E1): satisfiable iff the property is ``sat``.

    >>> from reluinv.data.formula import parse_dimacs
    >>> net, prop = cnf_embedding(parse_dimacs("p cnf 2 2\\n1 2 0\\n-1 0\\n"))
    >>> net.sizes, net.forward([0.0, 1.0]).tolist(), net.forward([1.0, 1.0]).tolist()
    ((2, 6, 1), [0.0], [1.0])
    """
    f = _plain(formula)
    k, m = f.num_vars, f.num_clauses
    W1 = np.zeros((2 * k + m, k), dtype=np.int64)
    b1 = np.zeros(2 * k + m, dtype=np.int64)
    for v in range(k):
        W1[v, v], b1[v] = 2, -1  # a_v = ReLU(2 x_v - 1)
        W1[k + v, v], b1[k + v] = -2, 1  # b_v = ReLU(1 - 2 x_v)
    for j, clause in enumerate(f.clauses):
        row = 2 * k + j
        b1[row] = 1
        for literal in clause:  # val(v) = x_v, val(-v) = 1 - x_v
            if literal > 0:
                W1[row, literal - 1] -= 1
            else:
                W1[row, -literal - 1] += 1
                b1[row] -= 1
    W2 = np.concatenate([-np.ones(2 * k, dtype=np.int64), np.ones(m, dtype=np.int64)])
    net = ReluNetwork([W1, W2.reshape(1, -1)], [b1, np.array([k], dtype=np.int64)],
                      output_activation="linear")
    prop = Property(np.zeros(k), np.ones(k),
                    (OutputPolytope(np.ones((1, 1)), np.array([CNF_EMBEDDING_THRESHOLD])),), 1)
    return net, prop


def real_latent(formula: FormulaLike, *, lam: int | None = None) -> tuple[ReluNetwork,
                                                                            Property]:
    """The reduction ``encode(F, latent="real", box=(0, 1))`` as a network and the property
    ``Y = x`` over ``[0, 1]^k`` (module docstring, lemma L3).

    >>> from reluinv.data.formula import parse_dimacs
    >>> net, prop = real_latent(parse_dimacs("p cnf 1 1\\n1 0\\n"))
    >>> net.sizes, prop.disjuncts[0].b.tolist()
    ((1, 4, 2), [0.0, 1.0, 0.0, -1.0])
    """
    f = _plain(formula)
    problem = encode(f, latent="real", lam=lam, box=(0.0, 1.0))
    n = problem.network.output_dim
    target = problem.target
    A = np.concatenate([np.eye(n), -np.eye(n)])
    b = np.concatenate([target, -target]) + 0.0  # no -0.0
    return problem.network, Property(np.zeros(f.num_vars), np.ones(f.num_vars),
                                     (OutputPolytope(A, b),), n)


ENCODINGS: dict[EncodingName, Callable[[Formula], tuple[ReluNetwork, Property]]] = {
    "cnf_embedding": cnf_embedding,
    "real_latent": real_latent,
}


def encoded_entries(encoding: EncodingName, num_vars: int, num_clauses: int) -> int:
    """The weight entries of the dense network ``encoding`` makes of a formula with
    ``num_vars`` variables and ``num_clauses`` clauses (ONNX stores every entry):
    ``(2k + m)(k + 1)`` for the CNF embedding (sizes ``k, 2k + m, 1``), ``4k (2k + m)``
    for the real-latent reduction (sizes ``k, 4k, m + k``).

    >>> encoded_entries("cnf_embedding", 7, 30), encoded_entries("real_latent", 7, 30)
    (352, 1232)
    """
    check_choice(encoding, "encoding", tuple(ENCODINGS))
    k, m = int(num_vars), int(num_clauses)
    if encoding == "cnf_embedding":
        return (2 * k + m) * (k + 1)
    return 4 * k * (2 * k + m)


def witness_input(assignment: tuple[int, ...] | list[int]) -> npt.NDArray[np.float64]:
    """The input ``x`` of a 0/1 assignment in either encoding: ``x_v = assignment[v-1]``."""
    return np.asarray(assignment, dtype=np.float64)


@dataclass(frozen=True)
class Recognition:
    """A network and property recognised as an encoding of ``formula`` (re-encoding it
    reproduced every number exactly)."""

    encoding: EncodingName
    formula: Formula


def _integer(value: float) -> int | None:
    return int(value) if float(value).is_integer() else None


def _clause_from_row(coefficients: npt.NDArray[np.float64]) -> tuple[int, ...] | None:
    """Literals of a clause unit ``1 - sum val``: coefficient ``-c`` on ``x_v`` is ``c``
    copies of ``v``, ``+c`` is ``c`` copies of ``-v``. (A clause holding ``v`` and ``-v``
    cancels to a row that re-encodes differently, so it is never recognised.)"""
    literals: list[int] = []
    for v in np.flatnonzero(coefficients).tolist():
        count = _integer(coefficients[v])
        if count is None:
            return None
        literals += [v + 1] * (-count) if count < 0 else [-(v + 1)] * count
    return tuple(literals)


def _recognise_cnf(network: ReluNetwork) -> Formula | None:
    k = network.latent_dim
    sizes = network.sizes
    if len(sizes) != 3 or sizes[2] != 1 or sizes[1] < 2 * k or not network.output_linear:
        return None
    W1 = np.asarray(network.weights[0], dtype=np.float64)
    clauses = []
    for row in range(2 * k, sizes[1]):
        clause = _clause_from_row(W1[row])
        if clause is None:
            return None
        clauses.append(clause)
    return Formula(k, tuple(clauses))


def _recognise_real(network: ReluNetwork) -> Formula | None:
    k = network.latent_dim
    sizes = network.sizes
    if len(sizes) != 3 or sizes[1] != 4 * k or sizes[2] < k or network.output_linear:
        return None
    m = sizes[2] - k
    W2 = np.asarray(network.weights[1], dtype=np.float64)
    b2 = np.asarray(network.biases[1], dtype=np.float64)
    clauses = []
    for j in range(m):
        literals: list[int] = []
        for unit in np.flatnonzero(W2[j]).tolist():
            count = _integer(-W2[j, unit])
            if count is None or count < 0 or unit >= 2 * k:
                return None
            literal = unit + 1 if unit < k else -(unit - k + 1)  # inverse of literal_unit
            literals += [literal] * count
        clauses.append(tuple(literals))
    if any(b2[j] != 1.0 for j in range(m)):
        return None
    return Formula(k, tuple(clauses))


def _lam(network: ReluNetwork) -> int | None:
    k = network.latent_dim
    if k == 0:
        return None
    m = network.output_dim - k
    return _integer(float(network.weights[1][m, 2 * k]))


def recognise(network: ReluNetwork, prop: Property) -> Recognition | None:
    """The formula ``network`` and ``prop`` encode (either encoding of the module
    docstring), or ``None``.

    A formula is read off the clause units, re-encoded, and accepted only when the
    re-encoded network equals ``network`` in every weight, bias and activation and the
    re-encoded property equals ``prop`` in every bound and constraint; so a recognised
    pair *is* the encoding of the formula returned, whatever its origin.

    >>> from reluinv.data.formula import parse_dimacs
    >>> f = parse_dimacs("p cnf 3 2\\n1 -2 0\\n2 2 3 0\\n")
    >>> recognise(*cnf_embedding(f)).formula.clauses
    ((1, -2), (2, 2, 3))
    >>> recognise(*real_latent(f)).encoding
    'real_latent'
    """
    if not isinstance(network, ReluNetwork) or not isinstance(prop, Property):
        return None
    if network.activation != "relu" or network.latent_dim < 1:
        return None
    formula = _recognise_cnf(network)
    if formula is not None and cnf_embedding(formula) == (network, prop):
        return Recognition("cnf_embedding", formula)
    formula = _recognise_real(network)
    lam = _lam(network) if formula is not None else None
    if formula is not None and lam is not None and lam >= 1:
        try:
            again = real_latent(formula, lam=lam)
        except ValueError:
            return None
        if again == (network, prop):
            return Recognition("real_latent", formula)
    return None
