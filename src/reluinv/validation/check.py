"""One validation record per formula: every answer about it, and whether they agree.

:func:`check_instance` asks each solver its own question about a formula ``F`` and then
checks that the answers fit together as the reduction says they must:

* **SAT** (CaDiCaL, or Glucose 4 under a time limit: :func:`reluinv.solve_sat`):
  satisfiable or not; an UNSAT answer carries a
  DRUP proof that an independent checker (``drup``) accepted or not.
* **MaxSAT** (RC2, :func:`reluinv.solve_maxsat`): the least falsified weight, with a model.
* **Exact inversion** (:func:`reluinv.solve_exact`) of ``encode(F, latent)`` for both
  latents: objective ``"feasible"`` (is ``x`` realizable?) and ``"l1"`` (the least loss).
* **Layer-wise inversion** (:func:`reluinv.invert_layerwise`) of both networks.

The cross-checks, each ``passed``, ``failed``, ``skipped`` (could not be made, with a reason)
or ``not_applicable`` (the claim was not made, with a reason):

``realizable_iff_satisfiable[latent]``
    the exact solver finds a pre-image exactly when the SAT solver says satisfiable (L2, L3);
``unsat_proof_checked``
    an UNSAT answer's proof was accepted by the checker;
``l1_optimum_equals_maxsat_cost[latent]``
    the exact l1 optimum equals RC2's cost (L1, L4);
``decoded_falsified_equals_objective[latent]``
    ``F.falsified(decode(z))`` equals the exact objective at the optimum ``z``;
``lifted_maxsat_model_loss_equals_cost[latent]``
    ``loss(lift(RC2 model)) == cost``, exactly;
``lifted_sat_model_realizes[latent]``
    ``G(lift(SAT model)) = x`` exactly;
``lemma_*``
    the lemma checks of :mod:`reluinv.reduction.lemmas` on these witnesses;
``layerwise_sound[latent]``
    the layer-wise inverter never reports RECOVERED with a ``z`` that fails the forward
    check (nor one that decodes to a falsifying assignment), and never NO_PREIMAGE on a
    satisfiable formula.

Certificates and cross-checks
-----------------------------
Some checks are *certificate links* (``certificate: true`` in the record): together they
prove every answer of the record without trusting any solver.

* ``sat_answer_certified``: a SAT answer's model re-checked clause by clause, or an UNSAT
  answer's DRUP refutation accepted by a checker;
* ``maxsat_optimum_certified``: the MaxSAT optimum ``c`` with its certificate (the model
  re-counted to ``c``, and a checked refutation of "cost <= c - 1"; ``maxsat.certificate``);
* ``lifted_maxsat_model_loss_equals_cost[latent]`` and ``lifted_sat_model_realizes[latent]``:
  the lifted witnesses replayed exactly on each network;
* ``real_optimum_by_L4``: the gadget constant checked exactly against the occurrence bound,
  ``2 lam >= max_v occ(v)``, so that by L4 (and with the box containing the unit cube)
  the real-latent optimum equals the binary one.

By L1/L2 the binary-latent optimum is the certified MaxSAT cost and its pre-images are the
satisfying assignments; with L4 the same holds for the real latent. The exact solvers'
answers (CP-SAT on the binary latent, the MIP on the real one, any ``engines``) are then
*cross-checks*: independent engines that must agree. The real-latent MIP has budgets of
its own (``real_mip_budget`` for the feasibility solve, ``real_l1_budget`` for the l1
solve; :data:`DEFAULT_REAL_L1_BUDGET` says why the second is small): when one runs out,
only that cross-check is unfinished.

What each latent's exact part costs, and what was cut (measured on random 3-CNF at load
2-3): a satisfiable formula's l1 question is answered by the feasibility solve's verified
pre-image (loss 0, :func:`_l1_from_preimage`), not by a second solve; on an unsatisfiable
formula with a certified optimum ``c >= 1`` the real-latent MIP's INFEASIBLE is confirmed
by the L4 chain (:func:`_infeasibility_evidence`) rather than by HiGHS (3-6 s on 100
variables, where SCIP's own proof took 0.7-1.0 s), and its l1 solve, started from the
certified optimum, only proves the bound (SCIP emphasis ``"bound"``, 0.67x). Per record,
against the former settings in one process: 0.50x the time on 20 variables, 0.39x on 100.

Verdict (``docs/records.md``): ``disagree`` when any check failed; else ``uncertified``
when proofs were not asked for (``proof=False``); else ``unknown`` when a certificate link
did not finish (a time limit); else ``agree``. ``certified`` is true exactly when every
certificate link passed and no check failed. Cross-checks that did not run or did not
finish never make ``agree`` into anything else, but they are listed in ``unfinished``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from reluinv.arguments import check_choice, check_time_limit
from reluinv.data.formula import DimacsLimits, Formula, FormulaLike, as_formula, read_dimacs
from reluinv.data.problem import InversionProblem
from reluinv.deadline import Deadline
from reluinv.errors import InvalidArgumentError
from reluinv.exact import EXACT_BACKENDS, ExactResult, Status, solve_exact
from reluinv.exact.backend import exact_size_unsupported
from reluinv.layerwise.inverter import LayerwiseResult, LayerwiseStatus, invert_layerwise
from reluinv.oracles._bounded import run_forked
from reluinv.oracles.maxsat import MaxSatResult, solve_maxsat
from reluinv.oracles.sat import SatResult, solve_sat
from reluinv.reduction import lemmas
from reluinv.reduction.construction import (
    decode,
    encode,
    encoding_problem,
    lift,
    occurrences,
)
from reluinv.results import JsonValue, ResultBase, json_number
from reluinv.threads import one_blas_thread
from reluinv.validation.records import (
    RECORD_SCHEMA_VERSION,
    CheckEntry,
    CheckStatus,
    ExactEntry,
    ExactNotRun,
    ExactObjectives,
    ExactSection,
    JsonNumber,
    LayerwiseSection,
    LayerwiseSections,
    MaxSatCertificateSection,
    MaxSatSection,
    RealChain,
    SatSection,
    Timings,
    ValidationRecord,
    Verdict,
)

__all__ = ["RECORD_SCHEMA_VERSION", "check_instance", "preload_solver_modules"]

LATENTS: tuple[Literal["binary", "real"], ...] = ("binary", "real")

#: The real latent's box in validation runs: the unit cube. Over it the question is still a
#: real one (the clause layer alone is happy at z = 1/2; only the binary-forcing gadget rules
#: such points out), and the MIP needs no phase binaries for the literal units ``p_v, q_v``,
#: which are linear on the cube: on the over-constrained k = 20 instances this took the
#: real-latent l1 solve from about 20 s (box [-1, 2]) to about 1 s. Lemma L3 off the cube is
#: covered by the lemma tests.
VALIDATION_REAL_BOX: tuple[float, float] = (0.0, 1.0)

#: The binary latent's exact engine by default: OR-Tools' CP-SAT, independent of python-sat.
DEFAULT_BINARY_BACKEND = "cpsat"

#: Seconds of the real-latent feasibility MIP cross-check, by default. On 100-variable
#: unsatisfiable random 3-CNF SCIP proves "no pre-image" in 0.7-1.0 s at load 3 (its
#: INFEASIBLE confirmed by the certified L4 chain, see :func:`_infeasibility_evidence`);
#: on satisfiable ones, started from the lifted model, it returns the pre-image in about
#: 0.1 s. The budget leaves room for a loaded machine.
DEFAULT_REAL_MIP_BUDGET = 5.0

#: Seconds of the real-latent l1 MIP cross-check, by default: small on purpose. On an
#: unsatisfiable formula the MIP must prove the bound ``c >= 1``, but the LP relaxation of
#: the real latent has the bound 0 (at ``z = 1/2`` every big-M unit can be half open), so
#: the bound moves only by branching: on 100-variable random 3-CNF it never reached ``c``,
#: neither in 1, 5 nor 20 s (measured at load 3; the incumbent, the lifted model, has the
#: optimal cost from the start). A larger budget there is pure cost, and the answer is
#: certified by the L4 chain anyway: the cross-check is then "unknown" (listed in
#: ``unfinished``), never the record. Where it can finish it is quick: 0.1-0.2 s on
#: 20-variable formulas. Satisfiable formulas skip the l1 solve (:func:`_l1_from_preimage`).
DEFAULT_REAL_L1_BUDGET = 1.0

#: Seconds of each binary-latent exact solve (CP-SAT, a cross-check) by default. CP-SAT
#: proves the l1 optimum of the bundled instances within a few seconds on an idle machine,
#: except the over-constrained k = 50 one (about 1.5 s idle, 80 s measured under a load of 5).
DEFAULT_BINARY_BUDGET = 20.0

#: What an exact entry's message says when the solve started from a hint. The binary and
#: real-latent solves start from the lifted RC2 model (the MaxSAT optimum found by
#: python-sat): the engine then holds an incumbent of the optimal cost from the start and
#: only has to prove its own bound (on 100-variable random 3-CNF, CP-SAT's l1 solve went
#: from 0.3-1.5 s to 0.05-0.1 s). A hint is a starting point, never a constraint or a
#: verdict: OPTIMAL and INFEASIBLE are still proven by the engine, and every returned
#: ``z`` is verified (:func:`reluinv.solve_exact`).
HINT_NOTE = "started from the lifted RC2 model as a hint (the bound is the engine's own)"

#: The exact objectives asked per latent, in order.
OBJECTIVES: tuple[Literal["feasible", "l1"], ...] = ("feasible", "l1")

_Section = TypeVar("_Section", SatSection, MaxSatSection, ExactSection, LayerwiseSection)


def _optional_number(value: object) -> JsonNumber | None:
    """:func:`~reluinv.results.json_number`, with ``None`` (no value) kept as ``None``."""
    return None if value is None else json_number(value)


class _Checks:
    """The list of cross-checks of one record."""

    def __init__(self) -> None:
        self.items: list[CheckEntry] = []

    def add(self, name: str, status: CheckStatus, detail: str = "", *,
            unfinished: bool = False, certificate: bool = False, **values: object) -> None:
        """Record one check; ``values`` are the numbers it compared (cost, objective, ...),
        written by :func:`~reluinv.results.json_number` (``None`` stays ``None``).
        ``certificate`` marks a link of a certificate chain (see :func:`_verdict`)."""
        entry: dict[str, JsonValue] = {"name": name, "status": status}
        if detail:
            entry["reason" if status in ("skipped", "not_applicable") else "detail"] = detail
        if unfinished:
            entry["unfinished"] = True
        if certificate:
            entry["certificate"] = True
        entry.update({key: _optional_number(value) for key, value in values.items()})
        self.items.append(cast(CheckEntry, entry))

    def unfinished_cross_checks(self) -> list[str]:
        """The cross-checks (not certificate links) that did not run or did not finish."""
        return [c["name"] for c in self.items
                if c.get("unfinished") and not c.get("certificate")]

    def certified(self) -> bool:
        """Every certificate link passed and no check failed."""
        links = [c for c in self.items if c.get("certificate")]
        return (bool(links) and all(c["status"] == "passed" for c in links)
                and not any(c["status"] == "failed" for c in self.items))

    def verdict(self, *, proof: bool) -> Verdict:
        """See the module docstring: disagree, uncertified, unknown or agree."""
        if any(c["status"] == "failed" for c in self.items):
            return "disagree"
        if not proof:
            return "uncertified"
        if not self.certified():
            return "unknown"
        return "agree"


def _section(result: ResultBase, shape: type[_Section]) -> _Section:
    """The fields of ``shape`` taken from ``result.to_record()``: the record keeps what its
    TypedDict lists (see :mod:`reluinv.validation.records`), in that order, and nothing
    else (no latent vectors, no per-layer diagnostics)."""
    written = result.to_record()
    return cast(_Section, {key: written[key] for key in shape.__annotations__})


def _maxsat_section(maxsat: MaxSatResult) -> MaxSatSection:
    """The ``maxsat`` section: RC2's answer and its certificate (``None`` without one)."""
    written = maxsat.to_record()
    section = {key: written[key] for key in MaxSatSection.__annotations__
               if key != "certificate"}
    certificate = maxsat.certificate
    cert: MaxSatCertificateSection | None = None
    if certificate is not None:
        cert = {
            "checked": certificate.certified,
            "lower_bound": certificate.lower_bound,
            "upper_bound": certificate.model_cost,
            "checker": certificate.checker,
            "proof_sha256": certificate.proof_sha256,
            "proof_lines": certificate.proof_lines,
            "scope": certificate.scope,
            "clauses_used": certificate.clauses_used,
            "encoding_clauses": certificate.encoding_clauses,
            "solver": certificate.solver,
            "solve_seconds": round(certificate.solve_seconds, 6),
            "check_seconds": (None if certificate.check_seconds is None
                              else round(certificate.check_seconds, 6)),
            "seconds": round(certificate.seconds, 6),
            "message": certificate.message,
        }
    return cast(MaxSatSection, {**section, "certificate": cert})


