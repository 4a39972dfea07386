"""Row mapping: entities from table rows, and entities as column values for the writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from runner.domain.entities import DataNode, EntityType, Job, JobError, Scenario, Sequence, Submission, Task
from runner.domain.schedule import Schedule, ScheduleState, parse_spec
from runner.domain.status import JobStatus, SubmissionStatus
from runner.store.fast import js, ts, unjs, when


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRecord:
    id: str
    name: str
    role: str
    secret_hash: str
    created_at: datetime


# -- row mapping ---------------------------------------------------------------------------


def task_from_row(row: Row[Any]) -> Task:
    m = row._mapping
    return Task(
        id=m["id"],
        config_id=m["config_id"],
        function=m["function"],
        input_ids=list(m["input_ids"]),
        output_ids=list(m["output_ids"]),
        skippable=bool(m["skippable"]),
        params=dict(m["params"]),
        scenario_id=m["scenario_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
    )


def task_from_raw(row: tuple[Any, ...]) -> Task:
    """A task from a tuple of raw column values, in the table's column order."""
    id_, config_id, function, inputs, outputs, skippable, params, scenario_id, created, updated, version = row
    return Task(
        id=id_,
        config_id=config_id,
        function=function,
        input_ids=unjs(inputs),
        output_ids=unjs(outputs),
        skippable=bool(skippable),
        params=unjs(params),
        scenario_id=scenario_id,
        created_at=when(created),  # type: ignore[arg-type]
        updated_at=when(updated),  # type: ignore[arg-type]
        version=version,
    )


def task_values(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "config_id": task.config_id,
        "function": task.function,
        "input_ids": task.input_ids,
        "output_ids": task.output_ids,
        "skippable": task.skippable,
        "params": task.params,
        "scenario_id": task.scenario_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "version": task.version,
    }


