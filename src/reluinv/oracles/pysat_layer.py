"""The one python-sat layer: which solvers, one RC2, one model conversion, one time limit.

Everything reluinv asks python-sat (SAT answers with proofs, MaxSAT optima, the exact
backend's CNF questions, the bundled set's double answers) goes through this module, so
the solver choices, the RC2 settings and the time-limit mechanism are stated once.

Solver table
------------
=============  =============  ==============================  ==========================
python-sat     solver         DRUP proof accepted by ``drup``  ``interrupt()``
=============  =============  ==============================  ==========================
``cadical195``  CaDiCaL 1.9.5  yes                            no (NotImplementedError)
``cadical153``  CaDiCaL 1.5.3  yes                            no (NotImplementedError)
``glucose4``    Glucose 4.1    yes                            yes, also ``with_proof``
=============  =============  ==============================  ==========================

* :data:`PROOF_SOLVERS`: the three above, the solvers whose DRUP refutations the verified
  ``drup`` checker has accepted (Maplesat's proofs fail checking, so it is not offered).
* :data:`DEFAULT_SAT_SOLVER` = ``cadical195``: the decision solver when there is no time
  limit (it is the fastest of the three here: PHP(9, 8) in 0.5 s against 2.3 s for
  Glucose 4).
* :data:`INTERRUPTIBLE_SAT_SOLVER` = ``glucose4``: the decision solver when a time limit
  applies (:func:`choose_sat_solver`), and :data:`SECOND_OPINION_SOLVER`, the independent
  solver that must agree with CaDiCaL on the bundled set.
* :data:`RC2_ORACLE` = ``g3``: Glucose 3, the SAT oracle under RC2 (interruptible).

Interrupt, measured
-------------------
Measured on python-sat 1.9.dev24, pigeonhole PHP(10, 9) (unsolvable in seconds), a
:class:`threading.Timer` calling ``interrupt()`` after 0.5 s, five runs each:

* ``glucose4`` (with and without ``with_proof=True``), ``glucose3`` and RC2 over ``g4``
  or ``g3``: ``solve_limited(expect_interrupt=True)`` / ``RC2.compute(expect_interrupt=
  True)`` return ``None``. Latency after the limit, median (worst) of five runs:
  Glucose 4 0.02 s (0.18 s), Glucose 3 0.12 s (0.22 s), RC2 over ``g3`` 0.006 s
  (0.03 s); through this layer, :func:`reluinv.solve_sat` 0.04 s (0.10 s) and
  :func:`reluinv.solve_maxsat` 0.03 s (0.08 s). After ``clear_interrupt()`` the same
  solver answers again. An ``interrupt()`` that lands *between* two calls is kept: the
  next ``solve_limited`` returns ``None`` at once, so no limit is lost in a loop of calls.
* ``cadical195`` and ``cadical153`` (with or without proofs): ``interrupt()`` raises
  ``NotImplementedError`` ("Limited solve is currently unsupported by CaDiCaL") in the
  timer thread and the solve runs on to its end. RC2 over ``cd195`` fails the same way.

Hence the rule: **CaDiCaL runs only without a time limit**. Asking for it with a time
limit is refused (:func:`choose_sat_solver` raises), and ``solver=None`` picks CaDiCaL
1.9.5 without a limit and Glucose 4 with one; the result records which ran.

Time limits
-----------
One mechanism, in this process (:func:`interrupt_after`): a daemon
:class:`threading.Timer` calls the solver's (or RC2's) ``interrupt()`` when the limit
passes; the call was made with ``expect_interrupt=True`` and returns without an answer.
An interrupted call reports ``finished=False`` and never a verdict: callers turn it into
UNKNOWN. On leaving, the timer is cancelled *and joined* (so it can never touch a deleted
solver) and the interrupt flag is cleared, so the solver is usable again (and it is deleted
by its ``with`` block). Only the ``drup`` proof checker, compiled code with no interrupt,
still runs in a child process (:mod:`reluinv.oracles._bounded`).

The RC2 configuration
---------------------
:func:`make_rc2` is the only place RC2 is built:
``RC2(wcnf, solver="g3", adapt=False, exhaust=False, minz=False, trim=0)``, that is
plain core-guided RC2 over Glucose 3, every heuristic off, each setting written out.

* ``solver="g3"``: Glucose 3 can be interrupted (CaDiCaL cannot) and was the fastest
  oracle measured here; Glucose 4 is as good within noise (6.8 s against 4.7 s on the
  bundled MaxSAT files, 2.5 s against 2.4 s on the exact backend's problems below).
* ``adapt``, ``exhaust``, ``minz`` (AtMost1 detection, core exhaustion, core
  minimisation) off: measured, they cost time on everything reluinv solves. On the 45
  bundled MaxSAT files the total was 4.7 s plain against 11.9 s with all three on
  ``g4`` (the slowest file 0.4 s against 3.9 s); on the exact maxsat backend's l1
  problems (encoded random MAX-3SAT k = 20..40, weighted k = 20, PHP(7, 6)) 2.4 s
  against 5.0 s. They also make SAT calls that RC2 never interrupts, which would delay
  the end of an interrupted call; with them off every SAT call RC2 makes is
  interruptible.
* The optimum does not depend on the configuration (all of them agreed on every file);
  the bundled manifest is the same bytes whichever is used.

One configuration everywhere means the exact MaxSAT backend, :func:`reluinv.solve_maxsat`
and the bundled set's RC2 answers are computed alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from pysat.examples.rc2 import RC2
from pysat.formula import WCNF
from pysat.solvers import Solver

from reluinv.arguments import check_choice, check_time_limit
from reluinv.errors import InvalidArgumentError
from reluinv.interrupts import stop_on_interrupt

__all__ = [
    "DEFAULT_SAT_SOLVER",
    "INTERRUPTIBLE_SAT_SOLVER",
    "PROOF_SOLVERS",
    "RC2_ENGINE",
    "RC2_ORACLE",
    "SAT_SOLVER_TABLE",
    "SECOND_OPINION_SOLVER",
    "MaxSatCall",
    "SatCall",
    "SolverEntry",
    "assignment_from_model",
    "choose_sat_solver",
    "interrupt_after",
    "make_rc2",
    "rc2_optimum",
    "sat_solver",
    "solve_clauses",
]


@dataclass(frozen=True)
class SolverEntry:
    """One row of the solver table.

    Attributes
    ----------
    name:
        The python-sat solver name.
    solver:
        The solver and its version.
    proof_accepted:
        Whether ``drup`` has accepted this solver's DRUP refutations.
    interruptible:
        Whether python-sat's ``interrupt()`` stops this solver (measured; see the module
        docstring). A solver that is not can only run without a time limit.
    """

    name: str
    solver: str
    proof_accepted: bool
    interruptible: bool


SAT_SOLVER_TABLE: dict[str, SolverEntry] = {
    entry.name: entry
    for entry in (
        SolverEntry("cadical195", "CaDiCaL 1.9.5", proof_accepted=True, interruptible=False),
        SolverEntry("cadical153", "CaDiCaL 1.5.3", proof_accepted=True, interruptible=False),
        SolverEntry("glucose4", "Glucose 4.1", proof_accepted=True, interruptible=True),
    )
}
"""The python-sat solvers reluinv offers, by name (the table of the module docstring)."""

PROOF_SOLVERS = tuple(name for name, entry in SAT_SOLVER_TABLE.items() if entry.proof_accepted)
"""Solver names whose DRUP proofs ``drup`` accepts: what ``solve_sat(solver=...)`` takes."""

DEFAULT_SAT_SOLVER = "cadical195"
"""The decision solver without a time limit."""

INTERRUPTIBLE_SAT_SOLVER = "glucose4"
"""The decision solver under a time limit (CaDiCaL cannot be interrupted)."""

SECOND_OPINION_SOLVER = "glucose4"
"""The independent solver whose answer must agree with :data:`DEFAULT_SAT_SOLVER`'s."""

