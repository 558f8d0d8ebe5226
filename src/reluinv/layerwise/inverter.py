"""The layer-wise inverter of Lei, Jalal, Dhillon and Dimakis (NeurIPS 2019).

Notation as in :mod:`reluinv.data.network`: ``h_i = s(W_i h_{i-1} + b_i)``, ``h_0 = z``,
``h_d = G(z)``, ``W_i`` of shape ``(n_i, n_{i-1})``. Given ``x`` the inverter recovers
``h_{d-1}`` from ``h_d = x``, then ``h_{d-2}`` from that, and so on down to ``z``. Each
step is one convex problem in ``n_{i-1}`` unknowns.

**Realizable ReLU layer** (``noise="none"``). Write ``y = h_i`` and ``h = h_{i-1}``. A row
with ``y_j > tau`` is *active* and gives an equality; the others gave a non-positive
pre-activation::

    w_j h + b_j  = y_j     (y_j > tau)
    w_j h + b_j <= 0       (y_j <= tau)
    h >= 0                 (hidden layers, i >= 2: h is itself a ReLU output)

When the active rows have full column rank (at least ``n_{i-1}`` of them, in general
position) the equalities pin ``h`` down: a least-squares solve finds it, and it is kept when
the inequalities hold within ``feasibility_tol * max(1, ||y||_inf)``. Otherwise an LP
(HiGHS through :func:`scipy.optimize.linprog`) finds a point of the polyhedron or proves it
empty; an empty polyhedron comes with a Farkas ray that :mod:`reluinv.layerwise.farkas` re-derives
and re-checks.

An observed ReLU output below ``-tau`` has no pre-image at all (``method="sign"``). With
a ``mask`` only the observed rows of the last layer enter its system (inpainting).

**Linear head** (``output_activation="linear"``). The last layer is the linear system
``W_d h + b_d = x`` (observed rows), every row an equality whatever the sign of ``x_j``,
with ``h >= 0`` below a ReLU hidden layer; it is solved as a realizable layer whose rows
are all active (least squares, else the LP), and the noisy LPs treat every row as active.

**Leaky ReLU layer.** ``s`` is invertible: ``t_j = y_j`` if ``y_j >= 0`` else
``y_j / alpha``, and every row is an equality ``w_j h + b_j = t_j``; least squares solves it
and the residual vector itself is the Farkas ray when the system is inconsistent.

**Noisy layer, l_inf** (``noise="linf"``, the paper's Algorithm 2). One LP per layer::

    minimise eps  subject to  |w_j h + b_j - y_j| <= eps   (y_j > tau)
                              w_j h + b_j - y_j   <= eps   (y_j <= tau)
                              h >= 0 (hidden layers),  eps >= 0

(for leaky layers ``|w_j h + b_j - t_j| <= eps`` on rows with ``y_j >= 0`` and
``<= eps / alpha`` on the others, so that ``eps`` bounds the misfit in output units
``|alpha (w_j h + b_j) - y_j|``). **l_1** (``noise="l1"``):
the same rows with one slack ``s_j >= 0`` each in place of ``eps``, minimising
``sum_j s_j``. The ``eps`` of each layer is reported; it is the misfit that layer's input
carried, so the sequence ``eps_d, eps_{d-1}, ...`` shows how the error propagates (about
``(2/c)^j eps`` after ``j`` layers of expansion ``c`` in the paper's analysis). On noisy
data ``tau`` should be about the noise level, so that noise on an inactive output is not
read as an active row; below the output layer the threshold grows with the misfit of the
layer above (``NOISY_TAU_GROWTH``), because a recovered hidden layer is itself noisy.

**Status.** ``RECOVERED`` only when the forward pass of the returned ``z`` reproduces ``x``
on the observed outputs within a bound that the *caller* stated, never one derived from
the fit being judged: ``||G(z) - x||_inf <= residual_tol * max(1, ||x||_inf)`` in the
realizable case; in the noisy cases the residual in the noise's norm must stay within
``noise_bound`` (plus that realizable tolerance, for rounding). Without a ``noise_bound``
a noisy inversion ends ``FIT``: ``z`` is the LP's best fit and its forward residual is
reported, but nothing says whether that residual is noise or a bad fit (an LP's own
``eps`` cannot decide it: on a layer whose inactive outputs carry noise above ``tau``
the optimal ``eps`` is of the order of ``||x||_inf``, and ``z = 0`` fits "within it").
``NO_PREIMAGE`` when a layer is infeasible with a verified certificate *and* the layer's
input was forced: it is the observation, or every layer above had a unique pre-image (its
equality rows had full column rank; the count is reported). ``INCONCLUSIVE`` otherwise:
for instance a hidden layer with many pre-images whose chosen one has none below (the
fate of the MAX-3SAT reduction's networks), a ``z`` whose residual exceeds the stated
bound, or a solver failure. Uniqueness of a recovered ``z`` is not claimed here, nor, under
noise, its distance to the code that produced ``x``.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice, check_nonnegative
from reluinv.data.network import ReluNetwork, exact_vector
from reluinv.errors import InvalidArgumentError, InvalidTypeError, NonFiniteError, ShapeError
from reluinv.layerwise.farkas import (
    CERTIFICATE_MIN_RADIUS,
    FarkasCertificate,
    check_farkas_ray,
    find_farkas_ray,
)
from reluinv.layerwise.lp import linprog
from reluinv.results import ResultBase

__all__ = [
    "ACTIVE_THRESHOLD",
    "EXACT_CHECK_MAX_WEIGHTS",
    "FEASIBILITY_TOLERANCE",
    "NOISE_MODELS",
    "NOISY_TAU_GROWTH",
    "RESIDUAL_TOLERANCE",
    "LayerDiagnostic",
    "LayerwiseResult",
    "LayerwiseStatus",
    "NoiseModel",
    "check_inversion_arguments",
    "invert_layerwise",
]

FloatArray = npt.NDArray[np.float64]
NoiseModel = Literal["none", "linf", "l1"]
#: The noise models :func:`invert_layerwise` accepts.
NOISE_MODELS: tuple[NoiseModel, ...] = ("none", "linf", "l1")

#: ``tau``: an output ``y_j > tau`` is read as active. Suits realizable float64 data;
#: on noisy data pass the noise level.
ACTIVE_THRESHOLD = 1e-9
#: Least-squares answers are kept, and LP answers judged, when every constraint of the
#: layer holds within ``FEASIBILITY_TOLERANCE * max(1, ||y||_inf)``.
FEASIBILITY_TOLERANCE = 1e-7
#: Realizable acceptance: ``||G(z) - x||_inf <= RESIDUAL_TOLERANCE * max(1, ||x||_inf)``.
RESIDUAL_TOLERANCE = 1e-6
#: Integer networks with at most this many weights get their forward check redone in exact
#: rational arithmetic (``LayerwiseResult.exact_residual``).
EXACT_CHECK_MAX_WEIGHTS = 100_000
#: Noisy modes: a hidden layer's outputs are estimates whose error is a small multiple of
#: the misfit of the layer that produced them (the paper's ``2/c`` factor per layer). Below
#: the layer above, rows are read as active only when ``y_j`` exceeds
#: ``max(tau, NOISY_TAU_GROWTH * misfit)``; a row read as inactive keeps its one-sided
#: constraint, which stays valid whatever the truth, so erring high costs little.
NOISY_TAU_GROWTH = 10.0


class LayerwiseStatus(enum.Enum):
    """What the layer-wise inverter established."""

    #: ``G(z)`` reproduces ``x`` within the caller's stated bound (``residual_tol`` when
    #: realizable, ``noise_bound`` under noise), checked by the forward pass.
    RECOVERED = "recovered"
    #: No latent code maps to ``x``: a layer with a forced input has no pre-image, backed by
    #: a checked Farkas ray (or by the sign of a ReLU output).
    NO_PREIMAGE = "no_preimage"
    #: Neither: the method found no pre-image within the stated bound but did not prove
    #: there is none.
    INCONCLUSIVE = "inconclusive"
    #: Noisy modes without a ``noise_bound``: ``z`` is the LP's best fit, its forward
    #: residual is reported (``residual``, ``residual_l1``), and nothing is certified: not
    #: that ``x`` is explained within the noise, not that ``z`` is near the true code. A
    #: separate status rather than ``INCONCLUSIVE`` because there is an answer to use (the
    #: noisy inversions of the paper are fits), and rather than ``RECOVERED`` because the
    #: only bound at hand would be the fit's own misfit, which judges itself.
    FIT = "fit"


@dataclass(frozen=True, eq=False)
class LayerDiagnostic:
    """What happened when one layer was inverted.

    Attributes
    ----------
    layer:
        ``i``: the step recovered ``h_{i-1}`` from ``h_i`` through ``W_i``.
    rows:
        Constraint rows used (the observed outputs on the last layer, all rows otherwise).
    tau:
        The activity threshold used on this layer (in the noisy modes it grows with the
        misfit of the layer above, see ``NOISY_TAU_GROWTH``).
    active:
        Rows read as active (``y_j > tau``): equalities, or two-sided rows when noisy.
        For leaky layers every row.
    rank:
        Numerical rank of the active rows of ``W_i``.
    unknowns:
        ``n_{i-1}``.
    equality_rows:
        Rows that enter as equalities (realizable) or two-sided rows (noisy).
    pinned:
        ``rank == unknowns``: the equalities alone determine ``h_{i-1}`` (uniquely, in the
        realizable case).
    method:
        ``"lstsq"``, ``"lp"`` or ``"sign"`` (a negative ReLU output, no solve needed).
    lp_status:
        The LP solver's message, ``None`` when no LP ran.
    eps:
        Noisy modes: the optimal ``eps`` (``linf``) or the total slack ``sum_j s_j``
        (``l1``). ``None`` in the realizable mode.
    residual:
        Largest constraint violation of this layer at the chosen ``h_{i-1}`` with
        ``eps = 0``: ``max(|w_j h + b_j - y_j|`` over active rows,
        ``w_j h + b_j - max(y_j, 0)`` over the others, ``-h`` on hidden layers``)``.
        ``nan`` when the layer was infeasible.
    feasible:
        Whether a pre-image of this layer was found.
    certificate:
        The checked Farkas ray when the layer was found infeasible, else ``None``.
    seconds:
        Wall-clock time of this layer.
    preimage:
        The ``h_{i-1}`` this step chose (the input handed to the next step down; ``z`` for
        layer 1), or ``None`` when the layer had no pre-image. On a layer that is not
        ``pinned`` it is one point of a polyhedron of pre-images, which is what lets a
        later layer fail where another choice would have succeeded.
    """

    layer: int
    rows: int
    tau: float
    active: int
    rank: int
    unknowns: int
    equality_rows: int
    pinned: bool
    method: str
    lp_status: str | None
    eps: float | None
    residual: float
    feasible: bool
    certificate: FarkasCertificate | None
    seconds: float
    preimage: FloatArray | None = None


@dataclass(frozen=True, eq=False)
class LayerwiseResult(ResultBase):
    """The answer of :func:`invert_layerwise`.

    Attributes
    ----------
    status:
        See :class:`LayerwiseStatus`.
    z:
        The latent code found, or ``None`` when a layer had no pre-image.
    residual:
        ``||G(z) - x||_inf`` on the observed outputs (``nan`` without ``z``).
    residual_l1, residual_l2:
        The same residual in the l_1 and l_2 norms.
    exact_residual:
        Integer networks (up to ``EXACT_CHECK_MAX_WEIGHTS`` weights): ``||G(z) - x||_inf``
        evaluated in exact rational arithmetic at the float ``z`` found
        (:meth:`ReluNetwork.forward_exact`); the realizable status is decided on the larger
        of this and ``residual``. ``None`` otherwise.
    residual_bound:
        The bound ``residual`` (``residual_l1`` for ``noise="l1"``) was held to for
        ``RECOVERED``: the realizable tolerance, or ``noise_bound`` plus it; ``inf`` for a
        ``FIT`` (no bound was stated).
    layers:
        One :class:`LayerDiagnostic` per step, in the order they ran: layer ``d`` first.
    seconds:
        Wall-clock time of the whole inversion.
    noise:
        The noise model used.
    tau, feasibility_tol:
        The thresholds used.
    failed_layer:
        The layer ``i`` whose step found no pre-image, or ``None``.
    message:
        A sentence saying why the status was chosen.
    """

    status: LayerwiseStatus
    z: FloatArray | None
    residual: float
    residual_l1: float
    residual_l2: float
    exact_residual: float | None
    residual_bound: float
    layers: tuple[LayerDiagnostic, ...]
    seconds: float
    noise: NoiseModel
    tau: float
    feasibility_tol: float
    failed_layer: int | None
    message: str
    record_exclude = frozenset({"layers"})  # per-step diagnostics: arrays, kilobytes

    @property
    def eps(self) -> tuple[float | None, ...]:
        """The ``eps`` of every step, layer ``d`` first (``None`` in the realizable mode)."""
        return tuple(diag.eps for diag in self.layers)

    @property
    def certificate(self) -> FarkasCertificate | None:
        """The Farkas ray of the failed layer, if one was found."""
        for diag in self.layers:
            if diag.certificate is not None:
                return diag.certificate
        return None


# -- one layer -------------------------------------------------------------------------


@dataclass(frozen=True)
class _LayerOutcome:
    h: FloatArray | None
    diagnostic: LayerDiagnostic
    proved_infeasible: bool


@dataclass(frozen=True)
class _LayerSystem:
    """``W h + b`` against ``y`` with the rows split into active and inactive."""

    W: FloatArray
    b: FloatArray
    y: FloatArray
    tau: float
    active: npt.NDArray[np.bool_]
    nonneg: bool
    layer: int

    @property
    def unknowns(self) -> int:
        return int(self.W.shape[1])

    @property
    def scale(self) -> float:
        return max(1.0, float(np.max(np.abs(self.y), initial=0.0)))

    def violation(self, h: FloatArray) -> float:
        """Largest violation of the realizable constraints at ``h`` (module docstring)."""
        pre = self.W @ h + self.b
        parts = [np.abs(pre[self.active] - self.y[self.active]),
                 pre[~self.active] - np.maximum(self.y[~self.active], 0.0)]
        if self.nonneg:
            parts.append(-h)
        return max(0.0, *(float(np.max(p, initial=0.0)) for p in parts))

    def equality_form(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(A_eq, b_eq, A_ub, b_ub)`` of the realizable system."""
        act, ina = self.active, ~self.active
        return (self.W[act], self.y[act] - self.b[act], self.W[ina], -self.b[ina])


