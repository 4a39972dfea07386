"""Runs each job in the orchestrator's own thread: deterministic, for tests and debugging."""

from __future__ import annotations

import threading
from collections import deque

from runner.orchestrator.boundary import run_job
from runner.orchestrator.executors.base import Died, Event, Finished, Reported
from runner.orchestrator.spec import JobSpec


class InlineExecutor:
    def __init__(self) -> None:
        self._queue: deque[JobSpec] = deque()
        self._woken = threading.Event()
        self._killed: list[str] = []

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.wake()

    def free_slots(self) -> int:
        return 1 - len(self._queue)

    def dispatch(self, spec: JobSpec) -> None:
        self._queue.append(spec)

    def kill(self, job_id: str) -> None:
        # A job runs to its end before the orchestrator sees anything else; only a queued
        # one can still be stopped.
        for spec in list(self._queue):
            if spec.job_id == job_id:
                self._queue.remove(spec)
                self._killed.append(job_id)

    def poll(self, timeout: float | None) -> list[Event]:
        if self._killed:
            killed, self._killed = self._killed, []
            return [Died(job_id=j, reason="stopped before it started", killed=True) for j in killed]
        if self._queue:
            spec = self._queue.popleft()
            reports: list[Event] = []
            outcome = run_job(spec, lambda entries: reports.append(Reported(spec.job_id, entries)))
            return [*reports, Finished(outcome)]
        self._woken.wait(timeout)
        self._woken.clear()
        return []

    def wake(self) -> None:
        self._woken.set()