def data_node_from_row(row: Row[Any]) -> DataNode:
    m = row._mapping
    return DataNode(
        id=m["id"],
        config_id=m["config_id"],
        storage_type=m["storage_type"],
        scope=m["scope"],
        owner_id=m["owner_id"],
        path=m["path"],
        options=dict(m["options"]),
        validity_period=m["validity_period"],
        last_edit_date=m["last_edit_date"],
        edited_by=m["edited_by"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
    )


def data_node_from_raw(row: tuple[Any, ...]) -> DataNode:
    """A data node from raw column values, in the table's column order."""
    (id_, config_id, storage_type, scope, owner_id, _share_key, path, options, validity, last_edit, edited_by,
     created, updated, version) = row
    return DataNode(
        id=id_,
        config_id=config_id,
        storage_type=storage_type,
        scope=scope,
        owner_id=owner_id,
        path=path,
        options=unjs(options),
        validity_period=validity,
        last_edit_date=when(last_edit),
        edited_by=edited_by,
        created_at=when(created),  # type: ignore[arg-type]
        updated_at=when(updated),  # type: ignore[arg-type]
        version=version,
    )


def data_node_values(dn: DataNode, share_key: str | None) -> dict[str, Any]:
    return {
        "id": dn.id,
        "config_id": dn.config_id,
        "storage_type": dn.storage_type,
        "scope": dn.scope,
        "owner_id": dn.owner_id,
        "share_key": share_key,
        "path": dn.path,
        "options": dn.options,
        "validity_period": dn.validity_period,
        "last_edit_date": dn.last_edit_date,
        "edited_by": dn.edited_by,
        "created_at": dn.created_at,
        "updated_at": dn.updated_at,
        "version": dn.version,
    }


def job_from_row(row: Row[Any]) -> Job:
    m = row._mapping
    error = None
    if m["error_type"] is not None:
        error = JobError(type=m["error_type"], message=m["error_message"] or "", traceback=m["error_traceback"] or "")
    return Job(
        id=m["id"],
        task_id=m["task_id"],
        submission_id=m["submission_id"],
        status=JobStatus(m["status"]),
        status_msg=m["status_msg"],
        status_percent=m["status_percent"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        canceled_at=m["canceled_at"],
        error=error,
        attempts=m["attempts"],
        params=dict(m["params"]),
        timeout=m["timeout"],
        heartbeat_at=m["heartbeat_at"],
        not_before=m["not_before"],
        history=list(m["history"] or []),
    )


def job_values(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "task_id": job.task_id,
        "submission_id": job.submission_id,
        "status": job.status.value,
        "status_msg": job.status_msg,
        "status_percent": job.status_percent,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "canceled_at": job.canceled_at,
        "error_type": job.error.type if job.error else None,
        "error_message": job.error.message if job.error else None,
        "error_traceback": job.error.traceback if job.error else None,
        "attempts": job.attempts,
        "params": job.params,
        "timeout": job.timeout,
        "heartbeat_at": job.heartbeat_at,
        "not_before": job.not_before,
        "history": job.history,
    }


def task_row(task: Task) -> dict[str, Any]:
    """A task as raw column values, for the prepared insert."""
    values = task_values(task)
    for key in ("input_ids", "output_ids", "params"):
        values[key] = js(values[key])
    values["created_at"], values["updated_at"] = ts(task.created_at), ts(task.updated_at)
    return values


def data_node_row(dn: DataNode, share_key: str | None) -> dict[str, Any]:
    """A data node as raw column values, for the prepared insert."""
    values = data_node_values(dn, share_key)
    values["options"] = js(values["options"])
    for key in ("last_edit_date", "created_at", "updated_at"):
        values[key] = ts(values[key])
    return values


def job_row(job: Job) -> dict[str, Any]:
    """A job as raw column values, for the prepared insert."""
    values = job_values(job)
    for key in ("created_at", "updated_at", "started_at", "finished_at", "canceled_at", "heartbeat_at", "not_before"):
        values[key] = ts(values[key])
    values["params"] = js(values["params"])
    values["history"] = js(values["history"])
    return values


def submission_from_row(row: Row[Any], jobs: list[Job]) -> Submission:
    m = row._mapping
    return Submission(
        id=m["id"],
        entity_type=EntityType(m["entity_type"]),
        entity_id=m["entity_id"],
        status=SubmissionStatus(m["status"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        finished_at=m["finished_at"],
        jobs=jobs,
        schedule_id=m["schedule_id"],
        scheduled_for=m["scheduled_for"],
    )


def scenario_from_row(row: Row[Any], sequences: list[Sequence]) -> Scenario:
    m = row._mapping
    return Scenario(
        id=m["id"],
        config_id=m["config_id"],
        cycle=m["cycle"],
        task_ids=list(m["task_ids"]),
        data_node_ids=list(m["data_node_ids"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
        sequences=sequences,
    )


def sequence_from_row(row: Row[Any]) -> Sequence:
    m = row._mapping
    return Sequence(
        id=m["id"], name=m["name"], scenario_id=m["scenario_id"], task_ids=list(m["task_ids"]), created_at=m["created_at"]
    )


def schedule_from_row(row: Row[Any]) -> Schedule:
    m = row._mapping
    spec, _ = parse_spec(dict(m["spec"]))
    return Schedule(
        id=m["id"],
        source=m["source"],
        spec=spec,
        state=ScheduleState(m["state"]),
        status_msg=m["status_msg"],
        next_run_at=m["next_run_at"],
        last_run_at=m["last_run_at"],
        occurrences=m["occurrences"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        version=m["version"],
    )


def schedule_values(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "source": schedule.source,
        "spec": schedule.spec.to_json(),
        "type": schedule.type.value,
        "state": schedule.state.value,
        "status_msg": schedule.status_msg,
        "next_run_at": schedule.next_run_at,
        "last_run_at": schedule.last_run_at,
        "occurrences": schedule.occurrences,
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
        "version": schedule.version,
    }


def token_values(record: TokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "role": record.role,
        "secret_hash": record.secret_hash,
        "created_at": record.created_at,
    }