def _rank_and_lstsq(A: FloatArray, rhs: FloatArray, n: int) -> tuple[int, FloatArray]:
    if A.shape[0] == 0 or n == 0:
        return 0, np.zeros(n)
    solution, _, rank, _ = np.linalg.lstsq(A, rhs, rcond=None)
    return int(rank), np.asarray(solution, dtype=np.float64)


def _diag(system: _LayerSystem, **fields: object) -> LayerDiagnostic:
    base: dict[str, object] = {
        "layer": system.layer,
        "rows": int(system.W.shape[0]),
        "tau": system.tau,
        "active": int(np.sum(system.active)),
        "unknowns": system.unknowns,
        "equality_rows": int(np.sum(system.active)),
        "lp_status": None,
        "eps": None,
        "certificate": None,
    }
    base.update(fields)
    return LayerDiagnostic(**base)  # type: ignore[arg-type]


def _bounds(n: int, nonneg: bool) -> list[tuple[float | None, float | None]]:
    return [(0.0, None) if nonneg else (None, None)] * n


def _residual_certificate(
    A_eq: FloatArray, b_eq: FloatArray, h: FloatArray, nonneg: bool, radius: float
) -> FarkasCertificate:
    """The least-squares residual ``r = b_eq - A_eq h`` is orthogonal to the columns of
    ``A_eq``, so ``y = -r`` is a Farkas ray of ``A_eq h = b_eq`` with gap ``||r||^2``."""
    r = b_eq - A_eq @ h
    ray = -r / max(float(np.max(np.abs(r), initial=0.0)), np.finfo(float).tiny)
    n = A_eq.shape[1]
    return check_farkas_ray(A_eq, b_eq, np.zeros((0, n)), np.zeros(0),
                            np.full(n, nonneg), ray, np.zeros(0), min_radius=radius)