RC2_ORACLE = "g3"
"""The SAT oracle under RC2 (Glucose 3, interruptible; see the module docstring)."""

RC2_ENGINE = f"rc2-{RC2_ORACLE}"
"""The name records give RC2 in this configuration (python-sat's RC2 over Glucose 3)."""


class _Interruptible(Protocol):
    def interrupt(self) -> None: ...

    def clear_interrupt(self) -> None: ...


def choose_sat_solver(solver: str | None, time_limit: float | None,
                      name: str = "solver") -> str:
    """The solver to run: ``solver`` checked against the table, or the default.

    ``None`` gives :data:`DEFAULT_SAT_SOLVER` without a time limit and
    :data:`INTERRUPTIBLE_SAT_SOLVER` with one. A named solver must be one of
    :data:`PROOF_SOLVERS`, and one that cannot be interrupted is refused with a time limit
    (it would run past the limit).

    >>> choose_sat_solver(None, None), choose_sat_solver(None, 5.0)
    ('cadical195', 'glucose4')
    """
    if solver is None:
        return DEFAULT_SAT_SOLVER if time_limit is None else INTERRUPTIBLE_SAT_SOLVER
    check_choice(solver, name, PROOF_SOLVERS)
    if time_limit is not None and not SAT_SOLVER_TABLE[solver].interruptible:
        usable = [n for n in PROOF_SOLVERS if SAT_SOLVER_TABLE[n].interruptible]
        raise InvalidArgumentError(
            f"{name} = {solver!r} cannot be interrupted (python-sat has no interrupt for "
            f"it), so it cannot keep a time limit; use one of {usable} or no time limit"
        )
    return solver


