"""Bearer tokens: random secrets of which only a sha256 is kept.

A token reads `rnr_<id>_<secret>`. The id finds the record; the secret's hash is compared
in constant time. The secrets are 256 random bits, so a fast hash is enough: there is no
password to guess, and slow hashing would only slow every request down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from runner.auth.roles import Role

PREFIX = "rnr"


@dataclass(frozen=True, slots=True)
class NewToken:
    id: str
    secret_hash: str
    token: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate() -> NewToken:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewToken(id=token_id, secret_hash=hash_secret(secret), token=f"{PREFIX}_{token_id}_{secret}")


def parse(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None