def _infeasible(
    system: _LayerSystem, rank: int, method: str, lp_status: str | None,
    certificate: FarkasCertificate | None, started: float,
) -> _LayerOutcome:
    diag = _diag(system, rank=rank, pinned=rank == system.unknowns, method=method,
                 lp_status=lp_status, residual=math.nan, feasible=False,
                 certificate=certificate, seconds=time.perf_counter() - started)
    proved = certificate is not None and certificate.verified
    return _LayerOutcome(None, diag, proved)


def _invert_realizable(
    system: _LayerSystem, *, tol: float, radius: float, started: float
) -> _LayerOutcome:
    A_eq, b_eq, A_ub, b_ub = system.equality_form()
    n = system.unknowns
    rank, h = _rank_and_lstsq(A_eq, b_eq, n)
    limit = tol * system.scale
    if rank == n:
        if system.violation(h) <= limit:
            if system.nonneg:
                h = np.maximum(h, 0.0)
            diag = _diag(system, rank=rank, pinned=True, method="lstsq",
                         residual=system.violation(h), feasible=True,
                         seconds=time.perf_counter() - started)
            return _LayerOutcome(h, diag, False)
        if float(np.max(np.abs(A_eq @ h - b_eq), initial=0.0)) > limit:
            residual_ray = _residual_certificate(A_eq, b_eq, h, system.nonneg, radius)
            if residual_ray.verified:
                return _infeasible(system, rank, "lstsq", None, residual_ray, started)
    if n == 0:  # nothing to choose: the constant rows are violated (rank 0 == n above)
        constant_ray = find_farkas_ray(A_eq, b_eq, A_ub, b_ub, np.zeros(0, dtype=bool),
                                       min_radius=radius)
        return _infeasible(system, 0, "lstsq", None, constant_ray, started)
    result = linprog(
        np.zeros(n),
        A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
        A_eq=A_eq if A_eq.shape[0] else None, b_eq=b_eq if A_eq.shape[0] else None,
        bounds=_bounds(n, system.nonneg), method="highs",
    )
    message = f"{result.message} (status {result.status})"
    if result.status == 0:
        h = np.asarray(result.x, dtype=np.float64)
        if system.nonneg:
            h = np.maximum(h, 0.0)
        diag = _diag(system, rank=rank, pinned=rank == n, method="lp", lp_status=message,
                     residual=system.violation(h), feasible=True,
                     seconds=time.perf_counter() - started)
        return _LayerOutcome(h, diag, False)
    certificate: FarkasCertificate | None = None
    if result.status == 2:
        certificate = find_farkas_ray(A_eq, b_eq, A_ub, b_ub, np.full(n, system.nonneg),
                                      min_radius=radius)
    return _infeasible(system, rank, "lp", message, certificate, started)


