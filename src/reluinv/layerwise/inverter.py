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
position) the equalities pin ``h`` down: a least-squares solve finds it
(:mod:`reluinv.layerwise.lstsq`: the corrected normal equations when the block is well
conditioned, accumulated over chunks of rows without copying the block; LAPACK's
rank-revealing ``dgelsy`` otherwise), and it is kept when every constraint of the layer
holds within ``feasibility_tol * max(1, ||y||_inf)``. Measured against the floor of one
NumPy ``lstsq`` per layer (``benchmarks/suite_layerwise.py``, medians of 30, same
process): 0.93x on the digits ReLU decoder, 0.84-0.96x on the LeakyReLU one, 0.39-0.41x
on 20 x 60 x 784 nets whose observation pins the hidden layer. Otherwise an LP
(HiGHS through :func:`scipy.optimize.linprog`) finds a point of the polyhedron or proves it
empty; an empty polyhedron comes with a Farkas ray that :mod:`reluinv.layerwise.farkas` re-derives
and re-checks.

**Undetermined layers.** When the active rows have rank ``r < n_{i-1}`` (a trained
decoder's output with few active pixels; ``r = 0`` when no row is active), the
least-squares point ``h0`` satisfies the equalities but is rarely a pre-image (it breaks
inactive rows or ``h >= 0``), and a pre-image that the layers below cannot produce dooms
a later step. So the layers below are brought in first (the composed route,
:mod:`reluinv.layerwise.composed`): the true ``h`` is their output at some code ``z``, and
with every activation pattern fixed each constraint is linear in ``z``. Gauss-Newton
rounds (least squares in ``z``, patterns re-read) first fit the ``r`` equalities, then
the equalities together with every inactive row that fails, pushed back to its bound
(Han's method); a run that stalls is restarted from seeded moves of its start, and when
every run stalls, LPs in ``z`` with the best round's patterns fixed take over, moving
across the units whose sign constraints hold their optimum (a descent of the continuous
piecewise-linear misfit through adjacent activation regions), each one HiGHS dual simplex
over a working set of rows, about 1 ms on the decoders below. The answer comes with its
chain of points below (``h_{i-2}, ..., h_1, z``), each an output of the layer under it:
every lower layer checks its point against its own rows and takes it (``method="lstsq"``
when its rows pin it, else ``"composed"`` with ``lp_status = HANDED_DOWN``) instead of
solving. On 20 x 60 x 784 decoders with output bias -0.2 (median 23 active pixels for 60
hidden units; ``benchmarks/suite_layerwise.py``, 30 planted codes of each of the seeds
2026, 7, 11, 12, 13 and 14) 174 of 180 inversions are recovered (147 with the
equalities' phase alone and no restarts, fewer still with the null-space LP alone, whose
vertex mostly has no pre-image in the layer below). Inverting two layers is NP-hard, and
every one of these searches may miss a pre-image that exists: the draws left end
``INCONCLUSIVE``, never ``NO_PREIMAGE`` (an unpinned layer proves nothing about the
layers above it).
When the composed route finds nothing and ``r > 0``, ``h = h0 + N c``, ``N`` a basis of
the equalities' null space (from one SVD of the active block), satisfies them for every
``c``: the LP is solved over the ``n_{i-1} - r`` coordinates of ``c`` alone, with the
inactive rows ``(W N)_j c <= -b_j - (W h0)_j`` (the product ``W N`` is formed, never a
copy of the inactive block) and ``h0 + N c >= 0`` on hidden layers. The map ``c -> h``
is affine and one-to-one, so the simplex's vertex is a vertex of the layer's pre-images,
as the full LP's would be (an interior point such as ``h0`` itself is rarely a ReLU
output, which has zeros). When the equalities are inconsistent or the reduced LP does
not end optimal, the full LP runs and its infeasibility is backed by a Farkas ray as
above.

An observed ReLU output below ``-tau`` has no pre-image at all (``method="sign"``). With
a ``mask`` only the observed rows of the last layer enter its system (inpainting).

**Linear head** (``output_activation="linear"``). The last layer is the linear system
``W_d h + b_d = x`` (observed rows), every row an equality whatever the sign of ``x_j``,
with ``h >= 0`` below a ReLU hidden layer; it is solved as a realizable layer whose rows
are all active (least squares, else the LP), and the noisy LPs treat every row as active.

**Leaky ReLU layer.** ``s`` is invertible: ``t_j = y_j`` if ``y_j >= 0`` else
``y_j / alpha``, and every row is an equality ``w_j h + b_j = t_j``; least squares solves it
and the residual vector itself is the Farkas ray when the system is inconsistent.

**Noisy layers** (``noise="linf"``, ``"l1"``, ``"l1_total"``; the paper's Section 4):
each row is read as a band around its observed value, with thresholds, LPs, accepted
misfits and error bounds that follow the stated noise; see
:mod:`reluinv.layerwise.noisy`.

**Status.** ``RECOVERED`` only when the forward pass of the returned ``z`` reproduces ``x``
on the observed outputs within a bound derived from what the *caller* stated, never from
the fit being judged: ``||G(z) - x||_inf <= residual_tol * max(1, ||x||_inf)`` in the
realizable case. Under noise, every layer must be consistent
(:mod:`~reluinv.layerwise.noisy`, *Accepted misfit*) and the forward residual in the
noise's norm must stay within ``noise_bound + spread`` (plus the realizable tolerance,
for rounding), where ``spread = max |W_d| delta_{d-1}`` (l_inf; the
largest column sum of ``|W_d|`` times ``delta_{d-1}`` for l_1) is how far the output of a
correct answer may move while the top hidden layer is known only within its propagated
bound (``0`` when the top layer is not pinned: then ``z`` must explain ``x`` within the
stated noise itself). The truth ``z*`` always passes; ``latent_error_bound`` says how much
the claim means. A noisy ``RECOVERED`` is therefore a claim about ``z`` (within the
propagated bound of the truth), not that ``G(z)`` explains ``x`` within the stated noise:
the residual of such a ``z`` commonly exceeds ``noise_bound`` (uniform noise ``1e-3`` on
random ``4 x 16 x 48`` to ``20 x 100 x 500`` nets: residuals ``0.9e-3`` to ``1.6e-3``
against bounds ``0.035`` to ``0.16``). ``within_noise`` says which holds, and
``output_spread`` is the ``spread`` used. Without a ``noise_bound`` a noisy inversion
ends ``FIT`` (:mod:`~reluinv.layerwise.noisy`, *Unknown noise level*).
``NO_PREIMAGE`` when a layer is infeasible with a verified certificate *and* the layer's
input was forced: it is the observation, or every layer above had a unique pre-image (its
equality rows had full column rank; the count is reported). The certificate, a checked
Farkas ray, rules out every pre-image of norm below ``certificate_radius`` times the
layer's scale ``max(1, ||y||_inf)``; below the observation the layer's input is a computed
pre-image, and the ray must refute the layer's system widened by a rigorous bound on that
input's rounding error (:mod:`reluinv.layerwise.rounding`). ``INCONCLUSIVE`` otherwise:
for instance a hidden layer with many pre-images whose chosen one has none below (the
fate of the MAX-3SAT reduction's networks), a ``z`` whose residual exceeds the bound, a
layer whose misfit contradicts the stated noise, or a solver failure. Uniqueness of a
recovered ``z`` is not claimed here.

**LP solvers**: see :mod:`reluinv.layerwise.lp` (the l_1 LPs through their dual by HiGHS's
dual simplex, cvxopt's interior point for the l_inf LPs, HiGHS for the feasibility LPs and
Farkas rays).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice, check_nonnegative
from reluinv.data.network import ReluNetwork, exact_vector
from reluinv.errors import InvalidArgumentError, InvalidTypeError, NonFiniteError, ShapeError
from reluinv.layerwise.composed import Below, composed_preimage
from reluinv.layerwise.diagnostics import (
    LayerDiagnostic,
    LayerOutcome,
    found_outcome,
    infeasible_outcome,
)
from reluinv.layerwise.farkas import (
    CERTIFICATE_MIN_RADIUS,
    FarkasCertificate,
    check_farkas_ray,
    find_farkas_ray,
)
from reluinv.layerwise.layer_system import ACTIVE_THRESHOLD, FEASIBILITY_TOLERANCE, LayerSystem
from reluinv.layerwise.lp import (
    DENSE_LP_SOLVERS,
    DenseSolver,
    linprog,
    solve_feasibility,
)
from reluinv.layerwise.lstsq import (
    ROW_CHUNK,
    lstsq_rows,
    rank_and_lstsq,
    safely_full_column_rank,
    step_factor,
)
from reluinv.layerwise.noisy import (
    DUAL_BASIS_LIMIT,
    L1_THRESHOLD_FACTOR,
    NOISE_ESTIMATE_FACTOR,
    NOISE_ESTIMATE_ROUNDS,
    NOISE_MODELS,
    NOISY_TAU_GROWTH,
    REWEIGHT_ROUNDS,
    NoiseModel,
    estimate_noise,
    invert_noisy,
    output_spread,
    thresholds,
)
from reluinv.layerwise.rounding import LayerReading, refute_within_rounding
from reluinv.results import ResultBase

__all__ = [
    "ACTIVE_THRESHOLD",
    "DUAL_BASIS_LIMIT",
    "EXACT_CHECK_MAX_WEIGHTS",
    "FEASIBILITY_TOLERANCE",
    "L1_THRESHOLD_FACTOR",
    "NOISE_ESTIMATE_FACTOR",
    "NOISE_ESTIMATE_ROUNDS",
    "NOISE_MODELS",
    "NOISY_TAU_GROWTH",
    "NOISY_VALUE_LIMIT",
    "RESIDUAL_TOLERANCE",
    "REWEIGHT_ROUNDS",
    "VALUE_LIMIT",
    "LayerDiagnostic",
    "LayerwiseResult",
    "LayerwiseStatus",
    "NoiseModel",
    "check_inversion_arguments",
    "invert_layerwise",
]

FloatArray = npt.NDArray[np.float64]
#: Largest magnitude of an observation entry, ``tau`` or ``noise_bound`` accepted: about
#: ``sqrt`` of float64's largest number, so that squares and the products with the weights
#: of a realizable inversion stay finite (``1e308`` overflowed into warnings and a
#: ``ValueError`` from the LP).
VALUE_LIMIT = 1e150
#: ... and under noise (``noise != "none"``), where every layer is an LP: HiGHS reads
#: ``1e20`` and beyond as infinite (an observation of ``1e20`` gave an infinite noise
#: estimate and a ``ValueError`` from ``linprog``), and a leaky band edge divides by the
#: slope, so the limit leaves five orders of magnitude below that.
NOISY_VALUE_LIMIT = 1e15
#: Realizable acceptance: ``||G(z) - x||_inf <= RESIDUAL_TOLERANCE * max(1, ||x||_inf)``.
RESIDUAL_TOLERANCE = 1e-6
#: Integer networks with at most this many weights get their forward check redone in exact
#: rational arithmetic (``LayerwiseResult.exact_residual``).
EXACT_CHECK_MAX_WEIGHTS = 100_000


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
        The thresholds asked for: the caller's ``tau``, else ``ACTIVE_THRESHOLD`` (a factor
        of each layer's scale when realizable, 0 under noise); the threshold each layer
        used is its diagnostic's ``tau``.
    failed_layer:
        The layer ``i`` whose step found no pre-image, or ``None``.
    message:
        A sentence saying why the status was chosen.
    noise_level:
        Noisy modes: the noise level of the observation the thresholds were derived from:
        the stated ``noise_bound``, or the estimate (``noise_estimated``). ``None`` when
        noise-free.
    noise_estimated:
        ``True`` when no ``noise_bound`` was stated and ``noise_level`` was estimated from
        the top layer's fit (the status is then ``FIT``).
    latent_error_bound:
        Noisy modes: the propagated bound on ``||z - z*||`` (``inf`` norm for ``linf``, l_1
        otherwise) that holds if the noise is within ``noise_level``; ``inf`` when a layer
        was not pinned (no finite bound), ``nan`` when noise-free.
    output_spread:
        Noisy modes with a stated ``noise_bound``: the ``spread`` of the module docstring
        (*Status*), how far ``G`` may move while the top hidden layer moves within its
        propagated bound; ``residual_bound`` is ``noise_bound + output_spread`` plus the
        realizable tolerance. ``0`` when the top layer is not pinned, ``nan`` otherwise.
    within_noise:
        Noisy modes with a stated ``noise_bound`` and a ``z``: whether the forward residual
        (in the noise's norm) is within ``noise_bound`` plus the realizable tolerance,
        that is, whether ``G(z)`` explains ``x`` within the stated noise. A ``RECOVERED``
        answer may have ``within_noise=False``: its residual is then within the
        propagated bound ``residual_bound`` only. ``None`` otherwise.
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
    noise_level: float | None = None
    noise_estimated: bool = False
    latent_error_bound: float = math.nan
    output_spread: float = math.nan
    within_noise: bool | None = None
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


def _invert_realizable(
    system: LayerSystem, *, tol: float, certificate_radius: float, started: float,
    below: Below | None = None, handed_down: tuple[FloatArray, ...] = (),
) -> LayerOutcome:
    """Least squares on the active rows; when they do not pin ``h``, a pre-image among
    the outputs of the layers ``below``
    (:func:`~reluinv.layerwise.composed.composed_preimage`), then an LP over the
    undetermined coordinates only when ``0 < rank`` (module docstring,
    *Undetermined layers*); the full LP and its Farkas ray when the equalities are
    inconsistent, no row is active, or the reduced LP fails. A Farkas ray must reach
    ``certificate_radius`` times the layer's scale (:func:`_certificate_scale`).

    ``handed_down``: the chain below a composed route's answer higher up (``(h_{i-1},
    ..., h_1, z)`` for this layer ``i``, or ``(h_{i-1},)`` alone when that route went
    through one layer), whose first point ``hint`` is an output of the layers below at
    the rest of the chain. When the active rows pin this layer (they pass
    the normal equations' test, rank ``n``), its pre-image is unique up to rounding, and
    ``hint`` is checked against the layer's constraints instead of solving for it again
    (``method="lstsq"``, as the solve would report). When they do not (rank ``< n``, found
    by the least-squares solve), ``hint`` is one of its many pre-images once it passes
    the same check, and one the layers below produce when the chain goes on down to
    ``z``: it is taken before any LP (``method="composed"``, ``lp_status=HANDED_DOWN``),
    on the first layer or when the chain has more points. Either way the rest of the
    chain goes on down."""
    n = system.unknowns
    act = system.active
    r = int(np.count_nonzero(act))
    limit = tol * system.scale
    rank = 0
    hint = handed_down[0] if handed_down else None

    def ray_radius() -> float:
        return certificate_radius * _certificate_scale(system.y, system.b)

    def found(h: FloatArray, method: str, message: str | None,
              residual: float | None = None,
              chain: tuple[FloatArray, ...] = ()) -> LayerOutcome:
        if system.nonneg and h.size and float(h.min()) < 0.0:
            h, residual = np.maximum(h, 0.0), None
        return found_outcome(system, h, rank=rank, method=method, lp_status=message,
                             residual=system.violation(h) if residual is None else residual,
                             started=started, chain=chain)

    # The point handed down is checked against the layer's rows first: once it fails, the
    # layer is solved as if there were none.
    hint_residual = system.violation(hint) if hint is not None and hint.shape == (n,) else None
    if hint_residual is None or not hint_residual <= limit:
        hint = None
    equalities: tuple[FloatArray, FloatArray] | None = None
    if r <= ROW_CHUNK or r < n:  # the block is copied anyway: once, here
        equalities = system.equality_rows()
        if hint is not None and n > 0 and safely_full_column_rank(equalities[0]):
            rank = n  # pinned: the solve would find the same point up to rounding
            return found(hint, "lstsq", None, hint_residual, handed_down[1:])
        rank, h = rank_and_lstsq(*equalities, n)
    else:  # never copied on the normal equations' route
        rank, h = lstsq_rows(system.W, act, system.y[act] - system.b[act])

    if hint is not None and _takes_handed_down(system, rank, handed_down):
        if rank == n:
            return found(hint, "lstsq", None, hint_residual, handed_down[1:])
        return found(hint, "composed", HANDED_DOWN, hint_residual, handed_down[1:])
    if rank == n:  # the violation covers the equalities too
        # A ReLU output's zeros come out of the solve as rounding of either sign: the point
        # judged is the one handed down, with those set to 0 (h stays the least-squares
        # point, which the residual's Farkas ray below needs).
        point = np.maximum(h, 0.0) if system.nonneg else h
        residual = system.violation(point)
        if residual <= limit:
            return found(point, "lstsq", None, residual)
    A_eq, b_eq = equalities if equalities is not None else system.equality_rows()
    consistent = float(np.abs(A_eq @ h - b_eq).max(initial=0.0)) <= limit
    # Not pinned: the least-norm point is interior to the pre-images and rarely a ReLU
    # output (those have zeros); the simplex's vertex is what the layer below can invert.
    if rank == n and not consistent:
        residual_ray = _residual_certificate(A_eq, b_eq, h, system.nonneg, ray_radius())
        if residual_ray.verified:
            return infeasible_outcome(system, rank, "lstsq", None, residual_ray, started)
    if consistent and rank < n and below is not None:  # rank 0 too: inactive rows only
        composed = composed_preimage(system, A_eq, b_eq, h, below, limit)
        if composed is not None:
            return found(composed[0], "composed", composed[2], composed[1], composed[3])
    if consistent and 0 < rank < n:
        # h = h0 + N c with N a basis of the null space of A_eq: the equalities hold for
        # every c, and only n - rank coordinates remain for the LP.
        basis = np.linalg.svd(A_eq, full_matrices=True)[2][rank:].T
        A_c, b_c = system.inequality_rows(basis, h)
        if system.nonneg:  # h0 + N c >= 0
            A_c, b_c = np.vstack([A_c, -basis]), np.concatenate([b_c, h])
        coordinates, message = _reduced_vertex(A_c, b_c, n - rank)
        if coordinates is not None:
            candidate = h + basis @ coordinates
            if system.violation(np.maximum(candidate, 0.0) if system.nonneg
                                else candidate) <= limit:
                return found(candidate, "lp", message)
    A_ub, b_ub = system.inequality_rows()
    if n == 0:  # nothing to choose: the constant rows are violated (rank 0 == n above)
        constant_ray = find_farkas_ray(A_eq, b_eq, A_ub, b_ub, np.zeros(0, dtype=bool),
                                       min_radius=ray_radius())
        return infeasible_outcome(system, 0, "lstsq", None, constant_ray, started)
    result = linprog(
        np.zeros(n),
        A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
        A_eq=A_eq if A_eq.shape[0] else None, b_eq=b_eq if A_eq.shape[0] else None,
        bounds=_bounds(n, system.nonneg), method="highs",
    )
    message = f"{result.message} (status {result.status})"
    if result.status == 0:
        return found(np.asarray(result.x, dtype=np.float64), "lp", message)
    certificate: FarkasCertificate | None = None
    if result.status == 2:
        certificate = find_farkas_ray(A_eq, b_eq, A_ub, b_ub, np.full(n, system.nonneg),
                                      min_radius=ray_radius())
    return infeasible_outcome(system, rank, "lp", message, certificate, started)


def _kept_step_factor(network: ReluNetwork, top: int, position: int) -> FloatArray | None:
    """The :func:`~reluinv.layerwise.lstsq.step_factor` of ``W_{j+1}``, ``j = top -
    position``, for the composed route's start (``Below.factor``, whose layers run down
    from ``W_{top+1}``), computed on its first use and then kept by ``network`` for every
    later inversion (read-only: they share it)."""
    j = top - position

    def compute() -> FloatArray | None:
        factor = step_factor(np.asarray(network.weights[j], dtype=np.float64))
        if factor is not None:
            factor.setflags(write=False)
        return factor
    return network.derived(("step factor", j), compute)


def _takes_handed_down(system: LayerSystem, rank: int,
                       handed_down: tuple[FloatArray, ...]) -> bool:
    """Whether a layer takes the point handed down to it, once the point passes its rows:
    when the rows pin the layer (``rank = n``: a solve would find the same point up to
    rounding), on the first layer (its input ``z`` is free), or when the chain goes on
    down to ``z`` (the point is then an output of the layers below). A point handed down
    alone, by the route through one layer, must also be an output of the layer below,
    which only the layer's own route makes sure of."""
    return rank == system.unknowns or system.layer == 1 or len(handed_down) > 1


#: The ``lp_status`` of a layer that is not pinned and took the pre-image the layer
#: above's composed route handed down (:func:`_invert_realizable`).
HANDED_DOWN = "the pre-image handed down by the composed route of a layer above, checked"
#: The null-space LP's first working set: the rows of least slack at ``h0``, this many per
#: undetermined coordinate (plus every row ``h0`` violates).
REDUCED_LP_ROWS_PER_COORDINATE = 4
#: ... and at most this many rounds of adding the rows an answer violates before the LP is
#: solved with every row.
REDUCED_LP_ROUNDS = 20


def _reduced_vertex(A: FloatArray, rhs: FloatArray, k: int) -> tuple[FloatArray | None, str]:
    """A point of ``{c : A c <= rhs}`` (``k`` free coordinates; a vertex when the simplex
    ends on one), or ``None`` with the solver's message.

    *Working set* (:func:`~reluinv.layerwise.lp.solve_feasibility`): most inactive rows of
    a trained decoder hold with room at ``h0`` and at the answer, so the first LP keeps
    the rows ``h0`` (``c = 0``) violates and the ``REDUCED_LP_ROWS_PER_COORDINATE * k`` of
    least slack, and rows join only when an answer violates them (1-6 rounds). On
    20 x 60 x 784 decoders with 7-56 active pixels (11-49 undetermined coordinates, about
    800 rows; ``benchmarks/suite_layerwise.py``'s trained-like decoders) whole inversions
    took 0.41-0.75x of their time with the LP over every row, with the same statuses.
    """
    if A.shape[0] == 0:
        return np.zeros(k), "no inequality constrains the undetermined coordinates"
    first = rhs < 0.0
    first[np.argsort(rhs)[:REDUCED_LP_ROWS_PER_COORDINATE * k + 1]] = True
    answer = solve_feasibility(A, rhs, first, rounds=REDUCED_LP_ROUNDS)
    return answer.x, f"{answer.message} ({k} undetermined coordinates)"


def _invert_leaky(
    system: LayerSystem, *, tol: float, radius: float, started: float,
    handed_down: tuple[FloatArray, ...] = (),
) -> LayerOutcome:
    """A hidden leaky ReLU layer: every row an equality, ``W h + b = s^{-1}(y)``, solved by
    least squares, or the point ``handed_down`` by a composed route above when it passes
    the rows, under :func:`_invert_realizable`'s rules (pinned, or the first layer, or a
    chain that goes on down to ``z``)."""
    n = system.unknowns
    A_eq, b_eq = system.W, system.y - system.b
    limit = tol * system.scale
    rank, h = rank_and_lstsq(A_eq, b_eq, n)

    def misfit_at(point: FloatArray) -> float:
        return float(np.max(np.abs(A_eq @ point - b_eq), initial=0.0))

    hint = handed_down[0] if handed_down else None
    if hint is not None and hint.shape == (n,) and _takes_handed_down(system, rank, handed_down):
        misfit = misfit_at(hint)
        if misfit <= limit:
            return found_outcome(system, hint, rank=rank,
                                 method="lstsq" if rank == n else "composed",
                                 lp_status=None if rank == n else HANDED_DOWN, residual=misfit,
                                 started=started, chain=handed_down[1:])
    misfit = misfit_at(h)
    if misfit <= limit:
        return found_outcome(system, h, rank=rank, method="lstsq", lp_status=None,
                             residual=misfit, started=started)
    certificate: FarkasCertificate | None = _residual_certificate(A_eq, b_eq, h, False, radius)
    if certificate is not None and not certificate.verified:
        found = find_farkas_ray(A_eq, b_eq, np.zeros((0, n)), np.zeros(0),
                                np.zeros(n, dtype=bool), min_radius=radius)
        certificate = found if found is not None else certificate
    return infeasible_outcome(system, rank, "lstsq", None, certificate, started)


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



def _certificate_scale(y: FloatArray, b: FloatArray) -> float:
    """``max(1, ||y||_inf, ||b||_inf)``: the size of a layer's values, by which the radius a
    Farkas ray must reach is multiplied (``G`` without biases is positively homogeneous,
    and large biases make pre-images large where ``y`` is small)."""
    return max(1.0, float(np.abs(y).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))


def _ruled_out(diag: LayerDiagnostic) -> str:
    """What a layer's Farkas ray rules out, for a ``NO_PREIMAGE`` message."""
    if diag.certificate is None:
        return ""
    return (f": a checked Farkas ray rules out every pre-image with ||h||_inf < "
            f"{diag.certificate.radius:.3g}")


def _layer_readings(
    network: ReluNetwork, weights: Sequence[FloatArray], biases: Sequence[FloatArray],
    observed: npt.NDArray[np.intp], x_observed: FloatArray,
    diagnostics: Sequence[LayerDiagnostic],
) -> list[LayerReading]:
    """The layers from the observation's down to the last one inverted, as read
    (:class:`~reluinv.layerwise.rounding.LayerReading`): the inputs are ``x`` and the
    pre-images found, the thresholds those the diagnostics report."""
    readings = []
    y = x_observed
    for d in diagnostics:
        i = d.layer
        W, b = weights[i - 1], biases[i - 1]
        if i == network.depth:
            W, b = W[observed], b[observed]
        kind = ("linear" if i == network.depth and network.output_linear
                else "leaky" if network.activation == "leaky_relu" else "relu")
        readings.append(LayerReading(W, b, y, d.tau, kind, network.slope))
        if d.preimage is not None:
            y = d.preimage
    return readings


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
    checked = {name: check_nonnegative(value, name) for name, value in tolerances.items()}
    n = network.output_dim
    target = real_vector(x, "x")
    if target.shape != (n,):
        raise ShapeError(f"x must have shape (n,) = ({n},), got {target.shape}")
    peak = float(np.abs(target).max()) if target.size else 0.0
    if not peak <= VALUE_LIMIT and not np.all(np.isfinite(target)):  # NaN: not <= either
        index = int(np.flatnonzero(~np.isfinite(target))[0])
        raise NonFiniteError(f"x[{index}] is {target[index]}; x must be finite")
    limit, why = ((VALUE_LIMIT, "the inversion's products and squares of such values "
                   "overflow float64") if noise == "none" else
                  (NOISY_VALUE_LIMIT, "the noisy modes' LP solvers read 1e20 as infinite"))
    if peak > limit:
        index = int(np.argmax(np.abs(target)))
        raise InvalidArgumentError(
            f"x[{index}] = {target[index]:.3g}: entries beyond {limit:.0e} in magnitude are "
            f"refused ({why}); rescale x and the last layer")
    for name in ("noise_bound", "tau"):
        if checked.get(name, 0.0) > limit:  # NumPy scalars too
            raise InvalidArgumentError(
                f"{name} = {checked[name]:.3g}: beyond {limit:.0e} {why}; rescale the data")
    if mask is None:
        return target, np.arange(n)
    if isinstance(mask, np.ma.MaskedArray):  # np.asarray would drop its own mask
        raise InvalidTypeError("mask must be a plain boolean array, got a masked array")
    try:
        observed = np.asarray(mask)
    except ValueError as exc:  # a ragged nesting
        raise ShapeError(f"mask must be a boolean array of shape ({n},): {exc}") from None
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
    if isinstance(x, np.ma.MaskedArray):  # np.asarray would drop the mask without a word
        raise InvalidTypeError(f"{name} must be a plain array, got a masked array; pass the "
                               "observed entries as mask= instead")
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{name} must be an array of numbers: {exc}") from None
    index = (next((i for i, v in enumerate(raw.flat) if v is None), None)
             if raw.dtype.kind == "O" else None)
    if index is not None:  # float64 would read it as NaN
        raise InvalidTypeError(f"{name} must hold real numbers, got None at flat index {index}")
    if raw.dtype.kind == "O" and not any(isinstance(v, str | bytes | complex | bool)
                                         for v in raw.flat):
        try:  # exact numbers (Fractions, Python ints) as floats
            return np.asarray(raw, dtype=np.float64)
        except OverflowError:
            raise InvalidArgumentError(
                f"{name} holds a number beyond float64's range (about 1.8e308)") from None
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
    tau: float | None = None,
    feasibility_tol: float = FEASIBILITY_TOLERANCE,
    residual_tol: float = RESIDUAL_TOLERANCE,
    noise_bound: float | None = None,
    certificate_radius: float = CERTIFICATE_MIN_RADIUS,
    solver: DenseSolver = "auto",
) -> LayerwiseResult:
    """Invert ``network`` one layer at a time, from ``x`` down to ``z``.

    Parameters
    ----------
    network:
        The generator ``G``; ReLU or leaky ReLU on every layer.
    x:
        The observation, shape ``(n,)``.
    noise:
        ``"none"`` (realizable: ``x = G(z)`` up to rounding); under noise (module
        docstring, *Noisy layers*) ``"linf"`` (minimise the largest row misfit), ``"l1"``
        (the paper's LP (6): minimise the summed misfit of the two-sided rows, the
        one-sided rows' misfits within the budget ``noise_bound``) or ``"l1_total"``
        (minimise the summed misfit of all rows, no budget).
    mask:
        Boolean array of shape ``(n,)``: only the outputs marked ``True`` are observed and
        constrain the last layer (inpainting). ``None``: all of them.
    tau:
        Activity threshold: ``y_j > tau`` is an active row. ``None`` (default):
        ``ACTIVE_THRESHOLD * max(1, ||y||_inf)`` on each layer when realizable (relative to
        the layer's values; a given ``tau`` is absolute); under noise the thresholds
        follow the noise (:mod:`~reluinv.layerwise.noisy`) and a given ``tau`` is a floor
        under them (in the l_1 modes it replaces the derived per-row threshold).
    feasibility_tol:
        Relative tolerance (times ``max(1, ||y||_inf)``) of a layer's constraints when a
        least-squares answer is accepted or a leaky system is judged consistent.
    residual_tol:
        Realizable acceptance: ``||G(z) - x||_inf <= residual_tol * max(1, ||x||_inf)``.
    noise_bound:
        Noisy modes: the caller's bound on the noise, ``||e||_inf`` for ``"linf"`` and
        ``||e||_1`` for the l_1 modes (on the observed outputs). The thresholds and the
        misfit each layer may reach are derived from it; ``RECOVERED`` when every layer
        is consistent with it and the forward residual is within it plus the spread a
        correct answer may have (module docstring, *Status*), ``INCONCLUSIVE`` otherwise.
        ``None`` (default): the noise level is estimated from the top layer's fit, and
        the status is ``FIT``. Ignored when ``noise="none"``.
    certificate_radius:
        A Farkas ray is accepted when it rules out every pre-image with
        ``||h||_inf < certificate_radius * max(1, ||y||_inf)``, ``y`` the layer's input
        (see :mod:`reluinv.layerwise.farkas`): relative, since ``G`` is positively
        homogeneous without biases and ``t x`` has pre-images ``t`` times as large.
    solver:
        The noisy LPs' solver, one of :data:`~reluinv.layerwise.lp.DENSE_LP_SOLVERS`
        (``"auto"``: the l_1 LPs through their dual by HiGHS while its basis is small, else
        by cvxopt with the slacks eliminated from its Newton systems, the l_inf LPs by
        cvxopt when installed, else HiGHS; ``"highs-dual"``: every noisy LP through its
        dual).

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
    tolerances: dict[str, object] = {"feasibility_tol": feasibility_tol,
                  "residual_tol": residual_tol, "certificate_radius": certificate_radius}
    if tau is not None:
        tolerances["tau"] = tau
    if noise_bound is not None:
        tolerances["noise_bound"] = noise_bound
    target, observed = check_inversion_arguments(network, x, noise, mask, tolerances)
    check_choice(solver, "solver", DENSE_LP_SOLVERS)
    every_output = observed.size == target.size  # no mask, or one that observes all
    x_observed = target if every_output else target[observed]
    network = network.to_dense()  # the LPs are dense; a CSR network too large is refused
    weights = [np.asarray(w, dtype=np.float64) for w in network.weights]
    biases = [np.asarray(b, dtype=np.float64) for b in network.biases]
    leaky = network.activation == "leaky_relu"

    diagnostics: list[LayerDiagnostic] = []
    failed_layer: int | None = None
    proved = False
    noisy = noise != "none"
    tau_floor = float(tau) if tau is not None else (0.0 if noisy else ACTIVE_THRESHOLD)
    estimated = noisy and noise_bound is None
    level: FloatArray | float = 0.0
    if noisy:
        top_level = (float(noise_bound) if noise_bound is not None else
                     estimate_noise(weights[-1][observed], biases[-1][observed], x_observed,
                                    network, noise, tau_floor, solver))
        level = top_level
    else:
        top_level = 0.0
    bounded = noisy
    top_spread = 0.0
    inconsistent: list[int] = []
    y = x_observed
    handed_down: tuple[FloatArray, ...] = ()  # the points below a composed route's answer
    # Realizable acceptance: a code whose output is this close to x is RECOVERED, so no
    # claim that x has no pre-image may rest on a smaller difference (the sign rule below,
    # and reluinv.layerwise.rounding for a Farkas ray).
    realizable_bound = residual_tol * max(1.0, float(np.abs(x_observed).max(initial=0.0)))
    negative = max(tau_floor, realizable_bound)  # a ReLU output below -negative: no code
    value_limit = NOISY_VALUE_LIMIT if noisy else VALUE_LIMIT
    too_large: str | None = None  # why a layer's input was beyond what float64 can invert
    for i in range(network.depth, 0, -1):
        layer_started = time.perf_counter()
        W, b = weights[i - 1], biases[i - 1]
        if i == network.depth and observed.size < W.shape[0]:  # no copy without a mask
            W, b = W[observed], b[observed]
        nonneg = i >= 2 and not leaky
        linear = i == network.depth and network.output_linear
        kind = "linear" if linear else ("leaky" if leaky else "relu")
        # The observation was checked against the limit; a pre-image found below it, or a
        # leaky layer's negative input read through s^{-1} (divided by the slope), may
        # exceed it.
        peak = float(np.abs(y).max(initial=0.0))
        reach = peak
        if kind == "leaky" and y.size:
            reach = max(peak, -float(y.min()) / network.slope)
        if not reach <= value_limit:  # NaN too
            failed_layer = i
            read = " (its negative entries divided by the slope)" if reach > peak else ""
            what = ("x and the last layer" if i == network.depth
                    else "the network's weights")
            too_large = (f"layer {i}'s input reaches {reach:.3g} in magnitude{read}, beyond "
                         f"{value_limit:.0e}, where this inversion cannot judge it; rescale "
                         f"{what}")
            break
        # Realizable: one threshold for every row, relative to the layer's scale unless the
        # caller gave one; noisy: one per row (reluinv.layerwise.noisy).
        threshold: FloatArray | float
        if noisy:
            threshold = thresholds(y, level, noise, tau_floor, int(W.shape[0]))
            layer_tau = float(threshold.max()) if threshold.size else 0.0
        else:
            threshold = layer_tau = (tau_floor if tau is not None
                                     else ACTIVE_THRESHOLD * max(1.0, peak))
        if linear:  # a linear head: every observed row is an equality, any sign
            y_layer = y
            active = np.ones(y.shape, dtype=bool)
        elif leaky:
            y_layer = np.where(y >= 0.0, y, y / network.slope)
            active = np.ones(y.shape, dtype=bool)
        else:
            y_layer = y
            active = y > threshold
        system = LayerSystem(W, b, y_layer, layer_tau, active, nonneg, i)
        if kind == "relu" and not noisy and y.size and float(y.min()) < -negative:
            j = int(np.flatnonzero(y < -negative)[0])
            outcome = infeasible_outcome(
                system, 0, "sign", f"a ReLU output is never negative, but y[{j}] = {y[j]:.3g}"
                f", below -{negative:.3g} (tau or the realizable tolerance)", None,
                layer_started)
            outcome = LayerOutcome(None, outcome.diagnostic, True)
        elif noisy:
            step = invert_noisy(system, y=y, kind=kind, slope=network.slope, noise=noise,
                                level=level, threshold=np.asarray(threshold), solver=solver,
                                started=layer_started, rigorous=bounded,
                                top_layer=i == network.depth)
            outcome = step.outcome
            if step.consistent is False:
                inconsistent.append(i)
            if i == network.depth:
                top_spread = (output_spread(W, step.next_noise, noise) if step.bounded
                              else 0.0)
            bounded = bounded and step.bounded
            level = step.next_noise
        elif leaky and not linear:
            outcome = _invert_leaky(system, tol=feasibility_tol,
                                    radius=certificate_radius * _certificate_scale(y, b),
                                    started=layer_started, handed_down=handed_down)
        else:
            below = (Below(tuple((weights[j], biases[j]) for j in range(i - 2, -1, -1)),
                           network.slope if leaky else 0.0,
                           factor=functools.partial(_kept_step_factor, network, i - 2))
                     if i >= 2 else None)
            outcome = _invert_realizable(system, tol=feasibility_tol,
                                         certificate_radius=certificate_radius,
                                         started=layer_started, below=below,
                                         handed_down=handed_down)
        diag = outcome.diagnostic
        diagnostics.append(diag if diag.preimage is outcome.h
                           else dataclasses.replace(diag, preimage=outcome.h))
        if outcome.h is None:
            failed_layer, proved = i, outcome.proved_infeasible
            break
        y, handed_down = outcome.h, outcome.handed_down

    exact: float | None = None
    latent_bound = (float(np.max(level, initial=0.0)) if noisy and bounded and failed_layer
                    is None else (math.inf if noisy else math.nan))

    spread = math.nan
    within: bool | None = None

    def finish(status: LayerwiseStatus, z: FloatArray | None, residuals: Sequence[float],
               bound: float, message: str) -> LayerwiseResult:
        linf, l1, l2 = residuals
        return LayerwiseResult(
            status=status, z=z, residual=linf, residual_l1=l1, residual_l2=l2,
            exact_residual=exact,
            residual_bound=bound, layers=tuple(diagnostics),
            seconds=time.perf_counter() - started, noise=noise, tau=tau_floor,
            feasibility_tol=float(feasibility_tol), failed_layer=failed_layer,
            message=message, noise_level=top_level if noisy else None,
            noise_estimated=estimated, latent_error_bound=latent_bound,
            output_spread=spread, within_noise=within,
        )

    if too_large is not None:
        return finish(LayerwiseStatus.INCONCLUSIVE, None, (math.nan,) * 3, realizable_bound,
                      too_large)
    if failed_layer is not None:
        nan = (math.nan, math.nan, math.nan)
        diag = diagnostics[-1]
        input_forced = all(d.pinned for d in diagnostics[:-1])
        if proved and input_forced and diag.method == "sign":  # a negative ReLU output
            return finish(LayerwiseStatus.NO_PREIMAGE, None, nan, realizable_bound,
                          f"layer {failed_layer} has no pre-image of its input (the "
                          f"observation); method {diag.method}")
        if proved and input_forced and not noisy:
            # Re-proved for every input the claim must cover (reluinv.layerwise.rounding):
            # the observation within the realizable tolerance (a code that close would be
            # RECOVERED), a computed input within its rounding bound as well.
            readings = _layer_readings(network, weights, biases, observed, x_observed,
                                       diagnostics)
            failing = readings[-1]
            certificate, why = refute_within_rounding(
                readings[:-1], [d.preimage for d in diagnostics[:-1]
                                if d.preimage is not None], failing,
                nonneg=failed_layer >= 2 and not leaky, observation_error=realizable_bound,
                radius=certificate_radius * _certificate_scale(failing.y, failing.b))
            what = ("the observation" if failed_layer == network.depth
                    else "forced by the pinned layers above")
            if certificate is None:
                return finish(LayerwiseStatus.INCONCLUSIVE, None, nan, realizable_bound,
                              f"layer {failed_layer} found no pre-image of its input "
                              f"({what}), but {why}")
            diagnostics[-1] = diag = dataclasses.replace(diag, certificate=certificate)
            return finish(LayerwiseStatus.NO_PREIMAGE, None, nan, realizable_bound,
                          f"layer {failed_layer} has no pre-image of its input ({what}; "
                          f"{why}){_ruled_out(diag)}; method {diag.method}")
        reason = ("the infeasibility is not backed by a verified certificate" if not proved
                  else "a layer above had several pre-images, the chosen one has none below")
        return finish(LayerwiseStatus.INCONCLUSIVE, None, nan, realizable_bound,
                      f"layer {failed_layer} found no pre-image; {reason}")

    z = y
    peak = float(np.abs(z).max(initial=0.0))
    if not peak <= VALUE_LIMIT:  # NaN too: no forward check can judge such a z
        nan = (math.nan, math.nan, math.nan)
        return finish(LayerwiseStatus.INCONCLUSIVE, None, nan, realizable_bound,
                      f"the code found has entries of magnitude {peak:.3g}, beyond "
                      f"{VALUE_LIMIT:.0e}: float64 cannot check it by a forward pass; "
                      "rescale the network's weights")
    output = network._forward_unchecked(z)  # z: float64, (k,), finite (peak above)
    r = (output if every_output else output[observed]) - x_observed
    magnitudes = np.abs(r)
    residuals = (float(magnitudes.max()) if r.size else 0.0, float(magnitudes.sum()),
                 math.sqrt(float(r @ r)))  # np.linalg.norm's own sum, without its checks
    exact = _exact_linf_residual(network, z, x_observed, observed)
    norm = "linf" if noise in ("none", "linf") else "l1"
    if noise == "none":
        bound = realizable_bound
        measured = residuals[0] if exact is None else max(residuals[0], exact)
    else:
        measured = residuals[0] if noise == "linf" else residuals[1]
        if estimated:
            return finish(LayerwiseStatus.FIT, z, residuals, math.inf,
                          f"best fit, not certified: {norm} residual {measured:.3g}; no "
                          f"noise_bound stated, noise level {top_level:.3g} estimated from "
                          "the top layer's fit and used for the thresholds only")
        bound = float(top_level) + top_spread + realizable_bound
        spread = top_spread
        within = measured <= float(top_level) + realizable_bound
        if inconsistent:
            layer = diagnostics[network.depth - inconsistent[0]]
            contradicted = LayerwiseStatus.INCONCLUSIVE
            return finish(contradicted, z, residuals, bound,
                          f"layer {layer.layer}'s misfit {layer.eps:.3g} exceeds the "
                          f"{layer.accepted_misfit:.3g} that the stated noise allows there")
    if measured <= bound:
        if noise == "none":
            how = ""
        elif within:
            how = f" (within the noise bound {top_level:.3g} itself)"
        else:
            how = (f" = noise bound {top_level:.3g} + spread {top_spread:.3g} + tolerance "
                   f"{realizable_bound:.3g}: within the propagated bound, not within the "
                   "noise bound")
        return finish(LayerwiseStatus.RECOVERED, z, residuals, bound,
                      f"forward check passed: {norm} residual {measured:.3g} <= "
                      f"{bound:.3g}{how}")
    return finish(LayerwiseStatus.INCONCLUSIVE, z, residuals, bound,
                  f"forward check failed: {norm} residual {measured:.3g} > {bound:.3g}")
