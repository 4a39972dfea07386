"""How views reach the services' context and build pages."""

from __future__ import annotations

from typing import Any

from flask import current_app

from runner.services.context import Context
from runner.store.repositories import Page


def ctx() -> Context:
    return current_app.extensions["runner"]  # type: ignore[no-any-return]


def page(args: dict[str, Any]) -> Page:
    """The page asked for, with the limit capped at the configured maximum."""
    return Page(offset=args["offset"], limit=min(args["limit"], ctx().settings.page_limit_max))


def paged(results: list[Any], total: int, p: Page) -> dict[str, Any]:
    return {"results": results, "total": total, "offset": p.offset, "limit": p.limit}
