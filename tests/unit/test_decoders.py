"""The shipped digits decoders: they load, say where they come from, and retrain the same."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import reluinv as ri
from reluinv.data.decoders import DIGITS_DECODER_KINDS, digits_decoder_metadata

pytest.importorskip("onnx")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", DIGITS_DECODER_KINDS)
def test_decoder_loads_with_its_provenance(kind: str) -> None:
    net = ri.digits_decoder(kind)  # type: ignore[arg-type]
    assert net.sizes == (10, 40, 64)
    assert net.output_linear
    assert net.activation_spec == ("relu" if kind == "relu" else ("leaky_relu", 0.1))
    meta = digits_decoder_metadata(kind)  # type: ignore[arg-type]
    assert meta["script"] == "benchmarks/train_digits_decoder.py"
    assert (ROOT / meta["script"]).is_file()
    assert {"seed", "epochs", "data", "rmse_of_means"} <= set(meta)
    assert "load_digits" in meta["data"]
    # decoded images look like pixels in [0, 1]: the mean image of the prior's draws
    images = net.forward(np.random.default_rng(0).normal(size=(200, 10)))
    assert 0.0 <= float(np.mean(images)) <= 1.0


def test_the_model_files_are_small() -> None:
    for kind in DIGITS_DECODER_KINDS:
        path = ROOT / "src" / "reluinv" / "data" / "models" / f"digits_decoder_{kind}.onnx"
        assert path.stat().st_size < 100_000


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ri.InvalidArgumentError, match="kind"):
        ri.digits_decoder("sigmoid")  # type: ignore[arg-type]


@pytest.mark.slow  # two short trainings: about 1.8 s
@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
def test_training_is_deterministic() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.train_digits_decoder import train
    finally:
        sys.path.remove(str(ROOT))
    first, info = train("leaky", epochs=2)
    second, _ = train("leaky", epochs=2)
    assert first == second
    assert info["rmse_of_means"] > 0
