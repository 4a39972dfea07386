"""/healthz: is the database answering (no auth, for load balancers)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from runner.api.blueprint import Blueprint

from runner.api import schemas as s
from runner.api.auth import public
from runner.api.context import ctx
from runner.api.errors import problem

blp = Blueprint("health", __name__, description="Health")


@blp.route("/healthz")
class Health(MethodView):
    @public
    @blp.response(200, s.Health)
    @blp.alt_response(503, description="The database does not answer")
    def get(self) -> dict[str, Any] | Response:
        """Is the service up and its database answering (no token needed)"""
        try:
            ctx().store.ping()
        except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
            return problem(503, f"the database does not answer: {type(exc).__name__}")
        return {"status": "ok"}
