"""What a latent code says about the formula a problem was reduced from.

An inversion answer ``z`` of ``encode(F)`` reads back as a 0/1 assignment by
:func:`~reluinv.reduction.construction.decode` (clamp into ``[0, 1]``, round at ``1/2``).
Its *falsified weight* is the total weight of the clauses of ``F`` that the assignment
falsifies (a hard clause counts ``1 + soft total``, as the encoder weighs it). By lemma L1,
on a binary ``z`` it equals ``||G(z) - x||_1``; by L4, rounding a real ``z`` never makes it
larger than the l1 loss. So an optimal l1 inversion decodes to a MaxSAT optimum, and a
pre-image decodes to a satisfying assignment (falsified weight 0, lemma L2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy.typing as npt

from reluinv.data.network import Exact
from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidTypeError
from reluinv.reduction.construction import decode

__all__ = ["decoded_solution"]


def decoded_solution(
    problem: InversionProblem, z: Sequence[Exact] | npt.ArrayLike
) -> dict[str, Any] | None:
    """The assignment ``z`` stands for and the weight it falsifies, or ``None``.

    Parameters
    ----------
    problem:
        An inversion problem; only one made by :func:`reluinv.encode` (which keeps its
        formula) has an assignment to decode. A problem loaded from a file does not carry
        its formula (only its hash), nor does one built by hand: ``None`` then.
    z:
        A latent code of shape ``(k,)`` (floats, ints or ``Fraction`` values).

    Returns
    -------
    dict or None
        ``{"assignment": [a_1, ..., a_k], "falsified_weight": w}`` with ``a_v`` in
        ``{0, 1}`` the value of variable ``v`` and ``w`` an ``int``; ``None`` when the
        problem has no formula.

    >>> from reluinv.data.formula import parse_dimacs
    >>> from reluinv.reduction.construction import encode
    >>> p = encode(parse_dimacs("p cnf 2 3\\n1 2 0\\n-1 0\\n-2 0\\n"))
    >>> decoded_solution(p, [1, 0])
    {'assignment': [1, 0], 'falsified_weight': 1}
    """
    if not isinstance(problem, InversionProblem):
        raise InvalidTypeError(
            f"problem must be a reluinv.InversionProblem, got {type(problem).__name__}")
    if problem.formula is None:
        return None
    assignment = decode(problem, z)
    return {"assignment": list(assignment),
            "falsified_weight": problem.formula.falsified(assignment)}
