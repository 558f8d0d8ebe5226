"""Random expanding networks, planted latent codes and noise models.

The networks of the paper's experiments: ``W_i`` of shape ``(n_i, n_{i-1})`` with
independent entries ``N(0, 1/n_i)``, where ``n_i`` is the layer's *output* size (its
number of rows), and no bias. With that scaling ``||W_i h|| ~ ||h||``: a Gaussian layer
preserves norms on average, and a ReLU layer halves the squared norm.

Latent codes are planted as ``z* ~ N(0, I_k)``; the observation is ``x = G(z*) + e`` with
``e`` from one of three noise models (:data:`NOISE_KINDS`):

``"uniform"``
    ``e_j`` uniform in ``[-level, level]``: ``||e||_inf <= level``, the l_inf model.
``"gaussian"``
    ``e_j ~ N(0, level^2)``: the model the paper pairs with the l_1 LP.
``"sparse"``
    ``ceil(fraction * n)`` entries chosen at random get uniform noise in
    ``[-level, level]``; the others are exact (outliers).

All randomness comes from an explicit :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice, check_count, check_nonnegative, check_rng
from reluinv.data.network import ActivationSpec, ReluNetwork, check_weight_entries
from reluinv.errors import InvalidArgumentError, InvalidTypeError, ShapeError

__all__ = [
    "NOISE_KINDS",
    "NoiseKind",
    "PlantedInstance",
    "noise",
    "plant",
    "random_network",
]

FloatArray = npt.NDArray[np.float64]
NoiseKind = Literal["uniform", "gaussian", "sparse"]
#: The noise models :func:`noise` draws from.
NOISE_KINDS: tuple[NoiseKind, ...] = ("uniform", "gaussian", "sparse")
#: Default share of corrupted entries of the ``"sparse"`` model.
SPARSE_FRACTION = 0.05


#: The default cap on the weights of :func:`random_network` (10^8 float64 entries, 800 MB).
MAX_RANDOM_WEIGHTS = 10**8


def random_network(
    sizes: Sequence[int],
    *,
    activation: ActivationSpec = "relu",
    rng: np.random.Generator,
    bias: bool = False,
    max_weights: int = MAX_RANDOM_WEIGHTS,
) -> ReluNetwork:
    """A network with ``W_i`` entries ``N(0, 1/n_i)``, ``n_i = sizes[i]`` its output size.

    Parameters
    ----------
    sizes:
        ``(n_0, n_1, ..., n_d)``: latent size first.
    activation:
        ``"relu"`` or ``("leaky_relu", alpha)``.
    rng:
        The random generator (required: no hidden seed).
    bias:
        When true, ``b_i`` entries are drawn ``N(0, 1/n_i)`` as well; zero otherwise (the
        paper's setting).
    max_weights:
        The most weights ``sum_i n_i n_{i-1}`` (8 bytes each) the network may have; larger
        ``sizes`` are refused before anything is allocated (default
        :data:`MAX_RANDOM_WEIGHTS`, 800 MB).

    >>> net = random_network([5, 20, 60], rng=np.random.default_rng(0))
    >>> net.sizes, [w.shape for w in net.weights]
    ((5, 20, 60), [(20, 5), (60, 20)])
    """
    generator = check_rng(rng)
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ShapeError(f"sizes must list at least two layer sizes (k, ..., n), got {sizes!r}")
    dims = [check_count(size, f"sizes[{i}]") for i, size in enumerate(sizes)]
    check_weight_entries(dims, max_weights, "max_weights", subject=f"sizes {dims}",
                         advice="pass a larger max_weights to allow it")
    weights = []
    biases = []
    for n_in, n_out in itertools.pairwise(dims):
        std = 1.0 / math.sqrt(n_out)
        weights.append(generator.normal(0.0, std, size=(n_out, n_in)))
        biases.append(generator.normal(0.0, std, size=n_out) if bias else np.zeros(n_out))
    return ReluNetwork(weights, biases, activation)


def noise(
    size: int,
    *,
    kind: NoiseKind,
    level: float,
    rng: np.random.Generator,
    fraction: float = SPARSE_FRACTION,
) -> FloatArray:
    """A noise vector of length ``size`` from one of :data:`NOISE_KINDS` (module docstring).

    >>> e = noise(1000, kind="uniform", level=0.1, rng=np.random.default_rng(1))
    >>> bool(np.max(np.abs(e)) <= 0.1)
    True
    """
    generator = check_rng(rng)
    count = check_count(size, "size", minimum=0)
    level = check_nonnegative(level, "level")
    check_choice(kind, "kind", NOISE_KINDS)
    if kind == "uniform":
        return generator.uniform(-level, level, size=count)
    if kind == "gaussian":
        return generator.normal(0.0, level, size=count)
    share = check_nonnegative(fraction, "fraction")
    if share > 1.0:
        raise InvalidArgumentError(f"fraction must lie in [0, 1], got {fraction}")
    corrupted = min(count, math.ceil(share * count))
    out = np.zeros(count)
    where = generator.choice(count, size=corrupted, replace=False)
    out[where] = generator.uniform(-level, level, size=corrupted)
    return out


@dataclass(frozen=True, eq=False)
class PlantedInstance:
    """A planted inversion instance: ``observation = network.forward(z) + noise``.

    Attributes
    ----------
    network:
        The generator.
    z:
        The planted latent code ``z* ~ N(0, I_k)``.
    clean:
        ``G(z*)``.
    observation:
        ``G(z*) + e``.
    noise_kind, level:
        The noise model (``None`` for none) and its level.
    """

    network: ReluNetwork
    z: FloatArray
    clean: FloatArray
    observation: FloatArray
    noise_kind: NoiseKind | None
    level: float

    def relative_error(self, z: npt.ArrayLike) -> float:
        """``||z - z*|| / ||z*||``."""
        return float(np.linalg.norm(np.asarray(z) - self.z) / np.linalg.norm(self.z))


def plant(
    network: ReluNetwork,
    *,
    rng: np.random.Generator,
    noise_kind: NoiseKind | None = None,
    level: float = 0.0,
    fraction: float = SPARSE_FRACTION,
) -> PlantedInstance:
    """Draw ``z* ~ N(0, I_k)`` and observe ``G(z*)`` plus noise of the given model.

    >>> net = random_network([3, 9], rng=np.random.default_rng(0))
    >>> inst = plant(net, rng=np.random.default_rng(1))
    >>> bool(np.array_equal(inst.observation, net.forward(inst.z)))
    True
    """
    generator = check_rng(rng)
    if not isinstance(network, ReluNetwork):
        raise InvalidTypeError(
            f"network must be a reluinv.ReluNetwork, got {type(network).__name__}")
    z = generator.normal(size=network.latent_dim)
    clean = network.forward(z)
    observation = clean.copy()
    if noise_kind is not None:
        observation = clean + noise(network.output_dim, kind=noise_kind, level=level,
                                    rng=generator, fraction=fraction)
    return PlantedInstance(network, z, clean, observation, noise_kind, float(level))
