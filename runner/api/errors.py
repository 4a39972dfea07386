"""RFC 9457 problem details for every error, and the only place that maps errors to HTTP codes."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

from runner.errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RunnerError,
    StorageError,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_OF: dict[type[RunnerError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    PreconditionFailed: 412,
    StorageError: 409,
    ConfigError: 500,
}


def problem(status: int, detail: str, *, title: str | None = None, headers: dict[str, str] | None = None,
            **members: Any) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in members.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _status_of(exc: RunnerError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]  # type: ignore[index]
    return 500


def handle_runner_error(exc: RunnerError) -> Response:
    status = _status_of(exc)
    # With type "about:blank", RFC 9457 wants the title to be the status phrase.
    return problem(status, exc.detail, **exc.extra)


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")
    detail = data.get("message") or exc.description or HTTPStatus(status).phrase
    if errors and status in (400, 422):
        # webargs puts field messages under the location ("json", "query"): keep that shape.
        detail = "the request did not validate: see errors"
    if status == 413:
        detail = f"the request body is larger than the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes"
    # Keep what werkzeug says in headers (Allow on a 405, ...), but not its content type.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if isinstance(exc, InternalServerError):
        detail = "an unexpected error happened on the server; it was logged"
    return problem(status, detail, errors=errors, headers=headers)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "an unexpected error happened on the server; it was logged")


def refuse_oversized_bodies() -> Response | None:
    """413 as soon as the declared length is too large, whether or not the view reads it."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and request.content_length is not None and request.content_length > limit:
        return problem(413, f"the request body is larger than the limit of {limit} bytes")
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_bodies)
    app.register_error_handler(RunnerError, handle_runner_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
