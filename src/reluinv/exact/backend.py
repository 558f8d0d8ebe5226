"""What every exact backend is, and the steps all of them share.

An exact backend turns an :class:`~reluinv.data.problem.InversionProblem` into a solver
model and solves it. It is an :class:`ExactBackend`:

``name``
    Its registry name (``"cpsat"``, ``"maxsat"``, ``"mip"``).
``options_type``
    A frozen dataclass of the options it takes (:class:`CpsatOptions`,
    :class:`MaxsatOptions`, :class:`MipOptions`), validated on construction. An option a
    backend does not take is an error, never silently ignored
    (:func:`~reluinv.exact.registry.options_for`).
``supports(problem, objective)``
    ``None`` when the backend answers the question exactly, else a one-line reason. A
    backend may still refuse at model-building time (the maxsat compilation refuses value
    sets above :data:`~reluinv.exact.order_cnf.MAX_VALUES`) by raising
    :class:`~reluinv.errors.UnsupportedProblemError`.
``solve(problem, objective, time_limit, hint, options)``
    Build and solve the model; return a :class:`SolverAnswer`, the solver's raw claim.
``certify_unique(problem, z, tol, residual_tol, time_limit, options)``
    Optional (:class:`CertifyingBackend`): maximise ``||z' - z||_inf`` over pre-images.

:func:`run_backend` wraps ``solve`` in the steps every backend shares, in this order:

1. refuse an unsupported question (:class:`~reluinv.errors.UnsupportedProblemError` with
   the backend's reason);
2. check the hint (:func:`~reluinv.exact.common.check_hint`);
3. the realizable case (objective ``"feasible"``): INFEASIBLE without a model when the
   target itself rules every ``z`` out (:func:`infeasible_by_target`);
4. ``solve``;
5. verify the returned ``z`` outside the solver (:func:`~reluinv.exact.verify.verify_latent`)
   and time the whole call.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, fields
from typing import ClassVar, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_choice, check_count, check_nonnegative
from reluinv.data.network import DENSE_ENTRY_LIMIT
from reluinv.data.problem import InversionProblem
from reluinv.errors import InvalidArgumentError, InvalidTypeError, UnsupportedProblemError
from reluinv.exact.common import check_hint, output_fixes
from reluinv.exact.encodings import BackendName, encoding_names, get_encoding
from reluinv.exact.result import ExactResult, ModelSize, Objective, Status, UniquenessResult
from reluinv.exact.verify import REAL_TOLERANCE, verify_latent

__all__ = [
    "DEFAULT_MIP_SOLVER",
    "MIP_EMPHASES",
    "MIP_SOLVERS",
    "BackendOptions",
    "BoundTightening",
    "CertifyingBackend",
    "CpsatOptions",
    "ExactBackend",
    "MaxsatOptions",
    "MipOptions",
    "SolverAnswer",
    "check_problem",
    "infeasible_by_target",
    "run_backend",
]

BoundTightening = Literal["interval", "lp"]
#: The MIP engines reachable through pywraplp, by OR-Tools' name.
MIP_SOLVERS: tuple[str, ...] = ("SCIP", "HIGHS")
#: The engine used when none is named (SCIP: faster on the measured instances).
DEFAULT_MIP_SOLVER = "SCIP"

#: The MIP search emphases (:class:`MipOptions`): ``"default"``, SCIP's own settings;
#: ``"bound"``, primal heuristics off and one round of cuts at the root, for a solve
#: whose hint is already optimal.
MIP_EMPHASES = ("default", "bound")


def _check_encoding(encoding: object, backend: BackendName) -> str | None:
    if encoding is None:
        return None
    if not isinstance(encoding, str):
        raise InvalidTypeError(f"encoding must be a str or None, got "
                               f"{type(encoding).__name__} {encoding!r}")
    return check_choice(encoding, "encoding", encoding_names(backend))


@dataclass(frozen=True)
class BackendOptions:
    """The options one backend takes; every field is validated on construction.

    ``encoding`` is the ReLU encoding's name (:mod:`reluinv.exact.encodings`; ``None``:
    the backend's default).
    """

    backend: ClassVar[BackendName]
    encoding: str | None = None

    def __post_init__(self) -> None:
        _check_encoding(self.encoding, self.backend)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names this backend takes."""
        return tuple(f.name for f in fields(cls))

    @property
    def verification_tolerance(self) -> float:
        """The float tolerance :func:`~reluinv.exact.verify.verify_latent` uses (integer
        networks at integer points are verified exactly whatever it is)."""
        return REAL_TOLERANCE