def _exact_entry(result: ExactResult | None,
                 why_not: str = "the time limit was spent before it started",
                 hinted: bool = False) -> ExactEntry:
    """One exact solve's entry: its section, or ``not run`` (the time was spent, or the
    network is too large for the exact backends: ``why_not``); ``hinted``: the solve
    started from :data:`HINT_NOTE`'s hint, which its message says."""
    if result is None:
        not_run: ExactNotRun = {"status": "not run", "message": why_not}
        return not_run
    section = _section(result, ExactSection)
    if hinted:
        section["message"] = f"{section['message']}; {HINT_NOTE}"
    return section


def _lemma(checks: _Checks, name: str, run: Callable[[], Any]) -> None:
    """Run one lemma check and record its status."""
    outcome = run()
    holds = outcome.status is lemmas.LemmaStatus.HOLDS
    checks.add(name, "passed" if holds else "failed", outcome.statement)


def _found(result: ExactResult) -> bool:
    return result.z is not None and result.verified


def _check_latent(
    latent: Literal["binary", "real"],
    problem: InversionProblem,
    formula: Formula,
    sat: SatResult | None,
    maxsat: MaxSatResult | None,
    feasible: ExactResult | None,
    l1: ExactResult | None,
    layerwise: LayerwiseResult | None,
    checks: _Checks,
    *,
    engine: str | None = None,
    exact_skipped: str | None = None,
    layerwise_requested: bool = False,
) -> None:
    """The cross-checks that concern one latent variant (``engine``: an additional opinion's
    backend, which tags the check names ``[latent:engine]``; ``exact_skipped``: why the
    exact solves were not run, when they were not)."""
    tag = f"[{latent}]" if engine is None else f"[{latent}:{engine}]"
    satisfiable = sat.satisfiable if sat is not None else None
    sat_engine = sat.solver if sat is not None else "SAT"  # the engine that answered

    # realizable (exact, objective "feasible") <=> satisfiable
    name = f"realizable_iff_satisfiable{tag}"
    if exact_skipped is not None:
        checks.add(name, "skipped", exact_skipped, unfinished=True)
    elif feasible is None or feasible.status is Status.UNKNOWN:
        checks.add(name, "skipped", "the exact feasibility solve did not finish", unfinished=True)
    elif satisfiable is None:
        checks.add(name, "skipped", "the SAT solve did not finish", unfinished=True)
    elif feasible.status is Status.INFEASIBLE:
        checks.add(name, "passed" if not satisfiable else "failed",
                   f"exact: no pre-image; {sat_engine}: " + ("SAT" if satisfiable else "UNSAT"))
    elif _found(feasible):
        checks.add(name, "passed" if satisfiable else "failed",
                   f"exact: verified pre-image; {sat_engine}: "
                   + ("SAT" if satisfiable else "UNSAT"))
    else:
        checks.add(name, "failed", f"exact feasibility returned an unverified z "
                   f"({feasible.message})")

    # the exact pre-image is a satisfying assignment (L2 / L3 on the solver's witness)
    if feasible is not None and _found(feasible):
        assert feasible.z is not None
        z = feasible.z
        if latent == "binary":
            _lemma(checks, f"lemma_L2_exact_witness{tag}",
                   lambda: lemmas.check_realizability(problem, z))
        else:
            _lemma(checks, f"lemma_L3_exact_witness{tag}",
                   lambda: lemmas.check_binary_forcing(problem, z))

    # exact l1 optimum = MaxSAT cost, and the decoded assignment falsifies that much
    cost = maxsat.cost if maxsat is not None and maxsat.optimal else None
    name = f"l1_optimum_equals_maxsat_cost{tag}"
    if exact_skipped is not None:
        checks.add(name, "skipped", exact_skipped, unfinished=True)
    elif l1 is None or l1.status is Status.UNKNOWN:
        checks.add(name, "skipped", "the exact l1 solve did not finish", unfinished=True)
    elif cost is None:
        checks.add(name, "skipped", "the MaxSAT solve did not finish", unfinished=True)
    elif not _found(l1):
        checks.add(name, "failed", f"exact l1 status {l1.status.value} without a verified z",
                   cost=cost)
    elif l1.status is Status.OPTIMAL:
        checks.add(name, "passed" if l1.objective == cost else "failed",
                   objective=l1.objective, cost=cost)
    else:  # FEASIBLE at a time limit: the bounds must bracket the cost
        assert l1.objective is not None
        consistent = cost <= l1.objective and (l1.bound is None or l1.bound <= cost + 1e-6)
        if consistent:
            checks.add(name, "skipped", "time limit: exact l1 not proven optimal (bounds "
                       "consistent with the cost)", unfinished=True, objective=l1.objective,
                       bound=l1.bound, cost=cost)
        else:
            checks.add(name, "failed", "exact l1 bounds exclude the MaxSAT cost",
                       objective=l1.objective, bound=l1.bound, cost=cost)

    if l1 is not None and _found(l1):
        assert l1.z is not None
        assert l1.objective is not None
        z = l1.z
        falsified = formula.falsified(decode(problem, z))
        name = f"decoded_falsified_equals_objective{tag}"
        if l1.status is Status.OPTIMAL:
            checks.add(name, "passed" if falsified == l1.objective else "failed",
                       falsified=falsified, objective=l1.objective)
        else:
            checks.add(name, "passed" if falsified <= l1.objective else "failed",
                       "time limit: only falsified <= objective is implied",
                       falsified=falsified, objective=l1.objective)
        if latent == "binary":
            _lemma(checks, f"lemma_L1_exact_optimum{tag}",
                   lambda: lemmas.check_loss_identity(problem, z))
        else:
            _lemma(checks, f"lemma_L4_exact_optimum{tag}",
                   lambda: lemmas.check_rounding(problem, z))

    if engine is not None:  # an additional opinion: the checks below do not involve it
        return

    # lifted RC2 and SAT models
    name = f"lifted_maxsat_model_loss_equals_cost{tag}"
    if maxsat is None or maxsat.model is None or cost is None:
        checks.add(name, "skipped", "no MaxSAT model", unfinished=True, certificate=True)
    else:
        model = maxsat.model
        loss = problem.exact_loss(lift(problem, model))
        checks.add(name, "passed" if loss == cost else "failed",
                   "the lifted RC2 model replayed exactly on the network",
                   certificate=True, loss=loss, cost=cost)
        _lemma(checks, f"lemma_L1_maxsat_model{tag}",
               lambda: lemmas.check_loss_identity(problem, lift(problem, model)))
    name = f"lifted_sat_model_realizes{tag}"
    if sat is None or sat.satisfiable is None:
        checks.add(name, "skipped", "the SAT solve did not finish", unfinished=True,
                   certificate=True)
    elif not sat.satisfiable or sat.model is None:
        checks.add(name, "skipped", "unsatisfiable: no model to lift")
    else:
        sat_model = sat.model
        realizes = problem.is_preimage(lift(problem, sat_model))
        checks.add(name, "passed" if realizes else "failed",
                   "the lifted SAT model replayed exactly on the network", certificate=True)
        _lemma(checks, f"lemma_L2_sat_model{tag}", lambda: lemmas.check_lift(problem, sat_model))

    # the layer-wise inverter is never wrong in what it claims
    name = f"layerwise_sound{tag}"
    if layerwise is None and layerwise_requested:
        checks.add(name, "skipped", "the time limit was spent before the layer-wise "
                   "inverter could start", unfinished=True)
    elif layerwise is None:
        checks.add(name, "skipped", "the layer-wise inverter was not run"
                   + ("" if exact_skipped is None else f": {exact_skipped}"))
    elif layerwise.status is LayerwiseStatus.RECOVERED:
        assert layerwise.z is not None
        residual = problem.loss(layerwise.z, "linf")
        assignment = decode(problem, layerwise.z)
        forward_ok = residual <= layerwise.residual_bound
        # On the real variant a near pre-image is near a satisfying vertex (L3).
        decodes_ok = latent == "binary" or formula.satisfies(assignment)
        checks.add(name, "passed" if forward_ok and decodes_ok else "failed",
                   "RECOVERED: forward check within the reported bound"
                   + ("" if latent == "binary" else "; decodes to a satisfying assignment"),
                   residual=residual, residual_bound=layerwise.residual_bound)
    elif layerwise.status is LayerwiseStatus.NO_PREIMAGE:
        if satisfiable is None:
            checks.add(name, "skipped", "NO_PREIMAGE, and the SAT solve did not finish",
                       unfinished=True)
        else:
            checks.add(name, "failed" if satisfiable else "passed",
                       "NO_PREIMAGE (certified) on a "
                       + ("satisfiable" if satisfiable else "unsatisfiable") + " formula")
    else:  # INCONCLUSIVE (or a FIT) claims nothing: there is nothing to judge
        checks.add(name, "not_applicable",
                   f"layer-wise {layerwise.status.value}: {layerwise.message}")


