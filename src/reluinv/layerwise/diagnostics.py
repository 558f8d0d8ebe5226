"""What the layer-wise inverter reports of each layer, and the outcome a layer's step hands
to the next: :class:`LayerDiagnostic` (public, one per layer in
:class:`~reluinv.layerwise.inverter.LayerwiseResult`), the internal :class:`LayerOutcome`,
and the two ways every step builds them (:func:`layer_diagnostic`,
:func:`infeasible_outcome`), shared by the realizable steps of
:mod:`reluinv.layerwise.inverter` and the noisy ones of :mod:`reluinv.layerwise.noisy`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reluinv.layerwise.farkas import FarkasCertificate
from reluinv.layerwise.layer_system import LayerSystem

__all__ = ["LayerDiagnostic", "LayerOutcome", "found_outcome", "infeasible_outcome",
           "layer_diagnostic"]

FloatArray = npt.NDArray[np.float64]


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
        ``"lstsq"``, ``"lp"``, ``"sign"`` (a negative ReLU output, no solve needed),
        ``"irls"`` (noisy: reweighted least squares,
        :func:`reluinv.layerwise.noisy._reweighted_fit`) or ``"composed"`` (realizable, not
        pinned: a pre-image found through the layers below,
        :mod:`reluinv.layerwise.composed`, or handed down by the layer above's).
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
    noise_level, accepted_misfit:
        Noisy modes: the noise level this layer's input carries (the largest entry of the
        propagated bound in ``linf``, the l_1 bound in the l_1 modes) and the misfit
        (``eps``) the layer may reach and still be explained by it; ``None`` otherwise.
    consistent:
        Noisy modes: ``eps <= accepted_misfit`` (plus ``FEASIBILITY_TOLERANCE`` relative);
        ``None`` when the layer's reading is not certain (l_1 thresholds below the
        budget) or noise-free.
    error_bound:
        Noisy modes: the bound on ``||h_{i-1} - h*_{i-1}||`` (``inf`` norm for ``linf``,
        l_1 otherwise) handed to the next layer, ``inf`` when the layer is not pinned or
        its rows were not read with certainty (:mod:`~reluinv.layerwise.noisy`,
        *Propagation*); ``None`` otherwise.
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
    noise_level: float | None = None
    accepted_misfit: float | None = None
    consistent: bool | None = None
    error_bound: float | None = None


@dataclass(frozen=True)
class LayerOutcome:
    """A layer's step: the pre-image handed to the next step (``None`` when none was
    found), its diagnostic, and whether the layer was proved infeasible."""

    h: FloatArray | None
    diagnostic: LayerDiagnostic
    proved_infeasible: bool
    #: When ``h`` came from the composed route: the chain of points below it, ``(h_{i-2},
    #: ..., h_1, z)``, each an output of the layer under it; the next layer checks the
    #: first before solving and hands the rest on
    #: (:func:`reluinv.layerwise.inverter._invert_realizable`).
    handed_down: tuple[FloatArray, ...] = ()


def layer_diagnostic(system: LayerSystem, **fields: object) -> LayerDiagnostic:
    """The diagnostic of ``system``'s layer: its sizes from the system, the rest from
    ``fields`` (no LP status, ``eps`` or certificate unless given)."""
    active = int(np.count_nonzero(system.active))
    base: dict[str, object] = {
        "layer": system.layer,
        "rows": int(system.W.shape[0]),
        "tau": system.tau,
        "active": active,
        "unknowns": system.unknowns,
        "equality_rows": active,
        "lp_status": None,
        "eps": None,
        "certificate": None,
    }
    base.update(fields)
    return LayerDiagnostic(**base)  # type: ignore[arg-type]


def found_outcome(
    system: LayerSystem, h: FloatArray, *, rank: int, method: str, lp_status: str | None,
    residual: float, started: float, chain: tuple[FloatArray, ...] = (),
) -> LayerOutcome:
    """The outcome of a layer whose pre-image ``h`` (violation ``residual``) was found,
    with the ``chain`` below it when a composed route found it."""
    diag = layer_diagnostic(system, rank=rank, pinned=rank == system.unknowns, method=method,
                            lp_status=lp_status, residual=residual, feasible=True,
                            seconds=time.perf_counter() - started, preimage=h)
    return LayerOutcome(h, diag, False, chain)


def infeasible_outcome(
    system: LayerSystem, rank: int, method: str, lp_status: str | None,
    certificate: FarkasCertificate | None, started: float,
) -> LayerOutcome:
    """The outcome of a layer without a pre-image: proved infeasible when ``certificate``
    is a verified Farkas ray."""
    diag = layer_diagnostic(system, rank=rank, pinned=rank == system.unknowns, method=method,
                            lp_status=lp_status, residual=math.nan, feasible=False,
                            certificate=certificate, seconds=time.perf_counter() - started)
    proved = certificate is not None and certificate.verified
    return LayerOutcome(None, diag, proved)
