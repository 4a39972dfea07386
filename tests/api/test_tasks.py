"""/api/v1/tasks (create, put, get, list, delete, submit with typed params) and /api/v1/configs/tasks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from api_helpers import (
    FLOAT_CONFIG,
    NAN_DEFAULTS_CONFIG,
    assert_problem,
    bearer,
    create_task,
    everything,
    make_tokens,
    read_value,
    run_task,
    snapshot,
    strict_json,
    submit,
    wait_submission,
    wait_until,
)
from flask import Flask
from flask.testing import FlaskClient

from runner.auth.roles import Role
from runner.errors import ConfigError

TASK_FIELDS = {"id", "config_id", "function", "input_ids", "output_ids", "skippable", "created_at", "updated_at", "version"}


def task_id_pattern(config_id: str) -> re.Pattern[str]:
    return re.compile(rf"^TASK_{re.escape(config_id)}_(?P<uuid>[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}})$")


# -- create ---------------------------------------------------------------------------------


def test_create_task_returns_201_with_the_task_and_its_location(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/tasks?config_id=double", headers=admin)

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"message", "task"}
    assert isinstance(body["message"], str) and body["message"]
    task = body["task"]
    assert TASK_FIELDS <= set(task)
    assert task["config_id"] == "double"
    assert task["function"] == "job_funcs:double"
    assert task["skippable"] is False
    assert task["version"] == 1
    assert task["created_at"] and task["updated_at"]
    match = task_id_pattern("double").match(task["id"])
    assert match, task["id"]
    uuid.UUID(match["uuid"])
    assert len(task["input_ids"]) == 1 and task["input_ids"][0].startswith("DATANODE_x_default_")
    assert len(task["output_ids"]) == 1 and task["output_ids"][0].startswith("DATANODE_y_json_")
    assert response.headers["Location"] == f"/api/v1/tasks/{task['id']}"

    fetched = client.get(response.headers["Location"], headers=admin)
    assert fetched.status_code == 200
    assert fetched.get_json() == {"task": task}


def test_each_created_task_gets_its_own_id_and_data_nodes(client: FlaskClient, admin: dict[str, str]) -> None:
    first = create_task(client, admin, "double")
    second = create_task(client, admin, "double")

    assert first["id"] != second["id"]
    assert set(first["input_ids"] + first["output_ids"]).isdisjoint(second["input_ids"] + second["output_ids"])
    for dn_id in first["input_ids"] + first["output_ids"]:
        dn = client.get(f"/api/v1/datanodes/{dn_id}", headers=admin).get_json()["datanode"]
        assert dn["owner_id"] == first["id"]


def test_global_data_nodes_are_shared_between_tasks(client: FlaskClient, admin: dict[str, str]) -> None:
    first = create_task(client, admin, "shared_reader")
    second = create_task(client, admin, "shared_reader")

    assert first["input_ids"] == second["input_ids"]
    assert first["output_ids"] != second["output_ids"]


def test_create_task_with_an_unknown_config_is_404_and_creates_nothing(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    create_task(client, admin, "double")
    before = snapshot(client, admin)

    body = assert_problem(client.post("/api/v1/tasks?config_id=no_such_config", headers=admin), 404)

    assert "no_such_config" in body["detail"]
    assert snapshot(client, admin) == before


@pytest.mark.parametrize("query", ["", "?config_id=", "?other=double"])
def test_create_task_without_a_config_id_is_422_with_field_errors(
    client: FlaskClient, admin: dict[str, str], query: str
) -> None:
    before = snapshot(client, admin)

    body = assert_problem(client.post(f"/api/v1/tasks{query}", headers=admin), 422, errors=True)

    assert "config_id" in str(body["errors"])
    assert snapshot(client, admin) == before


# -- put ------------------------------------------------------------------------------------


def test_put_creates_a_task_with_the_given_id(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.put("/api/v1/tasks/my-own-task?config_id=greet", headers=admin)

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"message", "task"}
    assert body["task"]["id"] == "my-own-task"
    assert body["task"]["config_id"] == "greet"
    assert response.headers["Location"] == "/api/v1/tasks/my-own-task"
    assert client.get("/api/v1/tasks/my-own-task", headers=admin).get_json()["task"] == body["task"]


def test_put_on_an_existing_id_is_409_and_leaves_the_task_alone(client: FlaskClient, admin: dict[str, str]) -> None:
    original = client.put("/api/v1/tasks/taken?config_id=double", headers=admin).get_json()["task"]
    before = snapshot(client, admin)

    assert_problem(client.put("/api/v1/tasks/taken?config_id=greet", headers=admin), 409)
    assert_problem(client.put("/api/v1/tasks/taken?config_id=double", headers=admin), 409)

    assert snapshot(client, admin) == before
    assert client.get("/api/v1/tasks/taken", headers=admin).get_json()["task"] == original


def test_put_with_an_unknown_config_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    before = snapshot(client, admin)

    assert_problem(client.put("/api/v1/tasks/newcomer?config_id=nope", headers=admin), 404)

    assert snapshot(client, admin) == before
    assert_problem(client.get("/api/v1/tasks/newcomer", headers=admin), 404)


def test_put_without_a_config_id_is_422(client: FlaskClient, admin: dict[str, str]) -> None:
    assert_problem(client.put("/api/v1/tasks/newcomer", headers=admin), 422, errors=True)
    assert_problem(client.get("/api/v1/tasks/newcomer", headers=admin), 404)


# -- get and list ---------------------------------------------------------------------------


def test_get_an_unknown_task_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/tasks/TASK_double_nope", headers=admin), 404)
    assert "TASK_double_nope" in body["detail"]


def test_list_tasks_is_a_page_oldest_first(client: FlaskClient, admin: dict[str, str]) -> None:
    empty = client.get("/api/v1/tasks", headers=admin)
    assert empty.status_code == 200
    body = empty.get_json()
    assert body["results"] == [] and body["total"] == 0 and body["offset"] == 0
    assert 1 <= body["limit"] <= 1000  # the default page, within the default page_limit_max

    created = [create_task(client, admin, cfg)["id"] for cfg in ("double", "greet", "double", "split")]

    body = client.get("/api/v1/tasks", headers=admin).get_json()
    assert set(body) == {"results", "total", "offset", "limit"}
    assert body["total"] == 4
    assert [t["id"] for t in body["results"]] == created
    for task in body["results"]:
        assert TASK_FIELDS <= set(task)

    page = client.get("/api/v1/tasks?offset=1&limit=2", headers=admin).get_json()
    assert page["offset"] == 1 and page["limit"] == 2 and page["total"] == 4
    assert [t["id"] for t in page["results"]] == created[1:3]

    beyond = client.get("/api/v1/tasks?offset=10", headers=admin).get_json()
    assert beyond["results"] == [] and beyond["total"] == 4


def test_list_tasks_filters_by_config_id(client: FlaskClient, admin: dict[str, str]) -> None:
    doubles = [create_task(client, admin, "double")["id"] for _ in range(2)]
    create_task(client, admin, "greet")

    body = client.get("/api/v1/tasks?config_id=double", headers=admin).get_json()
    assert body["total"] == 2
    assert [t["id"] for t in body["results"]] == doubles

    none = client.get("/api/v1/tasks?config_id=nothing_like_it", headers=admin).get_json()
    assert none["total"] == 0 and none["results"] == []


def test_list_limit_is_capped_at_page_limit_max(make_app: Callable[..., Flask]) -> None:
    app = make_app(page_limit_max=5)
    client = app.test_client()
    admin = {"Authorization": f"Bearer {make_tokens(app)[Role.ADMIN]}"}
    created = [create_task(client, admin, "double")["id"] for _ in range(7)]

    for query in ("", "?limit=100", "?limit=6", "?limit=1000000"):
        body = client.get(f"/api/v1/tasks{query}", headers=admin).get_json()
        assert body["limit"] == 5, query
        assert body["total"] == 7
        assert [t["id"] for t in body["results"]] == created[:5]

    small = client.get("/api/v1/tasks?limit=3", headers=admin).get_json()
    assert small["limit"] == 3 and len(small["results"]) == 3

    rest = client.get("/api/v1/tasks?offset=5&limit=50", headers=admin).get_json()
    assert [t["id"] for t in rest["results"]] == created[5:]

    # The other list endpoints share the cap.
    for path in ("/api/v1/datanodes", "/api/v1/jobs", "/api/v1/submissions"):
        assert client.get(f"{path}?limit=50", headers=admin).get_json()["limit"] == 5, path


@pytest.mark.parametrize("query", ["limit=-1", "limit=0", "limit=abc", "offset=-1", "offset=x", "limit=1.5"])
def test_list_tasks_with_bad_paging_is_422(client: FlaskClient, admin: dict[str, str], query: str) -> None:
    body = assert_problem(client.get(f"/api/v1/tasks?{query}", headers=admin), 422, errors=True)
    assert query.split("=")[0] in str(body["errors"])


# -- delete ---------------------------------------------------------------------------------


def test_delete_a_task_removes_it_its_data_nodes_and_its_history(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "double")
    keep = create_task(client, admin, "double")
    job_id = submission["jobs"][0]["id"]

    response = client.delete(f"/api/v1/tasks/{task['id']}", headers=admin)

    assert response.status_code == 200
    assert set(response.get_json()) == {"message"}
    assert_problem(client.get(f"/api/v1/tasks/{task['id']}", headers=admin), 404)
    for dn_id in task["input_ids"] + task["output_ids"]:
        assert_problem(client.get(f"/api/v1/datanodes/{dn_id}", headers=admin), 404)
    assert_problem(client.get(f"/api/v1/submissions/{submission['id']}", headers=admin), 404)
    assert_problem(client.get(f"/api/v1/jobs/{job_id}", headers=admin), 404)
    assert [t["id"] for t in everything(client, admin, "/api/v1/tasks")[1]] == [keep["id"]]
    # Deleting again: it is gone.
    assert_problem(client.delete(f"/api/v1/tasks/{task['id']}", headers=admin), 404)


def test_delete_keeps_global_data_nodes_other_tasks_use(client: FlaskClient, admin: dict[str, str]) -> None:
    first, _ = run_task(client, admin, "shared_reader")
    second = create_task(client, admin, "shared_reader")
    shared = first["input_ids"][0]

    assert client.delete(f"/api/v1/tasks/{first['id']}", headers=admin).status_code == 200

    assert client.get(f"/api/v1/datanodes/{shared}", headers=admin).status_code == 200
    assert read_value(client, admin, shared) == (200, {"data": 1})
    final = wait_submission(client, admin, submit(client, admin, second["id"])["id"])
    assert final["status"] == "COMPLETED"
    assert read_value(client, admin, second["output_ids"][0]) == (200, {"data": 1})


def test_delete_an_unknown_task_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    create_task(client, admin, "double")
    before = snapshot(client, admin)

    assert_problem(client.delete("/api/v1/tasks/TASK_double_unknown", headers=admin), 404)

    assert snapshot(client, admin) == before


def test_delete_a_task_with_an_unfinished_job_is_409_and_keeps_everything(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    task = create_task(client, admin, "double_blocked")
    submission = submit(client, admin, task["id"])
    wait_until(
        lambda: client.get(f"/api/v1/submissions/{submission['id']}", headers=admin).get_json()["submission"]["status"]
        == "BLOCKED"
    )
    before = snapshot(client, admin)

    body = assert_problem(client.delete(f"/api/v1/tasks/{task['id']}", headers=admin), 409)

    assert "unfinished" in body["detail"]
    assert snapshot(client, admin) == before
    job = client.get(f"/api/v1/submissions/{submission['id']}", headers=admin).get_json()["submission"]["jobs"][0]
    assert job["status"] == "BLOCKED"


# -- submit ---------------------------------------------------------------------------------


def test_submit_returns_202_with_the_submission_and_its_location(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double")

    response = client.post(f"/api/v1/tasks/submit/{task['id']}", headers=admin)

    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"message", "task", "submission"}
    assert body["task"] == task
    submission = body["submission"]
    assert submission["entity_id"] == task["id"]
    assert submission["entity_type"] == "TASK"
    assert len(submission["jobs"]) == 1 and submission["jobs"][0]["task_id"] == task["id"]
    assert response.headers["Location"] == f"/api/v1/submissions/{submission['id']}"

    final = wait_until(
        lambda: (s := client.get(response.headers["Location"], headers=admin).get_json()["submission"])["status"]
        == "COMPLETED"
        and s
    )
    assert final["id"] == submission["id"]
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": 42})


def test_submit_an_unknown_task_is_404_and_creates_no_submission(client: FlaskClient, admin: dict[str, str]) -> None:
    before = snapshot(client, admin)

    assert_problem(client.post("/api/v1/tasks/submit/TASK_double_ghost", headers=admin), 404)
    assert_problem(
        client.post("/api/v1/tasks/submit/TASK_double_ghost", headers=admin, json={"params": {}}), 404
    )

    assert snapshot(client, admin) == before


def test_submit_uses_the_config_defaults_of_typed_params(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "greet")

    assert submission["status"] == "COMPLETED"
    assert submission["jobs"][0]["params"] == {"greeting": "Hello", "times": 1}
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": "Hello, Ada!"})


def test_submit_params_override_the_defaults(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "greet", params={"greeting": "Hi", "times": 2})

    assert submission["status"] == "COMPLETED"
    assert submission["jobs"][0]["params"] == {"greeting": "Hi", "times": 2}
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": "Hi, Ada! Hi, Ada!"})


def test_submit_params_apply_to_that_submission_only(client: FlaskClient, admin: dict[str, str]) -> None:
    task, _ = run_task(client, admin, "greet", params={"times": 3})

    again = wait_submission(client, admin, submit(client, admin, task["id"])["id"])

    assert again["jobs"][0]["params"] == {"greeting": "Hello", "times": 1}
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": "Hello, Ada!"})


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"colour": "red"}, "colour"),
        ({"times": "2"}, "times"),
        ({"times": 2.5}, "times"),
        ({"times": True}, "times"),
        ({"greeting": 3}, "greeting"),
        ({"greeting": None}, "greeting"),
        ({"times": 2, "extra": 1}, "extra"),
    ],
)
def test_submit_with_invalid_params_is_422_and_creates_no_submission(
    client: FlaskClient, admin: dict[str, str], params: dict, bad: str
) -> None:
    task = create_task(client, admin, "greet")
    before = snapshot(client, admin)

    body = assert_problem(client.post(f"/api/v1/tasks/submit/{task['id']}", headers=admin, json={"params": params}), 422, errors=True)

    assert bad in str(body["errors"])
    assert snapshot(client, admin) == before
    assert everything(client, admin, "/api/v1/submissions")[0] == 0


def test_submit_reports_every_invalid_param_at_once(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "greet")

    body = assert_problem(
        client.post(
            f"/api/v1/tasks/submit/{task['id']}", headers=admin, json={"params": {"times": "x", "colour": "red"}}
        ),
        422,
        errors=True,
    )

    text = str(body["errors"])
    assert "times" in text and "colour" in text


@pytest.mark.parametrize("body", [{"params": "times=2"}, {"params": [1]}, {"parameters": {}}, [1, 2], "text"])
def test_submit_with_a_body_of_the_wrong_shape_is_422(client: FlaskClient, admin: dict[str, str], body: object) -> None:
    task = create_task(client, admin, "greet")
    before = snapshot(client, admin)

    assert_problem(client.post(f"/api/v1/tasks/submit/{task['id']}", headers=admin, json=body), 422, errors=True)

    assert snapshot(client, admin) == before


def test_a_task_without_params_refuses_any(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double")

    body = assert_problem(
        client.post(f"/api/v1/tasks/submit/{task['id']}", headers=admin, json={"params": {"factor": 3}}), 422, errors=True
    )

    assert "factor" in str(body["errors"])
    assert everything(client, admin, "/api/v1/submissions")[0] == 0


@pytest.fixture
def floats(make_app: Callable[..., Flask]) -> tuple[FlaskClient, dict[str, str], dict]:
    """An app whose `scale` task takes a typed float parameter `factor` (default 1.5); base is 2.0."""
    app = make_app(config=FLOAT_CONFIG)
    client = app.test_client()
    admin = bearer(make_tokens(app)[Role.ADMIN])
    return client, admin, create_task(client, admin, "scale")


@pytest.mark.parametrize(("factor", "result"), [(None, 3.0), (2, 4.0), (0.25, 0.5), (-1.0, -2.0)])
def test_a_float_param_takes_ints_and_floats(
    floats: tuple[FlaskClient, dict[str, str], dict], factor: float | None, result: float
) -> None:
    client, admin, task = floats
    body = {} if factor is None else {"params": {"factor": factor}}

    final = wait_submission(client, admin, submit(client, admin, task["id"], **body)["id"])

    assert final["status"] == "COMPLETED"
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": result})


@pytest.mark.parametrize("factor", ["2", True, None, [2.0]])
def test_a_float_param_refuses_other_types(floats: tuple[FlaskClient, dict[str, str], dict], factor: object) -> None:
    client, admin, task = floats
    before = snapshot(client, admin)

    response = client.post(f"/api/v1/tasks/submit/{task['id']}", headers=admin, json={"params": {"factor": factor}})

    body = assert_problem(response, 422, errors=True)
    assert "factor" in str(body["errors"])
    assert snapshot(client, admin) == before


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_a_float_param_beyond_the_double_range_is_refused(
    floats: tuple[FlaskClient, dict[str, str], dict], number: str
) -> None:
    client, admin, task = floats
    before = snapshot(client, admin)

    response = client.post(
        f"/api/v1/tasks/submit/{task['id']}",
        headers=admin,
        data=f'{{"params": {{"factor": {number}}}}}',
        content_type="application/json",
    )

    strict_json(response)
    for path in ("/api/v1/jobs", "/api/v1/submissions"):
        strict_json(client.get(path, headers=admin))
    assert snapshot(client, admin) == before
    assert response.status_code in (400, 422)


# -- the task catalog -----------------------------------------------------------------------


def test_config_catalog_lists_every_task_config(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/configs/tasks", headers=admin)

    assert response.status_code == 200
    body = response.get_json()
    ids = {c["id"] for c in body["results"]}
    assert {"double", "double_blocked", "double_skippable", "split", "fail", "greet", "memory"} <= ids
    assert body["total"] == len(body["results"])
    by_id = {c["id"]: c for c in body["results"]}
    assert by_id["split"]["inputs"] == ["x_default"]
    assert by_id["split"]["outputs"] == ["y", "z"]
    assert by_id["double_skippable"]["skippable"] is True
    assert by_id["double"]["params"] == []


def test_config_catalog_describes_typed_params_with_defaults(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/configs/tasks/greet", headers=admin)

    assert response.status_code == 200
    config = response.get_json()["config"]
    assert config["id"] == "greet"
    assert config["function"] == "job_funcs:greet"
    assert config["description"] == {"en": "Greet someone", "fr": "Saluer quelqu'un"}
    assert config["inputs"] == ["name"]
    assert config["outputs"] == ["greeting"]
    params = {p["name"]: p for p in config["params"]}
    assert set(params) == {"greeting", "times"}
    assert params["greeting"]["type"] == "str" and params["greeting"]["default"] == "Hello"
    assert params["greeting"]["required"] is False
    assert params["greeting"]["description"] == "The word to greet with"
    assert params["times"]["type"] == "int" and params["times"]["default"] == 1
    assert params["times"]["required"] is False
    # The catalog and the list agree.
    listed = {c["id"]: c for c in client.get("/api/v1/configs/tasks", headers=admin).get_json()["results"]}
    assert listed["greet"] == config


def test_config_catalog_unknown_id_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/configs/tasks/no_such_config", headers=admin), 404)
    assert "no_such_config" in body["detail"]


def test_non_finite_param_defaults_never_reach_the_api(make_app: Callable[..., Flask]) -> None:
    try:
        app = make_app(config=NAN_DEFAULTS_CONFIG)
    except ConfigError as exc:
        assert "factor" in str(exc) and "ceiling" in str(exc)
        return  # refused where it was written: fine
    client = app.test_client()
    admin = bearer(make_tokens(app)[Role.ADMIN])

    catalog = client.get("/api/v1/configs/tasks", headers=admin)
    assert catalog.status_code == 200
    strict_json(catalog)
    created = client.post("/api/v1/tasks?config_id=odd_defaults", headers=admin)
    strict_json(created)
    strict_json(client.get("/api/v1/tasks", headers=admin))
