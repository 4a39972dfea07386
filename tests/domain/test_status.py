from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runner.domain.entities import Job
from runner.domain.status import (
    JOB_TRANSITIONS,
    TERMINAL_JOB_STATUSES,
    JobStatus,
    SubmissionStatus,
    derive_submission_status,
)
from runner.errors import InvalidTransition

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _job(status: JobStatus = JobStatus.SUBMITTED) -> Job:
    return Job(id="JOB_x", task_id="TASK_x", submission_id="SUB", status=status, created_at=NOW, updated_at=NOW)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_JOB_STATUSES))
def test_a_terminal_status_never_changes(terminal: JobStatus) -> None:
    for target in JobStatus:
        job = _job(terminal)
        with pytest.raises(InvalidTransition, match="final status"):
            job.move(target, NOW)
        assert job.status is terminal


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(JOB_TRANSITIONS) == set(JobStatus)


def test_running_records_start_and_attempt_and_final_records_end() -> None:
    job = _job()
    job.move(JobStatus.PENDING, NOW)
    job.move(JobStatus.RUNNING, NOW)
    assert job.started_at == NOW and job.attempts == 1
    job.move(JobStatus.CANCELED, NOW)
    assert job.finished_at == NOW and job.canceled_at == NOW


def test_a_job_cannot_skip_the_queue() -> None:
    with pytest.raises(InvalidTransition, match="cannot go from SUBMITTED to RUNNING"):
        _job().move(JobStatus.RUNNING, NOW)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], SubmissionStatus.COMPLETED),
        ([JobStatus.SUBMITTED], SubmissionStatus.SUBMITTED),
        ([JobStatus.COMPLETED, JobStatus.BLOCKED], SubmissionStatus.BLOCKED),
        ([JobStatus.PENDING, JobStatus.BLOCKED], SubmissionStatus.PENDING),
        ([JobStatus.FAILED, JobStatus.RUNNING], SubmissionStatus.RUNNING),
        ([JobStatus.FAILED, JobStatus.ABANDONED, JobStatus.COMPLETED], SubmissionStatus.FAILED),
        ([JobStatus.CANCELED, JobStatus.FAILED], SubmissionStatus.CANCELED),
        ([JobStatus.COMPLETED, JobStatus.SKIPPED], SubmissionStatus.COMPLETED),
        ([JobStatus.ABANDONED, JobStatus.COMPLETED], SubmissionStatus.UNDEFINED),
    ],
)
def test_submission_status_is_derived_from_its_jobs(statuses: list[JobStatus], expected: SubmissionStatus) -> None:
    assert derive_submission_status(statuses) is expected
