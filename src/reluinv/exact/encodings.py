"""ReLU encodings by name: how one unstable unit ``y = s(t)`` becomes solver constraints.

Each entry of :data:`ENCODINGS` is a :class:`ReluEncoding` for one backend. Backends look
an encoding up with :func:`get_encoding`, so a benchmark or notebook can compare encodings
without a new code path. Stable units (proven always active or inactive, see
:mod:`reluinv.exact.bounds`) never reach an encoding: the backends make them linear. So an
encoding only sees ``lo < 0 < hi``, where ``lo <= t <= hi`` are the pre-activation bounds.

CP-SAT encodings (integer ``t``, exact integer ``lo``, ``hi``; ReLU only):

``max_equality``
    ``y = max(t, 0)`` as one ``add_max_equality`` constraint, no Boolean; CP-SAT
    propagates it natively. Domain ``y in [0, hi]``.
``indicator``
    A Boolean ``a`` (unit active) with half-reified constraints::

        a  => y = t,  t >= 0          not a => y = 0,  t <= 0

``big_m``
    The MIP formulation below with Boolean ``a``.

MIP encodings (float ``t``, ``y``; ReLU or leaky ReLU with slope ``alpha``, ``0`` for ReLU):

``big_m``
    A binary ``a`` (unit active)::

        y >= t,   y >= alpha t,
        y <= t + (1 - alpha) (-lo) (1 - a),     (tight when a = 1: y = t)
        y <= alpha t + (1 - alpha) hi a         (tight when a = 0: y = alpha t)

    With ``alpha = 0`` this is the classic ``y <= t - lo (1 - a)``, ``y <= hi a``. The
    constants are the interval (or LP) bounds, never an arbitrary large number.

MaxSAT encodings (``t`` an order-encoded integer, :mod:`reluinv.exact.order_cnf`; ReLU):

``order``
    ``y = max(t, 0)`` takes the values ``{0} u {t_i > 0}`` and shares ``t``'s literals,
    ``[y >= c] = [t >= c]`` for ``c > 0``: no clause and no new variable. The phase
    variable is ``[t >= 1]``. Unlike the other backends this entry sees every unit, stable
    ones too (for them it is the identity or the constant 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from reluinv.errors import InvalidArgumentError
from reluinv.exact.order_cnf import relu

__all__ = [
    "DEFAULT_ENCODING",
    "ENCODINGS",
    "BackendName",
    "ReluEncoding",
    "UnitVars",
    "encoding_names",
    "get_encoding",
]

BackendName = Literal["cpsat", "mip", "maxsat"]


@dataclass(frozen=True)
class UnitVars:
    """What an encoding created for one unit: its output ``y`` and its phase variable
    ``active`` (``None`` when the encoding needs none)."""

    y: Any
    active: Any | None


@dataclass(frozen=True)
class ReluEncoding:
    """A named way to encode one unstable unit.

    ``add_unit(model, t, lo, hi, alpha, name) -> UnitVars``: ``model`` is the solver model
    (``cp_model.CpModel`` or ``pywraplp.Solver``), ``t`` the pre-activation (a CP-SAT linear
    expression, or a pywraplp variable), ``lo < 0 < hi`` its bounds, ``alpha`` the leaky
    slope (0 for ReLU), ``name`` the unit's label (``"[i][j]"``).
    """

    name: str
    backend: BackendName
    summary: str
    add_unit: Callable[[Any, Any, Any, Any, float, str], UnitVars]
    uses_phase_variable: bool


# -- CP-SAT ----------------------------------------------------------------------------


def _cpsat_max_equality(model: Any, t: Any, lo: int, hi: int, alpha: float,
                        name: str) -> UnitVars:
    y = model.new_int_var(0, int(hi), f"h{name}")
    model.add_max_equality(y, [t, 0])
    return UnitVars(y, None)


def _cpsat_indicator(model: Any, t: Any, lo: int, hi: int, alpha: float,
                     name: str) -> UnitVars:
    y = model.new_int_var(0, int(hi), f"h{name}")
    a = model.new_bool_var(f"a{name}")
    model.add(y == t).only_enforce_if(a)
    model.add(t >= 0).only_enforce_if(a)
    model.add(y == 0).only_enforce_if(a.negated())
    model.add(t <= 0).only_enforce_if(a.negated())
    return UnitVars(y, a)


def _cpsat_big_m(model: Any, t: Any, lo: int, hi: int, alpha: float, name: str) -> UnitVars:
    y = model.new_int_var(0, int(hi), f"h{name}")
    a = model.new_bool_var(f"a{name}")
    model.add(y >= t)
    model.add(y <= t - int(lo) * (1 - a))
    model.add(y <= int(hi) * a)
    return UnitVars(y, a)


# -- MIP (pywraplp) --------------------------------------------------------------------


def _mip_big_m(solver: Any, t: Any, lo: float, hi: float, alpha: float, name: str) -> UnitVars:
    inf = solver.infinity()
    lower = alpha * lo  # s is monotone: s(lo) <= y <= s(hi) = hi
    y = solver.NumVar(lower, hi, f"h{name}")
    a = solver.BoolVar(f"a{name}")
    for slope in (1.0, alpha) if alpha > 0 else (1.0,):
        row = solver.RowConstraint(0.0, inf, f"lower_{slope:g}{name}")  # y - slope t >= 0
        row.SetCoefficient(y, 1.0)
        row.SetCoefficient(t, -slope)
    # y - t + (1 - alpha) (-lo) a <= (1 - alpha) (-lo)
    row = solver.RowConstraint(-inf, (1.0 - alpha) * -lo, f"active{name}")
    row.SetCoefficient(y, 1.0)
    row.SetCoefficient(t, -1.0)
    row.SetCoefficient(a, (1.0 - alpha) * -lo)
    # y - alpha t - (1 - alpha) hi a <= 0
    row = solver.RowConstraint(-inf, 0.0, f"inactive{name}")
    row.SetCoefficient(y, 1.0)
    if alpha > 0:
        row.SetCoefficient(t, -alpha)
    row.SetCoefficient(a, -(1.0 - alpha) * hi)
    return UnitVars(y, a)


# -- MaxSAT (order encoding) ------------------------------------------------------------


def _maxsat_order(builder: Any, t: Any, lo: int, hi: int, alpha: float,
                  name: str) -> UnitVars:
    active = t.geq(1)
    return UnitVars(relu(t), None if isinstance(active, bool) else active)


ENCODINGS: Mapping[tuple[BackendName, str], ReluEncoding] = MappingProxyType({
    ("cpsat", "max_equality"): ReluEncoding(
        "max_equality", "cpsat", "y = max(t, 0) by add_max_equality, no Boolean",
        _cpsat_max_equality, uses_phase_variable=False),
    ("cpsat", "indicator"): ReluEncoding(
        "indicator", "cpsat", "Boolean a with a => y = t >= 0, not a => y = 0 >= t",
        _cpsat_indicator, uses_phase_variable=True),
    ("cpsat", "big_m"): ReluEncoding(
        "big_m", "cpsat", "linear big-M with bound constants and Boolean a",
        _cpsat_big_m, uses_phase_variable=True),
    ("mip", "big_m"): ReluEncoding(
        "big_m", "mip", "linear big-M with bound constants and binary a (ReLU, leaky ReLU)",
        _mip_big_m, uses_phase_variable=True),
    ("maxsat", "order"): ReluEncoding(
        "order", "maxsat", "order-encoded t; y = max(t, 0) shares t's literals, no clause",
        _maxsat_order, uses_phase_variable=False),
})

#: The encoding each backend uses when none is named (the fastest measured).
DEFAULT_ENCODING: Mapping[BackendName, str] = MappingProxyType(
    {"cpsat": "max_equality", "mip": "big_m", "maxsat": "order"}
)


def encoding_names(backend: BackendName) -> tuple[str, ...]:
    """The encoding names registered for ``backend``."""
    return tuple(name for (b, name) in ENCODINGS if b == backend)


def get_encoding(backend: BackendName, name: str | None) -> ReluEncoding:
    """The encoding ``name`` of ``backend`` (its default when ``None``).

    >>> get_encoding("cpsat", "indicator").uses_phase_variable
    True
    """
    chosen = DEFAULT_ENCODING[backend] if name is None else name
    try:
        return ENCODINGS[(backend, chosen)]
    except KeyError:
        names = ", ".join(repr(n) for n in encoding_names(backend))
        raise InvalidArgumentError(
            f"encoding must be one of {names} for backend {backend!r}, got {name!r}"
        ) from None
