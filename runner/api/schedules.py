"""/api/v1/schedules: periodic, timed, cron and calendar schedules of tasks and scenarios."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from runner.api import schemas as s
from runner.api.auth import require
from runner.api.blueprint import Blueprint
from runner.api.context import ctx, page, paged
from runner.auth.roles import Role
from runner.domain.schedule import Schedule
from runner.errors import Conflict, InvalidInput, PreconditionFailed
from runner.services import schedules as service

blp = Blueprint("schedules", __name__, url_prefix="/api/v1/schedules", description="Schedules: runs by the clock")


def view(schedule: Schedule) -> dict[str, Any]:
    out = schedule.spec.to_json()
    if out["max_occurrences"] is None:
        out["max_occurrences"] = -1
    out.update(
        id=schedule.id,
        source=schedule.source,
        type=schedule.type.value,
        state=schedule.state.value,
        status_msg=schedule.status_msg,
        run_at=schedule.spec.run_at,
        start_at=schedule.spec.start_at,
        end_at=schedule.spec.end_at,
        next_run_at=schedule.next_run_at,
        last_run_at=schedule.last_run_at,
        occurrences=schedule.occurrences,
        run_interval_seconds=schedule.run_interval_seconds,
        version=schedule.version,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
        links={
            "self": {"href": f"/api/v1/schedules/{schedule.id}"},
            "runs": {"href": f"/api/v1/schedules/{schedule.id}/runs"},
        },
    )
    return out


def _etag(schedule: Schedule) -> dict[str, str]:
    return {"ETag": f'"{schedule.version}"'}


def _created(schedule: Schedule) -> tuple[dict[str, Any], int, dict[str, str]]:
    return {"schedule": view(schedule)}, 201, {"Location": f"/api/v1/schedules/{schedule.id}", **_etag(schedule)}


@blp.route("")
class Schedules(MethodView):
    @require(Role.READER)
    @blp.arguments(s.ScheduleListArgs, location="query")
    @blp.response(200, s.SchedulePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List schedules with their next run"""
        p = page(args)
        items, total = service.list_schedules(ctx(), p, args.get("state"))
        return paged([view(i) for i in items], total, p)

    @require(Role.EDITOR)
    @blp.arguments(s.ScheduleIn)
    @blp.response(201, s.ScheduleOnly)
    @blp.alt_response(422, description="The definition is invalid; `errors` says where")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Create a schedule"""
        return _created(service.create_schedule(ctx(), body))


@blp.route("/<schedule_id>")
class ScheduleItem(MethodView):
    @require(Role.READER)
    @blp.response(200, s.ScheduleOnly)
    @blp.alt_response(404, description="No schedule has this id")
    def get(self, schedule_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Get a schedule; its ETag is its version"""
        schedule = service.get_schedule(ctx(), schedule_id)
        return {"schedule": view(schedule)}, 200, _etag(schedule)

    @require(Role.EDITOR)
    @blp.arguments(s.ScheduleIn)
    @blp.response(201, s.ScheduleOnly)
    @blp.alt_response(409, description="A schedule with this id exists")
    def put(self, body: dict[str, Any], schedule_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Create a schedule with this id"""
        return _created(service.create_schedule(ctx(), body, schedule_id=schedule_id))

    @require(Role.EDITOR)
    @blp.arguments(s.SchedulePatch)
    @blp.response(200, s.ScheduleOnly)
    @blp.alt_response(409, description="Stale `version` in the body, or a schedule declared in TOML")
    @blp.alt_response(412, description="Stale If-Match")
    def patch(self, body: dict[str, Any], schedule_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Change some fields; send the version you read (body `version` or If-Match)"""
        header = request.headers.get("If-Match")
        version = body.pop("version", None)
        if header is not None:
            try:
                version = int(header.removeprefix("W/").strip('"'))
            except ValueError:
                raise InvalidInput(f"If-Match must be a version number in quotes, got {header!r}") from None
            schedule = service.update_schedule(ctx(), schedule_id, body, version)
        else:
            try:
                schedule = service.update_schedule(ctx(), schedule_id, body, version)
            except PreconditionFailed as exc:
                raise Conflict(exc.detail) from None
        return {"schedule": view(schedule)}, 200, _etag(schedule)

    @require(Role.EDITOR)
    @blp.response(200, s.Message)
    @blp.alt_response(404, description="No schedule has this id")
    def delete(self, schedule_id: str) -> dict[str, Any]:
        """Delete a schedule (its past runs stay)"""
        service.delete_schedule(ctx(), schedule_id)
        return {"message": f"schedule {schedule_id} deleted"}


@blp.route("/<schedule_id>/pause")
class SchedulePause(MethodView):
    @require(Role.EXECUTOR)
    @blp.response(200, s.ScheduleOnly)
    @blp.alt_response(409, description="The schedule is inactive")
    def post(self, schedule_id: str) -> dict[str, Any]:
        """Pause: no new runs; running ones go on"""
        return {"schedule": view(service.pause(ctx(), schedule_id))}


@blp.route("/<schedule_id>/resume")
class ScheduleResume(MethodView):
    @require(Role.EXECUTOR)
    @blp.response(200, s.ScheduleOnly)
    @blp.alt_response(409, description="The schedule is inactive")
    def post(self, schedule_id: str) -> dict[str, Any]:
        """Resume: the next run is computed from now, missed runs are not made up"""
        return {"schedule": view(service.resume(ctx(), schedule_id))}


@blp.route("/<schedule_id>/runs")
class ScheduleRuns(MethodView):
    @require(Role.READER)
    @blp.arguments(s.PageArgs, location="query")
    @blp.response(200, s.SubmissionPage)
    def get(self, args: dict[str, Any], schedule_id: str) -> dict[str, Any]:
        """The schedule's runs (submissions), newest first"""
        p = page(args)
        items, total = service.runs(ctx(), schedule_id, p)
        return paged(items, total, p)