def _invert_leaky(
    system: _LayerSystem, *, tol: float, radius: float, started: float
) -> _LayerOutcome:
    n = system.unknowns
    A_eq, b_eq = system.W, system.y - system.b
    rank, h = _rank_and_lstsq(A_eq, b_eq, n)
    misfit = float(np.max(np.abs(A_eq @ h - b_eq), initial=0.0))
    if misfit <= tol * system.scale:
        diag = _diag(system, rank=rank, pinned=rank == n, method="lstsq", residual=misfit,
                     feasible=True, seconds=time.perf_counter() - started)
        return _LayerOutcome(h, diag, False)
    certificate: FarkasCertificate | None = _residual_certificate(A_eq, b_eq, h, False, radius)
    if certificate is not None and not certificate.verified:
        found = find_farkas_ray(A_eq, b_eq, np.zeros((0, n)), np.zeros(0),
                                np.zeros(n, dtype=bool), min_radius=radius)
        certificate = found if found is not None else certificate
    return _infeasible(system, rank, "lstsq", None, certificate, started)


def _invert_noisy(
    system: _LayerSystem, *, noise: NoiseModel, row_scale: FloatArray, started: float
) -> _LayerOutcome:
    """One noisy LP. ``row_scale[j]`` converts a misfit in output units into the units of
    ``y``: ``1`` for ReLU rows, ``1 / alpha`` for leaky rows with a negative output (there
    ``t_j = y_j / alpha``, so an output error ``e`` becomes ``e / alpha``)."""
    W, target = system.W, system.y - system.b
    m, n = W.shape
    act = system.active
    rank = int(np.linalg.matrix_rank(W[act])) if np.any(act) and n > 0 else 0
    if m == 0:  # no rows constrain h: any h >= 0 fits, take h = 0
        h = np.zeros(n)
        diag = _diag(system, rank=0, pinned=n == 0, method="lp", eps=0.0, residual=0.0,
                     feasible=True, seconds=time.perf_counter() - started)
        return _LayerOutcome(h, diag, False)
    if noise == "linf":
        # Variables (h, eps): W h - eps <= y - b on every row, -W h - eps <= -(y - b) on
        # active rows.
        column = -row_scale[:, np.newaxis]
        A_ub = np.vstack([np.hstack([W, column]), np.hstack([-W[act], column[act]])])
        cost = np.zeros(n + 1)
        cost[n] = 1.0
        slack_bounds: list[tuple[float | None, float | None]] = [(0.0, None)]
    else:
        # Variables (h, s): W h - s <= y - b on every row, -W h - s <= -(y - b) on active
        # rows, one slack s_j >= 0 per row.
        identity = -np.diag(row_scale)
        A_ub = np.vstack([np.hstack([W, identity]), np.hstack([-W[act], identity[act]])])
        cost = np.concatenate([np.zeros(n), np.ones(m)])
        slack_bounds = [(0.0, None)] * m
    b_ub = np.concatenate([target, -target[act]])
    result = linprog(cost, A_ub=A_ub, b_ub=b_ub,
                     bounds=_bounds(n, system.nonneg) + slack_bounds, method="highs")
    message = f"{result.message} (status {result.status})"
    if result.status != 0:
        return _infeasible(system, rank, "lp", message, None, started)
    solution = np.asarray(result.x, dtype=np.float64)
    h = solution[:n]
    if system.nonneg:
        h = np.maximum(h, 0.0)
    eps = float(result.fun)
    diag = _diag(system, rank=rank, pinned=rank == n, method="lp", lp_status=message,
                 eps=eps, residual=system.violation(h), feasible=True,
                 seconds=time.perf_counter() - started)
    return _LayerOutcome(h, diag, False)


