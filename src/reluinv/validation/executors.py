"""Where a validation run's checks execute: a local process pool or a Dask cluster.

An executor takes the run's :class:`Task` list and a check function and yields one
:class:`Outcome` per task, in the order the tasks finish. It never writes the results file:
the run (:func:`reluinv.validation.runner.run_validation`) turns each outcome into a record
and appends it, so however the checks are spread, one process writes, one record per
instance.

Both executors give the same guarantees per instance:

* the check runs in a process of its own that is killed when it passes the *hard timeout*
  (``hard_timeout_factor * time_limit + grace``), and the instance is recorded ``unknown``;
* a check that raises, or a process that dies, costs only that instance (an error outcome);
* closing the iterator (the run is interrupted, or fails) kills what is still running.

:class:`LocalPoolExecutor` (the default) keeps ``workers`` forked processes on this machine
and hands each one instance at a time over a pipe. A worker serves up to
``tasks_per_worker`` instances before it is replaced, so solver set-up is paid once per
worker rather than once per instance (forking per instance cost about 17 ms per instance
on two cores, 60 % of a 27 ms check of a tiny formula), while memory a check leaves behind
is still returned regularly; a worker that is killed or dies is replaced. The workers are
forks of the run, so what the run imported they start with: for the default check the run
imports the solver modules once before the first fork
(:func:`reluinv.validation.check.preload_solver_modules`; 0.6 s that each worker's first
instance paid otherwise, over 1 s with two workers importing at once).

:class:`DaskExecutor` submits one Dask task per instance to a ``distributed`` cluster (a
:class:`distributed.LocalCluster` it starts, or an existing scheduler) and collects results
with :func:`distributed.as_completed`. Inside the task the check runs in a forked child
that the task kills at the hard timeout. A Dask worker that dies mid-task (killed, out of
memory) makes the scheduler run the task again on another worker, up to its
``distributed.scheduler.allowed-failures`` limit (3 by default); after that the instance
is recorded as an error. ``dask[distributed]`` is needed only here (the ``dask`` extra);
it is imported when a Dask executor starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from reluinv.arguments import check_count, check_time_limit
from reluinv.errors import ClusterError, InvalidArgumentError, ReluinvError
from reluinv.threads import one_blas_thread

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_TASKS_PER_WORKER",
    "CheckFunction",
    "DaskExecutor",
    "Executor",
    "LocalPoolExecutor",
    "Outcome",
    "Task",
    "make_executor",
]

#: ``check(path, *, time_limit, family, **check_options) -> record``.
CheckFunction = Callable[..., Mapping[str, Any]]

#: Instances one local worker serves before it is replaced by a fresh fork.
DEFAULT_TASKS_PER_WORKER = 100

#: Seconds :class:`DaskExecutor` waits for a scheduler to answer before giving up.
DEFAULT_CONNECT_TIMEOUT = 10.0

#: ``prctl`` option that sets the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1

#: Longest pause of the local pool's wait loop, seconds (hard timeouts are checked then).
_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Task:
    """One instance to check.

    Attributes
    ----------
    path:
        The file, as the run found it (the check reads it from there).
    key:
        The instance's resume key (content and options; see
        :func:`reluinv.validation.runner.instance_key`).
    family:
        The instance family handed to the check.
    time_limit:
        Seconds for the check, or ``None``.
    hard_timeout:
        Seconds after which the process running the check is killed, or ``None``.
    check_options:
        Extra keyword arguments of the check.
    """

    path: str
    key: str
    family: str
    time_limit: float | None = None
    hard_timeout: float | None = None
    check_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What became of one task: exactly one of ``record``, ``error`` and ``killed`` is set.

    Attributes
    ----------
    task:
        The task.
    record:
        What the check returned.
    error:
        Why there is no record (the check raised, returned something else, or its process
        died).
    killed:
        Why the check was killed (its hard timeout).
    wall_seconds:
        Seconds from handing the task to a process to its outcome.
    """

    task: Task
    record: Mapping[str, Any] | None = None
    error: str | None = None
    killed: str | None = None
    wall_seconds: float = 0.0


@runtime_checkable
class Executor(Protocol):
    """Runs checks somewhere and reports their outcomes as they finish."""

    #: A short name (``"local"``, ``"dask"``).
    name: str

    def run(self, tasks: Sequence[Task], check: CheckFunction) -> Iterator[Outcome]:
        """Yield one :class:`Outcome` per task, in the order they finish. Closing the
        iterator early stops and kills what is still running."""
        ...  # pragma: no cover