def _real_chain(problem: InversionProblem, formula: Formula, maxsat: MaxSatResult,
                real_box: tuple[float, float], checks: _Checks) -> RealChain:
    """The certificate chain of the real latent (lemma L4), and its check.

    1. ``lam`` is checked exactly, in integers, against the occurrence bound:
       ``2 lam >= max_v occ(v)`` (:func:`~reluinv.reduction.construction.occurrences`),
       and the box contains the unit cube. Then by L4 clamping into ``[0, 1]^k`` and
       rounding never increases the l1 loss, so ``min over the box = min over {0,1}^k``.
    2. The binary optimum is the MaxSAT cost (L1), certified (``maxsat.certificate``).
    3. The lifted RC2 model is replayed exactly on the real-latent network: its loss is
       the cost, so the optimum is attained.

    Hence the real-latent l1 optimum equals the certified cost, and a pre-image exists
    exactly when the cost is 0 (the realizability question of L3).
    """
    occurrence = max(occurrences(formula), default=0)
    lam = int(problem.lam) if problem.lam is not None else 0
    premise = 2 * lam >= occurrence and lam >= 1
    box_ok = real_box[0] <= 0 and real_box[1] >= 1
    certificate = maxsat.certificate
    binary_certified = certificate is not None and certificate.certified
    cost = maxsat.cost if maxsat.optimal else None
    loss = (problem.exact_loss(lift(problem, maxsat.model))
            if maxsat.model is not None and cost is not None else None)
    replayed = loss is not None and loss == cost
    certified = premise and box_ok and binary_certified and replayed
    statement = (f"2 lam = {2 * lam} >= max occ(v) = {occurrence}: "
                 f"{'yes' if premise else 'NO'}; box [{real_box[0]}, {real_box[1]}] "
                 f"contains [0, 1]: {'yes' if box_ok else 'NO'}; so by L4 the real optimum "
                 f"is the binary optimum, the MaxSAT cost {cost} (certified: "
                 f"{'yes' if binary_certified else 'no'}), attained by the lifted model "
                 f"(replayed loss {loss})")
    checks.add("real_optimum_by_L4", "passed" if premise and box_ok else "failed",
               statement, certificate=True)
    return {
        "lam": lam,
        "max_occurrence": occurrence,
        "lam_premise": premise,
        "box_contains_unit_cube": box_ok,
        "binary_optimum_certified": binary_certified,
        "witness_loss": _optional_number(loss),
        "cost": cost,
        "certified": certified,
        "statement": statement,
    }


