"""The bundled instance set: which formulas, how they are made, and their checked answers.

``reluinv generate-instances --out instances/`` calls :func:`build_instance_set`, which
writes every formula below (one subfolder per family, each file opening with provenance
``c`` lines: generator and version, family, function, parameters, seed) and
``manifest.json`` with, per file, the family, whether the formula is satisfiable, its
MaxSAT cost (the optimum of :meth:`Formula.falsified <reluinv.data.formula.Formula.falsified>`,
hard clauses weighing ``1 + soft total``) and :meth:`Formula.sha256`.

Each answer is computed twice, independently, and the build stops on any disagreement:

* satisfiability by CaDiCaL 1.9.5 and Glucose 4 (python-sat), a model re-checked clause by
  clause on the formula;
* the MaxSAT cost by RC2 (core-guided, python-sat, in the one configuration of
  :func:`reluinv.oracles.pysat_layer.make_rc2`: Glucose 3 inside) and by an UNSAT-SAT
  linear search (:func:`linear_search_cost`: CaDiCaL refutes "falsified weight <= c" for
  every ``c`` below the cost, then finds a model at the cost), each optimum's assignment
  re-counted with ``Formula.falsified``; and ``satisfiable`` must equal ``cost == 0``.
  (OR-Tools CP-SAT on the same formulas was tried as the second method: with two workers
  it needed minutes to prove a cost of 1 or 3 on 100-variable threshold formulas.)

The families and their sizes are fixed here (a table, not a search over running times):

==========================  ================================================================
``walkthrough``             three hand-written formulas: two models, unsatisfiable, edge cases
``random-3cnf``             uniform random 3-CNF at ``m = round(4.26 k)``, k = 10..100; per k
                            the first two satisfiable seeds and the first two unsatisfiable
                            ones of MaxSAT cost 1 (the typical threshold case)
``maxsat-overconstrained``  random 3-CNF at ratios 6 (k = 20, 40, 50, 60) and 8 (k = 20, 30)
``maxsat-weighted``         weighted random 3-CNF (weights 1..10), wcnf
``maxsat-partial``          planted-satisfiable hard 3-clauses + weighted soft ones, wcnf
``pigeonhole``              PHP(n+1, n), n = 2..5
==========================  ================================================================

The over-constrained sizes and seeds were chosen so that RC2 finishes within about two
seconds on one core (core-guided MaxSAT slows down sharply with the cost: at ratio 8, k = 50
one seed took RC2 400 s; at ratio 6, k = 60 seeds 0 and 3 took 4 s and 25 s), and the
threshold family keeps cost-1 refutations (seed 4 at k = 100 has cost 3 and takes RC2 8 s).
The build reports each file's RC2 time so a change shows.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pysat.card import ITotalizer
from pysat.formula import CNF

from reluinv._version import __version__
from reluinv.data.formula import Formula, write_dimacs
from reluinv.errors import InvalidArgumentError, SolverError
from reluinv.oracles import pysat_layer
from reluinv.oracles.pysat_layer import assignment_from_model
from reluinv.validation.generators import (
    partial_weighted_max3sat,
    pigeonhole,
    random_kcnf,
    random_max3sat,
    weighted_max3sat,
)

__all__ = [
    "BUNDLED_PACKAGE_FOLDER",
    "FAMILIES",
    "MANIFEST_NAME",
    "BuiltInstance",
    "InstanceSpec",
    "build_instance_set",
    "bundled_instances",
    "instance_specs",
    "maxsat_cost",
    "merge_manifest_files",
    "satisfiable",
]

#: The manifest's file name inside the instance folder.
MANIFEST_NAME = "manifest.json"

#: The folder, inside this package, that holds the bundled set (installed as package data).
BUNDLED_PACKAGE_FOLDER = "instances"


def bundled_instances() -> Path:
    """The folder of the bundled instance set, wherever the package is installed.

    The set ships as package data of :mod:`reluinv.validation`, so a wheel install finds it
    as well as a source checkout. Raises ``FileNotFoundError`` if the installation lacks it.
    """
    folder = Path(str(resources.files("reluinv.validation") / BUNDLED_PACKAGE_FOLDER))
    if not (folder / MANIFEST_NAME).is_file():
        raise FileNotFoundError(
            f"{folder}: the bundled instances are missing from this installation "
            f"(no {MANIFEST_NAME}); reinstall reluinv or run 'reluinv generate-instances'"
        )
    return folder

#: The families, in build order.
FAMILIES = (
    "walkthrough",
    "random-3cnf",
    "maxsat-overconstrained",
    "maxsat-weighted",
    "maxsat-partial",
    "pigeonhole",
)

#: The SAT solvers (python-sat names) that must agree on satisfiability: the layer's
#: decision solver and its second opinion.
SAT_SOLVERS = (pysat_layer.DEFAULT_SAT_SOLVER, pysat_layer.SECOND_OPINION_SOLVER)

#: The clause/variable ratio of the random 3-CNF family (the satisfiability threshold).
THRESHOLD_RATIO = 4.26

#: Seeds scanned per k for the random 3-CNF family before giving up.
MAX_SEED_SCAN = 200


@dataclass(frozen=True)
class InstanceSpec:
    """One bundled formula: where it goes, how it is made, what its provenance says."""

    family: str
    name: str
    make: Callable[[], Formula]
    provenance: dict[str, object]

    @property
    def path(self) -> str:
        """The file's path relative to the instance folder."""
        return f"{self.family}/{self.name}"


