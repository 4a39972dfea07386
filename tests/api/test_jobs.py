"""/api/v1/jobs and /api/v1/submissions: what ran, how it ended, and why it failed."""

from __future__ import annotations

from datetime import datetime

import pytest
from api_helpers import (
    assert_problem,
    create_task,
    everything,
    read_value,
    run_task,
    submit,
    wait_submission,
    wait_until,
)
from flask.testing import FlaskClient

JOB_FIELDS = {
    "id", "task_id", "submission_id", "status", "status_msg", "status_percent", "created_at", "started_at",
    "finished_at", "error",
}
SUBMISSION_FIELDS = {"id", "entity_type", "entity_id", "status", "jobs", "created_at", "updated_at", "_links"}


def get_job(client: FlaskClient, headers: dict[str, str], job_id: str) -> dict:
    response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["job"]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- jobs -----------------------------------------------------------------------------------


def test_a_completed_job(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "double")

    assert submission["status"] == "COMPLETED"
    [summary] = submission["jobs"]
    job = get_job(client, admin, summary["id"])
    assert JOB_FIELDS <= set(job)
    assert job["id"].startswith("JOB_")
    assert job["task_id"] == task["id"]
    assert job["submission_id"] == submission["id"]
    assert job["status"] == "COMPLETED"
    assert job["status_percent"] == 100.0
    assert isinstance(job["status_msg"], str)
    assert job["error"] is None
    assert ts(job["created_at"]) <= ts(job["started_at"]) <= ts(job["finished_at"])
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": 42})


def test_a_failed_function_leaves_its_error_on_the_job(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "fail")

    assert submission["status"] == "FAILED"
    job = get_job(client, admin, submission["jobs"][0]["id"])
    assert job["status"] == "FAILED"
    assert job["finished_at"] is not None
    error = job["error"]
    assert set(error) >= {"type", "message", "traceback"}
    assert error["type"] == "ValueError"
    assert error["message"] == "bad value 21"
    assert "job_funcs" in error["traceback"]
    assert "ValueError: bad value 21" in error["traceback"]
    assert "ValueError" in job["status_msg"]
    # The output was not written.
    assert read_value(client, admin, task["output_ids"][0])[0] == 404


@pytest.mark.parametrize(
    ("config_id", "error_type"),
    [("wrong_arity", "OutputMismatch"), ("not_json", "StorageError"), ("unpicklable", "StorageError")],
)
def test_output_that_cannot_be_stored_fails_the_job_and_writes_nothing(
    client: FlaskClient, admin: dict[str, str], config_id: str, error_type: str
) -> None:
    task = create_task(client, admin, config_id)
    for dn_id in task["output_ids"]:
        assert client.put(f"/api/v1/datanodes/{dn_id}/write", headers=admin, json={"data": "old"}).status_code == 200

    final = wait_submission(client, admin, submit(client, admin, task["id"])["id"])

    assert final["status"] == "FAILED"
    job = get_job(client, admin, final["jobs"][0]["id"])
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == error_type
    assert job["error"]["message"]
    for dn_id in task["output_ids"]:
        assert read_value(client, admin, dn_id) == (200, {"data": "old"})


def test_a_skippable_task_is_skipped_while_its_outputs_are_fresh(client: FlaskClient, admin: dict[str, str]) -> None:
    task, first = run_task(client, admin, "double_skippable")
    assert first["jobs"][0]["status"] == "COMPLETED"

    second = wait_submission(client, admin, submit(client, admin, task["id"])["id"])
    assert second["status"] == "COMPLETED"
    assert second["jobs"][0]["status"] == "SKIPPED"

    assert client.put(f"/api/v1/datanodes/{task['input_ids'][0]}/write", headers=admin, json={"data": 5}).status_code == 200
    third = wait_submission(client, admin, submit(client, admin, task["id"])["id"])
    assert third["jobs"][0]["status"] == "COMPLETED"
    assert read_value(client, admin, task["output_ids"][0]) == (200, {"data": 10})


def test_a_task_that_is_not_skippable_always_runs(client: FlaskClient, admin: dict[str, str]) -> None:
    task, _ = run_task(client, admin, "double")

    again = wait_submission(client, admin, submit(client, admin, task["id"])["id"])

    assert again["jobs"][0]["status"] == "COMPLETED"


def test_get_an_unknown_job_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/jobs/JOB_double_nope", headers=admin), 404)
    assert "JOB_double_nope" in body["detail"]


