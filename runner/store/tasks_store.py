"""The store's tasks and their data nodes."""

from __future__ import annotations

from typing import Any

from collections.abc import Sequence as Sequence_
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, delete, func, select

from runner.domain.entities import DataNode, Task
from runner.domain.status import UNFINISHED_JOB_STATUSES
from runner.errors import Conflict, RaceLost
from runner.store import tables as t
from runner.store.db import reading, writing
from runner.store.fast import Prepared, Query, ts
from runner.store.rows import (
    data_node_from_raw,
    data_node_from_row,
    data_node_row,
    task_from_raw,
    task_from_row,
    task_row,
)
from runner.store.statements import SMALL_IN, Page, chunks, delete_orphan_submissions, page_of


class TaskStore:
    """Tasks and their data nodes."""

    # Set in Store.__init__.
    engine: Engine
    _integrity_error: type[Exception]
    _insert_tasks: Prepared
    _insert_data_nodes_stmt: Prepared
    _mark_written: Prepared
    _dns_by_ids: list[Query]
    _task_by_id: Query
    _tasks_page: Query
    _tasks_page_of_config: Query
    _tasks_count: Query
    _tasks_count_of_config: Query

    def add_task(self, task: Task, data_nodes: list[tuple[DataNode, str | None]]) -> None:
        """Insert a task with the data nodes it creates, in one transaction.

        `data_nodes` pairs each new node with its share key (None for owned nodes); a shared
        node that already exists is not inserted again.
        """
        with writing(self.engine) as conn:
            self._insert_data_nodes(data_nodes, conn)
            try:
                self._insert_tasks.run(conn, [task_row(task)])
            except self._integrity_error:
                raise Conflict(f"a task with id {task.id!r} already exists") from None

    def _insert_data_nodes(self, data_nodes: Sequence_[tuple[DataNode, str | None]], conn: Connection) -> None:
        if not data_nodes:
            return
        try:
            self._insert_data_nodes_stmt.run(conn, [data_node_row(dn, key) for dn, key in data_nodes])
        except self._integrity_error:
            raise RaceLost("a shared data node was created by another request at the same moment") from None

    def get_task(self, task_id: str) -> Task | None:
        with reading(self.engine) as conn:
            rows = self._task_by_id.rows(conn, {"id": task_id})
        return task_from_raw(rows[0]) if rows else None

    def get_tasks(self, task_ids: Sequence_[str], conn: Connection | None = None) -> dict[str, Task]:
        if conn is None:
            with reading(self.engine) as c:
                return self.get_tasks(task_ids, c)
        out: dict[str, Task] = {}
        for chunk in chunks(list(task_ids)):
            for row in conn.execute(select(t.tasks).where(t.tasks.c.id.in_(chunk))):
                out[row.id] = task_from_row(row)
        return out

    def list_tasks(self, page: Page, config_id: str | None = None) -> tuple[list[Task], int]:
        found, total = self.list_task_rows(page, config_id)
        return [task_from_raw(r) for r in found], total

    def list_task_rows(self, page: Page, config_id: str | None = None) -> tuple[list[tuple[Any, ...]], int]:
        """A page of tasks as raw column values (JSON columns still JSON text), and the total."""
        params = {"limit": page.limit, "offset": page.offset, "config_id": config_id}
        count, rows = (
            (self._tasks_count, self._tasks_page) if config_id is None else (self._tasks_count_of_config, self._tasks_page_of_config)
        )
        with reading(self.engine) as conn:
            total = count.rows(conn, params)[0][0]
            found = rows.rows(conn, params)
        return found, int(total)

    def delete_task(self, task_id: str) -> None:
        """Delete a task, its owned data nodes and its job history, unless a job is unfinished."""
        with writing(self.engine) as conn:
            existing = conn.execute(select(t.tasks).where(t.tasks.c.id == task_id)).first()
            if existing is None:
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
            delete_orphan_submissions(conn, sub_ids)
            conn.execute(delete(t.data_nodes).where(t.data_nodes.c.owner_id == task_id))
            conn.execute(delete(t.tasks).where(t.tasks.c.id == task_id))

    def find_shared_data_node(self, config_id: str, share_key: str) -> DataNode | None:
        with reading(self.engine) as conn:
            row = conn.execute(
                select(t.data_nodes).where(
                    and_(t.data_nodes.c.config_id == config_id, t.data_nodes.c.share_key == share_key)
                )
            ).first()
        return data_node_from_row(row) if row else None

    def get_data_node(self, dn_id: str) -> DataNode | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.data_nodes).where(t.data_nodes.c.id == dn_id)).first()
        return data_node_from_row(row) if row else None

    def get_data_nodes(self, dn_ids: Sequence_[str], conn: Connection | None = None) -> dict[str, DataNode]:
        if conn is None:
            with reading(self.engine) as c:
                return self.get_data_nodes(dn_ids, c)
        out: dict[str, DataNode] = {}
        ids = list(dn_ids)
        if 0 < len(ids) <= SMALL_IN:
            for raw in self._dns_by_ids[len(ids) - 1].rows(conn, {f"i{k}": v for k, v in enumerate(ids)}):
                dn = data_node_from_raw(raw)
                out[dn.id] = dn
            return out
        for chunk in chunks(ids):
            for row in conn.execute(select(t.data_nodes).where(t.data_nodes.c.id.in_(chunk))):
                out[row.id] = data_node_from_row(row)
        return out

    def list_data_nodes(self, page: Page, config_id: str | None = None) -> tuple[list[DataNode], int]:
        where = [] if config_id is None else [t.data_nodes.c.config_id == config_id]
        with reading(self.engine) as conn:
            rows, total = page_of(conn, t.data_nodes, where, page)
        return [data_node_from_row(r) for r in rows], total

    def mark_written(self, edits: Sequence_[tuple[str, datetime, str | None]], conn: Connection | None = None) -> None:
        """Record that data nodes were written: (id, when, by which job or None)."""
        if not edits:
            return
        if conn is None:
            with writing(self.engine) as c:
                return self.mark_written(edits, c)
        self._mark_written.run(conn, [{"b_id": i, "b_at": ts(at), "b_by": by} for i, at, by in edits])