@dataclass
class _LatentOutcome:
    """What one latent's part of a record gave: its sections, checks and timings."""

    exact: ExactObjectives
    opinions: dict[str, ExactObjectives] = field(default_factory=dict)
    layerwise: LayerwiseSection | None = None
    real_chain: RealChain | None = None
    checks: list[CheckEntry] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


#: Modules the exact backends and the layer-wise inverter import on first use (OR-Tools'
#: CP-SAT module alone brings pandas). A latent's part under a deadline runs in a forked
#: child (:class:`_LatentPart`), and a validation run's workers are forked from the run
#: (:class:`~reluinv.validation.executors.LocalPoolExecutor`): importing them once in the
#: parent first saves every child the import (0.6 s on an idle machine, over 1 s when two
#: workers import at once), and the imports start no thread (numpy's BLAS pool, started
#: on import, is fork-safe).
_PRELOADED = ("ortools.sat.python.cp_model", "ortools.linear_solver.pywraplp",
              "ortools.linear_solver.linear_solver_pb2", "scipy.optimize", "scipy.linalg")

#: Optional modules of the layer-wise LPs (the ``lp`` extra), imported when installed.
_PRELOADED_IF_INSTALLED = ("highspy", "cvxopt")


#: Size (rows x cols^2 of the clause layer's matrix, the cost of a dense least-squares
#: solve on it) up to which a latent's part without the layer-wise inverter runs in this
#: process even under a deadline: encoding it and replaying witnesses on it take
#: milliseconds (the 2000-variable random 3-CNF, about 7 x 10^11, took 3 to 7 s to encode),
#: and small records save the fork and the child's solver start-up (about 30 ms).
IN_PROCESS_WORK = 10**9


