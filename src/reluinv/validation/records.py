"""The validation record, typed: one :class:`~typing.TypedDict` per part.

A record is one JSON object (see ``docs/records.md``, which documents every field listed
here; a test holds the two together in both directions). :func:`reluinv.check_instance`
returns a :class:`ValidationRecord`; a validation run adds the fields of
:class:`RunRecord`, and writes an :class:`ErrorRecord` for an instance that could not be
checked and a :class:`KilledRecord` for a worker killed after its hard timeout.

Shapes
------
* Every number is written by :func:`reluinv.results.json_number`, so a number field holds
  :data:`JsonNumber`: an ``int``, a ``float``, or a string (an exact rational ``"p/q"``, or
  ``"inf"`` / ``"-inf"`` / ``"nan"``).
* A field marked :data:`~typing.NotRequired` is absent in some records (the docs say when).
* The sections are selected from the results' own
  :meth:`~reluinv.results.ResultBase.to_record`: a section keeps exactly the keys of its
  TypedDict, so the record never carries latent vectors or per-layer diagnostics.
"""

# No ``from __future__ import annotations`` here: ``NotRequired`` must be evaluated when each
# class is made, or ``__required_keys__`` would count every field as required.
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "CHECK_STATUSES",
    "RECORD_SCHEMA_VERSION",
    "CheckEntry",
    "CheckStatus",
    "ErrorRecord",
    "ExactEntry",
    "ExactNotRun",
    "ExactObjectives",
    "ExactSection",
    "ExactSections",
    "JsonNumber",
    "KilledRecord",
    "LayerwiseSection",
    "LayerwiseSections",
    "MaxSatCertificateSection",
    "MaxSatSection",
    "RealChain",
    "RunOptions",
    "RunRecord",
    "SatSection",
    "Timings",
    "ValidationRecord",
    "Verdict",
]

#: Version of the record layout; bumped when a field changes meaning or format.
RECORD_SCHEMA_VERSION = 2

#: A number as :func:`reluinv.results.json_number` writes it.
JsonNumber = int | float | str

#: The status of one cross-check: ``not_applicable`` when the claim it tests was not made
#: (the layer-wise inverter was inconclusive: soundness has nothing to judge), ``skipped``
#: when it could not be made (a solve did not finish, no model to lift, ...).
CheckStatus = Literal["passed", "failed", "skipped", "not_applicable"]
#: The values of :data:`CheckStatus`, in the order summaries count them.
CHECK_STATUSES: tuple[str, ...] = ("passed", "failed", "skipped", "not_applicable")

#: The verdict of a checked instance.
Verdict = Literal["agree", "disagree", "unknown", "uncertified"]


class SatSection(TypedDict):
    """``sat``: the SAT solver's answer, named by ``solver`` (CaDiCaL, or Glucose 4 under a
    time limit; :class:`reluinv.oracles.sat.SatResult`)."""

    status: Literal["satisfiable", "unsatisfiable", "unknown"]
    satisfiable: bool | None
    proof_checked: bool | None
    checker: str | None
    proof_lines: int | None
    solver: str
    seconds: float
    message: str


class MaxSatCertificateSection(TypedDict):
    """``maxsat.certificate``: the checked optimum
    (:class:`reluinv.oracles.maxsat.MaxSatCertificate`)."""

    checked: bool
    lower_bound: int | None
    upper_bound: int
    checker: str | None
    proof_sha256: str | None
    proof_lines: int | None
    scope: str
    clauses_used: int
    encoding_clauses: int
    solver: str | None
    solve_seconds: float
    check_seconds: float | None
    seconds: float
    message: str


class MaxSatSection(TypedDict):
    """``maxsat``: RC2's answer (:class:`reluinv.oracles.maxsat.MaxSatResult`)."""

    status: Literal["optimal", "unknown"]
    cost: int | None
    optimal: bool
    hard_satisfiable: bool | None
    solver: str
    seconds: float
    message: str
    certificate: MaxSatCertificateSection | None


class RealChain(TypedDict):
    """``real_chain``: the real latent's certificate by lemma L4."""

    lam: int
    max_occurrence: int
    lam_premise: bool
    box_contains_unit_cube: bool
    binary_optimum_certified: bool
    witness_loss: JsonNumber | None
    cost: int | None
    certified: bool
    statement: str


