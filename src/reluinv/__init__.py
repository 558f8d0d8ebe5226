"""reluinv: inverting ReLU generative networks.

Find the latent code ``z`` with ``G(z) = x`` (or as close as possible). The toolkit makes
one theorem checkable (inverting two ReLU layers is NP-hard, by a reduction from
MAX-3SAT), solves inversion problems exactly with certificates, and ships the
polynomial-time layer-wise inverter for expanding networks.

The public surface is re-exported here; see ``__all__``.
"""

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
from reluinv.exact import (
    EXACT_BACKENDS,
    ExactResult,
    Status,
    UniquenessResult,
    UniquenessStatus,
    certify_unique,
    solve_exact,
)
from reluinv.formula import Formula, format_dimacs, parse_dimacs, read_dimacs, write_dimacs
from reluinv.network import ReluNetwork
from reluinv.problem import InversionProblem, LatentDomain
from reluinv.reduction import decode, encode, lift

__all__ = [
    "EXACT_BACKENDS",
    "DimacsError",
    "ExactResult",
    "Formula",
    "InvalidArgumentError",
    "InversionProblem",
    "LatentDomain",
    "NonFiniteError",
    "ProblemFileError",
    "ReluNetwork",
    "ReluinvError",
    "ShapeError",
    "SolverError",
    "Status",
    "UniquenessResult",
    "UniquenessStatus",
    "UnsupportedProblemError",
    "__version__",
    "certify_unique",
    "decode",
    "encode",
    "format_dimacs",
    "lift",
    "parse_dimacs",
    "read_dimacs",
    "solve_exact",
    "write_dimacs",
]
