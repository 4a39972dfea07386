"""Repositories: the entities in and out of the tables, with SQLAlchemy Core.

Core rather than the ORM: the orchestrator writes thousands of job transitions a second in
batches, and plain executemany statements are what makes that cheap.

The Store is put together from one mixin per aggregate (tokens_store, tasks_store, runs_store,
scenarios_store, schedules_store); the row mapping is in rows, the prebuilt statements in statements.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from runner.store import tables as t
from runner.store.db import reading
from runner.store.fast import Prepared, Query
from runner.store.rows import TokenRecord, job_values
from runner.store.runs_store import RunStore
from runner.store.scenarios_store import ScenarioStore
from runner.store.schedules_store import ScheduleStore
from runner.store.statements import (
    INSERT_LOGS,
    MARK_WRITTEN,
    SAVE_JOBS,
    SAVE_SUBMISSIONS,
    SMALL_IN,
    TASK_BY_ID,
    TASKS_COUNT,
    TASKS_COUNT_OF_CONFIG,
    TASKS_PAGE,
    TASKS_PAGE_OF_CONFIG,
    Page,
    data_nodes_by_ids,
)
from runner.store.tasks_store import TaskStore
from runner.store.tokens_store import TokenStore

# Page, TokenRecord and job_values are imported from here by the rest of runner.
__all__ = ["Page", "Store", "TokenRecord", "job_values"]


# -- the store -----------------------------------------------------------------------------


class Store(TokenStore, TaskStore, RunStore, ScenarioStore, ScheduleStore):
    """Every read and write of the entities. One instance per process, thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        self._save_jobs = Prepared(SAVE_JOBS, dialect)
        self._mark_written = Prepared(MARK_WRITTEN, dialect)
        self._save_submissions = Prepared(SAVE_SUBMISSIONS, dialect)
        self._insert_logs = Prepared(INSERT_LOGS, dialect)
        self._insert_submission = Prepared(insert(t.submissions), dialect)
        self._insert_tasks = Prepared(insert(t.tasks), dialect)
        self._insert_data_nodes_stmt = Prepared(insert(t.data_nodes), dialect)
        self._insert_jobs = Prepared(insert(t.jobs), dialect)
        self._integrity_error: type[Exception] = engine.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
        self._dns_by_ids = [Query(data_nodes_by_ids(n), dialect) for n in range(1, SMALL_IN + 1)]
        # Reads that every API call of the task endpoints makes.
        self._task_by_id = Query(TASK_BY_ID, dialect)
        self._tasks_page = Query(TASKS_PAGE, dialect)
        self._tasks_page_of_config = Query(TASKS_PAGE_OF_CONFIG, dialect)
        self._tasks_count = Query(TASKS_COUNT, dialect)
        self._tasks_count_of_config = Query(TASKS_COUNT_OF_CONFIG, dialect)

    def ping(self) -> None:
        with reading(self.engine) as conn:
            conn.execute(select(1)).scalar_one()