# -- the whole network -----------------------------------------------------------------


def _exact_linf_residual(
    network: ReluNetwork, z: FloatArray, x: FloatArray, observed: npt.NDArray[np.intp]
) -> float | None:
    """``max_j |G(z)_j - x_j|`` over observed ``j`` in exact arithmetic (integer networks)."""
    if not network.is_integral or network.num_nonzero_weights() > EXACT_CHECK_MAX_WEIGHTS:
        return None
    out = network.forward_exact(z)
    target = exact_vector(x, "x")
    gaps = [abs(out[j] - t) for j, t in zip(observed.tolist(), target, strict=True)]
    return float(max(gaps, default=0))



def check_inversion_arguments(
    network: object, x: npt.ArrayLike, noise: object, mask: npt.ArrayLike | None,
    tolerances: dict[str, object],
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Check the arguments shared by the inverters; return ``x`` and the observed indices.

    ``network`` must be a :class:`~reluinv.data.network.ReluNetwork`, ``noise`` one of
    :data:`NOISE_MODELS`, every entry of ``tolerances`` (name -> value) a finite number
    ``>= 0``; ``x`` a finite vector of the output size ``n``; ``mask`` ``None`` or a boolean
    vector of length ``n`` with at least one ``True``. The wrong kind raises
    :class:`~reluinv.errors.InvalidTypeError`, a wrong value
    :class:`~reluinv.errors.InvalidArgumentError` (or ``ShapeError`` / ``NonFiniteError``),
    the message naming the argument.
    """
    if not isinstance(network, ReluNetwork):
        raise InvalidTypeError(
            f"network must be a reluinv.ReluNetwork, got {type(network).__name__}")
    check_choice(noise, "noise", NOISE_MODELS)
    for name, value in tolerances.items():
        check_nonnegative(value, name)
    n = network.output_dim
    target = real_vector(x, "x")
    if target.shape != (n,):
        raise ShapeError(f"x must have shape (n,) = ({n},), got {target.shape}")
    if not np.all(np.isfinite(target)):
        index = int(np.flatnonzero(~np.isfinite(target))[0])
        raise NonFiniteError(f"x[{index}] is {target[index]}; x must be finite")
    if mask is None:
        return target, np.arange(n)
    observed = np.asarray(mask)
    if observed.dtype != np.bool_ or observed.shape != (n,):
        raise ShapeError(
            f"mask must be a boolean array of shape ({n},), got {observed.dtype} {observed.shape}"
        )
    if not np.any(observed):
        raise InvalidArgumentError("mask observes no output; at least one entry must be True")
    return target, np.flatnonzero(observed)


def real_vector(x: object, name: str) -> FloatArray:
    """``x`` as a float64 array, refusing what would convert only by losing information:
    complex numbers (NumPy drops the imaginary part with a warning), strings (NumPy parses
    ``"1"`` as 1.0), bools, objects and non-numbers raise
    :class:`~reluinv.errors.InvalidTypeError` naming ``name``.

    >>> real_vector([1, 2.5], "x")
    array([1. , 2.5])
    >>> real_vector([1j], "x")
    Traceback (most recent call last):
    ...
    reluinv.errors.InvalidTypeError: x must hold real numbers, got dtype complex128
    """
    if isinstance(x, str | bytes):
        raise InvalidTypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{name} must be an array of numbers: {exc}") from None
    if raw.dtype.kind == "O" and not any(isinstance(v, str | bytes | complex | bool)
                                         for v in raw.flat):
        try:  # exact numbers (Fractions, Python ints) as floats
            return np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(f"{name} must hold real numbers: {exc}") from None
    if raw.dtype.kind not in "iuf":
        raise InvalidTypeError(f"{name} must hold real numbers, got dtype {raw.dtype}")
    return np.asarray(raw, dtype=np.float64)


def invert_layerwise(
    network: ReluNetwork,
    x: npt.ArrayLike,
    *,
    noise: NoiseModel = "none",
    mask: npt.ArrayLike | None = None,
    tau: float = ACTIVE_THRESHOLD,
    feasibility_tol: float = FEASIBILITY_TOLERANCE,
    residual_tol: float = RESIDUAL_TOLERANCE,
    noise_bound: float | None = None,
    certificate_radius: float = CERTIFICATE_MIN_RADIUS,
) -> LayerwiseResult:
    """Invert ``network`` one layer at a time, from ``x`` down to ``z``.

    Parameters
    ----------
    network:
        The generator ``G``; ReLU or leaky ReLU on every layer.
    x:
        The observation, shape ``(n,)``.
    noise:
        ``"none"`` (realizable: ``x = G(z)`` up to rounding), ``"linf"`` or ``"l1"``
        (noisy; one LP per layer minimising the misfit in that norm).
    mask:
        Boolean array of shape ``(n,)``: only the outputs marked ``True`` are observed and
        constrain the last layer (inpainting). ``None``: all of them.
    tau:
        Activity threshold: ``y_j > tau`` is an active row. ``ACTIVE_THRESHOLD`` suits
        realizable data; use the noise level on noisy data.
    feasibility_tol:
        Relative tolerance (times ``max(1, ||y||_inf)``) of a layer's constraints when a
        least-squares answer is accepted or a leaky system is judged consistent.
    residual_tol:
        Realizable acceptance: ``||G(z) - x||_inf <= residual_tol * max(1, ||x||_inf)``.
    noise_bound:
        Noisy modes: the caller's bound on the noise, ``||e||_inf`` for ``"linf"`` and
        ``||e||_1`` for ``"l1"`` (on the observed outputs). ``RECOVERED`` when the
        forward residual of ``z`` in that norm is at most ``noise_bound`` plus the
        realizable tolerance (``z`` explains ``x`` as well as the noise model says the
        truth does), ``INCONCLUSIVE`` when above. ``None`` (default): the status is
        ``FIT``, with the residual reported and nothing certified. Ignored when
        ``noise="none"``.
    certificate_radius:
        A Farkas ray is accepted when it rules out every pre-image with
        ``||h||_inf < certificate_radius`` (see :mod:`reluinv.layerwise.farkas`).

    Returns
    -------
    LayerwiseResult
        Status, ``z``, residuals, one diagnostic per layer, timing.

    Examples
    --------
    >>> net = ReluNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]]])
    >>> result = invert_layerwise(net, net.forward([2.0, 1.0]))
    >>> result.status.name, result.z.round(12).tolist(), result.layers[0].method
    ('RECOVERED', [2.0, 1.0], 'lstsq')
    """
    started = time.perf_counter()
    tolerances: dict[str, object] = {"tau": tau, "feasibility_tol": feasibility_tol,
                  "residual_tol": residual_tol, "certificate_radius": certificate_radius}
    if noise_bound is not None:
        tolerances["noise_bound"] = noise_bound
    target, observed = check_inversion_arguments(network, x, noise, mask, tolerances)
    x_observed = target[observed]
    network = network.to_dense()  # the LPs are dense; a CSR network too large is refused
    weights = [np.asarray(w, dtype=np.float64) for w in network.weights]
    biases = [np.asarray(b, dtype=np.float64) for b in network.biases]
    leaky = network.activation == "leaky_relu"

    diagnostics: list[LayerDiagnostic] = []
    y = x_observed
    failed_layer: int | None = None
    proved = False
    layer_tau = float(tau)
    for i in range(network.depth, 0, -1):
        layer_started = time.perf_counter()
        W, b = weights[i - 1], biases[i - 1]
        if i == network.depth:
            W, b = W[observed], b[observed]
        nonneg = i >= 2 and not leaky
        linear = i == network.depth and network.output_linear
        if linear:  # a linear head: every observed row is an equality, any sign
            y_layer = y
            active = np.ones(y.shape, dtype=bool)
        elif leaky:
            y_layer = np.where(y >= 0.0, y, y / network.slope)
            active = np.ones(y.shape, dtype=bool)
        else:
            y_layer = y
            active = y > layer_tau
        system = _LayerSystem(W, b, y_layer, layer_tau, active, nonneg, i)
        negative = (np.flatnonzero(y < -tau) if not (leaky or linear) and noise == "none"
                    else np.zeros(0, dtype=np.intp))
        if len(negative):
            j = int(negative[0])
            outcome = _infeasible(system, 0, "sign",
                                  f"a ReLU output is never negative, but y[{j}] = {y[j]:.3g}",
                                  None, layer_started)
            outcome = _LayerOutcome(None, outcome.diagnostic, True)
        elif noise != "none":
            row_scale = (np.where(y < 0.0, 1.0 / network.slope, 1.0) if leaky and not linear
                         else np.ones(y.shape))
            outcome = _invert_noisy(system, noise=noise, row_scale=row_scale,
                                    started=layer_started)
        elif leaky and not linear:
            outcome = _invert_leaky(system, tol=feasibility_tol, radius=certificate_radius,
                                    started=layer_started)
        else:
            outcome = _invert_realizable(system, tol=feasibility_tol,
                                         radius=certificate_radius, started=layer_started)
        diagnostics.append(dataclasses.replace(outcome.diagnostic, preimage=outcome.h))
        if outcome.h is None:
            failed_layer, proved = i, outcome.proved_infeasible
            break
        y = outcome.h
        if noise != "none":
            layer_tau = max(float(tau), NOISY_TAU_GROWTH * outcome.diagnostic.residual)

    exact: float | None = None

    def finish(status: LayerwiseStatus, z: FloatArray | None, residuals: Sequence[float],
               bound: float, message: str) -> LayerwiseResult:
        linf, l1, l2 = residuals
        return LayerwiseResult(
            status=status, z=z, residual=linf, residual_l1=l1, residual_l2=l2,
            exact_residual=exact,
            residual_bound=bound, layers=tuple(diagnostics),
            seconds=time.perf_counter() - started, noise=noise, tau=float(tau),
            feasibility_tol=float(feasibility_tol), failed_layer=failed_layer,
            message=message,
        )

    realizable_bound = residual_tol * max(1.0, float(np.max(np.abs(x_observed), initial=0.0)))
    if failed_layer is not None:
        nan = (math.nan, math.nan, math.nan)
        diag = diagnostics[-1]
        input_forced = all(d.pinned for d in diagnostics[:-1])
        if proved and input_forced:
            what = ("the observation" if failed_layer == network.depth
                    else "forced by the pinned layers above")
            return finish(LayerwiseStatus.NO_PREIMAGE, None, nan, realizable_bound,
                          f"layer {failed_layer} has no pre-image of its input ({what}); "
                          f"method {diag.method}")
        reason = ("the infeasibility is not backed by a verified certificate" if not proved
                  else "a layer above had several pre-images, the chosen one has none below")
        return finish(LayerwiseStatus.INCONCLUSIVE, None, nan, realizable_bound,
                      f"layer {failed_layer} found no pre-image; {reason}")

    z = y
    r = network.forward(z)[observed] - x_observed
    residuals = (float(np.max(np.abs(r), initial=0.0)), float(np.sum(np.abs(r))),
                 float(np.linalg.norm(r)))
    exact = _exact_linf_residual(network, z, x_observed, observed)
    norm = "l1" if noise == "l1" else "linf"
    if noise == "none":
        bound = realizable_bound
        measured = residuals[0] if exact is None else max(residuals[0], exact)
    else:
        measured = residuals[0] if noise == "linf" else residuals[1]
        if noise_bound is None:
            return finish(LayerwiseStatus.FIT, z, residuals, math.inf,
                          f"best fit, not certified: {norm} residual {measured:.3g} and no "
                          "noise_bound stated to judge it against")
        bound = float(noise_bound) + realizable_bound
    if measured <= bound:
        return finish(LayerwiseStatus.RECOVERED, z, residuals, bound,
                      f"forward check passed: {norm} residual {measured:.3g} <= {bound:.3g}")
    return finish(LayerwiseStatus.INCONCLUSIVE, z, residuals, bound,
                  f"forward check failed: {norm} residual {measured:.3g} > {bound:.3g}")