def test_list_jobs_newest_first_with_filters(client: FlaskClient, admin: dict[str, str]) -> None:
    ok_task, ok_sub = run_task(client, admin, "double")
    bad_task, bad_sub = run_task(client, admin, "fail")
    again = wait_submission(client, admin, submit(client, admin, ok_task["id"])["id"])

    body = client.get("/api/v1/jobs", headers=admin).get_json()
    assert set(body) == {"results", "total", "offset", "limit"}
    assert body["total"] == 3
    ids = [j["id"] for j in body["results"]]
    assert ids == [again["jobs"][0]["id"], bad_sub["jobs"][0]["id"], ok_sub["jobs"][0]["id"]]
    for job in body["results"]:
        assert JOB_FIELDS <= set(job)

    failed = client.get("/api/v1/jobs?status=FAILED", headers=admin).get_json()
    assert failed["total"] == 1 and failed["results"][0]["id"] == bad_sub["jobs"][0]["id"]
    assert failed["results"][0]["error"]["type"] == "ValueError"

    completed = client.get("/api/v1/jobs?status=COMPLETED", headers=admin).get_json()
    assert {j["id"] for j in completed["results"]} == {ok_sub["jobs"][0]["id"], again["jobs"][0]["id"]}

    by_task = client.get(f"/api/v1/jobs?task_id={ok_task['id']}", headers=admin).get_json()
    assert by_task["total"] == 2
    assert {j["task_id"] for j in by_task["results"]} == {ok_task["id"]}

    by_sub = client.get(f"/api/v1/jobs?submission_id={bad_sub['id']}", headers=admin).get_json()
    assert [j["id"] for j in by_sub["results"]] == [bad_sub["jobs"][0]["id"]]

    both = client.get(f"/api/v1/jobs?task_id={ok_task['id']}&status=FAILED", headers=admin).get_json()
    assert both["total"] == 0 and both["results"] == []

    page = client.get("/api/v1/jobs?offset=1&limit=1", headers=admin).get_json()
    assert page["total"] == 3 and [j["id"] for j in page["results"]] == ids[1:2]
    assert bad_task["id"] != ok_task["id"]


# -- submissions ----------------------------------------------------------------------------


def test_a_submission_and_its_links(client: FlaskClient, admin: dict[str, str]) -> None:
    task, submission = run_task(client, admin, "greet")

    response = client.get(f"/api/v1/submissions/{submission['id']}", headers=admin)

    assert response.status_code == 200
    body = response.get_json()["submission"]
    assert SUBMISSION_FIELDS <= set(body)
    assert body["id"].startswith("SUBMISSION_")
    assert body["entity_type"] == "TASK"
    assert body["entity_id"] == task["id"]
    assert body["status"] == "COMPLETED"
    assert [j["id"] for j in body["jobs"]] == [submission["jobs"][0]["id"]]
    assert JOB_FIELDS <= set(body["jobs"][0])
    links = body["_links"]
    assert links["self"]["href"] == f"/api/v1/submissions/{submission['id']}"
    assert links["entity"]["href"] == f"/api/v1/tasks/{task['id']}"
    # The links lead somewhere.
    assert client.get(links["self"]["href"], headers=admin).get_json()["submission"]["id"] == submission["id"]
    assert client.get(links["entity"]["href"], headers=admin).get_json()["task"] == task


def test_a_submission_waiting_for_input_is_blocked(client: FlaskClient, admin: dict[str, str]) -> None:
    task = create_task(client, admin, "double_blocked")
    submission = submit(client, admin, task["id"])

    blocked = wait_until(
        lambda: (s := client.get(f"/api/v1/submissions/{submission['id']}", headers=admin).get_json()["submission"])[
            "status"
        ]
        == "BLOCKED"
        and s
    )

    job = get_job(client, admin, blocked["jobs"][0]["id"])
    assert job["status"] == "BLOCKED"
    assert job["started_at"] is None and job["finished_at"] is None
    assert task["input_ids"][0] in job["status_msg"]
    assert client.get("/api/v1/jobs?status=BLOCKED", headers=admin).get_json()["total"] == 1


def test_list_submissions_newest_first_with_filters(client: FlaskClient, admin: dict[str, str]) -> None:
    ok_task, ok_sub = run_task(client, admin, "double")
    _, bad_sub = run_task(client, admin, "fail")
    again = wait_submission(client, admin, submit(client, admin, ok_task["id"])["id"])

    total, results = everything(client, admin, "/api/v1/submissions")
    assert total == 3
    assert [s["id"] for s in results] == [again["id"], bad_sub["id"], ok_sub["id"]]
    for sub in results:
        assert SUBMISSION_FIELDS <= set(sub)

    mine = client.get(f"/api/v1/submissions?entity_id={ok_task['id']}", headers=admin).get_json()
    assert [s["id"] for s in mine["results"]] == [again["id"], ok_sub["id"]]

    failed = client.get("/api/v1/submissions?status=FAILED", headers=admin).get_json()
    assert [s["id"] for s in failed["results"]] == [bad_sub["id"]]

    page = client.get("/api/v1/submissions?limit=1&offset=2", headers=admin).get_json()
    assert page["limit"] == 1 and page["offset"] == 2 and [s["id"] for s in page["results"]] == [ok_sub["id"]]


def test_get_an_unknown_submission_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get("/api/v1/submissions/SUBMISSION_nope", headers=admin), 404)
    assert "SUBMISSION_nope" in body["detail"]
