"""Use cases of API tokens: create (shown once), list, revoke, check, bootstrap."""

from __future__ import annotations

import threading
import time
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


def revoke_token(store: Store, token_id: str, cache: TokenCache | None = None) -> None:
    if not store.delete_token(token_id):
        raise NotFound(f"no token has the id {token_id!r}")
    if cache is not None:
        cache.forget(token_id)


class TokenCache:
    """Recently checked tokens, by the hash of the whole token, for a few seconds.

    Checking a token costs a database read; every request has one. A token revoked in this
    process is forgotten at once; one revoked by another process stops working within
    `ttl` seconds.
    """

    def __init__(self, ttl: float = 5.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, Role, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Role | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, role: Role, token_id: str) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, role, token_id)

    def forget(self, token_id: str) -> None:
        with self._lock:
            for key in [k for k, v in self._entries.items() if v[2] == token_id]:
                del self._entries[key]


def role_of(store: Store, token: str, admin_token_hash: str | None, cache: TokenCache | None = None) -> Role | None:
    """The role a bearer token grants, or None when it is unknown."""
    if admin_token_hash is not None and tokens.matches(token, admin_token_hash):
        return Role.ADMIN
    key = tokens.hash_secret(token)
    if cache is not None and (cached := cache.get(key)) is not None:
        return cached
    parsed = tokens.parse(token)
    if parsed is None:
        return None
    record = store.get_token(parsed[0])
    if record is None or not tokens.matches(parsed[1], record.secret_hash):
        return None
    role = tokens.parse_role(record.role)
    if role is not None and cache is not None:
        cache.put(key, role, record.id)
    return role


def bootstrap_admin(store: Store, env_admin_token: str | None) -> Issued | None:
    """On a first start with no admin token anywhere, make one; the caller prints it once."""
    if env_admin_token or store.count_tokens(Role.ADMIN.value) > 0:
        return None
    return create_token(store, Role.ADMIN, "bootstrap admin")
