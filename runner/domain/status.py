"""Job and submission statuses, and the only moves a job may make between them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from runner.errors import InvalidTransition


class JobStatus(StrEnum):
    """The life cycle of a job (Taipy's Status set)."""

    SUBMITTED = "SUBMITTED"
    """Created with its submission; not yet looked at by the orchestrator."""
    BLOCKED = "BLOCKED"
    """Waiting for an input that was never written, or for an upstream job of its submission."""
    PENDING = "PENDING"
    """Ready to run, waiting for a free worker (or for its next retry)."""
    RUNNING = "RUNNING"
    """Handed to a worker process that is executing the function."""
    CANCELED = "CANCELED"
    """Stopped on request; its outputs keep their previous value."""
    FAILED = "FAILED"
    """The function raised, timed out, or its worker died; `error` says which."""
    COMPLETED = "COMPLETED"
    """The function returned and its outputs were written."""
    SKIPPED = "SKIPPED"
    """A skippable task whose outputs were already up to date; nothing ran."""
    ABANDONED = "ABANDONED"
    """Will never run because a job it depends on failed or was canceled."""

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES


TERMINAL_JOB_STATUSES = frozenset(
    {JobStatus.CANCELED, JobStatus.FAILED, JobStatus.COMPLETED, JobStatus.SKIPPED, JobStatus.ABANDONED}
)
UNFINISHED_JOB_STATUSES = frozenset(set(JobStatus) - TERMINAL_JOB_STATUSES)

_S = JobStatus
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    _S.SUBMITTED: frozenset({_S.BLOCKED, _S.PENDING, _S.SKIPPED, _S.CANCELED, _S.ABANDONED}),
    _S.BLOCKED: frozenset({_S.PENDING, _S.SKIPPED, _S.CANCELED, _S.ABANDONED}),
    _S.PENDING: frozenset({_S.RUNNING, _S.CANCELED, _S.ABANDONED, _S.FAILED}),
    # RUNNING -> PENDING is a retry: the attempt failed and the job waits for its next one.
    _S.RUNNING: frozenset({_S.COMPLETED, _S.FAILED, _S.CANCELED, _S.PENDING}),
    _S.CANCELED: frozenset(),
    _S.FAILED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.SKIPPED: frozenset(),
    _S.ABANDONED: frozenset(),
}


def check_transition(job_id: str, current: JobStatus, new: JobStatus) -> None:
    if new not in JOB_TRANSITIONS[current]:
        if current.is_terminal:
            raise InvalidTransition(f"job {job_id} is {current}, a final status: it cannot become {new}")
        raise InvalidTransition(f"job {job_id} cannot go from {current} to {new}")


class SubmissionStatus(StrEnum):
    """A submission's status, derived from its jobs (Taipy's SubmissionStatus)."""

    SUBMITTED = "SUBMITTED"
    UNDEFINED = "UNDEFINED"
    BLOCKED = "BLOCKED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"

    @property
    def is_terminal(self) -> bool:
        return self in (SubmissionStatus.CANCELED, SubmissionStatus.FAILED, SubmissionStatus.COMPLETED)


def derive_submission_status(statuses: Iterable[JobStatus]) -> SubmissionStatus:
    """The submission's status from its jobs' statuses.

    Unlike Taipy, which reports FAILED as soon as one job fails, a submission is only
    FAILED / CANCELED / COMPLETED once every job is final: a client polling for a final
    status then knows that nothing of the submission still runs.
    """
    seen = set(statuses)
    if not seen:
        return SubmissionStatus.COMPLETED
    if seen & UNFINISHED_JOB_STATUSES:
        for status, derived in (
            (JobStatus.RUNNING, SubmissionStatus.RUNNING),
            (JobStatus.PENDING, SubmissionStatus.PENDING),
            (JobStatus.BLOCKED, SubmissionStatus.BLOCKED),
        ):
            if status in seen:
                return derived
        return SubmissionStatus.SUBMITTED
    if JobStatus.CANCELED in seen:
        return SubmissionStatus.CANCELED
    if JobStatus.FAILED in seen:
        return SubmissionStatus.FAILED
    if seen <= {JobStatus.COMPLETED, JobStatus.SKIPPED}:
        return SubmissionStatus.COMPLETED
    # Only ABANDONED jobs mixed with successes, and no cause among them: cannot happen by
    # construction, but say so rather than pretend it completed.
    return SubmissionStatus.UNDEFINED
