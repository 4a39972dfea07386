"""Bearer-token authentication and role checks, denying every route that declares no role.

Views declare their role with `@require(Role.X)` (or `@public`); one before_request hook
enforces it. A route without a declaration is refused, so forgetting the decorator fails
closed, and tests/api/test_roles.py walks the URL map to catch it before it ships.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_smorest import Blueprint

from runner.api.errors import problem
from runner.auth.roles import Role, allows
from runner.services import tokens as token_service

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
# Routes that flask-smorest registers itself: the spec and its UI.
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json", "api-docs.openapi_swagger_ui"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="runner"'}


def require(role: Role) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        func = Blueprint.doc(  # type: ignore[assignment]
            security=[{"bearerAuth": []}],
            description=f"Requires the `{role}` role (or one that includes it).",
        )(func)
        func._runner_role = role  # type: ignore[attr-defined]
        return func

    return decorator


def public(func: F) -> F:
    func._runner_role = PUBLIC  # type: ignore[attr-defined]
    return func


def declared_role(endpoint: str | None, method: str) -> Role | str | None:
    """The role a route declares for a method, PUBLIC, or None when it declares nothing."""
    if endpoint is None:
        return PUBLIC  # no route matched: let the 404 through
    if endpoint in PUBLIC_ENDPOINTS or method == "OPTIONS":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        view = handler
    return getattr(view, "_runner_role", None)


def _check() -> Response | None:
    role = declared_role(request.endpoint, request.method)
    if role == PUBLIC:
        return None
    if role is None:
        return problem(403, "this route declares no role, so it is closed to everyone")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem(401, "send a token: Authorization: Bearer <token>", headers=CHALLENGE)
    ctx = current_app.extensions["runner"]
    held = token_service.role_of(
        ctx.store, token.strip(), current_app.config["RUNNER_ADMIN_TOKEN_HASH"], current_app.extensions["runner.tokens"]
    )
    if held is None:
        return problem(401, "the token is unknown or revoked", headers=CHALLENGE)
    assert isinstance(role, Role)
    if not allows(held, role):
        return problem(403, f"this call needs the {role} role; the token has the {held} role")
    g.role = held
    return None


def init_app(app: Flask) -> None:
    app.extensions["runner.tokens"] = token_service.TokenCache()
    app.before_request(_check)