@dataclass(frozen=True)
class CpsatOptions(BackendOptions):
    """Options of the cpsat backend: ``threads`` (CP-SAT workers; 1 is deterministic),
    ``seed`` (CP-SAT's random seed, an int >= 0), ``encoding``."""

    backend: ClassVar[BackendName] = "cpsat"
    threads: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "threads", check_count(self.threads, "threads"))
        object.__setattr__(self, "seed", check_count(self.seed, "seed", minimum=0))


@dataclass(frozen=True)
class MaxsatOptions(BackendOptions):
    """Options of the maxsat backend: only ``encoding`` (python-sat runs single-threaded
    and deterministically)."""

    backend: ClassVar[BackendName] = "maxsat"


@dataclass(frozen=True)
class MipOptions(BackendOptions):
    """Options of the mip backend: ``threads``, ``mip_solver`` (one of
    :data:`MIP_SOLVERS`), ``bound_tightening`` (``"interval"``, or ``"lp"`` for
    LP-tightened big-M constants), ``tol`` (float verification tolerance, reported in the
    result), ``encoding``; ``infeasible_evidence``: ``None``, or the caller's statement of
    an independent, checked proof that the problem has no solution (for example a checked
    refutation), which then confirms SCIP's INFEASIBLE in place of the HiGHS solve of
    :func:`reluinv.exact.mip.confirm_infeasible` (the result's message quotes it);
    ``emphasis`` (one of :data:`MIP_EMPHASES`, SCIP only): ``"bound"`` when the hint is
    already an optimal point and only the bound is left to prove
    (:data:`reluinv.exact.mip.SCIP_BOUND_EMPHASIS`)."""

    backend: ClassVar[BackendName] = "mip"
    threads: int = 1
    mip_solver: str = DEFAULT_MIP_SOLVER
    bound_tightening: BoundTightening = "interval"
    tol: float = REAL_TOLERANCE
    infeasible_evidence: str | None = None
    emphasis: str = "default"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "threads", check_count(self.threads, "threads"))
        check_choice(self.mip_solver, "mip_solver", MIP_SOLVERS)
        check_choice(self.bound_tightening, "bound_tightening", ("interval", "lp"))
        object.__setattr__(self, "tol", check_nonnegative(self.tol, "tol"))
        check_choice(self.emphasis, "emphasis", MIP_EMPHASES)
        if self.emphasis != "default" and self.mip_solver != "SCIP":
            raise InvalidArgumentError(f"emphasis={self.emphasis!r} sets SCIP parameters; "
                                       f"mip_solver={self.mip_solver!r} has none of them")
        evidence = self.infeasible_evidence
        if evidence is not None and not (isinstance(evidence, str) and evidence.strip()):
            raise InvalidTypeError(f"infeasible_evidence must be None or a non-empty str "
                                   f"stating the proof, got {evidence!r}")

    @property
    def verification_tolerance(self) -> float:
        return self.tol


@dataclass(frozen=True)
class SolverAnswer:
    """A backend's raw claim, before verification.

    ``z`` is the solver's latent code (``None`` without one), ``solver_objective`` the
    objective it reported (0 for ``"feasible"``), ``bound`` its proven lower bound,
    ``status`` its verdict (OPTIMAL claims optimality; a FEASIBLE answer is checked as an
    incumbent), ``message`` its own status text, ``solver`` the engine's name, ``model``
    the size of what was built.
    """

    status: Status
    z: npt.NDArray[np.float64] | None
    solver_objective: float | None
    bound: float | None
    message: str
    solver: str
    model: ModelSize | None


class ExactBackend(Protocol):
    """One exact backend (see the module docstring)."""

    @property
    def name(self) -> BackendName: ...

    @property
    def options_type(self) -> type[BackendOptions]: ...

    def supports(self, problem: InversionProblem, objective: Objective) -> str | None:
        """``None`` when supported, else the one-line reason it is not."""

    def solver_name(self, objective: Objective, options: BackendOptions) -> str:
        """The engine that answers ``objective`` (reported even without a solver call)."""

    def solve(self, problem: InversionProblem, objective: Objective,
              time_limit: float | None, hint: npt.NDArray[np.float64] | None,
              options: BackendOptions) -> SolverAnswer:
        """Build and solve the model; ``hint`` is already checked."""


@runtime_checkable
class CertifyingBackend(ExactBackend, Protocol):
    """A backend that can also answer :func:`reluinv.certify_unique`."""

    def certify_unique(self, problem: InversionProblem, z: npt.NDArray[np.float64], *,
                       tol: float, residual_tol: float, time_limit: float | None,
                       options: BackendOptions) -> UniquenessResult:
        """Maximise ``||z' - z||_inf`` over pre-images ``z'``; ``z`` is a verified one."""