# -- running one check -------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error_text(exc: BaseException, path: str) -> str:
    """The one line an error record holds for ``exc``, raised checking ``path``.

    The package's own errors (bad input: a malformed or oversized formula) are their
    message, which names the file, the place and the rule (``FILE:LINE: rule``), the path
    put first when the message does not start with it; an ``OSError`` is the file and the
    system's reason. Anything else was not expected of a check: its exception type is kept,
    the first thing a report of it needs."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, ReluinvError) and text:
        return text if text.startswith(f"{path}:") else f"{path}: {text}"
    if isinstance(exc, OSError) and exc.strerror:
        where = os.fsdecode(exc.filename) if exc.filename is not None else path
        return f"{where}: {exc.strerror}"
    return _first_line(exc)


def _call_check(check: CheckFunction, task: Task) -> tuple[Mapping[str, Any] | None, str | None]:
    """``(record, None)``, or ``(None, error)`` when the check raised (the error's line
    by :func:`_error_text`) or returned no mapping."""
    try:
        record = check(task.path, time_limit=task.time_limit, family=task.family,
                       **dict(task.check_options))
    except Exception as exc:  # any failure of one instance becomes its error record
        return None, _error_text(exc, os.fspath(task.path))
    if not isinstance(record, Mapping):
        return None, f"the check returned a {type(record).__name__}, not a record"
    return dict(record), None


def _die_with_parent() -> None:  # pragma: no cover - runs in a child process
    """Ask Linux to kill this process when its parent dies (``PR_SET_PDEATHSIG``): having
    left the parent's process group, a worker would otherwise outlive a killed run. Where
    ``prctl`` is not available the worker just finishes its instance and exits."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def _detach() -> None:  # pragma: no cover - runs in a child process
    # A Ctrl-C in the terminal goes to the foreground process group. A worker leaves that
    # group, so only the run sees it and decides (it kills the workers and writes nothing
    # for them); otherwise a solver that catches SIGINT (SCIP does) would end its search
    # early and the worker would report a cut-short answer as if it were the instance's.
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the run's handler, if it has one
    _die_with_parent()


# -- the local pool ----------------------------------------------------------------------


def _pool_worker(connection: multiprocessing.connection.Connection, check: CheckFunction
                 ) -> None:  # pragma: no cover - runs in a child process
    """Serve tasks from ``connection`` until it closes: ``(record, error)`` for each."""
    _detach()
    one_blas_thread()
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        result = _call_check(check, task)
        try:
            connection.send(result)
        except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
            connection.send((None, f"the record cannot be sent back: {_first_line(exc)}"))
    connection.close()


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    served: int = 0
    task: Task | None = None
    started: float = 0.0
    gone: bool = False

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.connection.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()


