"""Stage 3a: answers about formulas from python-sat, each with its evidence.

* :mod:`~reluinv.oracles.pysat_layer`: the one python-sat layer (the solver table, the one
  RC2 configuration, model -> assignment, the in-process time limit);
* :mod:`~reluinv.oracles.sat`: satisfiability by a proof-logging SAT solver; models
  re-checked, refutations checked by an independent checker;
* :mod:`~reluinv.oracles.maxsat`: the MaxSAT optimum by RC2 and its certificate (a model
  for the upper bound, a checked refutation for the lower bound);
* :mod:`~reluinv.oracles.proofcheck`: the DRUP proof checker (``drup``), run in a child
  process under a time limit;
* :mod:`~reluinv.oracles.rupcheck`: the fast forward RUP checker, and
  ``check_refutation`` (it, plus ``drup`` on small proofs);
* :mod:`~reluinv.oracles.pb_encoding`: the weighted at-most constraint of the certificate.
"""

from reluinv.oracles.maxsat import (
    MaxSatCertificate,
    MaxSatResult,
    MaxSatStatus,
    certify_maxsat_optimum,
    solve_maxsat,
)
from reluinv.oracles.proofcheck import PROOF_CHECKER, ProofCheck, check_drup_proof
from reluinv.oracles.rupcheck import RUP_CHECKER, check_refutation, check_rup_proof
from reluinv.oracles.sat import SAT_SOLVERS, SatResult, SatStatus, solve_sat

__all__ = [
    "PROOF_CHECKER",
    "RUP_CHECKER",
    "SAT_SOLVERS",
    "MaxSatCertificate",
    "MaxSatResult",
    "MaxSatStatus",
    "ProofCheck",
    "SatResult",
    "SatStatus",
    "certify_maxsat_optimum",
    "check_drup_proof",
    "check_refutation",
    "check_rup_proof",
    "solve_maxsat",
    "solve_sat",
]
