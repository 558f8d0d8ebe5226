"""BLAS on one thread, where the project's dense algebra is too small to gain from more.

numpy's BLAS (OpenBLAS, MKL, ...) starts a thread per core and spins them on every call
above a small size. Two places here lose by it:

* a validation run's workers, each meant to have one core: a multi-threaded BLAS in each
  oversubscribes the cores (measured on two cores at load 2.5, the layer-wise stage of
  100-variable random 3-CNF reductions: median 0.119 s with OpenBLAS's two threads,
  0.016 s with one);
* the layer-wise inversion of a reduction's network inside a check: its least-squares
  solves are too small to gain from threads and lose badly when the cores are busy
  (100-variable random 3-CNF, in one process: median 0.03 s with one thread against
  0.09 s with two on an idle two-core machine, 0.03-0.07 s against 4.5-5.9 s with other
  work on both cores).

``threadpoolctl`` does the work: it finds the loaded BLAS libraries and sets their thread
counts (a call costs about 0.5 ms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadpoolctl import threadpool_limits

__all__ = ["one_blas_thread"]


def one_blas_thread() -> threadpool_limits:
    """Limit BLAS to one thread: for the rest of the process when the result is ignored,
    for a block when it is used as a context manager (``with one_blas_thread(): ...``
    restores the previous limits on exit). ``threadpoolctl`` is imported on the first call
    (60 ms that ``import reluinv`` need not pay)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
