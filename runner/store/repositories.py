"""Repositories: the entities in and out of the tables, with SQLAlchemy Core.

Core rather than the ORM: the orchestrator writes thousands of job transitions a second in
batches, and plain executemany statements are what makes that cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as Sequence_
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from runner.domain.entities import DataNode, EntityType, Job, JobError, LogEntry, Scenario, Sequence, Submission, Task
from runner.domain.status import UNFINISHED_JOB_STATUSES, JobStatus, SubmissionStatus
from runner.domain.schedule import Schedule, ScheduleState, parse_spec
from runner.errors import Conflict, PreconditionFailed, RaceLost
from runner.store import tables as t
from runner.store.db import reading, writing
from runner.store.fast import Prepared, Query, js, ts, unjs, when

# SQLite's default limit on bound parameters is 32766; stay far below for IN (...) lists.
_CHUNK = 900


def _chunks(ids: Sequence_[str]) -> Iterable[Sequence_[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


@dataclass(frozen=True, kw_only=True, slots=True)
class Page:
    offset: int
    limit: int


def _page(
    conn: Connection, table: Any, where: list[Any], page: Page, newest_first: bool = False
) -> tuple[list[Row[Any]], int]:
    """One page of a table in (created_at, id) order, and how many rows match in all."""
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    created = table.c.created_at.desc() if newest_first else table.c.created_at
    rows = conn.execute(
        select(table).where(*where).order_by(created, table.c.id).offset(page.offset).limit(page.limit)
    ).all()
    return list(rows), int(total)


def _delete_orphan_submissions(conn: Connection, submission_ids: Sequence_[str]) -> None:
    """Delete the submissions among these that have no job left."""
    for chunk in _chunks(list(submission_ids)):
        conn.execute(
            delete(t.submissions).where(
                t.submissions.c.id.in_(chunk),
                ~select(t.jobs.c.id).where(t.jobs.c.submission_id == t.submissions.c.id).exists(),
            )
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRecord:
    id: str
    name: str
    role: str
    secret_hash: str
    created_at: datetime


# -- statements the orchestrator runs on every turn, built once --------------------------

_SAVE_JOBS = (
    update(t.jobs)
    .where(t.jobs.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        status_msg=bindparam("b_msg"),
        status_percent=bindparam("b_pct"),
        updated_at=bindparam("b_updated"),
        started_at=bindparam("b_started"),
        finished_at=bindparam("b_finished"),
        canceled_at=bindparam("b_canceled"),
        error_type=bindparam("b_etype"),
        error_message=bindparam("b_emsg"),
        error_traceback=bindparam("b_etb"),
        attempts=bindparam("b_attempts"),
        not_before=bindparam("b_not_before"),
        history=bindparam("b_history"),
    )
)
_MARK_WRITTEN = (
    update(t.data_nodes)
    .where(t.data_nodes.c.id == bindparam("b_id"))
    .values(
        last_edit_date=bindparam("b_at"),
        updated_at=bindparam("b_at"),
        edited_by=bindparam("b_by"),
        version=t.data_nodes.c.version + literal_column("1"),
    )
)
_SAVE_SUBMISSIONS = (
    update(t.submissions)
    .where(t.submissions.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), updated_at=bindparam("b_at"), finished_at=bindparam("b_fin"))
)
_TASK_BY_ID = select(t.tasks).where(t.tasks.c.id == bindparam("id"))
_TASK_ORDER = (t.tasks.c.created_at, t.tasks.c.id)
_TASKS_PAGE = select(t.tasks).order_by(*_TASK_ORDER).limit(bindparam("limit")).offset(bindparam("offset"))
_TASKS_PAGE_OF_CONFIG = (
    select(t.tasks)
    .where(t.tasks.c.config_id == bindparam("config_id"))
    .order_by(*_TASK_ORDER)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_TASKS_COUNT = select(func.count()).select_from(t.tasks)
_TASKS_COUNT_OF_CONFIG = select(func.count()).select_from(t.tasks).where(t.tasks.c.config_id == bindparam("config_id"))
# Fetching the few data nodes of a fresh submission: one statement per small count.
_SMALL_IN = 16


def _data_nodes_by_ids(n: int) -> Any:
    return select(t.data_nodes).where(t.data_nodes.c.id.in_([bindparam(f"i{k}") for k in range(n)]))


_INSERT_LOGS = insert(t.job_logs)
_INSERT_JOBS = insert(t.jobs)
_INSERT_SUBMISSION = insert(t.submissions)


# -- row mapping ---------------------------------------------------------------------------


def _task(row: Row[Any]) -> Task:
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


def _task_raw(row: tuple[Any, ...]) -> Task:
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


def _task_values(task: Task) -> dict[str, Any]:
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


def _data_node(row: Row[Any]) -> DataNode:
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


def _data_node_raw(row: tuple[Any, ...]) -> DataNode:
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


def _data_node_values(dn: DataNode, share_key: str | None) -> dict[str, Any]:
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


def _job(row: Row[Any]) -> Job:
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


def _task_row(task: Task) -> dict[str, Any]:
    """A task as raw column values, for the prepared insert."""
    values = _task_values(task)
    for key in ("input_ids", "output_ids", "params"):
        values[key] = js(values[key])
    values["created_at"], values["updated_at"] = ts(task.created_at), ts(task.updated_at)
    return values


def _data_node_row(dn: DataNode, share_key: str | None) -> dict[str, Any]:
    """A data node as raw column values, for the prepared insert."""
    values = _data_node_values(dn, share_key)
    values["options"] = js(values["options"])
    for key in ("last_edit_date", "created_at", "updated_at"):
        values[key] = ts(values[key])
    return values


def _job_row(job: Job) -> dict[str, Any]:
    """A job as raw column values, for the prepared insert."""
    values = job_values(job)
    for key in ("created_at", "updated_at", "started_at", "finished_at", "canceled_at", "heartbeat_at", "not_before"):
        values[key] = ts(values[key])
    values["params"] = js(values["params"])
    values["history"] = js(values["history"])
    return values


def _submission(row: Row[Any], jobs: list[Job]) -> Submission:
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


# -- the store -----------------------------------------------------------------------------


class Store:
    """Every read and write of the entities. One instance per process, thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        self._save_jobs = Prepared(_SAVE_JOBS, dialect)
        self._mark_written = Prepared(_MARK_WRITTEN, dialect)
        self._save_submissions = Prepared(_SAVE_SUBMISSIONS, dialect)
        self._insert_logs = Prepared(_INSERT_LOGS, dialect)
        self._insert_submission = Prepared(insert(t.submissions), dialect)
        self._insert_tasks = Prepared(insert(t.tasks), dialect)
        self._insert_data_nodes_stmt = Prepared(insert(t.data_nodes), dialect)
        self._insert_jobs = Prepared(insert(t.jobs), dialect)
        self._integrity_error: type[Exception] = engine.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
        self._dns_by_ids = [Query(_data_nodes_by_ids(n), dialect) for n in range(1, _SMALL_IN + 1)]
        # Reads that every API call of the task endpoints makes.
        self._task_by_id = Query(_TASK_BY_ID, dialect)
        self._tasks_page = Query(_TASKS_PAGE, dialect)
        self._tasks_page_of_config = Query(_TASKS_PAGE_OF_CONFIG, dialect)
        self._tasks_count = Query(_TASKS_COUNT, dialect)
        self._tasks_count_of_config = Query(_TASKS_COUNT_OF_CONFIG, dialect)

    # tokens

    def add_token(self, record: TokenRecord) -> None:
        with writing(self.engine) as conn:
            conn.execute(insert(t.tokens).values(_token_values(record)))

    def get_token(self, token_id: str) -> TokenRecord | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.tokens).where(t.tokens.c.id == token_id)).first()
        return TokenRecord(**row._mapping) if row else None

    def list_tokens(self) -> list[TokenRecord]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(t.tokens).order_by(t.tokens.c.created_at)).all()
        return [TokenRecord(**r._mapping) for r in rows]

    def delete_token(self, token_id: str) -> bool:
        with writing(self.engine) as conn:
            return conn.execute(delete(t.tokens).where(t.tokens.c.id == token_id)).rowcount > 0

    def count_tokens(self, role: str | None = None) -> int:
        query = select(func.count()).select_from(t.tokens)
        if role is not None:
            query = query.where(t.tokens.c.role == role)
        with reading(self.engine) as conn:
            return int(conn.execute(query).scalar_one())

    # tasks and their data nodes

    def add_task(self, task: Task, data_nodes: list[tuple[DataNode, str | None]]) -> None:
        """Insert a task with the data nodes it creates, in one transaction.

        `data_nodes` pairs each new node with its share key (None for owned nodes); a shared
        node that already exists is not inserted again.
        """
        with writing(self.engine) as conn:
            self._insert_data_nodes(data_nodes, conn)
            try:
                self._insert_tasks.run(conn, [_task_row(task)])
            except self._integrity_error:
                raise Conflict(f"a task with id {task.id!r} already exists") from None

    def _insert_data_nodes(self, data_nodes: Sequence_[tuple[DataNode, str | None]], conn: Connection) -> None:
        if not data_nodes:
            return
        try:
            self._insert_data_nodes_stmt.run(conn, [_data_node_row(dn, key) for dn, key in data_nodes])
        except self._integrity_error:
            raise RaceLost("a shared data node was created by another request at the same moment") from None

    def get_task(self, task_id: str) -> Task | None:
        with reading(self.engine) as conn:
            rows = self._task_by_id.rows(conn, {"id": task_id})
        return _task_raw(rows[0]) if rows else None

    def get_tasks(self, task_ids: Sequence_[str], conn: Connection | None = None) -> dict[str, Task]:
        if conn is None:
            with reading(self.engine) as c:
                return self.get_tasks(task_ids, c)
        out: dict[str, Task] = {}
        for chunk in _chunks(list(task_ids)):
            for row in conn.execute(select(t.tasks).where(t.tasks.c.id.in_(chunk))):
                out[row.id] = _task(row)
        return out

    def list_tasks(self, page: Page, config_id: str | None = None) -> tuple[list[Task], int]:
        params = {"limit": page.limit, "offset": page.offset, "config_id": config_id}
        count, rows = (
            (self._tasks_count, self._tasks_page) if config_id is None else (self._tasks_count_of_config, self._tasks_page_of_config)
        )
        with reading(self.engine) as conn:
            total = count.rows(conn, params)[0][0]
            found = rows.rows(conn, params)
        return [_task_raw(r) for r in found], int(total)

    def delete_task(self, task_id: str) -> None:
        """Delete a task, its owned data nodes and its job history, unless a job is unfinished."""
        with writing(self.engine) as conn:
            task_row = conn.execute(select(t.tasks).where(t.tasks.c.id == task_id)).first()
            if task_row is None:
                return
            unfinished = conn.execute(
                select(func.count())
                .select_from(t.jobs)
                .where(t.jobs.c.task_id == task_id, t.jobs.c.status.in_([s.value for s in UNFINISHED_JOB_STATUSES]))
            ).scalar_one()
            if unfinished:
                raise Conflict(f"task {task_id} has {unfinished} unfinished job(s); cancel them first")
            sub_ids = [
                r.submission_id
                for r in conn.execute(select(t.jobs.c.submission_id).where(t.jobs.c.task_id == task_id).distinct())
            ]
            conn.execute(delete(t.jobs).where(t.jobs.c.task_id == task_id))
            # A submission whose every job is gone has nothing left to say.
            _delete_orphan_submissions(conn, sub_ids)
            conn.execute(delete(t.data_nodes).where(t.data_nodes.c.owner_id == task_id))
            conn.execute(delete(t.tasks).where(t.tasks.c.id == task_id))

    def find_shared_data_node(self, config_id: str, share_key: str) -> DataNode | None:
        with reading(self.engine) as conn:
            row = conn.execute(
                select(t.data_nodes).where(
                    and_(t.data_nodes.c.config_id == config_id, t.data_nodes.c.share_key == share_key)
                )
            ).first()
        return _data_node(row) if row else None

    def get_data_node(self, dn_id: str) -> DataNode | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.data_nodes).where(t.data_nodes.c.id == dn_id)).first()
        return _data_node(row) if row else None

    def get_data_nodes(self, dn_ids: Sequence_[str], conn: Connection | None = None) -> dict[str, DataNode]:
        if conn is None:
            with reading(self.engine) as c:
                return self.get_data_nodes(dn_ids, c)
        out: dict[str, DataNode] = {}
        ids = list(dn_ids)
        if 0 < len(ids) <= _SMALL_IN:
            for raw in self._dns_by_ids[len(ids) - 1].rows(conn, {f"i{k}": v for k, v in enumerate(ids)}):
                dn = _data_node_raw(raw)
                out[dn.id] = dn
            return out
        for chunk in _chunks(ids):
            for row in conn.execute(select(t.data_nodes).where(t.data_nodes.c.id.in_(chunk))):
                out[row.id] = _data_node(row)
        return out

    def list_data_nodes(self, page: Page, config_id: str | None = None) -> tuple[list[DataNode], int]:
        where = [] if config_id is None else [t.data_nodes.c.config_id == config_id]
        with reading(self.engine) as conn:
            rows, total = _page(conn, t.data_nodes, where, page)
        return [_data_node(r) for r in rows], total

    def mark_written(self, edits: Sequence_[tuple[str, datetime, str | None]], conn: Connection | None = None) -> None:
        """Record that data nodes were written: (id, when, by which job or None)."""
        if not edits:
            return
        if conn is None:
            with writing(self.engine) as c:
                return self.mark_written(edits, c)
        self._mark_written.run(conn, [{"b_id": i, "b_at": ts(at), "b_by": by} for i, at, by in edits])

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
            self._insert_jobs.run(conn, [_job_row(j) for j in submission.jobs])

    def get_submission(self, submission_id: str) -> Submission | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.submissions).where(t.submissions.c.id == submission_id)).first()
            if row is None:
                return None
            jobs = conn.execute(
                select(t.jobs).where(t.jobs.c.submission_id == submission_id).order_by(t.jobs.c.created_at, t.jobs.c.id)
            ).all()
        return _submission(row, [_job(j) for j in jobs])

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
            rows, total = _page(conn, t.submissions, where, page, newest_first=True)
            ids = [r.id for r in rows]
            jobs_by_sub: dict[str, list[Job]] = {i: [] for i in ids}
            for chunk in _chunks(ids):
                for j in conn.execute(
                    select(t.jobs).where(t.jobs.c.submission_id.in_(chunk)).order_by(t.jobs.c.created_at, t.jobs.c.id)
                ):
                    jobs_by_sub[j.submission_id].append(_job(j))
        return [_submission(r, jobs_by_sub[r.id]) for r in rows], total

    def get_job(self, job_id: str) -> Job | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).first()
        return _job(row) if row else None

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
            rows, total = _page(conn, t.jobs, where, page, newest_first=True)
        return [_job(r) for r in rows], total

    def unfinished_jobs(self, conn: Connection) -> list[Job]:
        rows = conn.execute(
            select(t.jobs)
            .where(t.jobs.c.status.in_([s.value for s in UNFINISHED_JOB_STATUSES]))
            .order_by(t.jobs.c.created_at, t.jobs.c.id)
        ).all()
        return [_job(r) for r in rows]

    def submitted_ids(self, conn: Connection) -> list[str]:
        """Submissions that no orchestrator has looked at yet."""
        return [r[0] for r in conn.execute(select(t.submissions.c.id).where(t.submissions.c.status == "SUBMITTED"))]

    def jobs_of_submissions(self, submission_ids: Sequence_[str], conn: Connection) -> list[Job]:
        out: list[Job] = []
        for chunk in _chunks(list(submission_ids)):
            out.extend(_job(r) for r in conn.execute(select(t.jobs).where(t.jobs.c.submission_id.in_(chunk))))
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

    # scenarios and sequences

    def add_scenario(
        self, scenario: Scenario, tasks: Sequence_[Task], data_nodes: Sequence_[tuple[DataNode, str | None]]
    ) -> None:
        with writing(self.engine) as conn:
            self._insert_data_nodes(data_nodes, conn)
            if tasks:
                conn.execute(insert(t.tasks), [_task_values(task) for task in tasks])
            try:
                conn.execute(
                    insert(t.scenarios).values(
                        id=scenario.id,
                        config_id=scenario.config_id,
                        cycle=scenario.cycle,
                        task_ids=scenario.task_ids,
                        data_node_ids=scenario.data_node_ids,
                        created_at=scenario.created_at,
                        updated_at=scenario.updated_at,
                        version=scenario.version,
                    )
                )
            except IntegrityError:
                raise Conflict(f"a scenario with id {scenario.id!r} already exists") from None
            if scenario.sequences:
                conn.execute(
                    insert(t.sequences),
                    [
                        {
                            "id": q.id,
                            "name": q.name,
                            "scenario_id": q.scenario_id,
                            "task_ids": q.task_ids,
                            "created_at": q.created_at,
                        }
                        for q in scenario.sequences
                    ],
                )

    def get_scenario(self, scenario_id: str) -> Scenario | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.scenarios).where(t.scenarios.c.id == scenario_id)).first()
            if row is None:
                return None
            seqs = conn.execute(
                select(t.sequences).where(t.sequences.c.scenario_id == scenario_id).order_by(t.sequences.c.name)
            ).all()
        return _scenario(row, [_sequence(q) for q in seqs])

    def list_scenarios(self, page: Page, config_id: str | None = None) -> tuple[list[Scenario], int]:
        where = [] if config_id is None else [t.scenarios.c.config_id == config_id]
        with reading(self.engine) as conn:
            rows, total = _page(conn, t.scenarios, where, page)
            ids = [r.id for r in rows]
            seqs: dict[str, list[Sequence]] = {i: [] for i in ids}
            for chunk in _chunks(ids):
                for q in conn.execute(select(t.sequences).where(t.sequences.c.scenario_id.in_(chunk))):
                    seqs[q.scenario_id].append(_sequence(q))
        return [_scenario(r, sorted(seqs[r.id], key=lambda q: q.name)) for r in rows], total

    def delete_scenario(self, scenario_id: str) -> None:
        """Delete a scenario with its tasks, sequences, owned data nodes and job history."""
        with writing(self.engine) as conn:
            row = conn.execute(select(t.scenarios).where(t.scenarios.c.id == scenario_id)).first()
            if row is None:
                return
            task_ids = list(row.task_ids)
            unfinished = 0
            for chunk in _chunks(task_ids):
                unfinished += conn.execute(
                    select(func.count())
                    .select_from(t.jobs)
                    .where(t.jobs.c.task_id.in_(chunk), t.jobs.c.status.in_([s.value for s in UNFINISHED_JOB_STATUSES]))
                ).scalar_one()
            if unfinished:
                raise Conflict(f"scenario {scenario_id} has {unfinished} unfinished job(s); cancel them first")
            sub_ids: set[str] = set()
            for chunk in _chunks(task_ids):
                sub_ids.update(
                    r.submission_id
                    for r in conn.execute(select(t.jobs.c.submission_id).where(t.jobs.c.task_id.in_(chunk)).distinct())
                )
                conn.execute(delete(t.jobs).where(t.jobs.c.task_id.in_(chunk)))
                conn.execute(delete(t.tasks).where(t.tasks.c.id.in_(chunk)))
            _delete_orphan_submissions(conn, sorted(sub_ids))
            conn.execute(delete(t.sequences).where(t.sequences.c.scenario_id == scenario_id))
            conn.execute(delete(t.data_nodes).where(t.data_nodes.c.owner_id == scenario_id))
            conn.execute(delete(t.scenarios).where(t.scenarios.c.id == scenario_id))

    def get_sequence(self, sequence_id: str) -> Sequence | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.sequences).where(t.sequences.c.id == sequence_id)).first()
        return _sequence(row) if row else None

    def list_sequences(self, page: Page, scenario_id: str | None = None) -> tuple[list[Sequence], int]:
        where = [] if scenario_id is None else [t.sequences.c.scenario_id == scenario_id]
        with reading(self.engine) as conn:
            rows, total = _page(conn, t.sequences, where, page)
        return [_sequence(r) for r in rows], total

    def latest_job_status(self, task_ids: Sequence_[str]) -> dict[str, str]:
        """The status of each task's newest job, for drawing a DAG."""
        out: dict[str, tuple[datetime, str]] = {}
        with reading(self.engine) as conn:
            for chunk in _chunks(list(task_ids)):
                for r in conn.execute(
                    select(t.jobs.c.task_id, t.jobs.c.status, t.jobs.c.created_at).where(t.jobs.c.task_id.in_(chunk))
                ):
                    if r.task_id not in out or r.created_at >= out[r.task_id][0]:
                        out[r.task_id] = (r.created_at, r.status)
        return {k: v[1] for k, v in out.items()}

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
        for chunk in _chunks(list(job_ids)):
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
        for chunk in _chunks(list(job_ids)):
            conn.execute(update(t.jobs).where(t.jobs.c.id.in_(chunk)).values(heartbeat_at=at))

    # schedules

    def add_schedule(self, schedule: Schedule) -> None:
        with writing(self.engine) as conn:
            try:
                conn.execute(insert(t.schedules).values(_schedule_values(schedule)))
            except IntegrityError:
                raise Conflict(f"a schedule with id {schedule.id!r} already exists") from None

    def get_schedule(self, schedule_id: str) -> Schedule | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.schedules).where(t.schedules.c.id == schedule_id)).first()
        return _schedule(row) if row else None

    def list_schedules(self, page: Page, state: str | None = None) -> tuple[list[Schedule], int]:
        where = [] if state is None else [t.schedules.c.state == state]
        with reading(self.engine) as conn:
            rows, total = _page(conn, t.schedules, where, page)
        return [_schedule(r) for r in rows], total

    def save_schedule(self, schedule: Schedule, expected_version: int) -> None:
        """Write a schedule if nobody changed it since `expected_version` was read."""
        values = _schedule_values(schedule)
        values.pop("id")
        with writing(self.engine) as conn:
            done = conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule.id, t.schedules.c.version == expected_version)
                .values(**values)
            ).rowcount
        if not done:
            raise PreconditionFailed(
                f"schedule {schedule.id} changed since version {expected_version}; read it again"
            )

    def delete_schedule(self, schedule_id: str) -> bool:
        with writing(self.engine) as conn:
            return conn.execute(delete(t.schedules).where(t.schedules.c.id == schedule_id)).rowcount > 0

    def due_schedules(self, now: datetime) -> list[Schedule]:
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(t.schedules)
                .where(
                    t.schedules.c.state == "active",
                    t.schedules.c.next_run_at <= now,
                    (t.schedules.c.acquired_until.is_(None)) | (t.schedules.c.acquired_until < now),
                )
                .order_by(t.schedules.c.next_run_at)
            ).all()
        return [_schedule(r) for r in rows]

    def next_due(self) -> datetime | None:
        with reading(self.engine) as conn:
            return conn.execute(
                select(func.min(t.schedules.c.next_run_at)).where(t.schedules.c.state == "active")
            ).scalar_one()

    def acquire_schedule(self, schedule_id: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take the lease on a schedule; False when another scheduler holds it."""
        with writing(self.engine) as conn:
            return (
                conn.execute(
                    update(t.schedules)
                    .where(
                        t.schedules.c.id == schedule_id,
                        (t.schedules.c.acquired_until.is_(None)) | (t.schedules.c.acquired_until < now),
                    )
                    .values(acquired_by=owner, acquired_until=until)
                ).rowcount
                == 1
            )

    def release_schedule(self, schedule_id: str, owner: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule_id, t.schedules.c.acquired_by == owner)
                .values(acquired_by=None, acquired_until=None)
            )

    def schedule_runs(self, schedule_id: str) -> tuple[int, bool]:
        """How many runs a schedule made, and whether its newest one is still going."""
        with reading(self.engine) as conn:
            count = conn.execute(
                select(func.count()).select_from(t.submissions).where(t.submissions.c.schedule_id == schedule_id)
            ).scalar_one()
            newest = conn.execute(
                select(t.submissions.c.finished_at)
                .where(t.submissions.c.schedule_id == schedule_id)
                .order_by(t.submissions.c.created_at.desc())
                .limit(1)
            ).first()
        return int(count), newest is not None and newest.finished_at is None

    def has_run(self, schedule_id: str, scheduled_for: datetime) -> bool:
        with reading(self.engine) as conn:
            return (
                conn.execute(
                    select(t.submissions.c.id).where(
                        t.submissions.c.schedule_id == schedule_id, t.submissions.c.scheduled_for == scheduled_for
                    )
                ).first()
                is not None
            )

    def ping(self) -> None:
        with reading(self.engine) as conn:
            conn.execute(select(1)).scalar_one()


def _scenario(row: Row[Any], sequences: list[Sequence]) -> Scenario:
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


def _sequence(row: Row[Any]) -> Sequence:
    m = row._mapping
    return Sequence(
        id=m["id"], name=m["name"], scenario_id=m["scenario_id"], task_ids=list(m["task_ids"]), created_at=m["created_at"]
    )


def _schedule(row: Row[Any]) -> Schedule:
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


def _schedule_values(schedule: Schedule) -> dict[str, Any]:
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


def _token_values(record: TokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "role": record.role,
        "secret_hash": record.secret_hash,
        "created_at": record.created_at,
    }
