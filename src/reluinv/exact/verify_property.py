"""Property verification: is there an input in the box whose output meets the condition?

For a network ``y = G(x)`` and a :class:`~reluinv.data.vnnlib.Property` (box ``[l, u]``,
output condition ``OR_d A_d y <= b_d``), :func:`verify` decides::

    exists x in [l, u]:  OR_d  A_d G(x) <= b_d

and answers like a VNN-COMP verifier: ``sat`` with a counterexample, ``unsat``, or
``timeout`` / ``unknown``. Every answer says what backs it.

The general path (any piecewise-linear network)
    One MIP per conjunct ``d``: the exact MIP backend's big-M model of ``G`` over the box
    (:func:`reluinv.exact.mip.network_model`: interval bounds, one binary per unstable
    unit; ReLU, leaky ReLU and linear heads) plus the rows ``A_d y <= b_d``. A conjunct
    whose MIP the engine proves infeasible is refuted; ``unsat`` when all are. That is
    **solver evidence** (the engine's INFEASIBLE up to its feasibility tolerances), and the
    result says so (``evidence="mip_infeasible"``).

The structural fast path (CNF embeddings)
    When :func:`reluinv.reduction.export.recognise` reads a formula ``F`` off the pair
    (re-encoding ``F`` reproduced every weight, bias and constraint exactly), the verdict
    is ``F``'s satisfiability (lemmas E1 and L3 of that module). :func:`reluinv.solve_sat`
    decides ``F``: a model becomes the counterexample (replayed like any other), and a
    refutation counts only when its DRUP proof was accepted by the independent checker
    (``evidence="drup_checked"``, with the proof's SHA-256). Anything less falls through
    to the MIP path, so the fast path can only make an answer faster, never different.

Counterexamples are replayed before ``sat`` is returned
    * exactly, in rational arithmetic (:meth:`ReluNetwork.forward_exact`, the true value of
      the float network): on an integral network every inequality must hold exactly
      (tolerance 0); on other networks within :data:`REPLAY_TOLERANCE` ``* (1 + |b|)``.
      The solver's point is tried as returned, clipped into the box, then rounded to
      :data:`ROUNDING_DIGITS` decimals and to integers (when those stay in the box), and the
      first that passes is the counterexample;
    * in onnxruntime, float32: every inequality within :data:`ONNXRUNTIME_TOLERANCE`
      ``* (1 + |b| + |a| . |y|)``, where ``y`` is the float32 output of the ONNX model (the
      caller's file, or the network written in float32).

    A point that fails either replay is not a counterexample: the answer is then
    ``unknown`` (never ``sat``), with the reason in ``message``.

``timeout`` means the time limit passed before every conjunct was decided; it is never
``unsat``. The structural path's SAT call and its proof check each run under the time that
is left when they start (so that path can take up to twice the limit); a proof check cut
short leaves the answer to the MIP path.
"""

from __future__ import annotations

import enum
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_flag, check_time_limit
from reluinv.data.network import ReluNetwork
from reluinv.data.vnnlib import Property
from reluinv.errors import InvalidTypeError, ShapeError, SolverError
from reluinv.exact.backend import MipOptions
from reluinv.exact.mip import confirm_infeasible, network_model, solve_network_model
from reluinv.exact.result import Status
from reluinv.oracles.proofcheck import DEFAULT_PROOF_TIME_LIMIT
from reluinv.oracles.sat import SatStatus, solve_sat
from reluinv.reduction.export import recognise, witness_input
from reluinv.results import ResultBase

__all__ = [
    "ONNXRUNTIME_TOLERANCE",
    "REPLAY_TOLERANCE",
    "ROUNDING_DIGITS",
    "ReplayCheck",
    "VerificationResult",
    "VerificationStatus",
    "counterexample_text",
    "verify",
]

#: Tolerance of the exact replay on a non-integral network: ``a . y <= b + tol (1 + |b|)``.
REPLAY_TOLERANCE = 1e-6
#: Tolerance of the float32 onnxruntime replay: ``a . y <= b + tol (1 + |b| + |a| . |y|)``.
ONNXRUNTIME_TOLERANCE = 1e-4
#: Decimals of the rounded candidate tried when the solver's own point fails the replay.
ROUNDING_DIGITS = 6


