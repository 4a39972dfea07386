"""Statements the store's parts share: the prebuilt ones of the hot paths, and the helpers for
paging and for IN (...) lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as Sequence_
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, literal_column, select, update

from runner.store import tables as t

# SQLite's default limit on bound parameters is 32766; stay far below for IN (...) lists.
_CHUNK = 900


def chunks(ids: Sequence_[str]) -> Iterable[Sequence_[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


@dataclass(frozen=True, kw_only=True, slots=True)
class Page:
    offset: int
    limit: int


def page_of(
    conn: Connection, table: Any, where: list[Any], page: Page, newest_first: bool = False
) -> tuple[list[Row[Any]], int]:
    """One page of a table in (created_at, id) order, and how many rows match in all."""
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    created = table.c.created_at.desc() if newest_first else table.c.created_at
    rows = conn.execute(
        select(table).where(*where).order_by(created, table.c.id).offset(page.offset).limit(page.limit)
    ).all()
    return list(rows), int(total)


def delete_orphan_submissions(conn: Connection, submission_ids: Sequence_[str]) -> None:
    """Delete the submissions among these that have no job left."""
    for chunk in chunks(list(submission_ids)):
        conn.execute(
            delete(t.submissions).where(
                t.submissions.c.id.in_(chunk),
                ~select(t.jobs.c.id).where(t.jobs.c.submission_id == t.submissions.c.id).exists(),
            )
        )


# -- statements the orchestrator runs on every turn, built once --------------------------

SAVE_JOBS = (
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
MARK_WRITTEN = (
    update(t.data_nodes)
    .where(t.data_nodes.c.id == bindparam("b_id"))
    .values(
        last_edit_date=bindparam("b_at"),
        updated_at=bindparam("b_at"),
        edited_by=bindparam("b_by"),
        version=t.data_nodes.c.version + literal_column("1"),
    )
)
SAVE_SUBMISSIONS = (
    update(t.submissions)
    .where(t.submissions.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), updated_at=bindparam("b_at"), finished_at=bindparam("b_fin"))
)
TASK_BY_ID = select(t.tasks).where(t.tasks.c.id == bindparam("id"))
_TASK_ORDER = (t.tasks.c.created_at, t.tasks.c.id)
TASKS_PAGE = select(t.tasks).order_by(*_TASK_ORDER).limit(bindparam("limit")).offset(bindparam("offset"))
TASKS_PAGE_OF_CONFIG = (
    select(t.tasks)
    .where(t.tasks.c.config_id == bindparam("config_id"))
    .order_by(*_TASK_ORDER)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
TASKS_COUNT = select(func.count()).select_from(t.tasks)
TASKS_COUNT_OF_CONFIG = select(func.count()).select_from(t.tasks).where(t.tasks.c.config_id == bindparam("config_id"))
# Fetching the few data nodes of a fresh submission: one statement per small count.
SMALL_IN = 16


def data_nodes_by_ids(n: int) -> Any:
    return select(t.data_nodes).where(t.data_nodes.c.id.in_([bindparam(f"i{k}") for k in range(n)]))


INSERT_LOGS = insert(t.job_logs)
