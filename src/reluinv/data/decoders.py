"""Trained generators shipped with reluinv: small VAE decoders of 8 x 8 digits.

Two decoders ``10 x 40 x 64`` with a linear head, ``G(z) = W_2 s(W_1 z + b_1) + b_2``,
trained by ``benchmarks/train_digits_decoder.py`` (plain numpy, seeded, deterministic) as
the decoders of a variational autoencoder on scikit-learn's bundled digits
(``sklearn.datasets.load_digits``, 1797 images, pixels scaled to [0, 1]), so that latent
codes follow ``N(0, I)`` roughly. ``s`` is ReLU (``kind="relu"``) or LeakyReLU(0.1)
(``kind="leaky"``). They are stored as float32 ONNX files (package data, about 13 kB
each) whose metadata names the script, seed, epochs, data and final losses
(:func:`digits_decoder_metadata`); an output is an 8 x 8 image read row by row.

>>> net = digits_decoder("relu")
>>> net.sizes, net.activation_spec, net.output_activation
((10, 40, 64), 'relu', 'linear')
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal

from reluinv.arguments import check_choice
from reluinv.data.network import ReluNetwork

__all__ = ["DIGITS_DECODER_KINDS", "digits_decoder", "digits_decoder_metadata"]

DecoderKind = Literal["relu", "leaky"]
#: The shipped decoders, by kind.
DIGITS_DECODER_KINDS: tuple[DecoderKind, ...] = ("relu", "leaky")


def _path(kind: str) -> Any:
    check_choice(kind, "kind", DIGITS_DECODER_KINDS)
    return resources.files("reluinv.data") / "models" / f"digits_decoder_{kind}.onnx"


def digits_decoder(kind: DecoderKind = "relu") -> ReluNetwork:
    """The shipped digits decoder of this ``kind`` (``"relu"`` or ``"leaky"``), read from
    its ONNX file (needs the ``onnx`` extra: ``pip install 'reluinv[onnx]'``)."""
    from reluinv.data.onnx_io import read_onnx

    with resources.as_file(_path(kind)) as path:
        return read_onnx(path)


def digits_decoder_metadata(kind: DecoderKind = "relu") -> dict[str, Any]:
    """The provenance stored in the decoder's ONNX metadata (script, seed, epochs, data,
    losses, reluinv version)."""
    from reluinv.data.onnx_io import onnx_metadata

    with resources.as_file(_path(kind)) as path:
        return onnx_metadata(path)
