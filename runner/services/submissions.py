"""Creating submissions: one job per task, persisted, then handed to the orchestrator."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from runner.domain.clock import utcnow
from runner.domain.dag import task_order
from runner.domain.entities import EntityType, Job, Submission, Task
from runner.domain.ids import Prefix, new_id
from runner.errors import Conflict, InvalidInput
from runner.services.context import Context
from runner.config.params import check_params


def submit(
    ctx: Context,
    entity_type: EntityType,
    entity_id: str,
    tasks: list[Task],
    params: dict[str, Any] | None = None,
    timeout: float | None = None,
    schedule: tuple[str, datetime] | None = None,
) -> Submission:
    """Submit tasks as one submission. `params` apply to a single-task submission only.

    `schedule` is (schedule id, due time) for a scheduled run: the store takes at most one
    submission per pair and raises RaceLost for a second.
    """
    if timeout is not None and timeout <= 0:
        raise InvalidInput("timeout must be a positive number of seconds", errors={"timeout": ["must be > 0"]})
    now = utcnow()
    submission = Submission(
        id=new_id(Prefix.SUBMISSION),
        entity_type=entity_type,
        entity_id=entity_id,
        created_at=now,
        updated_at=now,
        schedule_id=schedule[0] if schedule else None,
        scheduled_for=schedule[1] if schedule else None,
    )
    for task in task_order(tasks):
        cfg = ctx.registry.tasks.get(task.config_id)
        if cfg is None:
            raise Conflict(f"task {task.id} comes from config {task.config_id!r}, which the configuration no longer has")
        merged = check_params(cfg, {**task.params, **(params or {})})
        submission.jobs.append(
            Job(
                id=new_id(Prefix.JOB, task.config_id),
                task_id=task.id,
                submission_id=submission.id,
                created_at=now,
                updated_at=now,
                params=merged,
                timeout=timeout if timeout is not None else cfg.timeout,
            )
        )
    ctx.store.add_submission(submission)
    ctx.orchestrator.notify_submitted(
        submission.id, [replace(j) for j in submission.jobs], {t.id: t for t in tasks}
    )
    return submission
