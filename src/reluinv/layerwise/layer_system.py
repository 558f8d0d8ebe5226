"""One layer's constraint system: ``W h + b`` against its output ``y``, the rows split
into active and inactive.

A realizable ReLU layer ``y = s(W h + b)`` asks of its input ``h``::

    w_j h + b_j  = y_j          (active rows, y_j > tau)
    w_j h + b_j <= max(y_j, 0)  (inactive rows)
    h >= 0                      (when h is itself a ReLU output)

:class:`LayerSystem` holds those rows and measures how far a candidate ``h`` (or a batch
of them) is from satisfying them; the inverters of :mod:`reluinv.layerwise.inverter` and
the composed route of :mod:`reluinv.layerwise.composed` judge every answer by it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["ACTIVE_THRESHOLD", "FEASIBILITY_TOLERANCE", "LayerSystem"]

FloatArray = npt.NDArray[np.float64]

#: Realizable default of ``tau``: an output ``y_j > ACTIVE_THRESHOLD * max(1, ||y||_inf)``
#: is read as active (relative, like ``FEASIBILITY_TOLERANCE``: a hidden layer recovered
#: at scale ``1e8`` holds its zero units only to about ``1e-8``, and an absolute threshold
#: read them as active equalities that no code satisfies). On noisy data pass the noise
#: level.
ACTIVE_THRESHOLD = 1e-9
#: Least-squares answers are kept, and LP answers judged, when every constraint of the
#: layer holds within ``FEASIBILITY_TOLERANCE * max(1, ||y||_inf)``.
FEASIBILITY_TOLERANCE = 1e-7


@dataclass(frozen=True)
class LayerSystem:
    """``W h + b`` against ``y`` with the rows split into active and inactive.

    ``scale`` (``max(1, ||y||_inf)``, the unit of the layer's tolerances) and the two
    per-row vectors that :meth:`gaps` uses are computed once, at construction: every
    inversion of a layer asks for them, and a cached property paid more than their
    computation on the small layers of a decoder (its lock and descriptor, per access).
    """

    W: FloatArray
    b: FloatArray
    y: FloatArray
    tau: float
    active: npt.NDArray[np.bool_]
    nonneg: bool
    layer: int
    scale: float = field(init=False)
    #: ``b - target``, the target ``y_j`` on an active row and an inactive row's bound
    #: ``max(y_j, 0)`` (``w_j h + b_j <= max(y_j, 0)``).
    _offset: FloatArray = field(init=False, repr=False)
    #: ``-inf`` on an active row (a misfit of either sign), ``0`` on an inactive one.
    _least_gap: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        y, active = self.y, self.active
        object.__setattr__(self, "scale", max(1.0, float(np.abs(y).max(initial=0.0))))
        object.__setattr__(self, "_offset", self.b - np.where(active, y, np.maximum(y, 0.0)))
        object.__setattr__(self, "_least_gap", np.where(active, -np.inf, 0.0))

    @property
    def unknowns(self) -> int:
        return int(self.W.shape[1])

    def excess(self, h: FloatArray) -> FloatArray:
        """Each row's ``w_j h + b_j`` less its target: ``y_j`` on an active row, the bound
        ``max(y_j, 0)`` on an inactive one (which then holds where this is ``<= 0``)."""
        return self.W @ h + self._offset

    def gaps(self, h: FloatArray) -> FloatArray:
        """Each row's misfit at ``h``: ``w_j h + b_j - y_j`` on an active row (either sign),
        the excess ``max(w_j h + b_j - max(y_j, 0), 0)`` on an inactive one."""
        gaps = self.excess(h)
        return np.maximum(gaps, self._least_gap, out=gaps)

    def worst_gap(self, excess: FloatArray) -> float:
        """The largest of :meth:`gaps`, from the rows' :meth:`excess` (which is kept)."""
        gaps = np.maximum(excess, self._least_gap)
        return float(np.abs(gaps).max()) if gaps.size else 0.0

    def violation(self, h: FloatArray) -> float:
        """Largest violation of the realizable constraints at ``h`` (module docstring)."""
        gaps = self.gaps(h)
        worst = float(np.abs(gaps).max()) if gaps.size else 0.0
        if self.nonneg and h.size:
            below = -float(h.min())
            return worst if below <= worst else below  # NaN in h: NaN, never accepted
        return worst

    def violations(self, H: FloatArray) -> FloatArray:
        """:meth:`violation` at each column of ``H`` (``n x k``), in one product."""
        gaps = self.W @ H + self._offset[:, None]
        np.maximum(gaps, self._least_gap[:, None], out=gaps)
        worst = np.abs(gaps).max(axis=0) if gaps.shape[0] else np.zeros(H.shape[1])
        if self.nonneg and H.shape[0]:
            below = -H.min(axis=0)
            return np.where(below <= worst, worst, below)
        return worst

    def equality_rows(self) -> tuple[FloatArray, FloatArray]:
        """``(A_eq, b_eq)``: the active rows (the one copy of the active block)."""
        rows = np.flatnonzero(self.active)  # one scan of the mask for the three takes
        return self.W.take(rows, axis=0), self.y.take(rows) - self.b.take(rows)

    def inequality_rows(
        self, basis: FloatArray | None = None, offset: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """``(A_ub, b_ub)``: ``A_ub h <= b_ub`` on the inactive rows; given ``h = offset +
        basis c``, the same rows in ``c``, computed from ``W basis`` without copying the
        inactive block."""
        ina = ~self.active
        if basis is None or offset is None:
            return self.W[ina], -self.b[ina]
        return (self.W @ basis)[ina], -self.b[ina] - (self.W @ offset)[ina]
