"""Use cases of jobs and submissions: read, list."""

from __future__ import annotations

from runner.domain.entities import Job, Submission
from runner.errors import NotFound
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
