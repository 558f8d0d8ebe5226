"""A fast DRUP checker: forward reverse-unit-propagation with two watched literals.

Why a second checker
--------------------
The verified ``drup`` checker (:mod:`reluinv.oracles.proofcheck`) is the reference, but it
is not built for size: it ignores deletions, so every lemma is checked against the whole
formula plus every earlier lemma, and a refutation of about 10^4 lemmas takes minutes. The
refutations behind MaxSAT certificates reach 10^5 lines. This module checks the same
claim, written for speed, and is itself tested against ``drup`` on every proof small enough
for both (and on corrupted proofs both must reject); a record names which checker accepted
which proof.

What is checked
---------------
A DRUP proof is a list of lines: a lemma ``l1 ... lk 0`` or a deletion ``d l1 ... lk 0``.
Let ``D`` be the clause database: the formula's clauses, then, line by line, each lemma
added and each deleted clause removed. A lemma ``L`` is accepted when it is a *RUP*
consequence of ``D``: assigning every literal of ``L`` false and running unit propagation
on ``D`` reaches a conflict. Then ``D and not L`` is unsatisfiable, so every model of ``D``
satisfies ``L``: adding ``L`` keeps the models, and, by induction over the lines, every
model of the formula is a model of ``D``. Deleting a clause keeps every model of ``D`` as a
model of the smaller ``D``. The proof is accepted when every lemma passes and the last one
is the empty clause, which is RUP only when propagation on ``D`` alone conflicts: ``D``,
hence the formula, has no model.

Deletions are honoured (they keep ``D`` small, which is where the speed comes from). The
root-level assignment (the literals unit propagation derives from ``D`` alone) is kept
when the clause that implied a literal is deleted: the literal follows from an earlier
database, hence from the formula, so checking against ``D`` plus those literals is still
checking against consequences of the formula (it is what ignoring the deletion would give,
as DRAT-trim does for unit clauses). A deletion of a clause not in ``D`` is ignored
(``drup`` ignores every deletion).

Against ``drup``
----------------
``drup`` accepts RAT lemmas as well (a lemma whose every resolvent on its first literal
is RUP: a flipped literal in a proof often leaves one) and ignores deletions. This checker
is strictly RUP and honours deletions, so it accepts a subset of what ``drup`` accepts:
it may reject a proof ``drup`` accepts, never the other way round (the tests hold it to
that, and both accept every proof the solvers here wrote).

How it is fast
--------------
* Literals are integers ``2 v + sign``, so the negation is ``x ^ 1`` and the value table is
  one flat list indexed by literal.
* Two watched literals per clause: a clause is visited only when one of its two watches
  becomes false; the root-level assignment (unit clauses and what they imply) is kept
  across lemmas, and each RUP test only undoes its own trail suffix.
* Deleted clauses are dropped lazily from the watch lists.

The work per lemma is proportional to the watch visits of one propagation, so a proof's
cost is that of replaying the solver's conflicts once, in Python. Measured on the
certificate refutations of this project (``benchmarks/certify.py``), it checks a 10^5-line
proof in seconds where ``drup`` needs minutes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import replace

from reluinv.arguments import check_time_limit
from reluinv.deadline import MIN_STAGE_SECONDS
from reluinv.errors import InvalidArgumentError
from reluinv.oracles._tasks import drup_accepts
from reluinv.oracles.proofcheck import (
    PROOF_CHECKER,
    ProofCheck,
    check_drup_proof,
    parse_drup_lines,
)

__all__ = ["DRUP_ALSO_UP_TO", "DRUP_IN_PROCESS_UP_TO", "RUP_CHECKER", "check_refutation",
           "check_rup_proof"]

RUP_CHECKER = "rupcheck 1"
"""Name and version of this checker, recorded with every proof it judged."""

DRUP_ALSO_UP_TO = 50_000
"""A proof is checked by ``drup`` as well (:func:`check_refutation`) when
``lemmas * (clauses + lemmas)`` is at most this. ``drup`` re-propagates over the whole
database for every lemma (it ignores deletions), so its time grows with that product:
measured on the MaxSAT certificates of the bundled set, 10^4 took 0.14 s, 9 * 10^4
took 2.5 s and 3 * 10^5 took 15 s, while this checker stays well under a second on all
of them."""

DRUP_IN_PROCESS_UP_TO = 10_000
"""Up to this ``lemmas * (clauses + lemmas)``, :func:`check_refutation` runs ``drup`` in
this process rather than in a child (:func:`~reluinv.oracles.proofcheck.check_drup_proof`,
which can end it at a time limit). Starting the child costs about 30 ms on an idle machine
and over 100 ms on a loaded one (load 3: 0.03-0.13 s more than the same check in
process), more than the check itself. Measured in process at load 3 on the SAT
refutations and MaxSAT certificates of random 3-CNF with 20 and 35 variables: sizes up
to 5,000 took 1-20 ms, 5,000-10,000 took 4-105 ms (the MaxSAT certificates of the
20-variable set all fall below 7,500), 12,000-23,000 took 0.2-0.4 s. So a time limit is
overrun by at most about 0.1 s; above this size the child runs."""

#: Lemmas checked between two looks at the clock.
_CLOCK_EVERY = 256


class _Database:
    """The clause database ``D`` with two watched literals per clause and a root trail."""

    def __init__(self, num_vars: int) -> None:
        size = 2 * (num_vars + 1)
        self.value = [0] * size  # value[x]: 1 true, -1 false, 0 unassigned (x a literal code)
        self.watches: list[list[int]] = [[] for _ in range(size)]
        self.clauses: list[list[int] | None] = []
        self.index: dict[tuple[int, ...], list[int]] = {}
        self.trail: list[int] = []
        self.head = 0
        self.inconsistent = False  # propagation at the root has conflicted

    def grow(self, num_vars: int) -> None:
        extra = 2 * (num_vars + 1) - len(self.value)
        if extra > 0:
            self.value.extend([0] * extra)
            self.watches.extend([] for _ in range(extra))

    def assign(self, x: int) -> None:
        self.value[x] = 1
        self.value[x ^ 1] = -1
        self.trail.append(x)

    def propagate(self) -> bool:
        """Unit propagation from ``head``; True on a conflict."""
        value, watches, clauses, trail = self.value, self.watches, self.clauses, self.trail
        head = self.head
        while head < len(trail):
            false = trail[head] ^ 1
            head += 1
            ws = watches[false]
            n = len(ws)
            i = j = 0
            while i < n:
                cid = ws[i]
                i += 1
                c = clauses[cid]
                if c is None:  # deleted: drop the watch
                    continue
                if c[0] == false:
                    c[0] = c[1]
                    c[1] = false
                first = c[0]
                if value[first] == 1:
                    ws[j] = cid
                    j += 1
                    continue
                for k in range(2, len(c)):
                    other = c[k]
                    if value[other] != -1:
                        c[1] = other
                        c[k] = false
                        watches[other].append(cid)
                        break
                else:
                    ws[j] = cid
                    j += 1
                    if value[first] == -1:  # conflict: keep the remaining watches
                        while i < n:
                            ws[j] = ws[i]
                            j += 1
                            i += 1
                        del ws[j:]
                        self.head = head
                        return True
                    value[first] = 1
                    value[first ^ 1] = -1
                    trail.append(first)
            del ws[j:]
        self.head = head
        return False

    def add(self, literals: list[int]) -> None:
        """Add a clause (literal codes, no duplicates, no tautology) at the root."""
        if self.inconsistent:
            return
        value = self.value
        if not literals:
            self.inconsistent = True
            return
        # watch two literals that are not false at the root, when there are
        free = [x for x in literals if value[x] != -1]
        if not free:
            self.inconsistent = True
            return
        rest = [x for x in literals if value[x] == -1]
        clause = free + rest
        cid = len(self.clauses)
        self.clauses.append(clause)
        self.index.setdefault(tuple(sorted(literals)), []).append(cid)
        if len(clause) >= 2:
            self.watches[clause[0]].append(cid)
            self.watches[clause[1]].append(cid)
        if len(free) == 1 and value[free[0]] == 0:
            self.assign(free[0])
            if self.propagate():
                self.inconsistent = True

    def delete(self, literals: list[int]) -> None:
        """Delete one copy of a clause (nothing when it is not in the database); the root
        assignment stays (see the module docstring)."""
        ids = self.index.get(tuple(sorted(literals)))
        if ids:
            self.clauses[ids.pop()] = None

    def rup(self, literals: list[int]) -> bool:
        """Whether ``literals`` (a clause) is a RUP consequence of the database."""
        if self.inconsistent:
            return True
        value = self.value
        mark = len(self.trail)
        conflict = False
        for x in literals:
            v = value[x]
            if v == 1:  # a literal already true at the root: its negation conflicts
                conflict = True
                break
            if v == 0:
                self.assign(x ^ 1)
        if not conflict:
            conflict = self.propagate()
        trail = self.trail
        for x in trail[mark:]:
            value[x] = 0
            value[x ^ 1] = 0
        del trail[mark:]
        self.head = mark
        return conflict


def _codes(tokens: list[str], number: int, line: str) -> tuple[list[int], int]:
    """Literal codes of one proof line's tokens (ending in ``0``) and the largest variable;
    duplicates removed; a tautology is returned with its complementary pair."""
    try:
        literals = [int(token) for token in tokens]
    except ValueError:
        raise InvalidArgumentError(
            f"proof line {number} {line!r} is not a DRUP line (integers ending in 0)"
        ) from None
    if not literals or literals[-1] != 0 or 0 in literals[:-1]:
        raise InvalidArgumentError(
            f"proof line {number} {line!r} must end in 0 and contain no other 0")
    codes = list(dict.fromkeys(2 * lit if lit > 0 else -2 * lit + 1 for lit in literals[:-1]))
    top = max((abs(lit) for lit in literals[:-1]), default=0)
    return codes, top


def check_rup_proof(
    clauses: Sequence[Sequence[int]],
    proof_lines: Sequence[str],
    *,
    time_limit: float | None = None,
) -> ProofCheck:
    """Check a text DRUP refutation of ``clauses`` by forward RUP checking.

    Parameters
    ----------
    clauses:
        The formula, as lists of non-zero literals (empty clauses allowed).
    proof_lines:
        The proof as text lines (lemmas and ``d`` deletion lines), as python-sat's
        ``get_proof()`` returns them.
    time_limit:
        Seconds before the check is abandoned (``None``: no limit); it is then reported
        as not checked (``accepted=None``), never as accepted or rejected.

    Returns
    -------
    ProofCheck
        ``accepted`` is True when every lemma is a RUP consequence of the database before
        it and the last lemma is the empty clause; False naming the first lemma that is
        not (or the missing empty clause); None when the time limit passed.

    Examples
    --------
    >>> check_rup_proof([[1, 2], [-1, 2], [1, -2], [-1, -2]], ["2 0", "0"]).accepted
    True
    >>> check_rup_proof([[1, 2], [-1, 2], [1, -2], [-1, -2]], ["1 0", "0"]).accepted
    True
    >>> check_rup_proof([[1, 2], [-1, 2], [1, -2]], ["2 0", "0"]).accepted
    False
    """
    limit = check_time_limit(time_limit, "time_limit")
    start = time.perf_counter()
    deadline = None if limit is None else start + limit
    digest = hashlib.sha256("\n".join(proof_lines).encode()).hexdigest()
    top = max((abs(lit) for clause in clauses for lit in clause), default=0)
    database = _Database(top)
    for clause in clauses:
        codes = list(dict.fromkeys(2 * lit if lit > 0 else -2 * lit + 1 for lit in clause))
        if any(x ^ 1 in codes for x in codes):
            continue  # a tautology constrains nothing
        if not codes:
            database.inconsistent = True
            continue
        database.add(codes)

    lemmas = deletions = 0
    last_empty = False

    def verdict(accepted: bool | None, text: str) -> ProofCheck:
        return ProofCheck(accepted, RUP_CHECKER, lemmas, deletions, digest,
                          time.perf_counter() - start, text)

    for number, line in enumerate(proof_lines):
        tokens = line.split()
        if tokens[:1] == ["d"]:
            codes, var = _codes(tokens[1:], number, line)
            deletions += 1
            if var * 2 + 1 < len(database.value):
                database.delete(codes)
            continue
        codes, var = _codes(tokens, number, line)
        lemmas += 1
        if deadline is not None and lemmas % _CLOCK_EVERY == 0 and time.perf_counter() > deadline:
            return verdict(None, f"not checked: {RUP_CHECKER} did not finish within {limit} s "
                                 f"({lemmas} lemmas in)")
        database.grow(var)
        if not database.rup(codes):
            return verdict(False, f"rejected: lemma on proof line {number} ({line!r}) is not "
                                  f"a RUP consequence ({RUP_CHECKER})")
        last_empty = not codes
        if any(x ^ 1 in codes for x in codes):
            continue
        database.add(codes)
    if not last_empty:
        return verdict(False, "rejected: the proof does not end in the empty clause")
    return verdict(True, f"accepted ({lemmas} lemmas, {deletions} deletions, {RUP_CHECKER})")


def check_refutation(
    clauses: Sequence[Sequence[int]],
    proof_lines: Sequence[str],
    *,
    time_limit: float | None = None,
    drup_up_to: int | None = None,
) -> ProofCheck:
    """Check a DRUP refutation with this checker, and with ``drup`` too when it is small.

    :func:`check_rup_proof` always runs; ``drup`` (:func:`~reluinv.oracles.proofcheck.
    check_drup_proof`) also runs when ``lemmas * (clauses + lemmas) <= drup_up_to``. The
    verdict is accepted only when every checker that finished accepted; a rejection by
    either is a rejection (and two checkers that disagree are named in the message); a
    check that did not finish leaves the other's verdict, or None when neither finished.
    ``checker`` names the checkers whose verdict counts, joined by ``" + "``
    (``"drup 1.2.1 + rupcheck 1"``); ``seconds`` is their sum. ``time_limit`` bounds the
    two checkers together (``drup`` gets what the fast checker left). ``drup_up_to``:
    ``None`` reads :data:`DRUP_ALSO_UP_TO` when called (not when this module was
    imported), so a changed module constant takes effect; ``drup`` runs in this process up
    to :data:`DRUP_IN_PROCESS_UP_TO`, read the same way.
    """
    limit_size = DRUP_ALSO_UP_TO if drup_up_to is None else drup_up_to
    fast = check_rup_proof(clauses, proof_lines, time_limit=time_limit)
    size = fast.lemmas * (len(clauses) + fast.lemmas)
    if size > limit_size or fast.accepted is False:
        return fast
    limit = check_time_limit(time_limit, "time_limit")
    left = None if limit is None else max(MIN_STAGE_SECONDS, limit - fast.seconds)
    reference = (_drup_in_process(clauses, proof_lines) if size <= DRUP_IN_PROCESS_UP_TO
                 else check_drup_proof(clauses, proof_lines, time_limit=left))
    seconds = fast.seconds + reference.seconds
    if reference.accepted is None:
        return replace(fast, seconds=seconds,
                       message=f"{fast.message}; drup: {reference.message}")
    if fast.accepted is None:
        return replace(reference, seconds=seconds)
    checker = f"{reference.checker} + {fast.checker}"
    if reference.accepted != fast.accepted:
        return replace(fast, accepted=False, checker=checker, seconds=seconds,
                       message=f"rejected: the checkers disagree ({reference.checker}: "
                               f"{reference.message}; {fast.checker}: {fast.message})")
    return replace(fast, checker=checker, seconds=seconds,
                   message=f"accepted by {checker} ({fast.lemmas} lemmas)")


def _drup_in_process(clauses: Sequence[Sequence[int]], proof_lines: Sequence[str]
                     ) -> ProofCheck:
    """:func:`~reluinv.oracles.proofcheck.check_drup_proof` without the child process, for
    proofs within :data:`DRUP_IN_PROCESS_UP_TO` (same verdicts and messages)."""
    start = time.perf_counter()
    lemmas, deletions = parse_drup_lines(proof_lines)
    digest = hashlib.sha256("\n".join(proof_lines).encode()).hexdigest()
    if not lemmas or lemmas[-1]:
        return ProofCheck(False, PROOF_CHECKER, len(lemmas), deletions, digest,
                          time.perf_counter() - start,
                          "rejected: the proof does not end in the empty clause")
    try:
        accepted = drup_accepts([list(clause) for clause in clauses], lemmas)
    except Exception as exc:  # the checker's own failure is "not checked", as in the child
        return ProofCheck(None, PROOF_CHECKER, len(lemmas), deletions, digest,
                          time.perf_counter() - start,
                          f"not checked: the checker failed ({type(exc).__name__}: {exc})")
    verdict = "accepted" if accepted else "rejected: some lemma is not a RUP consequence"
    return ProofCheck(accepted, PROOF_CHECKER, len(lemmas), deletions, digest,
                      time.perf_counter() - start,
                      f"{verdict} ({len(lemmas)} lemmas, {PROOF_CHECKER}, in process)")
