"""Runs jobs in a pool of worker processes that this executor owns one by one.

Not multiprocessing.Pool: a cancel or a timeout must kill exactly the process running that
job, and a worker that dies must fail only its own job. So each worker has its own pipe and
sentinel, and the orchestrator's thread waits on all of them at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from runner.orchestrator.executors.base import Died, Event, Finished, Reported
from runner.orchestrator.spec import JobSpec
from runner.orchestrator.worker import worker_main

log = logging.getLogger(__name__)

# How long a job gets between SIGTERM and SIGKILL when it is stopped.
KILL_GRACE_SECONDS = 3.0


def _context() -> BaseContext:
    # forkserver: a fork of a small clean process (fast respawn after a kill) instead of a
    # fork of the threaded server; spawn where forkserver does not exist.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["runner.orchestrator.worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection
    job_id: str | None = None
    kill_requested: bool = False
    kill_deadline: float | None = None
    born: float = field(default_factory=time.monotonic)


class LocalExecutor:
    def __init__(self, workers: int, module_paths: tuple[str, ...] = ()) -> None:
        self.size = max(1, workers)
        self.module_paths = module_paths
        self._ctx = _context()
        self._workers: list[_Worker] = []
        # Workers that die right after they start (a broken environment) are replaced
        # slower and slower, instead of in a hot loop.
        self._quick_deaths = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main, args=(child, self.module_paths, os.getpid()), name="runner-worker", daemon=True
        )
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def start(self) -> None:
        self._workers = [self._spawn() for _ in range(self.size)]

    def stop(self) -> None:
        for w in self._workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 2.0
        for w in self._workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1.0)
            w.conn.close()
        self._workers = []
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def pids(self) -> dict[str, int]:
        """The pid running each job, for tests and diagnostics."""
        return {w.job_id: w.process.pid for w in self._workers if w.job_id and w.process.pid}

    def free_slots(self) -> int:
        return sum(1 for w in self._workers if w.job_id is None)

    def dispatch(self, spec: JobSpec) -> None:
        worker = next(w for w in self._workers if w.job_id is None)
        worker.job_id = spec.job_id
        worker.conn.send(spec)

    def kill(self, job_id: str) -> None:
        for w in self._workers:
            if w.job_id == job_id and not w.kill_requested:
                w.kill_requested = True
                w.kill_deadline = time.monotonic() + KILL_GRACE_SECONDS
                try:
                    w.process.terminate()
                except OSError:
                    pass

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # the pipe is full: a wake-up is pending anyway

    def _escalate(self) -> float | None:
        """SIGKILL workers past their grace period; return seconds to the next deadline."""
        now = time.monotonic()
        nearest: float | None = None
        for w in self._workers:
            if w.kill_deadline is None:
                continue
            if now >= w.kill_deadline and w.process.is_alive():
                w.process.kill()
                w.kill_deadline = None
            elif w.kill_deadline is not None:
                left = w.kill_deadline - now
                nearest = left if nearest is None else min(nearest, left)
        return nearest

    def poll(self, timeout: float | None) -> list[Event]:
        grace = self._escalate()
        if grace is not None:
            timeout = grace if timeout is None else min(timeout, grace)
        by_conn = {w.conn: w for w in self._workers if w.job_id is not None}
        by_sentinel = {w.process.sentinel: w for w in self._workers}
        ready = wait([self._wake_r, *by_conn, *by_sentinel], timeout)
        events: list[Event] = []
        for obj in ready:
            worker = by_conn.get(obj)  # type: ignore[call-overload]
            if worker is None or worker.job_id is None:
                continue
            try:
                # Drain everything this worker sent: log batches, then maybe its outcome.
                while True:
                    message = worker.conn.recv()
                    if isinstance(message, tuple):
                        events.append(Reported(message[1], message[2]))
                    elif not worker.kill_requested:  # finished as it was killed: the kill wins
                        worker.job_id = None
                        events.append(Finished(message))
                    if not worker.conn.poll():
                        break
            except (EOFError, OSError):
                continue  # the process died; its sentinel tells the rest
        for obj in ready:
            worker = by_sentinel.get(obj)  # type: ignore[call-overload]
            if worker is None:
                continue
            worker.process.join(0.1)
            if worker.job_id is not None:
                events.append(
                    Died(
                        job_id=worker.job_id,
                        reason=f"the worker process running it died ({_describe_exit(worker.process.exitcode)})",
                        killed=worker.kill_requested,
                    )
                )
            worker.conn.close()
            if worker.job_id is None and time.monotonic() - worker.born < 1.0:
                self._quick_deaths += 1
                log.error("a worker process died right after it started (%s)", _describe_exit(worker.process.exitcode))
                time.sleep(min(0.05 * 2**self._quick_deaths, 5.0))
            else:
                self._quick_deaths = 0
            self._workers[self._workers.index(worker)] = self._spawn()
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        return events