def _dense_work(formula: Formula, latent: str) -> int:
    """``rows x cols^2`` of the clause layer of ``encode(formula, latent)``: ``m`` (+ ``k``
    gadget rows) by ``2k`` (``4k``) hidden units."""
    k, m = formula.num_vars, formula.num_clauses
    rows, cols = (m, 2 * k) if latent == "binary" else (m + k, 4 * k)
    return rows * cols * cols


def preload_solver_modules() -> None:
    """Import the solver modules :func:`check_instance` uses (:data:`_PRELOADED`), so that
    processes forked afterwards (a run's workers, a deadline's child) start with them."""
    for module in _PRELOADED:
        importlib.import_module(module)
    for module in _PRELOADED_IF_INSTALLED:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


def _run_parts(parts: Sequence[_LatentPart], deadline: Deadline) -> list[_LatentOutcome]:
    """Every part's outcome, in order. Under a deadline the parts run in one forked child,
    killed :data:`~reluinv.oracles._bounded.FORK_GRACE_SECONDS` after the deadline (a
    part that starts after the deadline still encodes and makes its certificate links,
    exact replays of the certified witnesses, within that grace, but runs no solver and no
    layer-wise inverter); they run in this process when nothing unbounded is left in them:
    every network is small (:data:`IN_PROCESS_WORK`) and the layer-wise inverter (whose LPs
    have no time limit) is off or will not start. A part the child did not send back is
    :meth:`unfinished <_LatentPart.unfinished>`."""
    def produce() -> Iterator[_LatentOutcome]:
        for part in parts:
            yield part.run()

    in_process = deadline.end is None or all(
        (not part.layerwise or deadline.expired)
        and _dense_work(part.formula, part.latent) <= IN_PROCESS_WORK for part in parts)
    if in_process:
        return list(produce())
    sent = run_forked(produce, time_limit=deadline.remaining())
    why = (f"its process was stopped at the time limit ({sent.seconds:.2f} s)"
           if sent.error is None else f"its process failed ({sent.error})")
    return [*sent.items, *(part.unfinished(why) for part in parts[len(sent.items):])]


def _not_run(message: str) -> ExactObjectives:
    entry: ExactNotRun = {"status": "not run", "message": message}
    return {"feasible": entry, "l1": dict(entry)}  # type: ignore[typeddict-item]