@dataclass(frozen=True)
class BuiltInstance:
    """A written instance, its manifest entry and how long the solvers took (seconds)."""

    spec: InstanceSpec
    entry: dict[str, Any]
    rc2_seconds: float
    linear_seconds: float


# -- the hand-written walkthrough formulas -------------------------------------------------

WALKTHROUGH: dict[str, tuple[Formula, str]] = {
    "two-models.cnf": (
        Formula(3, ((1, 2), (-1, 3), (-2, -3))),
        "satisfiable with exactly two models, 010 and 101: the pre-image is not convex",
    ),
    "unsat-all-eight.cnf": (
        Formula(3, tuple(
            tuple(v if (pattern >> (v - 1)) & 1 else -v for v in (1, 2, 3))
            for pattern in range(8)
        )),
        "all eight 3-clauses over x1..x3: unsatisfiable, every assignment falsifies one",
    ),
    "edge-cases.cnf": (
        Formula(6, ((1, 1, 2), (3, -3), (-2,), (-1, 4), (2, 3, -4, 5), (-1, -3, -4, -5, 2))),
        "a duplicated literal, a tautology, a unit clause, a 2-, a 4- and a 5-literal clause, "
        "and x6 occurs nowhere",
    ),
}

# (k, ratio, seeds): RC2 needs at most about 1.5 s on each. The MaxSAT certificate's
# refutation grows much faster than RC2's time: k = 60 (seed 1, cost 4) needs a
# 116,000-line proof whose check ran past a minute, so it was taken out of the set
# (REBALANCED, written into the manifest).
OVERCONSTRAINED = ((20, 6, (0, 1)), (40, 6, (0, 1)), (50, 6, (1,)),
                   (20, 8, (0, 1)), (30, 8, (0, 1)))

#: Why the bundled set differs from earlier versions, written into its manifest.
REBALANCED = ("maxsat-overconstrained/r3-k60-ratio6-s1.cnf removed: its MaxSAT certificate "
              "(a 116,000-line refutation of cost <= 3) takes more than a minute to check, "
              "beyond the per-instance budget of make validate")
RANDOM_3CNF_KS = (10, 20, 50, 75, 100)
# (k, m, seed) of weighted random 3-CNF, weights 1..10
WEIGHTED = ((10, 60, 0), (20, 85, 0), (20, 120, 0), (30, 180, 0), (40, 170, 0), (40, 240, 0))
# (k, hard, soft, seed) of partial weighted MAX-3SAT, weights 1..10
PARTIAL = ((10, 30, 30, 0), (20, 60, 60, 0), (20, 60, 60, 1), (30, 90, 90, 0),
           (30, 90, 90, 1), (40, 120, 120, 0))
PIGEONHOLE_HOLES = (2, 3, 4, 5)


def instance_specs(families: tuple[str, ...] = FAMILIES) -> Iterator[InstanceSpec]:
    """The bundled instances of ``families``, in build order (deterministic)."""
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise InvalidArgumentError(f"unknown families {unknown}; the families are {FAMILIES}")
    for family in FAMILIES:
        if family in families:
            yield from _FAMILY_SPECS[family]()


def _constant(formula: Formula) -> Callable[[], Formula]:
    def make() -> Formula:
        return formula
    return make


def _seeded(function: Callable[..., Formula], seed: int, *args: Any, **kwargs: Any
            ) -> Callable[[], Formula]:
    """``function(*args, rng=default_rng(seed), **kwargs)``, with a fresh generator per call."""
    def make() -> Formula:
        return function(*args, rng=np.random.default_rng(seed), **kwargs)
    return make


