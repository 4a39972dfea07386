"""The migrations build exactly the schema of runner/store/tables.py, and upgrade in place."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from runner.store import migrate
from runner.store.db import durability, make_engine
from runner.store.tables import metadata


def test_migrations_leave_no_difference_with_the_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert {"tasks", "jobs", "submissions", "data_nodes", "schedules", "job_logs", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )


def test_each_migration_step_upgrades_a_database_of_the_previous_one(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    for revision in ("0001", "0002", "0003", "head"):
        migrate.upgrade(engine, revision)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0004"


def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    assert durability(engine) == {"journal_mode": "wal", "synchronous": "NORMAL"}
