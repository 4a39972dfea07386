"""The store's runs: submissions, their jobs, and the jobs' logs and heartbeats."""

from __future__ import annotations

from collections.abc import Sequence as Sequence_
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select, update

from runner.domain.entities import Job, LogEntry, Submission
from runner.domain.status import UNFINISHED_JOB_STATUSES, SubmissionStatus
from runner.errors import RaceLost
from runner.store import tables as t
from runner.store.db import reading, writing
from runner.store.fast import Prepared, js, ts
from runner.store.rows import job_from_row, job_row, submission_from_row
from runner.store.statements import Page, chunks, page_of


class RunStore:
    """Submissions and jobs, with the jobs' logs and heartbeats."""

    # Set in Store.__init__.
    engine: Engine
    _integrity_error: type[Exception]
    _insert_submission: Prepared
    _insert_jobs: Prepared
    _save_jobs: Prepared
    _save_submissions: Prepared
    _insert_logs: Prepared

    # submissions and jobs

    def add_submission(self, submission: Submission) -> None:
        """Insert a submission and its jobs in one transaction (the API's submit path)."""
        row = {
            "id": submission.id,
            "entity_type": submission.entity_type.value,
            "entity_id": submission.entity_id,
            "status": submission.status.value,
            "created_at": ts(submission.created_at),
            "updated_at": ts(submission.updated_at),
            "finished_at": ts(submission.finished_at),
            "schedule_id": submission.schedule_id,
            "scheduled_for": ts(submission.scheduled_for),
        }
        with writing(self.engine) as conn:
            try:
                self._insert_submission.run(conn, [row])
            except self._integrity_error:
                raise RaceLost(
                    f"schedule {submission.schedule_id} already ran for {submission.scheduled_for}"
                ) from None
            self._insert_jobs.run(conn, [job_row(j) for j in submission.jobs])

    def get_submission(self, submission_id: str) -> Submission | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.submissions).where(t.submissions.c.id == submission_id)).first()
            if row is None:
                return None
            jobs = conn.execute(
                select(t.jobs).where(t.jobs.c.submission_id == submission_id).order_by(t.jobs.c.created_at, t.jobs.c.id)
            ).all()
        return submission_from_row(row, [job_from_row(j) for j in jobs])

    def list_submissions(
        self, page: Page, entity_id: str | None = None, status: str | None = None, schedule_id: str | None = None
    ) -> tuple[list[Submission], int]:
        where = []
        if schedule_id is not None:
            where.append(t.submissions.c.schedule_id == schedule_id)
        if entity_id is not None:
            where.append(t.submissions.c.entity_id == entity_id)
        if status is not None:
            where.append(t.submissions.c.status == status)
        with reading(self.engine) as conn:
            rows, total = page_of(conn, t.submissions, where, page, newest_first=True)
            ids = [r.id for r in rows]
            jobs_by_sub: dict[str, list[Job]] = {i: [] for i in ids}
            for chunk in chunks(ids):
                for j in conn.execute(
                    select(t.jobs).where(t.jobs.c.submission_id.in_(chunk)).order_by(t.jobs.c.created_at, t.jobs.c.id)
                ):
                    jobs_by_sub[j.submission_id].append(job_from_row(j))
        return [submission_from_row(r, jobs_by_sub[r.id]) for r in rows], total

    def get_job(self, job_id: str) -> Job | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).first()
        return job_from_row(row) if row else None

    def list_jobs(
        self,
        page: Page,
        status: str | None = None,
        task_id: str | None = None,
        submission_id: str | None = None,
    ) -> tuple[list[Job], int]:
        where = []
        if status is not None:
            where.append(t.jobs.c.status == status)
        if task_id is not None:
            where.append(t.jobs.c.task_id == task_id)
        if submission_id is not None:
            where.append(t.jobs.c.submission_id == submission_id)
        with reading(self.engine) as conn:
            rows, total = page_of(conn, t.jobs, where, page, newest_first=True)
        return [job_from_row(r) for r in rows], total

    def unfinished_jobs(self, conn: Connection) -> list[Job]:
        rows = conn.execute(
            select(t.jobs)
            .where(t.jobs.c.status.in_([s.value for s in UNFINISHED_JOB_STATUSES]))
            .order_by(t.jobs.c.created_at, t.jobs.c.id)
        ).all()
        return [job_from_row(r) for r in rows]

    def submitted_ids(self, conn: Connection) -> list[str]:
        """Submissions that no orchestrator has looked at yet."""
        return [r[0] for r in conn.execute(select(t.submissions.c.id).where(t.submissions.c.status == "SUBMITTED"))]

    def jobs_of_submissions(self, submission_ids: Sequence_[str], conn: Connection) -> list[Job]:
        out: list[Job] = []
        for chunk in chunks(list(submission_ids)):
            out.extend(job_from_row(r) for r in conn.execute(select(t.jobs).where(t.jobs.c.submission_id.in_(chunk))))
        return out

    def save_jobs(self, jobs: Sequence_[Job], conn: Connection) -> None:
        """Write the mutable fields of many jobs in one executemany."""
        if not jobs:
            return
        self._save_jobs.run(
            conn,
            [
                {
                    "b_id": j.id,
                    "b_status": j.status.value,
                    "b_msg": j.status_msg,
                    "b_pct": j.status_percent,
                    "b_updated": ts(j.updated_at),
                    "b_started": ts(j.started_at),
                    "b_finished": ts(j.finished_at),
                    "b_canceled": ts(j.canceled_at),
                    "b_etype": j.error.type if j.error else None,
                    "b_emsg": j.error.message if j.error else None,
                    "b_etb": j.error.traceback if j.error else None,
                    "b_attempts": j.attempts,
                    "b_not_before": ts(j.not_before),
                    "b_history": js(j.history),
                }
                for j in jobs
            ],
        )

    def save_submission_statuses(
        self, rows: Sequence_[tuple[str, SubmissionStatus, datetime, datetime | None]], conn: Connection
    ) -> None:
        if not rows:
            return
        self._save_submissions.run(
            conn, [{"b_id": i, "b_status": st.value, "b_at": ts(at), "b_fin": ts(fin)} for i, st, at, fin in rows]
        )

    # job logs and heartbeats

    def add_logs(self, entries: Sequence_[LogEntry], conn: Connection) -> None:
        self._insert_logs.run(
            conn,
            [
                {
                    "job_id": e.job_id,
                    "idx": e.idx,
                    "level": e.level,
                    "msg": e.msg,
                    "status_percent": e.status_percent,
                    "timestamp": ts(e.timestamp),
                }
                for e in entries
            ],
        )

    def next_log_idx(self, job_ids: Sequence_[str], conn: Connection) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in chunks(list(job_ids)):
            for r in conn.execute(
                select(t.job_logs.c.job_id, func.max(t.job_logs.c.idx))
                .where(t.job_logs.c.job_id.in_(chunk))
                .group_by(t.job_logs.c.job_id)
            ):
                out[r[0]] = int(r[1]) + 1
        return out

    def list_logs(self, job_id: str, offset: int, limit: int) -> tuple[list[LogEntry], int]:
        with reading(self.engine) as conn:
            total = conn.execute(
                select(func.count()).select_from(t.job_logs).where(t.job_logs.c.job_id == job_id)
            ).scalar_one()
            rows = conn.execute(
                select(t.job_logs)
                .where(t.job_logs.c.job_id == job_id, t.job_logs.c.idx >= offset)
                .order_by(t.job_logs.c.idx)
                .limit(limit)
            ).all()
        return [LogEntry(**r._mapping) for r in rows], int(total)

    def heartbeat(self, job_ids: Sequence_[str], at: datetime, conn: Connection) -> None:
        for chunk in chunks(list(job_ids)):
            conn.execute(update(t.jobs).where(t.jobs.c.id.in_(chunk)).values(heartbeat_at=at))
