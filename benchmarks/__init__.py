"""Benchmarks of reluinv against its baselines; run them all with ``python -m benchmarks``.

Every comparison is a ratio of two medians measured in the same process, on the same
instances, interleaved. Suites: :mod:`benchmarks.suite_layerwise` (layer-wise inversion
against the least-squares floor and gradient descent), :mod:`benchmarks.suite_exact`
(exact inversion against CaDiCaL and RC2 on the MAX-3SAT reduction),
:mod:`benchmarks.suite_validation` (validation throughput). The older single-purpose
scripts next to them (``exact_vs_rc2.py``, ``layerwise_*.py``, ...) stay usable on their own.
"""
