"""Use cases of API tokens: create (shown once), list, revoke, check, bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from runner.auth import tokens
from runner.auth.roles import Role
from runner.domain.clock import utcnow
from runner.errors import NotFound
from runner.store.repositories import Store, TokenRecord


@dataclass(frozen=True, slots=True)
class Issued:
    record: TokenRecord
    token: str


def create_token(store: Store, role: Role, name: str) -> Issued:
    new = tokens.generate()
    record = TokenRecord(id=new.id, name=name, role=role.value, secret_hash=new.secret_hash, created_at=utcnow())
    store.add_token(record)
    return Issued(record=record, token=new.token)


def revoke_token(store: Store, token_id: str) -> None:
    if not store.delete_token(token_id):
        raise NotFound(f"no token has the id {token_id!r}")


def role_of(store: Store, token: str, admin_token_hash: str | None) -> Role | None:
    """The role a bearer token grants, or None when it is unknown."""
    if admin_token_hash is not None and tokens.matches(token, admin_token_hash):
        return Role.ADMIN
    parsed = tokens.parse(token)
    if parsed is None:
        return None
    record = store.get_token(parsed[0])
    if record is None or not tokens.matches(parsed[1], record.secret_hash):
        return None
    return tokens.parse_role(record.role)


def bootstrap_admin(store: Store, env_admin_token: str | None) -> Issued | None:
    """On a first start with no admin token anywhere, make one; the caller prints it once."""
    if env_admin_token or store.count_tokens(Role.ADMIN.value) > 0:
        return None
    return create_token(store, Role.ADMIN, "bootstrap admin")
