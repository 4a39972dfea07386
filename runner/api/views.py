"""Entities as JSON, built by hand for the endpoints that answer most often.

The marshmallow schemas in schemas.py stay the documented contract (they make the OpenAPI
spec); tests/api/test_views.py checks that these functions produce exactly what the schemas
would. Building the dicts directly is several times faster than marshmallow's field
machinery, which dominated a page of 100 tasks.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Response

from runner.domain.entities import Job, Submission, Task
from runner.store.fast import when

_ENTITY_PATHS = {"TASK": "tasks", "SCENARIO": "scenarios", "SEQUENCE": "sequences"}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def task(t: Task) -> dict[str, Any]:
    return {
        "id": t.id,
        "config_id": t.config_id,
        "function": t.function,
        "input_ids": t.input_ids,
        "output_ids": t.output_ids,
        "skippable": t.skippable,
        "params": t.params,
        "scenario_id": t.scenario_id,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
        "version": t.version,
    }


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def task_from_row_json(row: tuple[Any, ...]) -> str:
    """A stored task row as JSON text, equal to json.dumps(task(...)) once parsed.

    Its JSON columns (input_ids, output_ids, params) are written into the answer as the
    store holds them, without a decode and an encode per row: that was a third of the
    cost of a page of 100 tasks. runner alone writes those columns, always valid JSON.
    """
    id_, config_id, function, inputs, outputs, skippable, params, scenario_id, created, updated, version = row
    return (
        f'{{"id":{_text(id_)},"config_id":{_text(config_id)},"function":{_text(function)},'
        f'"input_ids":{inputs},"output_ids":{outputs},"skippable":{"true" if skippable else "false"},'
        f'"params":{params},"scenario_id":{_text(scenario_id)},'
        f'"created_at":{_text(iso(when(created)))},"updated_at":{_text(iso(when(updated)))},"version":{int(version)}}}'
    )


def task_page_json(rows: list[tuple[Any, ...]], total: int, offset: int, limit: int) -> Response:
    body = (
        '{"results":[' + ",".join(task_from_row_json(r) for r in rows) + "],"
        f'"total":{int(total)},"offset":{int(offset)},"limit":{int(limit)}}}'
    )
    return Response(body, status=200, mimetype="application/json")


def job(j: Job) -> dict[str, Any]:
    return {
        "id": j.id,
        "task_id": j.task_id,
        "submission_id": j.submission_id,
        "status": j.status.value,
        "status_msg": j.status_msg,
        "status_percent": j.status_percent,
        "created_at": iso(j.created_at),
        "updated_at": iso(j.updated_at),
        "started_at": iso(j.started_at),
        "finished_at": iso(j.finished_at),
        "canceled_at": iso(j.canceled_at),
        "attempts": j.attempts,
        "params": j.params,
        "timeout": j.timeout,
        "heartbeat_at": iso(j.heartbeat_at),
        "not_before": iso(j.not_before),
        "history": j.history,
        "error": None
        if j.error is None
        else {"type": j.error.type, "message": j.error.message, "traceback": j.error.traceback},
    }


def submission(s: Submission) -> dict[str, Any]:
    return {
        "id": s.id,
        "entity_type": s.entity_type.value,
        "entity_id": s.entity_id,
        "status": s.status.value,
        "jobs": [job(j) for j in s.jobs],
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
        "finished_at": iso(s.finished_at),
        "schedule_id": s.schedule_id,
        "scheduled_for": iso(s.scheduled_for),
        "_links": submission_links(s),
    }


def submission_links(s: Submission) -> dict[str, dict[str, str]]:
    entity = _ENTITY_PATHS.get(s.entity_type.value, "tasks")
    return {
        "self": {"href": f"/api/v1/submissions/{s.id}"},
        "entity": {"href": f"/api/v1/{entity}/{s.entity_id}"},
    }


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def respond(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_default, allow_nan=False)
    return Response(body, status=status, headers=headers, mimetype="application/json")
