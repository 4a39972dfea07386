"""The REST edge: one flask-smorest Blueprint per resource, problem details, role checks."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, Response
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from runner.api import auth, errors
from runner.api.schemas import ProblemSchema
from runner.api import configs, datanodes, health, jobs, scenarios, schedules, tasks, tokens


class RunnerApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: Any) -> Response:  # flask-smorest's hook
        return errors.handle_http_exception(error)

    def _register_responses(self) -> None:
        """Document every error response as what it is: application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, errors.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, errors.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_app(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "runner")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", "https://cdn.jsdelivr.net/npm/swagger-ui-dist/")
    api = RunnerApi(
        app,
        spec_kwargs={
            "info": {"description": "A config-driven workflow runner. Errors are RFC 9457 problem details."},
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blp in (
        health.blp,
        tasks.blp,
        scenarios.blp,
        scenarios.sequences_blp,
        schedules.blp,
        jobs.submissions_blp,
        jobs.jobs_blp,
        datanodes.blp,
        configs.blp,
        tokens.blp,
    ):
        api.register_blueprint(blp)
    errors.init_app(app)
    auth.init_app(app)
    return api