class VerificationStatus(enum.Enum):
    """A verifier's answer, in VNN-COMP's words."""

    SAT = "sat"
    UNSAT = "unsat"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReplayCheck:
    """How a counterexample was re-checked outside the solver.

    ``exact_violation`` is ``max_r (a_r . y - b_r)`` over the conjunct it meets, computed in
    rationals (as a float; ``<= 0`` means every inequality holds exactly), against
    ``exact_tolerance`` (0 on an integral network); ``onnxruntime_violation`` the same with
    onnxruntime's float32 output, against ``onnxruntime_tolerance`` scaled per row as in
    the module docstring. ``conjunct`` is the index of the conjunct met.
    """

    conjunct: int
    exact_violation: float
    exact_tolerance: float
    onnxruntime_violation: float
    onnxruntime_tolerance: float
    candidate: str


@dataclass(frozen=True)
class VerificationResult(ResultBase):
    """The answer of :func:`verify` and what backs it.

    Attributes
    ----------
    status:
        SAT, UNSAT, TIMEOUT or UNKNOWN.
    counterexample:
        For SAT, the input ``x`` (float64, in the box), replayed; else None.
    outputs:
        For SAT, ``G(x)`` (float64 forward pass); else None.
    method:
        ``"structural"`` (recognised CNF embedding, SAT oracle), ``"mip"``, ``"box"``
        (empty input box) or None when nothing decided.
    evidence:
        ``"counterexample"`` (SAT, replayed), ``"drup_checked"`` (UNSAT: a checked DRUP
        refutation of the recognised formula), ``"mip_infeasible"`` (UNSAT: the MIP engine
        proved every conjunct infeasible; solver evidence), ``"empty_box"``; None otherwise.
    proof_sha256, checker:
        For ``drup_checked``, the SHA-256 of the accepted proof and the checker's name.
    formula_sha256:
        For the structural path, the hash of the recognised formula.
    replay:
        For SAT, the :class:`ReplayCheck`.
    conjuncts, refuted:
        The number of conjuncts of the condition and how many the MIP refuted.
    seconds, message:
        Wall-clock seconds of the call; what happened, in one line.
    """

    record_exclude: ClassVar[frozenset[str]] = frozenset()

    status: VerificationStatus
    counterexample: npt.NDArray[np.float64] | None
    outputs: npt.NDArray[np.float64] | None
    method: str | None
    evidence: str | None
    seconds: float
    message: str
    conjuncts: int
    refuted: int = 0
    proof_sha256: str | None = None
    checker: str | None = None
    formula_sha256: str | None = None
    replay: ReplayCheck | None = None

    def vnncomp_text(self) -> str:
        """The result as VNN-COMP's run scripts read it: the status on the first line and,
        for ``sat``, the counterexample (:func:`counterexample_text`)."""
        if self.status is VerificationStatus.SAT and self.counterexample is not None \
                and self.outputs is not None:
            return f"sat\n{counterexample_text(self.counterexample, self.outputs)}"
        return f"{self.status.value}\n"


def counterexample_text(x: npt.ArrayLike, y: npt.ArrayLike) -> str:
    """``((X_0 v0)\\n (X_1 v1)\\n ... (Y_0 w0)\\n ...)`` with shortest round-trip floats.

    >>> print(counterexample_text([0.0, 1.0], [0.5]), end="")
    ((X_0 0.0)
     (X_1 1.0)
     (Y_0 0.5))
    """
    pairs = [f"(X_{i} {float(v)!r})" for i, v in enumerate(np.ravel(x))]
    pairs += [f"(Y_{j} {float(v)!r})" for j, v in enumerate(np.ravel(y))]
    return "(" + "\n ".join(pairs) + ")\n"


# -- replay ----------------------------------------------------------------------------


