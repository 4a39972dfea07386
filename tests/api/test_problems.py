"""Errors are RFC 9457 problem details, and bad input changes nothing in the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import (
    assert_no_leak,
    assert_problem,
    bearer,
    create_task,
    make_tokens,
    read_value,
    run_task,
    snapshot,
)
from flask import Flask
from flask.testing import FlaskClient

from runner.auth.roles import Role


@pytest.fixture
def world(client: FlaskClient, admin: dict[str, str]) -> dict[str, Any]:
    """A finished run of `double` (its json output holds 42) and a fresh `greet` task."""
    task, submission = run_task(client, admin, "double")
    greet = create_task(client, admin, "greet")
    return {"task": task, "submission": submission, "greet": greet, "json_dn": task["output_ids"][0]}


def body_calls(world: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path) of the calls that read a JSON body."""
    return [
        ("PUT", f"/api/v1/datanodes/{world['json_dn']}/write"),
        ("POST", "/api/v1/tokens"),
        ("POST", f"/api/v1/tasks/submit/{world['greet']['id']}"),
    ]


# -- malformed and mistyped bodies ----------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"data": ', "{'data': 1}", "not json at all", '{"data": 1,}', "\xff\xfe"])
@pytest.mark.parametrize("which", [0, 1, 2], ids=["write", "token", "submit"])
def test_malformed_json_is_400_and_changes_nothing(
    client: FlaskClient, admin: dict[str, str], world: dict[str, Any], raw: str, which: int
) -> None:
    method, path = body_calls(world)[which]
    before = snapshot(client, admin)

    response = client.open(path, method=method, headers=admin, data=raw, content_type="application/json")

    assert_problem(response, 400)
    assert snapshot(client, admin) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"value": 3}, {"data": 3, "extra": 1}, [3], "3", None],
    ids=["empty", "wrong-key", "extra-key", "list", "string", "null"],
)
def test_a_write_without_data_is_422_and_keeps_the_value(
    client: FlaskClient, admin: dict[str, str], world: dict[str, Any], body: Any
) -> None:
    dn = world["json_dn"]
    before = snapshot(client, admin)

    response = client.put(
        f"/api/v1/datanodes/{dn}/write", headers=admin, data=json.dumps(body), content_type="application/json"
    )

    assert_problem(response, 422, errors=True)
    assert snapshot(client, admin) == before
    assert read_value(client, admin, dn) == (200, {"data": 42})


