"""Small inversion problems that the exact backends' error and registry tests share: each
one is outside some backend's scope (leaky ReLU, float weights, an unbounded box)."""

from __future__ import annotations

import numpy as np

import reluinv as ri

LEAKY = ri.InversionProblem(ri.ReluNetwork([[[1, 2]]], None, ("leaky_relu", 0.5)),
                            np.array([1.0]), ri.LatentDomain.binary(2))
FLOATS = ri.InversionProblem(ri.ReluNetwork([[[0.5, 2.0]]]), np.array([1.0]),
                             ri.LatentDomain.binary(2))
UNBOUNDED = ri.InversionProblem(ri.ReluNetwork([[[1.0, 2.0]]]), np.array([1.0]),
                                ri.LatentDomain("real", np.array([0.0, -np.inf]),
                                                np.array([1.0, 1.0])))