def _exact_violation(network: ReluNetwork, prop: Property, x: npt.NDArray[np.float64],
                     conjunct: int) -> float:
    y = network.forward_exact([Fraction(float(v)) for v in x])
    polytope = prop.disjuncts[conjunct]
    worst = Fraction(-1) if polytope.A.shape[0] == 0 else None
    for a, b in zip(polytope.A, polytope.b, strict=True):
        lhs = sum((Fraction(float(c)) * yi for c, yi in zip(a, y, strict=True) if c != 0),
                  Fraction(0))
        excess = (lhs - Fraction(float(b))) / (1 + abs(Fraction(float(b))))
        worst = excess if worst is None or excess > worst else worst
    return float(worst) if worst is not None else -1.0


class _OnnxRuntime:
    """A float32 onnxruntime session of the model (the caller's file, or the network
    written in float32 to a temporary file)."""

    def __init__(self, network: ReluNetwork, onnx_model: str | os.PathLike[str] | None) -> None:
        import onnxruntime  # type: ignore[import-untyped]

        from reluinv.data.onnx_io import write_onnx

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        if onnx_model is None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "network.onnx")
                write_onnx(network, path, dtype="float32")
                self.session = onnxruntime.InferenceSession(
                    path, options, providers=["CPUExecutionProvider"])
        else:
            self.session = onnxruntime.InferenceSession(
                os.fspath(onnx_model), options, providers=["CPUExecutionProvider"])
        first = self.session.get_inputs()[0]
        self.name = first.name
        self.shape = [d if isinstance(d, int) else 1 for d in first.shape]
        self.dtype = np.float64 if "double" in first.type else np.float32

    def run(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        feed = np.asarray(x, dtype=np.float32).astype(self.dtype).reshape(self.shape)
        out = self.session.run(None, {self.name: feed})[0]
        return np.asarray(out, dtype=np.float64).ravel()


def _runtime_violation(prop: Property, y: npt.NDArray[np.float64], conjunct: int) -> float:
    polytope = prop.disjuncts[conjunct]
    if polytope.A.shape[0] == 0:
        return -1.0
    scale = 1.0 + np.abs(polytope.b) + np.abs(polytope.A) @ np.abs(y)
    return float(np.max((polytope.A @ y - polytope.b) / scale))


def _candidates(prop: Property, x: npt.NDArray[np.float64]) -> list[tuple[str, Any]]:
    clipped = np.clip(x, prop.lower, prop.upper)
    found = [("solver point", x), ("clipped into the box", clipped),
             (f"rounded to {ROUNDING_DIGITS} decimals", np.round(clipped, ROUNDING_DIGITS)),
             ("rounded to integers", np.round(clipped))]
    inside = [(name, c) for name, c in found
              if np.all(c >= prop.lower) and np.all(c <= prop.upper)]
    unique: list[tuple[str, Any]] = []
    for name, c in inside:
        if not any(np.array_equal(c, other) for _, other in unique):
            unique.append((name, c))
    return unique


def _replay(network: ReluNetwork, prop: Property, x: npt.NDArray[np.float64],
            conjunct: int, runtime: _OnnxRuntime | None,
            onnx_model: str | os.PathLike[str] | None) -> tuple[npt.NDArray[np.float64] | None,
                                                                ReplayCheck | None, str]:
    """The first candidate near ``x`` that passes both replays, its check, or a reason."""
    tolerance = 0.0 if network.is_integral else REPLAY_TOLERANCE
    reasons = []
    for name, candidate in _candidates(prop, np.asarray(x, dtype=np.float64)):
        exact = _exact_violation(network, prop, candidate, conjunct)
        if exact > tolerance:
            reasons.append(f"{name}: exact violation {exact:.3g}")
            continue
        if runtime is None:
            runtime = _OnnxRuntime(network, onnx_model)
        observed = _runtime_violation(prop, runtime.run(candidate), conjunct)
        if observed > ONNXRUNTIME_TOLERANCE:
            reasons.append(f"{name}: onnxruntime violation {observed:.3g}")
            continue
        check = ReplayCheck(conjunct, exact, tolerance, observed, ONNXRUNTIME_TOLERANCE, name)
        return np.asarray(candidate, dtype=np.float64), check, ""
    return None, None, "; ".join(reasons) or "no candidate inside the box"


# -- the answer ------------------------------------------------------------------------


def _check_inputs(network: object, prop: object) -> tuple[ReluNetwork, Property]:
    if not isinstance(network, ReluNetwork):
        raise InvalidTypeError(f"network must be a reluinv.ReluNetwork, got "
                               f"{type(network).__name__}")
    if not isinstance(prop, Property):
        raise InvalidTypeError(f"prop must be a reluinv.Property, got {type(prop).__name__}")
    if prop.n_inputs != network.latent_dim or prop.n_outputs != network.output_dim:
        raise ShapeError(f"the property speaks of {prop.n_inputs} inputs and "
                         f"{prop.n_outputs} outputs; the network has {network.latent_dim} "
                         f"and {network.output_dim}")
    return network, prop


def verify(
    network: ReluNetwork,
    prop: Property,
    *,
    time_limit: float | None = None,
    structural: bool = True,
    onnx_model: str | os.PathLike[str] | None = None,
    options: MipOptions | None = None,
) -> VerificationResult:
    """Decide ``exists x in box: OR_d A_d G(x) <= b_d`` (module docstring).

    Parameters
    ----------
    network, prop:
        The network and the property (sizes must match).
    time_limit:
        Seconds for the whole call (``None``: no limit). When it passes the answer is
        TIMEOUT, never UNSAT.
    structural:
        Try the structural fast path first (recognised CNF embeddings).
    onnx_model:
        The ONNX file the network was read from, for the onnxruntime replay; by default
        the network is written in float32 to a temporary file.
    options:
        :class:`~reluinv.exact.backend.MipOptions` of the MIP path (engine, threads, bound
        tightening); default SCIP with interval bounds.

    Returns
    -------
    VerificationResult
    """
    start = time.perf_counter()
    network, prop = _check_inputs(network, prop)
    time_limit = check_time_limit(time_limit, "time_limit")
    structural = check_flag(structural, "structural")
    chosen = options if options is not None else MipOptions()
    if not isinstance(chosen, MipOptions):
        raise InvalidTypeError(f"options must be MipOptions, got {type(chosen).__name__}")
    conjuncts = len(prop.disjuncts)

    def remaining() -> float | None:
        return None if time_limit is None else time_limit - (time.perf_counter() - start)

    def result(status: VerificationStatus, message: str, **fields: Any) -> VerificationResult:
        base: dict[str, Any] = {"counterexample": None, "outputs": None, "method": None,
                                "evidence": None}
        base.update(fields)
        return VerificationResult(status=status, seconds=time.perf_counter() - start,
                                  message=message, conjuncts=conjuncts, **base)

    if prop.box_is_empty:
        i = int(np.flatnonzero(prop.lower > prop.upper)[0])
        return result(VerificationStatus.UNSAT, f"the input box is empty: X_{i} has lower "
                      f"{prop.lower[i]} > upper {prop.upper[i]}", method="box",
                      evidence="empty_box")
    notes: list[str] = []
    if structural:
        recognised = recognise(network, prop)
        if recognised is not None:
            left = remaining()
            budget = None if left is None else max(left, 1e-3)
            # the solver and the proof check each get what is left: together at most twice
            sat = solve_sat(recognised.formula, proof=True, time_limit=budget,
                            proof_time_limit=budget if budget is not None else
                            DEFAULT_PROOF_TIME_LIMIT)
            fsha = recognised.formula.sha256()
            if sat.status is SatStatus.SATISFIABLE and sat.model is not None:
                x = witness_input(sat.model)
                found, check, reason = _replay(network, prop, x, 0, None, onnx_model)
                if found is not None:
                    return result(VerificationStatus.SAT,
                                  f"recognised {recognised.encoding} of a formula with "
                                  f"{recognised.formula.num_vars} variables and "
                                  f"{recognised.formula.num_clauses} clauses; {sat.message}; "
                                  f"model replayed ({check.candidate if check else ''})",
                                  counterexample=found, outputs=network.forward(found),
                                  method="structural", evidence="counterexample",
                                  formula_sha256=fsha, replay=check)
                notes.append(f"structural model failed its replay ({reason})")
            elif sat.status is SatStatus.UNSATISFIABLE and sat.proof_checked is True:
                return result(VerificationStatus.UNSAT,
                              f"recognised {recognised.encoding} (every weight, bias and "
                              f"constraint re-encoded exactly); {sat.message}",
                              method="structural", evidence="drup_checked",
                              proof_sha256=sat.proof_sha256, checker=sat.checker,
                              formula_sha256=fsha)
            else:
                notes.append(f"structural path undecided: {sat.message}")
    return _verify_mip(network, prop, chosen, onnx_model, remaining, result, notes)


def _verify_mip(network: ReluNetwork, prop: Property, options: MipOptions,
                onnx_model: str | os.PathLike[str] | None,
                remaining: Callable[[], float | None],
                result: Callable[..., VerificationResult],
                notes: list[str]) -> VerificationResult:
    refuted = 0
    undecided: list[str] = []
    timed_out = False
    runtime: _OnnxRuntime | None = None
    for d, polytope in enumerate(prop.disjuncts):
        left = remaining()
        if left is not None and left <= 0:
            timed_out = True
            undecided.append(f"conjunct {d}: not started")
            continue
        model = network_model(network, prop.lower, prop.upper, options=options)
        solver = model.solver
        for r, (a, b) in enumerate(zip(polytope.A, polytope.b, strict=True)):
            row = solver.RowConstraint(-solver.infinity(), float(b), f"property[{d}][{r}]")
            for j in np.flatnonzero(a).tolist():
                if model.outputs[j] is None:
                    continue  # y_j = 0 on the whole box: the term vanishes
                row.SetCoefficient(model.outputs[j], float(a[j]))
        try:
            status, name = solve_network_model(model, left, options.threads)
        except SolverError as exc:
            undecided.append(f"conjunct {d}: {exc}")
            continue
        if status is Status.INFEASIBLE and options.mip_solver == "SCIP":
            confirmed, point = confirm_infeasible(solver, remaining(), model.inputs)
            if confirmed is None:
                undecided.append(f"conjunct {d}: SCIP said infeasible, HiGHS did not decide")
                continue
            if point is not None:  # HiGHS found a point: replayed like any candidate
                found, check, reason = _replay(network, prop, point, d, runtime, onnx_model)
                if found is not None:
                    return result(VerificationStatus.SAT,
                                  f"SCIP said conjunct {d} infeasible, HiGHS found a point; "
                                  f"counterexample replayed ({check.candidate if check else ''})",
                                  counterexample=found, outputs=network.forward(found),
                                  method="mip", evidence="counterexample", replay=check,
                                  refuted=refuted)
                undecided.append(f"conjunct {d}: SCIP said infeasible, HiGHS's point "
                                 f"failed the replay ({reason})")
                continue
        if status is Status.INFEASIBLE:
            refuted += 1
            continue
        if status is Status.UNKNOWN:
            timed_out = True
            undecided.append(f"conjunct {d}: {options.mip_solver} {name}")
            continue
        x = np.array([v.solution_value() for v in model.inputs], dtype=np.float64)
        found, check, reason = _replay(network, prop, x, d, runtime, onnx_model)
        if found is not None:
            return result(VerificationStatus.SAT,
                          f"{options.mip_solver} {name} on conjunct {d} of "
                          f"{len(prop.disjuncts)}; counterexample replayed "
                          f"({check.candidate if check else ''})",
                          counterexample=found, outputs=network.forward(found), method="mip",
                          evidence="counterexample", replay=check, refuted=refuted)
        undecided.append(f"conjunct {d}: the solver's point failed the replay ({reason})")
    prefix = "; ".join(notes) + "; " if notes else ""
    if refuted == len(prop.disjuncts):
        return result(VerificationStatus.UNSAT,
                      f"{prefix}{options.mip_solver} proved all {refuted} conjunct MIP(s) "
                      "infeasible" + (", each confirmed by HiGHS" if options.mip_solver == "SCIP"
                                      else "") + " (solver evidence, up to the engines' "
                      "feasibility tolerances)", method="mip", evidence="mip_infeasible",
                      refuted=refuted)
    answer = VerificationStatus.TIMEOUT if timed_out else VerificationStatus.UNKNOWN
    return result(answer, f"{prefix}{refuted} of {len(prop.disjuncts)} conjuncts refuted; "
                  + "; ".join(undecided), refuted=refuted)
