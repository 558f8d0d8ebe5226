"""Least squares on a layer's rows (:mod:`reluinv.layerwise.lstsq`) against NumPy's
SVD-based ``lstsq`` and the planted solution.

Blocks are drawn with a chosen condition number ``10^0 .. 10^12`` (singular values spaced
log-uniformly between 1 and ``1 / cond``, random orthogonal factors), tall and wide, of
full rank or with a few singular values set to zero. The properties:

* the rank is NumPy's;
* on a consistent system ``A h = A x*`` the answer is within ``SLACK * eps * cond`` of
  ``x*`` (tall) or of NumPy's minimum-norm point (wide), relative to its size: the
  accuracy of a backward-stable QR solve, which the corrected normal equations reach and
  the uncorrected ones (error ``eps * cond^2``) do not;
* on an inconsistent system the answer is a least-squares point: its residual norm is
  NumPy's;
* the rows of a weight matrix give the block's answer, chunked Gram matrix or not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reluinv.layerwise import lstsq
from reluinv.layerwise.lstsq import (
    NORMAL_EQUATIONS_RCOND,
    ROW_CHUNK,
    factored_step,
    lstsq_rows,
    newton_step,
    normal_lstsq,
    rank_and_lstsq,
    step_factor,
)

#: Allowed error on a consistent system, in units of ``eps * cond(A)`` (relative).
SLACK = 20.0
EPS = float(np.finfo(np.float64).eps)


def conditioned(rng: np.random.Generator, m: int, n: int, cond: float,
                zeros: int = 0) -> np.ndarray:
    """An ``m x n`` block with singular values from 1 down to ``1 / cond`` (log-spaced),
    the last ``zeros`` of them set to zero."""
    k = min(m, n)
    U = np.linalg.qr(rng.normal(size=(m, k)))[0]
    V = np.linalg.qr(rng.normal(size=(n, k)))[0]
    sigma = np.logspace(0.0, -np.log10(cond), k)
    if zeros:
        sigma[k - zeros:] = 0.0
    return (U * sigma) @ V.T


def route(A: np.ndarray) -> str:
    m, n = A.shape
    wide = m < n
    gram = A @ A.T if wide else A.T @ A
    taken = normal_lstsq(gram, A.__matmul__, A.T.__matmul__, np.zeros(m), wide=wide)
    return "normal equations" if taken is not None else "QR"


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 50), n=st.integers(1, 30),
       log_cond=st.floats(0.0, 12.0), zeros=st.integers(0, 2),
       consistent=st.booleans())
def test_rank_and_lstsq_matches_numpy_and_the_planted_solution(
    seed: int, m: int, n: int, log_cond: float, zeros: int, consistent: bool
) -> None:
    rng = np.random.default_rng(seed)
    zeros = min(zeros, min(m, n) - 1)
    cond = 10.0 ** log_cond
    A = conditioned(rng, m, n, cond, zeros)
    truth = rng.normal(size=n)
    rhs = A @ truth if consistent else A @ truth + rng.normal(size=m)
    taken = route(A)
    rank, h = rank_and_lstsq(A, rhs, n)
    want, _, want_rank, _ = np.linalg.lstsq(A, rhs, rcond=None)
    event(f"{taken}, {'consistent' if consistent else 'inconsistent'}")
    if want_rank == min(m, n) < n:
        event("wide, full row rank")
    if log_cond > -np.log10(NORMAL_EQUATIONS_RCOND) and taken == "normal equations":
        event("normal equations above the nominal condition number")
    assert rank == want_rank
    if rank < min(m, n):  # rank-deficient: another least-squares point, whose residual
        # agrees to about eps * cond of the kept block (pivoted QR and the SVD keep slightly
        # different subspaces): 4.6e-6 relative at cond 1e12 (seed 0, 21 x 20, rank 19)
        assert np.linalg.norm(A @ h - rhs) == pytest.approx(
            np.linalg.norm(A @ want - rhs), rel=max(1e-6, SLACK * EPS * cond), abs=1e-9)
        return
    if consistent:
        reference = truth if m >= n else want
        error = float(np.max(np.abs(h - reference)))
        assert error <= SLACK * EPS * cond * max(1.0, float(np.max(np.abs(reference))))
    else:
        gradient = A.T @ (A @ h - rhs)  # zero at a least-squares point
        assert float(np.max(np.abs(gradient))) <= SLACK * EPS * cond * max(
            1.0, float(np.linalg.norm(rhs)))


@pytest.mark.parametrize("shape", [(40, 20), (20, 40), (20, 20)])
@pytest.mark.parametrize("log_cond", [0, 2, 3, 4, 6, 9])
def test_consistent_systems_are_solved_to_the_accuracy_of_qr(
    shape: tuple[int, int], log_cond: int
) -> None:
    """Seeded counterpart of the property, across the normal-equations range (``cond`` up
    to about ``1 / NORMAL_EQUATIONS_RCOND``) and beyond it: the error on ``A h = A x*`` is
    within ``SLACK * eps * cond``, where the normal equations without their refinement
    step are off by ``eps * cond^2`` (measured 90-220 units at ``cond = 1e3``, about
    800-2100 at ``1e4``)."""
    m, n = shape
    cond = 10.0 ** log_cond
    for seed in range(5):
        rng = np.random.default_rng(seed)
        A = conditioned(rng, m, n, cond)
        truth = rng.normal(size=n)
        rank, h = rank_and_lstsq(A, A @ truth, n)
        reference = truth if m >= n else np.linalg.lstsq(A, A @ truth, rcond=None)[0]
        assert rank == min(m, n)
        error = float(np.max(np.abs(h - reference)))
        assert error <= SLACK * EPS * cond * max(1.0, float(np.max(np.abs(reference))))


def test_the_normal_equations_serve_well_conditioned_blocks_only() -> None:
    """Both routes are exercised: a Gaussian block takes the normal equations, a block of
    condition number 1e9 the QR route (where the squared condition number, 1e18, would
    leave the normal equations with no correct digit)."""
    rng = np.random.default_rng(0)
    assert route(rng.normal(size=(40, 20))) == "normal equations"
    assert route(rng.normal(size=(10, 20))) == "normal equations"
    assert route(conditioned(rng, 40, 20, 1e9)) == "QR"
    assert route(conditioned(rng, 40, 20, 1e9).T) == "QR"


@pytest.mark.parametrize("m", [5, ROW_CHUNK, ROW_CHUNK + 1, 3 * ROW_CHUNK + 7])
@pytest.mark.parametrize("log_cond", [0.0, 9.0])
def test_rows_of_a_weight_matrix_give_the_blocks_answer(m: int, log_cond: float) -> None:
    """``lstsq_rows`` on chosen rows of ``W`` (more than one chunk: a Gram matrix
    accumulated chunk by chunk, ``A`` and ``A^T`` applied through ``W``) against the
    copied block, on both routes."""
    rng = np.random.default_rng(m)
    n = 12
    block = conditioned(rng, m, n, 10.0 ** log_cond)
    W = np.zeros((2 * m, n))
    rows = np.zeros(2 * m, dtype=bool)
    rows[rng.choice(2 * m, size=m, replace=False)] = True
    W[rows] = block
    W[~rows] = rng.normal(size=(m, n))
    truth = rng.normal(size=n)
    rhs = block @ truth + (0.0 if m <= n else rng.normal(scale=0.1, size=m))
    rank, h = lstsq_rows(W, rows, rhs)
    want_rank, want = rank_and_lstsq(block.copy(), rhs, n)
    assert rank == want_rank == min(m, n)
    assert np.allclose(h, want, rtol=1e-9 * 10.0 ** log_cond, atol=1e-12 * 10.0 ** log_cond)


def test_rows_of_a_weight_matrix_are_not_copied_on_the_normal_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above ``ROW_CHUNK`` rows the tall route never builds the block: the QR route, the
    only one that copies it, is not called."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the QR route copied the block")

    monkeypatch.setattr(lstsq, "rows_fortran", refuse)
    rng = np.random.default_rng(1)
    W = rng.normal(size=(3 * ROW_CHUNK, 20))
    rows = rng.random(3 * ROW_CHUNK) < 0.7
    rank, h = lstsq_rows(W, rows, W[rows] @ np.arange(20.0))
    assert rank == 20
    assert np.allclose(h, np.arange(20.0))


def test_the_newton_step_is_the_pseudo_inverse_on_safe_blocks_only() -> None:
    """``newton_step(A, r) = A^+ r`` on a well-conditioned block, tall (the least-squares
    step) or wide (the step of least norm), to the accuracy of the unrefined normal
    equations, ``eps cond^2``; ``None`` on a block of condition number 1e9, tall or wide,
    whose caller then takes the QR route."""
    rng = np.random.default_rng(3)
    A = conditioned(rng, 30, 12, 100.0)
    r = rng.normal(size=30)
    for block, rhs in ((A, r), (A.T, r[:12])):
        step = newton_step(block, rhs)
        assert step is not None
        assert np.allclose(step, np.linalg.lstsq(block, rhs, rcond=None)[0], rtol=0,
                           atol=1e-10)
    assert newton_step(conditioned(rng, 30, 12, 1e9), r) is None
    assert newton_step(conditioned(rng, 30, 12, 1e9).T, r[:12]) is None


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 40), log_cond=st.floats(0.0, 9.0),
       seed=st.integers(0, 2**32 - 1))
def test_a_kept_factor_gives_the_newton_step_bit_for_bit(m: int, n: int, log_cond: float,
                                                         seed: int) -> None:
    """``factored_step(A, step_factor(A), r)`` is ``newton_step(A, r)`` exactly (the
    composed route's start keeps the factor per network and must start where a fresh
    factorisation would), tall and wide; both refuse the same blocks."""
    rng = np.random.default_rng(seed)
    A = conditioned(rng, m, n, 10.0 ** log_cond)
    r = rng.normal(size=m)
    factor = step_factor(A)
    step = newton_step(A, r)
    event("tall" if m >= n else "wide")
    event("refused" if step is None else "factored")
    assert (factor is None) == (step is None)
    if factor is not None and step is not None:
        assert np.array_equal(factored_step(A, factor, r), step)