@dataclass
class _LatentPart:
    """One latent's part of a record: encode ``F``, solve it exactly (both objectives, and
    the binary latent's further ``engines``), run the layer-wise inverter, and make the
    cross-checks; the real latent also makes the L4 chain.

    Encoding and the layer-wise inverter cannot be interrupted (dense linear algebra and
    LPs without a time limit on a network with ``2k`` to ``4k`` hidden units), so under a
    deadline the parts run in a forked child that is killed when the deadline passes
    (:func:`_run_parts`); a part it did not finish is recorded as such
    (:meth:`unfinished`). The interruptible solves inside get what is left of the
    deadline.
    """

    latent: Literal["binary", "real"]
    formula: Formula
    sat: SatResult
    maxsat: MaxSatResult
    deadline: Deadline
    backend: str
    engines: Sequence[str]
    #: seconds of each feasibility solve, and of each l1 solve (see :meth:`_solve_both`)
    budget: float | None
    l1_budget: float | None
    layerwise: bool
    real_box: tuple[float, float]
    #: the satisfying or MaxSAT-optimal assignment the exact solves start from
    #: (:data:`HINT_NOTE`); the further engines are asked without it
    start_model: Sequence[int] | None = None

    def unfinished(self, why: str) -> _LatentOutcome:
        """The outcome of a part that did not finish: every entry ``not run``, every check
        it would have made ``skipped`` and ``unfinished`` (a certificate link stays one, so
        the verdict is ``unknown``, never ``disagree`` nor ``agree``)."""
        return self._without_run(f"the {self.latent} latent's part did not finish: {why}",
                                 "skipped")

    def not_encodable(self, why: str) -> _LatentOutcome:
        """The outcome of a part whose formula cannot be encoded
        (:func:`~reluinv.reduction.construction.encoding_problem`): every entry ``not run``,
        every check it would have made ``not_applicable`` with the rule as its reason (a
        certificate link stays one and is not passed, so the verdict is ``unknown``: the
        reduction was not exercised, whatever SAT and MaxSAT said)."""
        return self._without_run(
            f"the reduction cannot encode this formula for the {self.latent} latent: {why}",
            "not_applicable")

    def _without_run(self, message: str, status: CheckStatus) -> _LatentOutcome:
        latent, tag = self.latent, f"[{self.latent}]"
        unfinished = status == "skipped"
        checks = _Checks()
        if latent == "real":
            checks.add("real_optimum_by_L4", status, message, unfinished=unfinished,
                       certificate=True)
        for engine in self.engines:
            for name in ("realizable_iff_satisfiable", "l1_optimum_equals_maxsat_cost"):
                checks.add(f"{name}[{latent}:{engine}]", status, message,
                           unfinished=unfinished)
        for name in ("realizable_iff_satisfiable", "l1_optimum_equals_maxsat_cost"):
            checks.add(name + tag, status, message, unfinished=unfinished)
        for name in ("lifted_maxsat_model_loss_equals_cost", "lifted_sat_model_realizes"):
            checks.add(name + tag, status, message, unfinished=unfinished, certificate=True)
        if self.layerwise:
            checks.add(f"layerwise_sound{tag}", status, message, unfinished=unfinished)
        chain: RealChain | None = None
        if latent == "real":
            chain = {"lam": 0, "max_occurrence": 0, "lam_premise": False,
                     "box_contains_unit_cube": False, "binary_optimum_certified": False,
                     "witness_loss": None, "cost": None, "certified": False,
                     "statement": f"not made: {message}"}
        return _LatentOutcome(exact=_not_run(message),
                              opinions={engine: _not_run(message) for engine in self.engines},
                              real_chain=chain, checks=checks.items)

    def _solve_both(self, problem: InversionProblem, backend: str,
                    timings: dict[str, float], step: str, hint: Any = None,
                    evidence: str | None = None) -> dict[str, ExactResult | None]:
        """Both objectives of :data:`OBJECTIVES` with ``backend``: ``"feasible"`` within
        ``budget`` seconds, then ``"l1"`` within ``l1_budget`` (each within what is left of
        the deadline; ``None``: not run, the deadline had passed), both from ``hint``.
        ``evidence`` (the real latent's certified infeasibility, see :meth:`run`) confirms a
        MIP's INFEASIBLE in place of a second engine, and, the hint being then a certified
        optimum, the l1 solve runs with SCIP's ``emphasis="bound"``
        (:data:`reluinv.exact.mip.SCIP_BOUND_EMPHASIS`: about 0.67x the time, measured).
        When the feasibility solve returns a pre-image verified exactly, the l1 answer
        follows from it without a second solve (:func:`_l1_from_preimage`); the seconds
        go to ``timings[step]``."""
        results: dict[str, ExactResult | None] = {}
        for objective in OBJECTIVES:
            if objective == "l1" and results["feasible"] is not None:
                derived = _l1_from_preimage(problem, results["feasible"])
                if derived is not None:
                    results["l1"] = derived
                    continue
            if self.deadline.expired:
                results[objective] = None
                continue
            budget = self.budget if objective == "feasible" else self.l1_budget
            given: dict[str, Any] = {}
            if evidence is not None and backend in ("auto", "mip"):
                # the feasibility solve: the certified chain confirms an INFEASIBLE; the
                # l1 solve: the hint has the certified optimal cost, only the bound is left
                given = ({"infeasible_evidence": evidence} if objective == "feasible"
                         else {"emphasis": "bound"})
            t0 = time.perf_counter()
            results[objective] = solve_exact(
                problem, backend=backend,  # type: ignore[arg-type]
                objective=objective, time_limit=self.deadline.left(budget), hint=hint,
                **given)
            timings[step] = timings.get(step, 0.0) + time.perf_counter() - t0
        return results

    def run(self) -> _LatentOutcome:
        """The part, in this process."""
        latent, formula, sat, maxsat = self.latent, self.formula, self.sat, self.maxsat
        timings: dict[str, float] = {}
        checks = _Checks()
        not_encodable = encoding_problem(formula, latent)
        if not_encodable is not None:
            return self.not_encodable(not_encodable)
        t0 = time.perf_counter()
        problem = encode(formula, latent) if latent == "binary" else encode(
            formula, latent, box=self.real_box)
        timings[f"encode_{latent}"] = time.perf_counter() - t0
        chain: RealChain | None = None
        evidence: str | None = None
        if latent == "real":
            chain = _real_chain(problem, formula, maxsat, self.real_box, checks)
            evidence = _infeasibility_evidence(chain, maxsat)
        # a network too large for the dense exact models (and the layer-wise LPs): the
        # solves are skipped and said so; SAT, MaxSAT, lifting and the lemmas still run
        too_large = exact_size_unsupported(problem)
        hint = None if self.start_model is None or too_large is not None else lift(
            problem, self.start_model)
        results: dict[str, ExactResult | None] = (
            self._solve_both(problem, self.backend, timings, f"exact_{latent}", hint,
                             evidence)
            if too_large is None else {"feasible": None, "l1": None})
        why_not = "the time limit was spent before it started" if too_large is None \
            else too_large
        opinions: dict[str, ExactObjectives] = {}
        for engine in self.engines:
            extra: dict[str, ExactResult | None] = (
                self._solve_both(problem, engine, timings, "exact_opinions")
                if too_large is None else {"feasible": None, "l1": None})
            opinions[engine] = {"feasible": _exact_entry(extra["feasible"], why_not),
                                "l1": _exact_entry(extra["l1"], why_not)}
            t0 = time.perf_counter()
            _check_latent(latent, problem, formula, sat, maxsat, extra["feasible"],
                          extra["l1"], None, checks, engine=engine, exact_skipped=too_large)
            timings["checks"] = timings.get("checks", 0.0) + time.perf_counter() - t0
        lw: LayerwiseResult | None = None
        section: LayerwiseSection | None = None
        if self.layerwise and too_large is None and not self.deadline.expired:
            t0 = time.perf_counter()
            with one_blas_thread():
                lw = invert_layerwise(problem.network, problem.target)
            timings["layerwise"] = timings.get("layerwise", 0.0) + time.perf_counter() - t0
            section = _section(lw, LayerwiseSection)
        t0 = time.perf_counter()
        _check_latent(latent, problem, formula, sat, maxsat, results["feasible"],
                      results["l1"], lw, checks, exact_skipped=too_large,
                      layerwise_requested=self.layerwise and too_large is None)
        timings["checks"] = timings.get("checks", 0.0) + time.perf_counter() - t0
        return _LatentOutcome(
            exact={"feasible": _exact_entry(results["feasible"], why_not, hint is not None),
                   "l1": _exact_entry(results["l1"], why_not, hint is not None)},
            opinions=opinions, layerwise=section, real_chain=chain, checks=checks.items,
            timings=timings)


#: What an l1 entry's message says when the answer came from the feasibility solve.
DERIVED_L1_NOTE = ("OPTIMAL without a second solve: the feasibility solve's pre-image, "
                   "verified exactly, has l1 loss 0, and no loss is below 0")


def _l1_from_preimage(problem: InversionProblem, feasible: ExactResult) -> ExactResult | None:
    """The l1 answer a feasibility answer already proves, or ``None``.

    A pre-image ``z`` verified in exact arithmetic has ``||G(z) - x||_1 = 0``, recomputed
    here exactly; a loss is never negative, so ``z`` is an l1 optimum with the bound 0 and
    an l1 solve could add nothing. On satisfiable formulas this saves the second solve of
    each latent (on 100-variable random 3-CNF the real latent's l1 MIP took about as long
    as its feasibility MIP). A float-verified ``z`` (a real latent off the integer points)
    is not taken: its loss is 0 only within a tolerance, so the l1 solve runs.
    """
    z = feasible.z
    if (z is None or not feasible.verified or feasible.verification != "exact"
            or feasible.status not in (Status.OPTIMAL, Status.FEASIBLE)):
        return None
    started = time.perf_counter()
    loss = problem.exact_loss(z)
    if loss != 0:
        return None
    return dataclasses.replace(
        feasible, status=Status.OPTIMAL, objective=loss, bound=0.0, objective_kind="l1",
        solver_objective=0.0, seconds=time.perf_counter() - started,
        message=f"{DERIVED_L1_NOTE} ({feasible.backend}: {feasible.message})")


