"""reluinv: inverting ReLU generative networks.

Find the latent code ``z`` with ``G(z) = x`` (or as close as possible). The toolkit makes
one theorem checkable (inverting two ReLU layers is NP-hard, by a reduction from
MAX-3SAT), solves inversion problems exactly with certificates, and ships the
polynomial-time layer-wise inverter for expanding networks.

The public surface is re-exported here; see ``__all__``.
"""

from reluinv import lemmas
from reluinv._version import __version__
from reluinv.baselines import GradientResult, invert_gradient
from reluinv.check import check_instance
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
from reluinv.farkas import FarkasCertificate
from reluinv.formula import Formula, format_dimacs, parse_dimacs, read_dimacs, write_dimacs
from reluinv.layerwise import (
    LayerDiagnostic,
    LayerwiseResult,
    LayerwiseStatus,
    invert_layerwise,
)
from reluinv.lemmas import (
    LemmaStatus,
    check_binary_forcing,
    check_cube,
    check_lift,
    check_loss_identity,
    check_realizability,
    check_rounding,
)
from reluinv.maxsat import (
    MaxSatCertificate,
    MaxSatResult,
    MaxSatStatus,
    certify_maxsat_optimum,
    solve_maxsat,
)
from reluinv.network import ReluNetwork
from reluinv.problem import InversionProblem, LatentDomain
from reluinv.proofcheck import PROOF_CHECKER, ProofCheck, check_drup_proof
from reluinv.random_nets import PlantedInstance, noise, plant, random_network
from reluinv.reduction import decode, encode, lift
from reluinv.sat import SAT_SOLVERS, SatResult, SatStatus, solve_sat

__all__ = [
    "EXACT_BACKENDS",
    "PROOF_CHECKER",
    "SAT_SOLVERS",
    "DimacsError",
    "ExactResult",
    "FarkasCertificate",
    "Formula",
    "GradientResult",
    "InvalidArgumentError",
    "InversionProblem",
    "LatentDomain",
    "LayerDiagnostic",
    "LayerwiseResult",
    "LayerwiseStatus",
    "LemmaStatus",
    "MaxSatCertificate",
    "MaxSatResult",
    "MaxSatStatus",
    "NonFiniteError",
    "PlantedInstance",
    "ProblemFileError",
    "ProofCheck",
    "ReluNetwork",
    "ReluinvError",
    "SatResult",
    "SatStatus",
    "ShapeError",
    "SolverError",
    "Status",
    "UniquenessResult",
    "UniquenessStatus",
    "UnsupportedProblemError",
    "__version__",
    "certify_maxsat_optimum",
    "certify_unique",
    "check_binary_forcing",
    "check_cube",
    "check_drup_proof",
    "check_instance",
    "check_lift",
    "check_loss_identity",
    "check_realizability",
    "check_rounding",
    "decode",
    "encode",
    "format_dimacs",
    "invert_gradient",
    "invert_layerwise",
    "lemmas",
    "lift",
    "noise",
    "parse_dimacs",
    "plant",
    "random_network",
    "read_dimacs",
    "solve_exact",
    "solve_maxsat",
    "solve_sat",
    "write_dimacs",
]