def _walkthrough() -> Iterator[InstanceSpec]:
    for name, (formula, description) in WALKTHROUGH.items():
        yield InstanceSpec("walkthrough", name, _constant(formula),
                           {"family": "walkthrough", "function": "hand-written",
                            "description": description})


def _random_provenance(family: str, function: str, seed: int, **params: object
                       ) -> dict[str, object]:
    shown = " ".join(f"{key}={value}" for key, value in params.items())
    return {"family": family, "function": f"reluinv.validation.generators.{function}",
            "parameters": shown, "seed": f"{seed} (numpy.random.default_rng)"}


def _random_3cnf() -> Iterator[InstanceSpec]:
    for k in RANDOM_3CNF_KS:
        m = round(THRESHOLD_RATIO * k)
        found: dict[bool, list[int]] = {True: [], False: []}
        for seed in range(MAX_SEED_SCAN):
            formula = random_kcnf(k, m, rng=np.random.default_rng(seed))
            answer = satisfiable(formula)
            if len(found[answer]) < 2 and (
                answer or linear_search_cost(formula, max_cost=1) is not None
            ):
                found[answer].append(seed)
            if all(len(seeds) == 2 for seeds in found.values()):
                break
        else:
            raise SolverError(f"k = {k}: {MAX_SEED_SCAN} seeds gave no two of each answer")
        for answer in (True, False):
            for seed in found[answer]:
                provenance = _random_provenance(
                    "random-3cnf", "random_kcnf", seed, num_vars=k, num_clauses=m, width=3)
                provenance["selection"] = (
                    "per k the first two satisfiable seeds and the first two unsatisfiable "
                    "seeds of MaxSAT cost 1")
                yield InstanceSpec(
                    "random-3cnf", f"r3-k{k}-m{m}-s{seed}.cnf",
                    _seeded(random_kcnf, seed, k, m),
                    provenance)


def _overconstrained() -> Iterator[InstanceSpec]:
    for k, ratio, seeds in OVERCONSTRAINED:
        for seed in seeds:
            yield InstanceSpec(
                "maxsat-overconstrained", f"r3-k{k}-ratio{ratio}-s{seed}.cnf",
                _seeded(random_max3sat, seed, k, ratio),
                _random_provenance("maxsat-overconstrained", "random_max3sat", seed,
                                   num_vars=k, ratio=ratio))


def _weighted() -> Iterator[InstanceSpec]:
    for k, m, seed in WEIGHTED:
        yield InstanceSpec(
            "maxsat-weighted", f"w3-k{k}-m{m}-s{seed}.wcnf",
            _seeded(weighted_max3sat, seed, k, m, max_weight=10),
            _random_provenance("maxsat-weighted", "weighted_max3sat", seed,
                               num_vars=k, num_clauses=m, max_weight=10))


def _partial() -> Iterator[InstanceSpec]:
    for k, hard, soft, seed in PARTIAL:
        yield InstanceSpec(
            "maxsat-partial", f"pw3-k{k}-h{hard}-s{soft}-seed{seed}.wcnf",
            _seeded(partial_weighted_max3sat, seed, k, hard, soft, max_weight=10),
            _random_provenance("maxsat-partial", "partial_weighted_max3sat", seed,
                               num_vars=k, num_hard=hard, num_soft=soft, max_weight=10))


def _pigeonhole() -> Iterator[InstanceSpec]:
    for n in PIGEONHOLE_HOLES:
        yield InstanceSpec(
            "pigeonhole", f"php-{n + 1}-{n}.cnf", functools.partial(pigeonhole, n),
            {"family": "pigeonhole", "function": "reluinv.validation.generators.pigeonhole",
             "parameters": f"holes={n} pigeons={n + 1}"})


_FAMILY_SPECS: dict[str, Callable[[], Iterator[InstanceSpec]]] = {
    "walkthrough": _walkthrough,
    "random-3cnf": _random_3cnf,
    "maxsat-overconstrained": _overconstrained,
    "maxsat-weighted": _weighted,
    "maxsat-partial": _partial,
    "pigeonhole": _pigeonhole,
}


# -- the two independent answers -----------------------------------------------------------


