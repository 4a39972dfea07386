"""Use cases of jobs and submissions: read, list."""

from __future__ import annotations

from runner.domain.entities import Job, LogEntry, Submission
from runner.errors import Conflict, NotFound
from runner.services.context import Context
from runner.store.repositories import Page


def get_job(ctx: Context, job_id: str) -> Job:
    job = ctx.store.get_job(job_id)
    if job is None:
        raise NotFound(f"no job has the id {job_id!r}")
    return job


def list_jobs(
    ctx: Context, page: Page, status: str | None, task_id: str | None, submission_id: str | None
) -> tuple[list[Job], int]:
    return ctx.store.list_jobs(page, status=status, task_id=task_id, submission_id=submission_id)


def get_submission(ctx: Context, submission_id: str) -> Submission:
    submission = ctx.store.get_submission(submission_id)
    if submission is None:
        raise NotFound(f"no submission has the id {submission_id!r}")
    return submission


def list_submissions(
    ctx: Context, page: Page, entity_id: str | None, status: str | None
) -> tuple[list[Submission], int]:
    return ctx.store.list_submissions(page, entity_id=entity_id, status=status)


def cancel_job(ctx: Context, job_id: str) -> Job:
    """Cancel one job; a RUNNING one is stopped for real. A final job cannot be canceled."""
    job = get_job(ctx, job_id)
    if job.status.is_terminal:
        raise Conflict(f"job {job_id} is already {job.status}: there is nothing to cancel")
    if not ctx.orchestrator.cancel([job_id]):
        job = get_job(ctx, job_id)
        raise Conflict(f"job {job_id} is {job.status}: it ended before the cancel reached it")
    return get_job(ctx, job_id)


def cancel_submission(ctx: Context, submission_id: str) -> Submission:
    """Cancel every unfinished job of a submission (their downstream jobs are abandoned)."""
    submission = get_submission(ctx, submission_id)
    open_jobs = [j.id for j in submission.jobs if not j.status.is_terminal]
    if not open_jobs:
        raise Conflict(f"submission {submission_id} is already {submission.status}: there is nothing to cancel")
    ctx.orchestrator.cancel(open_jobs)
    return get_submission(ctx, submission_id)


def job_logs(ctx: Context, job_id: str, offset: int, limit: int) -> tuple[list[LogEntry], int]:
    get_job(ctx, job_id)
    return ctx.store.list_logs(job_id, offset, limit)
