"""Who may call what: the role matrix, 401 versus 403, and deny by default."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from api_helpers import assert_problem, bearer, create_task, make_tokens, run_task, snapshot, submit, wait_until
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView

from runner.api.auth import PUBLIC, declared_role, require
from runner.auth.roles import Role
from runner.services.tokens import create_token

# What each role may do, written from the contract (not read from runner.auth.roles).
GRANTED: dict[Role, set[Role]] = {
    Role.READER: {Role.READER},
    Role.EDITOR: {Role.READER, Role.EDITOR},
    Role.EXECUTOR: {Role.READER, Role.EXECUTOR},
    Role.ADMIN: {Role.READER, Role.EDITOR, Role.EXECUTOR, Role.ADMIN},
}


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    # Placeholders: {task}, {submission}, {job}, {datanode}, {token}.
    path: str
    needs: Role | None  # None: public
    ok: int
    json: Any = None

    @property
    def endpoint_path(self) -> str:
        return self.path.split("?")[0]


CALLS = [
    Call("healthz", "GET", "/healthz", None, 200),
    Call("openapi", "GET", "/api/v1/openapi.json", None, 200),
    Call("list-tasks", "GET", "/api/v1/tasks", Role.READER, 200),
    Call("create-task", "POST", "/api/v1/tasks?config_id=double", Role.EDITOR, 201),
    Call("get-task", "GET", "/api/v1/tasks/{task}", Role.READER, 200),
    Call("put-task", "PUT", "/api/v1/tasks/matrix-task?config_id=double", Role.EDITOR, 201),
    Call("delete-task", "DELETE", "/api/v1/tasks/{task}", Role.EDITOR, 200),
    Call("submit-task", "POST", "/api/v1/tasks/submit/{task}", Role.EXECUTOR, 202),
    Call("list-submissions", "GET", "/api/v1/submissions", Role.READER, 200),
    Call("get-submission", "GET", "/api/v1/submissions/{submission}", Role.READER, 200),
    Call("list-jobs", "GET", "/api/v1/jobs", Role.READER, 200),
    Call("get-job", "GET", "/api/v1/jobs/{job}", Role.READER, 200),
    Call("list-datanodes", "GET", "/api/v1/datanodes", Role.READER, 200),
    Call("get-datanode", "GET", "/api/v1/datanodes/{datanode}", Role.READER, 200),
    Call("read-datanode", "GET", "/api/v1/datanodes/{datanode}/read", Role.READER, 200),
    Call("write-datanode", "PUT", "/api/v1/datanodes/{datanode}/write", Role.EDITOR, 200, {"data": 7}),
    Call("list-configs", "GET", "/api/v1/configs/tasks", Role.READER, 200),
    Call("get-config", "GET", "/api/v1/configs/tasks/greet", Role.READER, 200),
    Call("list-tokens", "GET", "/api/v1/tokens", Role.ADMIN, 200),
    Call("create-token", "POST", "/api/v1/tokens", Role.ADMIN, 201, {"role": "reader", "name": "matrix"}),
    Call("revoke-token", "DELETE", "/api/v1/tokens/{token}", Role.ADMIN, 200),
    Call("cancel-job", "POST", "/api/v1/jobs/cancel/{blocked_job}", Role.EXECUTOR, 200),
    Call("cancel-submission", "POST", "/api/v1/submissions/{blocked_submission}/cancel", Role.EXECUTOR, 200),
]

BAD_HEADERS = {
    "none": None,
    "basic": "Basic xyz",
    "bearer-alone": "Bearer",
    "bearer-blank": "Bearer    ",
    "bearer-bad": "Bearer rnr_bad",
    "not-a-token": "Bearer hello",
    "token-without-scheme": "TOKEN_PLACEHOLDER",
}


@pytest.fixture
def world(app: Flask, client: FlaskClient, admin: dict[str, str]) -> dict[str, str]:
    """One finished task run, one run blocked on its input (to cancel), and a spare token to revoke."""
    task, submission = run_task(client, admin, "double")
    spare = create_token(app.extensions["runner"].store, Role.READER, "spare")
    blocked = submit(client, admin, create_task(client, admin, "double_blocked")["id"])
    wait_until(
        lambda: client.get(f"/api/v1/submissions/{blocked['id']}", headers=admin).get_json()["submission"]["status"]
        == "BLOCKED"
    )
    return {
        "task": task["id"],
        "submission": submission["id"],
        "job": submission["jobs"][0]["id"],
        "datanode": task["input_ids"][0],
        "token": spare.record.id,
        "blocked_job": blocked["jobs"][0]["id"],
        "blocked_submission": blocked["id"],
    }


def call(client: FlaskClient, c: Call, world: dict[str, str], headers: dict[str, str]) -> Any:
    return client.open(c.path.format(**world), method=c.method, headers=headers, json=c.json)


def expected(role: Role, c: Call) -> int:
    if c.needs is None or c.needs in GRANTED[role]:
        return c.ok
    return 403


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("c", CALLS, ids=lambda c: c.name)
def test_role_matrix(
    client: FlaskClient, tokens: dict[Role, str], admin: dict[str, str], world: dict[str, str], c: Call, role: Role
) -> None:
    before = snapshot(client, admin)

    response = call(client, c, world, bearer(tokens[role]))

    want = expected(role, c)
    if want == 403:
        body = assert_problem(response, 403)
        assert str(c.needs) in body["detail"]
        assert "WWW-Authenticate" not in response.headers
        assert snapshot(client, admin) == before, "a refused call changed the store"
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("header", list(BAD_HEADERS), ids=str)
def test_missing_or_malformed_credentials_are_401(
    client: FlaskClient, tokens: dict[Role, str], admin: dict[str, str], world: dict[str, str], header: str
) -> None:
    """Every call of the matrix, with no usable credentials: 401 (public calls: served)."""
    value = BAD_HEADERS[header]
    if value == "TOKEN_PLACEHOLDER":
        value = tokens[Role.ADMIN]  # a good token, but without the Bearer scheme
    headers = {} if value is None else {"Authorization": value}
    before = snapshot(client, admin)

    for c in CALLS:
        response = call(client, c, world, headers)
        if c.needs is None:
            assert response.status_code == c.ok, c.name
            continue
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), c.name

    assert snapshot(client, admin) == before, "an unauthenticated call changed the store"


def test_a_token_with_a_known_id_and_a_wrong_secret_is_401(
    client: FlaskClient, tokens: dict[Role, str]
) -> None:
    prefix, token_id, _secret = tokens[Role.ADMIN].split("_", 2)

    response = client.get("/api/v1/tasks", headers=bearer(f"{prefix}_{token_id}_not-the-secret"))

    assert_problem(response, 401)
    assert "WWW-Authenticate" in response.headers


def test_the_scheme_is_case_insensitive(client: FlaskClient, tokens: dict[Role, str]) -> None:
    assert client.get("/api/v1/tasks", headers={"Authorization": f"bearer {tokens[Role.READER]}"}).status_code == 200


def test_the_admin_token_setting_grants_admin(make_app: Callable[..., Flask]) -> None:
    app = make_app(admin_token="let-me-in-please")
    client = app.test_client()

    assert client.get("/api/v1/tokens", headers=bearer("let-me-in-please")).status_code == 200
    assert client.post("/api/v1/tasks?config_id=double", headers=bearer("let-me-in-please")).status_code == 201
    assert_problem(client.get("/api/v1/tokens", headers=bearer("let-me-in-PLEASE")), 401)


def test_every_get_outside_tokens_is_open_to_readers(app: Flask) -> None:
    """Reader: every GET (only the token list is kept for admins), on every route the app has."""
    wrong = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        with app.test_request_context():
            role = declared_role(rule.endpoint, "GET")
        want = Role.ADMIN if rule.rule.startswith("/api/v1/tokens") else Role.READER
        if role not in (PUBLIC, want):
            wrong.append(f"GET {rule.rule} declares {role!r}")
    assert not wrong, wrong


def test_cancel_routes_need_the_executor_role(app: Flask) -> None:
    """Executor: reader plus submit and cancel; editors may not cancel."""
    for rule in app.url_map.iter_rules():
        if "cancel" not in rule.rule:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            with app.test_request_context():
                assert declared_role(rule.endpoint, method) == Role.EXECUTOR, (method, rule.rule)


def test_declared_roles_are_enforced_on_every_route(app: Flask, tokens: dict[Role, str]) -> None:
    """Every route the app has, including ones added after this file: a role without the
    route's role gets 403, one with it gets past the check, no token gets 401."""
    client = app.test_client()
    wrong = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", "no-such-id")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.test_request_context():
                needs = declared_role(rule.endpoint, method)
            if needs == PUBLIC:
                continue
            assert isinstance(needs, Role), (method, rule.rule, needs)
            status = client.open(path, method=method).status_code
            if status != 401:
                wrong.append(f"{method} {rule.rule} without a token: {status}")
            for role in Role:
                status = client.open(path, method=method, headers=bearer(tokens[role])).status_code
                allowed = needs in GRANTED[role]
                if allowed and status in (401, 403) or not allowed and status != 403:
                    wrong.append(f"{method} {rule.rule} as {role} (needs {needs}): {status}")
    assert not wrong, wrong


