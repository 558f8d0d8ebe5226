"""A hidden layer's infeasibility, re-proved against the rounding of its computed input.

The layer-wise inverter reports ``NO_PREIMAGE`` when a layer's system has no solution
(a checked Farkas ray) and the layer's input was *forced*: it is the observation, or every
layer above was pinned (its active rows have full column rank, so its pre-image is
unique). Below the observation, though, the input is a *computed* pre-image ``h``, exact
only up to rounding, and a ray for the system read from ``h`` proves nothing about the
system of the true ``h*``: at scale ``1e8`` a unit that is zero in ``h*`` comes out as
``1e-8``, is read as an active equality, and the system turns infeasible although ``x``
is realizable. This module proves the infeasibility again, for every input within a
rigorous bound of ``h``.

*The bound* (:func:`input_error_bound`). Suppose ``x`` has a pre-image. On the
observation's layer ``d`` the true input is ``x`` itself (error ``E_d = 0``). On a pinned
layer ``i`` whose input ``y`` is known within ``E_i`` (elementwise), take the rows read as
equalities, ``A`` (``W_A`` of full column rank): for ReLU the rows with ``y_j > tau``,
each required to be *surely* active, ``y_j > E_ij`` (else the reading itself is in doubt
and nothing is claimed); for leaky ReLU every row, with targets ``t = s^{-1}(y)`` known
within ``E_i / alpha``; for a linear head every row. The true ``h*`` solves ``W_A h* + b_A
= t*`` and the computed ``h`` solves it up to its residual ``r``, so with ``P = W_A^+``
(``P W_A = I``) ::

    |h - h*| <= |P| (|t - t*| + |r| + rounding) <= E_{i-1} = 2 |P~| (...)

elementwise, ``rounding = 4 (n + 1) eps (|W_A| |h| + |b_A| + |t|)`` covering the float
evaluation of ``r``, and ``P~`` the pseudo-inverse as computed (from an SVD): its relative
error is about ``cond(W_A) eps``, below ``1 / max(m, n)`` wherever the rank cutoff calls
``W_A`` of full rank, and the factor 2 covers it. (A hidden ``h`` clipped at zero only
moves towards ``h* >= 0``.)

*The relaxed system* (:func:`relaxed_system`) of the failing layer contains every system
that an input within ``E`` of ``y`` can give: a ReLU row surely active (``y_j > E_j``)
becomes the band ``t_j - E_j <= w_j h + b_j <= t_j + E_j``; any other row ``w_j h + b_j <=
max(y_j, 0) + E_j`` (inactive, or active at a value below that); leaky rows the band of
``s^{-1}`` with ``E / alpha``. A checked Farkas ray of the relaxed system
(:func:`~reluinv.layerwise.farkas.find_farkas_ray`) proves that no input within the bound
has a pre-image of norm below the ray's radius, hence ``NO_PREIMAGE``; without one the
answer is ``INCONCLUSIVE``. Both run only when a hidden layer fails, never on the way to a
recovered code.

*Far pre-images.* A ray whose ``A^T y`` is not exactly zero rules out the pre-images of
norm below its radius ``R`` only. When the surely active rows pin the layer,
:func:`pre_image_reach` bounds every pre-image, and a ray reaching past it is a proof.
When they do not, a pre-image may lie beyond ``R``: ``x = (1, 0, 1)`` from ``W = [[1, 0],
[0, -1e-9], [1, 0]]``, ``b = (0, 1, 0)`` needs ``z_2 >= 1e9``; HiGHS reads ``-1e-9`` as
zero, calls the layer infeasible, and the ray of radius ``1e9`` was taken for a proof that
no code maps to ``x``. So the far side is examined (:func:`far_pre_images_ruled_out`): a
point ``h`` of the relaxed system ``A h <= c`` with ``||h||_inf = t >= R`` gives a
direction ``d = h / t`` with ``||d||_inf = 1`` and ``A d <= max(c, 0) / R``; one checked
Farkas ray per coordinate ``j`` and sign ``s`` shows that no such ``d`` has ``d_j = s``
(those systems lie in the unit box, so a ray of radius above 1 is a proof; with ``h >= 0``
one ray does, for ``d = h / sum(h)`` on the simplex); with the ray below ``R`` they rule
out every pre-image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reluinv.layerwise.farkas import FarkasCertificate, find_farkas_ray

__all__ = ["RECESSION_TEST_MAX_UNKNOWNS", "LayerReading", "far_pre_images_ruled_out",
           "input_error_bound", "refute_within_rounding", "relaxed_system"]

FloatArray = npt.NDArray[np.float64]
_EPS = float(np.finfo(np.float64).eps)
#: The far side of a ray (module docstring, *Far pre-images*) takes one LP on a layer whose
#: input is ``>= 0``, two per unknown on one whose input is free; a free input with more
#: unknowns than this is not examined, and the layer's refutation not claimed.
RECESSION_TEST_MAX_UNKNOWNS = 100


@dataclass(frozen=True)
class LayerReading:
    """One layer as the inverter read it: ``W``, ``b`` (observed rows only on the last
    layer), its input ``y``, the activity threshold ``tau`` and the activation ``kind``
    (``"relu"``, ``"leaky"`` with ``slope``, or ``"linear"`` for a linear head)."""

    W: FloatArray
    b: FloatArray
    y: FloatArray
    tau: float
    kind: str
    slope: float = 0.0


def _bands_of(layer: LayerReading, error: FloatArray
              ) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
    """Per row of ``layer`` with its input known within ``error``: whether the row is
    surely active (``y_j > E_j`` for ReLU, every row of a leaky or linear layer), the centre
    of its band (``s^{-1}(y)``) and its half-width (``E``, ``E / alpha`` for leaky)."""
    y = layer.y
    if layer.kind == "relu":
        return y > error, y, error
    every = np.ones(y.shape, dtype=bool)
    if layer.kind == "leaky":
        return every, np.where(y >= 0.0, y, y / layer.slope), error / layer.slope
    return every, y, error


def _left_inverse(A: FloatArray) -> FloatArray | None:
    """``A^+`` (``A^+ A = I``) when ``A`` has full column rank by NumPy's ``lstsq`` cutoff
    on its singular values, else ``None``."""
    m, n = A.shape
    if n == 0:
        return np.zeros((0, m))
    if m < n:
        return None
    U, sigma, Vt = np.linalg.svd(A, full_matrices=False)
    if not float(sigma[-1]) > float(sigma[0]) * max(m, n) * _EPS:
        return None
    return np.asarray((Vt.T / sigma) @ U.T, dtype=np.float64)


def _targets(layer: LayerReading, error: FloatArray
             ) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray] | None:
    """The equality rows of ``layer`` (ReLU: those read as active, ``y_j > tau``), their
    targets and the targets' error bound; ``None`` when a row read as active is not surely
    active within ``error``."""
    sure, centre, spread = _bands_of(layer, error)
    rows = layer.y > layer.tau if layer.kind == "relu" else sure
    if np.any(rows & ~sure):
        return None
    return rows, centre[rows], spread[rows]


def input_error_bound(above: Sequence[LayerReading], computed: Sequence[FloatArray],
                      observation_error: float = 0.0) -> FloatArray | str:
    """The bound ``E`` (module docstring) on the error of ``computed[-1]``, the input of
    the layer below ``above[-1]``; ``above[0]`` is the observation's layer, its input known
    within ``observation_error`` (the realizable tolerance: a code whose output is that
    close to ``x`` counts as a pre-image), and ``computed[k]`` the pre-image found for
    ``above[k]``. A string says why no bound holds (a layer not pinned, or a reading in
    doubt)."""
    error = np.full(above[0].y.shape, observation_error)
    for layer, h in zip(above, computed, strict=True):
        read = _targets(layer, error)
        if read is None:
            return (f"a row of layer input read as active lies within its rounding bound "
                    f"{float(error.max(initial=0.0)):.3g}")
        rows, target, target_error = read
        A, b = layer.W[rows], layer.b[rows]
        n = int(A.shape[1])
        P = _left_inverse(A)
        if P is None:
            return "a layer above is not pinned by its active rows"
        residual = np.abs(A @ h + b - target)
        rounding = 4.0 * (n + 1) * _EPS * (np.abs(A) @ np.abs(h) + np.abs(b) + np.abs(target))
        error = 2.0 * (np.abs(P) @ (target_error + residual + rounding))
    return error


def relaxed_system(layer: LayerReading, error: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(A_ub, b_ub)``: every system an input within ``error`` of ``layer.y`` can give,
    as inequalities ``A_ub h <= b_ub`` (module docstring)."""
    W, b = layer.W, layer.b
    sure, centre, spread = _bands_of(layer, error)
    upper = np.where(sure, centre, np.maximum(layer.y, 0.0)) + spread - b
    return (np.vstack([W, -W[sure]]),
            np.concatenate([upper, b[sure] - centre[sure] + spread[sure]]))


