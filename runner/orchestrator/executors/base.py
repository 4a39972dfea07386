"""The executor seam: where jobs run. The orchestrator drives one of these from its thread.

`InlineExecutor` (tests) runs jobs in the orchestrator's own thread; `LocalExecutor` runs
them in worker processes; a Celery executor will run them on other machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runner.orchestrator.spec import JobSpec, Outcome


@dataclass(frozen=True, slots=True)
class Finished:
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Died:
    """The process running a job ended without reporting an outcome."""

    job_id: str
    reason: str
    # True when the executor killed it on request (cancel or timeout).
    killed: bool = False


@dataclass(frozen=True, slots=True)
class Reported:
    """Log lines or progress from a running job: (level, msg, status_percent, unix time) each."""

    job_id: str
    entries: list[tuple[str, str, float | None, float]]


Event = Finished | Died | Reported


class Executor(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def free_slots(self) -> int: ...

    def dispatch(self, spec: JobSpec) -> None: ...

    def kill(self, job_id: str) -> None:
        """Stop a running job for real; a Died(killed=True) event follows."""

    def poll(self, timeout: float | None) -> list[Event]:
        """Wait up to `timeout` seconds (None: forever) for events or a wake-up."""

    def wake(self) -> None:
        """Make a poll() in progress return now (thread-safe)."""
