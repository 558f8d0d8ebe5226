"""Stage 3b: exact inversion of ReLU networks with OR-Tools and python-sat, every answer
verified.

Modules, in the order data flows through them:

* :mod:`~reluinv.exact.backend`: the :class:`ExactBackend` protocol, the per-backend option
  objects and the steps every backend shares (checks, the infeasible-by-target shortcut,
  verification, timing);
* :mod:`~reluinv.exact.registry`: the backends by name and the rule of ``backend="auto"``;
* :mod:`~reluinv.exact.bounds`: interval (and LP) bounds on every pre-activation and the
  unit phases they prove;
* :mod:`~reluinv.exact.encodings`: the registry of ReLU encodings, by name;
* :mod:`~reluinv.exact.cpsat` / :mod:`~reluinv.exact.mip` /
  :mod:`~reluinv.exact.maxsat_backend`: one module per backend, each turning an
  :class:`~reluinv.data.problem.InversionProblem` into a solver model (the last through
  :mod:`~reluinv.exact.order_cnf`, a CNF compilation, and
  :mod:`~reluinv.exact.pysat_calls`, its python-sat calls, made through the one python-sat
  layer :mod:`reluinv.oracles.pysat_layer`);
* :mod:`~reluinv.exact.verify`: the forward pass re-checks every returned latent code;
* :mod:`~reluinv.exact.result`: frozen result objects with status enums;
* :mod:`~reluinv.exact.solve`: :func:`solve_exact` and :func:`certify_unique`.

Imports run one way, with no cycle (a test checks the import graph): ``common``, ``result``,
``bounds``, ``verify``, ``order_cnf``, ``pysat_calls`` and ``encodings`` below ``backend``,
the three backend modules below ``registry``, and ``solve`` on top.
"""

from reluinv.exact.backend import (
    BackendOptions,
    CertifyingBackend,
    CpsatOptions,
    ExactBackend,
    MaxsatOptions,
    MipOptions,
)
from reluinv.exact.encodings import ENCODINGS, ReluEncoding, encoding_names, get_encoding
from reluinv.exact.registry import AUTO_ORDER, BACKENDS, EXACT_BACKENDS, UNIQUENESS_ORDER
from reluinv.exact.result import (
    ExactResult,
    ModelSize,
    Status,
    UniquenessResult,
    UniquenessStatus,
)
from reluinv.exact.solve import UNIQUENESS_TOLERANCE, certify_unique, solve_exact
from reluinv.exact.verify import REAL_TOLERANCE

__all__ = [
    "AUTO_ORDER",
    "BACKENDS",
    "ENCODINGS",
    "EXACT_BACKENDS",
    "REAL_TOLERANCE",
    "UNIQUENESS_ORDER",
    "UNIQUENESS_TOLERANCE",
    "BackendOptions",
    "CertifyingBackend",
    "CpsatOptions",
    "ExactBackend",
    "ExactResult",
    "MaxsatOptions",
    "MipOptions",
    "ModelSize",
    "ReluEncoding",
    "Status",
    "UniquenessResult",
    "UniquenessStatus",
    "certify_unique",
    "encoding_names",
    "get_encoding",
    "solve_exact",
]
