"""`runner token create|list|revoke`: manage API tokens from the server's machine."""

from __future__ import annotations

import click

from runner.auth.roles import Role
from runner.errors import NotFound


def _store():  # type: ignore[no-untyped-def]
    from runner.settings import load_settings
    from runner.store import migrate
    from runner.store.db import make_engine
    from runner.store.repositories import Store

    engine = make_engine(load_settings().database_url)
    migrate.upgrade(engine)
    return Store(engine)


@click.group()
def token() -> None:
    """Manage API tokens (stored hashed; a new token is printed once)."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="What the token may do.")
@click.option("--name", required=True, help="Who or what uses it.")
def create(role: str, name: str) -> None:
    """Create a token and print it (only now: it is stored hashed)."""
    from runner.services.tokens import create_token

    issued = create_token(_store(), Role(role), name)
    click.echo(issued.token)


@token.command("list")
def list_() -> None:
    """List tokens: id, role, name, creation time."""
    for record in _store().list_tokens():
        click.echo(f"{record.id}  {record.role:<8}  {record.name}  {record.created_at.isoformat()}")


@token.command("revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token by id."""
    from runner.services.tokens import revoke_token

    try:
        revoke_token(_store(), token_id)
    except NotFound as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"revoked {token_id}")
