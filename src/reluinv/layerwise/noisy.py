"""The noisy layers of the layer-wise inverter: one step of
:func:`~reluinv.layerwise.inverter.invert_layerwise` with ``noise="linf"``, ``"l1"`` or
``"l1_total"`` (the paper's Section 4), its thresholds, and the noise level's estimate.

The observation is ``x = G(z*) + e`` with ``||e||_inf <= delta`` (``linf``) or
``||e||_1 <= delta`` (the l_1 modes), ``delta = noise_bound``. Each layer receives an
estimate ``y`` of its output with a known bound ``delta_i`` on its error (per row for
l_inf, in l_1 norm otherwise; ``delta_d = delta``) and reads every row as a *band* that
the true pre-activation ``p*_j = w_j h* + b_j`` lies in::

    ReLU,  y_j > tau_j (active):     y_j - s  <=  p_j  <=  y_j + s      (two-sided)
    ReLU,  y_j <= tau_j (inactive):                p_j  <=  y_j + s      (one-sided)
    leaky, y_j > tau_j:              y_j - s  <=  p_j  <=  y_j + s
    leaky, y_j < -tau_j:      (y_j - s)/alpha <=  p_j  <=  (y_j + s)/alpha
    leaky, -tau_j <= y_j <= 0: (y_j - s)/alpha <= p_j  <=  y_j + s       (either sign)
    leaky, 0 < y_j <= tau_j:     y_j - c_j s  <=  p_j  <=  y_j + s       (either sign)
    linear head:                     y_j - s  <=  p_j  <=  y_j + s

where ``s`` is the row's misfit and ``c_j`` (between 1 and ``1/alpha``) draws the edge
``min(y_j - s, (y_j - s)/alpha)`` by its chord over ``0 <= s <= delta_{i,j}``
(:func:`_near_zero_lower_scale`). *Thresholds*: in ``linf``, ``tau_j = delta_{i,j}`` (and at
least the caller's ``tau``): an output above its own error bound cannot come from a
negative pre-activation, so a row read as active is truly active, and the true ``h*``
satisfies every band with ``s = delta_{i,j}``. In the l_1 modes one row may carry the
whole budget, which gives no useful per-row threshold; rows are read with the caller's
``tau`` or, without one, ``L1_THRESHOLD_FACTOR * delta_i / n_i`` (three times the mean
noise per row), and the propagation below counts as rigorous only when that threshold is
at least ``delta_i``. A linear head has no threshold to misread (every row is two-sided),
so its reading is certain too, for its least-squares point and its consistency verdict
below; but it hands down the typical size of its error, not the worst case, which on
random decoders was 50-80 times the actual error and, as the next layer's noise level,
read every hidden unit inactive.

*The LPs*, each named for what it minimises (``h >= 0`` on hidden ReLU layers):

- ``linf``: one misfit ``eps`` for all rows, ``s = eps * delta_{i,j} / max_j delta_{i,j}``;
  minimise ``eps`` (the paper's Algorithm 2, with its thresholds following the noise).
- ``l1`` (the paper's LP (6)): one slack ``s_j`` per row; minimise the summed slack of the
  two-sided rows subject to the *budget* ``sum of the one-sided rows' slacks <= delta_i``.
- ``l1_total``: one slack per row, minimise the sum of all of them, no budget.

Below a layer without a finite bound (see *Propagation*) the budget of ``l1`` would be a
guess, and that layer's LP is ``l1_total``'s. Before any LP, when the rows are read with
certainty (always in ``linf`` and on a linear head), the two-sided rows are solved by least
squares when they have full column rank (``h = P (c - b)`` with ``P`` their pseudo-inverse
and ``c`` the activation's inverse at ``y``); on the observation's layer in ``linf``, when
that point's misfit exceeds the stated noise, a few rounds of Lawson's reweighted least
squares (non-negative below a ReLU layer) look for a point within it
(:func:`_reweighted_fit`); the LP runs only when these miss what the noise allows. (Not
below the observation: there the accepted misfit is the propagated worst case, often far
above the actual error, and a point merely within it is a worse estimate than the LP's
minimax one: on 20 x 60 x 784 at uniform noise 1e-2 it cut the successes from 29 to 21 of
30.)

The LP's answer is always re-judged from the data (its misfit recomputed at the point,
never the solver's objective). An l_inf LP that cvxopt ends without certifying (status
``unknown``) keeps cvxopt's last iterate only when that recomputed misfit is within the
accepted one below: the optimum can only be lower, so the layer's verdict is the one the
optimum would give; otherwise HiGHS solves the LP.

*Accepted misfit*: the true ``h*`` is feasible with misfit ``delta_i`` (``eps <= max_j
delta_{i,j}``, or summed slack ``<= delta_i``), so a layer whose chosen point has a larger
misfit (recomputed from the data, never the solver's claim) contradicts the stated noise
bound; it is reported ``consistent=False`` and the inversion cannot be ``RECOVERED``. (An
l_1 layer read with thresholds below its budget may have misread rows, and its misfit
then proves nothing: ``consistent=None``.) LP (6) minimises the two-sided rows' slack
alone and lets the one-sided rows spend the budget, so its optimum's two-sided slack is at
most the truth's but its total may exceed ``delta_i`` (0.276 against 0.274 on a 3 x 10 x
30 net at Gaussian noise 1e-2 whose ``||e||_1`` was the stated bound): its answer is
judged by each of its two sums against ``delta_i``, not by their total.

*Propagation* (the paper's ``(2/c)^j`` growth, with the layer's own conditioning in place
of ``2/c``): with ``A`` the two-sided rows and ``P`` the pseudo-inverse of ``W_A`` (full
column rank: the layer is *pinned*), ``h - h* = P (p_A - p*_A)`` and
``|p_j - p*_j| <= g_j = max(p_j - lower_j, upper_j - p_j)`` with the band taken at
``s = delta_{i,j}``. So ``|h - h*| <= |P| g`` elementwise: that vector is
``delta_{i-1}`` (l_inf), and ``max_col ||P||_1 * (sum_j g_j^0 + delta_i / alpha)`` the l_1
bound (``g^0`` the band at ``s = 0``; ``alpha = 1`` for ReLU). These bounds hold for any
noise within ``delta``; they are worst cases and grow quickly with depth. A layer that is
not pinned (or, in l_1, read with a threshold below ``delta_i``) has no finite bound, and
the thresholds below it follow an estimate instead; a layer below it claims no bound
either (``error_bound = inf``), since its input's level is that estimate (a pinned l_inf
layer under an unpinned one read 0.33 as its bound where its error was 0.34), though the
vector ``|P| g`` still sets the thresholds below. In the l_1 modes, when the two-sided
rows still pin the layer, that estimate is the *typical* size of the error rather than
its worst case: with ``mu = max(misfit, delta_i) / n_i`` the mean noise per row,
``delta_{i-1} = mu sum_k ||P_k||_2`` (``P_k`` the rows of ``P``) is the mean absolute
error ``sum_k E|(P e)_k|`` of ``h`` when the rows' errors are independent Gaussians of mean
absolute value ``mu`` (``(P e)_k`` is then Gaussian with standard deviation ``||P_k||_2``
times theirs). It replaced ``NOISY_TAU_GROWTH`` times the misfit, which spread ten times
the whole l_1 budget of ``n_i`` rows over the ``n_{i-1}`` rows below: with Gaussian noise
1e-2 on 20 x 60 x 300 and no ``tau``, the threshold (``3 delta_{i-1} / n_{i-1}`` = 1.5)
exceeded every hidden unit, every row was read as inactive and ``z = 0`` came back
(0 of 8 recovered; 8 of 8 with the typical size). Otherwise (l_inf, or a layer not pinned)
the threshold below grows heuristically, ``NOISY_TAU_GROWTH`` times its misfit, and
``latent_error_bound`` is ``inf``.

*Unknown noise level* (``noise_bound=None``): the smallest level ``delta`` at which the top
layer, its rows read with the thresholds of ``delta``, has a fit (its own LP) with misfit
at most ``delta`` is found by bisection on ``log delta`` (``NOISE_ESTIMATE_ROUNDS`` LP
solves; a higher ``delta`` reads more rows as one-sided and only relaxes the fit); the
truth is such a fit at the true level, so this undershoots, and ``NOISE_ESTIMATE_FACTOR``
times it is used. The estimate sets the thresholds
only: the result says it was estimated (``noise_estimated``) and its status is ``FIT``,
because the only bound at hand would be the fit's own misfit, which judges itself.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from reluinv.data.network import ReluNetwork
from reluinv.layerwise.diagnostics import LayerOutcome, infeasible_outcome, layer_diagnostic
from reluinv.layerwise.layer_system import ACTIVE_THRESHOLD, FEASIBILITY_TOLERANCE, LayerSystem
from reluinv.layerwise.lp import (
    BandLP,
    DenseLPSolution,
    DenseSolver,
    cvxopt_available,
    solve_band_dual,
    solve_band_lp_cvxopt,
    solve_dense_lp,
    solve_linf_dual,
)
from reluinv.layerwise.lstsq import rank_and_lstsq, rows_fortran

__all__ = ["DUAL_BASIS_LIMIT", "L1_THRESHOLD_FACTOR", "NOISE_ESTIMATE_FACTOR",
           "NOISE_ESTIMATE_ROUNDS", "NOISE_MODELS", "NOISY_TAU_GROWTH", "REWEIGHT_ROUNDS",
           "Bands", "NoiseModel", "NoisyOutcome", "estimate_noise", "invert_noisy", "noisy_lp",
           "output_spread", "read_bands", "row_misfits", "thresholds"]

FloatArray = npt.NDArray[np.float64]
NoiseModel = Literal["none", "linf", "l1", "l1_total"]
#: The noise models :func:`~reluinv.layerwise.inverter.invert_layerwise` accepts (module
#: docstring): ``"linf"`` minimises the largest row misfit, ``"l1"`` (the paper's LP (6))
#: the summed misfit of the two-sided rows with the one-sided rows' misfits held to the
#: noise budget, ``"l1_total"`` the summed misfit of every row, with no budget.
NOISE_MODELS: tuple[NoiseModel, ...] = ("none", "linf", "l1", "l1_total")

#: ``solver="auto"``: an l_1 layer LP goes through its dual (HiGHS's dual simplex) when
#: the dual's basis, ``n_{i-1}`` plus one row per leaky row read near zero, has at most
#: this many rows, else to cvxopt. Measured: n = 40 and 60 (digits, 784 x 60 top layer)
#: 0.01-0.06 s against 0.003-1.2 s; n = 200: 0.76 s against 0.94 s; n = 500 (784 x 500
#: leaky top layer, Gaussian 1e-4): 2.75 s against 2.99 s, but at 1e-2, with many leaky
#: rows near zero, 14.8 s (3605 iterations) against 5.1 s. Those cvxopt times are with its
#: own KKT solver; with the slacks eliminated (``lp.solve_band_lp_cvxopt``) cvxopt took,
#: at load average 2.5-2.9 on 2 cores: n = 60, 0.11 s against the dual's 0.03 s; n = 200
#: (500 x 200 leaky layer, Gaussian 1e-4 and 1e-2), 0.04-0.08 s against 0.18-0.78 s;
#: n = 500, 0.30-0.37 s against 1.7-12 s.
DUAL_BASIS_LIMIT = 250
#: Noisy modes (l_inf, and l_1 layers not pinned by their two-sided rows; the l_1 modes
#: otherwise use the typical size of the propagated error, module docstring,
#: *Propagation*): a hidden layer's outputs are estimates whose error is a small multiple of
#: the misfit of the layer that produced them (the paper's ``2/c`` factor per layer). Below
#: the layer above, rows are read as active only when ``y_j`` exceeds
#: ``max(tau, NOISY_TAU_GROWTH * misfit)``; a row read as inactive keeps its one-sided
#: constraint, which stays valid whatever the truth, so erring high costs little.
NOISY_TAU_GROWTH = 10.0
#: l_1 modes without an explicit ``tau``: rows are read as active above this multiple of
#: the layer's l_1 noise level divided by its number of rows (the mean noise per row).
L1_THRESHOLD_FACTOR = 3.0
#: Without a ``noise_bound`` the noise level is this multiple of the top layer's own
#: misfit: a fit with ``n_{d-1}`` free unknowns absorbs part of the noise, so its misfit
#: understates the noise (module docstring, *Unknown noise level*).
NOISE_ESTIMATE_FACTOR = 2.0
#: Bisection steps (one LP each) on ``log delta`` when the noise level is estimated.
NOISE_ESTIMATE_ROUNDS = 8


@dataclass(frozen=True)
class Bands:
    """Per row ``j`` of a noisy layer: ``lower_j - lower_scale_j * s <= w_j h + b_j <=
    upper_j + upper_scale_j * s`` holds at the true ``h`` with ``s`` the row's noise (module
    docstring); ``lower_j = -inf`` on one-sided rows."""

    upper: FloatArray
    upper_scale: FloatArray
    lower: FloatArray
    lower_scale: FloatArray
    two_sided: npt.NDArray[np.bool_]
    centre: FloatArray


def read_bands(y: FloatArray, threshold: FloatArray, kind: str, slope: float,
               level: FloatArray | float) -> Bands:
    """The rows of one noisy layer read with per-row activity ``threshold`` (module
    docstring, *Noisy layers*); ``level`` is each row's noise bound ``delta_{i,j}`` (one
    number in the l_1 modes, which bounds every row's share), over which the lower edge
    of a leaky row read near zero is drawn (:func:`_near_zero_lower_scale`)."""
    ones = np.ones_like(y)
    if kind == "linear":
        return Bands(y, ones, y, ones, np.ones(y.shape, dtype=bool), y)
    if kind == "relu":
        active = y > threshold
        return Bands(y, ones, np.where(active, y, -np.inf), ones, active, y)
    positive, negative = y > threshold, y < -threshold
    inverse = 1.0 / slope
    upper = np.where(negative, y * inverse, y)
    upper_scale = np.where(negative, inverse, 1.0)
    lower = np.where(positive | (y > 0.0), y, y * inverse)
    lower_scale = np.where(positive, 1.0, np.where(
        y > 0.0, _near_zero_lower_scale(y, level, slope), inverse))
    centre = np.where(y >= 0.0, y, y * inverse)  # the activation's inverse at y
    return Bands(upper, upper_scale, lower, lower_scale, np.ones(y.shape, dtype=bool),
                  centre)


def _near_zero_lower_scale(y: FloatArray, level: FloatArray | float,
                           slope: float) -> FloatArray:
    """The lower edge's scale ``c_j`` of a leaky row read near zero with ``y_j > 0``: the
    edge is ``y_j - c_j s``.

    The truth is ``y*_j = y_j - e_j`` with ``|e_j| <= s``, and ``p*_j = s^{-1}(y*_j) >=
    f(s) = min(y_j - s, (y_j - s) / alpha)``: ``y_j - s`` while ``s <= y_j`` (``y*_j``
    cannot be negative), ``(y_j - s) / alpha`` beyond. ``(y_j - s) / alpha`` alone, the
    edge of a row with ``y_j <= 0``, lies above ``y_j`` at ``s = 0`` and cut the truth off
    (noise-free ``y = 0.05`` at slope 0.01 asked for ``p >= 5`` and ``p <= 0.05``). ``f``
    is concave, so on ``[0, delta_j]``, where the true ``s`` lies, it is above its chord,
    and the chord is the edge: ``c_j = (y_j - f(delta_j)) / delta_j``, 1 when ``delta_j <=
    y_j`` (such a row is surely positive), else ``1/alpha - (y_j / delta_j) (1/alpha - 1)``
    (the same number, computed without ``y_j - delta_j``, which is ``y_j`` when
    ``delta_j`` is below its rounding, and without ``delta_j / alpha``, which may
    overflow): between 1 and ``1 / alpha``, which it is at ``y_j = 0`` and when
    ``delta_j`` is not finite. Beyond ``delta_j`` the edge is stricter than ``f``, which
    only a misfit above the noise bound reaches."""
    delta = np.broadcast_to(np.asarray(level, dtype=np.float64), y.shape)
    inverse = 1.0 / slope
    with np.errstate(divide="ignore", invalid="ignore"):
        chord = inverse - (y / delta) * (inverse - 1.0)
    return np.where(delta <= y, 1.0, np.where((delta > 0.0) & np.isfinite(delta), chord,
                                              inverse))


@dataclass(frozen=True)
class NoisyOutcome:
    outcome: LayerOutcome
    misfit: float
    consistent: bool | None
    next_noise: FloatArray | float
    bounded: bool


def noisy_lp(W: FloatArray, b: FloatArray, bands: Bands, weight: FloatArray,
             noise: NoiseModel, budget: float, nonneg: bool,
             solver: DenseSolver, start: FloatArray | None = None) -> DenseLPSolution:
    """The layer's LP (:func:`_layer_lp`) solved in units of the layer's scale ``sigma =
    max(1, ||c||_inf)`` (``c`` the activation's inverse at ``y``: up to the slope, the unit
    of the layer's acceptance tolerance ``FEASIBILITY_TOLERANCE * max(1, ||y||_inf)``; a
    large ``||b||`` is left out, which would stretch the solver's own tolerance past it).

    The LP is homogeneous: dividing ``y``, ``b`` and the budget by ``sigma`` divides its
    solution, ``h`` and the misfits alike, by ``sigma``, and the answer is multiplied back.
    The solvers' tolerances are absolute (HiGHS's feasibility tolerance is ``1e-7``):
    without this, the noise-free output of a 3 x 12 x 40 net scaled by ``1e10`` had an l_1
    LP that cvxopt called dual infeasible and HiGHS could not solve, at every noise level
    the estimate tried. The scale assumes weights of order one (every decoder here has
    them), so that ``h`` has the order of ``y``; data within ``[-1, 1]`` is solved as is."""
    sigma = max(1.0, float(np.max(np.abs(bands.centre), initial=0.0)))
    if sigma == 1.0:
        return _layer_lp(W, b, bands, weight, noise, budget, nonneg, solver, start)
    scaled = Bands(bands.upper / sigma, bands.upper_scale, bands.lower / sigma,
                   bands.lower_scale, bands.two_sided, bands.centre / sigma)
    answer = _layer_lp(W, b / sigma, scaled, weight, noise, budget / sigma, nonneg, solver,
                       None if start is None else start / sigma)
    return answer if answer.x is None else dataclasses.replace(answer, x=answer.x * sigma)


def _layer_lp(W: FloatArray, b: FloatArray, bands: Bands, weight: FloatArray,
              noise: NoiseModel, budget: float, nonneg: bool,
              solver: DenseSolver, start: FloatArray | None = None) -> DenseLPSolution:
    """Build and solve the layer's LP (module docstring): the l_1 LPs through their dual
    (:func:`~reluinv.layerwise.lp.solve_band_dual`, ``start`` seeding its working set)
    while its basis is small (``DUAL_BASIS_LIMIT``) unless another solver is named, else
    by :func:`~reluinv.layerwise.lp.solve_band_lp_cvxopt` (cvxopt with the slacks
    eliminated from its Newton systems; HiGHS on the dense primal for ``"highs"``); the
    l_inf LP in one preallocated matrix."""
    m, n = W.shape
    two = np.flatnonzero(bands.two_sided)
    one = np.flatnonzero(~bands.two_sided)
    budget_row = noise == "l1" and one.size > 0
    if noise == "linf" and solver == "highs-dual":
        return solve_linf_dual(W, b, bands.upper, bands.upper_scale * weight, bands.lower,
                               bands.lower_scale * weight, bands.two_sided, nonneg,
                               start=start)
    general = bands.two_sided & ((bands.upper_scale != bands.lower_scale)
                                 | (bands.upper != bands.lower))
    small_basis = n + int(np.sum(general)) <= DUAL_BASIS_LIMIT or not cvxopt_available()
    if noise != "linf":
        band = BandLP(W, b, bands.upper, bands.upper_scale, bands.lower, bands.lower_scale,
                      bands.two_sided,
                      np.where(bands.two_sided, 1.0, 0.0 if noise == "l1" else 1.0),
                      budget if budget_row else None, nonneg)
        if solver == "highs-dual" or (solver == "auto" and small_basis):
            answer = solve_band_dual(band, start=start)
            if answer.status != "failed" or solver == "highs-dual":
                return answer
        # the slacks eliminated row by row in cvxopt's Newton systems
        return solve_band_lp_cvxopt(
            dataclasses.replace(band, upper_scale=bands.upper_scale * weight,
                                lower_scale=bands.lower_scale * weight), solver=solver)
    rows = m + two.size
    A = np.zeros((rows, n + 1))
    rhs = np.empty(rows)
    A[:m, :n] = W
    np.negative(W[two], out=A[m:, :n])
    rhs[:m] = bands.upper - b
    rhs[m:] = b[two] - bands.lower[two]
    A[:m, n] = -bands.upper_scale * weight
    A[m:, n] = -(bands.lower_scale * weight)[two]
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    nonneg_columns = np.concatenate([np.full(n, nonneg), [True]])
    return solve_dense_lp(cost, A, rhs, nonneg_columns, solver=solver,
                          accept_inaccurate=solver == "auto")


def row_misfits(pre: FloatArray, bands: Bands) -> FloatArray:
    """How far each row's pre-activation lies outside its noise-free band, in the row's
    output units: ``max(0, (pre - upper) / upper_scale, (lower - pre) / lower_scale)``."""
    above = (pre - bands.upper) / bands.upper_scale
    below = np.where(bands.two_sided, (bands.lower - pre) / bands.lower_scale, -np.inf)
    return np.maximum(np.maximum(above, below), 0.0)


def invert_noisy(
    system: LayerSystem, *, y: FloatArray, kind: str, slope: float, noise: NoiseModel,
    level: FloatArray | float, threshold: FloatArray, solver: DenseSolver, started: float,
    rigorous: bool = True, top_layer: bool = False,
) -> NoisyOutcome:
    """One noisy layer: the LP, the misfit recomputed at its answer, and the noise level
    handed to the layer below (module docstring, *Noisy layers*)."""
    W, b = system.W, system.b
    m, n = W.shape
    linf = noise == "linf"
    if linf:
        level_rows = np.broadcast_to(np.asarray(level, dtype=np.float64), (m,))
        top = float(np.max(level_rows, initial=0.0))
        weight = level_rows / top if top > 0.0 else np.ones(m)
        accepted, budget = top, 0.0
    else:
        weight, accepted = np.ones(m), float(level)
        budget = accepted
    bands = read_bands(y, threshold, kind, slope, level_rows if linf else accepted)
    two = np.flatnonzero(bands.two_sided)
    rank, pinv = _pseudo_inverse(W, two, n)
    fields: dict[str, object] = {"active": int(two.size), "equality_rows": int(two.size),
                                 "noise_level": accepted, "accepted_misfit": accepted}
    if m == 0:  # no rows constrain h: any h >= 0 fits, take h = 0
        empty = np.zeros(n)
        diag = layer_diagnostic(system, rank=0, pinned=n == 0, method="lp", eps=0.0, residual=0.0,
                                feasible=True, seconds=time.perf_counter() - started, **fields)
        return NoisyOutcome(LayerOutcome(empty, diag, False), 0.0, True, np.zeros(n),
                            False)
    tolerance = FEASIBILITY_TOLERANCE * system.scale

    def judge(h: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        if system.nonneg:
            h = np.maximum(h, 0.0)
        pre = W @ h + b
        rows = row_misfits(pre, bands)
        if linf:
            return h, pre, float(np.max(rows / np.where(weight > 0.0, weight, 1.0),
                                        initial=0.0))
        return h, pre, float(np.sum(rows))  # l_1: every row's slack, budgeted or not

    # The rows are read with certainty when none can be misread: always in l_inf (the
    # thresholds follow the noise), in l_1 when the thresholds reach the budget, and on a
    # linear head, which has no threshold (every row two-sided whatever the noise). Only
    # the first two hand the worst-case bound down: on a linear head under l_1 noise it was
    # 50-80 times the actual error, and as the next layer's noise level it read every
    # hidden unit inactive (z = 0), so a linear head hands down the typical size instead.
    worst_case_below = linf or bool(np.all(threshold >= accepted))
    certain = worst_case_below or kind == "linear"
    method, message = "lstsq", None
    chosen: tuple[FloatArray, FloatArray, float] | None = None
    budgeted = False  # the answer is LP (6)'s (module docstring, *Accepted misfit*)
    start = pinv @ (bands.centre[two] - b[two]) if pinv is not None else None
    if start is not None and certain:  # least squares on the two-sided rows first
        chosen = judge(start)
        if chosen[2] > accepted + tolerance:
            chosen = None
    if chosen is None and linf and top_layer and two.size:  # reweighted least squares
        chosen = _reweighted_fit(W, b, bands, weight, two, system.nonneg,
                                 None if system.nonneg else start, judge,
                                 accepted + tolerance)
        if chosen is not None:
            method = "irls"
    if chosen is None:
        # LP (6)'s budget below an unbounded layer is a guess: minimise every slack instead
        lp_noise: NoiseModel = "l1_total" if noise == "l1" and not rigorous else noise
        answer = noisy_lp(W, b, bands, weight, lp_noise, budget, system.nonneg, solver,
                          start=start)
        if answer.status == "inaccurate" and answer.x is not None:
            # an uncertified last iterate (l_inf only): kept when its own misfit, from the
            # data, is within the accepted one (the optimum is no larger: same verdict)
            chosen = judge(answer.x[:n])
            if chosen[2] > accepted + tolerance:
                chosen = None
                answer = noisy_lp(W, b, bands, weight, lp_noise, budget, system.nonneg,
                                  "highs", start=start)
        method, message = "lp", f"{answer.message} (solver {answer.solver})"
        if answer.x is None:
            outcome = infeasible_outcome(system, rank, "lp", message, None, started)
            return NoisyOutcome(outcome, math.inf, False, math.inf, False)
        if chosen is None:
            chosen = judge(answer.x[:n])
            budgeted = lp_noise == "l1"
    h, pre, misfit = chosen
    judged = misfit
    if budgeted:  # each of LP (6)'s sums is held to the budget, not their total
        slack = row_misfits(pre, bands)
        judged = max(float(np.sum(slack[bands.two_sided])),
                     float(np.sum(slack[~bands.two_sided])))
    # Only a certain reading makes the truth feasible within the accepted misfit; an l_1
    # layer read below its budget may have misread rows, so its misfit proves nothing; nor
    # does it below a layer not pinned, whose accepted misfit is a heuristic's, not a bound.
    consistent: bool | None = (judged <= accepted + tolerance if certain and rigorous
                               else None)
    # What the truth may differ from h by (module docstring): rows of the two-sided block
    # satisfy |pre_j - pre*_j| <= d_j, and h - h* = P (pre_A - pre*_A).
    if linf:
        lower = bands.lower[two] - bands.lower_scale[two] * level_rows[two]
        upper = bands.upper[two] + bands.upper_scale[two] * level_rows[two]
        gaps = np.maximum(pre[two] - lower, upper - pre[two])
    else:
        scale = max(float(np.max(bands.upper_scale)), float(np.max(bands.lower_scale)))
        centre = np.maximum(pre[two] - bands.lower[two], bands.upper[two] - pre[two])
        gaps = np.array([float(np.sum(centre)) + scale * accepted])
    next_noise: FloatArray | float
    if pinv is not None and worst_case_below:
        # ||P v||_1 <= (largest column sum of |P|) ||v||_1
        next_noise = (np.abs(pinv) @ gaps if linf
                      else float(np.max(np.sum(np.abs(pinv), axis=0), initial=0.0)) * gaps[0])
        bounded = rigorous  # from an estimate of the input's level, an estimate too
    elif not linf and pinv is not None:  # l_1 read below its budget: a typical size only
        row_noise = max(misfit, accepted) / m
        next_noise = row_noise * float(np.sum(np.sqrt(np.sum(pinv * pinv, axis=1))))
        bounded = False
    else:  # no finite bound: the heuristic growth of the threshold (module docstring)
        grown = NOISY_TAU_GROWTH * max(misfit, accepted)
        next_noise = np.full(n, grown) if linf else grown
        bounded = False
    diag = layer_diagnostic(system, rank=rank, pinned=rank == n, method=method, lp_status=message,
                            eps=misfit, residual=system.violation(h), feasible=True,
                            seconds=time.perf_counter() - started, consistent=consistent,
                            error_bound=(float(np.max(next_noise, initial=0.0)) if bounded
                              else math.inf), **fields)
    return NoisyOutcome(LayerOutcome(h, diag, False), misfit, consistent, next_noise,
                        bounded)


#: l_inf layers: rounds of reweighted least squares (:func:`_reweighted_fit`) tried after
#: the least-squares point misses the accepted misfit and before the LP.
REWEIGHT_ROUNDS = 8


def _reweighted_fit(
    W: FloatArray, b: FloatArray, bands: Bands, weight: FloatArray,
    two: npt.NDArray[np.intp], nonneg: bool, start: FloatArray | None,
    judge: Callable[[FloatArray], tuple[FloatArray, FloatArray, float]], limit: float,
) -> tuple[FloatArray, FloatArray, float] | None:
    """A point of an l_inf layer whose misfit, recomputed by ``judge``, is at most
    ``limit``, found without an LP, or ``None`` after ``REWEIGHT_ROUNDS`` tries.

    The layer's l_inf LP asks for a point whose largest scaled row misfit
    ``u_j = |w_j h + b_j - c_j| / s_j`` is at most ``eps`` (``c`` the activation's inverse
    at ``y``, ``s_j`` the row's band scale times its share of the noise) on the two-sided
    rows, and ``eps <= delta`` is all the noise bound asks (the true ``h*`` meets it). The
    least-squares point minimises ``sum_j u_j^2`` instead; Lawson's algorithm turns such
    fits into the minimax one by weighting each row with ``lambda_j``, solving the weighted
    least squares ``min sum_j lambda_j u_j^2`` and multiplying ``lambda_j`` by ``u_j``, so
    that the rows with large misfit gain weight and the fit moves toward equal misfits.
    It converges slowly to the optimum, but the bound is not the optimum: the optimum of a
    pinned layer has ``n_{i-1}`` free unknowns to spend on the noise and lies well below
    ``delta``, so a round or two usually lands under it; a round that does not lower the
    misfit ends the attempt (on the 784 x 60 top layer of a 20 x 60 x 784 net at uniform
    noise 1e-2, where the optimum is 0.9 ``delta``, the misfit stalls near 1.1-1.2
    ``delta`` in most draws, and every round there costs a non-negative least squares of
    that size). Below a ReLU layer each round is a
    non-negative least squares (``h >= 0``: the true hidden units are zero where the
    unconstrained fit would go negative). One-sided rows are not fitted: ``judge`` checks
    them with the rest and a point that breaks one goes to the LP like any other miss.

    On the digits ReLU decoder under uniform noise (top layer 64 x 40, ``h >= 0``) the
    least-squares point misses the bound in 28 of 30 draws; non-negative least squares
    hits it in 13, a second round in 7 more, up to 8 rounds in 25-30 of 30, at 0.1-0.2 ms
    where the LP takes 2-2.5 ms.
    """
    target = bands.centre[two] - b[two]
    scale = (np.maximum(bands.upper_scale[two], bands.lower_scale[two])
             * np.asarray(weight, dtype=np.float64)[two])
    positive = scale[scale > 0.0]
    scale = np.where(scale > 0.0, scale, float(np.min(positive)) if positive.size else 1.0)
    block = W[two]
    n = int(W.shape[1])
    lawson = np.ones(two.size)
    h = start
    best = math.inf
    for _ in range(REWEIGHT_ROUNDS):
        if h is not None:
            misfit = np.abs(block @ h - target) / scale
            top = float(np.max(misfit, initial=0.0))
            if not math.isfinite(top) or top == 0.0:
                return None
            lawson *= np.maximum(misfit, top * 1e-3)
            lawson *= two.size / float(np.sum(lawson))
        root = np.sqrt(lawson) / scale
        scaled = np.multiply(block, root[:, None], order="F")
        if nonneg:
            from scipy.optimize import nnls

            try:
                h = np.asarray(nnls(scaled, root * target)[0], dtype=np.float64)
            except RuntimeError:  # its iteration limit
                return None
        else:
            h = rank_and_lstsq(scaled, root * target, n, overwrite=True)[1]
        candidate = judge(h)
        if candidate[2] <= limit:
            return candidate
        if candidate[2] >= best:  # no progress: the LP is the cheaper way from here
            return None
        best = candidate[2]
    return None


def thresholds(y: FloatArray, level: FloatArray | float, noise: NoiseModel,
               tau_floor: float, rows: int) -> FloatArray:
    """Per-row activity thresholds of a noisy layer (module docstring, *Thresholds*)."""
    if noise == "linf":
        return np.maximum(np.broadcast_to(np.asarray(level, dtype=np.float64), y.shape),
                          tau_floor)
    if tau_floor > 0.0:
        return np.full(y.shape, tau_floor)
    return np.full(y.shape, L1_THRESHOLD_FACTOR * float(level) / max(rows, 1))


def estimate_noise(W: FloatArray, b: FloatArray, x: FloatArray, network: ReluNetwork,
                   noise: NoiseModel, tau_floor: float, solver: DenseSolver) -> float:
    """The noise level used when none is stated (module docstring, *Unknown noise level*):
    ``NOISE_ESTIMATE_FACTOR`` times the smallest level ``delta`` at which the top layer,
    read with the thresholds of ``delta``, has a fit with misfit at most ``delta``; found by
    bisection on ``log delta`` (``NOISE_ESTIMATE_ROUNDS`` LP solves)."""
    kind = ("linear" if network.output_linear
            else "leaky" if network.activation == "leaky_relu" else "relu")
    m = int(W.shape[0])
    lp_noise: NoiseModel = "linf" if noise == "linf" else "l1_total"

    def misfit_at(level: float) -> float:
        threshold = thresholds(x, level, noise, tau_floor, m)
        bands = read_bands(x, threshold, kind, network.slope, level)
        answer = noisy_lp(W, b, bands, np.ones(m), lp_noise, 0.0, False, solver)
        if answer.x is None:
            return math.inf
        rows = row_misfits(W @ answer.x[:W.shape[1]] + b, bands)
        return float(np.max(rows, initial=0.0) if noise == "linf" else np.sum(rows))

    low = max(tau_floor, ACTIVE_THRESHOLD)
    first = misfit_at(low)
    if first <= low:
        return NOISE_ESTIMATE_FACTOR * low
    high = max(first, low)
    while misfit_at(high) > high:  # reading more rows as inactive only relaxes the fit
        high *= 10.0
        if not math.isfinite(high) or high > 1e300:
            return math.inf
    for _ in range(NOISE_ESTIMATE_ROUNDS):
        middle = math.sqrt(low * high)
        if misfit_at(middle) <= middle:
            high = middle
        else:
            low = middle
    return NOISE_ESTIMATE_FACTOR * high


def _pseudo_inverse(
    W: FloatArray, rows: npt.NDArray[np.intp], n: int
) -> tuple[int, FloatArray | None]:
    """Rank of ``W_A = W[rows]`` and, when it is ``n``, its pseudo-inverse ``P`` (``P W_A =
    I``), from one QR factorisation with column pivoting: ``W_A Pi = Q R``, the rank the
    number of ``|R_kk| > |R_00| max(rows, n) eps`` (the cutoff NumPy's ``lstsq`` puts on
    singular values), and ``P = Pi R^{-1} Q^T`` at full column rank. 0.4-0.5x of the time
    of the SVD it replaces on the 50 x 40 and 400 x 60 blocks of the noisy benchmarks."""
    if rows.size == 0 or n == 0:
        return 0, (np.zeros((n, rows.size)) if n == 0 else None)
    from scipy.linalg import qr, solve_triangular

    Q, R, perm = qr(rows_fortran(W, np.isin(np.arange(W.shape[0]), rows)), mode="economic",
                    pivoting=True, overwrite_a=True, check_finite=False)
    diagonal = np.abs(np.diag(R))
    cutoff = float(diagonal[0]) * max(rows.size, n) * np.finfo(np.float64).eps
    rank = int(np.sum(diagonal > cutoff))
    if rank < n:
        return rank, None
    pinv = np.empty((n, rows.size))
    pinv[perm] = solve_triangular(R, Q.T, check_finite=False)
    return rank, pinv


def output_spread(W: FloatArray, hidden: FloatArray | float, noise: NoiseModel) -> float:
    """How far the output may move when the top hidden layer moves within its propagated
    bound ``hidden`` (elementwise for l_inf, in l_1 norm otherwise): ``max |W_d| hidden``,
    or the largest column sum of ``|W_d|`` times ``hidden`` (both activations are
    1-Lipschitz)."""
    if noise == "linf":
        return float(np.max(np.abs(W) @ np.asarray(hidden), initial=0.0))
    return float(np.max(np.sum(np.abs(W), axis=0), initial=0.0)) * float(hidden)