def satisfiable(formula: Formula) -> bool:
    """Whether every clause (hard and soft) can be satisfied: CaDiCaL and Glucose must agree,
    and a model is re-checked on the formula. Raises :class:`SolverError` otherwise."""
    answers = []
    for name in SAT_SOLVERS:
        call = pysat_layer.solve_clauses(formula.clauses, solver=name)
        if call.satisfiable:
            assignment = assignment_from_model(call.model, formula.num_vars)
            if not formula.satisfies(assignment):
                raise SolverError(f"{name} returned a model that falsifies the formula")
        answers.append(bool(call.satisfiable))
    if len(set(answers)) != 1:
        raise SolverError(f"SAT solvers disagree: {dict(zip(SAT_SOLVERS, answers, strict=True))}")
    return answers[0]


def _rc2_cost(formula: Formula) -> int:
    """RC2's optimum: hard clauses hard, soft ones (every clause when unweighted) at their
    weight; the model is re-counted on the formula."""
    wcnf = formula.to_pysat()
    if isinstance(wcnf, CNF):
        wcnf = wcnf.weighted()  # every clause soft, weight 1
    call = pysat_layer.rc2_optimum(wcnf)
    if call.model is None or call.cost is None:
        raise SolverError("RC2: the hard clauses are unsatisfiable (not in the bundled set)")
    assignment = assignment_from_model(call.model, formula.num_vars)
    if formula.falsified(assignment) != call.cost:
        raise SolverError(f"RC2's model falsifies weight {formula.falsified(assignment)}, "
                          f"RC2 reports cost {call.cost}")
    return call.cost


def linear_search_cost(formula: Formula, *, max_cost: int | None = None) -> int | None:
    """The optimum of ``formula.falsified`` by UNSAT-SAT linear search, independently of RC2.

    Soft clause ``C_j`` becomes ``C_j or r_j``; a totalizer over the relaxation literals,
    each repeated ``w_j`` times, bounds the falsified weight. CaDiCaL 1.9.5 then refutes
    "falsified weight <= c" for ``c = 0, 1, ...`` until it finds a model; the model is
    re-counted on the formula. Returns ``None`` when the cost exceeds ``max_cost``. Meant
    for small costs and weights (the totalizer grows with both).
    """
    n = formula.num_vars
    top = n
    clauses: list[list[int]] = []
    relaxed: list[int] = []
    for j, (clause, weight) in enumerate(zip(formula.clauses, formula.clause_weights(),
                                             strict=True)):
        if formula.is_hard(j):
            clauses.append(list(clause))
            continue
        top += 1
        clauses.append([*clause, top])
        relaxed.extend([top] * weight)
    with pysat_layer.sat_solver(pysat_layer.DEFAULT_SAT_SOLVER, clauses) as solver:
        if not solver.solve():
            raise SolverError("linear search: the hard clauses are unsatisfiable")
        if not relaxed:
            model = solver.get_model() or []
            cost = 0
        else:
            totalizer = ITotalizer(lits=relaxed, ubound=1, top_id=top)
            solver.append_formula(totalizer.cnf.clauses)
            cost = 0
            while True:
                if max_cost is not None and cost > max_cost:
                    totalizer.delete()
                    return None
                if cost >= len(relaxed):  # the bound is vacuous: the hard part decides
                    bound_holds = solver.solve()
                else:
                    if cost + 1 > totalizer.ubound:
                        totalizer.increase(ubound=cost + 1, top_id=max(totalizer.top_id, top))
                        solver.append_formula(totalizer.cnf.clauses[-totalizer.nof_new:])
                    bound_holds = solver.solve(assumptions=[-totalizer.rhs[cost]])
                if bound_holds:
                    model = solver.get_model() or []
                    break
                cost += 1
            totalizer.delete()
    assignment = assignment_from_model(model, n)
    if formula.falsified(assignment) != cost:
        raise SolverError(f"linear search: the model at bound {cost} falsifies weight "
                          f"{formula.falsified(assignment)}")
    return cost


def maxsat_cost(formula: Formula) -> tuple[int, float, float]:
    """The optimum of ``formula.falsified`` by RC2 and by :func:`linear_search_cost` (they
    must agree), with each method's seconds. Needs a satisfiable hard part."""
    start = time.perf_counter()
    rc2 = _rc2_cost(formula)
    middle = time.perf_counter()
    linear = linear_search_cost(formula)
    end = time.perf_counter()
    if rc2 != linear:
        raise SolverError(f"MaxSAT methods disagree: RC2 cost {rc2}, linear search {linear}")
    return rc2, middle - start, end - middle


# -- the build -----------------------------------------------------------------------------


