"""Checking DRUP refutations with an independent, formally verified checker.

A DRUP proof of unsatisfiability is a list of *lemmas*, clauses a solver learned, ending in
the empty clause. Each lemma ``L`` must be a reverse-unit-propagation (RUP) consequence of
the formula plus the earlier lemmas: assigning every literal of ``L`` false and running unit
propagation must reach a conflict. A proof whose last lemma is the empty clause and whose
every step passes this test shows the formula has no satisfying assignment, whatever the
solver that wrote it got wrong elsewhere.

The checker is the ``drup`` package, extracted from Why3 code that is proven correct. Two
facts about it shape this module:

* It ignores deletion lines (``d ...``), and its text reader fails on them. We drop them
  before checking: ignoring deletions keeps more clauses, which only makes the RUP test
  easier to pass for sound lemmas and never admits an unsound one.
* It is not optimised: a refutation of a few hundred lemmas checks in milliseconds, one of
  about 7,500 lemmas (pigeonhole PHP(8, 7)) takes more than a minute. A check therefore
  runs in a child process under a time limit (:mod:`reluinv.oracles._bounded`); a check that did
  not finish is reported as "not checked", never as accepted or rejected.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

from reluinv.arguments import check_sequence, check_text_lines
from reluinv.errors import InvalidArgumentError
from reluinv.oracles._bounded import run_bounded

__all__ = [
    "DEFAULT_PROOF_TIME_LIMIT",
    "PROOF_CHECKER",
    "ProofCheck",
    "check_drup_proof",
    "parse_drup_lines",
]

PROOF_CHECKER = f"drup {version('drup')}"
"""Name and version of the checker recorded with every checked proof."""

DEFAULT_PROOF_TIME_LIMIT = 60.0
"""Seconds a proof check may take before it is abandoned (and reported as not checked)."""


@dataclass(frozen=True)
class ProofCheck:
    """The verdict of the proof checker on one refutation.

    Attributes
    ----------
    accepted:
        True when the checker accepted a proof ending in the empty clause; False when it
        rejected the proof (or the proof does not end in the empty clause); None when the
        check did not run to completion (time limit, checker failure), see ``message``.
    checker:
        The checker's name and version (:data:`PROOF_CHECKER`).
    lemmas:
        Number of lemmas checked (deletion lines are not counted).
    deletions:
        Number of deletion lines dropped before checking.
    proof_sha256:
        SHA-256 of the proof text as given (lines joined by newlines, deletions included),
        so a record names which proof the checker judged.
    seconds:
        Wall-clock seconds the check took, child process start included.
    message:
        What happened, in one line.
    """

    accepted: bool | None
    checker: str
    lemmas: int
    deletions: int
    proof_sha256: str
    seconds: float
    message: str


def parse_drup_lines(lines: Sequence[str]) -> tuple[list[list[int]], int]:
    """Parse text DRUP lines into lemma clauses, dropping deletion lines.

    Every line is ``l1 l2 ... 0`` (a lemma) or ``d l1 l2 ... 0`` (a deletion); the empty
    clause is the line ``0``. Returns the lemmas, in order, and the number of deletions.

    >>> parse_drup_lines(["1 -2 0", "d 3 0", "0"])
    ([[1, -2], []], 1)
    """
    lemmas: list[list[int]] = []
    deletions = 0
    for number, line in enumerate(lines):
        tokens = line.split()
        if tokens[:1] == ["d"]:
            deletions += 1
            continue
        try:
            literals = [int(token) for token in tokens]
        except ValueError:
            raise InvalidArgumentError(
                f"proof line {number} {line!r} is not a DRUP lemma (integers ending in 0)"
            ) from None
        if not literals or literals[-1] != 0 or 0 in literals[:-1]:
            raise InvalidArgumentError(
                f"proof line {number} {line!r} must end in 0 and contain no other 0"
            )
        lemmas.append(literals[:-1])
    return lemmas, deletions


def check_drup_proof(
    clauses: Sequence[Sequence[int]],
    proof_lines: Sequence[str],
    *,
    time_limit: float | None = DEFAULT_PROOF_TIME_LIMIT,
) -> ProofCheck:
    """Check a text DRUP refutation of ``clauses`` with the verified ``drup`` checker.

    Parameters
    ----------
    clauses:
        The formula the proof refutes, as lists of non-zero literals (empty clauses allowed).
    proof_lines:
        The proof as text lines, as python-sat's ``get_proof()`` returns them.
    time_limit:
        Seconds before the check is abandoned (``None``: no limit). The check always runs
        in a child process, so the limit holds even though the checker cannot be
        interrupted.

    Returns
    -------
    ProofCheck
        ``accepted`` is True only when the checker accepted and the last lemma is the
        empty clause.
    """
    start = time.perf_counter()
    for j, clause in enumerate(check_sequence(clauses, "clauses", of="clauses")):
        check_sequence(clause, f"clauses[{j}]", of="literals")
    proof_lines = check_text_lines(proof_lines, "proof_lines")
    lemmas, deletions = parse_drup_lines(proof_lines)
    digest = hashlib.sha256("\n".join(proof_lines).encode()).hexdigest()
    if not lemmas or lemmas[-1]:
        return ProofCheck(
            False, PROOF_CHECKER, len(lemmas), deletions, digest, time.perf_counter() - start,
            "rejected: the proof does not end in the empty clause",
        )
    formula = [list(clause) for clause in clauses]
    outcome = run_bounded("drup_accepts", (formula, lemmas), time_limit=time_limit)
    seconds = time.perf_counter() - start
    if not outcome.finished:
        return ProofCheck(
            None, PROOF_CHECKER, len(lemmas), deletions, digest, seconds,
            f"not checked: the checker did not finish within {time_limit} s",
        )
    if outcome.error is not None:
        return ProofCheck(
            None, PROOF_CHECKER, len(lemmas), deletions, digest, seconds,
            f"not checked: the checker failed ({outcome.error})",
        )
    accepted = bool(outcome.value)
    verdict = "accepted" if accepted else "rejected: some lemma is not a RUP consequence"
    return ProofCheck(accepted, PROOF_CHECKER, len(lemmas), deletions, digest, seconds,
                      f"{verdict} ({len(lemmas)} lemmas, {PROOF_CHECKER})")
