"""A CNF encoding of one pseudo-Boolean constraint ``sum_i w_i x_i <= K``.

We use the *sequential weight counter* (Hölldobler, Manthey and Steinke, 2012). Items are
pairs ``(x_i, w_i)`` of a literal and a positive integer weight, taken in order
``i = 0..n-1``. For every item and every ``j = 1..K`` a fresh variable ``s[i][j]`` means
"the weight of the true literals among ``x_0..x_i`` is at least ``j``" (the clauses force it
true when that holds; it may be true otherwise, which only makes the encoding stricter for
the solver, never for the constraint):

* ``x_i -> s[i][j]``                           for ``j = 1..w_i``       (the item alone)
* ``s[i-1][j] -> s[i][j]``                     for ``j = 1..K``         (carry the prefix)
* ``x_i and s[i-1][j] -> s[i][j + w_i]``       for ``j = 1..K - w_i``   (add the item)
* ``not (x_i and s[i-1][K + 1 - w_i])``                                  (overflow)

An item with ``w_i > K`` can never be true and becomes the unit clause ``-x_i``; with
``K = 0`` every item does. The encoding has ``n' K`` auxiliary variables and ``O(n' K)``
clauses for the ``n'`` remaining items, and it is *exact*: an assignment of the ``x_i``
extends to a model of the clauses if and only if ``sum_i w_i x_i <= K``. Unit propagation
finds the overflow, so a solver's refutation of "at most K" stays checkable by RUP.
"""

from __future__ import annotations

from collections.abc import Sequence

from reluinv.errors import InvalidArgumentError

__all__ = ["atmost_weighted"]


def atmost_weighted(
    literals: Sequence[int], weights: Sequence[int], bound: int, *, top_id: int
) -> tuple[list[list[int]], int]:
    """Clauses for ``sum_i weights[i] * literals[i] <= bound``; fresh variables after ``top_id``.

    Parameters
    ----------
    literals:
        Non-zero literals ``x_i`` (a literal counts when it is true).
    weights:
        One positive integer weight per literal.
    bound:
        The non-negative bound ``K``.
    top_id:
        The largest variable in use; auxiliary variables are ``top_id + 1, ...``.

    Returns
    -------
    clauses, top_id
        The clauses and the new largest variable.

    Examples
    --------
    >>> clauses, top = atmost_weighted([1, 2], [1, 1], 1, top_id=2)
    >>> clauses, top
    ([[-1, 3], [-2, 4], [-3, 4], [-2, -3]], 4)
    """
    if len(literals) != len(weights):
        raise InvalidArgumentError(
            f"literals has {len(literals)} entries and weights {len(weights)}; one weight "
            "per literal"
        )
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise InvalidArgumentError(f"bound must be a non-negative int, got {bound!r}")
    for i, (literal, weight) in enumerate(zip(literals, weights, strict=True)):
        if literal == 0:
            raise InvalidArgumentError(f"literals[{i}] is 0; literals are non-zero")
        if weight <= 0:
            raise InvalidArgumentError(f"weights[{i}] = {weight}; weights must be positive")
    clauses: list[list[int]] = []
    items: list[tuple[int, int]] = []
    for literal, weight in zip(literals, weights, strict=True):
        if weight > bound:
            clauses.append([-literal])
        else:
            items.append((literal, weight))
    if not items:
        return clauses, top_id

    previous: list[int] = []  # previous[j - 1] is s[i-1][j]
    for i, (x, w) in enumerate(items):
        current = list(range(top_id + 1, top_id + bound + 1))
        top_id += bound
        clauses.extend([-x, current[j - 1]] for j in range(1, w + 1))
        if i > 0:
            clauses.extend([-previous[j - 1], current[j - 1]] for j in range(1, bound + 1))
            clauses.extend(
                [-x, -previous[j - 1], current[j + w - 1]] for j in range(1, bound - w + 1)
            )
            clauses.append([-x, -previous[bound - w]])
        previous = current
    return clauses, top_id
