"""Prepared statements run straight on the DB-API cursor, for the orchestrator's hot path.

The orchestrator writes a few rows per turn, thousands of turns a second. SQLAlchemy's
execution machinery costs more than SQLite's own work there, so these statements are
compiled once per dialect and their rows handed to `executemany` as plain tuples. The rows
must already be database-ready: epoch floats for times, JSON text for JSON columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql import Executable


def ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def js(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


class Prepared:
    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.sql = str(compiled)
        self.order: list[str] | None = list(compiled.positiontup) if compiled.positional else None

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        params: Sequence[Any] = [tuple(r[k] for k in self.order) for r in rows] if self.order else rows
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()


class Query:
    """A SELECT compiled once, fetched as plain tuples (the caller converts the columns)."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.sql = str(compiled)
        self.order: list[str] | None = list(compiled.positiontup) if compiled.positional else None

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        args: Any = tuple(params[k] for k in self.order) if self.order is not None else params
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, args)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def when(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def unjs(value: str | None) -> Any:
    return None if value is None else json.loads(value)
