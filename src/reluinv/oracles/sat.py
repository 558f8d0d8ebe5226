"""SAT answers with evidence: checked models and checked refutations.

:func:`solve_sat` decides whether a :class:`~reluinv.data.formula.Formula` read as plain CNF
(weights ignored: hard and soft clauses must all hold) has a satisfying assignment.

* A *satisfiable* answer carries a model, a 0/1 tuple with variable ``v`` at index
  ``v - 1``, sized by the declared ``num_vars`` (variables that occur in no clause get 0).
  It is re-checked clause by clause on the original formula before it is returned.
* An *unsatisfiable* answer carries the solver's DRUP refutation, checked by the fast RUP
  checker (:mod:`reluinv.oracles.rupcheck`) and, when it is small
  (:data:`~reluinv.oracles.rupcheck.DRUP_ALSO_UP_TO`), by the verified ``drup`` checker
  as well (:func:`~reluinv.oracles.rupcheck.check_refutation`): ``proof_checked``
  says whether it was accepted, ``checker`` by which. A formula holding an empty clause is
  refuted without a solver, by the one-line proof ``0`` (the empty clause is already in
  the formula), which the checkers also check.
* A time limit that passes gives ``satisfiable=None`` (:attr:`SatStatus.UNKNOWN`), never an
  answer.

Solvers and time limits
-----------------------
:data:`SAT_SOLVERS` lists the python-sat solvers whose DRUP proofs ``drup`` accepts
(CaDiCaL 1.9.5 and 1.5.3, Glucose 4; the table is in :mod:`reluinv.oracles.pysat_layer`).
A time limit is kept in this process by interrupting the solver, and python-sat cannot
interrupt CaDiCaL: ``solver=None`` therefore runs CaDiCaL 1.9.5 without a time limit and
Glucose 4 with one, and naming a CaDiCaL together with a time limit is refused. The proof
check runs in a child process under ``proof_time_limit`` (``drup`` has no interrupt).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from pysat.formula import CNF, WCNF

from reluinv.arguments import check_flag, check_time_limit
from reluinv.data.formula import Formula, as_formula
from reluinv.deadline import MIN_STAGE_SECONDS
from reluinv.errors import SolverError
from reluinv.oracles import pysat_layer
from reluinv.oracles.proofcheck import DEFAULT_PROOF_TIME_LIMIT
from reluinv.oracles.pysat_layer import PROOF_SOLVERS, assignment_from_model
from reluinv.oracles.rupcheck import check_refutation
from reluinv.results import ResultBase

__all__ = ["SAT_SOLVERS", "SatResult", "SatStatus", "assignment_from_model", "solve_sat"]

SAT_SOLVERS = PROOF_SOLVERS
"""python-sat solver names :func:`solve_sat` accepts; their DRUP proofs pass ``drup``."""


class SatStatus(enum.Enum):
    """The answer of a SAT call."""

    SATISFIABLE = "satisfiable"
    UNSATISFIABLE = "unsatisfiable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SatResult(ResultBase):
    """The answer of :func:`solve_sat` and its evidence.

    Attributes
    ----------
    status:
        SATISFIABLE, UNSATISFIABLE or UNKNOWN (time limit).
    satisfiable:
        True, False, or None for UNKNOWN.
    model:
        A satisfying 0/1 assignment (variable ``v`` at index ``v - 1``, length
        ``num_vars``), already re-checked on the formula; None unless satisfiable.
    proof_checked:
        For an unsatisfiable answer: True when the checker accepted the refutation, False
        when it rejected it, None when the proof was not checked (``proof=False``, or the
        check hit its time limit; the reason is in ``message``). None otherwise.
    seconds:
        Wall-clock seconds of the whole call (solve and check).
    solve_seconds, check_seconds:
        The two parts of ``seconds`` (``check_seconds`` is None when nothing was checked).
    message:
        What happened, in one line (solver, proof verdict, or why something is missing).
    solver:
        The python-sat solver name used, or ``"none"`` when the formula was decided without
        one (an empty clause present).
    checker:
        Name and version of the checker that judged the proof, or None.
    proof_lines:
        Lines of the proof as the solver wrote it (deletions included), or None.
    proof_lemmas:
        Lemmas the checker was given (deletion lines dropped), or None.
    proof_sha256:
        SHA-256 of the proof text the checker judged, or None.
    """

    status: SatStatus
    satisfiable: bool | None
    model: tuple[int, ...] | None
    proof_checked: bool | None
    seconds: float
    message: str
    solver: str
    checker: str | None = None
    proof_lines: int | None = None
    proof_lemmas: int | None = None
    proof_sha256: str | None = None
    solve_seconds: float = 0.0
    check_seconds: float | None = None


def solve_sat(
    formula: Formula | CNF | WCNF,
    *,
    proof: bool = True,
    solver: str | None = None,
    time_limit: float | None = None,
    proof_time_limit: float | None = DEFAULT_PROOF_TIME_LIMIT,
) -> SatResult:
    """Decide satisfiability of ``formula`` (all clauses, weights ignored), with evidence.

    Parameters
    ----------
    formula:
        The formula (or a python-sat ``CNF`` / ``WCNF``, read by
        :func:`~reluinv.data.formula.as_formula`); hard and soft clauses alike must be
        satisfied.
    proof:
        Log a DRUP proof and check it with ``drup`` when the answer is unsatisfiable.
    solver:
        One of :data:`SAT_SOLVERS`, or ``None``: CaDiCaL 1.9.5 without a time limit,
        Glucose 4 with one. CaDiCaL cannot be interrupted and is refused with a time limit.
    time_limit:
        Seconds for the whole call, the solve and the proof check together (``None``: no
        limit). The solver is interrupted in this process when it passes, and the answer
        is UNKNOWN; the proof check gets what is left of it (at most ``proof_time_limit``).
    proof_time_limit:
        Seconds for the proof check (``None``: no limit other than ``time_limit``). When it
        passes the answer stays UNSATISFIABLE (the solver said so) with
        ``proof_checked=None``.

    Returns
    -------
    SatResult

    Raises
    ------
    InvalidTypeError, InvalidArgumentError
        On a formula of another kind, a bad time limit, an unknown solver, or a CaDiCaL
        named together with a time limit.
    SolverError
        If the solver returns a model that does not satisfy the formula, or fails.

    Examples
    --------
    >>> from reluinv.data.formula import parse_dimacs
    >>> r = solve_sat(parse_dimacs("p cnf 2 3\\n1 2 0\\n-1 0\\n-2 0\\n"))
    >>> r.status.name, r.proof_checked
    ('UNSATISFIABLE', True)
    """
    formula = as_formula(formula)
    proof = check_flag(proof, "proof")
    time_limit = check_time_limit(time_limit, "time_limit")
    proof_time_limit = check_time_limit(proof_time_limit, "proof_time_limit")
    solver = pysat_layer.choose_sat_solver(solver, time_limit)
    start = time.perf_counter()
    clauses = [list(clause) for clause in formula.clauses]
    if any(not clause for clause in clauses):
        return _refute_empty_clause(formula, clauses, start, proof,
                                    _left(time_limit, start, proof_time_limit))

    call = pysat_layer.solve_clauses(clauses, solver=solver, proof=proof,
                                     time_limit=time_limit)
    if not call.finished:
        seconds = time.perf_counter() - start
        return SatResult(
            SatStatus.UNKNOWN, None, None, None, seconds,
            f"{solver} was interrupted at the time limit of {time_limit} s", solver,
            solve_seconds=seconds,
        )
    satisfiable, model, lines = call.satisfiable, call.model, call.proof
    solve_seconds = time.perf_counter() - start

    if satisfiable:
        assignment = assignment_from_model(model, formula.num_vars)
        if not formula.satisfies(assignment):
            raise SolverError(
                f"{solver} returned a model that falsifies clauses "
                f"{formula.falsified_clauses(assignment)[:5]} of the formula"
            )
        return SatResult(
            SatStatus.SATISFIABLE, True, assignment, None, time.perf_counter() - start,
            f"satisfiable ({solver}); model re-checked on every clause", solver,
            solve_seconds=solve_seconds,
        )
    if lines is None:
        return SatResult(
            SatStatus.UNSATISFIABLE, False, None, None, time.perf_counter() - start,
            f"unsatisfiable ({solver}); no proof requested", solver,
            solve_seconds=solve_seconds,
        )
    check = check_refutation(clauses, lines,
                             time_limit=_left(time_limit, start, proof_time_limit))
    return SatResult(
        SatStatus.UNSATISFIABLE, False, None, check.accepted, time.perf_counter() - start,
        f"unsatisfiable ({solver}); proof {check.message}", solver,
        checker=check.checker, proof_lines=len(lines), proof_lemmas=check.lemmas,
        proof_sha256=check.proof_sha256,
        solve_seconds=solve_seconds, check_seconds=check.seconds,
    )


def _left(time_limit: float | None, start: float, cap: float | None) -> float | None:
    """What is left of ``time_limit`` (counted from ``start``; at least a sliver), at most
    ``cap``: the proof check's share of a call's time limit."""
    if time_limit is None:
        return cap
    left = max(MIN_STAGE_SECONDS, time_limit - (time.perf_counter() - start))
    return left if cap is None else min(left, cap)


def _refute_empty_clause(
    formula: Formula,
    clauses: list[list[int]],
    start: float,
    proof: bool,
    proof_time_limit: float | None,
) -> SatResult:
    """An empty clause is never satisfied; its refutation is the one-line proof ``0``."""
    first = next(j for j, clause in enumerate(clauses) if not clause)
    reason = f"clause {first} is empty"
    if not proof:
        return SatResult(
            SatStatus.UNSATISFIABLE, False, None, None, time.perf_counter() - start,
            f"unsatisfiable: {reason}; no proof requested", "none",
        )
    lines = ["0"]
    check = check_refutation(clauses, lines, time_limit=proof_time_limit)
    return SatResult(
        SatStatus.UNSATISFIABLE, False, None, check.accepted, time.perf_counter() - start,
        f"unsatisfiable: {reason}; proof {check.message}", "none",
        checker=check.checker, proof_lines=1, proof_lemmas=check.lemmas,
        proof_sha256=check.proof_sha256,
        check_seconds=check.seconds,
    )
