"""The fast RUP checker against the verified ``drup``: both accept every honest proof small
enough for both; on corrupted proofs nothing the fast checker accepts is rejected by
``drup``; both reject the corruptions that break a proof for sure."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pysat.examples.genhard import PHP

from reluinv.oracles.proofcheck import check_drup_proof
from reluinv.oracles.pysat_layer import solve_clauses
from reluinv.oracles.rupcheck import RUP_CHECKER, check_refutation, check_rup_proof


def refutation(clauses: list[list[int]], solver: str) -> list[str]:
    call = solve_clauses(clauses, solver=solver, proof=True)
    assert call.satisfiable is False
    assert call.proof is not None
    return call.proof


def random_unsat(seed: int, k: int = 12, ratio: float = 6.0) -> list[list[int]]:
    """An over-constrained random 3-CNF (unsatisfiable for these seeds)."""
    rng = np.random.default_rng(seed)
    clauses = []
    for _ in range(int(ratio * k)):
        variables = rng.choice(np.arange(1, k + 1), 3, replace=False)
        signs = rng.choice([-1, 1], 3)
        clauses.append([int(v) * int(s) for v, s in zip(variables, signs, strict=True)])
    return clauses


FORMULAS = {
    "php-3": [list(c) for c in PHP(3).clauses],
    "php-4": [list(c) for c in PHP(4).clauses],
    "php-5": [list(c) for c in PHP(5).clauses],
    **{f"random-k12-s{seed}": random_unsat(seed) for seed in range(4)},
}
SOLVERS = ("cadical195", "glucose4")


def lemma_lines(proof: list[str]) -> list[int]:
    return [i for i, line in enumerate(proof) if not line.startswith("d")]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_honest_proofs_are_accepted_by_both_checkers(name: str, solver: str) -> None:
    clauses = FORMULAS[name]
    proof = refutation(clauses, solver)
    fast = check_rup_proof(clauses, proof)
    reference = check_drup_proof(clauses, proof, time_limit=60)
    assert reference.accepted is True
    assert fast.accepted is True
    assert fast.checker == RUP_CHECKER
    assert fast.proof_sha256 == reference.proof_sha256
    assert fast.lemmas == reference.lemmas


def drop_empty_clause(proof: list[str]) -> list[str]:
    return [line for line in proof if line.split() != ["0"]]


def only_the_empty_clause(proof: list[str]) -> list[str]:
    return ["0"]


CERTAIN = {"missing-empty-clause": drop_empty_clause,
           "every-lemma-deleted": only_the_empty_clause}


@pytest.mark.parametrize("corruption", sorted(CERTAIN))
@pytest.mark.parametrize("name", ["php-4", "php-5", "random-k12-s0"])
def test_certainly_broken_proofs_are_rejected_by_both(name: str, corruption: str) -> None:
    # unit propagation alone does not refute these formulas, so "0" alone is not RUP
    clauses = FORMULAS[name]
    broken = CERTAIN[corruption](refutation(clauses, "cadical195"))
    assert check_rup_proof(clauses, broken).accepted is False
    assert check_drup_proof(clauses, broken, time_limit=60).accepted is False
    assert check_refutation(clauses, broken).accepted is False


def flip(proof: list[str], line: int, position: int) -> list[str]:
    tokens = proof[line].split()
    tokens[position] = str(-int(tokens[position]))
    return [*proof[:line], " ".join(tokens), *proof[line + 1:]]


def delete(proof: list[str], line: int, position: int) -> list[str]:
    return [*proof[:line], *proof[line + 1:]]


CORRUPTIONS: dict[str, Callable[[list[str], int, int], list[str]]] = {
    "flipped-literal": flip, "deleted-lemma": delete}


def corrupt_one_lemma(data: st.DataObject, proof: list[str], lines: list[int],
                      corruption: str) -> list[str]:
    """``proof`` with one literal of one of its lemma ``lines``, drawn from ``data``,
    flipped or deleted (``corruption``)."""
    line = data.draw(st.sampled_from(lines), label="line")
    width = len(proof[line].split()) - 1
    position = data.draw(st.integers(0, width - 1), label="literal") if width else 0
    return CORRUPTIONS[corruption](proof, line, position)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(FORMULAS)), solver=st.sampled_from(SOLVERS),
       corruption=st.sampled_from(sorted(CORRUPTIONS)), data=st.data())
def test_what_the_fast_checker_accepts_drup_accepts(
        name: str, solver: str, corruption: str, data: st.DataObject) -> None:
    clauses = FORMULAS[name]
    proof = refutation(clauses, solver)
    lines = [i for i in lemma_lines(proof) if proof[i].split() != ["0"]]
    if not lines:
        event("proof without lemmas before the empty clause")
        return
    broken = corrupt_one_lemma(data, proof, lines, corruption)
    fast = check_rup_proof(clauses, broken)
    reference = check_drup_proof(clauses, broken, time_limit=60)
    event(f"{corruption}: {'rejected' if reference.accepted is False else 'still valid'}")
    # drup also accepts RAT lemmas (a flipped literal often leaves one) and ignores
    # deletions; this checker is strictly RUP and honours deletions: it may reject what
    # drup accepts, never the other way round
    if fast.accepted is not reference.accepted:
        event("drup accepts, rupcheck rejects (a RAT lemma)")
    assert reference.accepted is True or fast.accepted is False


def test_a_lemma_that_is_not_rup_is_named() -> None:
    clauses = [[1, 2], [-1, 2], [1, -2]]  # satisfiable by 1, 2: no refutation exists
    check = check_rup_proof(clauses, ["2 0", "0"])
    assert check.accepted is False
    assert "proof line 1" in check.message


def test_deletions_are_honoured_and_root_literals_kept() -> None:
    clauses = [[1, 2], [1, -2], [-1, 3], [-1, -3]]
    # deleting a clause the refutation needs makes the next lemma fail ...
    assert check_rup_proof(clauses, ["d 1 2 0", "1 0", "0"]).accepted is False
    # ... but a literal derived at the root stays when its unit clause is deleted
    assert check_rup_proof(clauses, ["1 0", "d 1 0", "0"]).accepted is True
    # drup ignores every deletion
    assert check_drup_proof(clauses, ["d 1 2 0", "1 0", "0"]).accepted is True


def test_time_limit_gives_not_checked() -> None:
    clauses = [list(c) for c in PHP(6).clauses]
    proof = refutation(clauses, "glucose4")
    check = check_rup_proof(clauses, proof, time_limit=1e-9)
    assert check.accepted is None
    assert check.message.startswith("not checked")


def test_check_refutation_names_both_checkers_on_small_proofs() -> None:
    clauses = FORMULAS["php-4"]
    check = check_refutation(clauses, refutation(clauses, "cadical195"))
    assert check.accepted is True
    assert check.checker.startswith("drup ")
    assert check.checker.endswith(RUP_CHECKER)
    alone = check_refutation(clauses, refutation(clauses, "cadical195"), drup_up_to=0)
    assert alone.checker == RUP_CHECKER


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["php-4", "random-k12-s0"]),
       corruption=st.sampled_from(sorted(CORRUPTIONS)), data=st.data())
def test_drup_in_process_gives_the_child_processes_verdict(
        name: str, corruption: str, data: st.DataObject) -> None:
    """The in-process ``drup`` run on tiny proofs (``DRUP_IN_PROCESS_UP_TO``) gives the
    verdict, lemma count and hash of the bounded child run, on honest and corrupted
    proofs (a corruption ``drup`` still accepts counts as honest)."""
    from reluinv.oracles.rupcheck import _drup_in_process

    clauses = FORMULAS[name]
    proof = refutation(clauses, "cadical195")
    lines = [i for i in lemma_lines(proof) if proof[i].split() != ["0"]]
    if lines and data.draw(st.booleans(), label="corrupt"):
        proof = corrupt_one_lemma(data, proof, lines, corruption)
    inside = _drup_in_process(clauses, proof)
    child = check_drup_proof(clauses, proof, time_limit=60)
    event(f"drup {'accepts' if child.accepted else 'rejects'}")
    assert inside.accepted is child.accepted
    assert (inside.lemmas, inside.proof_sha256, inside.checker) == (
        child.lemmas, child.proof_sha256, child.checker)


@pytest.mark.parametrize(("also_up_to", "drup_runs"), [(0, False), (10**9, True)])
def test_drup_also_up_to_is_read_when_called(monkeypatch: pytest.MonkeyPatch,
                                             also_up_to: int, drup_runs: bool) -> None:
    """``check_refutation`` without ``drup_up_to`` reads ``DRUP_ALSO_UP_TO`` at call time:
    patching the module constant decides whether ``drup`` checks too."""
    from reluinv.oracles import rupcheck

    clauses = FORMULAS["php-4"]
    proof = refutation(clauses, "cadical195")
    monkeypatch.setattr(rupcheck, "DRUP_ALSO_UP_TO", also_up_to)
    check = check_refutation(clauses, proof)
    assert check.accepted is True
    assert check.checker.startswith("drup ") is drup_runs


@pytest.mark.parametrize(("in_process_up_to", "child"), [(0, True), (10**9, False)])
def test_drup_runs_in_process_only_up_to_the_constant(
        monkeypatch: pytest.MonkeyPatch, in_process_up_to: int, child: bool) -> None:
    """Proofs up to ``DRUP_IN_PROCESS_UP_TO`` are checked by ``drup`` in this process;
    larger ones in a child (``check_drup_proof``), whose message does not say "in process"."""
    from reluinv.oracles import rupcheck

    clauses = FORMULAS["php-4"]
    proof = refutation(clauses, "cadical195")
    calls: list[int] = []
    real = rupcheck.check_drup_proof

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rupcheck, "DRUP_IN_PROCESS_UP_TO", in_process_up_to)
    monkeypatch.setattr(rupcheck, "check_drup_proof", spy)
    check = check_refutation(clauses, proof, drup_up_to=10**12)
    assert check.accepted is True
    assert bool(calls) is child
