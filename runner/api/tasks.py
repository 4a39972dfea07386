"""/api/v1/tasks: Taipy's task endpoints."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from runner.api.blueprint import Blueprint

from flask import Response

from runner.api import schemas as s
from runner.api import views
from runner.api.auth import require
from runner.api.context import ctx, page
from runner.auth.roles import Role
from runner.domain.entities import Task
from runner.services import tasks as service

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Tasks: instantiate, read, delete, submit")


def _created(task: Task) -> Response:
    payload = {"message": f"task {task.id} created", "task": views.task(task)}
    return views.respond(payload, 201, {"Location": f"/api/v1/tasks/{task.id}"})


@blp.route("")
class Tasks(MethodView):
    @require(Role.READER)
    @blp.arguments(s.TaskListArgs, location="query")
    @blp.response(200, s.TaskPage)
    def get(self, args: dict[str, Any]) -> Response:
        """List tasks, oldest first"""
        p = page(args)
        rows, total = service.list_task_rows(ctx(), p, args.get("config_id"))
        return views.task_page_json(rows, total, p.offset, p.limit)

    @require(Role.EDITOR)
    @blp.arguments(s.ConfigIdArgs, location="query")
    @blp.response(201, s.TaskEnvelope)
    @blp.alt_response(404, description="No task config has this id")
    def post(self, args: dict[str, Any]) -> Response:
        """Create a task from its config id"""
        return _created(service.create_task(ctx(), args["config_id"]))


@blp.route("/<task_id>")
class TaskItem(MethodView):
    @require(Role.READER)
    @blp.response(200, s.TaskOnly)
    @blp.alt_response(404, description="No task has this id")
    def get(self, task_id: str) -> Response:
        """Get a task"""
        return views.respond({"task": views.task(service.get_task(ctx(), task_id))})

    @require(Role.EDITOR)
    @blp.arguments(s.ConfigIdArgs, location="query")
    @blp.response(201, s.TaskEnvelope)
    @blp.alt_response(409, description="A task with this id exists")
    def put(self, args: dict[str, Any], task_id: str) -> Response:
        """Create a task with the given id from its config id"""
        return _created(service.create_task(ctx(), args["config_id"], task_id=task_id))

    @require(Role.EDITOR)
    @blp.response(200, s.Message)
    @blp.alt_response(404, description="No task has this id")
    @blp.alt_response(409, description="The task has unfinished jobs")
    def delete(self, task_id: str) -> dict[str, Any]:
        """Delete a task, the data nodes it owns and its finished jobs"""
        service.delete_task(ctx(), task_id)
        return {"message": f"task {task_id} deleted"}


@blp.route("/submit/<task_id>")
class TaskSubmit(MethodView):
    @require(Role.EXECUTOR)
    @blp.arguments(s.SubmitArgs, location="query")
    @blp.arguments(s.TaskSubmitBody, required=False)
    @blp.response(202, s.SubmitEnvelope)
    @blp.alt_response(404, description="No task has this id")
    def post(self, args: dict[str, Any], body: dict[str, Any], task_id: str) -> Response:
        """Submit a task; `?upstream=true` runs the producers of its stale inputs first"""
        c = ctx()
        task, submission = service.submit_task(
            c, task_id, body.get("params"), timeout=body.get("timeout"), upstream=args["upstream"]
        )
        payload = {
            "message": f"task {task_id} submitted",
            "task": views.task(task),
            "submission": views.submission(submission),
        }
        return views.respond(payload, 202, {"Location": f"/api/v1/submissions/{submission.id}"})
