"""A small mutation check: break the code on purpose, one named mutant at a time, and see
that the tests notice (``make mutants``).

Each mutant is a list of exact text substitutions in one source file (each ``old`` text
must occur exactly once, so a mutant that no longer applies is reported, not skipped).
For each mutant the package's ``src`` tree is copied to a temporary folder, mutated there,
and the mutant's tests run against the copy (``PYTHONPATH`` puts it first); the working
tree is never touched. A mutant is *killed* when a test fails, and the first failing test
is named. The run exits 1 if any mutant survives or does not apply.

    python -m tests.mutants                 # every mutant
    python -m tests.mutants --only h-nonneg-dropped
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Property tests first, so "killed by" names a property test when one notices.
LAYERWISE_TESTS = ("tests/property/test_layerwise_differential.py",
                   "tests/property/test_layerwise_properties.py", "tests/unit/test_layerwise.py")
CHECK_TESTS = ("tests/property/test_layerwise_check.py",)
NOISY_TESTS = ("tests/property/test_noisy_layerwise.py", "tests/unit/test_layerwise.py")
FAST_PATH_TESTS = ("tests/property/test_layerwise_fast_paths.py",
                   "tests/property/test_noisy_layerwise.py")
CHEAP_ROUTE_TESTS = ("tests/property/test_layerwise_cheap_routes.py",
                     "tests/property/test_noisy_layerwise.py")
INVERTER = "reluinv/layerwise/inverter.py"
COMPOSED = "reluinv/layerwise/composed.py"
NOISY = "reluinv/layerwise/noisy.py"
LAYER_SYSTEM = "reluinv/layerwise/layer_system.py"
LSTSQ = "reluinv/layerwise/lstsq.py"
SCALE_TESTS = ("tests/property/test_layerwise_scale.py",)
LSTSQ_TESTS = ("tests/property/test_lstsq.py", "tests/property/test_layerwise_fast_paths.py")
LP = "reluinv/layerwise/lp.py"
CHECK = "reluinv/validation/check.py"
VERIFY = "reluinv/exact/verify.py"
VERIFY_TESTS = ("tests/unit/test_exact_contract.py",)
VNNLIB = "reluinv/data/vnnlib.py"
VNNLIB_TESTS = ("tests/property/test_vnnlib_limits.py", "tests/integration/test_hostile_inputs.py")
ARGUMENTS = "reluinv/arguments.py"
INTERRUPTS = "reluinv/interrupts.py"
INTERRUPT_TESTS = ("tests/property/test_interrupt_blocks.py", "tests/unit/test_interrupts.py")
INTERRUPT_CLI_TESTS = "tests/integration/test_interrupts.py"
ONNX_IO = "reluinv/data/onnx_io.py"
ONNX_IO_TESTS = ("tests/unit/test_onnx_io.py",)


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to src/
    substitutions: tuple[tuple[str, str], ...]
    tests: tuple[str, ...]


MUTANTS = (
    Mutant("inactive-rows-dropped", LAYER_SYSTEM, (
        ("        ina = ~self.active\n", "        ina = np.zeros_like(self.active)\n"),
    ), LAYERWISE_TESTS),
    Mutant("inactive-row-flipped", LAYER_SYSTEM, (
        ("return self.W[ina], -self.b[ina]", "return -self.W[ina], self.b[ina]"),
        ("return (self.W @ basis)[ina], -self.b[ina] - (self.W @ offset)[ina]",
         "return -(self.W @ basis)[ina], self.b[ina] + (self.W @ offset)[ina]"),
    ), LAYERWISE_TESTS),
    Mutant("h-nonneg-dropped", INVERTER, (
        ("nonneg = i >= 2 and not leaky", "nonneg = False"),
    ), LAYERWISE_TESTS),
    Mutant("noisy-acceptance-x1000", INVERTER, (
        ("bound = float(top_level) + top_spread + realizable_bound",
         "bound = 1000 * float(top_level) + top_spread + realizable_bound"),
    ), NOISY_TESTS + LAYERWISE_TESTS),
    Mutant("realizable-acceptance-x1000", INVERTER, (
        ("realizable_bound = residual_tol * max(",
         "realizable_bound = 1000 * residual_tol * max("),
    ), LAYERWISE_TESTS),
    Mutant("fit-reported-as-recovered", INVERTER, (
        ("return finish(LayerwiseStatus.FIT,", "return finish(LayerwiseStatus.RECOVERED,"),
    ), LAYERWISE_TESTS),
    Mutant("inconclusive-as-no-preimage", INVERTER, (
        ("        return finish(LayerwiseStatus.INCONCLUSIVE, None, nan, realizable_bound,\n"
         "                      f\"layer {failed_layer} found no pre-image; {reason}\")",
         "        return finish(LayerwiseStatus.NO_PREIMAGE, None, nan, realizable_bound,\n"
         "                      f\"layer {failed_layer} found no pre-image; {reason}\")"),
    ), LAYERWISE_TESTS),
    Mutant("inconclusive-as-recovered-with-the-lp-point", INVERTER, (
        ("return finish(LayerwiseStatus.INCONCLUSIVE, z, residuals, bound,",
         "return finish(LayerwiseStatus.RECOVERED, z, residuals, bound,"),
    ), LAYERWISE_TESTS),
    Mutant("noisy-threshold-ignores-the-noise", NOISY, (
        ("        return np.maximum(np.broadcast_to(np.asarray(level, dtype=np.float64), "
         "y.shape),\n                          tau_floor)",
         "        return np.full(y.shape, max(tau_floor, 1e-9))"),
    ), NOISY_TESTS),
    Mutant("l1-budget-dropped", NOISY, (
        ('budget_row = noise == "l1" and one.size > 0', "budget_row = False"),
    ), NOISY_TESTS),
    Mutant("accepted-misfit-x10", NOISY, (
        ("judged <= accepted + tolerance if certain and rigorous",
         "judged <= 10 * accepted + tolerance if certain and rigorous"),
    ), NOISY_TESTS),
    Mutant("output-spread-x1000", NOISY, (
        ("return float(np.max(np.abs(W) @ np.asarray(hidden), initial=0.0))",
         "return 1000 * float(np.max(np.abs(W) @ np.asarray(hidden), initial=0.0))"),
    ), NOISY_TESTS),
    Mutant("leaky-near-zero-band-one-signed", NOISY, (
        ("lower = np.where(positive | (y > 0.0), y, y * inverse)",
         "lower = np.where(negative, y * inverse, y)"),
        ("lower_scale = np.where(positive, 1.0, np.where(\n"
         "        y > 0.0, _near_zero_lower_scale(y, level, slope), inverse))",
         "lower_scale = np.where(negative, inverse, 1.0)"),
    ), NOISY_TESTS),
    Mutant("bound-from-an-estimated-level", NOISY, (
        ("        bounded = rigorous  # from an estimate of the input's level, an estimate too",
         "        bounded = True  # from an estimate of the input's level, an estimate too"),
    ), NOISY_TESTS),
    Mutant("lp6-judged-by-its-total", NOISY, (
        ("            budgeted = lp_noise == \"l1\"\n", "            budgeted = False\n"),
    ), NOISY_TESTS),
    Mutant("near-zero-chord-through-delta-over-alpha", NOISY, (
        ("        chord = inverse - (y / delta) * (inverse - 1.0)",
         "        chord = (y - (y - delta) / slope) / delta"),
    ), NOISY_TESTS),
    Mutant("layer-lp-in-raw-units", NOISY, (
        ("    if sigma == 1.0:\n        return _layer_lp(",
         "    if True:\n        return _layer_lp("),
    ), NOISY_TESTS),
    Mutant("leaky-near-zero-band-above-a-positive-output", NOISY, (
        ("lower = np.where(positive | (y > 0.0), y, y * inverse)",
         "lower = np.where(positive, y, y * inverse)"),
        ("np.where(\n        y > 0.0, _near_zero_lower_scale(y, level, slope), inverse))",
         "inverse)"),
    ), NOISY_TESTS),
    Mutant("least-squares-kept-unjudged", NOISY, (
        ("        if chosen[2] > accepted + tolerance:\n            chosen = None",
         "        if False:\n            chosen = None"),
    ), NOISY_TESTS),
    Mutant("propagation-without-conditioning", NOISY, (
        ("next_noise = (np.abs(pinv) @ gaps if linf",
         "next_noise = (np.full(n, float(np.max(gaps))) if linf"),
    ), NOISY_TESTS),
    Mutant("estimated-noise-reported-as-stated", INVERTER, (
        ("noise_estimated=estimated,", "noise_estimated=False,"),
    ), NOISY_TESTS),
    Mutant("dual-working-set-never-grows", LP, (
        ("        if violated.size == 0:\n", "        if True:\n"),
    ), FAST_PATH_TESTS),
    Mutant("dual-h-sign-flipped", LP, (
        ("        duals = np.asarray(solver.getSolution().row_dual, dtype=np.float64)\n"
         "        return DenseLPSolution(\"optimal\", -duals[:n],",
         "        duals = np.asarray(solver.getSolution().row_dual, dtype=np.float64)\n"
         "        return DenseLPSolution(\"optimal\", duals[:n],"),
    ), FAST_PATH_TESTS),
    Mutant("dual-budget-dropped", LP, (
        ("                                                  lp.row_cost, lp.budget)",
         "                                                  lp.row_cost, None)"),
    ), FAST_PATH_TESTS),
    Mutant("l1-threshold-tenfold-growth-restored", NOISY, (
        ("    elif not linf and pinv is not None:", "    elif False:"),
    ), FAST_PATH_TESTS),
    Mutant("lstsq-rank-without-cutoff", LSTSQ, (
        ("    cutoff = float(np.finfo(np.float64).eps) * max(m, n)\n", "    cutoff = 0.0\n"),
    ), LSTSQ_TESTS),
    Mutant("fortran-copy-drops-the-last-chunk", LSTSQ, (
        ("range(0, index.size, ROW_CHUNK)", "range(0, index.size - ROW_CHUNK, ROW_CHUNK)"),
    ), LSTSQ_TESTS),
    Mutant("feasibility-working-set-never-grows", LP, (
        ("        if not np.any(violated):\n"
         "            return DenseLPSolution(\"optimal\", x, \"highs\", message)",
         "        if True:\n"
         "            return DenseLPSolution(\"optimal\", x, \"highs\", message)"),
    ), FAST_PATH_TESTS),
    Mutant("irls-accepts-any-point", NOISY, (
        ("        if candidate[2] <= limit:\n", "        if True:\n"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("irls-weights-inverted", NOISY, (
        ("lawson *= np.maximum(misfit, top * 1e-3)", "lawson /= np.maximum(misfit, top * 1e-3)"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("composed-answer-unchecked", COMPOSED, (
        ("            if violation <= limit:  # h = s(...) >= 0 when the layer's h must be\n",
         "            if True:\n"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("pattern-lp-answer-unchecked", COMPOSED, (
        ("        violation = system.violation(h)\n        if violation <= limit:\n"
         "            moved = (",
         "        violation = system.violation(h)\n        if True:\n            moved = ("),
    ), CHEAP_ROUTE_TESTS),
    Mutant("composed-pattern-ignored", COMPOSED, (
        ("        slope = positive if alpha == 0.0 else np.where(positive, 1.0, alpha)\n",
         "        slope = np.ones_like(pre)\n"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("pattern-lp-signs-flipped", COMPOSED, (
        ("        sign = np.where(positive, -1.0, 1.0)\n",
         "        sign = np.where(positive, 1.0, -1.0)\n"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("inaccurate-point-kept-unjudged", NOISY, (
        ("            if chosen[2] > accepted + tolerance:\n                chosen = None\n"
         "                answer = noisy_lp(",
         "            if False:\n                chosen = None\n"
         "                answer = noisy_lp("),
    ), FAST_PATH_TESTS),
    # the pattern LPs' working set answered without checking the rows left out
    Mutant("rows-working-set-unchecked", LP, (
        ("        if not np.any(violated):\n            return RowsLPSolution(",
         "        if True:\n            return RowsLPSolution("),
    ), FAST_PATH_TESTS),
    # HiGHS runs without an iteration cap: a stalled warm start runs on (22 s on the
    # reproducer)
    Mutant("no-simplex-iteration-cap", LP, (
        ('    solver.setOptionValue("simplex_iteration_limit",\n',
         '    solver.setOptionValue("simplex_iteration_limit", 2**31 - 1) or (\n'),
    ), FAST_PATH_TESTS),
    # a warm run that reached the cap taken as the verdict, not rerun from scratch
    Mutant("stalled-warm-run-not-rerun", LP, (
        ("    if warm and status == highspy.HighsModelStatus.kIterationLimit:",
         "    if False:"),
    ), FAST_PATH_TESTS),
    # a pattern LP's point after moving across activation regions taken unchecked
    Mutant("moved-pattern-answer-unchecked", COMPOSED, (
        ("        if violation <= limit:\n            moved = (",
         "        if round_ > 1 or violation <= limit:\n            moved = ("),
    ), CHEAP_ROUTE_TESTS),
    # the descent moving the units that did not hold the optimum
    Mutant("descent-flips-the-free-units", COMPOSED, (
        ("        positive = np.where(holding, ~positive, positive)\n",
         "        positive = np.where(holding, positive, ~positive)\n"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("layerwise-sound-always-passes", CHECK, (
        ('checks.add(name, "passed" if forward_ok and decodes_ok else "failed",',
         'checks.add(name, "passed",'),
        ('checks.add(name, "failed" if satisfiable else "passed",',
         'checks.add(name, "passed",'),
    ), CHECK_TESTS),
    Mutant("realizable-iff-satisfiable-always-passes", CHECK, (
        ('checks.add(name, "passed" if not satisfiable else "failed",',
         'checks.add(name, "passed",'),
        ('checks.add(name, "passed" if satisfiable else "failed",',
         'checks.add(name, "passed",'),
        ('checks.add(name, "failed", f"exact feasibility returned an unverified z "',
         'checks.add(name, "passed", f"exact feasibility returned an unverified z "'),
    ), CHECK_TESTS),
    Mutant("inconclusive-counted-as-passed", CHECK, (
        ('checks.add(name, "not_applicable",\n                   f"layer-wise',
         'checks.add(name, "passed",\n                   f"layer-wise'),
    ), CHECK_TESTS),
    Mutant("not-applicable-uncounted", "reluinv/validation/runner.py", (
        ("check_counts = Counter(status for r in members for status in _check_statuses(r))",
         "check_counts = Counter(status for r in members for status in _check_statuses(r)"
         " if status != 'not_applicable')"),
    ), ("tests/unit/test_summary_check_counts.py",)),
    Mutant("edge-case-empty-clause-never-inserted", "reluinv/strategies.py", (
        ("            insert(())\n", "            pass\n"),
    ), ("tests/unit/test_public_testing_api.py",)),
    Mutant("realizability-unrealizable-read-as-realizable", "reluinv/testing.py", (
        ('        return Realizability("unrealizable", verdict.gap, None)',
         '        return Realizability("realizable", verdict.gap, None)'),
    ), ("tests/unit/test_public_testing_api.py",)),
    Mutant("clause-bias-plus-one", "reluinv/reduction/construction.py", (
        ("    b2[:m] = clause_weight\n", "    b2[:m] = clause_weight + 1\n"),
    ), ("tests/property/test_layerwise_differential.py",)),
    Mutant("exact-backend-unverified-z", "reluinv/exact/backend.py", (
        ("return ExactResult(status=answer.status, z=check.z,",
         "return ExactResult(status=answer.status, z=check.z + 0.5,"),
    ), ("tests/property/test_layerwise_check.py",)),
    # the consolidation round: verification slack, argument checks, size limits, CSR
    Mutant("engine-slack-ignored", VERIFY, (
        ("min(engine_slack, ENGINE_SLACK_CAP * scale)", "0.0"),
    ), VERIFY_TESTS),
    Mutant("engine-slack-uncapped", VERIFY, (
        ("min(engine_slack, ENGINE_SLACK_CAP * scale)", "engine_slack"),
    ), VERIFY_TESTS),
    Mutant("integral-slack-not-below-half", VERIFY, (
        ("    return min(slack, _BELOW_HALF) if integral else slack\n", "    return slack\n"),
    ), VERIFY_TESTS),
    Mutant("float-l1-slack-one-output", VERIFY, (
        ('outputs = max(1, observed) if objective == "l1" and not integral else 1',
         "outputs = 1"),
    ), VERIFY_TESTS),
    Mutant("engine-slack-without-big-m", VERIFY, (
        ("delta = norm * delta + 2 * phi * (1 + reach)", "delta = norm * delta + 2 * phi"),
    ), VERIFY_TESTS),
    Mutant("engine-slack-one-output-for-l1", VERIFY, (
        ('outputs = len(problem.observed) if objective == "l1" else 1', "outputs = 1"),
    ), VERIFY_TESTS),
    Mutant("engine-slack-x1000", VERIFY, (
        ("    slack = outputs * (delta + phi)\n", "    slack = 1000 * outputs * (delta + phi)\n"),
    ), VERIFY_TESTS),
    Mutant("vnnlib-line-limit-off-by-one", VNNLIB, (
        ("            if run > limit:\n", "            if run > limit + 1:\n"),
    ), VNNLIB_TESTS),
    Mutant("vnnlib-line-run-not-reset", VNNLIB, (
        ("                line, run = line + 1, 0\n", "                line = line + 1\n"),
    ), VNNLIB_TESTS),
    Mutant("vnnlib-byte-limit-dropped", VNNLIB, (
        ("open_text(source, max_bytes=bounds.max_bytes)", "open_text(source)"),
    ), VNNLIB_TESTS),
    Mutant("vnnlib-string-lines-unchecked", VNNLIB, (
        ("    _read_text(io.StringIO(text), _text_limits(limits).max_line_length, source)\n",
         ""),
    ), ("tests/integration/test_hostile_inputs.py",)),
    Mutant("real-array-accepts-bools", ARGUMENTS, (
        ('    if raw.dtype.kind not in "iuf":', '    if raw.dtype.kind not in "iufb":'),
    ), ("tests/integration/test_hostile_inputs.py",)),
    Mutant("sequence-accepts-text", ARGUMENTS, (
        ("    if isinstance(value, str | bytes) or not _is_iterable(value):",
         "    if not _is_iterable(value):"),
    ), ("tests/integration/test_hostile_inputs.py",)),
    Mutant("weight-cap-off-by-one", "reluinv/data/network.py", (
        ("    if total > cap:\n", "    if total >= cap:\n"),
    ), ("tests/unit/test_exact_storage.py", "tests/integration/test_hostile_inputs.py")),
    Mutant("decode-half-rounds-down", "reluinv/reduction/construction.py", (
        ("    return tuple(int(v >= half) for v in values)\n",
         "    return tuple(int(v > half) for v in values)\n"),
    ), ("tests/unit/test_reduction.py", "tests/property/test_reduction_lemmas.py")),
    Mutant("dimacs-count-limit-off-by-one", "reluinv/data/formula.py", (
        ("        if count > bound:\n", "        if count >= bound:\n"),
    ), ("tests/property/test_dimacs_limits.py",)),
    Mutant("verify-takes-a-saved-problem", "reluinv/data/files.py", (
        ("    if not isinstance(loaded, ReluNetwork):\n        raise ProblemFileError(",
         "    if False:\n        raise ProblemFileError("),
    ), ("tests/integration/test_hostile_inputs.py",)),
    Mutant("zero-one-accepts-text", ARGUMENTS, (
        ("        if not isinstance(item, numbers.Real | np.bool_):",
         "        if isinstance(item, bytes):"),
    ), ("tests/integration/test_hostile_inputs.py",)),
    Mutant("csr-gradient-transposed-wrong", "reluinv/layerwise/gradient.py", (
        ("grad_h = np.asarray(w.T @ grad_a.T, dtype=np.float64).T",
         "grad_h = np.abs(np.asarray(w.T @ grad_a.T, dtype=np.float64)).T"),
    ), ("tests/unit/test_sparse_networks.py",)),
    # the strict DIMACS reader: no Unicode separators or digits outside comments
    Mutant("dimacs-foreign-characters-accepted", "reluinv/data/formula.py", (
        ("        foreign = _FOREIGN_CHARACTER.search(line)\n", "        foreign = None\n"),
    ), ("tests/unit/test_formula.py",)),
    # interval bounds in int64 when exact
    Mutant("int64-bounds-without-overflow-guard", "reluinv/exact/bounds.py", (
        ("            >= _INT64_SAFE):", "            >= 2**200):"),
    ), ("tests/unit/test_interval_int64.py",)),
    # Ctrl-C during a solver call (reluinv.interrupts and the solvers' options)
    Mutant("cpsat-catches-sigint", "reluinv/exact/cpsat.py", (
        ("solver.parameters.catch_sigint_signal = False\n", "\n"),
    ), ("tests/unit/test_interrupts.py", INTERRUPT_CLI_TESTS)),
    Mutant("cpsat-not-stopped", "reluinv/exact/cpsat.py", (
        ("from reluinv.interrupts import stop_on_interrupt\n",
         "from reluinv.interrupts import stop_on_interrupt as _guard\n"
         "stop_on_interrupt = lambda *stops: _guard()\n"),
    ), (INTERRUPT_CLI_TESTS,)),
    Mutant("scip-catches-sigint", "reluinv/exact/mip.py", (
        ("SCIP_SOUNDNESS_PARAMETERS + SCIP_LEAVE_SIGINT + (",
         "SCIP_SOUNDNESS_PARAMETERS + ("),
    ), (INTERRUPT_CLI_TESTS,)),
    Mutant("scip-not-guarded", "reluinv/exact/mip.py", (
        ("    with stop_on_interrupt(solver.InterruptSolve):\n        code = solver.Solve(params)",
         "    if True:\n        code = solver.Solve(params)"),
    ), (INTERRUPT_CLI_TESTS,)),
    Mutant("pysat-error-not-translated", INTERRUPTS, (
        ("    return (kind.__module__", "    return False and (kind.__module__"),
    ), (*INTERRUPT_TESTS, INTERRUPT_CLI_TESTS)),
    Mutant("watcher-stops-nothing", INTERRUPTS, (
        ("            if int(signal.SIGINT) in data:\n                self.stop_all()",
         "            if int(signal.SIGINT) in data:\n                pass"),
    ), INTERRUPT_TESTS),
    Mutant("handler-not-restored", INTERRUPTS, (
        ("        signal.signal(signal.SIGINT, self.previous)\n", ""),
    ), INTERRUPT_TESTS),
    Mutant("wakeup-fd-not-restored", INTERRUPTS, (
        ("        signal.set_wakeup_fd(self.previous_fd, warn_on_full_buffer=False)\n", ""),
    ), INTERRUPT_TESTS),
    Mutant("noted-signal-dropped", INTERRUPTS, (
        ("    noted = watch is not None and watch.noted.is_set()",
         "    noted = False"),
    ), INTERRUPT_TESTS),
    Mutant("own-handler-not-called", INTERRUPTS, (
        ("        previous(int(signal.SIGINT), None)", "        pass"),
    ), INTERRUPT_TESTS),
    Mutant("inner-library-interrupt-not-noted", INTERRUPTS, (
        ("        watch.noted.set()  # the library heard", "        pass  # the library heard"),
    ), INTERRUPT_TESTS),
    Mutant("ignored-sigint-watched", INTERRUPTS, (
        ("    return signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, None)",
         "    return True"),
    ), INTERRUPT_TESTS),
    Mutant("failure-wins-over-interrupt", INTERRUPTS, (
        ("    if noted or (failure", "    if (noted and failure is None) or (failure"),
    ), INTERRUPT_TESTS),
    Mutant("cli-library-interrupt-internal-error", "reluinv/cli/__init__.py", (
        ("        if is_library_interrupt(exc):", "        if False:"),
    ), ("tests/unit/test_interrupts.py",)),
    # SCIP's restarts proved a wrong optimum (exact/mip.py SCIP_SOUNDNESS_PARAMETERS)
    Mutant("scip-restarts-on", "reluinv/exact/mip.py", (
        ('"presolving/maxrestarts = 0\\n")', '"")'),
    ), VERIFY_TESTS),
    # the lower-bound encoding enters clauses heavier than the budget without relaxation
    Mutant("heavy-clauses-dropped-from-lower-bound", "reluinv/oracles/maxsat.py", (
        ("    clauses += [list(formula.clauses[j]) for j in chosen if all_weights[j] > bound]\n",
         ""),
    ), ("tests/unit/test_maxsat.py",)),
    # a validation run imports the solvers before its workers fork
    Mutant("workers-import-solvers-each", "reluinv/validation/runner.py", (
        ("            preload_solver_modules()\n", "            pass\n"),
    ), ("tests/integration/test_executors.py",)),
    Mutant("check-layerwise-on-all-blas-threads", "reluinv/validation/check.py", (
        ("            with one_blas_thread():\n", "            if True:\n"),
    ), ("tests/integration/test_check.py",)),
    # verify's exact replay accepted a violation within the engines' tolerance: sat on unsat
    Mutant("verify-replay-tolerance", "reluinv/exact/verify_property.py", (
        ("        if exact > 0:\n", "        if exact > 1e-6:\n"),
    ), ("tests/unit/test_verify_property.py",)),
    # read_onnx took a bias that onnxruntime broadcasts into a matrix for a vector's
    Mutant("onnx-bias-broadcast-unchecked", "reluinv/data/onnx_io.py", (
        ("        return _bias_broadcast(value.shape, shape, where, name, grow=True)\n",
         "        return shape\n"),
    ), ("tests/unit/test_onnx_io.py",)),
    # native solvers' writes to descriptor 1 would be mixed into the results on stdout
    Mutant("native-stdout-mixed-into-results", "reluinv/cli/__init__.py", (
        ("        reserve_stdout_for_results()\n    code = run(argv)",
         "        pass\n    code = run(argv)"),
    ), ("tests/integration/test_cli_stdout.py",)),
    # a noisy answer within the propagated bound only is said to explain x within the noise
    Mutant("noisy-within-noise-is-the-propagated-bound", INVERTER, (
        ("        within = measured <= float(top_level) + realizable_bound\n",
         "        within = measured <= bound\n"),
    ), ("tests/integration/test_cli_invert.py",)),
    # invert answers a binary-latent problem with a real z
    Mutant("invert-ignores-binary-latent", "reluinv/cli/invert.py", (
        ('            if domain.kind != "real":\n', "            if False:\n"),
    ), ("tests/integration/test_cli_invert.py",)),
    # report counts any JSON object as a record ({"verdict": "agree"} as an agreement)
    Mutant("any-object-is-a-record", "reluinv/validation/runner.py", (
        ("                if is_record(record):\n",
         "                if isinstance(record, dict):\n"),
    ), ("tests/integration/test_time_limits_and_runs.py",)),
    # verify refuted the conjunct as stated: an engine's rounding said unsat on a sat one
    Mutant("refutation-not-loosened", "reluinv/exact/verify_property.py", (
        ("REFUTATION_MARGIN = 1e-6\n", "REFUTATION_MARGIN = 0.0\n"),
    ), ("tests/unit/test_verify_property.py",)),
    # read_onnx folds an elementwise map into the adjacent affine map with a wrong sign, a
    # wrong op, a dropped epsilon, or not at all: the network read is not the file's
    Mutant("onnx-sub-sign-flipped", ONNX_IO, (
        ("            b = b - value\n", "            b = b + value\n"),
    ), ONNX_IO_TESTS),
    Mutant("onnx-sub-operand-order-ignored", ONNX_IO, (
        ("            W, b = -W, value - b\n", "            b = b - value\n"),
    ), ONNX_IO_TESTS),
    Mutant("onnx-div-read-as-mul", ONNX_IO, (
        ("W, b = _rows(W, value, pending.diagonal, divide=True), b / value",
         "W, b = _rows(W, value, pending.diagonal), b * value"),
    ), ONNX_IO_TESTS),
    Mutant("onnx-batchnorm-epsilon-dropped", ONNX_IO, (
        ("d = scale / np.sqrt(var + epsilon)", "d = scale / np.sqrt(var)"),
    ), ONNX_IO_TESTS),
    Mutant("onnx-pending-input-map-not-composed", ONNX_IO, (
        ("        if pending is not None:  # W2 (d a + c) + b2",
         "        if False:  # W2 (d a + c) + b2"),
    ), ONNX_IO_TESTS),
    # the witness search replayed the sampled points of least slack first
    Mutant("witness-search-ranks-backwards", "reluinv/exact/verify_property.py", (
        ("    for index in np.argsort(-slack)[:WITNESS_REPLAYS]:\n",
         "    for index in np.argsort(slack)[:WITNESS_REPLAYS]:\n"),
    ), ("tests/unit/test_verify_property.py",)),
    # invert reported a code outside the problem file's latent box as its answer
    Mutant("invert-ignores-the-problem-box", "reluinv/cli/invert.py", (
        ("    if excess <= DOMAIN_TOLERANCE * scale:", "    if True:"),
    ), ("tests/integration/test_cli_invert.py",)),
    # read_onnx trusted a float32 fold whose ops cancel, overflow or underflow in float32
    Mutant("float32-fold-unchecked", "reluinv/data/onnx_io.py", (
        ("    if dtypes[elem] is np.float32 and _folds_rounding(visited):\n",
         "    if False:\n"),
    ), ("tests/unit/test_onnx_io.py",)),
    # Gauss-Newton stepping away from the linearised equalities' solution
    Mutant("gauss-newton-step-reversed", COMPOSED, (
        ("        z = z - step\n    return None\n", "        z = z + step\n    return None\n"),
    ), CHEAP_ROUTE_TESTS),
    # the realizable threshold absolute again: zero units in the rounding of a large
    # hidden layer read as active
    Mutant("absolute-activity-threshold", INVERTER, (
        ("            threshold = layer_tau = (tau_floor if tau is not None\n"
         "                                     else ACTIVE_THRESHOLD * max(1.0, peak))",
         "            threshold = layer_tau = tau_floor"),
    ), SCALE_TESTS),
    # a ray against small pre-images taken for a proof where the rows allow large ones
    Mutant("far-side-not-examined", "reluinv/layerwise/rounding.py", (
        ("    if reach is None and math.isfinite(ray.radius):  # not pinned: the far side too",
         "    if False:  # not pinned: the far side too"),
    ), LAYERWISE_TESTS),
    Mutant("far-side-on-the-simplex-for-free-directions", "reluinv/layerwise/rounding.py", (
        ("    if nonneg:\n        ray = find_farkas_ray(np.ones((1, n))",
         "    if True:\n        ray = find_farkas_ray(np.ones((1, n))"),
    ), LAYERWISE_TESTS),
    Mutant("far-side-of-any-free-layer-examined", "reluinv/layerwise/rounding.py", (
        ("        if not nonneg and n > RECESSION_TEST_MAX_UNKNOWNS:",
         "        if False:"),
    ), LAYERWISE_TESTS),
    Mutant("far-side-directions-unscaled", "reluinv/layerwise/rounding.py", (
        ("    slack = np.maximum(c, 0.0) / radius * (1.0 + 4.0 * _EPS)",
         "    slack = np.maximum(c, 0.0) * (1.0 + 4.0 * _EPS)"),
    ), LAYERWISE_TESTS),
    # a negative output within the realizable tolerance claimed to have no pre-image
    Mutant("sign-rule-within-the-tolerance", INVERTER, (
        ("    negative = max(tau_floor, realizable_bound)", "    negative = tau_floor"),
    ), LAYERWISE_TESTS),
    # a layer's input beyond float64's reach handed to the solvers
    Mutant("layer-input-limit-dropped", INVERTER, (
        ("        if not reach <= value_limit:  # NaN too\n",
         "        if False:  # NaN too\n"),
    ), LAYERWISE_TESTS),
    Mutant("noisy-layer-input-limit-as-realizable", INVERTER, (
        ("    value_limit = NOISY_VALUE_LIMIT if noisy else VALUE_LIMIT\n",
         "    value_limit = VALUE_LIMIT\n"),
    ), LAYERWISE_TESTS),
    # a layer's refutation taken as found: not re-proved for every input within the
    # observation's tolerance and the computed input's rounding bound
    Mutant("refutation-not-re-proved", INVERTER, (
        ("            if certificate is None:\n"
         "                return finish(LayerwiseStatus.INCONCLUSIVE",
         "            if False:\n                return finish(LayerwiseStatus.INCONCLUSIVE"),
    ), SCALE_TESTS),
    # the rounding bound on a computed input taken as zero
    Mutant("rounding-bound-zero", "reluinv/layerwise/rounding.py", (
        ("        error = 2.0 * (np.abs(P) @ (target_error + residual + rounding))\n",
         "        error = 0.0 * (np.abs(P) @ (target_error + residual + rounding))\n"),
    ), SCALE_TESTS),
    # the failing layer's system not widened by its input's rounding bound
    Mutant("relaxed-system-not-widened", "reluinv/layerwise/rounding.py", (
        ("    upper = np.where(sure, centre, np.maximum(layer.y, 0.0)) + spread - b\n",
         "    upper = np.where(sure, centre, np.maximum(layer.y, 0.0)) - b\n"),
        ("            np.concatenate([upper, b[sure] - centre[sure] + spread[sure]]))",
         "            np.concatenate([upper, b[sure] - centre[sure]]))"),
    ), SCALE_TESTS),
    # a subnormal Gram matrix taken by the normal equations (its rounding hides a rank loss)
    Mutant("subnormal-gram-on-normal-route", LSTSQ, (
        ("    return bool(gram.size and gram.diagonal().max() > _SUBNORMAL_GRAM)\n",
         "    return bool(gram.size)\n"),
    ), SCALE_TESTS),
    # a layer's misfit judged against the heuristic accepted misfit below an unpinned layer
    Mutant("consistency-judged-below-an-unpinned-layer", NOISY, (
        ("judged <= accepted + tolerance if certain and rigorous",
         "judged <= accepted + tolerance if certain"),
    ), NOISY_TESTS),
    # a ray accepted though the layer's equations allow pre-images beyond its radius
    Mutant("refutation-reach-ignored", "reluinv/layerwise/rounding.py", (
        ("    if reach is not None and not ray.radius > reach:\n", "    if False:\n"),
    ), SCALE_TESTS),
    # the observation refuted as read, not within the realizable tolerance
    Mutant("observation-tolerance-dropped", INVERTER, (
        ("nonneg=failed_layer >= 2 and not leaky, observation_error=realizable_bound,",
         "nonneg=failed_layer >= 2 and not leaky, observation_error=0.0,"),
    ), SCALE_TESTS),
    # the normal equations taken on an ill-conditioned block (squared condition number)
    Mutant("normal-equations-conditioning-unchecked", LSTSQ, (
        ("    if info != 0 or not rcond >= NORMAL_EQUATIONS_RCOND:  # NaN refuses too\n",
         "    if False:\n"),
    ), LSTSQ_TESTS),
    # the normal equations without their refinement step
    Mutant("normal-equations-unrefined", LSTSQ, (
        ("        h += _cholesky_solve(factor, adjoint(rhs - times(h)))\n", ""),
    ), LSTSQ_TESTS),
    # the chunked Gram matrix missing its last chunk
    Mutant("row-gram-drops-the-last-chunk", LSTSQ, (
        ("    for first in range(0, m, ROW_CHUNK):\n",
         "    for first in range(0, m - ROW_CHUNK, ROW_CHUNK):\n"),
    ), LSTSQ_TESTS),
    # invert --hybrid searched [-r, r]^k instead of the problem file's own latent box
    Mutant("hybrid-ignores-the-problem-box", "reluinv/cli/invert.py", (
        ("latent_box=box,", "latent_box=None,"),
    ), ("tests/integration/test_cli_invert.py",)),
    # the hybrid took a layer-wise code outside the caller's latent box as its answer
    Mutant("hybrid-takes-a-code-outside-the-box", "reluinv/layerwise/hybrid.py", (
        ("            outside > BOX_TOLERANCE:", "            outside > math.inf:"),
    ), ("tests/property/test_hybrid.py",)),
    # the l_1 band LP's structured KKT solve: the budget row's rank-one term left out of the
    # Schur complement, or a two-sided row's lower slack scaled by its upper scale
    Mutant("band-kkt-budget-term-dropped", LP, (
        ("            S += gamma * np.outer(v, v)\n", "            pass\n"),
    ), ("tests/property/test_layerwise_fast_paths.py",)),
    Mutant("band-kkt-lower-scale-wrong", LP, (
        ("    lo[two] = lower_scale[two]\n", "    lo[two] = upper_scale[two]\n"),
    ), ("tests/property/test_layerwise_fast_paths.py",)),
    # Gauss-Newton's second phase without the violated inactive rows (the equalities alone)
    Mutant("gauss-newton-inactive-rows-ignored", COMPOSED, (
        ("            rows = act | (excess > -BOUND_ROW_TOLERANCE * limit)",
         "            rows = act"),
    ), CHEAP_ROUTE_TESTS),
    # Han's rule alone: a row leaves the second phase's system as soon as it holds
    Mutant("bound-rows-dropped", COMPOSED, (
        ("            rows = act | (excess > -BOUND_ROW_TOLERANCE * limit)",
         "            rows = act | (excess > 0.0)"),
    ), CHEAP_ROUTE_TESTS),
    # a cycling run of the equalities' phase stopped instead of smoothed
    Mutant("cycling-run-not-smoothed", COMPOSED, (
        ("            if 0.0 < smoothing < math.inf:\n", "            if False:\n"),
    ), CHEAP_ROUTE_TESTS),
    # a blown-up misfit left to the equalities' phase
    Mutant("blown-up-misfit-ignored", COMPOSED, (
        ("                smoothing == math.inf and size > BLOWUP_FACTOR * previous)\n",
         "                False)\n"),
    ), CHEAP_ROUTE_TESTS),
    # every restart from the first start itself
    Mutant("composed-restarts-unmoved", COMPOSED, (
        ("            z = first + spread * rng.standard_normal(k)\n",
         "            z = first + 0.0 * rng.standard_normal(k)\n"),
    ), CHEAP_ROUTE_TESTS),
    # a layer whose every row is inactive (rank 0) sent past the composed route to the LP
    Mutant("rank-zero-layer-not-composed", INVERTER, (
        ("    if consistent and rank < n and below is not None:",
         "    if consistent and 0 < rank < n and below is not None:"),
    ), CHEAP_ROUTE_TESTS),
    # the wide block's Newton step without the solve: A^T r for A^T (A A^T)^{-1} r
    Mutant("wide-newton-step-unsolved", LSTSQ, (
        ("        return None if multipliers is None else A.T @ multipliers\n",
         "        return None if multipliers is None else A.T @ residual\n"),
    ), LSTSQ_TESTS),
    # the composed route through the layer below only, not down to z
    Mutant("composed-through-one-layer", INVERTER, (
        ("for j in range(i - 2, -1, -1)", "for j in range(i - 2, i - 3, -1)"),
    ), CHEAP_ROUTE_TESTS),
    # an unpinned layer that took its handed-down point keeps the rest of the chain
    Mutant("chain-not-handed-on", INVERTER, (
        ('        return found(hint, "composed", HANDED_DOWN, hint_residual, handed_down[1:])',
         '        return found(hint, "composed", HANDED_DOWN, hint_residual, ())'),
    ), CHEAP_ROUTE_TESTS),
    # the pattern LPs' lower layers' pieces without their patterns (affine in z as if
    # every unit below the top were active)
    Mutant("stacked-pieces-unpatterned", COMPOSED, (
        ("        P, q = P * diagonal[:, None], q * diagonal\n", "        pass\n"),
    ), CHEAP_ROUTE_TESTS),
    # the route through the layer below alone never tried after the route down to z fails
    Mutant("no-one-layer-fallback", COMPOSED, (
        ("    if answer is None and len(below.layers) > 1:  # the layer below alone (docstring)",
         "    if False:"),
    ), CHEAP_ROUTE_TESTS),
    # ... and tried without u >= 0 below ReLU
    Mutant("one-layer-fallback-sign-free", COMPOSED, (
        ("Below(below.layers[:1], below.alpha, below.alpha == 0.0,",
         "Below(below.layers[:1], below.alpha, False,"),
    ), CHEAP_ROUTE_TESTS),
    # every layer's start factor kept under one key: a layer starts from another's
    Mutant("start-factor-key-shared", INVERTER, (
        ('    return network.derived(("step factor", j), compute)',
         '    return network.derived(("step factor", 0), compute)'),
    ), CHEAP_ROUTE_TESTS),
    # a network that keeps nothing: every request computes again
    Mutant("derived-not-kept", "reluinv/data/network.py", (
        ("        if key not in self._derived:\n", "        if True:\n"),
    ), ("tests/unit/test_network.py",)),
    # a kept factor of the wrong Gram matrix for a wide block (A^T A instead of A A^T)
    Mutant("kept-factor-wide-gram", LSTSQ, (
        ("    return _well_conditioned_cholesky(A @ A.T if A.shape[0] < A.shape[1] else A.T @ A,",
         "    return _well_conditioned_cholesky(A.T @ A,"),
    ), LSTSQ_TESTS),
    # a hidden layer taking a point handed down without the chain to z
    Mutant("partial-chain-trusted", INVERTER, (
        (" or system.layer == 1 or len(handed_down) > 1\n", " or True\n"),
    ), CHEAP_ROUTE_TESTS),
    # a layer pinned by a block solved without the normal equations' test drops the chain
    Mutant("pinned-layer-drops-the-chain", INVERTER, (
        ("        if rank == n:\n            return found(hint, \"lstsq\", None, hint_residual, "
         "handed_down[1:])",
         "        if rank == n:\n            return found(hint, \"lstsq\", None, hint_residual, "
         "())"),
    ), CHEAP_ROUTE_TESTS),
    # a hidden leaky layer solving for itself past the point handed down
    Mutant("leaky-layer-ignores-the-chain", INVERTER, (
        ("    if hint is not None and hint.shape == (n,) and _takes_handed_down(",
         "    if False and _takes_handed_down("),
    ), CHEAP_ROUTE_TESTS),
    # a zero first start restarted from itself
    Mutant("restart-spread-without-zero-fallback", COMPOSED, (
        ("    return COMPOSED_RESTART_SCALE / weight if weight > 0.0 else 0.0\n",
         "    return 0.0\n"),
    ), CHEAP_ROUTE_TESTS),
    # a handed-down point taken as pinned without the test that pins the layer
    Mutant("handed-down-point-trusted", INVERTER, (
        ("        if hint is not None and n > 0 and safely_full_column_rank(equalities[0]):",
         "        if hint is not None and n > 0:"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("linear-head-read-uncertain", NOISY, (
        ('    certain = worst_case_below or kind == "linear"',
         "    certain = worst_case_below"),
    ), NOISY_TESTS),
    # a linear head handing its l_1 worst case down as the next layer's noise level
    Mutant("linear-head-hands-down-worst-case", NOISY, (
        ("    if pinv is not None and worst_case_below:", "    if pinv is not None and certain:"),
    ), NOISY_TESTS),
    # the l_1 bound through P taken as its largest row sum (an l_inf operator norm)
    Mutant("l1-bound-row-sums", NOISY, (
        ("float(np.max(np.sum(np.abs(pinv), axis=0), initial=0.0)) * gaps[0]",
         "float(np.max(np.sum(np.abs(pinv), axis=1), initial=0.0)) * gaps[0]"),
    ), NOISY_TESTS),
    # a code beyond float64's reach handed back and judged by a NaN forward check
    Mutant("overflowing-code-returned", INVERTER, (
        ("    if not peak <= VALUE_LIMIT:  # NaN too: no forward check can judge such a z",
         "    if False:"),
    ), NOISY_TESTS),
    # the rounds judged in one product without the h >= 0 part of the violation
    Mutant("batched-violations-ignore-the-sign", LAYER_SYSTEM, (
        ("        if self.nonneg and H.shape[0]:\n", "        if False:\n"),
    ), CHEAP_ROUTE_TESTS),
    Mutant("handed-down-point-ignored-when-unpinned", INVERTER, (
        ("    return rank == system.unknowns or system.layer == 1 or len(handed_down) > 1\n",
         "    return rank == system.unknowns\n"),
    ), CHEAP_ROUTE_TESTS),
)


def apply(mutant: Mutant, src: Path) -> None:
    """Apply ``mutant``'s substitutions to the copy under ``src``."""
    path = src / mutant.path
    text = path.read_text(encoding="utf-8")
    for old, new in mutant.substitutions:
        count = text.count(old)
        if count != 1:
            raise LookupError(f"{mutant.name}: {old!r} occurs {count} times in {mutant.path}")
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def run(mutant: Mutant) -> tuple[str, str]:
    """``("killed", first failing test)``, ``("survived", "")`` or ``("not applied", why)``."""
    with tempfile.TemporaryDirectory(prefix=f"reluinv-mutant-{mutant.name}-") as folder:
        src = Path(folder) / "src"
        shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
        try:
            apply(mutant, src)
        except LookupError as exc:
            return "not applied", str(exc)
        env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                   "-m", "", "-o", "addopts=", *mutant.tests]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              check=False)
    if done.returncode == 0:
        return "survived", ""
    failed = re.search(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    return "killed", failed.group(1) if failed else f"pytest exit code {done.returncode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this mutant (repeatable)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    width = max(len(m.name) for m in chosen)
    print(f"{'mutant':<{width}}  outcome      killed by")
    bad = 0
    for mutant in chosen:
        outcome, detail = run(mutant)
        bad += outcome != "killed"
        print(f"{mutant.name:<{width}}  {outcome:<11}  {detail}", flush=True)
    print(f"{len(chosen) - bad} of {len(chosen)} mutants killed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
