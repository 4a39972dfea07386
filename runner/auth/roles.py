"""Roles and what each one may do. Every API route declares the role it needs."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    READER = "reader"
    """Every GET."""
    EDITOR = "editor"
    """Reader, plus create and delete entities and write data nodes."""
    EXECUTOR = "executor"
    """Reader, plus submit and cancel."""
    ADMIN = "admin"
    """Everything, tokens included."""


GRANTS: dict[Role, frozenset[Role]] = {
    Role.READER: frozenset({Role.READER}),
    Role.EDITOR: frozenset({Role.READER, Role.EDITOR}),
    Role.EXECUTOR: frozenset({Role.READER, Role.EXECUTOR}),
    Role.ADMIN: frozenset(Role),
}


def allows(held: Role, required: Role) -> bool:
    return required in GRANTS[held]
