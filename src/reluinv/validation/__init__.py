"""Stage 4: reduction validation runs, the project's main job.

* :mod:`~reluinv.validation.check`: ``check_instance``, every answer about one formula and
  the cross-checks between them, as one record;
* :mod:`~reluinv.validation.runner`: runs over many files, an append-only results file,
  resume by content key, shards, summaries;
* :mod:`~reluinv.validation.executors`: where the checks run (a local pool of worker
  processes, or Dask distributed);
* :mod:`~reluinv.validation.merging`: results files of shards or machines combined;
* :mod:`~reluinv.validation.bundled`: the bundled instance set (package data in
  ``instances/``) and how it is built;
* :mod:`~reluinv.validation.generators`: random and structured formula families.
"""

from reluinv.validation.bundled import bundled_instances
from reluinv.validation.check import check_instance
from reluinv.validation.runner import run_validation

__all__ = ["bundled_instances", "check_instance", "run_validation"]
