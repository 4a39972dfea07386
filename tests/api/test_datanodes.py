"""/api/v1/datanodes: list, get, read, write; a write wakes the jobs waiting for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import (
    CSV_CONFIG,
    assert_problem,
    bearer,
    create_task,
    everything,
    make_tokens,
    read_value,
    run_task,
    snapshot,
    submit,
    wait_submission,
    wait_until,
)
from flask import Flask
from flask.testing import FlaskClient

from runner.auth.roles import Role

DN_FIELDS = {
    "id", "config_id", "storage_type", "scope", "owner_id", "path", "last_edit_date", "is_written", "created_at",
    "updated_at", "version",
}


def write(client: FlaskClient, headers: dict[str, str], dn_id: str, value: Any) -> Any:
    return client.put(f"/api/v1/datanodes/{dn_id}/write", headers=headers, json={"data": value})


def get_dn(client: FlaskClient, headers: dict[str, str], dn_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/datanodes/{dn_id}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["datanode"]


# -- list and get ---------------------------------------------------------------------------


def test_list_data_nodes_is_a_page_with_a_config_filter(client: FlaskClient, admin: dict[str, str]) -> None:
    first = create_task(client, admin, "double")
    second = create_task(client, admin, "split")

    total, results = everything(client, admin, "/api/v1/datanodes")
    ids = [d["id"] for d in results]
    assert total == 5
    assert ids == first["input_ids"] + first["output_ids"] + second["input_ids"] + second["output_ids"]
    for dn in results:
        assert DN_FIELDS <= set(dn)

    body = client.get("/api/v1/datanodes?config_id=x_default", headers=admin).get_json()
    assert body["total"] == 2
    assert [d["id"] for d in body["results"]] == [first["input_ids"][0], second["input_ids"][0]]
    assert {d["config_id"] for d in body["results"]} == {"x_default"}

    page = client.get("/api/v1/datanodes?offset=1&limit=2", headers=admin).get_json()
    assert page["total"] == 5 and page["offset"] == 1 and page["limit"] == 2
    assert [d["id"] for d in page["results"]] == ids[1:3]


def test_get_a_data_node(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double")
    x, y = task["input_ids"][0], task["output_ids"][0]

    seeded = get_dn(client, admin, x)
    assert seeded["id"] == x
    assert seeded["config_id"] == "x_default"
    assert seeded["storage_type"] == "json"
    assert seeded["scope"] == "SCENARIO"
    assert seeded["owner_id"] == task["id"]
    assert seeded["is_written"] is True  # default_data
    assert seeded["last_edit_date"] is not None

    empty = get_dn(client, admin, y)
    assert empty["is_written"] is False
    assert empty["last_edit_date"] is None


def test_get_an_unknown_data_node_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/datanodes/DATANODE_x_nope", headers=admin), 404)
    assert "DATANODE_x_nope" in body["detail"]
    assert_problem(client.get("/api/v1/datanodes/DATANODE_x_nope/read", headers=admin), 404)


# -- read -----------------------------------------------------------------------------------


def test_read_returns_default_data(client: FlaskClient, admin: dict[str, str]) -> None:
    double = create_task(client, admin, "double")
    greet = create_task(client, admin, "greet")

    assert read_value(client, admin, double["input_ids"][0]) == (200, {"data": 21})
    assert read_value(client, admin, greet["input_ids"][0]) == (200, {"data": "Ada"})


def test_read_a_node_never_written_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double_blocked")

    for dn_id in task["input_ids"] + task["output_ids"]:
        body = assert_problem(client.get(f"/api/v1/datanodes/{dn_id}/read", headers=admin), 404)
        assert dn_id in body["detail"]


def test_read_returns_what_a_job_wrote(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "split")

    assert submission["status"] == "COMPLETED"
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": 21})
    assert read_value(client, admin, task["output_ids"][1]) == (200, {"data": 22})
    y = get_dn(client, admin, task["output_ids"][0])
    assert y["is_written"] is True
    assert y["edited_by"] == submission["jobs"][0]["id"]


# -- write ----------------------------------------------------------------------------------


VALUES = [0, -7, 3.25, "text", "ünïcødé ✓", True, None, [], [1, "a", None], {"k": [1, {"n": 2.5}]}, {}]


@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("config_id", ["double", "double_blocked", "memory"], ids=["json", "pickle", "in_memory"])
def test_write_then_read_returns_the_value(
    client: FlaskClient, admin: dict[str, str], config_id: str, value: Any
) -> None:
    task = create_task(client, admin, config_id)
    dn_id = task["output_ids"][0]

    response = write(client, admin, dn_id, value)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert read_value(client, admin, dn_id) == (200, {"data": value})


def test_write_answers_with_the_updated_data_node(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double")
    x = task["input_ids"][0]
    before = get_dn(client, admin, x)

    response = write(client, admin, x, 5)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"message", "datanode"}
    dn = body["datanode"]
    assert dn["id"] == x
    assert dn["is_written"] is True
    assert dn["version"] == before["version"] + 1
    assert dn["last_edit_date"] > before["last_edit_date"]
    assert dn["edited_by"] is None
    assert get_dn(client, admin, x) == dn


def test_a_written_input_is_what_the_next_run_reads(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double")
    assert write(client, admin, task["input_ids"][0], 50).status_code == 200

    final = wait_submission(client, admin, submit(client, admin, task["id"])["id"])

    assert final["status"] == "COMPLETED"
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": 100})


def test_writing_the_input_of_a_blocked_job_makes_it_run(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double_blocked")
    x, y = task["input_ids"][0], task["output_ids"][0]
    submission = submit(client, admin, task["id"])
    blocked = wait_until(
        lambda: (s := client.get(f"/api/v1/submissions/{submission['id']}", headers=admin).get_json()["submission"])[
            "status"
        ]
        == "BLOCKED"
        and s
    )
    assert blocked["jobs"][0]["status"] == "BLOCKED"
    assert x in blocked["jobs"][0]["status_msg"]
    assert read_value(client, admin, y)[0] == 404

    assert write(client, admin, x, 4).status_code == 200

    final = wait_submission(client, admin, submission["id"])
    assert final["status"] == "COMPLETED"
    assert final["jobs"][0]["status"] == "COMPLETED"
    assert read_value(client, admin, y) == (200, {"data": 8})


def test_one_write_wakes_every_job_waiting_for_it(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double_blocked")
    first = submit(client, admin, task["id"])
    second = submit(client, admin, task["id"])
    for sub in (first, second):
        wait_until(
            lambda sub=sub: client.get(f"/api/v1/submissions/{sub['id']}", headers=admin).get_json()["submission"][
                "status"
            ]
            == "BLOCKED"
        )

    assert write(client, admin, task["input_ids"][0], "ab").status_code == 200

    assert wait_submission(client, admin, first["id"])["status"] == "COMPLETED"
    assert wait_submission(client, admin, second["id"])["status"] == "COMPLETED"
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": "abab"})


def test_write_to_an_unknown_data_node_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    create_task(client, admin, "double")
    before = snapshot(client, admin)

    assert_problem(write(client, admin, "DATANODE_ghost", 1), 404)

    assert snapshot(client, admin) == before


def test_nan_sent_to_a_json_node_is_malformed_json_and_keeps_the_old_value(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    task = create_task(client, admin, "double")
    x = task["input_ids"][0]
    before = snapshot(client, admin)

    # NaN is no JSON; the request is sent raw, as a lenient client would.
    response = client.put(
        f"/api/v1/datanodes/{x}/write", headers=admin, data='{"data": [1, NaN]}', content_type="application/json"
    )

    assert_problem(response, 400)
    assert snapshot(client, admin) == before
    assert read_value(client, admin, x) == (200, {"data": 21})


# -- a csv data node ------------------------------------------------------------------------


@pytest.fixture
def csv_world(make_app: Callable[..., Flask]) -> tuple[FlaskClient, dict[str, str], dict[str, Any]]:
    app = make_app(config=CSV_CONFIG)
    client = app.test_client()
    admin = bearer(make_tokens(app)[Role.ADMIN])
    return client, admin, create_task(client, admin, "count_rows")


ROWS = [{"name": "ada", "year": "1815"}, {"name": "alan", "year": "1912"}]


def test_a_csv_node_stores_rows(csv_world: tuple[FlaskClient, dict[str, str], dict[str, Any]]) -> None:
    client, admin, task = csv_world
    rows = task["input_ids"][0]

    assert write(client, admin, rows, ROWS).status_code == 200

    assert read_value(client, admin, rows) == (200, {"data": ROWS})
    final = wait_submission(client, admin, submit(client, admin, task["id"])["id"])
    assert final["status"] == "COMPLETED"
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": 2})


@pytest.mark.parametrize(
    "value",
    [{"name": "ada"}, [1, 2], ["a", "b"], [{"name": "ada"}, "alan"], "name,year", 3, None],
    ids=["dict", "ints", "strings", "mixed", "text", "int", "null"],
)
def test_a_value_a_csv_node_cannot_hold_is_422_and_keeps_the_old_rows(
    csv_world: tuple[FlaskClient, dict[str, str], dict[str, Any]], value: Any
) -> None:
    client, admin, task = csv_world
    rows = task["input_ids"][0]
    assert write(client, admin, rows, ROWS).status_code == 200
    before = snapshot(client, admin)

    body = assert_problem(write(client, admin, rows, value), 422)

    assert "csv" in body["detail"]
    assert snapshot(client, admin) == before
    assert read_value(client, admin, rows) == (200, {"data": ROWS})


def test_a_refused_first_write_leaves_the_node_unwritten(
    csv_world: tuple[FlaskClient, dict[str, str], dict[str, Any]],
) -> None:
    client, admin, task = csv_world
    rows = task["input_ids"][0]

    assert_problem(write(client, admin, rows, {"not": "rows"}), 422)

    assert get_dn(client, admin, rows)["is_written"] is False
    assert read_value(client, admin, rows)[0] == 404
