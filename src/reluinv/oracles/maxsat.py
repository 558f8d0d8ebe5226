"""MaxSAT optima with RC2, in the weight convention of :class:`~reluinv.data.formula.Formula`,
and checkable certificates of optimality.

Cost convention
---------------
The cost of an assignment ``z`` is ``formula.falsified(z)``: the total weight of the clauses
``z`` falsifies, a hard clause weighing ``1 + soft_weight``. :func:`solve_maxsat` returns the
minimum of that cost over ``{0,1}^n``. This is the quantity Lemma L1 of the reduction
equates with the least l1 loss of the inversion problem.

How RC2 is asked
----------------
* First with the hard clauses as *hard* and the soft clauses with their weights. When the
  hard clauses can all be satisfied, RC2's optimum is the least soft weight over
  assignments that satisfy them, and that is the minimum of ``falsified``: any assignment
  falsifying a hard clause already costs more than all soft clauses together.
* When the hard clauses cannot all be satisfied RC2 reports no model. We then ask again with
  *every* clause soft at its :class:`Formula` weight (a hard clause at ``1 + soft_weight``),
  so that RC2's optimum is exactly ``min_z formula.falsified(z)`` and a model exists.
* An empty clause is falsified by every assignment; its weight is added as a constant and it
  is not given to RC2.

The returned model is re-counted on the original formula and must reproduce the cost, or
:class:`~reluinv.errors.SolverError` is raised. RC2 is built by
:func:`reluinv.oracles.pysat_layer.make_rc2` (the one RC2 configuration); with
``time_limit`` it is interrupted in this process when the limit passes (both RC2 calls
share the limit), and the answer is UNKNOWN.

Certificates
------------
RC2 gives an optimum, not a certificate. :func:`certify_maxsat_optimum` makes the claim
"the optimum is ``c``" checkable in two halves:

* *upper bound*: a model whose re-counted cost is ``c``;
* *lower bound*: a DRUP refutation, checked by ``drup``, of "some assignment falsifies
  weight at most ``c - 1``", encoded in CNF with one relaxation variable ``r_j`` per clause
  (clause ``C_j or r_j``: when ``r_j`` is false, ``C_j`` must hold) and the pseudo-Boolean
  constraint ``sum_j w_j r_j <= c - 1`` (:func:`reluinv.oracles.pb_encoding.atmost_weighted`).
  Any assignment ``z`` with cost at most ``c - 1`` satisfies the encoding with
  ``r_j = [z falsifies C_j]``, so a refutation proves every assignment costs at least ``c``.
  A clause of weight ``>= c`` can never be relaxed within the budget, so it enters without
  ``r_j``. When that is every clause (an unweighted formula of optimum 1, the common case
  of an unsatisfiable 3-CNF), the encoding is the formula itself: the lower bound is its
  plain refutation.

Making the lower bound scale: only the clauses RC2's cores touched
-------------------------------------------------------------------
The refutation over *all* clauses grows with ``m`` and with ``c``: its counter has
``m (c - 1)`` auxiliary variables and its proof, checked line by line, soon runs to 10^5
lines. RC2 however proved its optimum from a few cores. With ``certify=True``,
:func:`solve_maxsat` gives RC2 one explicit selector per soft clause and keeps the
selectors of every core RC2 processed (:func:`~reluinv.oracles.pysat_layer.rc2_optimum`
with ``record_cores``); the lower bound is first refuted over the sub-formula ``F_S`` made
of the clauses ``S`` in those cores, the hard clauses, the empty clauses and every clause
of weight ``>= c`` (these cannot be relaxed within the budget ``c - 1`` anyway).

*Soundness.* Whatever ``S`` is, for every assignment ``z``,
``cost_F(z) = sum_{j} w_j [z falsifies C_j] >= sum_{j in S} w_j [z falsifies C_j] =
cost_{F_S}(z)``: dropping clauses (all weights positive) never raises a cost. So a
checked refutation of "``cost_{F_S} <= c - 1``" proves ``cost_F(z) >= c`` for every ``z``,
which is the lower bound. The cores only choose ``S``; nothing RC2 says is trusted: if
RC2's cores were incomplete or wrong, the restricted encoding would be satisfiable (the
SAT solver says so and the certificate falls back to all clauses) or the proof would be
rejected by the checker, never accepted for a false bound.

*Why it usually succeeds.* Every core RC2 found is a set of soft clauses that, with the
hard clauses and the totalizers over earlier cores, is unsatisfiable; every totalizer's
inputs are selectors of earlier cores, so the optimum of ``F_S`` is at least RC2's final
cost, which equals ``c``. On the validation sets the restricted refutation closes the gap
every time measured; the record says which scope was used (``scope``, ``clauses_used``).

Proof checking
--------------
Each refutation is checked by :func:`reluinv.oracles.rupcheck.check_refutation`: the fast
forward RUP checker always, the verified ``drup`` as well on small proofs
(:data:`~reluinv.oracles.rupcheck.DRUP_ALSO_UP_TO`). The certificate records the
checker(s) that accepted, the proof's SHA-256 and its size.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pysat.formula import CNF, WCNF

from reluinv.arguments import check_flag, check_time_limit
from reluinv.data.formula import Formula, as_formula
from reluinv.errors import InvalidArgumentError, SolverError
from reluinv.oracles import pysat_layer
from reluinv.oracles.pb_encoding import atmost_weighted
from reluinv.oracles.proofcheck import DEFAULT_PROOF_TIME_LIMIT
from reluinv.oracles.pysat_layer import assignment_from_model
from reluinv.oracles.sat import SatStatus, solve_sat
from reluinv.results import ResultBase

__all__ = [
    "LOWER_BOUND_CELL_LIMIT",
    "MaxSatCertificate",
    "MaxSatResult",
    "MaxSatStatus",
    "certify_maxsat_optimum",
    "lower_bound_encoding",
    "solve_maxsat",
]

class MaxSatStatus(enum.Enum):
    """The answer of a MaxSAT call."""

    OPTIMAL = "optimal"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MaxSatCertificate:
    """A checkable optimum: an upper bound from a model, a lower bound from a refutation.

    Attributes
    ----------
    cost:
        The claimed optimum ``c`` (in :class:`Formula`'s weight convention).
    model_cost:
        ``formula.falsified(model)``, re-counted.
    upper_bound_checked:
        True when ``model_cost == cost``.
    lower_bound_checked:
        True when a refutation of "cost <= c - 1" was accepted by the checker (or ``c = 0``,
        which needs none); False when the claim is wrong (the encoding is satisfiable, see
        ``better_model``) or the checker rejected the proof; None when undecided (time limit
        of the solver or of the checker), see ``message``.
    certified:
        ``upper_bound_checked and lower_bound_checked is True``.
    better_model:
        When the lower bound fails because the encoding is satisfiable: an assignment of
        cost at most ``c - 1`` (re-counted), else None.
    encoding_vars, encoding_clauses:
        Size of the lower-bound CNF (0 when no encoding was needed).
    checker:
        The checker that judged the refutation, or None.
    proof_lines, proof_sha256:
        Lines of the refutation and the SHA-256 of its text, or None.
    solve_seconds, check_seconds, seconds:
        Time of the SAT call on the encoding, of the proof check, and of everything.
    message:
        What happened, in one line.
    scope:
        Which clauses the accepted (or last tried) refutation is over: ``"none"`` (``c = 0``
        needs none), ``"cores"`` (the clauses of RC2's cores, see the module docstring) or
        ``"all"``.
    clauses_used:
        Number of the formula's clauses in that refutation's encoding.
    solver:
        The SAT solver that wrote the refutation, or None.
    """

    cost: int
    model_cost: int
    upper_bound_checked: bool
    lower_bound_checked: bool | None
    certified: bool
    seconds: float
    message: str
    better_model: tuple[int, ...] | None = None
    encoding_vars: int = 0
    encoding_clauses: int = 0
    checker: str | None = None
    proof_lines: int | None = None
    proof_sha256: str | None = None
    solve_seconds: float = 0.0
    check_seconds: float | None = None
    scope: str = "none"
    clauses_used: int = 0
    solver: str | None = None

    @property
    def lower_bound(self) -> int | None:
        """The lower bound a checker accepted (``cost``), or None."""
        return self.cost if self.lower_bound_checked is True else None


@dataclass(frozen=True)
class MaxSatResult(ResultBase):
    """The answer of :func:`solve_maxsat`.

    Attributes
    ----------
    status:
        OPTIMAL, or UNKNOWN when the time limit passed.
    cost:
        ``min_z formula.falsified(z)``, equal to ``formula.falsified(model)`` (re-counted);
        None when UNKNOWN.
    model:
        An optimal 0/1 assignment (variable ``v`` at index ``v - 1``), or None.
    optimal:
        True when ``status`` is OPTIMAL.
    hard_satisfiable:
        Whether the hard clauses can all be satisfied together (True when there are none;
        None when UNKNOWN). An empty hard clause makes it False.
    seconds:
        Wall-clock seconds of the whole call (certificate included).
    message:
        What happened, in one line.
    certificate:
        The :class:`MaxSatCertificate` when ``certify=True`` was asked and the optimum is
        known, else None.
    solver:
        The engine that found the optimum (:data:`~reluinv.oracles.pysat_layer.RC2_ENGINE`).
    """

    status: MaxSatStatus
    cost: int | None
    model: tuple[int, ...] | None
    optimal: bool
    hard_satisfiable: bool | None
    seconds: float
    message: str
    certificate: MaxSatCertificate | None = None
    solver: str = pysat_layer.RC2_ENGINE


def solve_maxsat(
    formula: Formula | CNF | WCNF,
    *,
    time_limit: float | None = None,
    certify: bool = False,
    proof_time_limit: float | None = DEFAULT_PROOF_TIME_LIMIT,
) -> MaxSatResult:
    """The least total weight of falsified clauses, ``min_z formula.falsified(z)``, by RC2.

    Parameters
    ----------
    formula:
        The formula (or a python-sat ``CNF`` / ``WCNF``, read by
        :func:`~reluinv.data.formula.as_formula`); an unweighted one has every clause soft
        with weight 1.
    time_limit:
        Seconds for RC2 (``None``: no limit). RC2 is interrupted in this process when it
        passes, and the status is UNKNOWN.
    certify:
        Also build a :class:`MaxSatCertificate` (:func:`certify_maxsat_optimum`).
    proof_time_limit:
        Seconds for the certificate's proof check.

    Examples
    --------
    >>> from reluinv.data.formula import parse_dimacs
    >>> r = solve_maxsat(parse_dimacs("p cnf 1 2\\n1 0\\n-1 0\\n"))
    >>> r.status.name, r.cost
    ('OPTIMAL', 1)
    """
    formula = as_formula(formula)
    time_limit = check_time_limit(time_limit, "time_limit")
    certify = check_flag(certify, "certify")
    proof_time_limit = check_time_limit(proof_time_limit, "proof_time_limit")
    start = time.perf_counter()
    all_weights = formula.clause_weights()
    hard_flags = [formula.is_hard(j) for j in range(formula.num_clauses)]
    constant = sum(w for clause, w in zip(formula.clauses, all_weights, strict=True)
                   if not clause)
    kept = [j for j, clause in enumerate(formula.clauses) if clause]
    clauses = [list(formula.clauses[j]) for j in kept]
    weights = [all_weights[j] for j in kept]
    hard = [hard_flags[j] for j in kept]
    empty_hard = any(h for clause, h in zip(formula.clauses, hard_flags, strict=True)
                     if not clause)

    answer = _rc2_answer(clauses, weights, hard, time_limit, selectors_from=(
        formula.num_vars + 1 if certify else None))
    if answer is None:
        return MaxSatResult(
            MaxSatStatus.UNKNOWN, None, None, False, None, time.perf_counter() - start,
            f"RC2 was interrupted at the time limit of {time_limit} s",
        )
    rc2_cost, rc2_model, hard_kept, core_positions = answer
    model = assignment_from_model(rc2_model, formula.num_vars)
    cost = formula.falsified(model)
    if cost != rc2_cost + constant:
        raise SolverError(
            f"RC2 reported cost {rc2_cost} (+ {constant} from empty clauses) but its model "
            f"falsifies weight {cost}"
        )
    hard_satisfiable = (hard_kept or not any(hard)) and not empty_hard
    how = ("hard clauses kept hard" if any(hard) and hard_kept
           else "every clause soft at its weight")
    message = f"optimum {cost} by RC2 ({how}); model re-counted on the formula"
    certificate = None
    if certify:
        core_clauses = (None if core_positions is None
                        else frozenset(kept[i] for i in core_positions))
        left = None if time_limit is None else max(
            0.05, time_limit - (time.perf_counter() - start))
        certificate = certify_maxsat_optimum(
            formula, cost, model, core_clauses=core_clauses, time_limit=left,
            proof_time_limit=proof_time_limit,
        )
        message += f"; certificate: {certificate.message}"
    return MaxSatResult(
        MaxSatStatus.OPTIMAL, cost, model, True, hard_satisfiable,
        time.perf_counter() - start, message, certificate,
    )


def _rc2_answer(clauses: list[list[int]], weights: list[int], hard: list[bool],
                time_limit: float | None, *, selectors_from: int | None = None,
                ) -> tuple[int, list[int], bool, frozenset[int] | None] | None:
    """RC2 on non-empty clauses: (RC2 cost, model, whether the hard clauses were kept hard,
    positions of the clauses in RC2's cores or None).

    Tries the hard clauses as hard first; when they are unsatisfiable, every clause soft at
    its weight. Both calls share ``time_limit``; None when it passed.

    With ``selectors_from = s``, soft clause ``i`` is given to RC2 as the hard clause
    ``C_i or -(s + i)`` plus the soft unit ``s + i`` (the selector RC2 would make itself),
    and RC2 records its cores, so that each core's selectors name clause positions.
    """
    if not clauses:
        return 0, [], True, frozenset() if selectors_from is not None else None
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for keep_hard in (True, False) if any(hard) else (False,):
        wcnf = WCNF()
        for i, (clause, weight, is_hard) in enumerate(zip(clauses, weights, hard,
                                                          strict=True)):
            if keep_hard and is_hard:
                wcnf.append(clause)
            elif selectors_from is None:
                wcnf.append(clause, weight=weight)
            else:
                wcnf.append([*clause, -(selectors_from + i)])
                wcnf.append([selectors_from + i], weight=weight)
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            return None
        call = pysat_layer.rc2_optimum(wcnf, time_limit=left,
                                       record_cores=selectors_from is not None)
        if not call.finished:
            return None
        if call.model is not None and call.cost is not None:
            positions = None
            if selectors_from is not None and call.cores is not None:
                positions = frozenset(
                    selector - selectors_from for core in call.cores for selector in core
                    if 0 <= selector - selectors_from < len(clauses))
            return call.cost, call.model, keep_hard, positions
    raise SolverError("RC2 found no model although every clause was soft")


def lower_bound_encoding(formula: Formula, bound: int,
                         subset: Collection[int] | None = None) -> Formula:
    """A CNF satisfiable exactly when some assignment falsifies weight at most ``bound``
    among the clauses ``subset`` (default: all clauses).

    Variables ``1..n`` are the formula's. A clause ``C_j`` of the subset whose weight is
    at most ``bound`` gets a relaxation variable ``r`` (the clause becomes ``C_j or r``;
    the ``i``-th relaxed clause's ``r`` is ``n + 1 + i``) and the variables after those
    belong to the weighted at-most constraint ``sum w_j r <= bound`` (weights from
    ``formula.clause_weights()``). A clause heavier than ``bound`` cannot be falsified
    within the budget, so it enters as it is, without a relaxation variable (its ``r``
    would be forced false); when every clause of the subset is that heavy, the encoding
    is the subset itself, and refuting it refutes the formula's satisfiability.
    """
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise InvalidArgumentError(f"bound must be a non-negative int, got {bound!r}")
    chosen = range(formula.num_clauses) if subset is None else sorted(subset)
    all_weights = formula.clause_weights()
    relaxed = [j for j in chosen if all_weights[j] <= bound]
    n, m = formula.num_vars, len(relaxed)
    relax = [n + 1 + i for i in range(m)]
    clauses = [[*formula.clauses[j], r] for j, r in zip(relaxed, relax, strict=True)]
    clauses += [list(formula.clauses[j]) for j in chosen if all_weights[j] > bound]
    if not relaxed:
        return Formula(n, tuple(map(tuple, clauses)))
    counter, top = atmost_weighted(relax, [all_weights[j] for j in relaxed], bound,
                                   top_id=n + m)
    return Formula(max(top, n), tuple(map(tuple, clauses + counter)))


#: The largest unary counter :func:`certify_maxsat_optimum` builds: ``(cost - 1)`` cells
#: per relaxed clause (:func:`lower_bound_encoding`); beyond it the lower bound is left
#: unchecked (about 4 clauses per cell: 10^7 cells is a few GiB in python-sat).
LOWER_BOUND_CELL_LIMIT = 10_000_000


def certify_maxsat_optimum(
    formula: Formula | CNF | WCNF,
    cost: int,
    model: tuple[int, ...] | list[int],
    *,
    core_clauses: Collection[int] | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    proof_time_limit: float | None = DEFAULT_PROOF_TIME_LIMIT,
) -> MaxSatCertificate:
    """Check the claim "``min_z formula.falsified(z) == cost``, attained by ``model``".

    The upper bound re-counts ``model``; the lower bound refutes
    :func:`lower_bound_encoding` ``(formula, cost - 1, S)`` with a proof-logging solver and
    checks the DRUP proof (:func:`~reluinv.oracles.rupcheck.check_refutation`). ``S`` is
    first ``core_clauses`` (indices of the clauses in RC2's cores, as
    :func:`solve_maxsat` finds them) together with the empty clauses and every clause of
    weight ``>= cost``; when that restricted encoding is satisfiable, or ``core_clauses``
    is None, ``S`` is every clause. The module docstring shows why a refutation over any
    ``S`` proves the bound. ``time_limit`` bounds the SAT calls together and
    ``proof_time_limit`` each check; either passing leaves ``lower_bound_checked = None``.
    ``formula`` may be a python-sat ``CNF`` / ``WCNF`` (:func:`~reluinv.data.formula.as_formula`);
    ``solver`` is chosen as in :func:`~reluinv.oracles.sat.solve_sat` (``None``: CaDiCaL
    1.9.5 without a time limit, Glucose 4 with one).
    """
    formula = as_formula(formula)
    if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
        raise InvalidArgumentError(f"cost must be a non-negative int, got {cost!r}")
    time_limit = check_time_limit(time_limit, "time_limit")
    proof_time_limit = check_time_limit(proof_time_limit, "proof_time_limit")
    solver = pysat_layer.choose_sat_solver(solver, time_limit)
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    model_cost = formula.falsified(model)
    upper = model_cost == cost
    upper_text = (f"model re-counts to {model_cost}" if upper
                  else f"model re-counts to {model_cost}, not the claimed {cost}")

    unfinished = MaxSatCertificate(cost, model_cost, upper, None, False, 0.0, upper_text)

    def finish(lower: bool | None, text: str, **details: Any) -> MaxSatCertificate:
        return dataclasses.replace(
            unfinished, lower_bound_checked=lower, certified=upper and lower is True,
            seconds=time.perf_counter() - start, message=f"{upper_text}; {text}", **details,
        )

    if cost == 0:
        return finish(True, "lower bound 0 holds for positive weights (no proof needed)")
    m = formula.num_clauses
    scopes: list[tuple[str, Collection[int] | None]] = []
    weights = formula.clause_weights()
    if core_clauses is not None:
        chosen = set(core_clauses) | {
            j for j in range(m) if weights[j] >= cost or not formula.clauses[j]
            or formula.is_hard(j)}
        if len(chosen) < m:
            scopes.append(("cores", chosen))
    scopes.append(("all", None))
    solve_seconds = check_seconds = 0.0
    tried: list[str] = []
    for scope, subset in scopes:
        used = m if subset is None else len(subset)
        cells = (cost - 1) * sum(
            1 for j in (range(m) if subset is None else subset)
            if formula.clauses[j] and not formula.is_hard(j) and weights[j] <= cost - 1)
        if cells > LOWER_BOUND_CELL_LIMIT:
            # a unary counter of (cost - 1) cells per relaxed clause: 2^40 weights would
            # ask for terabytes; the bound is left unchecked, as after a time limit
            return finish(None, f"lower bound not attempted: its counter over {scope} "
                          f"clauses would have {cells:,} cells (more than "
                          f"LOWER_BOUND_CELL_LIMIT = {LOWER_BOUND_CELL_LIMIT:,})",
                          scope=scope, clauses_used=used, solver=solver)
        encoding = lower_bound_encoding(formula, cost - 1, subset)
        sizes = {"encoding_vars": encoding.num_vars, "encoding_clauses": encoding.num_clauses,
                 "scope": scope, "clauses_used": used, "solver": solver}
        left = None if deadline is None else max(0.05, deadline - time.perf_counter())
        sat = solve_sat(encoding, proof=True, solver=solver, time_limit=left,
                        proof_time_limit=proof_time_limit)
        solve_seconds += sat.solve_seconds
        check_seconds += sat.check_seconds or 0.0
        times = {"solve_seconds": solve_seconds, "check_seconds": check_seconds}
        if sat.status is SatStatus.UNKNOWN:
            return finish(None, f"lower bound undecided: {sat.message}", **sizes, **times)
        if sat.status is SatStatus.UNSATISFIABLE:
            text = (f"lower bound {cost} over {scope} clauses ({used} of {m}; "
                    f"{encoding.num_clauses} encoding clauses): {sat.message}")
            return finish(sat.proof_checked, "; ".join([*tried, text]), checker=sat.checker,
                          proof_lines=sat.proof_lines, proof_sha256=sat.proof_sha256,
                          **sizes, **times)
        assert sat.model is not None  # a satisfiable SatResult always carries its model
        better = sat.model[: formula.num_vars]
        if scope == "cores":
            tried.append(f"the {used} core clauses alone allow cost <= {cost - 1}")
            continue
        better_cost = formula.falsified(better)
        if better_cost >= cost:
            raise SolverError(
                f"the lower-bound encoding for {cost - 1} has a model of cost {better_cost}"
            )
        return finish(False, f"lower bound refuted: an assignment of cost {better_cost} exists",
                      better_model=better, **sizes, **times)
    raise AssertionError("the last scope, all clauses, always returns")  # pragma: no cover