def _infeasibility_evidence(chain: RealChain, maxsat: MaxSatResult) -> str | None:
    """The real latent's certified "no pre-image", or ``None``: when the L4 chain is
    certified (``lam`` checked, the box contains the unit cube, the MaxSAT optimum ``c``
    certified by a checked refutation and the lifted model replayed) and ``c >= 1``, every
    latent of the box has l1 loss ``>= c > 0``. It confirms the real-latent MIP's
    INFEASIBLE in place of a HiGHS solve (:mod:`reluinv.exact.mip`): on 100-variable
    unsatisfiable random 3-CNF SCIP proved infeasibility in 0.7-1.0 s and HiGHS took
    3-6 s more to confirm it, beyond the budget. A wrong SCIP INFEASIBLE needs a feasible
    model, which this proof excludes; a point SCIP finds would still be verified and make
    the cross-check fail."""
    cost = chain["cost"]
    if not chain["certified"] or cost is None or cost < 1:
        return None
    checker = maxsat.certificate.checker if maxsat.certificate is not None else None
    return (f"the MaxSAT optimum {cost} >= 1 is certified ({checker}) and the L4 chain "
            f"holds, so every latent in the box has l1 loss >= {cost} > 0")


def check_instance(
    formula_or_path: FormulaLike | str | os.PathLike[str],
    *,
    time_limit: float | None = None,
    family: str | None = None,
    binary_backend: str = DEFAULT_BINARY_BACKEND,
    real_backend: str = "auto",
    engines: Sequence[str] = (),
    real_mip_budget: float | None = DEFAULT_REAL_MIP_BUDGET,
    real_l1_budget: float | None = DEFAULT_REAL_L1_BUDGET,
    binary_budget: float | None = DEFAULT_BINARY_BUDGET,
    layerwise: bool = True,
    proof: bool = True,
    real_box: tuple[float, float] = VALIDATION_REAL_BOX,
    limits: DimacsLimits | Mapping[str, int] | None = None,
) -> ValidationRecord:
    """Check the reduction on one formula; return a JSON-serialisable record.

    Parameters
    ----------
    formula_or_path:
        A :class:`~reluinv.data.formula.Formula` or a DIMACS file (read with
        :func:`~reluinv.data.formula.read_dimacs`; a malformed file raises its ``DimacsError``).
    time_limit:
        Seconds for the whole check; each solver call gets what is left. What does not
        finish is recorded, and the verdict is then ``unknown``, never ``disagree``.
    family:
        A label stored in the record (validation runs take it from a manifest).
    binary_backend, real_backend:
        Exact backends for the binary latent and the real latent, passed to
        :func:`reluinv.solve_exact`. The binary default, ``"cpsat"`` (OR-Tools' CP-SAT for
        both ``"feasible"`` and ``"l1"``), is an engine independent of python-sat, which
        answers the formula's questions (CaDiCaL, RC2): the cross-checks then compare two
        code bases, not one with itself. ``"auto"`` applies the registry's speed rule
        (:mod:`reluinv.exact.registry`), which sends ``"l1"`` to the CNF compilation for
        RC2 (``"maxsat"``), i.e. back to python-sat. The real latent goes to the MIP
        (neither CP-SAT nor the CNF compilation can decide real questions). The record's
        ``backend`` field says which one ran.
    engines:
        Further exact backends (names of :data:`reluinv.EXACT_BACKENDS`, each at most
        once, none equal to ``binary_backend``: the same engine would only repeat its
        answer) asked the same two binary-latent questions as additional opinions; each
        gets its entries under ``opinions[backend]`` and the binary cross-checks once more, tagged
        ``[binary:backend]``. ``("maxsat",)`` adds the CNF compilation solved by RC2 as a
        third opinion.
    real_mip_budget, real_l1_budget:
        Seconds for the real-latent feasibility solve and for the real-latent l1 solve,
        the independent MIP cross-checks (within what is left of ``time_limit``; ``None``:
        no budget of their own; see :data:`DEFAULT_REAL_MIP_BUDGET` and
        :data:`DEFAULT_REAL_L1_BUDGET` for the measurements behind the defaults). The real
        latent's answers are certified by the L4 chain (``real_chain``) whatever the MIP
        does; an MIP that runs out leaves only its own cross-check unfinished.
    binary_budget:
        Seconds for each binary-latent exact solve (CP-SAT and the ``engines``): they are
        cross-checks too, since L1 and L2 tie the binary answers to the certified MaxSAT
        optimum and the replayed witnesses. For either latent, a verified exact pre-image
        from the feasibility solve answers the l1 question without a second solve (loss 0,
        and no loss is below 0).
    layerwise:
        Also run the layer-wise inverter on both networks.
    proof:
        Ask for and check a DRUP proof of UNSAT answers and certify the MaxSAT optimum.
        Without proofs the verdict is at best ``uncertified``.
    real_box:
        The latent box ``[lo, hi]^k`` of the real variant (see :data:`VALIDATION_REAL_BOX`).
    limits:
        Size limits of the DIMACS file (:class:`~reluinv.data.formula.DimacsLimits` or a
        mapping of its fields; ``None``: the defaults); a formula over them raises its
        ``DimacsError`` before anything large is read.

    Returns
    -------
    ValidationRecord
        ``schema``, identity (``path``, ``sha256``, ``n``, ``m``, ``family``, ...), the
        sections ``sat``, ``maxsat``, ``exact`` (per latent and objective), ``layerwise``
        (per latent), ``opinions``, ``real_chain``, the list ``checks``, ``unfinished``,
        ``certified``, the ``verdict`` and ``timings`` in seconds; every
        field is documented in ``docs/records.md`` and typed in
        :mod:`reluinv.validation.records`. Each section is selected from its result's
        :meth:`~reluinv.results.ResultBase.to_record`, and every number is written by
        :func:`~reluinv.results.json_number` (an exact rational as ``"p/q"``).
    """
    time_limit = check_time_limit(time_limit)
    if time_limit is not None:
        preload_solver_modules()  # process set-up, before the record's clock starts
    started = time.perf_counter()
    real_mip_budget = check_time_limit(real_mip_budget, "real_mip_budget")
    real_l1_budget = check_time_limit(real_l1_budget, "real_l1_budget")
    binary_budget = check_time_limit(binary_budget, "binary_budget")
    check_choice(binary_backend, "binary_backend", ("auto", *EXACT_BACKENDS))
    check_choice(real_backend, "real_backend", ("auto", *EXACT_BACKENDS))
    engines = tuple(engines) if not isinstance(engines, str) else (engines,)
    for i, engine in enumerate(engines):
        check_choice(engine, f"engines[{i}]", EXACT_BACKENDS)
        if engine == binary_backend or engine in engines[:i]:  # the same engine twice
            raise InvalidArgumentError(
                f"engines[{i}] = {engine!r} is already asked "
                + ("as binary_backend" if engine == binary_backend else f"in engines[:{i}]")
                + ": an additional opinion must come from another engine")
    deadline = Deadline(time_limit)
    path: str | None = None
    if not isinstance(formula_or_path, str | os.PathLike):
        formula = as_formula(formula_or_path, "formula_or_path")
    else:
        path = os.fspath(formula_or_path)
        formula = read_dimacs(path, limits=limits)
    timings: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return call()
        finally:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0

    sat: SatResult = timed("sat", lambda: solve_sat(formula, proof=proof,
                                                    time_limit=deadline.left()))
    maxsat: MaxSatResult = timed("maxsat", lambda: solve_maxsat(
        formula, time_limit=deadline.left(), certify=proof))

    checks = _Checks()
    name = "unsat_proof_checked"
    if sat.satisfiable is False:
        if not proof:
            checks.add(name, "skipped", "proofs not requested")
        elif sat.proof_checked is True:
            checks.add(name, "passed", f"accepted by {sat.checker}")
        elif sat.proof_checked is False:
            checks.add(name, "failed", f"rejected by {sat.checker}: {sat.message}")
        else:
            checks.add(name, "skipped", f"proof not checked: {sat.message}", unfinished=True)
    elif sat.satisfiable is None:
        checks.add(name, "skipped", "the SAT solve did not finish", unfinished=True)
    else:
        checks.add(name, "skipped", "satisfiable: no refutation needed")

    name = "sat_answer_certified"
    if sat.satisfiable is None:
        checks.add(name, "skipped", "the SAT solve did not finish", unfinished=True,
                   certificate=True)
    elif sat.satisfiable:
        holds = sat.model is not None and formula.satisfies(sat.model)
        checks.add(name, "passed" if holds else "failed",
                   f"SAT: the model of {sat.solver} satisfies every clause", certificate=True)
    elif proof:
        verdicts: dict[bool | None, CheckStatus] = {True: "passed", False: "failed",
                                                    None: "skipped"}
        checks.add(name, verdicts[sat.proof_checked], f"UNSAT: {sat.message}",
                   unfinished=sat.proof_checked is None, certificate=True)

    if maxsat.optimal and maxsat.cost is not None and maxsat.model is not None:
        recount = formula.falsified(maxsat.model)
        checks.add("maxsat_model_recount", "passed" if recount == maxsat.cost else "failed",
                   falsified=recount, cost=maxsat.cost)
    name = "maxsat_optimum_certified"
    certificate = maxsat.certificate
    if not maxsat.optimal:
        checks.add(name, "skipped", "the MaxSAT solve did not finish", unfinished=True,
                   certificate=True)
    elif certificate is not None:
        if certificate.certified:
            checks.add(name, "passed", certificate.message, certificate=True,
                       cost=maxsat.cost)
        elif certificate.lower_bound_checked is None and certificate.upper_bound_checked:
            checks.add(name, "skipped", certificate.message, unfinished=True,
                       certificate=True, cost=maxsat.cost)
        else:
            checks.add(name, "failed", certificate.message, certificate=True,
                       cost=maxsat.cost)

    exact: dict[str, ExactObjectives] = {}
    opinions: dict[str, ExactObjectives] = {}
    # the exact solves' hint (HINT_NOTE); the further engines are asked without one
    start_model = maxsat.model if maxsat.model is not None else (
        sat.model if sat.satisfiable else None)
    layerwise_sections: LayerwiseSections = {}
    real_chain: RealChain | None = None
    parts = [_LatentPart(latent, formula, sat, maxsat, deadline, backend=(
        binary_backend if latent == "binary" else real_backend),
        engines=engines if latent == "binary" else (),
        budget=binary_budget if latent == "binary" else real_mip_budget,
        l1_budget=binary_budget if latent == "binary" else real_l1_budget,
        layerwise=layerwise, real_box=real_box, start_model=start_model)
        for latent in LATENTS]
    for latent, outcome in zip(LATENTS, _run_parts(parts, deadline), strict=True):
        exact[latent] = outcome.exact
        opinions.update(outcome.opinions)
        if outcome.layerwise is not None:
            layerwise_sections[latent] = outcome.layerwise
        if outcome.real_chain is not None:
            real_chain = outcome.real_chain
        checks.items.extend(outcome.checks)
        for step, seconds in outcome.timings.items():
            timings[step] = timings.get(step, 0.0) + seconds
    assert real_chain is not None  # the real latent's part always returns one

    return {
        "schema": RECORD_SCHEMA_VERSION,
        "path": path,
        "name": Path(path).name if path is not None else None,
        "family": family,
        "sha256": formula.sha256(),
        "n": formula.num_vars,
        "m": formula.num_clauses,
        "weighted": formula.is_weighted,
        "hard_clauses": formula.num_hard,
        "max_clause_width": max((len(c) for c in formula.clauses), default=0),
        "time_limit": _optional_number(time_limit),
        "sat": _section(sat, SatSection),
        "maxsat": _maxsat_section(maxsat),
        "exact": {"binary": exact["binary"], "real": exact["real"]},
        "opinions": opinions,
        "real_chain": real_chain,
        "real_mip_budget": _optional_number(real_mip_budget),
        "real_l1_budget": _optional_number(real_l1_budget),
        "binary_budget": _optional_number(binary_budget),
        "layerwise": layerwise_sections,
        "real_box": [json_number(bound) for bound in real_box],
        "checks": checks.items,
        "unfinished": checks.unfinished_cross_checks(),
        "certified": checks.certified() and proof,
        "verdict": checks.verdict(proof=proof),
        "timings": cast(Timings, {step: json_number(round(seconds, 6))
                                  for step, seconds in timings.items()}),
        "seconds": round(time.perf_counter() - started, 6),
    }
