"""The entities that runner persists: data nodes, tasks, submissions and jobs.

Plain mutable dataclasses; the store maps them to tables and the orchestrator moves jobs
through the state machine of runner.domain.status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from runner.domain.status import JobStatus, SubmissionStatus, check_transition


class EntityType(StrEnum):
    TASK = "TASK"
    SCENARIO = "SCENARIO"
    SEQUENCE = "SEQUENCE"


@dataclass(kw_only=True, slots=True)
class DataNode:
    id: str
    config_id: str
    storage_type: str
    scope: str
    # Who shares this instance: a scenario or task id (SCENARIO scope), a cycle key
    # (CYCLE scope), or None (GLOBAL scope).
    owner_id: str | None
    # Where the data lives; None for in_memory nodes.
    path: str | None
    options: dict[str, Any] = field(default_factory=dict)
    validity_period: float | None = None
    last_edit_date: datetime | None = None
    edited_by: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def is_written(self) -> bool:
        return self.last_edit_date is not None


@dataclass(kw_only=True, slots=True)
class Task:
    id: str
    config_id: str
    function: str
    input_ids: list[str]
    output_ids: list[str]
    skippable: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    scenario_id: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class JobError:
    type: str
    message: str
    traceback: str = ""


@dataclass(kw_only=True, slots=True)
class Job:
    id: str
    task_id: str
    submission_id: str
    status: JobStatus = JobStatus.SUBMITTED
    status_msg: str = ""
    status_percent: float | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    canceled_at: datetime | None = None
    error: JobError | None = None
    attempts: int = 0
    # Keyword arguments for the function: the task's params with the submission's overrides.
    params: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    heartbeat_at: datetime | None = None
    # Set while the job waits for a retry: it may not start before then.
    not_before: datetime | None = None
    # Earlier attempts: {"attempt", "started_at", "finished_at", "error"} each.
    history: list[dict[str, Any]] = field(default_factory=list)

    def move(self, new: JobStatus, at: datetime, msg: str | None = None) -> None:
        """Move through the transition table; raises InvalidTransition otherwise."""
        check_transition(self.id, self.status, new)
        self.status = new
        self.updated_at = at
        if msg is not None:
            self.status_msg = msg
        if new is JobStatus.RUNNING:
            self.started_at = at
            self.attempts += 1
        elif new.is_terminal:
            self.finished_at = at
            if new is JobStatus.CANCELED:
                self.canceled_at = at


@dataclass(kw_only=True, slots=True)
class Sequence:
    id: str
    name: str
    scenario_id: str
    task_ids: list[str]
    created_at: datetime


@dataclass(kw_only=True, slots=True)
class Scenario:
    id: str
    config_id: str
    cycle: str | None
    task_ids: list[str]
    data_node_ids: list[str]
    created_at: datetime
    updated_at: datetime
    version: int = 1
    sequences: list[Sequence] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class LogEntry:
    job_id: str
    idx: int
    level: str
    msg: str
    status_percent: float | None
    timestamp: datetime


@dataclass(kw_only=True, slots=True)
class Submission:
    id: str
    entity_type: EntityType
    entity_id: str
    status: SubmissionStatus = SubmissionStatus.SUBMITTED
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    jobs: list[Job] = field(default_factory=list)
    # Set when a schedule made it: which, and for which due time.
    schedule_id: str | None = None
    scheduled_for: datetime | None = None
