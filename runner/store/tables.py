"""The schema. Changes go through a new Alembic migration in runner/store/migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class EpochTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as epoch seconds: compact, fast, sorts as a number."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> float | None:
        return None if value is None else value.timestamp()

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(value, UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    # sha256 of the secret part; the secret itself is never stored.
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", EpochTime, nullable=False),
)

data_nodes = Table(
    "data_nodes",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("config_id", String(100), nullable=False, index=True),
    Column("storage_type", String(20), nullable=False),
    Column("scope", String(20), nullable=False),
    Column("owner_id", String(200), index=True),
    # Shared instances (GLOBAL, CYCLE scope) carry a key that is unique per config id, so
    # that two concurrent creations cannot make two of them. NULL for owned instances.
    Column("share_key", String(200)),
    Column("path", Text),
    Column("options", JSON, nullable=False),
    Column("validity_period", Float),
    Column("last_edit_date", EpochTime),
    Column("edited_by", String(200)),
    Column("created_at", EpochTime, nullable=False),
    Column("updated_at", EpochTime, nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("config_id", "share_key"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("config_id", String(100), nullable=False, index=True),
    Column("function", String(300), nullable=False),
    Column("input_ids", JSON, nullable=False),
    Column("output_ids", JSON, nullable=False),
    Column("skippable", Boolean, nullable=False),
    Column("params", JSON, nullable=False),
    Column("scenario_id", String(200), index=True),
    Column("created_at", EpochTime, nullable=False),
    Column("updated_at", EpochTime, nullable=False),
    Column("version", Integer, nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("entity_type", String(20), nullable=False),
    Column("entity_id", String(200), nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("created_at", EpochTime, nullable=False),
    Column("updated_at", EpochTime, nullable=False),
    Column("finished_at", EpochTime),
    # Set when a schedule made this submission: at most one per schedule and due time.
    Column("schedule_id", String(200)),
    Column("scheduled_for", EpochTime),
    UniqueConstraint("schedule_id", "scheduled_for"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("task_id", String(200), nullable=False, index=True),
    Column("submission_id", String(200), ForeignKey("submissions.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("status_msg", Text, nullable=False),
    Column("status_percent", Float),
    Column("created_at", EpochTime, nullable=False),
    Column("updated_at", EpochTime, nullable=False),
    Column("started_at", EpochTime),
    Column("finished_at", EpochTime),
    Column("canceled_at", EpochTime),
    Column("error_type", String(200)),
    Column("error_message", Text),
    Column("error_traceback", Text),
    Column("attempts", Integer, nullable=False),
    Column("params", JSON, nullable=False),
    Column("timeout", Float),
    # Written by the orchestrator while the job runs; a stale one after a crash means lost.
    Column("heartbeat_at", EpochTime),
    # When a job waits for a retry: not before this time.
    Column("not_before", EpochTime),
    # One entry per finished attempt: started_at, finished_at, error.
    Column("history", JSON),
)

Index("ix_jobs_task_id_status", jobs.c.task_id, jobs.c.status)
# Pages are ordered by (created_at, id): with these an OFFSET walks an index, not a sort.
Index("ix_jobs_created_at_id", jobs.c.created_at, jobs.c.id)
Index("ix_tasks_created_at_id", tasks.c.created_at, tasks.c.id)
Index("ix_submissions_created_at_id", submissions.c.created_at, submissions.c.id)
Index("ix_data_nodes_created_at_id", data_nodes.c.created_at, data_nodes.c.id)

scenarios = Table(
    "scenarios",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("config_id", String(100), nullable=False, index=True),
    # The cycle a scenario with a frequency belongs to, e.g. "DAILY:2026-11-24".
    Column("cycle", String(100)),
    Column("task_ids", JSON, nullable=False),
    Column("data_node_ids", JSON, nullable=False),
    Column("created_at", EpochTime, nullable=False, index=True),
    Column("updated_at", EpochTime, nullable=False),
    Column("version", Integer, nullable=False),
)

sequences = Table(
    "sequences",
    metadata,
    Column("id", String(300), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("scenario_id", String(200), ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("task_ids", JSON, nullable=False),
    Column("created_at", EpochTime, nullable=False, index=True),
)

job_logs = Table(
    "job_logs",
    metadata,
    Column("job_id", String(200), primary_key=True),
    # 0, 1, 2, ... per job: a client tails with offset = last idx + 1.
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("level", String(10), nullable=False),
    Column("msg", Text, nullable=False),
    Column("status_percent", Float),
    Column("timestamp", EpochTime, nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", String(200), primary_key=True),
    # "config" (declared in TOML; edit the file) or "api".
    Column("source", String(20), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("type", String(20), nullable=False),
    Column("state", String(20), nullable=False, index=True),
    Column("status_msg", Text, nullable=False),
    Column("next_run_at", EpochTime, index=True),
    Column("last_run_at", EpochTime),
    Column("occurrences", Integer, nullable=False),
    Column("created_at", EpochTime, nullable=False),
    Column("updated_at", EpochTime, nullable=False),
    Column("version", Integer, nullable=False),
    # A scheduler's lease while it fires this schedule (APScheduler-style).
    Column("acquired_by", String(100)),
    Column("acquired_until", EpochTime),
)