def sat_solver(name: str, clauses: Iterable[Sequence[int]] = (), *,
               proof: bool = False) -> Solver:
    """A python-sat solver from the table, loaded with ``clauses`` (use it in ``with``)."""
    check_choice(name, "solver", tuple(SAT_SOLVER_TABLE))
    return Solver(name=name, bootstrap_with=[list(c) for c in clauses], with_proof=proof)


def make_rc2(wcnf: WCNF, *, record_cores: bool = False) -> RC2:
    """RC2 on ``wcnf`` in reluinv's one configuration (see the module docstring).

    Plain core-guided RC2 over Glucose 3 (interruptible), AtMost1 detection, core
    exhaustion, core minimisation and core trimming off: the fastest measured on reluinv's
    formulas. Use it in a ``with`` block, or call ``delete()``.

    With ``record_cores`` the object also keeps, in ``recorded_cores``, the clause
    selectors of every core it processes (the search is the same). RC2 stores each core it
    extracts in ``core``, split by ``get_core`` into ``core_sels`` (selectors of soft
    clauses) and ``core_sums`` (outputs of totalizers built over earlier cores, whose inputs
    are selectors of earlier cores); so the union of the recorded ``core_sels`` is the set
    of soft clauses RC2's lower-bound reasoning ever touched.
    """
    rc2 = RC2(wcnf, solver=RC2_ORACLE, adapt=False, exhaust=False, minz=False, trim=0)
    if record_cores:
        recorded: list[tuple[int, ...]] = []
        extract = rc2.get_core

        def get_core() -> None:
            extract()
            if rc2.core:
                recorded.append(tuple(rc2.core_sels))

        rc2.get_core = get_core
        rc2.recorded_cores = recorded
    return rc2


def assignment_from_model(model: Sequence[int] | None, num_vars: int) -> tuple[int, ...]:
    """Turn a solver model (a list of signed literals) into a 0/1 tuple of length ``num_vars``.

    Variable ``v`` is at index ``v - 1``. Variables the model does not mention get 0;
    literals above ``num_vars`` (auxiliary variables of an encoding) are ignored.

    >>> assignment_from_model([-1, 3, 5], 4)
    (0, 0, 1, 0)
    """
    values = [0] * num_vars
    for literal in model or ():
        var = abs(literal)
        if var <= num_vars:
            values[var - 1] = 1 if literal > 0 else 0
    return tuple(values)


@contextmanager
def interrupt_after(target: _Interruptible, time_limit: float | None
                    ) -> Iterator[threading.Event]:
    """Call ``target.interrupt()`` once ``time_limit`` seconds have passed.

    ``target`` is a python-sat solver of an interruptible kind or an RC2 object, whose
    calls inside the block pass ``expect_interrupt=True``. The yielded event is set when the
    interrupt fired. On leaving the block the timer is cancelled and joined, and a fired
    interrupt is cleared, so ``target`` can be used (or deleted) safely afterwards.
    ``time_limit=None`` starts no timer. A Ctrl-C inside the block raises
    :class:`KeyboardInterrupt` (:func:`reluinv.interrupts.stop_on_interrupt`), never an
    unfinished call.
    """
    fired = threading.Event()

    def ring() -> None:
        fired.set()
        target.interrupt()

    timer = None if time_limit is None else threading.Timer(time_limit, ring)
    if timer is not None:
        timer.daemon = True
        timer.start()
    # Ctrl-C: a call with expect_interrupt leaves SIGINT to Python and is stopped through
    # interrupt(); one without raises python-sat's own error, turned into KeyboardInterrupt
    stops = () if time_limit is None else (target.interrupt,)
    try:
        with stop_on_interrupt(*stops):
            yield fired
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()
            if fired.is_set():
                target.clear_interrupt()


