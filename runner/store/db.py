"""The database engine: SQLite on a laptop, PostgreSQL when scaled out.

SQLite runs in WAL mode (readers never block the writer) with synchronous=NORMAL: a commit
is durable against a crash of the process, and against power loss up to the last
checkpoint. Write transactions start with BEGIN IMMEDIATE so that two writers queue on the
busy timeout instead of failing with "database is locked" when a read lock must be upgraded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "busy_timeout": "30000",
    "foreign_keys": "ON",
}


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=20, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for name, value in SQLITE_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("write", False)
        # Straight to the driver: SQLAlchemy's statement machinery would cost more than
        # the BEGIN itself, on every request.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]

    return engine


def durability(engine: Engine) -> dict[str, str]:
    """The settings that decide what survives a crash, for reports and `make bench`."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            return {"synchronous_commit": str(conn.exec_driver_sql("SHOW synchronous_commit").scalar())}
    with engine.connect() as conn:
        return {
            "journal_mode": str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()),
            "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                int(conn.exec_driver_sql("PRAGMA synchronous").scalar() or 0), "?"
            ),
        }


_WRITE_LOCKS: dict[int, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine) -> threading.Lock | None:
    """SQLite has one writer at a time. Threads of this process queue on a lock for it.

    Without the lock they would queue in SQLite's busy handler, which sleeps and retries:
    unfair under load (one writer can lose again and again until its timeout) and slow.
    Other processes still wait on the busy timeout.
    """
    if engine.dialect.name != "sqlite":
        return None
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(id(engine), threading.Lock())


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any exception."""
    lock = _write_lock(engine)
    if lock is None:
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn
        return
    with lock, engine.connect().execution_options(write=True) as conn, conn.begin():
        yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn
