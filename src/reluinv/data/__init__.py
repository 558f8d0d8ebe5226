"""Stage 1 of the data flow: the objects everything else reads.

* :mod:`~reluinv.data.formula`: :class:`Formula` and strict DIMACS CNF / WCNF reading and
  writing (the declared variable count is authoritative; a hard clause weighs
  ``1 + soft total``);
* :mod:`~reluinv.data.network`: :class:`ReluNetwork`, ``G(z) = s(W_d s(... s(W_1 z + b_1)
  ...) + b_d)`` with rows as outputs, float and exact forward passes, ``.npz`` files;
* :mod:`~reluinv.data.problem`: :class:`InversionProblem` (network, target, latent domain,
  mask) and :class:`LatentDomain`;
* :mod:`~reluinv.data.files`: saved ``.npz`` files, a problem told from a bare network.

Nothing here imports a solver.
"""

from reluinv.data.formula import Formula, format_dimacs, parse_dimacs, read_dimacs, write_dimacs
from reluinv.data.network import ReluNetwork
from reluinv.data.problem import InversionProblem, LatentDomain

__all__ = [
    "Formula",
    "InversionProblem",
    "LatentDomain",
    "ReluNetwork",
    "format_dimacs",
    "parse_dimacs",
    "read_dimacs",
    "write_dimacs",
]