@dataclass(frozen=True)
class SatCall:
    """What one SAT call established.

    ``finished`` is False when the time limit interrupted the solver; ``satisfiable``,
    ``model`` and ``proof`` are then None. ``model`` holds signed literals (when
    satisfiable); ``proof`` the DRUP lines as the solver wrote them, closed by the empty
    clause ``0`` if the solver left it out (when unsatisfiable and a proof was asked for).
    ``seconds`` is the wall-clock time of the call.
    """

    solver: str
    finished: bool
    satisfiable: bool | None
    model: list[int] | None
    proof: list[str] | None
    seconds: float


def solve_clauses(clauses: Sequence[Sequence[int]], *, solver: str | None = None,
                  proof: bool = False, time_limit: float | None = None) -> SatCall:
    """Decide ``clauses`` with one solver of the table, interrupted at ``time_limit``.

    ``solver`` goes through :func:`choose_sat_solver`. The clauses must not be empty
    clauses (python-sat solvers handle ``[]`` inconsistently); callers decide those.
    """
    limit = check_time_limit(time_limit)
    name = choose_sat_solver(solver, limit)
    start = time.perf_counter()
    with sat_solver(name, clauses, proof=proof) as sat, interrupt_after(sat, limit):
        answer = sat.solve_limited(expect_interrupt=limit is not None)
        if answer is None:
            return SatCall(name, False, None, None, None, time.perf_counter() - start)
        model = list(sat.get_model() or []) if answer else None
        lines = _closed_proof(sat.get_proof()) if proof and not answer else None
    return SatCall(name, True, bool(answer), model, lines, time.perf_counter() - start)


def _closed_proof(lines: Sequence[str] | None) -> list[str]:
    """The solver's DRUP lines, ending in the empty clause ``0``.

    Glucose 4 writes no lines at all when unit propagation on the loaded clauses already
    conflicts (for example the clauses ``1``, ``2``, ``-1 -2``). The refutation is then the
    empty clause itself, so ``0`` is appended. This adds no trust: the checker accepts the
    line only if unit propagation on the formula and the earlier lemmas reaches a conflict.
    """
    closed = list(lines or [])
    lemmas = (line.split() for line in reversed(closed) if not line.startswith("d"))
    if next(lemmas, None) != ["0"]:
        closed.append("0")
    return closed


@dataclass(frozen=True)
class MaxSatCall:
    """What one RC2 call established.

    ``finished`` is False when the time limit interrupted RC2 (then nothing else is set).
    A finished call has ``model`` and ``cost`` (RC2's optimum: the least total weight of
    falsified soft clauses), or ``model = None`` when the hard clauses are unsatisfiable.
    ``cores`` holds the soft-clause selectors of every core RC2 processed, when asked for
    (``record_cores=True``), else None.
    """

    finished: bool
    model: list[int] | None
    cost: int | None
    seconds: float
    cores: tuple[tuple[int, ...], ...] | None = None


def rc2_optimum(wcnf: WCNF, *, time_limit: float | None = None,
                record_cores: bool = False) -> MaxSatCall:
    """RC2 (:func:`make_rc2`) on ``wcnf``, interrupted at ``time_limit``.

    An interrupted ``compute`` returns no model, like a formula whose hard part is
    unsatisfiable; the two are told apart by whether the interrupt fired, and a call that
    was interrupted is reported unfinished even if RC2 might have been about to conclude.
    """
    limit = check_time_limit(time_limit)
    start = time.perf_counter()
    with make_rc2(wcnf, record_cores=record_cores) as rc2, \
            interrupt_after(rc2, limit) as fired:
        model = rc2.compute(expect_interrupt=limit is not None)
        cores = tuple(rc2.recorded_cores) if record_cores else None
        if model is None and fired.is_set():
            return MaxSatCall(False, None, None, time.perf_counter() - start)
        if model is None:
            return MaxSatCall(True, None, None, time.perf_counter() - start, cores)
        return MaxSatCall(True, list(model), int(rc2.cost), time.perf_counter() - start,
                          cores)