class LocalPoolExecutor:
    """Checks in ``workers`` forked processes on this machine (see the module docstring).

    Parameters
    ----------
    workers:
        Processes checking instances at the same time.
    tasks_per_worker:
        Instances a process serves before a fresh one replaces it (1 forks per instance).
    """

    name = "local"

    def __init__(self, workers: int = 1, *, tasks_per_worker: int = DEFAULT_TASKS_PER_WORKER
                 ) -> None:
        self.workers = check_count(workers, "workers")
        self.tasks_per_worker = check_count(tasks_per_worker, "tasks_per_worker")

    def __repr__(self) -> str:
        return f"LocalPoolExecutor(workers={self.workers})"

    def _spawn(self, check: CheckFunction) -> _Worker:
        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(
            target=_pool_worker, args=(child_end, check),
            daemon=False,  # the check starts child processes of its own (bounded solver calls)
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def run(self, tasks: Sequence[Task], check: CheckFunction) -> Iterator[Outcome]:
        """Yield one outcome per task as the workers finish them."""
        pool: list[_Worker] = []
        queue = iter(tasks)
        exhausted = False
        try:
            while True:
                # hand a task to every idle worker (fresh processes for dead or worn ones)
                while not exhausted and sum(w.task is not None for w in pool) < self.workers:
                    task = next(queue, None)
                    if task is None:
                        exhausted = True
                        break
                    worker = next((w for w in pool if w.task is None), None)
                    if worker is not None and (worker.served >= self.tasks_per_worker
                                               or not worker.process.is_alive()):
                        pool.remove(worker)
                        worker.stop(kill=False)  # worn out: a fresh fork takes its place
                        worker = None
                    if worker is None:
                        worker = self._spawn(check)
                        pool.append(worker)
                    worker.connection.send(task)
                    worker.task, worker.started = task, time.monotonic()
                    worker.served += 1
                busy = [w for w in pool if w.task is not None]
                if not busy:
                    break
                timeouts = [w.started + w.task.hard_timeout - time.monotonic()
                            for w in busy if w.task is not None
                            and w.task.hard_timeout is not None]
                wait = min([_POLL_SECONDS, *timeouts])
                ready = multiprocessing.connection.wait(
                    [w.connection for w in busy] + [w.process.sentinel for w in busy],
                    timeout=max(wait, 0.0),
                )
                now = time.monotonic()
                for worker in busy:
                    outcome = self._collect(worker, ready, now)
                    if worker.gone:
                        pool.remove(worker)
                    if outcome is not None:
                        yield outcome
        finally:
            for worker in pool:
                worker.stop(kill=worker.task is not None)

    def _collect(self, worker: _Worker, ready: list[Any], now: float) -> Outcome | None:
        """The outcome of a busy worker, if it has one now (it is then idle, or gone)."""
        task = worker.task
        assert task is not None  # only busy workers are polled
        wall = round(now - worker.started, 6)
        if worker.connection in ready or worker.process.sentinel in ready:
            result: object = None
            try:
                if worker.connection.poll():
                    result = worker.connection.recv()
            except (EOFError, OSError):
                result = None
            worker.task = None
            if isinstance(result, tuple) and len(result) == 2:
                record, error = result
                return Outcome(task, record=record, error=error, wall_seconds=wall)
            worker.stop(kill=True)
            worker.gone = True
            return Outcome(task, wall_seconds=wall, error=(
                f"worker died without a record (exit code {worker.process.exitcode})"))
        if task.hard_timeout is not None and now - worker.started >= task.hard_timeout:
            worker.task = None
            worker.stop(kill=True)
            worker.gone = True
            return Outcome(task, wall_seconds=wall,
                           killed=f"killed after {task.hard_timeout:g} s (hard timeout)")
        return None


# -- Dask --------------------------------------------------------------------------------


class _CheckServer:
    """A forked child of a Dask worker that runs checks one at a time, fed through a socket
    pair (the same loop as a local pool worker). Forked with ``os.fork``: a Dask worker is
    a daemonic process, which ``multiprocessing`` forbids to have children."""

    def __init__(self, check: CheckFunction) -> None:
        parent_end, child_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                parent_end.close()
                _pool_worker(multiprocessing.connection.Connection(child_end.detach()), check)
            finally:
                os._exit(0)
        child_end.close()
        self.pid = pid
        self.check = check
        self.served = 0
        self.connection = multiprocessing.connection.Connection(parent_end.detach())

    def stop(self) -> int:
        """Kill the child and reap it; its exit code."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.connection.close()
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def run(self, task: Task) -> tuple[object, str | None]:
        """``(result, None)``, or ``(None, why)`` when the child was killed at the hard
        timeout (``why`` starts with ``killed``) or died (the child is then gone)."""
        self.served += 1
        try:
            self.connection.send(task)
            if self.connection.poll(task.hard_timeout):
                return self.connection.recv(), None
        except (EOFError, OSError):
            code = self.stop()
            return None, f"worker died without a record (exit code {code})"
        self.stop()
        return None, f"killed after {task.hard_timeout:g} s (hard timeout)"


#: The check server of each thread of this (Dask worker) process.
_servers = threading.local()


def check_in_child(check: CheckFunction, task: Task) -> Outcome:
    """Run ``check`` on ``task`` in a child process of this one, killed at the hard timeout.

    This is the body of a Dask task: a Dask worker runs tasks in threads, and a thread
    cannot be stopped, but a child process can. The child is forked once and serves up to
    :data:`DEFAULT_TASKS_PER_WORKER` tasks of the same check (so imports and solver set-up
    are paid once, as in the local pool); one that is killed or dies is replaced by the next
    task. It dies with the worker (``PR_SET_PDEATHSIG``) if the worker is killed first.
    """
    started = time.monotonic()
    server: _CheckServer | None = getattr(_servers, "server", None)
    if server is not None and (server.check is not check
                               or server.served >= DEFAULT_TASKS_PER_WORKER):
        server.stop()
        server = None
    if server is None:
        server = _servers.server = _CheckServer(check)
    result, failure = server.run(task)
    wall = round(time.monotonic() - started, 6)
    if failure is not None:
        _servers.server = None
        if failure.startswith("killed"):
            return Outcome(task, killed=failure, wall_seconds=wall)
        return Outcome(task, error=failure, wall_seconds=wall)
    if isinstance(result, tuple) and len(result) == 2:
        record, error = result
        return Outcome(task, record=record, error=error, wall_seconds=wall)
    return Outcome(task, error="the check process sent no record", wall_seconds=wall)


def _import_dask() -> tuple[Any, Any]:
    """``(dask, distributed)``, imported on first use (they are an optional extra)."""
    try:
        return importlib.import_module("dask"), importlib.import_module("distributed")
    except ImportError as exc:
        raise ClusterError(
            "the Dask executor needs dask[distributed]: pip install 'reluinv[dask]' "
            f"({exc})") from None


class DaskExecutor:
    """Checks as Dask tasks on a ``distributed`` cluster (see the module docstring).

    Parameters
    ----------
    scheduler:
        The scheduler's address (``tcp://HOST:PORT``), or ``None`` to start a
        :class:`distributed.LocalCluster` of ``workers`` processes for the run (closed
        after it).
    workers:
        Worker processes of the local cluster (one thread each); default: the machine's
        CPU count. Ignored with ``scheduler``.
    connect_timeout:
        Seconds to wait for the scheduler before :class:`~reluinv.errors.ClusterError`.
    allowed_failures:
        For a local cluster: how often a task may lose its worker before its instance is
        recorded as an error (the scheduler's ``allowed-failures``; an existing scheduler
        keeps its own setting, 3 by default).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, workers: int | None = None,
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 allowed_failures: int = 3) -> None:
        if scheduler is not None and not isinstance(scheduler, str):
            raise InvalidArgumentError(
                f"scheduler must be an address such as 'tcp://HOST:PORT', got {scheduler!r}")
        self.scheduler = scheduler
        self.workers = (os.cpu_count() or 1) if workers is None else check_count(
            workers, "workers")
        timeout = check_time_limit(connect_timeout, "connect_timeout")
        self.connect_timeout = DEFAULT_CONNECT_TIMEOUT if timeout is None else timeout
        self.allowed_failures = check_count(allowed_failures, "allowed_failures", minimum=0)

    def __repr__(self) -> str:
        where = self.scheduler or f"LocalCluster({self.workers} workers)"
        return f"DaskExecutor({where})"

    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        """A connected client (and the local cluster it owns, if any), closed on exit."""
        dask, distributed = _import_dask()
        if self.scheduler is not None:
            try:
                client = distributed.Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterError(
                    f"cannot reach the Dask scheduler at {self.scheduler} within "
                    f"{self.connect_timeout:g} s ({_first_line(exc)})") from None
            try:
                yield client
            finally:
                client.close()
            return
        # worker-saturation 1: a worker holds only the task it runs (the rest wait at the
        # scheduler), so a worker that dies takes no queued instance's retry budget with it
        with dask.config.set({"distributed.scheduler.allowed-failures": self.allowed_failures,
                              "distributed.scheduler.worker-saturation": 1.0}):
            cluster = distributed.LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                               processes=True, dashboard_address=":0")
            try:
                client = distributed.Client(cluster)
                try:
                    yield client
                finally:
                    client.close()
            finally:
                cluster.close()

    def run(self, tasks: Sequence[Task], check: CheckFunction) -> Iterator[Outcome]:
        """Submit every task, then yield the outcomes as they complete."""
        if not tasks:
            return
        _, distributed = _import_dask()
        killed_worker = importlib.import_module("distributed.scheduler").KilledWorker
        with self.client() as client:
            run_id = uuid.uuid4().hex[:8]
            futures = {
                client.submit(check_in_child, check, task, pure=False,
                              key=f"reluinv-check-{run_id}-{index}"): task
                for index, task in enumerate(tasks)
            }
            try:
                for future in distributed.as_completed(futures):
                    task = futures.pop(future)
                    try:
                        outcome = future.result()
                    except killed_worker as exc:
                        outcome = Outcome(task, error=(
                            "every Dask worker that ran this instance died (allowed "
                            f"failures exceeded): {_first_line(exc)}"))
                    except Exception as exc:  # a task that failed on the worker
                        outcome = Outcome(task, error=f"Dask task failed: {_first_line(exc)}")
                    if not isinstance(outcome, Outcome):
                        outcome = Outcome(task, error=(
                            f"Dask task returned a {type(outcome).__name__}"))
                    yield outcome
            finally:
                if futures:
                    client.cancel(list(futures), force=True)


def make_executor(executor: str | Executor, workers: int | None = None) -> Executor:
    """An executor from a name (``"local"``, ``"dask"``) or the executor itself."""
    if isinstance(executor, str):
        if executor == "local":
            return LocalPoolExecutor(1 if workers is None else workers)
        if executor == "dask":
            return DaskExecutor(workers=workers)
        raise InvalidArgumentError(f"executor must be 'local', 'dask' or an Executor, got "
                                   f"{executor!r}")
    if not isinstance(executor, Executor):
        raise InvalidArgumentError(f"executor must be 'local', 'dask' or an Executor, got "
                                   f"{type(executor).__name__}")
    return executor
