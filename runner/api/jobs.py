"""/api/v1/jobs and /api/v1/submissions: follow what runs."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from runner.api.blueprint import Blueprint

from flask import Response

from runner.api import schemas as s
from runner.api import views
from runner.api.auth import require
from runner.api.context import ctx, page, paged
from runner.auth.roles import Role
from runner.services import jobs as service

jobs_blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Jobs: one execution of a task")
submissions_blp = Blueprint(
    "submissions", __name__, url_prefix="/api/v1/submissions", description="Submissions: one submit and its jobs"
)


@jobs_blp.route("")
class Jobs(MethodView):
    @require(Role.READER)
    @jobs_blp.arguments(s.JobListArgs, location="query")
    @jobs_blp.response(200, s.JobPage)
    def get(self, args: dict[str, Any]) -> Response:
        """List jobs, newest first"""
        p = page(args)
        status = args.get("status")
        items, total = service.list_jobs(
            ctx(), p, status.value if status else None, args.get("task_id"), args.get("submission_id")
        )
        return views.respond(paged([views.job(j) for j in items], total, p))


@jobs_blp.route("/<job_id>")
class JobItem(MethodView):
    @require(Role.READER)
    @jobs_blp.response(200, s.JobOnly)
    @jobs_blp.alt_response(404, description="No job has this id")
    def get(self, job_id: str) -> Response:
        """Get a job: its status, why it waits, its error"""
        return views.respond({"job": views.job(service.get_job(ctx(), job_id))})


@jobs_blp.route("/<job_id>/logs")
class JobLogs(MethodView):
    @require(Role.READER)
    @jobs_blp.arguments(s.LogArgs, location="query")
    @jobs_blp.response(200, s.LogPage)
    @jobs_blp.alt_response(404, description="No job has this id")
    def get(self, args: dict[str, Any], job_id: str) -> dict[str, Any]:
        """A job's log lines and progress reports; tail with offset = last idx + 1"""
        limit = min(args["limit"], ctx().settings.page_limit_max)
        entries, total = service.job_logs(ctx(), job_id, args["offset"], limit)
        return {"results": entries, "total": total, "offset": args["offset"], "limit": limit}


@jobs_blp.route("/cancel/<job_id>")
class JobCancel(MethodView):
    @require(Role.EXECUTOR)
    @jobs_blp.response(200, s.JobCanceled)
    @jobs_blp.alt_response(404, description="No job has this id")
    @jobs_blp.alt_response(409, description="The job is already final")
    def post(self, job_id: str) -> dict[str, Any]:
        """Cancel a job: a RUNNING one is killed; its downstream jobs are abandoned"""
        job = service.cancel_job(ctx(), job_id)
        return {"message": f"job {job_id} canceled", "job": job}


@submissions_blp.route("")
class Submissions(MethodView):
    @require(Role.READER)
    @submissions_blp.arguments(s.SubmissionListArgs, location="query")
    @submissions_blp.response(200, s.SubmissionPage)
    def get(self, args: dict[str, Any]) -> Response:
        """List submissions, newest first"""
        p = page(args)
        status = args.get("status")
        items, total = service.list_submissions(ctx(), p, args.get("entity_id"), status.value if status else None)
        return views.respond(paged([views.submission(x) for x in items], total, p))


@submissions_blp.route("/<submission_id>")
class SubmissionItem(MethodView):
    @require(Role.READER)
    @submissions_blp.response(200, s.SubmissionOnly)
    @submissions_blp.alt_response(404, description="No submission has this id")
    def get(self, submission_id: str) -> Response:
        """Get a submission and its jobs"""
        return views.respond({"submission": views.submission(service.get_submission(ctx(), submission_id))})


@submissions_blp.route("/<submission_id>/cancel")
class SubmissionCancel(MethodView):
    @require(Role.EXECUTOR)
    @submissions_blp.response(200, s.SubmissionEnvelope)
    @submissions_blp.alt_response(404, description="No submission has this id")
    @submissions_blp.alt_response(409, description="Every job of the submission is already final")
    def post(self, submission_id: str) -> dict[str, Any]:
        """Cancel every unfinished job of a submission"""
        submission = service.cancel_submission(ctx(), submission_id)
        return {"message": f"submission {submission_id} canceled", "submission": submission}