def refute_within_rounding(
    above: Sequence[LayerReading], computed: Sequence[FloatArray], failing: LayerReading,
    *, nonneg: bool, radius: float, observation_error: float = 0.0,
) -> tuple[FarkasCertificate | None, str]:
    """A checked Farkas ray of the failing layer's relaxed system (module docstring), or
    ``None`` and why not. With ``above`` empty the failing layer is the observation's,
    widened by ``observation_error`` alone."""
    bound = (input_error_bound(above, computed, observation_error) if above
             else np.full(failing.y.shape, observation_error))
    if isinstance(bound, str):
        return None, bound
    A_ub, b_ub = relaxed_system(failing, bound)
    n = int(failing.W.shape[1])
    ray = find_farkas_ray(np.zeros((0, n)), np.zeros(0), A_ub, b_ub, np.full(n, nonneg),
                          min_radius=radius)
    widest = float(bound.max(initial=0.0))
    if ray is None or not ray.verified:
        return None, (f"no checked Farkas ray for the layer's system widened by {widest:.3g}, "
                      "the tolerance and rounding bound of its input")
    reach = pre_image_reach(failing, bound)
    if reach is not None and not ray.radius > reach:
        return None, (f"the checked Farkas ray rules out pre-images below {ray.radius:.3g} "
                      f"only, while the layer's equations allow some up to {reach:.3g}")
    if reach is None and math.isfinite(ray.radius):  # not pinned: the far side too
        below = f"the checked Farkas ray rules out pre-images below {ray.radius:.3g} only"
        if not nonneg and n > RECESSION_TEST_MAX_UNKNOWNS:
            return None, (f"{below}, and the layer's {n} free unknowns are more than the "
                          f"{RECESSION_TEST_MAX_UNKNOWNS} whose larger pre-images are examined")
        if not far_pre_images_ruled_out(A_ub, b_ub, nonneg, ray.radius):
            return None, f"{below}, and the layer's rows do not rule out larger ones"
    return ray, f"it holds for every input within {widest:.3g} of it"


