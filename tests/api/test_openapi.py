"""/healthz and /api/v1/openapi.json: public, and the spec is complete."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runner.api.auth import PUBLIC, declared_role

METHODS = {"get", "put", "post", "delete", "patch"}


def spec_path(rule: str) -> str:
    """Flask's /a/<int:x>/<y> as OpenAPI's /a/{x}/{y}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture
def spec(client: FlaskClient) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def api_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api-docs."):
            continue  # the spec and its UI are not operations of the API
        yield rule


def test_healthz_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_spec_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"]
    assert body["info"]["version"]


def test_every_api_route_is_in_the_spec(app: Flask, spec: dict) -> None:
    missing = []
    seen = 0
    for rule in api_rules(app):
        if not rule.rule.startswith("/api/v1"):
            continue
        seen += 1
        path = spec_path(rule.rule)
        if path not in spec["paths"]:
            missing.append(path)
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in spec["paths"][path]:
                missing.append(f"{method} {path}")
    assert seen >= 14
    assert not missing, missing


def test_the_spec_lists_no_route_the_app_lacks(app: Flask, spec: dict) -> None:
    routes = {spec_path(r.rule): {m.lower() for m in r.methods} for r in api_rules(app)}
    for path, operations in spec["paths"].items():
        assert path in routes, path
        assert set(operations) & METHODS <= routes[path], path


def test_contract_paths_are_in_the_spec(spec: dict) -> None:
    expected = {
        "/api/v1/tasks": {"get", "post"},
        "/api/v1/tasks/{task_id}": {"get", "put", "delete"},
        "/api/v1/tasks/submit/{task_id}": {"post"},
        "/api/v1/submissions": {"get"},
        "/api/v1/submissions/{submission_id}": {"get"},
        "/api/v1/jobs": {"get"},
        "/api/v1/jobs/{job_id}": {"get"},
        "/api/v1/datanodes": {"get"},
        "/api/v1/datanodes/{datanode_id}": {"get"},
        "/api/v1/datanodes/{datanode_id}/read": {"get"},
        "/api/v1/datanodes/{datanode_id}/write": {"put"},
        "/api/v1/configs/tasks": {"get"},
        "/api/v1/configs/tasks/{config_id}": {"get"},
        "/api/v1/tokens": {"get", "post"},
        "/api/v1/tokens/{token_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path


def test_the_bearer_scheme_is_declared(spec: dict) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"].lower() == "bearer"


def test_operations_declare_bearer_auth_unless_public(app: Flask, spec: dict) -> None:
    wrong = []
    for rule in api_rules(app):
        path = spec_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue  # reported by test_every_api_route_is_in_the_spec
            with app.test_request_context():
                public = declared_role(rule.endpoint, method) == PUBLIC
            security = operation.get("security", spec.get("security"))
            needs_bearer = bool(security) and any("bearerAuth" in s for s in security)
            if needs_bearer == public:
                wrong.append(f"{method} {path}: public={public} security={security}")
    assert not wrong, wrong


def test_path_parameters_are_declared(spec: dict) -> None:
    for path, item in spec["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        declared = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        for method in set(item) & METHODS:
            declared |= {p["name"] for p in item[method].get("parameters", []) if p.get("in") == "path"}
        assert names <= declared, path


def test_query_arguments_are_documented(spec: dict) -> None:
    params = {p["name"] for p in spec["paths"]["/api/v1/tasks"]["get"]["parameters"] if p["in"] == "query"}
    assert {"offset", "limit", "config_id"} <= params
    post = {p["name"]: p for p in spec["paths"]["/api/v1/tasks"]["post"]["parameters"] if p["in"] == "query"}
    assert post["config_id"]["required"] is True


def _resolve(spec: dict, obj: dict) -> dict:
    while "$ref" in obj:
        _, _, section, name = obj["$ref"].split("/")
        obj = spec["components"][section][name]
    return obj


def test_the_spec_documents_errors_as_problem_details(spec: dict) -> None:
    operation = spec["paths"]["/api/v1/tasks/{task_id}"]["get"]
    default = _resolve(spec, operation["responses"]["default"])

    content = default.get("content", {})
    assert "application/problem+json" in content
    schema = _resolve(spec, content["application/problem+json"]["schema"])
    assert {"type", "title", "status", "detail"} <= set(schema.get("properties", {}))