def test_declared_roles_match_the_contract(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    for c in CALLS:
        path = c.endpoint_path.format_map(defaultdict(lambda: "some-id"))
        endpoint, _ = adapter.match(path, method=c.method)
        with app.test_request_context():
            declared = declared_role(endpoint, c.method)
        assert declared == (PUBLIC if c.needs is None else c.needs), c.name


# -- deny by default ------------------------------------------------------------------------


def test_every_route_declares_a_role_or_is_public(app: Flask) -> None:
    undeclared = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.test_request_context():
                role = declared_role(rule.endpoint, method)
            if role is None:
                undeclared.append(f"{method} {rule.rule} ({rule.endpoint})")
            else:
                assert role == PUBLIC or isinstance(role, Role), (rule.rule, method, role)
    assert not undeclared, "routes that declare no role: " + ", ".join(undeclared)


def test_a_route_added_without_a_role_is_refused_to_everyone(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    app.add_url_rule("/api/v1/forgotten", endpoint="forgotten", view_func=lambda: {"secret": "s3cr3t-value"})
    tokens = make_tokens(app)
    client = app.test_client()

    with app.test_request_context():
        assert declared_role("forgotten", "GET") is None
    for role in Role:
        response = client.get("/api/v1/forgotten", headers=bearer(tokens[role]))
        assert_problem(response, 403)
        assert "s3cr3t-value" not in response.get_data(as_text=True)
    assert_problem(client.get("/api/v1/forgotten"), 403)


def test_a_method_without_a_role_is_refused_while_its_siblings_work(make_app: Callable[..., Flask]) -> None:
    class Half(MethodView):
        @require(Role.READER)
        def get(self) -> dict[str, str]:
            return {"seen": "yes"}

        def post(self) -> dict[str, str]:  # no role declared
            return {"done": "yes"}

    app = make_app()
    app.add_url_rule("/api/v1/half", view_func=Half.as_view("half"))
    tokens = make_tokens(app)
    client = app.test_client()

    assert client.get("/api/v1/half", headers=bearer(tokens[Role.READER])).get_json() == {"seen": "yes"}
    assert_problem(client.get("/api/v1/half"), 401)
    response = client.post("/api/v1/half", headers=bearer(tokens[Role.ADMIN]))
    assert_problem(response, 403)
    assert "done" not in response.get_data(as_text=True)
