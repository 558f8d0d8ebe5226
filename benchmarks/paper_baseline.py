"""The paper's layer-wise l_inf inversion with epsilon inflation, as a baseline.

A port, from the description in Lei, Jalal, Dhillon and Dimakis, *Inverting Deep
Generative Models, One Layer at a Time* (NeurIPS 2019), of the noisy layer-wise inverter:
one linear program per layer, from the observation down to the latent code, each layer's
constraints widened by a tolerance ``eps`` that is inflated until the LP is feasible.

**One layer.** Write ``y`` for the (noisy) output of layer ``i`` and ``h`` for its
unknown input (``h_{i-1}``). Suppose ``y = s(W h* + b) + e`` with ``||e||_inf <= eps``.
Then the pre-activation ``p_j = w_j h* + b_j`` of every row lies in an interval that
only ``y_j`` and ``eps`` determine:

* ReLU, ``y_j > eps``: the unit is active (``s(p_j) = y_j - e_j > 0``), so
  ``y_j - eps <= p_j <= y_j + eps``;
* ReLU, ``y_j <= eps``: ``s(p_j) = y_j - e_j <= y_j + eps``, so ``p_j <= y_j + eps``
  (nothing from below);
* LeakyReLU(alpha), ``y_j > eps``: ``y_j - eps <= p_j <= y_j + eps``; ``y_j < -eps``:
  ``(y_j - eps)/alpha <= p_j <= (y_j + eps)/alpha``; ``|y_j| <= eps``: the sign is
  unknown and the union of both cases gives ``(y_j - eps)/alpha <= p_j <= y_j + eps``;
* a linear output layer: ``y_j - eps <= p_j <= y_j + eps``;
* below a ReLU layer the unknown is itself a ReLU output: ``h >= 0``.

The layer's LP is the feasibility problem ``lo_j(eps) <= w_j h + b_j <= hi_j(eps)`` (and
``h >= 0``); ``h*`` satisfies it whenever ``eps >= ||e||_inf``. The threshold between the
active and the inactive reading of a ReLU row is ``eps`` itself: the smallest one the
noise bound justifies.

**Noise-free data** (level 0): the paper's exact LP, ``eps = 0`` with the activity
threshold ``tau = 1e-9 * max(1, ||y||_inf)`` (its realizable threshold): equalities on the
active rows, ``p_j <= y_j`` (at most ``tau``) on the others. Should rounding make that LP
infeasible, ``eps`` is inflated from ``tau`` as below.

**Epsilon inflation.** The noise a hidden layer carries is the error of the layer above's
estimate, which nobody knows; the paper handles it by inflating ``eps`` until the LP is
feasible. Here ``eps`` starts, on the output layer, at the stated noise level, on every
lower layer at the final ``eps`` of the layer above, and is multiplied by
``INFLATION = 2`` until the LP is feasible (at most ``MAX_INFLATIONS`` times; then the
inversion fails). The threshold of a ReLU row is ``max(eps, tau)``. The LP has no
objective: any point of the polyhedron is the layer's answer (a vertex, from HiGHS's
simplex). The LPs go to HiGHS through :func:`scipy.optimize.linprog` (``method="highs"``),
the solver ``reluinv`` used when this baseline was written.

What is the paper's and what is this port's: the per-layer LP under an l_inf bound, the
threshold at the noise level, ``h >= 0`` below ReLU layers and inflating ``eps`` until
the LP is feasible are the paper's; the interval form for LeakyReLU rows with ``|y_j| <=
eps``, the starting points and the factor 2 are choices made here (a factor 2 brackets
the smallest feasible ``eps`` within a factor 2 at a logarithmic number of LPs).

This is a benchmark baseline, not a library function: it returns the code and the ``eps``
sequence and certifies nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

from reluinv import ReluNetwork

FloatArray = npt.NDArray[np.float64]

#: ``eps`` is multiplied by this after every infeasible LP.
INFLATION = 2.0
#: Inflations per layer before giving up (``2^60`` covers any float scale).
MAX_INFLATIONS = 60
#: The realizable activity threshold ``tau``, relative to ``max(1, ||y||_inf)``.
REALIZABLE_TAU = 1e-9


@dataclass(frozen=True)
class BaselineResult:
    """``z`` (``None`` when a layer stayed infeasible after ``MAX_INFLATIONS``), the final
    ``eps`` of every layer (output layer first), the number of LPs solved, seconds."""

    z: FloatArray | None
    eps: tuple[float, ...]
    lps: int
    seconds: float


def interval(y: FloatArray, eps: float, kind: str, slope: float,
             tau: float = 0.0) -> tuple[FloatArray, FloatArray]:
    """``(lo, hi)`` bounds on the pre-activation ``p = W h + b`` (module docstring).
    ``kind``: ``"relu"``, ``"leaky"`` or ``"linear"``; ``tau``: the smallest threshold of
    a ReLU row (the threshold is ``max(eps, tau)``)."""
    if kind == "linear":
        return y - eps, y + eps
    if kind == "relu":
        active = y > max(eps, tau)
        return np.where(active, y - eps, -np.inf), y + eps
    lo = np.where(y > eps, y - eps, (y - eps) / slope)
    hi = np.where(y < -eps, (y + eps) / slope, y + eps)
    return lo, hi


def solve_layer(W: FloatArray, b: FloatArray, lo: FloatArray, hi: FloatArray,
                nonneg: bool) -> FloatArray | None:
    """A point of ``{h : lo <= W h + b <= hi, h >= 0 if nonneg}``, or ``None`` when HiGHS
    reports the set empty (or fails)."""
    n = W.shape[1]
    two = np.isfinite(lo)
    A_ub = np.vstack([W, -W[two]])
    b_ub = np.concatenate([hi - b, -(lo[two] - b[two])])
    bounds = (0.0, None) if nonneg else (None, None)
    result = linprog(np.zeros(n), A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if result.status != 0:
        return None
    h = np.asarray(result.x, dtype=np.float64)
    return np.maximum(h, 0.0) if nonneg else h


def invert_paper(network: ReluNetwork, x: npt.ArrayLike, noise_level: float) -> BaselineResult:
    """Invert ``network`` at ``x`` layer by layer with epsilon inflation.

    ``noise_level``: the stated ``||e||_inf`` bound (the starting ``eps`` of the output
    layer); ``0`` for noise-free data.
    """
    started = time.perf_counter()
    y = np.asarray(x, dtype=np.float64)
    eps = float(noise_level)
    leaky = network.activation == "leaky_relu"
    slope = network.slope if leaky else 0.0
    found: list[float] = []
    lps = 0
    for i in range(network.depth, 0, -1):
        W = np.asarray(network.weights[i - 1], dtype=np.float64)
        b = np.asarray(network.biases[i - 1], dtype=np.float64)
        kind = ("linear" if i == network.depth and network.output_linear
                else "leaky" if leaky else "relu")
        nonneg = i >= 2 and not leaky
        tau = REALIZABLE_TAU * max(1.0, float(np.max(np.abs(y), initial=0.0)))
        h = None
        for _ in range(MAX_INFLATIONS + 1):
            lo, hi = interval(y, eps, kind, slope, tau)
            lps += 1
            h = solve_layer(W, b, lo, hi, nonneg)
            if h is not None:
                break
            eps = tau if eps == 0.0 else eps * INFLATION
        found.append(eps)
        if h is None:
            return BaselineResult(None, tuple(found), lps, time.perf_counter() - started)
        y = h
    return BaselineResult(y, tuple(found), lps, time.perf_counter() - started)
