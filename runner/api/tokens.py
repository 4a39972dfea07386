"""/api/v1/tokens: API tokens (admin only). A new token is shown once, then only its hash is kept."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from runner.api.blueprint import Blueprint

from runner.api import schemas as s
from runner.api.auth import require
from runner.api.context import ctx
from runner.auth.roles import Role
from runner.services import tokens as service

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="API tokens")


@blp.route("")
class Tokens(MethodView):
    @require(Role.ADMIN)
    @blp.response(200, s.TokenList)
    def get(self) -> dict[str, Any]:
        """List tokens (never their secrets)"""
        records = ctx().store.list_tokens()
        return {"results": records, "total": len(records)}

    @require(Role.ADMIN)
    @blp.arguments(s.TokenCreate)
    @blp.response(201, s.TokenCreated)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Create a token; the response is the only time it is shown"""
        issued = service.create_token(ctx().store, body["role"], body["name"])
        return (
            {"message": "store this token now: it is not shown again", "token": issued.token, "info": issued.record},
            201,
            {"Location": f"/api/v1/tokens/{issued.record.id}"},
        )


@blp.route("/<token_id>")
class TokenItem(MethodView):
    @require(Role.ADMIN)
    @blp.response(200, s.Message)
    @blp.alt_response(404, description="No token has this id")
    def delete(self, token_id: str) -> dict[str, Any]:
        """Revoke a token"""
        service.revoke_token(ctx().store, token_id, current_app.extensions["runner.tokens"])
        return {"message": f"token {token_id} revoked"}
