"""The hybrid inverter: the layer-wise LP first, the exact MIP where it is not enough.

``invert(network, x)`` answers the question of :func:`~reluinv.invert_layerwise` (a ``z``
with ``G(z) = x`` on the observed outputs, or the best fit under noise) in three stages:

1. **Layer-wise** (:func:`~reluinv.layerwise.inverter.invert_layerwise`): polynomial, and
   exact on expanding layers with enough active units. Its ``RECOVERED`` answer goes to
   the replay (3); its ``NO_PREIMAGE`` is a verified Farkas certificate and is final.
2. **Exact** (:func:`reluinv.solve_exact` with ``backend="mip"``), only when stage 1 is
   ``INCONCLUSIVE``, its answer fails the replay, or its answer lies outside the caller's
   ``latent_box``. The latent code is searched in the box (below);
   ``G(z)[mask] = x[mask]`` is the MIP's realizable case, where every observed output's
   phase is read off ``x`` (``x_j > 0`` active with ``t_j = x_j``,
   ``x_j = 0`` inactive; a linear head's outputs are fixed as they are), so only hidden
   units need a binary. Its start point is stage 1's ``z`` (clipped into the box) when
   there is one, its big-M constants LP-tightened with the observation
   (``bound_tightening="lp"``). Under noise it minimises the misfit in the noise's norm
   (objective ``"linf"`` or ``"l1"``) instead; that proven best fit is ``RECOVERED`` only
   within the caller's ``noise_bound``, and ``FIT`` (nothing certified) without one, as in
   :func:`~reluinv.invert_layerwise`.
3. **Replay** of the answer against the exact forward pass: ``RECOVERED`` is reported
   only when ``max_j |G(z)_j - x_j| <= residual_tol * max(1, ||x||_inf)`` provably holds
   for the *exact* value of ``G(z)`` (the float network taken at its binary value). The
   replay is first an *enclosure*: an interval forward pass in float64 with every rounding
   error bounded (``|fl(w . h + b) - (w . h + b)| <= gamma_{n+1} (|w| . |h| + |b|)``,
   ``gamma_m = m u / (1 - m u)``, ``u = 2**-53``, doubled for the bound's own rounding),
   which contains the exact ``G(z)``; its largest distance to ``x`` bounds the exact
   residual from above at the cost of two matrix-vector products per layer. Only when
   that bound does not decide (it is wider than the tolerance) and the network has at
   most :data:`REPLAY_EXACT_MAX_WEIGHTS` weights is the exact residual computed by
   :meth:`~reluinv.ReluNetwork.forward_exact` in rationals, which costs 30 ms at 3e3
   weights and seconds beyond 5e4.

Optionally (``certify_unique=True``) a recovered ``z`` is certified the only pre-image in
the box, or a second verified one is returned (:func:`reluinv.certify_unique`, MIP).

**The latent box.** A MIP needs finite bounds for its big-M constants, and every
statement of stage 2 holds *in the box*. A problem that states its own box (an
:class:`~reluinv.InversionProblem`'s real domain, such as the real-latent reduction's
``[-1, 2]^k``) passes it as ``latent_box=(lower, upper)``: stage 2 then searches exactly
that box, a stage-1 answer outside it (by more than :data:`BOX_TOLERANCE`) is not taken,
and ``latent_radius``, when given as well, cuts the box to ``[-r, r]^k`` (its infinite
sides are cut at the default radius below). Without a ``latent_box`` the box is
``[-r, r]^k``, default radius ``r``:
``max(DEFAULT_LATENT_RADIUS, LATENT_RADIUS_MARGIN * ||z_1||_inf)`` with ``z_1`` stage 1's
point when it has one. The reason: latents of a trained VAE decoder follow its prior
``N(0, I)``, and ``P(|z_j| > 5) = 5.7e-7`` per coordinate, so ``[-5, 5]^k`` holds every
plausible code (for ``k = 20``, all coordinates with probability ``1 - 1.1e-5``); the margin
keeps stage 1's point well inside. Pass ``latent_radius`` for other priors. The result
says when the box *binds*: the answer has a coordinate within ``1e-6`` of the boundary
(relative to the larger of the bound's magnitude and 1),
or stage 2 proved no pre-image in the box (which is not a proof that none exists:
the status then stays ``INCONCLUSIVE``).

**Never weaker than stage 1.** The status is stage 1's unless stage 2 improves it
(``INCONCLUSIVE`` to ``RECOVERED``), or stage 1's answer lies outside ``latent_box`` and is
therefore no answer (stage 2 decides then). A stage-1 ``RECOVERED`` whose replay fails (float
rounding on the edge of the tolerance) is handed to stage 2; should that fail too, the
status is ``INCONCLUSIVE``, the honest answer; the tests check on random nets that this
does not happen in practice.

>>> import numpy as np, reluinv as ri
>>> net = ri.random_network([3, 12, 40], rng=np.random.default_rng(0))
>>> res = ri.invert(net, net.forward([0.5, -1.0, 0.25]))
>>> res.status.name, res.path, res.replay
('RECOVERED', 'layerwise', 'enclosure')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice, check_time_limit
from reluinv.data.network import ReluNetwork, exact_vector
from reluinv.data.problem import InversionProblem, LatentDomain
from reluinv.errors import InvalidArgumentError, InvalidTypeError, ShapeError
from reluinv.exact import ExactResult, Status, UniquenessResult, solve_exact
from reluinv.exact import certify_unique as certify_unique_exact
from reluinv.layerwise.inverter import (
    RESIDUAL_TOLERANCE,
    LayerwiseResult,
    LayerwiseStatus,
    NoiseModel,
    check_inversion_arguments,
    invert_layerwise,
)
from reluinv.results import ResultBase

__all__ = [
    "BOX_TOLERANCE",
    "DEFAULT_LATENT_RADIUS",
    "LATENT_RADIUS_MARGIN",
    "REPLAY_EXACT_MAX_WEIGHTS",
    "InversionResult",
    "box_text",
    "enclose_forward",
    "invert",
]

FloatArray = npt.NDArray[np.float64]
Path = Literal["layerwise", "exact", "none"]
Replay = Literal["exact", "enclosure"]

#: Default half-width of the latent box of stage 2 (a VAE prior N(0, I): module docstring).
DEFAULT_LATENT_RADIUS = 5.0
#: The default box is at least this multiple of stage 1's ``||z||_inf``.
LATENT_RADIUS_MARGIN = 2.0
#: When the enclosure does not decide, networks with at most this many non-zero weights
#: are replayed in rational arithmetic (module docstring). Measured on 2 cores: the
#: rational pass costs 0.03 s at 3e3 weights, 0.6 s at 5e4, 2.5 s at 1.8e5.
REPLAY_EXACT_MAX_WEIGHTS = 10_000
#: The box binds when a coordinate of the answer is within this share of the bound's
#: magnitude (at least 1) of it.
BOX_BINDS_SHARE = 1e-6
#: A code at most this much (times ``max(1, ||z||_inf)``) outside a ``latent_box`` is in
#: it: the inverters' own rounding, as ``RESIDUAL_TOLERANCE`` is theirs on the output.
BOX_TOLERANCE = 1e-9
_UNIT_ROUNDOFF = 2.0**-53


@dataclass(frozen=True, eq=False)
class InversionResult(ResultBase):
    """The answer of :func:`invert`.

    Attributes
    ----------
    status:
        :class:`~reluinv.LayerwiseStatus`: ``RECOVERED`` only for a ``z`` whose replay
        passed; ``NO_PREIMAGE`` only from stage 1's verified certificate; else
        ``INCONCLUSIVE``.
    z:
        The pre-image (or best fit under noise), ``None`` without one.
    path:
        Which stage answered: ``"layerwise"``, ``"exact"``, or ``"none"``.
    residual:
        The replayed ``max_j |G(z)_j - x_j|`` over observed ``j`` (an upper bound when the
        replay is an enclosure); ``nan`` without ``z``. ``residual_l1``: the same in l1.
    residual_bound:
        What ``residual`` (l1 residual under ``noise="l1"``) had to stay below.
    replay:
        ``"enclosure"`` (the rounding-error enclosure decided) or ``"exact"`` (rationals)
        (module docstring); ``None`` without ``z``.
    stage_seconds:
        Seconds per stage: ``"layerwise"``, ``"exact"``, ``"replay"``, ``"uniqueness"``
        (0.0 for a stage that did not run).
    layerwise, exact, uniqueness:
        Each stage's own result (``None`` for a stage that did not run).
    latent_radius:
        ``r`` of the box ``[-r, r]^k`` of stage 2 (``None`` when it did not run, or when
        its box came from ``latent_box``).
    latent_lower, latent_upper:
        The box of stage 2 (and of the uniqueness certificate), per coordinate; ``None``
        when neither ran.
    box_binds:
        The box limited the answer: ``z`` touches it, or stage 2 found no pre-image in it.
    """

    record_exclude: ClassVar[frozenset[str]] = frozenset({"z"})

    status: LayerwiseStatus
    z: FloatArray | None
    path: Path
    residual: float
    residual_l1: float
    residual_bound: float
    replay: Replay | None
    stage_seconds: dict[str, float]
    layerwise: LayerwiseResult
    exact: ExactResult | None
    uniqueness: UniquenessResult | None
    latent_radius: float | None
    latent_lower: FloatArray | None
    latent_upper: FloatArray | None
    box_binds: bool
    noise: NoiseModel
    seconds: float
    message: str


def enclose_forward(network: ReluNetwork, z: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """An interval ``[lower, upper]`` that contains the exact ``G(z)`` (module docstring).

    The float network is taken at its exact binary value and ``z`` as given; every dot
    product's rounding error is bounded by ``2 gamma_{n+1} (|W| |h| + |b|)`` and every
    leaky product is rounded outward.

    >>> net = ReluNetwork([[[0.1, 0.2]]], [[0.3]])
    >>> lo, hi = enclose_forward(net, [1.0, 1.0])
    >>> bool(lo[0] <= 0.6 <= hi[0]), float(hi[0] - lo[0]) < 1e-14
    (True, True)
    """
    h_lo = np.asarray(z, dtype=np.float64).copy()
    h_hi = h_lo.copy()
    alpha = network.slope if network.activation == "leaky_relu" else 0.0
    for i, (w_raw, b_raw) in enumerate(zip(network.weights, network.biases, strict=True)):
        W = np.asarray(w_raw, dtype=np.float64)
        b = np.asarray(b_raw, dtype=np.float64)
        pos, neg = np.maximum(W, 0.0), np.minimum(W, 0.0)
        m = W.shape[1] + 1
        gamma = 2.0 * m * _UNIT_ROUNDOFF / (1.0 - m * _UNIT_ROUNDOFF)
        size = np.abs(W) @ np.maximum(np.abs(h_lo), np.abs(h_hi)) + np.abs(b)
        error = gamma * size + m * np.finfo(np.float64).tiny
        t_lo = pos @ h_lo + neg @ h_hi + b - error
        t_hi = pos @ h_hi + neg @ h_lo + b + error
        if network.output_linear and i == network.depth - 1:
            h_lo, h_hi = t_lo, t_hi
        elif alpha == 0.0:
            h_lo, h_hi = np.maximum(t_lo, 0.0), np.maximum(t_hi, 0.0)
        else:  # alpha t rounded outward: (1 +- 2u) covers one rounding of a product
            h_lo = np.where(t_lo >= 0.0, t_lo, alpha * t_lo * (1.0 + 2 * _UNIT_ROUNDOFF))
            h_hi = np.where(t_hi >= 0.0, t_hi, alpha * t_hi * (1.0 - 2 * _UNIT_ROUNDOFF))
    return h_lo, h_hi


def _replay(network: ReluNetwork, z: FloatArray, x: FloatArray,
            observed: npt.NDArray[np.intp], accept: Callable[[float, float], bool]
            ) -> tuple[float, float, Replay]:
    """``(linf, l1, method)`` of the residual on the observed outputs: first upper bounds
    from the enclosure (rounded up); when ``accept(linf, l1)`` rejects them and the network
    is small, the exact residual in rationals instead (rounded up)."""
    lo, hi = enclose_forward(network, z)
    xo = x[observed]
    gap = np.maximum(hi[observed] - xo, xo - lo[observed])
    gap = np.nextafter(np.maximum(gap, 0.0), np.inf)  # the subtraction's own rounding
    linf = float(np.max(gap, initial=0.0))
    l1 = float(np.nextafter(math.fsum(gap.tolist()), np.inf))
    if accept(linf, l1) or network.num_nonzero_weights() > REPLAY_EXACT_MAX_WEIGHTS:
        return linf, l1, "enclosure"
    out = network.forward_exact(z)
    target = exact_vector(xo, "x")
    gaps = [abs(out[j] - t) for j, t in zip(observed.tolist(), target, strict=True)]
    total = sum(gaps, Fraction(0))
    return _round_up(max(gaps, default=Fraction(0))), _round_up(total), "exact"


def _round_up(value: Fraction | int) -> float:
    f = float(value)
    return float(np.nextafter(f, np.inf)) if Fraction(f) < value else f


def box_text(lower: npt.ArrayLike, upper: npt.ArrayLike) -> str:
    """The box ``lower <= z <= upper`` in a message: ``[lo, hi]^k`` when every coordinate
    has the same bounds.

    >>> box_text([-1.0, -1.0], [2.0, 2.0]), box_text([0.0, -1.0], [1.0, 1.0])
    ('[-1, 2]^2', '[0, 1] x [-1, 1]')
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    if lo.size and np.all(lo == lo[0]) and np.all(hi == hi[0]):
        return f"[{lo[0]:g}, {hi[0]:g}]^{lo.size}"
    if lo.size <= 4:
        return " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi, strict=True))
    return (f"a box in R^{lo.size} (lower bounds {np.min(lo):g} to {np.max(lo):g}, upper "
            f"bounds {np.min(hi):g} to {np.max(hi):g})")


