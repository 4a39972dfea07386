"""Use cases of tasks: instantiate from a config id, read, list, delete, submit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from runner.config.models import ParamConfig, ParamType, TaskConfig
from runner.domain.clock import utcnow
from runner.domain.entities import DataNode, EntityType, Job, Submission, Task
from runner.domain.ids import Prefix, new_id
from runner.errors import Conflict, InvalidInput, NotFound
from runner.services import datanodes
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
    for _ in range(3):
        try:
            return _create(ctx, cfg, task_id or new_id(Prefix.TASK, cfg.id))
        except IntegrityError:
            # Another request created the same shared (GLOBAL) data node first: use it.
            continue
    raise Conflict("could not create the task's shared data nodes; try again")


def _create(ctx: Context, cfg: TaskConfig, task_id: str) -> Task:
    now = utcnow()
    ids: dict[str, str] = {}
    fresh: list[tuple[DataNode, str | None]] = []
    for dn_config_id in dict.fromkeys((*cfg.inputs, *cfg.outputs)):
        dn_cfg = ctx.registry.data_nodes[dn_config_id]
        key = datanodes.share_key(dn_cfg)
        existing = ctx.store.find_shared_data_node(dn_cfg.id, key) if key else None
        if existing is not None:
            ids[dn_config_id] = existing.id
            continue
        dn = datanodes.new_data_node(ctx, dn_cfg, task_id, now)
        datanodes.seed(ctx, dn, dn_cfg)
        fresh.append((dn, key))
        ids[dn_config_id] = dn.id
    task = Task(
        id=task_id,
        config_id=cfg.id,
        function=cfg.function,
        input_ids=[ids[d] for d in cfg.inputs],
        output_ids=[ids[d] for d in cfg.outputs],
        skippable=cfg.skippable,
        params={p.name: p.default for p in cfg.params if not p.required},
        created_at=now,
        updated_at=now,
    )
    ctx.store.add_task(task, fresh)
    return task


def get_task(ctx: Context, task_id: str) -> Task:
    task = ctx.store.get_task(task_id)
    if task is None:
        raise NotFound(f"no task has the id {task_id!r}")
    return task


def list_tasks(ctx: Context, page: Page, config_id: str | None = None) -> tuple[list[Task], int]:
    return ctx.store.list_tasks(page, config_id)


def delete_task(ctx: Context, task_id: str) -> None:
    get_task(ctx, task_id)
    ctx.store.delete_task(task_id)


_PY_TYPES: dict[ParamType, tuple[type, ...]] = {
    ParamType.STR: (str,),
    ParamType.INT: (int,),
    ParamType.FLOAT: (int, float),
    ParamType.BOOL: (bool,),
    ParamType.LIST: (list,),
    ParamType.DICT: (dict,),
}


def check_params(cfg: TaskConfig, given: dict[str, Any]) -> dict[str, Any]:
    """Merge given params over the defaults; every problem is reported at once."""
    problems: dict[str, list[str]] = {}
    declared = {p.name: p for p in cfg.params}
    for name in given:
        if name not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            problems[name] = [f"unknown parameter of task config {cfg.id} (allowed: {allowed})"]
    merged: dict[str, Any] = {}
    for name, param in declared.items():
        if name in given:
            value = given[name]
            if not _fits(param, value):
                problems[name] = [f"expected {param.type}, got {type(value).__name__}"]
            merged[name] = value
        elif param.required:
            problems[name] = ["required parameter missing"]
        else:
            merged[name] = param.default
    if problems:
        raise InvalidInput("invalid task parameters", errors={"params": problems})
    return merged


def _fits(param: ParamConfig, value: Any) -> bool:
    if param.type is ParamType.ANY:
        return True
    if isinstance(value, bool) and param.type is not ParamType.BOOL:
        return False
    return isinstance(value, _PY_TYPES[param.type])


def submit_task(ctx: Context, task_id: str, params: dict[str, Any] | None = None) -> Submission:
    task = get_task(ctx, task_id)
    cfg = task_config(ctx, task.config_id)
    merged = check_params(cfg, {**task.params, **(params or {})})
    now = utcnow()
    submission = Submission(
        id=new_id(Prefix.SUBMISSION),
        entity_type=EntityType.TASK,
        entity_id=task.id,
        created_at=now,
        updated_at=now,
    )
    submission.jobs.append(
        Job(
            id=new_id(Prefix.JOB, task.config_id),
            task_id=task.id,
            submission_id=submission.id,
            created_at=now,
            updated_at=now,
            params=merged,
            timeout=cfg.timeout,
        )
    )
    ctx.store.add_submission(submission)
    ctx.orchestrator.notify_submitted(submission.id)
    return submission
