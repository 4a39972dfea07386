"""Blocked, skipped and multi-output jobs, on the inline executor (deterministic)."""

from __future__ import annotations

from tests.conftest import create_task, run_task, submit, wait_submission


def test_a_job_waits_blocked_for_an_input_never_written_then_runs(client, admin) -> None:
    task = create_task(client, admin, "double_blocked")
    sub = submit(client, admin, task["id"])
    job_id = sub["jobs"][0]["id"]

    def job() -> dict:
        return client.get(f"/api/v1/jobs/{job_id}", headers=admin).get_json()["job"]

    from tests.conftest import wait_until

    blocked = wait_until(lambda: job()["status"] == "BLOCKED" and job())
    assert task["input_ids"][0] in blocked["status_msg"]
    response = client.put(f"/api/v1/datanodes/{task['input_ids'][0]}/write", headers=admin, json={"data": 4})
    assert response.status_code == 200
    assert wait_submission(client, admin, sub["id"])["status"] == "COMPLETED"
    read = client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=admin).get_json()
    assert read == {"data": 8}


def test_a_skippable_task_with_fresh_outputs_is_skipped_and_says_why(client, admin) -> None:
    task = create_task(client, admin, "double_skippable")
    first = wait_submission(client, admin, submit(client, admin, task["id"])["id"])
    assert first["jobs"][0]["status"] == "COMPLETED"
    second = wait_submission(client, admin, submit(client, admin, task["id"])["id"])
    assert second["status"] == "COMPLETED"
    assert second["jobs"][0]["status"] == "SKIPPED"
    assert "newer than every input" in second["jobs"][0]["status_msg"]
    # A new input makes the output stale again: it runs.
    client.put(f"/api/v1/datanodes/{task['input_ids'][0]}/write", headers=admin, json={"data": 5})
    third = wait_submission(client, admin, submit(client, admin, task["id"])["id"])
    assert third["jobs"][0]["status"] == "COMPLETED"
    read = client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=admin).get_json()
    assert read == {"data": 10}


def test_several_outputs_come_from_a_tuple(client, admin) -> None:
    task, sub = run_task(client, admin, "split")
    assert sub["status"] == "COMPLETED"
    values = [
        client.get(f"/api/v1/datanodes/{dn}/read", headers=admin).get_json()["data"] for dn in task["output_ids"]
    ]
    assert values == [21, 22]


def test_params_reach_the_function_as_keywords(client, admin) -> None:
    task, sub = run_task(client, admin, "greet", params={"greeting": "Hi", "times": 2})
    assert sub["status"] == "COMPLETED"
    assert sub["jobs"][0]["params"] == {"greeting": "Hi", "times": 2}
    read = client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=admin).get_json()
    assert read == {"data": "Hi, Ada! Hi, Ada!"}


def test_a_failing_function_keeps_type_message_and_traceback(client, admin) -> None:
    _, sub = run_task(client, admin, "fail")
    error = sub["jobs"][0]["error"]
    assert sub["status"] == "FAILED"
    assert error["type"] == "ValueError"
    assert error["message"] == "bad value 21"
    assert "job_funcs.py" in error["traceback"] and "raise ValueError" in error["traceback"]


def test_global_data_nodes_are_shared_between_tasks(client, admin) -> None:
    a = create_task(client, admin, "shared_reader")
    b = create_task(client, admin, "shared_reader")
    assert a["input_ids"] == b["input_ids"]
    assert a["output_ids"] != b["output_ids"]