class ExactSection(TypedDict):
    """``exact[latent][objective]`` of a solve that ran
    (:class:`reluinv.exact.ExactResult`)."""

    status: Literal["optimal", "feasible", "infeasible", "unknown"]
    objective: JsonNumber | None
    bound: JsonNumber | None
    verified: bool
    backend: str
    solver: str
    seconds: float
    message: str


class ExactNotRun(TypedDict):
    """``exact[latent][objective]`` of a solve skipped because the time limit was spent."""

    status: Literal["not run"]
    message: str


#: One exact solve's entry.
ExactEntry = ExactSection | ExactNotRun


class ExactObjectives(TypedDict):
    """``exact[latent]``: one entry per objective."""

    feasible: ExactEntry
    l1: ExactEntry


class ExactSections(TypedDict):
    """``exact``: one :class:`ExactObjectives` per latent."""

    binary: ExactObjectives
    real: ExactObjectives


class LayerwiseSection(TypedDict):
    """``layerwise[latent]``: the layer-wise inverter's answer
    (:class:`reluinv.layerwise.inverter.LayerwiseResult`)."""

    status: Literal["recovered", "no_preimage", "inconclusive", "fit"]
    residual: JsonNumber
    residual_bound: JsonNumber
    failed_layer: int | None
    seconds: float
    message: str


class LayerwiseSections(TypedDict):
    """``layerwise``: per latent; empty when the layer-wise inverter was not run."""

    binary: NotRequired[LayerwiseSection]
    real: NotRequired[LayerwiseSection]


class CheckEntry(TypedDict):
    """One entry of ``checks``: a claim, its status, and the numbers it compared."""

    name: str
    status: CheckStatus
    detail: NotRequired[str]
    reason: NotRequired[str]
    unfinished: NotRequired[bool]
    certificate: NotRequired[bool]
    cost: NotRequired[JsonNumber]
    objective: NotRequired[JsonNumber]
    bound: NotRequired[JsonNumber | None]
    falsified: NotRequired[JsonNumber]
    loss: NotRequired[JsonNumber]
    residual: NotRequired[JsonNumber]
    residual_bound: NotRequired[JsonNumber]


class Timings(TypedDict):
    """``timings``: seconds per step (a step that did not run is absent)."""

    sat: float
    maxsat: float
    encode_binary: NotRequired[float]
    encode_real: NotRequired[float]
    exact_binary: NotRequired[float]
    exact_real: NotRequired[float]
    exact_opinions: NotRequired[float]
    layerwise: NotRequired[float]
    checks: NotRequired[float]


class ValidationRecord(TypedDict):
    """What :func:`reluinv.check_instance` returns."""

    schema: int
    path: str | None
    name: str | None
    family: str | None
    sha256: str
    n: int
    m: int
    weighted: bool
    hard_clauses: int
    max_clause_width: int
    time_limit: JsonNumber | None
    sat: SatSection
    maxsat: MaxSatSection
    exact: ExactSections
    opinions: dict[str, ExactObjectives]
    real_chain: RealChain
    real_mip_budget: JsonNumber | None
    real_l1_budget: JsonNumber | None
    binary_budget: JsonNumber | None
    layerwise: LayerwiseSections
    real_box: list[JsonNumber]
    checks: list[CheckEntry]
    unfinished: list[str]
    certified: bool
    verdict: Verdict
    timings: Timings
    seconds: float


class RunOptions(TypedDict):
    """``options``: what a validation run's key depends on besides the file."""

    time_limit: int | float | None  # as the run was given it (an int stays an int)
    check_options: dict[str, Any]


class RunRecord(ValidationRecord):
    """A :class:`ValidationRecord` as a validation run writes it."""

    key: str
    file_sha256: str
    options: RunOptions
    wall_seconds: float


class ErrorRecord(TypedDict):
    """An instance that could not be checked: a missing, unreadable, malformed or oversized
    file, a check that raised, or a worker that died. ``options`` is always there (from
    this version on); ``file_sha256`` and ``wall_seconds`` once a worker was started."""

    path: str
    verdict: Literal["error"]
    error: str
    key: str
    family: str | None
    file_sha256: NotRequired[str]
    options: NotRequired[RunOptions]
    wall_seconds: NotRequired[float]


class KilledRecord(TypedDict):
    """A worker killed after its hard timeout (``3 x time_limit + 30 s`` by default)."""

    path: str
    verdict: Literal["unknown"]
    reason: str
    key: str
    file_sha256: str
    family: str
    options: RunOptions
    wall_seconds: float
