"""Inversion problems: a network, an observed target, and the domain of the latent code.

An :class:`InversionProblem` asks for ``z`` in a latent domain ``D`` with
``G(z)[mask] = x[mask]``, or, when no such ``z`` exists, for the ``z`` in ``D`` that makes
``||G(z)[mask] - x[mask]||`` smallest. The domain is the binary cube ``{0,1}^k``, an
integer box, or a real box ``[lo, hi]^k`` (per coordinate bounds). The optional boolean
``mask`` says which outputs are observed (inpainting, compressed-sensing style partial
observations); ``None`` means all of them.

Problems made by :func:`reluinv.encode` also carry the formula they came from and the
gadget constant ``lam`` of the real-latent variant.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from reluinv.arguments import check_choice
from reluinv.data.network import (
    Exact,
    ReluNetwork,
    exact_array,
    exact_vector,
    open_npz,
    read_metadata,
)
from reluinv.errors import (
    InvalidArgumentError,
    InvalidTypeError,
    NonFiniteError,
    ProblemFileError,
    ShapeError,
)

if TYPE_CHECKING:
    from reluinv.data.formula import Formula

__all__ = ["DOMAIN_KINDS", "NORMS", "PROBLEM_FORMAT", "InversionProblem", "LatentDomain", "Norm"]

Norm = Literal["l1", "linf", "l2"]
DomainKind = Literal["binary", "integer", "real"]
#: The norms :meth:`InversionProblem.loss` measures.
NORMS: tuple[Norm, ...] = ("l1", "linf", "l2")
#: The latent domain kinds.
DOMAIN_KINDS: tuple[DomainKind, ...] = ("binary", "integer", "real")
#: The ``format`` of a saved problem's metadata (a bare network's is ``reluinv-network``).
PROBLEM_FORMAT = "reluinv-problem"

#: float64 holds every integer of magnitude at most ``2**53`` exactly, and not all beyond.
_FLOAT_EXACT_INTEGER = 2**53


@dataclass(frozen=True, eq=False)
class LatentDomain:
    """Where the latent code lives: ``kind`` and per-coordinate bounds ``lower <= z <= upper``.

    ``binary`` is ``{0,1}^k`` (bounds 0 and 1); ``integer`` is the integer points of the box;
    ``real`` is the box itself. Real bounds may be infinite (an unbounded latent), which
    the MIP backend refuses rather than inventing a large constant.
    """

    kind: DomainKind
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        check_choice(self.kind, "domain kind", DOMAIN_KINDS)
        lower = np.asarray(self.lower, dtype=np.float64)
        upper = np.asarray(self.upper, dtype=np.float64)
        if lower.ndim != 1 or lower.shape != upper.shape:
            raise ShapeError(
                f"domain bounds must be 1-D of equal length, got {lower.shape} and {upper.shape}"
            )
        if np.any(np.isnan(lower)) or np.any(np.isnan(upper)) or np.any(lower > upper):
            raise InvalidArgumentError("domain bounds must satisfy lower <= upper (no NaN)")
        if self.kind != "real" and not (
            np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
            and np.all(lower == np.round(lower)) and np.all(upper == np.round(upper))
        ):
            raise InvalidArgumentError(f"a {self.kind} domain needs finite integer bounds")
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @classmethod
    def binary(cls, k: int) -> LatentDomain:
        """The cube ``{0,1}^k``."""
        return cls("binary", np.zeros(k), np.ones(k))

    @classmethod
    def box(cls, k: int, lo: float, hi: float, *, integer: bool = False) -> LatentDomain:
        """The box ``[lo, hi]^k`` (its integer points when ``integer``)."""
        return cls("integer" if integer else "real", np.full(k, float(lo)), np.full(k, float(hi)))

    @property
    def dim(self) -> int:
        """The latent size ``k``."""
        return int(self.lower.shape[0])

    @property
    def is_bounded(self) -> bool:
        """Whether every bound is finite."""
        return bool(np.all(np.isfinite(self.lower)) and np.all(np.isfinite(self.upper)))

    def contains(self, z: npt.ArrayLike, *, tol: float = 0.0) -> bool:
        """Whether ``z`` lies in the domain (bounds within ``tol``; integrality exact)."""
        array = np.asarray(z, dtype=np.float64)
        if array.shape != self.lower.shape:
            return False
        inside = bool(np.all(array >= self.lower - tol) and np.all(array <= self.upper + tol))
        if self.kind == "real":
            return inside
        return inside and bool(np.all(array == np.round(array)))

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable description (infinite bounds as ``None``)."""
        def bound(values: npt.NDArray[np.float64]) -> list[float | None]:
            return [float(v) if np.isfinite(v) else None for v in values]
        return {"kind": self.kind, "lower": bound(self.lower), "upper": bound(self.upper)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LatentDomain:
        """Inverse of :meth:`to_json`."""
        lower = [-np.inf if v is None else v for v in data["lower"]]
        upper = [np.inf if v is None else v for v in data["upper"]]
        return cls(data["kind"], np.asarray(lower, dtype=np.float64),
                   np.asarray(upper, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class InversionProblem:
    """Find ``z`` in ``domain`` with ``G(z)[mask] = target[mask]`` (or as close as possible).

    Attributes
    ----------
    network:
        The generator ``G``.
    target:
        The observation ``x``, shape ``(n,)``, stored exactly: float64, or int64 when it
        holds an integer beyond ``2**53`` (which float64 would round). A value neither
        holds exactly (``Fraction(1, 3)``, an integer beyond int64) is refused.
    domain:
        The latent domain.
    mask:
        Boolean array of shape ``(n,)``; ``True`` where the output is observed. ``None``:
        every output is observed.
    latent:
        A label for the latent variant: ``"binary"`` or ``"real"`` for reductions, free text
        otherwise.
    formula:
        The formula a reduction came from, else ``None``.
    lam:
        The binary-forcing gadget constant of a real-latent reduction, else ``None``.
    metadata:
        JSON-serialisable facts saved with the problem (formula hash, seeds, ...).
    """

    network: ReluNetwork
    target: npt.NDArray[np.float64]
    domain: LatentDomain
    mask: npt.NDArray[np.bool_] | None = None
    latent: str = "real"
    formula: Formula | None = None
    lam: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.network, ReluNetwork):
            raise InvalidTypeError(
                f"network must be a reluinv.ReluNetwork, got {type(self.network).__name__}")
        if not isinstance(self.domain, LatentDomain):
            raise InvalidTypeError(
                f"domain must be a reluinv.LatentDomain, got {type(self.domain).__name__}")
        n, k = self.network.output_dim, self.network.latent_dim
        try:
            target = exact_array(self.target, "target")
        except NonFiniteError as exc:
            raise InvalidArgumentError(str(exc)) from exc  # "target[j] is nan; target ..."
        if target.shape != (n,):
            raise ShapeError(f"target must have shape (n,) = ({n},), got {target.shape}")
        if target.dtype.kind == "i":
            # float64 as before where it is exact (|x_j| <= 2^53); int64 only where needed
            target = (target.astype(np.float64)
                      if np.all(np.abs(target) <= _FLOAT_EXACT_INTEGER) else target.copy())
        if self.lam is not None and (isinstance(self.lam, bool)
                                     or not isinstance(self.lam, int | np.integer)):
            raise InvalidTypeError(f"lam must be an integer or None, got {self.lam!r}")
        target.setflags(write=False)
        object.__setattr__(self, "target", target)
        if self.domain.dim != k:
            raise ShapeError(f"domain has dimension {self.domain.dim}, the network's k = {k}")
        if self.mask is not None:
            mask = np.asarray(self.mask)
            if mask.dtype != np.bool_ or mask.shape != (n,):
                raise ShapeError(
                    f"mask must be a boolean array of shape ({n},), got {mask.dtype} {mask.shape}"
                )
            mask = mask.copy()
            mask.setflags(write=False)
            object.__setattr__(self, "mask", mask)

    @property
    def observed(self) -> npt.NDArray[np.intp]:
        """Indices of the observed outputs."""
        if self.mask is None:
            return np.arange(self.network.output_dim)
        return np.flatnonzero(self.mask)

    def residual(self, z: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``G(z) - x`` on the observed outputs, float64."""
        out = self.network.forward(z)
        return (out - self.target)[..., self.observed]

    def loss(self, z: npt.ArrayLike, norm: Norm = "l1") -> float:
        """``||G(z) - x||`` on the observed outputs in the ``l1``, ``linf`` or ``l2`` norm."""
        check_choice(norm, "norm", NORMS)
        r = self.residual(z)
        if r.ndim != 1:
            raise ShapeError("loss takes one latent vector; use residual() for a batch")
        if norm == "l1":
            return float(np.sum(np.abs(r)))
        if norm == "linf":
            return float(np.max(np.abs(r), initial=0.0))
        return float(np.linalg.norm(r))

    def exact_residual(self, z: Sequence[Exact] | npt.ArrayLike) -> list[Exact]:
        """``G(z) - x`` on the observed outputs in exact rational arithmetic (``z`` may hold
        ints, floats or ``Fraction`` values)."""
        out = self.network.forward_exact(z)
        x = exact_vector(self.target, "target")
        return [out[i] - x[i] for i in self.observed.tolist()]

    def exact_loss(
        self, z: Sequence[Exact] | npt.ArrayLike, norm: Literal["l1", "linf"] = "l1"
    ) -> Exact:
        """:meth:`loss` in exact arithmetic (``l1`` or ``linf``): an ``int`` for integer
        networks at integer points, a ``Fraction`` otherwise."""
        check_choice(norm, "norm", ("l1", "linf"))
        r: list[Exact] = [v if v >= 0 else -v for v in self.exact_residual(z)]
        if norm == "l1":
            total: Exact = 0
            for v in r:
                total += v
            return total
        return max(r, default=0)

    def is_preimage(self, z: npt.ArrayLike) -> bool:
        """Whether ``z`` is in the domain and ``G(z) = x`` holds exactly on observed outputs."""
        return self.domain.contains(z) and all(v == 0 for v in self.exact_residual(z))

    # -- persistence -------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save network, target, domain, mask and metadata to one ``.npz`` file, under
        exactly ``path`` (no ``.npz`` is appended, unlike :func:`numpy.savez`)."""
        arrays = self.network.to_arrays()
        arrays["target"] = self.target
        if self.mask is not None:
            arrays["mask"] = self.mask
        header = {
            "format": PROBLEM_FORMAT,
            "latent": self.latent,
            "lam": self.lam,
            "domain": self.domain.to_json(),
            **({"formula_sha256": self.formula.sha256()} if self.formula is not None else {}),
            **self.metadata,
        }
        arrays["metadata"] = np.array(json.dumps(header, sort_keys=True))
        with open(path, "wb") as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> InversionProblem:
        """Load a problem saved by :meth:`save` (the formula itself is not stored)."""
        with open_npz(path) as data:
            return cls.from_arrays(data, source=os.fspath(path))

    @classmethod
    def from_arrays(cls, arrays: Any, source: str = "<arrays>") -> InversionProblem:
        """Rebuild a problem from the entries :meth:`save` wrote (an open ``NpzFile``)."""
        network = ReluNetwork.from_arrays(arrays, source=source)
        meta = read_metadata(arrays, source)
        if "target" not in arrays or not meta:
            raise ProblemFileError(
                f"{source}: a problem file needs 'target' and 'metadata' entries; "
                "this looks like a bare network"
            )
        if meta.get("format") != PROBLEM_FORMAT:
            raise ProblemFileError(f"{source}: metadata does not describe a reluinv problem")
        mask = np.asarray(arrays["mask"]) if "mask" in arrays else None
        target = np.asarray(arrays["target"])
        extra = {key: value for key, value in meta.items()
                 if key not in ("format", "latent", "lam", "domain")}
        try:
            domain = LatentDomain.from_json(meta["domain"])
            latent = str(meta["latent"])
        except (KeyError, TypeError) as exc:
            raise ProblemFileError(f"{source}: malformed problem metadata: {exc}") from exc
        lam = meta.get("lam")
        if lam is not None and (isinstance(lam, bool) or not isinstance(lam, int)):
            raise ProblemFileError(f"{source}: metadata 'lam' must be an integer or null, "
                                   f"got {lam!r}")
        return cls(network=network, target=target, domain=domain, mask=mask, latent=latent,
                   lam=lam, metadata=extra)

    def fingerprint(self) -> str:
        """A content hash of network, target, domain and mask."""
        digest = hashlib.sha256()
        stored: tuple[Any, ...] = (*self.network.weights, *self.network.biases, self.target)
        for array in stored:
            if sp.issparse(array):  # canonical CSR (the constructor made it canonical)
                digest.update(b"csr" + np.asarray(array.shape, dtype=np.int64).tobytes())
                for part in (array.indptr, array.indices, array.data):
                    digest.update(np.ascontiguousarray(part).tobytes())
            else:
                digest.update(np.ascontiguousarray(array).tobytes())
        described: list[Any] = [self.domain.to_json(), self.network.activation_spec]
        if self.network.output_linear:  # kept out otherwise: earlier hashes stay valid
            described.append("linear head")
        digest.update(json.dumps(described).encode())
        if self.mask is not None:
            digest.update(self.mask.tobytes())
        return digest.hexdigest()


def fraction_to_float(value: Exact) -> float:
    """Convert an exact number to float (for reports)."""
    return float(Fraction(value))
