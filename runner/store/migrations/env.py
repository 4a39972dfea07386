"""Alembic environment: runs against the connection runner hands over (see store.migrate)."""

from __future__ import annotations

from alembic import context

from runner.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when a developer runs `alembic` by hand
    raise SystemExit("run migrations through `runner db upgrade` or runner.store.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
