"""Stage 3c: the polynomial-time layer-wise inverter and what it is compared with.

* :mod:`~reluinv.layerwise.inverter`: ``invert_layerwise``, one linear program (or least
  squares solve) per layer, last layer first, exact and noisy variants (the noisy layers
  in :mod:`~reluinv.layerwise.noisy`, what each layer reports in
  :mod:`~reluinv.layerwise.diagnostics`);
* :mod:`~reluinv.layerwise.farkas`: Farkas rays that certify a layer has no pre-image;
* :mod:`~reluinv.layerwise.gradient`: the gradient-descent baseline;
* :mod:`~reluinv.layerwise.random_nets`: random expanding networks, planted latents, noise.
"""

from reluinv.layerwise.farkas import FarkasCertificate
from reluinv.layerwise.gradient import GradientResult, invert_gradient
from reluinv.layerwise.inverter import (
    LayerDiagnostic,
    LayerwiseResult,
    LayerwiseStatus,
    invert_layerwise,
)
from reluinv.layerwise.random_nets import PlantedInstance, noise, plant, random_network

__all__ = [
    "FarkasCertificate",
    "GradientResult",
    "LayerDiagnostic",
    "LayerwiseResult",
    "LayerwiseStatus",
    "PlantedInstance",
    "invert_gradient",
    "invert_layerwise",
    "noise",
    "plant",
    "random_network",
]
