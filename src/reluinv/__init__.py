"""reluinv: inverting ReLU generative networks.

Find the latent code ``z`` with ``G(z) = x`` (or as close as possible). The toolkit makes
one theorem checkable (inverting two ReLU layers is NP-hard, by a reduction from
MAX-3SAT), solves inversion problems exactly with certificates, and ships the
polynomial-time layer-wise inverter for expanding networks.

The public surface is re-exported here; see ``__all__``.
"""

from reluinv import lemmas
from reluinv._version import __version__
from reluinv.errors import (
    DimacsError,
    InvalidArgumentError,
    NonFiniteError,
    ProblemFileError,
    ReluinvError,
    ShapeError,
    SolverError,
    UnsupportedProblemError,
)
from reluinv.formula import Formula, format_dimacs, parse_dimacs, read_dimacs, write_dimacs
from reluinv.lemmas import (
    LemmaStatus,
    check_binary_forcing,
    check_cube,
    check_lift,
    check_loss_identity,
    check_realizability,
    check_rounding,
)
from reluinv.network import ReluNetwork
from reluinv.problem import InversionProblem, LatentDomain
from reluinv.reduction import decode, encode, lift

__all__ = [
    "DimacsError",
    "Formula",
    "InvalidArgumentError",
    "InversionProblem",
    "LatentDomain",
    "LemmaStatus",
    "NonFiniteError",
    "ProblemFileError",
    "ReluNetwork",
    "ReluinvError",
    "ShapeError",
    "SolverError",
    "UnsupportedProblemError",
    "__version__",
    "check_binary_forcing",
    "check_cube",
    "check_lift",
    "check_loss_identity",
    "check_realizability",
    "check_rounding",
    "decode",
    "encode",
    "format_dimacs",
    "lemmas",
    "lift",
    "parse_dimacs",
    "read_dimacs",
    "write_dimacs",
]