def _check_box(value: object, k: int) -> tuple[FloatArray, FloatArray] | None:
    """``latent_box`` as two float arrays of shape ``(k,)`` (a scalar bound is broadcast)."""
    if value is None:
        return None
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise InvalidTypeError(f"latent_box must be a pair (lower, upper) of per-coordinate "
                               f"bounds or None, got {type(value).__name__}")
    bounds = []
    for name, side in zip(("lower", "upper"), value, strict=True):
        try:
            array = np.asarray(side, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(f"latent_box {name} must be numbers, got "
                                   f"{type(side).__name__}") from exc
        if array.ndim > 1 or (array.ndim == 1 and array.shape != (k,)):
            raise ShapeError(f"latent_box {name} must be a number or of shape ({k},) (the "
                             f"latent dimension), got shape {array.shape}")
        bounds.append(np.broadcast_to(array, (k,)).copy())
    lower, upper = bounds
    bad = np.flatnonzero(np.isnan(lower) | np.isnan(upper) | (lower > upper)
                         | (lower == np.inf) | (upper == -np.inf))
    if bad.size:
        j = int(bad[0])
        raise InvalidArgumentError(f"latent_box coordinate {j} is [{lower[j]}, {upper[j]}]: "
                                   "the bounds must satisfy lower <= upper, no NaN, and "
                                   "leave a finite point")
    return lower, upper


def _search_box(box: tuple[FloatArray, FloatArray] | None, radius_given: float | None,
                start_point: FloatArray | None, k: int
                ) -> tuple[FloatArray, FloatArray, float | None]:
    """Stage 2's box ``(lower, upper, r)`` (module docstring); ``r`` is ``None`` when the
    box came from ``latent_box``."""
    radius = radius_given or max(DEFAULT_LATENT_RADIUS,
                                 LATENT_RADIUS_MARGIN * _norm(start_point))
    if box is None:
        return np.full(k, -radius), np.full(k, radius), radius
    lower, upper = box
    if radius_given is not None:
        lower, upper = np.maximum(lower, -radius), np.minimum(upper, radius)
    else:
        lower = np.where(np.isinf(lower), -radius, lower)
        upper = np.where(np.isinf(upper), radius, upper)
    empty = np.flatnonzero(lower > upper)
    if empty.size:
        j = int(empty[0])
        raise InvalidArgumentError(
            f"latent_box coordinate {j} is [{box[0][j]:g}, {box[1][j]:g}]: cut at the "
            f"latent radius {radius:g} it leaves no point; pass a latent_radius that "
            "reaches it, or finite bounds")
    return lower, upper, None


def _excess(z: FloatArray, lower: FloatArray, upper: FloatArray) -> float:
    """How far ``z`` lies outside the box (0 inside it), in units of ``max(1, ||z||_inf)``."""
    excess = float(np.max(np.maximum(lower - z, z - upper), initial=0.0))
    return excess / max(1.0, _norm(z))


def _touches(z: FloatArray, lower: FloatArray, upper: FloatArray) -> bool:
    """``z`` has a coordinate within :data:`BOX_BINDS_SHARE` of a face of the box."""
    lo_gap = BOX_BINDS_SHARE * np.maximum(1.0, np.abs(lower))
    hi_gap = BOX_BINDS_SHARE * np.maximum(1.0, np.abs(upper))
    return bool(np.any(z <= lower + lo_gap) or np.any(z >= upper - hi_gap))


def _check_radius(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise InvalidTypeError(f"latent_radius must be a positive number or None, got "
                               f"{type(value).__name__} {value!r}")
    radius = float(value)
    if not (math.isfinite(radius) and radius > 0):
        raise InvalidArgumentError(f"latent_radius must be finite and > 0, got {radius}")
    return radius


def invert(
    network: ReluNetwork,
    x: npt.ArrayLike,
    *,
    noise: NoiseModel = "none",
    mask: npt.ArrayLike | None = None,
    time_limit: float | None = 60.0,
    certify_unique: bool = False,
    latent_radius: float | None = None,
    latent_box: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    tau: float | None = None,
    residual_tol: float = RESIDUAL_TOLERANCE,
    noise_bound: float | None = None,
    bound_tightening: Literal["interval", "lp"] = "lp",
    threads: int = 1,
) -> InversionResult:
    """Invert ``network`` at ``x``: layer-wise first, the exact MIP where it is not enough.

    Parameters
    ----------
    network:
        The generator ``G`` (ReLU or leaky ReLU, any output activation).
    x:
        The observation, shape ``(n,)``.
    noise:
        ``"none"`` (realizable), ``"linf"`` or ``"l1"``: stage 1's noise model, and stage
        2 minimises the misfit in that norm.
    mask:
        Boolean array of shape ``(n,)``: the observed outputs (inpainting). ``None``: all.
    time_limit:
        Seconds for the whole call (stage 1 is not interruptible; stages 2 and the
        uniqueness certificate get what is left). ``None`` or ``inf``: no limit; otherwise
        positive, as in :func:`solve_exact`.
    certify_unique:
        Certify a recovered ``z`` unique in the box, or find a second pre-image.
    latent_radius:
        ``r`` of the box ``[-r, r]^k`` of stage 2; default in the module docstring. With
        ``latent_box``, it cuts that box to ``[-r, r]^k``.
    latent_box:
        ``(lower, upper)``, per-coordinate bounds of the latent code (arrays of shape
        ``(k,)`` or numbers; infinite sides allowed): the box of the problem, such as an
        :class:`~reluinv.InversionProblem`'s real domain. Stage 2 searches this box (its
        infinite sides cut at the radius), and a stage-1 answer outside it is not taken.
        ``None`` (default): the box ``[-r, r]^k``.
    tau:
        Stage 1's activity threshold (:func:`~reluinv.invert_layerwise`; ``None``: its
        default, which under noise follows the noise).
    residual_tol:
        Realizable acceptance of the replay:
        ``max |G(z) - x| <= residual_tol * max(1, ||x||_inf)``.
    noise_bound:
        Under noise: the largest residual (in the noise's norm) accepted as
        ``RECOVERED``; without it a noisy answer is at best ``FIT``.
    bound_tightening:
        Big-M constants of stage 2 from interval bounds, or tightened by LPs (``"lp"``).
    threads:
        MIP threads.

    Returns
    -------
    InversionResult
    """
    started = time.perf_counter()
    if not isinstance(certify_unique, bool):
        raise InvalidTypeError(f"certify_unique must be a bool, got {certify_unique!r}")
    time_limit = check_time_limit(time_limit)  # positive seconds, as solve_exact takes
    radius_given = _check_radius(latent_radius)
    check_choice(bound_tightening, "bound_tightening", ("interval", "lp"))
    tolerances: dict[str, object] = {"residual_tol": residual_tol}
    if tau is not None:
        tolerances["tau"] = tau
    if noise_bound is not None:
        tolerances["noise_bound"] = noise_bound
    target, observed = check_inversion_arguments(network, x, noise, mask, tolerances)
    box = _check_box(latent_box, network.latent_dim)
    if box is not None:  # fail before any solving when the box and the radius exclude all
        _search_box(box, radius_given, None, network.latent_dim)
    seconds = dict.fromkeys(("layerwise", "exact", "replay", "uniqueness"), 0.0)

    lw = invert_layerwise(network, target, noise=noise, mask=mask, tau=tau,
                          residual_tol=residual_tol, noise_bound=noise_bound)
    seconds["layerwise"] = lw.seconds
    realizable_bound = residual_tol * max(1.0, float(np.max(np.abs(target[observed]),
                                                             initial=0.0)))
    bound = realizable_bound if noise == "none" else lw.residual_bound

    def within(linf: float, l1: float) -> bool:
        return (l1 if noise == "l1" else linf) <= bound

    def replayed(z: FloatArray) -> tuple[float, float, Replay, bool]:
        t0 = time.perf_counter()
        linf, l1, how = _replay(network, z, target, observed, within)
        seconds["replay"] += time.perf_counter() - t0
        return linf, l1, how, within(linf, l1)

    def left() -> float | None:
        if time_limit is None:
            return None
        return max(0.0, float(time_limit) - (time.perf_counter() - started))

    def result(status: LayerwiseStatus, z: FloatArray | None, path: Path,
               residuals: tuple[float, float], how: Replay | None, message: str, *,
               exact: ExactResult | None = None, uniqueness: UniquenessResult | None = None,
               searched: tuple[FloatArray, FloatArray, float | None] | None = None,
               binds: bool = False) -> InversionResult:
        lower, upper, radius = searched if searched is not None else (None, None, None)
        return InversionResult(
            status=status, z=z, path=path, residual=residuals[0], residual_l1=residuals[1],
            residual_bound=bound, replay=how, stage_seconds=dict(seconds), layerwise=lw,
            exact=exact, uniqueness=uniqueness, latent_radius=radius, latent_lower=lower,
            latent_upper=upper, box_binds=binds, noise=noise,
            seconds=time.perf_counter() - started, message=message)

    nan = (math.nan, math.nan)
    if lw.status is LayerwiseStatus.NO_PREIMAGE:
        return result(lw.status, None, "layerwise", nan, None,
                      f"layer-wise: {lw.message}")
    note = ""
    k = network.latent_dim
    outside = (0.0 if box is None or lw.z is None
               else _excess(np.asarray(lw.z, dtype=np.float64), *box))
    if lw.status is LayerwiseStatus.RECOVERED and lw.z is not None and \
            outside > BOX_TOLERANCE:
        note = (f"layer-wise answer lies outside the latent box by up to "
                f"{outside * max(1.0, _norm(lw.z)):.3g}; ")
    elif lw.status is LayerwiseStatus.RECOVERED and lw.z is not None:
        linf, l1, how, ok = replayed(lw.z)
        if ok:
            uniqueness = None
            searched = None
            binds = False
            if certify_unique:
                searched = _search_box(box, radius_given, lw.z, k)
                uniqueness, binds = _uniqueness(network, target, mask, lw.z, searched[:2],
                                                left(), threads, seconds)
            return result(LayerwiseStatus.RECOVERED, lw.z, "layerwise", (linf, l1), how,
                          f"layer-wise answer replayed ({how}): residual {linf:.3g}"
                          f"{_unique_note(uniqueness)}", uniqueness=uniqueness,
                          searched=searched, binds=binds)
        note = (f"layer-wise answer failed the {how} replay (residual {linf:.3g} > "
                f"{bound:.3g}); ")

    # stage 2: the exact MIP over the box
    start_point = lw.z if lw.z is not None else None
    searched = _search_box(box, radius_given, start_point, k)
    lower, upper = searched[:2]
    where = box_text(lower, upper)
    problem = InversionProblem(network, target, LatentDomain("real", lower, upper),
                               mask=None if mask is None else np.asarray(mask))
    hint = None if start_point is None else np.clip(start_point, lower, upper)
    remaining = left()
    if remaining is not None and remaining <= 0.0:
        return result(LayerwiseStatus.INCONCLUSIVE, None, "none", nan, None,
                      f"{note}layer-wise: {lw.message}; no time left for the exact stage",
                      searched=searched)
    objective: Literal["feasible", "linf", "l1"] = (
        "feasible" if noise == "none" else "linf" if noise == "linf" else "l1")
    t0 = time.perf_counter()
    exact = solve_exact(problem, backend="mip", objective=objective, time_limit=remaining,
                        hint=hint, bound_tightening=bound_tightening, threads=threads)
    seconds["exact"] = time.perf_counter() - t0
    if exact.status is Status.INFEASIBLE:
        return result(LayerwiseStatus.INCONCLUSIVE, None, "none", nan, None,
                      f"{note}layer-wise: {lw.message}; exact: no pre-image in the box "
                      f"{where} (none outside it is ruled out)",
                      exact=exact, searched=searched, binds=True)
    if exact.z is None or not exact.verified:
        return result(LayerwiseStatus.INCONCLUSIVE, None, "none", nan, None,
                      f"{note}layer-wise: {lw.message}; exact: {exact.status.name} "
                      f"({exact.message})", exact=exact, searched=searched)
    z = np.asarray(exact.z, dtype=np.float64)
    binds = _touches(z, lower, upper)
    if noise != "none":  # a proven minimiser of the misfit, within noise_bound if given
        bound = noise_bound if noise_bound is not None else math.inf
    linf, l1, how, within_bound = replayed(z)
    accepted = within_bound and (noise == "none" or exact.status is Status.OPTIMAL)
    if not accepted:
        return result(LayerwiseStatus.INCONCLUSIVE, z, "exact", (linf, l1), how,
                      f"{note}exact answer failed the {how} replay: residual {linf:.3g} "
                      f"(bound {bound:.3g}); {exact.message}", exact=exact,
                      searched=searched, binds=binds)
    uniqueness = None
    if certify_unique:
        uniqueness, touches = _uniqueness(network, target, mask, z, (lower, upper), left(),
                                          threads, seconds)
        binds = binds or touches
    # Under noise without a stated bound the MIP's optimum is a proven best fit over the
    # box, but nothing says the observation's noise is that small: FIT, as in
    # invert_layerwise, never RECOVERED.
    status = (LayerwiseStatus.FIT if noise != "none" and noise_bound is None
              else LayerwiseStatus.RECOVERED)
    return result(status, z, "exact", (linf, l1), how,
                  f"{note}exact MIP in {where} answered, replayed "
                  f"({how}): residual {linf:.3g}{_unique_note(uniqueness)}",
                  exact=exact, uniqueness=uniqueness, searched=searched, binds=binds)


def _norm(z: FloatArray | None) -> float:
    return 0.0 if z is None else float(np.max(np.abs(z), initial=0.0))


def _unique_note(uniqueness: UniquenessResult | None) -> str:
    if uniqueness is None:
        return ""
    return f"; uniqueness in the box: {uniqueness.status.name}"


def _uniqueness(network: ReluNetwork, target: FloatArray, mask: npt.ArrayLike | None,
                z: FloatArray, box: tuple[FloatArray, FloatArray], time_limit: float | None,
                threads: int, seconds: dict[str, float]) -> tuple[UniquenessResult, bool]:
    """Certify ``z`` the only pre-image in the box ``lower <= z <= upper`` (MIP); also
    whether a second pre-image touches the box."""
    lower, upper = box
    problem = InversionProblem(network, target, LatentDomain("real", lower, upper),
                               mask=None if mask is None else np.asarray(mask))
    t0 = time.perf_counter()
    answer = certify_unique_exact(problem, np.clip(z, lower, upper), backend="mip",
                                  time_limit=time_limit, threads=threads,
                                  bound_tightening="lp")
    seconds["uniqueness"] = time.perf_counter() - t0
    other = answer.other
    touches = other is not None and _touches(np.asarray(other, dtype=np.float64), lower, upper)
    return answer, touches