def test_a_write_without_a_json_content_type_is_422(
    client: FlaskClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    before = snapshot(client, admin)

    response = client.put(
        f"/api/v1/datanodes/{world['json_dn']}/write", headers=admin, data='{"data": 5}', content_type="text/plain"
    )

    assert_problem(response, 422, errors=True)
    assert snapshot(client, admin) == before


@pytest.mark.parametrize(
    "body",
    [
        {"role": "superuser", "name": "x"},
        {"role": "ADMIN", "name": "x"},
        {"role": None, "name": "x"},
        {"name": "x"},
        {"role": "reader"},
        {"role": "reader", "name": ""},
        {"role": "reader", "name": "n" * 201},
        {"role": "reader", "name": 5},
        {"role": "reader", "name": "x", "secret": "mine"},
    ],
    ids=["superuser", "upper-case", "null-role", "no-role", "no-name", "empty-name", "long-name", "int-name", "extra"],
)
def test_a_bad_token_request_is_422_and_creates_no_token(
    app: Flask, client: FlaskClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    before = snapshot(client, admin)
    count = app.extensions["runner"].store.count_tokens()

    assert_problem(client.post("/api/v1/tokens", headers=admin, json=body), 422, errors=True)

    assert snapshot(client, admin) == before
    assert app.extensions["runner"].store.count_tokens() == count


LISTS = ["/api/v1/tasks", "/api/v1/jobs", "/api/v1/submissions", "/api/v1/datanodes"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", "limit=0", "offset=-1", "offset=abc", "limit="])
def test_bad_paging_is_422_on_every_list(client: FlaskClient, admin: dict[str, str], path: str, query: str) -> None:
    body = assert_problem(client.get(f"{path}?{query}", headers=admin), 422, errors=True)
    assert query.split("=")[0] in json.dumps(body["errors"])


@pytest.mark.parametrize("path", ["/api/v1/jobs?status=DONE", "/api/v1/submissions?status=finished"])
def test_an_unknown_status_filter_is_422(client: FlaskClient, admin: dict[str, str], path: str) -> None:
    body = assert_problem(client.get(path, headers=admin), 422, errors=True)
    assert "status" in json.dumps(body["errors"])


@pytest.mark.parametrize("path", LISTS)
def test_a_huge_offset_is_422_not_500(client: FlaskClient, admin: dict[str, str], path: str) -> None:
    response = client.get(f"{path}?offset={2**64}", headers=admin)

    assert_no_leak(response)
    assert_problem(response, 422, errors=True)


# -- unknown ids, routes and methods --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/tasks/TASK_double_missing", None),
        ("DELETE", "/api/v1/tasks/TASK_double_missing", None),
        ("POST", "/api/v1/tasks/submit/TASK_double_missing", None),
        ("POST", "/api/v1/tasks/submit/TASK_double_missing", {"params": {"times": 2}}),
        ("GET", "/api/v1/submissions/SUBMISSION_missing", None),
        ("GET", "/api/v1/jobs/JOB_missing", None),
        ("GET", "/api/v1/datanodes/DATANODE_missing", None),
        ("GET", "/api/v1/datanodes/DATANODE_missing/read", None),
        ("PUT", "/api/v1/datanodes/DATANODE_missing/write", {"data": 1}),
        ("GET", "/api/v1/configs/tasks/missing", None),
        ("DELETE", "/api/v1/tokens/missing", None),
        ("POST", "/api/v1/tasks?config_id=missing", None),
        ("PUT", "/api/v1/tasks/fresh-id?config_id=missing", None),
    ],
)
def test_unknown_ids_are_404_and_change_nothing(
    client: FlaskClient, admin: dict[str, str], world: dict[str, Any], method: str, path: str, body: Any
) -> None:
    before = snapshot(client, admin)

    response = client.open(path, method=method, headers=admin, json=body)

    problem = assert_problem(response, 404)
    assert "missing" in problem["detail"]
    assert snapshot(client, admin) == before


def test_an_unknown_route_is_a_404_problem(client: FlaskClient, admin: dict[str, str]) -> None:
    assert_problem(client.get("/api/v1/nothing-here", headers=admin), 404)
    assert_problem(client.get("/api/v2/tasks"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v1/tasks"), ("PATCH", "/api/v1/tasks/x"), ("GET", "/api/v1/tasks/submit/x"), ("POST", "/healthz")],
)
def test_a_wrong_method_is_a_405_problem(
    client: FlaskClient, admin: dict[str, str], world: dict[str, Any], method: str, path: str
) -> None:
    before = snapshot(client, admin)

    response = client.open(path, method=method, headers=admin)

    assert_problem(response, 405)
    assert snapshot(client, admin) == before


def test_a_405_says_which_methods_are_allowed(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.delete("/api/v1/tasks", headers=admin)

    assert_problem(response, 405)
    assert {"GET", "POST"} <= {m.strip() for m in response.headers.get("Allow", "").split(",")}


# -- oversized bodies -----------------------------------------------------------------------


@pytest.fixture
def small(make_app: Callable[..., Flask]) -> tuple[Flask, FlaskClient, dict[str, str]]:
    app = make_app(max_content_length=1000)
    return app, app.test_client(), bearer(make_tokens(app)[Role.ADMIN])


@pytest.mark.parametrize("which", [0, 1, 2], ids=["write", "token", "submit"])
def test_an_oversized_body_is_413_and_changes_nothing(
    small: tuple[Flask, FlaskClient, dict[str, str]], which: int
) -> None:
    app, client, admin = small
    task, _ = run_task(client, admin, "double")
    greet = create_task(client, admin, "greet")
    world = {"json_dn": task["output_ids"][0], "greet": greet}
    method, path = body_calls(world)[which]
    bodies = [
        {"data": "x" * 2000},
        {"role": "reader", "name": "n" * 2000},
        {"params": {"greeting": "g" * 2000}},
    ]
    raw = json.dumps(bodies[which])
    assert len(raw) > 2000
    before = snapshot(client, admin)

    response = client.open(path, method=method, headers=admin, data=raw, content_type="application/json")

    assert_problem(response, 413)
    assert snapshot(client, admin) == before
    assert read_value(client, admin, world["json_dn"]) == (200, {"data": 42})


def test_a_body_just_under_the_limit_is_accepted(small: tuple[Flask, FlaskClient, dict[str, str]]) -> None:
    _, client, admin = small
    task = create_task(client, admin, "double")
    dn = task["output_ids"][0]
    raw = json.dumps({"data": "y" * 900})
    assert len(raw) < 1000

    response = client.put(f"/api/v1/datanodes/{dn}/write", headers=admin, data=raw, content_type="application/json")

    assert response.status_code == 200
    assert read_value(client, admin, dn) == (200, {"data": "y" * 900})


def test_an_oversized_body_is_413_even_where_the_body_is_not_read(
    small: tuple[Flask, FlaskClient, dict[str, str]],
) -> None:
    _, client, admin = small
    before = snapshot(client, admin)

    response = client.post(
        "/api/v1/tasks?config_id=double", headers=admin, data="z" * 2000, content_type="application/octet-stream"
    )

    assert snapshot(client, admin) == before
    assert_problem(response, 413)


def test_the_413_detail_states_the_limit(small: tuple[Flask, FlaskClient, dict[str, str]]) -> None:
    _, client, admin = small

    response = client.post("/api/v1/tokens", headers=admin, data="t" * 2000, content_type="application/json")

    body = assert_problem(response, 413)
    assert "1000" in body["detail"]


# -- non-standard JSON --------------------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_malformed_json(client: FlaskClient, admin: dict[str, str], constant: str) -> None:
    task = create_task(client, admin, "double_blocked")
    x = task["input_ids"][0]  # a pickle node, never written
    before = snapshot(client, admin)

    response = client.put(
        f"/api/v1/datanodes/{x}/write", headers=admin, data=f'{{"data": {constant}}}', content_type="application/json"
    )

    assert snapshot(client, admin) == before
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_numbers_beyond_the_double_range_are_refused(client: FlaskClient, admin: dict[str, str], number: str) -> None:
    task = create_task(client, admin, "double_blocked")
    x = task["input_ids"][0]  # a pickle node, never written
    before = snapshot(client, admin)

    response = client.put(
        f"/api/v1/datanodes/{x}/write", headers=admin, data=f'{{"data": {number}}}', content_type="application/json"
    )

    assert snapshot(client, admin) == before
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


# -- nothing leaks --------------------------------------------------------------------------


def test_no_error_response_carries_a_stack_trace_or_sql(
    client: FlaskClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    dn = world["json_dn"]
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/tasks?offset=" + str(2**64), {}),
        ("GET", "/api/v1/jobs?offset=" + str(2**70), {}),
        ("GET", "/api/v1/tasks?limit=abc", {}),
        ("GET", "/api/v1/tasks/'; DROP TABLE tasks; --", {}),
        ("PUT", "/api/v1/tasks/" + world["task"]["id"] + "?config_id=double", {}),
        ("PUT", f"/api/v1/datanodes/{dn}/write", {"data": '{"data": ', "content_type": "application/json"}),
        ("PUT", f"/api/v1/datanodes/{dn}/write", {"data": '{"data": NaN}', "content_type": "application/json"}),
        ("POST", "/api/v1/tokens", {"json": {"role": "superuser", "name": "x"}}),
        ("DELETE", "/api/v1/tasks/" + "x" * 5000, {}),
        ("GET", "/api/v1/datanodes/%00/read", {}),
    ]
    for method, path, extra in calls:
        response = client.open(path, method=method, headers=admin, **extra)
        assert response.status_code >= 400, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json", (method, path)
        assert_no_leak(response)
    # The task list is intact after the injection attempt.
    assert client.get(f"/api/v1/tasks/{world['task']['id']}", headers=admin).status_code == 200


def test_titles_are_the_status_phrases_as_rfc_9457_wants_for_about_blank(client, admin) -> None:
    missing = client.get("/api/v1/tasks/TASK_nope", headers=admin)
    assert missing.get_json()["type"] == "about:blank"
    assert missing.get_json()["title"] == "Not Found"
    bad = client.post("/api/v1/tasks?config_id=nope", headers=admin)
    assert bad.get_json()["title"] == "Not Found"
    conflict = client.put("/api/v1/tasks/T1?config_id=double", headers=admin)
    again = client.put("/api/v1/tasks/T1?config_id=double", headers=admin)
    assert conflict.status_code == 201 and again.get_json()["title"] == "Conflict"
