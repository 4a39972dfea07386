"""A restart keeps every entity: a second app on the same database serves the same store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api_helpers import (
    bearer,
    create_task,
    read_value,
    run_task,
    snapshot,
    submit,
    wait_submission,
    wait_until,
)
from flask import Flask
from flask.testing import FlaskClient

from runner import shutdown


def build_history(client: FlaskClient, admin: dict[str, str]) -> dict[str, Any]:
    done, done_sub = run_task(client, admin, "double")
    greet, greet_sub = run_task(client, admin, "greet", params={"greeting": "Bonjour", "times": 2})
    failed, failed_sub = run_task(client, admin, "fail")
    idle = create_task(client, admin, "split")
    put = client.put("/api/v1/tasks/kept-by-name?config_id=double", headers=admin)
    assert put.status_code == 201
    blocked = create_task(client, admin, "double_blocked")
    blocked_sub = submit(client, admin, blocked["id"])
    wait_until(
        lambda: client.get(f"/api/v1/submissions/{blocked_sub['id']}", headers=admin).get_json()["submission"]["status"]
        == "BLOCKED"
    )
    # A data node written by hand.
    written = client.put(f"/api/v1/datanodes/{done['input_ids'][0]}/write", headers=admin, json={"data": {"n": [1, 2]}})
    assert written.status_code == 200
    token = client.post("/api/v1/tokens", headers=admin, json={"role": "reader", "name": "survivor"})
    assert token.status_code == 201
    return {
        "done": done, "done_sub": done_sub, "greet": greet, "greet_sub": greet_sub, "failed": failed,
        "failed_sub": failed_sub, "idle": idle, "blocked": blocked, "blocked_sub": blocked_sub,
        "token": token.get_json()["token"], "token_id": token.get_json()["info"]["id"],
    }


def without_volatile(state: dict[str, Any]) -> dict[str, Any]:
    """The snapshot minus what a restart may legitimately touch: `updated_at` of open submissions."""
    total, subs = state["submissions"]
    subs = [
        {k: v for k, v in s.items() if not (k == "updated_at" and s["status"] not in ("COMPLETED", "FAILED", "CANCELED"))}
        for s in subs
    ]
    return state | {"submissions": (total, subs)}


def test_a_restart_keeps_every_entity(
    make_app: Callable[..., Flask], app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    history = build_history(client, admin)
    before = snapshot(client, admin)
    assert before["tasks"][0] == 6
    assert before["submissions"][0] == 4
    assert before["jobs"][0] == 4

    shutdown(app)
    second = make_app()
    client2 = second.test_client()

    after = snapshot(client2, admin)
    assert without_volatile(after) == without_volatile(before)

    # Spot checks, through the new app.
    assert client2.get(f"/api/v1/tasks/{history['done']['id']}", headers=admin).get_json()["task"] == history["done"]
    assert client2.get("/api/v1/tasks/kept-by-name", headers=admin).status_code == 200
    assert read_value(client2, admin, history["done"]["input_ids"][0]) == (200, {"data": {"n": [1, 2]}})
    assert read_value(client2, admin, history["done"]["output_ids"][0]) == (200, {"data": 42})
    assert read_value(client2, admin, history["greet"]["output_ids"][0]) == (
        200,
        {"data": "Bonjour, Ada! Bonjour, Ada!"},
    )
    failed_job = client2.get(f"/api/v1/jobs/{history['failed_sub']['jobs'][0]['id']}", headers=admin).get_json()["job"]
    assert failed_job["status"] == "FAILED"
    assert failed_job["error"]["type"] == "ValueError"
    assert "job_funcs" in failed_job["error"]["traceback"]
    greet_sub = client2.get(f"/api/v1/submissions/{history['greet_sub']['id']}", headers=admin).get_json()
    assert greet_sub["submission"]["jobs"][0]["params"] == {"greeting": "Bonjour", "times": 2}


def test_tokens_survive_a_restart(
    make_app: Callable[..., Flask], app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    token = client.post("/api/v1/tokens", headers=admin, json={"role": "editor", "name": "survivor"}).get_json()
    revoked = client.post("/api/v1/tokens", headers=admin, json={"role": "editor", "name": "gone"}).get_json()
    assert client.delete(f"/api/v1/tokens/{revoked['info']['id']}", headers=admin).status_code == 200
    listed = client.get("/api/v1/tokens", headers=admin).get_json()

    shutdown(app)
    client2 = make_app().test_client()

    assert client2.get("/api/v1/tokens", headers=admin).get_json() == listed
    assert client2.post("/api/v1/tasks?config_id=double", headers=bearer(token["token"])).status_code == 201
    assert client2.get("/api/v1/tokens", headers=bearer(token["token"])).status_code == 403
    assert client2.get("/api/v1/tasks", headers=bearer(revoked["token"])).status_code == 401


def test_work_goes_on_after_a_restart(
    make_app: Callable[..., Flask], app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    history = build_history(client, admin)

    shutdown(app)
    client2 = make_app().test_client()

    # The job left BLOCKED is still waiting, and runs once its input is written.
    blocked = client2.get(f"/api/v1/submissions/{history['blocked_sub']['id']}", headers=admin).get_json()
    assert blocked["submission"]["status"] == "BLOCKED"
    x, y = history["blocked"]["input_ids"][0], history["blocked"]["output_ids"][0]
    assert client2.put(f"/api/v1/datanodes/{x}/write", headers=admin, json={"data": 9}).status_code == 200
    assert wait_submission(client2, admin, history["blocked_sub"]["id"])["status"] == "COMPLETED"
    assert read_value(client2, admin, y) == (200, {"data": 18})

    # Old tasks can be submitted again, and read the values written before the restart.
    greet = history["greet"]
    assert client2.put(f"/api/v1/datanodes/{greet['input_ids'][0]}/write", headers=admin, json={"data": "Eve"}).status_code == 200
    again = wait_submission(client2, admin, submit(client2, admin, greet["id"])["id"])
    assert again["status"] == "COMPLETED"
    assert read_value(client2, admin, greet["output_ids"][0]) == (200, {"data": "Hello, Eve!"})
    assert client2.get(f"/api/v1/jobs?task_id={greet['id']}", headers=admin).get_json()["total"] == 2

    # Its job finished, so the task may now be deleted.
    assert client2.delete(f"/api/v1/tasks/{history['blocked']['id']}", headers=admin).status_code == 200
