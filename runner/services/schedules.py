"""Use cases of schedules: declare (TOML or API), read, update, pause, resume, delete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from runner.config.registry import Registry
from runner.domain.clock import utcnow
from runner.domain.entities import Submission
from runner.domain.schedule import Schedule, ScheduleState, ScheduleSpec, next_fire, parse_spec
from runner.domain.ids import Prefix, new_id
from runner.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from runner.services.context import Context
from runner.config.params import check_params
from runner.store.repositories import Page, Store

SOURCE_API = "api"
SOURCE_CONFIG = "config"


def check_targets(registry: Registry, spec: ScheduleSpec) -> None:
    """The parts of a spec that need the registry: config ids and task params."""
    kind, value = spec.target
    if kind == "task":
        cfg = registry.tasks.get(value)
        if cfg is None:
            raise InvalidInput("invalid schedule", errors={"task": [f"no task config has the id {value!r}"]})
        check_params(cfg, spec.params)
    elif kind == "scenario" and value not in registry.scenarios:
        raise InvalidInput("invalid schedule", errors={"scenario": [f"no scenario config has the id {value!r}"]})
    if kind in ("scenario", "scenario_id") and spec.params:
        raise InvalidInput("invalid schedule", errors={"params": ["params apply to task schedules only"]})


def _check_instance(ctx: Context, spec: ScheduleSpec) -> None:
    kind, value = spec.target
    if kind == "task_id":
        task = ctx.store.get_task(value)
        if task is None:
            raise InvalidInput("invalid schedule", errors={"task_id": [f"no task has the id {value!r}"]})
        cfg = ctx.registry.tasks.get(task.config_id)
        if cfg is not None:
            check_params(cfg, {**task.params, **spec.params})
    elif kind == "scenario_id" and ctx.store.get_scenario(value) is None:
        raise InvalidInput("invalid schedule", errors={"scenario_id": [f"no scenario has the id {value!r}"]})


# A run due exactly now is still ahead, not behind.
_JUST_BEFORE = timedelta(microseconds=1)


def plan(schedule: Schedule, now: datetime) -> None:
    """Set next_run_at from now on (what passed is not made up), or make the schedule inactive."""
    if schedule.state is not ScheduleState.ACTIVE:
        return
    if schedule.spec.max_occurrences is not None and schedule.occurrences >= schedule.spec.max_occurrences:
        schedule.state = ScheduleState.INACTIVE
        schedule.next_run_at = None
        schedule.status_msg = f"inactive: max_occurrences ({schedule.spec.max_occurrences}) reached"
        return
    schedule.next_run_at = next_fire(schedule.spec, schedule.created_at, now - _JUST_BEFORE)
    if schedule.next_run_at is None:
        schedule.state = ScheduleState.INACTIVE
        schedule.status_msg = "inactive: no run is due any more (one-shot done, or end_at passed)"


def create_schedule(
    ctx: Context, data: dict[str, Any], schedule_id: str | None = None, source: str = SOURCE_API
) -> Schedule:
    spec, state = parse_spec(data)
    check_targets(ctx.registry, spec)
    _check_instance(ctx, spec)
    now = utcnow()
    schedule = Schedule(
        id=schedule_id or new_id(Prefix.SCHEDULE),
        source=source,
        spec=spec,
        state=state,
        status_msg="paused" if state is ScheduleState.PAUSED else "",
        created_at=now,
        updated_at=now,
    )
    plan(schedule, now)
    ctx.store.add_schedule(schedule)
    return schedule


def get_schedule(ctx: Context, schedule_id: str) -> Schedule:
    schedule = ctx.store.get_schedule(schedule_id)
    if schedule is None:
        raise NotFound(f"no schedule has the id {schedule_id!r}")
    return schedule


def list_schedules(ctx: Context, page: Page, state: str | None = None) -> tuple[list[Schedule], int]:
    return ctx.store.list_schedules(page, state)


def _editable(schedule: Schedule) -> None:
    if schedule.source == SOURCE_CONFIG:
        raise Conflict(f"schedule {schedule.id} is declared in the TOML configuration: change it there")


def update_schedule(ctx: Context, schedule_id: str, changes: dict[str, Any], version: int | None) -> Schedule:
    """Change some fields. `version` must be the one read (optimistic concurrency)."""
    schedule = get_schedule(ctx, schedule_id)
    _editable(schedule)
    if version is None:
        raise InvalidInput("give the version you read (body `version` or If-Match)", errors={"version": ["required"]})
    if version != schedule.version:
        raise PreconditionFailed(f"schedule {schedule_id} is at version {schedule.version}, not {version}; read it again")
    merged = {k: v for k, v in schedule.spec.to_json().items() if v is not None}
    merged["state"] = "paused" if schedule.state is ScheduleState.PAUSED else "active"
    # A new trigger replaces the old one rather than clashing with it.
    trigger_keys = {"period", "offset", "run_at", "cron", "minutes", "hours", "days_of_month", "months", "weekdays"}
    target_keys = {"task", "scenario", "task_id", "scenario_id"}
    for group in (trigger_keys, target_keys):
        if group & changes.keys():
            for key in group:
                merged.pop(key, None)
    merged.update(changes)
    spec, state = parse_spec(merged)
    check_targets(ctx.registry, spec)
    _check_instance(ctx, spec)
    now = utcnow()
    schedule.spec = spec
    if schedule.state is not ScheduleState.INACTIVE or state is ScheduleState.PAUSED:
        schedule.state = state
    schedule.updated_at = now
    schedule.version += 1
    schedule.status_msg = "paused" if schedule.state is ScheduleState.PAUSED else ""
    plan(schedule, now)
    ctx.store.save_schedule(schedule, expected_version=version)
    return schedule


def delete_schedule(ctx: Context, schedule_id: str) -> None:
    schedule = get_schedule(ctx, schedule_id)
    _editable(schedule)
    ctx.store.delete_schedule(schedule_id)


def pause(ctx: Context, schedule_id: str) -> Schedule:
    """Stop new runs; runs already going are left alone."""
    schedule = get_schedule(ctx, schedule_id)
    if schedule.state is ScheduleState.INACTIVE:
        raise Conflict(f"schedule {schedule_id} is inactive ({schedule.status_msg}); there is nothing to pause")
    read = schedule.version
    schedule.state = ScheduleState.PAUSED
    schedule.status_msg = "paused"
    schedule.next_run_at = None
    schedule.version += 1
    schedule.updated_at = utcnow()
    ctx.store.save_schedule(schedule, expected_version=read)
    return schedule


def resume(ctx: Context, schedule_id: str) -> Schedule:
    """Run again from now on: the next time is computed from now, missed runs are not made up."""
    schedule = get_schedule(ctx, schedule_id)
    if schedule.state is ScheduleState.INACTIVE:
        raise Conflict(f"schedule {schedule_id} is inactive ({schedule.status_msg}); it cannot resume")
    read = schedule.version
    now = utcnow()
    schedule.state = ScheduleState.ACTIVE
    schedule.status_msg = ""
    schedule.version += 1
    schedule.updated_at = now
    plan(schedule, now)
    ctx.store.save_schedule(schedule, expected_version=read)
    return schedule


def runs(ctx: Context, schedule_id: str, page: Page) -> tuple[list[Submission], int]:
    get_schedule(ctx, schedule_id)
    return ctx.store.list_submissions(page, schedule_id=schedule_id)


def sync_from_config(ctx: Context) -> None:
    """Make the stored config schedules match [SCHEDULE.*] of the loaded configuration.

    New ones are created; changed ones take the new definition (keeping their runs and a
    pause); ones no longer declared are deleted. API schedules are left alone.
    """
    declared = ctx.registry.schedules
    store: Store = ctx.store
    existing, _ = store.list_schedules(Page(offset=0, limit=1_000_000))
    for schedule in existing:
        if schedule.source == SOURCE_CONFIG and schedule.id not in declared:
            store.delete_schedule(schedule.id)
    by_id = {s.id: s for s in existing}
    now = utcnow()
    for schedule_id, data in declared.items():
        spec, state = parse_spec(dict(data))
        current = by_id.get(schedule_id)
        if current is None:
            create_schedule(ctx, dict(data), schedule_id=schedule_id, source=SOURCE_CONFIG)
            continue
        if current.source != SOURCE_CONFIG:
            raise Conflict(f"schedule {schedule_id} of the configuration exists already, made through the API")
        if current.spec == spec:
            continue
        read = current.version
        current.spec = spec
        if current.state is not ScheduleState.PAUSED:
            current.state = state
        current.version += 1
        current.updated_at = now
        plan(current, now)
        store.save_schedule(current, expected_version=read)