def build_instance_set(
    out_dir: str | os.PathLike[str],
    *,
    families: tuple[str, ...] = FAMILIES,
    progress: Callable[[BuiltInstance], None] | None = None,
) -> list[BuiltInstance]:
    """Write the instances of ``families`` under ``out_dir`` and its ``manifest.json``.

    Deterministic: the same version writes the same bytes (the manifest holds no times).
    ``progress`` is called after each file. Returns what was built, with solver times.

    An existing ``manifest.json`` in ``out_dir`` is merged, not replaced: the entries of
    the rebuilt ``families`` are replaced by the new ones, every other entry is kept as it
    was (:func:`merge_manifest_files`), and the file is written atomically (a temporary
    file beside it, renamed over it). A manifest that is not one of ours is refused before
    anything is written.
    """
    root = Path(out_dir)
    kept = _kept_entries(root / MANIFEST_NAME, families)
    built = []
    for spec in instance_specs(families):
        formula = spec.make()
        path = root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        provenance = {**spec.provenance, "regenerate": "reluinv generate-instances"}
        write_dimacs(formula, path, provenance=provenance)
        is_sat = satisfiable(formula)
        cost, rc2_seconds, linear_seconds = maxsat_cost(formula)
        if is_sat != (cost == 0):
            raise SolverError(f"{spec.path}: satisfiable = {is_sat} but MaxSAT cost {cost}")
        entry = {
            "family": spec.family,
            "satisfiable": is_sat,
            "maxsat_cost": cost,
            "sha256": formula.sha256(),
            "num_vars": formula.num_vars,
            "num_clauses": formula.num_clauses,
            "max_clause_width": max((len(c) for c in formula.clauses), default=0),
            "weighted": formula.is_weighted,
            "num_hard": formula.num_hard,
            "soft_weight": formula.soft_weight,
        }
        item = BuiltInstance(spec, entry, rc2_seconds, linear_seconds)
        built.append(item)
        if progress is not None:
            progress(item)
    manifest = {
        "format": "reluinv-instances",
        "generator": f"reluinv {__version__}",
        "command": "reluinv generate-instances",
        "sat_solvers": list(SAT_SOLVERS),
        "maxsat_solvers": ["rc2", "linear-search-cadical195"],
        "maxsat_cost": "optimum of Formula.falsified; a hard clause weighs 1 + soft total",
        "rebalanced": REBALANCED,
        "files": merge_manifest_files(kept, {item.spec.path: item.entry for item in built}),
    }
    _write_atomically(root / MANIFEST_NAME,
                      json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return built


def _family_of_entry(path: str, entry: object) -> str:
    """An entry's family: its ``family`` field, else the first folder of its path."""
    if isinstance(entry, dict) and isinstance(entry.get("family"), str):
        return str(entry["family"])
    return path.split("/", 1)[0]


def _kept_entries(manifest: Path, families: tuple[str, ...]) -> dict[str, Any]:
    """The ``files`` entries of an existing manifest that a rebuild of ``families`` keeps
    (those of the other families); ``{}`` without a manifest. A file that is not a
    ``reluinv-instances`` manifest raises :class:`~reluinv.errors.InvalidArgumentError`."""
    if not manifest.exists():
        return {}
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(
            f"{manifest}: cannot merge into it: not a readable JSON manifest ({exc}); "
            "remove it or write to another folder") from exc
    if (not isinstance(data, dict) or data.get("format") != "reluinv-instances"
            or not isinstance(data.get("files"), dict)):
        raise InvalidArgumentError(
            f"{manifest}: cannot merge into it: not a reluinv-instances manifest (format "
            "and files fields); remove it or write to another folder")
    rebuilt = set(families)
    return {path: entry for path, entry in data["files"].items()
            if _family_of_entry(path, entry) not in rebuilt}


def merge_manifest_files(kept: dict[str, Any], rebuilt: dict[str, Any]) -> dict[str, Any]:
    """The ``files`` of a manifest after a partial rebuild: the kept entries of the other
    families, and the rebuilt ones (a rebuilt path replaces a kept one of the same name).

    >>> merge_manifest_files({"a/x.cnf": {"family": "a"}}, {"b/y.cnf": {"family": "b"}})
    {'a/x.cnf': {'family': 'a'}, 'b/y.cnf': {'family': 'b'}}
    """
    return {**kept, **rebuilt}


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, sync it, rename it over ``path``:
    a reader (or a crash) sees the old file or the new one, never a part."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, path)
