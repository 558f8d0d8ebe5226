"""Infeasibility certificates (Farkas rays) for the linear systems of one layer.

A layer's pre-image is the polyhedron ::

    P = { h :  A_eq h = b_eq,  A_ub h <= b_ub,  h_j >= 0 for j in N }

(``N`` the non-negative columns: all of them for a hidden ReLU layer, none for the first
layer or a leaky layer). Farkas' lemma: ``P`` is empty exactly when there is a ray
``y = (u, v)``, ``u`` free and ``v >= 0``, with ::

    (A^T y)_j = 0   for free columns,     (A^T y)_j >= 0   for j in N,     b^T y < 0

where ``A = [A_eq; A_ub]`` and ``b = [b_eq; b_ub]``. Indeed for ``h`` in ``P``,
``(A^T y)^T h <= b^T y < 0`` while the sign conditions make ``(A^T y)^T h >= 0``.

In floating point ``A^T y`` is never exactly zero, so :func:`check_farkas_ray` states what
an approximate ray proves. Let ``gap = -b^T y`` and ``violation`` be the sum over columns
of how far ``A^T y`` breaks its sign condition (``|(A^T y)_j|`` on free columns,
``max(0, -(A^T y)_j)`` on ``N``). Every ``h`` in ``P`` satisfies
``-violation * ||h||_inf <= (A^T y)^T h <= -gap``, hence ::

    ||h||_inf >= radius = gap / violation

so the ray proves that no pre-image lies in the ``l_inf`` ball of that radius (and that
there is none at all when ``violation = 0``). A ray is accepted (``verified``) when
``gap > 0`` and ``radius >= min_radius``; the numbers are kept in the certificate.

:func:`find_farkas_ray` computes a ray with an LP of its own (HiGHS through SciPy): the
alternative system with ``y`` boxed to ``[-1, 1]`` (``[0, 1]`` for ``v``), minimising
``b^T y``. It is re-derived from the data, not read from the solver that declared the
primal infeasible, and it is always re-checked by :func:`check_farkas_ray`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reluinv.layerwise.lp import linprog

__all__ = [
    "CERTIFICATE_MIN_RADIUS",
    "FarkasCertificate",
    "check_farkas_ray",
    "find_farkas_ray",
]

FloatArray = npt.NDArray[np.float64]

#: Smallest ``radius`` (see the module docstring) at which an approximate Farkas ray is
#: accepted as a proof of infeasibility: no pre-image with ``||h||_inf`` below it exists.
CERTIFICATE_MIN_RADIUS = 1e6


@dataclass(frozen=True, eq=False)
class FarkasCertificate:
    """A checked Farkas ray for ``A_eq h = b_eq, A_ub h <= b_ub, h_N >= 0``.

    Attributes
    ----------
    ray_eq, ray_ub:
        The multipliers ``u`` (of the equality rows) and ``v >= 0`` (of the inequality rows).
    gap:
        ``-b^T y``; positive for a useful ray.
    violation:
        How far ``A^T y`` breaks its sign conditions, summed over columns.
    radius:
        ``gap / violation`` (``inf`` when the violation is zero): no point of the system
        has ``||h||_inf < radius``.
    min_radius:
        The acceptance threshold used.
    verified:
        ``gap > 0`` and ``radius >= min_radius``.
    """

    ray_eq: FloatArray
    ray_ub: FloatArray
    gap: float
    violation: float
    radius: float
    min_radius: float
    verified: bool


def _stack(
    A_eq: FloatArray, b_eq: FloatArray, A_ub: FloatArray, b_ub: FloatArray, n: int
) -> tuple[FloatArray, FloatArray]:
    A = np.vstack([A_eq.reshape(b_eq.size, n), A_ub.reshape(b_ub.size, n)])
    b = np.concatenate([b_eq.ravel(), b_ub.ravel()])
    return A, b


def check_farkas_ray(
    A_eq: FloatArray,
    b_eq: FloatArray,
    A_ub: FloatArray,
    b_ub: FloatArray,
    nonneg: npt.NDArray[np.bool_],
    ray_eq: FloatArray,
    ray_ub: FloatArray,
    *,
    min_radius: float = CERTIFICATE_MIN_RADIUS,
) -> FarkasCertificate:
    """Check a candidate ray against the data (see the module docstring).

    A negative entry in ``ray_ub`` is not allowed by the lemma; it is clipped to zero
    before checking, so a sloppy ray can only lose strength, never prove too much.

    >>> A_eq = np.array([[1.0], [1.0]]); b_eq = np.array([0.0, 1.0])   # h = 0 and h = 1
    >>> cert = check_farkas_ray(A_eq, b_eq, np.zeros((0, 1)), np.zeros(0),
    ...                         np.array([False]), np.array([1.0, -1.0]), np.zeros(0))
    >>> cert.verified, cert.gap, cert.radius
    (True, 1.0, inf)
    """
    n = int(nonneg.shape[0])
    u = np.asarray(ray_eq, dtype=np.float64)
    v = np.maximum(np.asarray(ray_ub, dtype=np.float64), 0.0)
    A, b = _stack(A_eq, b_eq, A_ub, b_ub, n)
    y = np.concatenate([u, v])
    combo = A.T @ y
    gap = float(-(b @ y))
    broken = np.where(nonneg, np.maximum(-combo, 0.0), np.abs(combo))
    violation = float(np.sum(broken))
    if gap <= 0.0:
        radius = 0.0
    elif violation == 0.0:
        radius = float("inf")
    else:
        radius = gap / violation
    return FarkasCertificate(
        ray_eq=u, ray_ub=v, gap=gap, violation=violation, radius=radius,
        min_radius=min_radius, verified=bool(gap > 0.0 and radius >= min_radius),
    )


def find_farkas_ray(
    A_eq: FloatArray,
    b_eq: FloatArray,
    A_ub: FloatArray,
    b_ub: FloatArray,
    nonneg: npt.NDArray[np.bool_],
    *,
    min_radius: float = CERTIFICATE_MIN_RADIUS,
) -> FarkasCertificate | None:
    """Solve the alternative LP ``min b^T y`` over boxed rays and check the result.

    Returns ``None`` when the LP finds no ray with ``b^T y < 0`` (the system may then be
    feasible, or infeasible only by a margin below the solver's tolerances).
    """
    n = int(nonneg.shape[0])
    m_eq, m_ub = b_eq.size, b_ub.size
    A, b = _stack(A_eq, b_eq, A_ub, b_ub, n)
    free = ~nonneg
    # Free columns: (A^T y)_j = 0; non-negative columns: -(A^T y)_j <= 0.
    AT = A.T
    result = linprog(
        b,
        A_ub=-AT[nonneg] if np.any(nonneg) else None,
        b_ub=np.zeros(int(np.sum(nonneg))) if np.any(nonneg) else None,
        A_eq=AT[free] if np.any(free) else None,
        b_eq=np.zeros(int(np.sum(free))) if np.any(free) else None,
        bounds=[(-1.0, 1.0)] * m_eq + [(0.0, 1.0)] * m_ub,
        method="highs",
    )
    if result.status != 0 or result.x is None or float(result.fun) >= 0.0:
        return None
    y = np.asarray(result.x, dtype=np.float64)
    return check_farkas_ray(A_eq, b_eq, A_ub, b_ub, nonneg, y[:m_eq], y[m_eq:],
                            min_radius=min_radius)
