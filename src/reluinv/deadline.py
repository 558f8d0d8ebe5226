"""One deadline for a whole job, shared by every stage of it.

A time limit given to a job that runs several stages (a validation record: encoding, SAT
and MaxSAT solves, proof checks, exact solves, the layer-wise inverter, cross-checks) bounds
the *job*, not each stage. :class:`Deadline` fixes the end once, on the monotonic clock, and
each stage asks it for what is left (:meth:`Deadline.left`) when it starts; a stage that
cannot start in time is recorded as not run, never skipped silently.

Stages that can be interrupted (python-sat solvers and RC2, CP-SAT, the MIP solvers, the
RUP checker) stop themselves when their share passes; stages that cannot (the ``drup``
checker, dense linear algebra) run in a child process that is killed when it passes
(:mod:`reluinv.oracles._bounded`). Either way the job ends at most a small, stated
overshoot after its deadline (see ``docs/records.md``).

>>> d = Deadline(None)
>>> d.left() is None, d.expired
(True, False)
>>> d = Deadline(3600.0)
>>> 3599.0 < d.left() <= 3600.0, d.expired
(True, False)
"""

from __future__ import annotations

import time

from reluinv.arguments import check_time_limit

__all__ = ["MIN_STAGE_SECONDS", "Deadline"]

#: The least time a stage is given when it starts before the deadline: enough for a solver
#: call to return a status rather than fail on a zero limit.
MIN_STAGE_SECONDS = 0.05


class Deadline:
    """The end of a job on the monotonic clock, or no end (``seconds=None``).

    Parameters
    ----------
    seconds:
        Seconds from now (a positive number; ``None`` or ``inf``: no deadline).
    """

    def __init__(self, seconds: float | None) -> None:
        limit = check_time_limit(seconds)
        self.seconds = limit
        self.started = time.monotonic()
        self.end = None if limit is None else self.started + limit

    def __repr__(self) -> str:
        return f"Deadline({self.seconds!r})"

    def remaining(self) -> float | None:
        """Seconds until the deadline (0 once it passed); ``None`` without one."""
        if self.end is None:
            return None
        return max(0.0, self.end - time.monotonic())

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.end is not None and time.monotonic() >= self.end

    def left(self, cap: float | None = None) -> float | None:
        """The time limit of a stage starting now: what is left (at least
        :data:`MIN_STAGE_SECONDS`), no more than the stage's own ``cap`` (``None``: no cap).
        ``None`` when there is neither a deadline nor a cap."""
        remaining = self.remaining()
        if remaining is not None:
            remaining = max(MIN_STAGE_SECONDS, remaining)
        if cap is None:
            return remaining
        return cap if remaining is None else min(cap, remaining)

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        return time.monotonic() - self.started