def far_pre_images_ruled_out(A: FloatArray, c: FloatArray, nonneg: bool,
                             radius: float) -> bool:
    """Whether ``{h : A h <= c}`` (``h >= 0`` when ``nonneg``) has no point with ``||h||_inf
    >= radius``, shown by checked Farkas rays of radius above 1 (module docstring, *Far
    pre-images*) for systems of directions ``d`` with ``A d <= max(c, 0) / radius``
    (rounded up), each within the unit box.

    With ``h >= 0`` one system holds every direction: ``d = h / sum(h)`` lies on the
    simplex ``d >= 0, sum(d) = 1`` (``sum(h) >= ||h||_inf >= radius``): one LP. Otherwise
    one system per coordinate ``j`` and sign ``s``, ``d_j = s`` in the box ``|d| <= 1``
    (``d = h / ||h||_inf``): ``2n`` LPs, ``False`` as soon as one has no ray."""
    n = int(A.shape[1])
    if n == 0:
        return True
    slack = np.maximum(c, 0.0) / radius * (1.0 + 4.0 * _EPS)
    if nonneg:
        ray = find_farkas_ray(np.ones((1, n)), np.ones(1), A, slack, np.ones(n, dtype=bool),
                              min_radius=2.0)
        return ray is not None and ray.verified
    unit = np.eye(n)
    rows = np.vstack([A, unit, -unit])
    bounds = np.concatenate([slack, np.ones(2 * n)])
    for j in range(n):
        for sign in (1.0, -1.0):
            ray = find_farkas_ray(unit[j:j + 1], np.array([sign]), rows, bounds,
                                  np.zeros(n, dtype=bool), min_radius=2.0)
            if ray is None or not ray.verified:
                return False
    return True


def pre_image_reach(layer: LayerReading, error: FloatArray) -> float | None:
    """A bound on ``||h||_inf`` over every ``h`` of the relaxed system when its surely
    active rows ``A`` (every row for leaky and linear layers) have full column rank: such
    an ``h`` is ``A^+ c`` with ``|c - (t - b)| <= E`` on those rows, so ``||h||_inf <=
    ||A^+||_inf (||t - b||_inf + ||E||_inf)``; ``None`` when they do not pin ``h``. A ray
    whose radius exceeds it refutes every pre-image, not only the small ones (on ``x =
    W z`` with ``cond(W) = 1e12`` the only pre-image has norm ``1e9``, and a ray of radius
    ``1e9`` refuted the small ones alone)."""
    sure, centre, spread = _bands_of(layer, error)
    pinv = _left_inverse(layer.W[sure]) if layer.W.shape[1] else None
    if pinv is None:
        return None
    offset = centre[sure] - layer.b[sure]
    return 2.0 * float(np.abs(pinv).sum(axis=1).max()) * (
        float(np.abs(offset).max(initial=0.0)) + float(spread[sure].max(initial=0.0)))
