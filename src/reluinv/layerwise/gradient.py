"""Gradient descent on the latent code: the baseline the layer-wise inverter is measured
against.

Minimise the squared error on the observed outputs ::

    f(z) = || G(z)[mask] - x[mask] ||_2^2

with Adam from several random starts ``z_0 ~ N(0, I_k)`` run side by side as one batch.
The gradient is back-propagated by hand (numpy only). With ``a_i = W_i h_{i-1} + b_i``,
``h_i = s(a_i)``, ``h_0 = z`` and ``r = h_d - x`` (zero on unobserved outputs)::

    df/dh_d = 2 r
    df/da_i = df/dh_i * s'(a_i)          s'(t) = 1 if t > 0 else (0 for ReLU, alpha for leaky)
    df/dh_{i-1} = W_i^T df/da_i

so ``df/dz = df/dh_0``. At a kink (``a_i = 0``) this takes the left derivative, the usual
subgradient choice. Gradient descent is a local method: on a ReLU network ``f`` is
non-convex and a start may end in a spurious critical point, which the random restarts
only partly cure. The result says so: ``RECOVERED`` needs the forward check, exactly as for
:func:`reluinv.invert_layerwise`, and ``INCONCLUSIVE`` is all a failure can claim.

A network stored sparse (CSR weights, as :func:`reluinv.encode` makes large reductions) is
run as it is: the forward pass and ``W_i^T df/da_i`` are sparse products, so memory stays
proportional to the non-zeros.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from reluinv.arguments import check_count, check_rng
from reluinv.data.network import ReluNetwork
from reluinv.layerwise.inverter import (
    RESIDUAL_TOLERANCE,
    LayerwiseStatus,
    check_inversion_arguments,
)
from reluinv.results import ResultBase

__all__ = [
    "GRADIENT_LEARNING_RATE",
    "GRADIENT_RESTARTS",
    "GRADIENT_STEPS",
    "GradientResult",
    "invert_gradient",
    "loss_and_gradient",
]

FloatArray = npt.NDArray[np.float64]

#: Default number of Adam steps per start.
GRADIENT_STEPS = 3000
#: Default Adam step size (decayed geometrically to ``lr * LR_FINAL_FRACTION``).
GRADIENT_LEARNING_RATE = 0.05
#: Default number of random starts.
GRADIENT_RESTARTS = 4
#: The step size decays geometrically from ``lr`` to ``lr * LR_FINAL_FRACTION`` so that
#: Adam settles instead of hovering at a distance proportional to ``lr``.
LR_FINAL_FRACTION = 1e-3
_ADAM_BETA1 = 0.9
_ADAM_BETA2 = 0.999
_ADAM_EPSILON = 1e-12


@dataclass(frozen=True, eq=False)
class GradientResult(ResultBase):
    """The answer of :func:`invert_gradient` (a sibling of ``LayerwiseResult``).

    Attributes
    ----------
    status:
        ``RECOVERED`` when the forward check passes, else ``INCONCLUSIVE``; gradient
        descent never proves that no pre-image exists.
    z:
        The best latent code over all starts (smallest loss).
    residual, residual_l1, residual_l2:
        ``||G(z) - x||`` on the observed outputs in the l_inf, l_1 and l_2 norms.
    residual_bound:
        ``residual_tol * max(1, ||x||_inf)``: the l_inf bound of ``RECOVERED``.
    loss:
        ``f(z)``, the squared l_2 residual.
    steps:
        Adam steps taken (the run stops early once a start passes the check).
    restarts:
        Number of random starts.
    seconds:
        Wall-clock time.
    message:
        Why the status was chosen.
    """

    status: LayerwiseStatus
    z: FloatArray
    residual: float
    residual_l1: float
    residual_l2: float
    residual_bound: float
    loss: float
    steps: int
    restarts: int
    seconds: float
    message: str


def loss_and_gradient(
    network: ReluNetwork,
    Z: FloatArray,
    x: FloatArray,
    observed: npt.NDArray[np.intp],
) -> tuple[FloatArray, FloatArray]:
    """``f`` and ``df/dz`` for a batch ``Z`` of shape ``(B, k)`` (module docstring).

    Returns ``(loss, gradient)`` of shapes ``(B,)`` and ``(B, k)``; ``x`` holds the
    observed entries only (``x = target[observed]``).
    """
    pre = network.pre_activations(Z)
    out = network.activate_layer(network.depth - 1, pre[-1])
    r = out[:, observed] - x
    loss = np.sum(r * r, axis=1)
    grad_h = np.zeros_like(out)
    grad_h[:, observed] = 2.0 * r
    low_slope = network.slope if network.activation == "leaky_relu" else 0.0
    for i in range(network.depth - 1, -1, -1):
        if i == network.depth - 1 and network.output_linear:
            grad_a = grad_h  # a linear head: no activation to differentiate
        else:
            grad_a = grad_h * np.where(pre[i] > 0.0, 1.0, low_slope)
        w = network.weights[i]
        if sp.issparse(w):  # CSR: (W^T g^T)^T, in memory proportional to the non-zeros
            grad_h = np.asarray(w.T @ grad_a.T, dtype=np.float64).T
        else:
            grad_h = grad_a @ np.asarray(w, dtype=np.float64)
    return loss, grad_h


def invert_gradient(
    network: ReluNetwork,
    x: npt.ArrayLike,
    *,
    steps: int = GRADIENT_STEPS,
    lr: float = GRADIENT_LEARNING_RATE,
    restarts: int = GRADIENT_RESTARTS,
    rng: np.random.Generator,
    mask: npt.ArrayLike | None = None,
    residual_tol: float = RESIDUAL_TOLERANCE,
) -> GradientResult:
    """Adam on ``||G(z)[mask] - x[mask]||^2`` from ``restarts`` random starts.

    Parameters
    ----------
    network, x, mask:
        As for :func:`reluinv.invert_layerwise`.
    steps:
        Adam steps per start (all starts advance together).
    lr:
        Initial step size; it decays geometrically to ``lr * LR_FINAL_FRACTION``.
    restarts:
        Number of starts ``z_0 ~ N(0, I_k)``.
    rng:
        The random generator of the starts.
    residual_tol:
        ``RECOVERED`` when ``||G(z) - x||_inf <= residual_tol * max(1, ||x||_inf)``; the
        run stops as soon as one start passes.
    """
    started = time.perf_counter()
    generator = check_rng(rng)
    target, observed = check_inversion_arguments(network, x, "none", mask,
                                                 {"lr": lr, "residual_tol": residual_tol})
    steps = check_count(steps, "steps")
    restarts = check_count(restarts, "restarts")
    x_obs = target[observed]
    bound = residual_tol * max(1.0, float(np.max(np.abs(x_obs), initial=0.0)))
    Z = generator.normal(size=(restarts, network.latent_dim))
    first = np.zeros_like(Z)
    second = np.zeros_like(Z)
    decay = LR_FINAL_FRACTION ** (1.0 / steps)
    taken = 0
    for t in range(1, steps + 1):
        _, grad = loss_and_gradient(network, Z, x_obs, observed)
        first = _ADAM_BETA1 * first + (1.0 - _ADAM_BETA1) * grad
        second = _ADAM_BETA2 * second + (1.0 - _ADAM_BETA2) * grad * grad
        step = lr * decay ** (t - 1)
        unbiased_first = first / (1.0 - _ADAM_BETA1**t)
        unbiased_second = second / (1.0 - _ADAM_BETA2**t)
        Z = Z - step * unbiased_first / (np.sqrt(unbiased_second) + _ADAM_EPSILON)
        taken = t
        if t % 50 == 0:
            worst = np.max(np.abs(network.forward(Z)[:, observed] - x_obs), axis=1, initial=0.0)
            if np.min(worst) <= bound:
                break
    losses, _ = loss_and_gradient(network, Z, x_obs, observed)
    best = int(np.argmin(losses))
    z = Z[best]
    r = network.forward(z)[observed] - x_obs
    linf = float(np.max(np.abs(r), initial=0.0))
    status = LayerwiseStatus.RECOVERED if linf <= bound else LayerwiseStatus.INCONCLUSIVE
    relation = "<=" if linf <= bound else ">"
    return GradientResult(
        status=status, z=z, residual=linf, residual_l1=float(np.sum(np.abs(r))),
        residual_l2=float(np.linalg.norm(r)), residual_bound=bound,
        loss=float(losses[best]), steps=taken, restarts=restarts,
        seconds=time.perf_counter() - started,
        message=f"best of {restarts} starts after {taken} steps: linf residual "
                f"{linf:.3g} {relation} {bound:.3g}"
        + ("" if math.isfinite(linf) else " (diverged)"),
    )
