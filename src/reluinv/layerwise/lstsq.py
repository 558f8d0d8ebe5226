"""Least squares on a layer's rows: the normal equations when they are safe, LAPACK's
rank-revealing QR otherwise.

Every realizable layer solves ``A h = r`` in the least-squares sense, ``A`` the layer's
active rows (``m x n``); the answer is then judged on the data by the caller, never by
this module. Two routes give the same answer:

*Normal equations, corrected* (:func:`normal_lstsq`; the corrected semi-normal equations
of Björck, *Numerical Methods for Least Squares Problems*, section 6.6.5). For a tall
``A`` (``m >= n``): ``R^T R = A^T A`` by Cholesky, ``h = R^{-1} R^{-T} A^T r``, then one
refinement step ``h += R^{-1} R^{-T} A^T (r - A h)``. For a wide ``A`` (``m < n``) the
minimum-norm point: ``R^T R = A A^T``, ``h = A^T R^{-1} R^{-T} r``, refined the same way.
One refinement step makes the answer as accurate as a QR solve while ``cond(A)`` is far
below ``1 / sqrt(eps)`` (about ``7e7``); the route is taken only when LAPACK's estimate
of ``1 / cond(R) = 1 / cond(A)`` (``dtrcon``, 1-norm) is at least
``NORMAL_EQUATIONS_RCOND``, and then ``A`` has full rank ``min(m, n)``: the QR route's
rank cutoff (``cond`` about ``1e13`` and more) is eight orders of magnitude away, so the
two routes never disagree on the rank.

*Rank-revealing QR* (:func:`qr_lstsq`): LAPACK's ``dgelsy`` (QR with column pivoting, the
rank read from the triangular factor with NumPy's ``lstsq`` cutoff ``eps * max(m, n)``),
the minimum-norm least-squares point of a rank-deficient or ill-conditioned ``A``. It
replaced NumPy's SVD-based ``gelsd``: the same answer on full-rank blocks in 0.35-0.4x of
the time on the digits decoders' 50 x 40 blocks.

Measured on Gaussian blocks, one BLAS thread, ``normal_lstsq`` time over ``dgelsy``'s
(same process, best of five): 0.79 (30 x 20), 0.53 (67 x 60), 0.33 (32 x 60, wide),
0.39 (130 x 60), 0.27 (400 x 100), 0.24 (600 x 200), 0.46 (300 x 300), 0.39
(2000 x 1000); the solutions agreed to 1e-15 (4e-13 on the square 300 x 300).

*Memory* (:func:`lstsq_rows`, rows chosen from a weight matrix ``W``): the tall route
accumulates ``A^T A`` over chunks of ``ROW_CHUNK`` rows and applies ``A`` and ``A^T``
through ``W`` itself, so the active block is never copied; its extra memory is the
``n x n`` Gram matrix and one chunk, where the QR route copies the ``m x n`` block once in
Fortran order (:func:`rows_fortran`) and factorises it in place.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.linalg import lapack

__all__ = [
    "NORMAL_EQUATIONS_RCOND",
    "ROW_CHUNK",
    "factored_step",
    "lstsq_rows",
    "newton_step",
    "normal_lstsq",
    "qr_lstsq",
    "rank_and_lstsq",
    "rows_fortran",
    "safely_full_column_rank",
    "step_factor",
]

FloatArray = npt.NDArray[np.float64]

#: The normal equations are used when ``1 / cond(A)``, as estimated by ``dtrcon`` on the
#: Cholesky factor, is at least this; otherwise the QR route. At ``cond(A) = 1e5`` the
#: first solve's relative error is about ``eps cond^2 = 2e-6`` and the refinement step
#: multiplies it by about the same factor.
NORMAL_EQUATIONS_RCOND = 1e-5
#: Below this largest diagonal entry a Gram matrix goes to the QR route: ``tiny / eps``.
_SUBNORMAL_GRAM = float(np.finfo(np.float64).tiny / np.finfo(np.float64).eps)
#: Rows per chunk when a Gram matrix or a block copy is built from chosen rows of ``W``.
ROW_CHUNK = 256


def _representable(gram: FloatArray) -> bool:
    """Whether ``gram`` is non-empty and its largest diagonal entry above ``tiny / eps``
    (:func:`_well_conditioned_cholesky`); NaN is not."""
    return bool(gram.size and gram.diagonal().max() > _SUBNORMAL_GRAM)


def _well_conditioned_cholesky(gram: FloatArray, *,
                               representable: bool = True) -> FloatArray | None:
    """The upper Cholesky factor ``R`` of ``gram`` (overwritten), or ``None`` when it has
    none, ``1 / cond(R)`` is below ``NORMAL_EQUATIONS_RCOND``, or ``gram`` lies where
    float64 loses relative precision (its diagonal below ``tiny / eps``: entries of ``A``
    about ``1e-154`` and smaller, whose products are subnormal and whose rounding can make
    a rank-deficient block look well conditioned). ``representable=False`` skips that last
    test, as :func:`newton_step` does (only an empty ``gram`` is refused then)."""
    if not (_representable(gram) if representable else gram.size):
        return None
    factor, info = lapack.dpotrf(gram, lower=0, clean=1, overwrite_a=1)
    if info != 0:
        return None
    rcond, info = lapack.dtrcon(factor)
    if info != 0 or not rcond >= NORMAL_EQUATIONS_RCOND:  # NaN refuses too
        return None
    return np.asarray(factor, dtype=np.float64)


def _cholesky_solve(factor: FloatArray, rhs: FloatArray) -> FloatArray:
    return np.asarray(lapack.dpotrs(factor, rhs)[0], dtype=np.float64)


def _well_conditioned_solve(gram: FloatArray, rhs: FloatArray) -> FloatArray | None:
    """``gram^{-1} rhs`` when the Cholesky factor of ``gram`` (overwritten) exists and passes
    the ``NORMAL_EQUATIONS_RCOND`` test, else ``None``: the factorisation and the solve in
    one LAPACK call (``dposv``). Unlike :func:`_well_conditioned_cholesky` it does not test
    that ``gram`` is representable: it serves :func:`newton_step`, whose step is only a
    proposal that the next round checks, never an answer or a rank."""
    if not gram.size:
        return None
    factor, solution, info = lapack.dposv(gram, rhs, 0, 1)
    if info != 0:
        return None
    rcond, info = lapack.dtrcon(factor)
    if info != 0 or not rcond >= NORMAL_EQUATIONS_RCOND:
        return None
    return np.asarray(solution, dtype=np.float64)


def normal_lstsq(
    gram: FloatArray,
    times: Callable[[FloatArray], FloatArray],
    adjoint: Callable[[FloatArray], FloatArray],
    rhs: FloatArray,
    *,
    wide: bool,
) -> FloatArray | None:
    """The least-squares point of ``A h = rhs`` by the corrected normal equations (module
    docstring), or ``None`` when ``A`` is not safely of full rank.

    ``A`` enters through ``gram`` (``A^T A`` when tall, ``A A^T`` when ``wide``; it is
    overwritten), ``times(h) = A h`` and ``adjoint(r) = A^T r``. A tall ``A`` gives its
    unique least-squares point, a wide one the minimum-norm solution.
    """
    factor = _well_conditioned_cholesky(gram)
    if factor is None:
        return None
    if wide:
        h = adjoint(_cholesky_solve(factor, rhs))
        h += adjoint(_cholesky_solve(factor, rhs - times(h)))
    else:
        h = _cholesky_solve(factor, adjoint(rhs))
        h += _cholesky_solve(factor, adjoint(rhs - times(h)))
    return h


def safely_full_column_rank(A: FloatArray) -> bool:
    """Whether ``A`` (``m x n``, ``m >= n``) passes the normal equations' test of
    :func:`rank_and_lstsq` (the Cholesky factor of ``A^T A`` exists and is well
    conditioned), which then reports the rank ``n`` without the QR route."""
    return A.shape[0] >= A.shape[1] and _well_conditioned_cholesky(A.T @ A) is not None


def newton_step(A: FloatArray, residual: FloatArray) -> FloatArray | None:
    """``A^+ residual`` when ``A`` is safely of full rank (the Cholesky factor of ``A^T A``,
    or of ``A A^T`` for a wide ``A``, passes the ``NORMAL_EQUATIONS_RCOND`` test), else
    ``None``; not refined. A tall ``A`` gives the least-squares step, a wide one the step
    of least norm, ``A^T (A A^T)^{-1} residual``.

    The step of an iteration ``u <- u - A^+ (A u - rhs)``: its fixed point ``A^T (A u -
    rhs) = 0`` does not depend on the step's accuracy, which only sets how fast it is
    reached, so the refinement of :func:`normal_lstsq` would be wasted.
    """
    if A.shape[0] < A.shape[1]:
        multipliers = _well_conditioned_solve(A @ A.T, residual)
        return None if multipliers is None else A.T @ multipliers
    return _well_conditioned_solve(A.T @ A, A.T @ residual)


def step_factor(A: FloatArray) -> FloatArray | None:
    """What :func:`newton_step` factorises for ``A``, kept for many right-hand sides: the
    upper Cholesky factor of ``A^T A`` (of ``A A^T`` when ``A`` is wide) when it passes the
    ``NORMAL_EQUATIONS_RCOND`` test, else ``None``. :func:`factored_step` with it gives
    :func:`newton_step`'s answer, bit for bit (LAPACK's ``dposv`` is ``dpotrf`` then
    ``dpotrs``)."""
    return _well_conditioned_cholesky(A @ A.T if A.shape[0] < A.shape[1] else A.T @ A,
                                      representable=False)


def factored_step(A: FloatArray, factor: FloatArray, residual: FloatArray) -> FloatArray:
    """:func:`newton_step` ``(A, residual)`` from ``factor = step_factor(A)`` (not ``None``):
    two triangular solves and the products with ``A``, no factorisation."""
    if A.shape[0] < A.shape[1]:
        return np.asarray(A.T @ _cholesky_solve(factor, residual), dtype=np.float64)
    return _cholesky_solve(factor, A.T @ residual)


def qr_lstsq(A: FloatArray, rhs: FloatArray, n: int, *,
             overwrite: bool = False) -> tuple[int, FloatArray]:
    """Numerical rank of ``A`` and its minimum-norm least-squares solution of ``A h = rhs``
    by ``dgelsy`` (module docstring). With ``overwrite`` and a Fortran-ordered ``A`` (see
    :func:`rows_fortran`) the factorisation overwrites ``A`` and no copy is made."""
    m = int(A.shape[0])
    if m == 0 or n == 0:
        return 0, np.zeros(n)
    a = A if overwrite and A.flags.f_contiguous else np.array(A, dtype=np.float64, order="F")
    b = np.zeros(max(m, n))
    b[:m] = rhs
    cutoff = float(np.finfo(np.float64).eps) * max(m, n)
    lwork = int(lapack.dgelsy_lwork(m, n, 1, cutoff)[0])
    _, x, _, rank, info = lapack.dgelsy(a, b, np.zeros(n, dtype=np.int32), cutoff,
                                        lwork=max(lwork, 1), overwrite_a=1, overwrite_b=1)
    if info != 0:  # LAPACK refused its arguments: NumPy's SVD-based solver instead
        solution, _, svd_rank, _ = np.linalg.lstsq(np.asarray(A), rhs, rcond=None)
        return int(svd_rank), np.asarray(solution, dtype=np.float64)
    return int(rank), np.array(x[:n], dtype=np.float64)


def rank_and_lstsq(A: FloatArray, rhs: FloatArray, n: int, *,
                   overwrite: bool = False) -> tuple[int, FloatArray]:
    """Numerical rank of ``A`` (``m x n``) and its minimum-norm least-squares solution of
    ``A h = rhs``: the normal equations when they are safe, else ``dgelsy`` (module
    docstring; ``overwrite`` as in :func:`qr_lstsq`)."""
    m = int(A.shape[0])
    if m == 0 or n == 0:
        return 0, np.zeros(n)
    wide = m < n
    gram = A @ A.T if wide else A.T @ A
    h = normal_lstsq(gram, A.__matmul__, A.T.__matmul__, rhs, wide=wide)
    if h is not None:
        return min(m, n), h
    return qr_lstsq(A, rhs, n, overwrite=overwrite)


def rows_fortran(W: FloatArray, rows: npt.NDArray[np.bool_]) -> FloatArray:
    """``W[rows]`` in Fortran order, copied in chunks of rows: one copy of the block (LAPACK
    then works in place), where ``np.asfortranarray(W[rows])`` would hold two."""
    index = np.flatnonzero(rows)
    block = np.empty((index.size, W.shape[1]), order="F")
    for first in range(0, index.size, ROW_CHUNK):
        chunk = index[first:first + ROW_CHUNK]
        block[first:first + chunk.size] = W[chunk]
    return block


def lstsq_rows(W: FloatArray, rows: npt.NDArray[np.bool_],
               rhs: FloatArray) -> tuple[int, FloatArray]:
    """:func:`rank_and_lstsq` on the block ``W[rows]`` (module docstring, *Memory*): a
    block of more than ``ROW_CHUNK`` rows is never copied on the normal-equations route,
    only on the QR route."""
    index = np.flatnonzero(rows)
    m, n = int(index.size), int(W.shape[1])
    if m == 0 or n == 0:
        return 0, np.zeros(n)
    if m <= ROW_CHUNK or m < n:  # the block is no larger than a chunk or the Gram matrix
        return rank_and_lstsq(W[index], rhs, n)
    gram = np.zeros((n, n))
    for first in range(0, m, ROW_CHUNK):
        block = W[index[first:first + ROW_CHUNK]]
        gram += block.T @ block

    def times(h: FloatArray) -> FloatArray:
        return np.asarray(W @ h, dtype=np.float64)[index]

    def adjoint(r: FloatArray) -> FloatArray:
        spread = np.zeros(W.shape[0])
        spread[index] = r
        return np.asarray(spread @ W, dtype=np.float64)

    h = normal_lstsq(gram, times, adjoint, rhs, wide=False)
    if h is not None:
        return n, h
    return qr_lstsq(rows_fortran(W, rows), rhs, n, overwrite=True)
