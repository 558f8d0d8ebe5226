"""Property verification: is there an input in the box whose output meets the condition?

For a network ``y = G(x)`` and a :class:`~reluinv.data.vnnlib.Property` (box ``[l, u]``,
output condition ``OR_d A_d y <= b_d``), :func:`verify` decides::

    exists x in [l, u]:  OR_d  A_d G(x) <= b_d

and answers like a VNN-COMP verifier: ``sat`` with a counterexample, ``unsat``, or
``timeout`` / ``unknown``. Every answer says what backs it.

The general path (any piecewise-linear network)
    One MIP per conjunct ``d``: the exact MIP backend's big-M model of ``G`` over the box
    (:func:`reluinv.exact.mip.network_model`: interval bounds, one binary per unstable
    unit; ReLU, leaky ReLU and linear heads) plus the rows of ``A_d y <= b_d``, each
    *loosened* to ``a_r . y <= b_r + delta_r`` with ``delta_r =``
    :data:`REFUTATION_MARGIN` ``* (1 + |b_r| + |a_r| . |G(c)|)`` (``c`` the box's centre:
    the outputs' typical size). A conjunct whose loosened MIP the engine proves infeasible
    is refuted; ``unsat`` when all are. That is **solver evidence** (the engine's
    INFEASIBLE up to its feasibility tolerances, about ``1e-6``), and the result says so
    (``evidence="mip_infeasible"``): no input in the box meets the conjunct even with
    every row loosened by ``delta_r``. The loosening is what keeps an engine's rounding
    from refuting a property that holds by less than its tolerance (a conjunct met by
    ``1e-11`` at a corner of the box, on a net with weights ``1e3`` and ``1e-7``, was
    refuted by the unloosened MIP). When the loosened model has a point but none passes
    the replay below and the conjunct's own MIP is infeasible, the conjunct is *too close
    to call*: neither ``sat`` nor ``unsat``, it stays undecided (``unknown``).

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
      the float network): every inequality ``a_r . y <= b_r`` of the conjunct met must hold
      exactly, with no tolerance, on every network. The solver's point is tried as
      returned, clipped into the box, then rounded to :data:`ROUNDING_DIGITS` decimals and
      to integers (when those stay in the box), and the first that passes is the
      counterexample;
    * in onnxruntime, float32: every inequality within :data:`ONNXRUNTIME_TOLERANCE`
      ``* (1 + |b| + |a| . |y|)``, where ``y`` is the float32 output of the ONNX model (the
      caller's file, or the network written in float32).

    Why no tolerance on the exact replay: the engines meet each row only within their
    feasibility tolerance (``1e-6``), so a point they return may violate ``a . y <= b`` by
    about that much; on a network whose outputs are that small (``relu(1e-7 x)`` asked for
    ``y >= 1e-6``), or on a property whose true optimum lies within it of ``b`` (an unsat
    CNF embedding with its threshold moved by ``1e-7``), any tolerance accepts a point of
    an unsatisfiable property. When no candidate passes, the conjunct's MIP is solved again
    with its rows tightened to ``a_r . y <= b_r - m (1 + |b_r|)``, for each margin ``m`` of
    :data:`REPLAY_MARGINS` in turn, so that the engine's point lies inside by more than its
    own error; the candidates of that point are replayed the same way. A tightened model
    only ever supplies candidates: its infeasibility refutes nothing (the conjunct stays
    undecided) and the search stops there.

    A conjunct whose engine points all fail either replay is not refuted. Before it is
    given up, :data:`WITNESS_SAMPLES` seeded points of the box (its corners first, where a
    piecewise-linear network's extremes often lie) are ranked by their float64 slack and
    the :data:`WITNESS_REPLAYS` best replayed the same way (``method="sampling"``); failing
    that the answer is ``unknown`` (never ``sat``), with the reason in ``message``.

``timeout`` means the time limit passed before every conjunct was decided; it is never
``unsat``. The structural path's SAT call and its proof check each run under the time that
is left when they start (so that path can take up to twice the limit); a proof check cut
short leaves the answer to the MIP path.
"""

from __future__ import annotations

