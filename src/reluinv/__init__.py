"""reluinv: inverting ReLU generative networks.

Find the latent code ``z`` with ``G(z) = x`` (or as close as possible). The toolkit makes
one theorem checkable (inverting two ReLU layers is NP-hard, by a reduction from
MAX-3SAT), solves inversion problems exactly with certificates, and ships the
polynomial-time layer-wise inverter for expanding networks.

The public surface is re-exported here; see ``__all__``.
"""

from reluinv._version import __version__
from reluinv.data.decoders import digits_decoder
from reluinv.data.formula import Formula, format_dimacs, parse_dimacs, read_dimacs, write_dimacs
from reluinv.data.network import ReluNetwork
from reluinv.data.onnx_io import read_onnx, write_onnx
from reluinv.data.problem import InversionProblem, LatentDomain
from reluinv.data.vnnlib import Property, read_vnnlib, write_vnnlib
from reluinv.errors import (
    DimacsError,
    InvalidArgumentError,
    InvalidTypeError,
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
from reluinv.exact.verify_property import VerificationResult, VerificationStatus, verify
from reluinv.layerwise.farkas import FarkasCertificate
from reluinv.layerwise.gradient import GradientResult, invert_gradient
from reluinv.layerwise.hybrid import InversionResult, invert
from reluinv.layerwise.inverter import (
    LayerDiagnostic,
    LayerwiseResult,
    LayerwiseStatus,
    invert_layerwise,
)
from reluinv.layerwise.random_nets import PlantedInstance, noise, plant, random_network
from reluinv.oracles.maxsat import (
    MaxSatCertificate,
    MaxSatResult,
    MaxSatStatus,
    certify_maxsat_optimum,
    solve_maxsat,
)
from reluinv.oracles.proofcheck import PROOF_CHECKER, ProofCheck, check_drup_proof
from reluinv.oracles.sat import SAT_SOLVERS, SatResult, SatStatus, solve_sat
from reluinv.reduction import lemmas
from reluinv.reduction.construction import decode, encode, lift
from reluinv.reduction.lemmas import (
    LemmaStatus,
    check_binary_forcing,
    check_cube,
    check_lift,
    check_loss_identity,
    check_realizability,
    check_rounding,
)
from reluinv.validation.check import check_instance

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
    "InvalidTypeError",
    "InversionProblem",
    "InversionResult",
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
    "Property",
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
    "VerificationResult",
    "VerificationStatus",
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
    "digits_decoder",
    "encode",
    "format_dimacs",
    "invert",
    "invert_gradient",
    "invert_layerwise",
    "lemmas",
    "lift",
    "noise",
    "parse_dimacs",
    "plant",
    "random_network",
    "read_dimacs",
    "read_onnx",
    "read_vnnlib",
    "solve_exact",
    "solve_maxsat",
    "solve_sat",
    "verify",
    "write_dimacs",
    "write_onnx",
    "write_vnnlib",
]