def check_problem(problem: object) -> InversionProblem:
    """``problem`` if it is an :class:`InversionProblem`, else an :class:`InvalidTypeError`.

    The backends build their models from dense weight arrays: a problem whose network is
    stored sparse comes back with a dense copy of it, or, when that copy would exceed
    :data:`~reluinv.data.network.DENSE_ENTRY_LIMIT` entries, raises
    :class:`~reluinv.errors.UnsupportedProblemError` before allocating anything.
    """
    if not isinstance(problem, InversionProblem):
        raise InvalidTypeError(
            f"problem must be a reluinv.InversionProblem, got {type(problem).__name__}"
        )
    reason = exact_size_unsupported(problem)
    if reason is not None:
        raise UnsupportedProblemError(reason)
    if problem.network.is_sparse:
        return dataclasses.replace(problem, network=problem.network.to_dense())
    return problem


def exact_size_unsupported(problem: InversionProblem) -> str | None:
    """Why no exact backend can take ``problem`` for its size, or ``None``: the backends
    build dense models, and a sparse network whose dense copy would have more than
    :data:`~reluinv.data.network.DENSE_ENTRY_LIMIT` weight entries does not fit (a network
    given dense is taken as it is)."""
    network = problem.network
    if not network.is_sparse or network.dense_entries <= DENSE_ENTRY_LIMIT:
        return None
    sizes = " x ".join(map(str, network.sizes))
    return (f"the exact backends build dense models: the {sizes} network has "
            f"{network.dense_entries} weight entries > DENSE_ENTRY_LIMIT = {DENSE_ENTRY_LIMIT} "
            f"({network.num_nonzero_weights()} non-zeros)")


def infeasible_by_target(problem: InversionProblem) -> str | None:
    """Why the target alone proves ``G(z)[mask] = x[mask]`` has no solution, or ``None``.

    Two facts, checked on the observed outputs: a ReLU output is never negative
    (:func:`~reluinv.exact.common.output_fixes`); and an integral ReLU network over a
    binary or integer box only takes integer values, so a non-integer target is never
    reached.
    """
    _, reason = output_fixes(problem)
    if reason is not None:
        return reason
    x = problem.target
    observed = problem.observed
    if problem.network.is_integral and problem.domain.kind != "real":
        off = np.flatnonzero(x[observed] != np.round(x[observed]))
        if off.size:
            bad = int(observed[off[0]])
            return f"target x[{bad}] = {x[bad]} is not an integer, but G(z) is"
    return None


def run_backend(backend: ExactBackend, problem: InversionProblem, *, objective: Objective,
                time_limit: float | None, hint: npt.ArrayLike | None,
                options: BackendOptions) -> ExactResult:
    """Answer ``problem`` with ``backend`` through the shared steps (module docstring).

    ``objective``, ``time_limit`` and ``options`` are already checked.
    """
    start = time.perf_counter()
    reason = backend.supports(problem, objective)
    if reason is not None:
        raise UnsupportedProblemError(reason)
    start_point = check_hint(problem, hint)
    encoding = get_encoding(backend.name, options.encoding).name
    if objective == "feasible":
        target_reason = infeasible_by_target(problem)
        if target_reason is not None:
            return ExactResult.infeasible_by_target(
                target_reason, time.perf_counter() - start, backend=backend.name,
                objective_kind=objective, encoding=encoding,
                solver=backend.solver_name(objective, options))
    answer = backend.solve(problem, objective, time_limit, start_point, options)
    if answer.z is None:
        return ExactResult(status=answer.status, z=None, objective=None, bound=answer.bound,
                           seconds=time.perf_counter() - start, verified=False,
                           message=answer.message, backend=backend.name,
                           objective_kind=objective, encoding=encoding, solver=answer.solver,
                           model=answer.model)
    check = verify_latent(problem, answer.z, objective, answer.solver_objective,
                          proven_optimal=answer.status is Status.OPTIMAL,
                          tol=options.verification_tolerance)
    message = answer.message if not check.note else f"{answer.message}; {check.note}"
    return ExactResult(status=answer.status, z=check.z, objective=check.objective,
                       bound=answer.bound, seconds=time.perf_counter() - start,
                       verified=check.verified, message=message, backend=backend.name,
                       objective_kind=objective, encoding=encoding, solver=answer.solver,
                       solver_objective=answer.solver_objective, verification=check.method,
                       tolerance=check.tolerance, model=answer.model)