import enum
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from reluinv.arguments import check_flag, check_time_limit
from reluinv.data.network import ReluNetwork
from reluinv.data.onnx_io import runtime_mismatch
from reluinv.data.vnnlib import Property
from reluinv.errors import InvalidTypeError, ProblemFileError, ShapeError, SolverError
from reluinv.exact.backend import MipOptions
from reluinv.exact.mip import confirm_infeasible, network_model, solve_network_model
from reluinv.exact.result import Status
from reluinv.oracles.proofcheck import DEFAULT_PROOF_TIME_LIMIT
from reluinv.oracles.sat import SatStatus, solve_sat
from reluinv.reduction.export import recognise, witness_input
from reluinv.results import ResultBase

__all__ = [
    "ONNXRUNTIME_TOLERANCE",
    "REFUTATION_MARGIN",
    "REPLAY_MARGINS",
    "ROUNDING_DIGITS",
    "ReplayCheck",
    "VerificationResult",
    "VerificationStatus",
    "counterexample_text",
    "verify",
]

#: The margins ``m`` by which a conjunct's rows are tightened, ``a . y <= b - m (1 + |b|)``,
#: one after the other, when the engine's point fails the exact replay (module docstring):
#: from far below the engines' feasibility tolerance (1e-6) to ten times above it.
REPLAY_MARGINS = (1e-9, 1e-8, 1e-7, 1e-6, 1e-5)
#: A refutation is of the conjunct with every row loosened by this much, relative to
#: ``1 + |b| + |a| . |G(centre)|`` (module docstring): above the engines' feasibility
#: tolerance, so that their rounding never refutes a conjunct that holds.
REFUTATION_MARGIN = 1e-6
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

    ``conjunct`` is the index of the conjunct met. ``exact_violation`` is
    ``max_r (a_r . y - b_r)`` over that conjunct's rows with ``y = G(x)`` computed in
    rationals, rounded to a float for the record; the check compares the rational itself
    with 0, so it is always ``<= 0`` here (``0.0`` for a conjunct without rows).
    ``onnxruntime_violation`` is ``max_r (a_r . y - b_r) / (1 + |b_r| + |a_r| . |y|)`` with
    onnxruntime's float32 output ``y``, at most ``onnxruntime_tolerance``. ``candidate``
    names the point that passed (the solver's, clipped, rounded) and ``margin`` the
    tightening of the MIP that produced it (``0.0``: the property as stated; else one of
    :data:`REPLAY_MARGINS`).
    """

    conjunct: int
    exact_violation: float
    onnxruntime_violation: float
    onnxruntime_tolerance: float
    candidate: str
    margin: float = 0.0


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
        ``"structural"`` (recognised CNF embedding, SAT oracle), ``"mip"``,
        ``"sampling"`` (the engine's points failed the replay, a sampled point of the box
        passed it), ``"box"`` (empty input box) or None when nothing decided.
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
    onnxruntime_skipped:
        Why the caller's ONNX file was not run in onnxruntime (it lacks a kernel the ONNX
        standard defines: ``LeakyRelu`` on doubles before opset 16), so that neither the
        file's comparison with the network read nor the replay used it; None when it ran.
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
    onnxruntime_skipped: str | None = None

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
                     conjunct: int) -> Fraction:
    """``max_r (a_r . G(x) - b_r)`` over the rows of ``conjunct``, exactly (0 when it has
    no rows): every number is the rational its float holds."""
    y = network.forward_exact([Fraction(float(v)) for v in x])
    polytope = prop.disjuncts[conjunct]
    worst: Fraction | None = None
    for a, b in zip(polytope.A, polytope.b, strict=True):
        lhs = sum((Fraction(float(c)) * yi for c, yi in zip(a, y, strict=True) if c != 0),
                  Fraction(0))
        excess = lhs - Fraction(float(b))
        worst = excess if worst is None or excess > worst else worst
    return Fraction(0) if worst is None else worst


def _first_line(exc: BaseException, limit: int = 300) -> str:
    """onnxruntime's reason on one line, without its status prefix, the path it repeats and
    the C++ source location (``/onnxruntime_src/...h:46 void f(...)``)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    text = re.sub(r"^Load model from .*? failed: ?", "", text)
    text = re.sub(r"\S+\.(?:h|cc|cpp):\d+ .*?\) (?=[A-Z])", "", text)
    return text if len(text) <= limit else text[:limit] + " ..."


class _OnnxRuntime:
    """A float32 onnxruntime session of the model (the caller's file, or the network
    written in float32 to a temporary file), opened on the first :meth:`run`.

    A caller's file that onnxruntime refuses to load or run is a
    :class:`~reluinv.errors.ProblemFileError` naming the file and onnxruntime's reason,
    except when onnxruntime lacks a kernel that the ONNX standard defines (its
    ``NOT_IMPLEMENTED``: ``LeakyRelu`` on doubles before opset 16): the file is then not run,
    :attr:`skipped` says why, and the network written in float32 replays the points."""

    def __init__(self, network: ReluNetwork, onnx_model: str | os.PathLike[str] | None) -> None:
        self.network, self.onnx_model = network, onnx_model
        self.source = "" if onnx_model is None else os.fspath(onnx_model)
        self.session: Any = None
        self.name, self.shape = "", [1]
        self.dtype: Any = np.float32
        self.skipped: str | None = None

    def _open(self) -> None:
        from reluinv.data.onnx_io import onnxruntime_session, read_model_bytes, write_onnx

        if self.onnx_model is not None:
            model = (read_model_bytes(self.source) if self.source.lower().endswith(".gz")
                     else self.source)  # an .onnx.gz runs from its decompressed bytes
            try:
                self.session = onnxruntime_session(model)
            except Exception as exc:  # onnxruntime raises its own pybind11 classes
                if "NOT_IMPLEMENTED" not in str(exc):
                    raise ProblemFileError(f"{self.source}: onnxruntime cannot load the "
                                           f"model: {_first_line(exc)}") from None
                self.skipped = (f"{self.source}: onnxruntime does not implement the model "
                                f"({_first_line(exc)}): it was not run; the network read, "
                                "written in float32, replayed the points")
                self.onnx_model = None
        if self.onnx_model is None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "network.onnx")
                write_onnx(self.network, path, dtype="float32")
                self.session = onnxruntime_session(path)
        first = self.session.get_inputs()[0]
        self.name = first.name
        self.dims: list[int | None] = [d if isinstance(d, int) else None for d in first.shape]
        self.shape = [1 if d is None else d for d in self.dims]
        self.dtype = np.float64 if "double" in first.type else np.float32

    def run(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if self.session is None:
            self._open()
        if (int(np.prod(self.shape)) != x.size and None in self.dims
                and all(d in (None, 1) for d in self.dims)):
            # as read_onnx reads it: with no fixed dimension but ones, the last symbolic
            # one is the vector's length (the others are the batch)
            last = max(i for i, d in enumerate(self.dims) if d is None)
            self.shape[last] = x.size
        if int(np.prod(self.shape)) != x.size:
            raise ProblemFileError(f"{self.source}: onnxruntime's input '{self.name}' has "
                                   f"shape {tuple(self.shape)}, but the network read has "
                                   f"{x.size} inputs")
        feed = np.asarray(x, dtype=np.float32).astype(self.dtype).reshape(self.shape)
        try:
            out = self.session.run(None, {self.name: feed})[0]
        except Exception as exc:  # onnxruntime raises its own pybind11 classes
            if self.onnx_model is None:
                raise
            raise ProblemFileError(f"{self.source}: onnxruntime cannot run the model: "
                                   f"{_first_line(exc)}") from None
        return np.asarray(out, dtype=np.float64).ravel()

    def check(self, prop: Property) -> None:
        """The caller's file must compute the network read: as many outputs, and values
        within :data:`ONNXRUNTIME_TOLERANCE` ``* (1 + m)`` (``m`` the outputs' magnitude
        bound; :func:`~reluinv.data.onnx_io.runtime_mismatch`) at the box's corners, its
        centre and two random points of it. A file that differs is refused; its network's
        answer would not be the file's. Nothing is compared when onnxruntime does not
        implement the file (:attr:`skipped`)."""
        if self.session is None:
            self._open()
        if self.skipped is not None:
            return
        rng = np.random.default_rng(0)
        points = [prop.lower, prop.upper, (prop.lower + prop.upper) / 2,
                  *(rng.uniform(prop.lower, prop.upper) for _ in range(2))]
        mismatch = runtime_mismatch(
            self.network, self.run,
            (np.asarray(x, dtype=np.float32).astype(np.float64) for x in points),
            ONNXRUNTIME_TOLERANCE)
        if mismatch is not None:
            raise ProblemFileError(f"{self.source}: {mismatch} at an input of the box")



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


def _replay(network: ReluNetwork, prop: Property, x: npt.ArrayLike, conjunct: int,
            runtime: _OnnxRuntime, margin: float = 0.0
            ) -> tuple[npt.NDArray[np.float64] | None, ReplayCheck | None, str]:
    """The first candidate near ``x`` that passes both replays, its check, or a reason."""
    reasons = []
    for name, candidate in _candidates(prop, np.asarray(x, dtype=np.float64)):
        exact = _exact_violation(network, prop, candidate, conjunct)
        if exact > 0:
            reasons.append(f"{name}: exact violation {float(exact):.3g}")
            continue
        observed = _runtime_violation(prop, runtime.run(candidate), conjunct)
        if observed > ONNXRUNTIME_TOLERANCE:
            reasons.append(f"{name}: onnxruntime violation {observed:.3g}")
            continue
        check = ReplayCheck(conjunct, float(exact), observed, ONNXRUNTIME_TOLERANCE, name,
                            margin)
        return np.asarray(candidate, dtype=np.float64), check, ""
    return None, None, "; ".join(reasons) or "no candidate inside the box"


#: Points of the box tried by :func:`_sampled_witness` (its corners first, up to half of
#: them), and how many of the best are replayed exactly.
WITNESS_SAMPLES = 512
WITNESS_REPLAYS = 8


def _sampled_witness(network: ReluNetwork, prop: Property, d: int, runtime: _OnnxRuntime
                     ) -> tuple[npt.NDArray[np.float64] | None, ReplayCheck | None, str]:
    """A counterexample for conjunct ``d`` found without the engine, when its points all
    failed the replay: the box's corners (where a piecewise-linear network's extremes
    often sit) and uniform points, seeded, ranked by the float64 slack
    ``min_r (b_r - a_r . G(x))``; the :data:`WITNESS_REPLAYS` best are replayed exactly
    like any candidate. Only ever a ``sat`` with a replayed point; finding none decides
    nothing."""
    lower, upper = np.asarray(prop.lower, float), np.asarray(prop.upper, float)
    k = lower.size
    rng = np.random.default_rng(0)
    every = 2 ** min(k, 30)  # the box's corners, or more than are ever tried
    corners = min(every, WITNESS_SAMPLES // 2)
    bits = (rng.random((corners, k)) < 0.5) if every > corners else (
        (np.arange(corners)[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    points = np.vstack([np.where(bits, upper, lower),
                        lower + rng.random((WITNESS_SAMPLES - corners, k)) * (upper - lower)])
    polytope = prop.disjuncts[d]
    slack = np.min(polytope.b[None, :] - network.forward(points) @ polytope.A.T, axis=1,
                   initial=np.inf)
    for index in np.argsort(-slack)[:WITNESS_REPLAYS]:
        if slack[index] < -1e-3 * (1.0 + float(np.max(np.abs(polytope.b), initial=0.0))):
            break  # far outside: not worth an exact replay
        found, check, _ = _replay(network, prop, points[index], d, runtime)
        if found is not None:
            return found, check, f"a sampled point of the box met it ({len(points)} tried)"
    return None, None, f"no sampled point met it ({len(points)} tried)"


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
        the network is written in float32 to a temporary file. The file is run first at
        the box's corners, centre and two random points: it must compute the network's
        outputs (as many, within the replay's float32 tolerance).
    options:
        :class:`~reluinv.exact.backend.MipOptions` of the MIP path (engine, threads, bound
        tightening); default SCIP with interval bounds.

    Returns
    -------
    VerificationResult

    Raises
    ------
    ProblemFileError
        ``onnx_model`` is a file onnxruntime cannot load or run, or one that computes
        something else than ``network``.
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

    runtime = _OnnxRuntime(network, onnx_model)

    def result(status: VerificationStatus, message: str, **fields: Any) -> VerificationResult:
        base: dict[str, Any] = {"counterexample": None, "outputs": None, "method": None,
                                "evidence": None, "onnxruntime_skipped": runtime.skipped}
        base.update(fields)
        if runtime.skipped is not None:
            message = f"{message}; {runtime.skipped}"
        return VerificationResult(status=status, seconds=time.perf_counter() - start,
                                  message=message, conjuncts=conjuncts, **base)

    if prop.box_is_empty:
        i = int(np.flatnonzero(prop.lower > prop.upper)[0])
        return result(VerificationStatus.UNSAT, f"the input box is empty: X_{i} has lower "
                      f"{prop.lower[i]} > upper {prop.upper[i]}", method="box",
                      evidence="empty_box")
    if onnx_model is not None:
        runtime.check(prop)
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
                found, check, reason = _replay(network, prop, x, 0, runtime)
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
    return _verify_mip(network, prop, chosen, runtime, remaining, result, notes)


@dataclass(frozen=True)
class _Outcome:
    """One solve of a conjunct's MIP: ``kind`` is ``"point"`` (``point`` the engine's input),
    ``"infeasible"`` (proved, and confirmed by HiGHS after SCIP), ``"timeout"`` or
    ``"undecided"`` (``point`` empty); ``note`` says what the engines said."""

    kind: str
    note: str
    point: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


def _loosening(prop: Property, d: int, typical: npt.NDArray[np.float64]
               ) -> npt.NDArray[np.float64]:
    """``delta_r = REFUTATION_MARGIN (1 + |b_r| + |a_r| . |G(c)|)`` for the rows of conjunct
    ``d``, ``typical = |G(c)|`` at ``c`` the centre of the box (module docstring)."""
    polytope = prop.disjuncts[d]
    scale = 1.0 + np.abs(polytope.b) + np.abs(polytope.A) @ typical
    return np.asarray(REFUTATION_MARGIN * scale, dtype=np.float64)


def _solve_conjunct(network: ReluNetwork, prop: Property, d: int, options: MipOptions,
                    remaining: Callable[[], float | None], margin: float,
                    loosen: npt.NDArray[np.float64] | None = None) -> _Outcome:
    """Solve the MIP of conjunct ``d`` with its rows ``a_r . y <= b_r - margin (1 + |b_r|)``,
    or with ``loosen``, ``a_r . y <= b_r + loosen_r`` (module docstring)."""
    left = remaining()
    if left is not None and left <= 0:
        return _Outcome("timeout", "not started")
    model = network_model(network, prop.lower, prop.upper, options=options)
    solver = model.solver
    polytope = prop.disjuncts[d]
    for r, (a, b) in enumerate(zip(polytope.A, polytope.b, strict=True)):
        side = float(b) - margin * (1.0 + abs(float(b)))
        if loosen is not None:
            side = float(b) + float(loosen[r])
        row = solver.RowConstraint(-solver.infinity(), side, f"property[{d}][{r}]")
        for j in np.flatnonzero(a).tolist():
            if model.outputs[j] is None:
                continue  # y_j = 0 on the whole box: the term vanishes
            row.SetCoefficient(model.outputs[j], float(a[j]))
    try:
        status, name = solve_network_model(model, left, options.threads)
    except SolverError as exc:
        return _Outcome("undecided", str(exc))
    if status is Status.INFEASIBLE and options.mip_solver == "SCIP" and not margin:
        # a tightened model's infeasibility decides nothing: only the stated one is confirmed
        confirmed, point = confirm_infeasible(solver, remaining(), model.inputs)
        if confirmed is None:
            return _Outcome("undecided", "SCIP said infeasible, HiGHS did not decide")
        if point is not None:  # HiGHS found a point: replayed like any candidate
            return _Outcome("point", "SCIP said infeasible, HiGHS found a point",
                            np.asarray(point, dtype=np.float64))
    if status is Status.INFEASIBLE:
        return _Outcome("infeasible", f"{options.mip_solver} INFEASIBLE")
    if status is Status.UNKNOWN:
        return _Outcome("timeout", f"{options.mip_solver} {name}")
    x = np.array([v.solution_value() for v in model.inputs], dtype=np.float64)
    return _Outcome("point", f"{options.mip_solver} {name}", x)


def _verify_mip(network: ReluNetwork, prop: Property, options: MipOptions,
                runtime: _OnnxRuntime, remaining: Callable[[], float | None],
                result: Callable[..., VerificationResult],
                notes: list[str]) -> VerificationResult:
    refuted = 0
    undecided: list[str] = []
    timed_out = False
    conjuncts = len(prop.disjuncts)
    typical = np.abs(network.forward((np.asarray(prop.lower) + np.asarray(prop.upper)) / 2))
    for d in range(conjuncts):
        loosen = _loosening(prop, d, typical)
        outcome = _solve_conjunct(network, prop, d, options, remaining, 0.0, loosen)
        if outcome.kind == "infeasible":
            refuted += 1
            continue
        if outcome.kind != "point":
            timed_out = timed_out or outcome.kind == "timeout"
            undecided.append(f"conjunct {d}: {outcome.note}")
            continue
        first = last = stop = ""
        failed: list[float] = []
        for margin in (None, 0.0, *REPLAY_MARGINS):
            if margin is not None:
                outcome = _solve_conjunct(network, prop, d, options, remaining, margin)
                if outcome.kind != "point":
                    timed_out = timed_out or outcome.kind == "timeout"
                    if margin == 0.0 and outcome.kind == "infeasible":
                        stop = (f"too close to call: {outcome.note} as stated, but a point "
                                f"meets it with its rows loosened by at most "
                                f"{float(np.max(loosen)):.3g}")
                    else:
                        stop = (f"at margin {margin:g}: {outcome.note} (a tightened model "
                                "refutes nothing)")
                    break
            found, check, reason = _replay(network, prop, outcome.point, d, runtime,
                                           margin or 0.0)
            if found is not None:
                tightened = f", rows tightened by {margin:g} (1 + |b|)" if margin else ""
                return result(VerificationStatus.SAT,
                              f"{outcome.note} on conjunct {d} of {conjuncts}{tightened}; "
                              f"counterexample replayed "
                              f"({check.candidate if check else ''})",
                              counterexample=found, outputs=network.forward(found),
                              method="mip", evidence="counterexample", replay=check,
                              refuted=refuted)
            if margin:
                failed.append(margin)
            first, last = first or reason, reason
        else:
            stop = "no margin left"
        found, check, sampled = _sampled_witness(network, prop, d, runtime)
        if found is not None:
            return result(VerificationStatus.SAT,
                          f"{outcome.note} on conjunct {d} of {conjuncts}, but the engine's "
                          f"points failed the replay; {sampled}; counterexample replayed",
                          counterexample=found, outputs=network.forward(found),
                          method="sampling", evidence="counterexample", replay=check,
                          refuted=refuted)
        tried = [f"the engine's point failed the replay ({first})"]
        if failed:
            tried.append(f"rows tightened by {', '.join(f'{m:g}' for m in failed)} (1 + |b|): "
                         f"each point failed too (last: {last})")
        tried.append(stop)
        tried.append(sampled)
        undecided.append(f"conjunct {d}: " + "; ".join(tried))
    prefix = "; ".join(notes) + "; " if notes else ""
    if refuted == conjuncts:
        return result(VerificationStatus.UNSAT,
                      f"{prefix}{options.mip_solver} proved all {refuted} conjunct MIP(s) "
                      "infeasible with every row loosened by REFUTATION_MARGIN (1 + |b| + "
                      "|a| . |G(centre)|)" + (", each confirmed by HiGHS"
                                              if options.mip_solver == "SCIP" else "")
                      + " (solver evidence, up to the engines' "
                      "feasibility tolerances)", method="mip", evidence="mip_infeasible",
                      refuted=refuted)
    answer = VerificationStatus.TIMEOUT if timed_out else VerificationStatus.UNKNOWN
    return result(answer, f"{prefix}{refuted} of {conjuncts} conjuncts refuted; "
                  + "; ".join(undecided), refuted=refuted)
