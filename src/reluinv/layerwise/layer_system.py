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

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["LayerSystem"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LayerSystem:
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

    @functools.cached_property
    def scale(self) -> float:
        return max(1.0, float(np.abs(self.y).max(initial=0.0)))

    @functools.cached_property
    def _offset(self) -> FloatArray:
        """``b - target``, the target ``y_j`` on an active row and an inactive row's bound
        ``max(y_j, 0)`` (``w_j h + b_j <= max(y_j, 0)``)."""
        return self.b - np.where(self.active, self.y, np.maximum(self.y, 0.0))

    @functools.cached_property
    def _least_gap(self) -> FloatArray:
        """``-inf`` on an active row (a misfit of either sign), ``0`` on an inactive one."""
        return np.where(self.active, -np.inf, 0.0)

    def gaps(self, h: FloatArray) -> FloatArray:
        """Each row's misfit at ``h``: ``w_j h + b_j - y_j`` on an active row (either sign),
        the excess ``max(w_j h + b_j - max(y_j, 0), 0)`` on an inactive one."""
        gaps = self.W @ h + self._offset
        return np.maximum(gaps, self._least_gap, out=gaps)

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
        act = self.active
        return self.W[act], self.y[act] - self.b[act]

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
