"""ONNX files the writer refuses to make but other tools do, for the readers' tests."""

from __future__ import annotations

from pathlib import Path

import onnx

import reluinv as ri


def write_at_opset(network: ri.ReluNetwork, path: Path, opset: int) -> None:
    """``network`` as a float64 model declaring ``opset``: written at opset 16, then the
    declared version lowered. A float64 ``LeakyRelu`` below opset 16 is valid ONNX that
    onnxruntime does not run (its double kernel starts at 16), so ``write_onnx`` refuses
    to write it."""
    ri.write_onnx(network, path, dtype="float64", opset=16)
    model = onnx.load(path)
    model.opset_import[0].version = opset
    onnx.save(model, path)
