"""Use cases of tasks: instantiate from a config id, read, list, delete, submit."""

from __future__ import annotations

from typing import Any

from datetime import datetime

from runner.config.models import TaskConfig
from runner.domain.clock import utcnow
from runner.domain.dag import producers_of
from runner.domain.entities import DataNode, EntityType, Submission, Task
from runner.domain.ids import Prefix, new_id
from runner.errors import Conflict, InvalidInput, NotFound
from runner.services import datanodes, submissions
from runner.services.context import Context
from runner.store.repositories import Page


def task_config(ctx: Context, config_id: str) -> TaskConfig:
    cfg = ctx.registry.tasks.get(config_id)
    if cfg is None:
        raise NotFound(f"no task config has the id {config_id!r}")
    return cfg


def create_task(ctx: Context, config_id: str, task_id: str | None = None) -> Task:
    cfg = task_config(ctx, config_id)
    if task_id is not None and ctx.store.get_task(task_id) is not None:
        raise Conflict(f"a task with id {task_id!r} already exists")
    new_id_ = task_id or new_id(Prefix.TASK, cfg.id)

    def create() -> Task:
        now = utcnow()
        ids, fresh = datanodes.instantiate(ctx, (*cfg.inputs, *cfg.outputs), new_id_, None, now)
        task = new_task(cfg, new_id_, ids, None, now)
        ctx.store.add_task(task, fresh)
        return task

    return datanodes.retrying_races(create)


def new_task(cfg: TaskConfig, task_id: str, dn_ids: dict[str, str], scenario_id: str | None, now: datetime) -> Task:
    return Task(
        id=task_id,
        config_id=cfg.id,
        function=cfg.function,
        input_ids=[dn_ids[d] for d in cfg.inputs],
        output_ids=[dn_ids[d] for d in cfg.outputs],
        skippable=cfg.skippable,
        params={p.name: p.default for p in cfg.params if not p.required},
        scenario_id=scenario_id,
        created_at=now,
        updated_at=now,
    )


def get_task(ctx: Context, task_id: str) -> Task:
    task = ctx.store.get_task(task_id)
    if task is None:
        raise NotFound(f"no task has the id {task_id!r}")
    return task


def list_tasks(ctx: Context, page: Page, config_id: str | None = None) -> tuple[list[Task], int]:
    return ctx.store.list_tasks(page, config_id)


def list_task_rows(ctx: Context, page: Page, config_id: str | None = None) -> tuple[list[tuple[Any, ...]], int]:
    """A page of tasks as stored (for the API's list, which copies their JSON columns as they are)."""
    return ctx.store.list_task_rows(page, config_id)


def delete_task(ctx: Context, task_id: str) -> None:
    get_task(ctx, task_id)
    ctx.store.delete_task(task_id)


def submit_task(
    ctx: Context,
    task_id: str,
    params: dict[str, Any] | None = None,
    timeout: float | None = None,
    upstream: bool = False,
) -> tuple[Task, Submission]:
    """Submit one task; with upstream=True also the producers of its stale or missing inputs."""
    task = get_task(ctx, task_id)
    tasks = [task]
    if upstream and task.scenario_id is not None:
        scenario = ctx.store.get_scenario(task.scenario_id)
        if scenario is not None:
            siblings = ctx.store.get_tasks(scenario.task_ids)
            tasks = stale_upstream(ctx, task, list(siblings.values()))
    if len(tasks) > 1 and params:
        raise InvalidInput("params apply to a single task: submit without upstream=true to pass them")
    return task, submissions.submit(ctx, EntityType.TASK, task.id, tasks, params=params, timeout=timeout)


def stale_upstream(ctx: Context, task: Task, siblings: list[Task]) -> list[Task]:
    """The task plus every upstream producer that must run first for its inputs to be fresh."""
    producers = producers_of(siblings)
    dn_ids = {d for t in siblings for d in (*t.input_ids, *t.output_ids)}
    dns = ctx.store.get_data_nodes(sorted(dn_ids))
    now = utcnow()
    chosen: dict[str, Task] = {}
    verdict: dict[str, bool] = {}

    def needs_run(producer: Task) -> bool:
        # A producer runs when one of its outputs is missing or stale, or when one of its
        # own producers runs (then its outputs will be stale by the time it is its turn).
        if producer.id in verdict:
            return verdict[producer.id]
        verdict[producer.id] = False  # cycles cannot happen (checked at load), but be safe
        upstream_runs = [needs_run(producers[d]) for d in producer.input_ids if d in producers]
        newest_input = max((dns[d].last_edit_date for d in producer.input_ids if dns[d].last_edit_date), default=None)
        stale = any(_stale(dns[d], newest_input, now) for d in producer.output_ids)
        verdict[producer.id] = any(upstream_runs) or stale
        if verdict[producer.id]:
            chosen[producer.id] = producer
        return verdict[producer.id]

    for dn_id in task.input_ids:
        if dn_id in producers and producers[dn_id].id != task.id:
            needs_run(producers[dn_id])
    return [*chosen.values(), task]


def _stale(dn: DataNode, newest_input: datetime | None, now: datetime) -> bool:
    if dn.last_edit_date is None:
        return True
    if newest_input is not None and dn.last_edit_date < newest_input:
        return True
    return dn.validity_period is not None and (now - dn.last_edit_date).total_seconds() > dn.validity_period
