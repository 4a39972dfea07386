"""Scenarios run as DAGs on real worker processes, through the REST API."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import make_tokens, wait_submission, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def local(make_app: Callable[..., Flask]):
    app = make_app(executor="local", workers=2)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    return app, client, headers


def create_scenario(client, headers, config_id: str) -> dict:
    response = client.post(f"/api/v1/scenarios?config_id={config_id}", headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == f"/api/v1/scenarios/{response.get_json()['scenario']['id']}"
    return response.get_json()["scenario"]


def submit_scenario(client, headers, scenario_id: str, **body) -> dict:
    response = client.post(f"/api/v1/scenarios/submit/{scenario_id}", headers=headers, json=body or None)
    assert response.status_code == 202, response.get_json()
    submission = response.get_json()["submission"]
    assert response.headers["Location"] == f"/api/v1/submissions/{submission['id']}"
    return submission


def jobs_by_config(client, headers, submission: dict) -> dict[str, dict]:
    out = {}
    for job in submission["jobs"]:
        task = client.get(f"/api/v1/tasks/{job['task_id']}", headers=headers).get_json()["task"]
        out[task["config_id"]] = job | {"task": task}
    return out


def output_of(client, headers, job: dict) -> dict:
    dn = job["task"]["output_ids"][0]
    return client.get(f"/api/v1/datanodes/{dn}/read", headers=headers).get_json()["data"]


def test_a_diamond_runs_in_dag_order_with_its_branches_in_parallel(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "diamond")
    assert len(scenario["task_ids"]) == 4
    final = wait_submission(client, headers, submit_scenario(client, headers, scenario["id"])["id"])
    assert final["status"] == "COMPLETED"
    jobs = jobs_by_config(client, headers, final)
    runs = {name: output_of(client, headers, job) for name, job in jobs.items()}
    assert runs["a"]["end"] <= min(runs["b"]["start"], runs["c"]["start"])
    assert max(runs["b"]["end"], runs["c"]["end"]) <= runs["d"]["start"]
    # b and c overlap in time, in two different processes: real parallelism.
    assert runs["b"]["start"] < runs["c"]["end"] and runs["c"]["start"] < runs["b"]["end"]
    assert runs["b"]["pid"] != runs["c"]["pid"]
    assert runs["d"]["inputs"] == 2
    assert os.getpid() not in {r["pid"] for r in runs.values()}


def test_a_wide_dag_keeps_every_worker_busy(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "wide")
    final = wait_submission(client, headers, submit_scenario(client, headers, scenario["id"])["id"])
    assert final["status"] == "COMPLETED"
    runs = [output_of(client, headers, job) for job in jobs_by_config(client, headers, final).values()]
    assert len(runs) == 6
    # How many ran at once, at each start: never more than the 2 workers, and 2 at times.
    overlaps = [sum(1 for o in runs if o["start"] <= r["start"] < o["end"]) for r in runs]
    assert max(overlaps) == 2
    assert len({r["pid"] for r in runs}) == 2


def test_a_failure_abandons_only_its_downstream(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "broken")
    final = wait_submission(client, headers, submit_scenario(client, headers, scenario["id"])["id"])
    jobs = jobs_by_config(client, headers, final)
    assert final["status"] == "FAILED"
    assert jobs["b_fails"]["status"] == "FAILED"
    assert jobs["after_l"]["status"] == "ABANDONED"
    assert jobs["b_fails"]["id"] in jobs["after_l"]["status_msg"]
    assert {jobs[n]["status"] for n in ("a", "c_fast", "after_r")} == {"COMPLETED"}


def test_the_dag_endpoint_shows_nodes_edges_and_latest_status(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "diamond")
    before = client.get(f"/api/v1/scenarios/{scenario['id']}/dag", headers=headers).get_json()
    tasks = [n for n in before["nodes"] if n["type"] == "task"]
    assert len(tasks) == 4 and all(n["status"] is None for n in tasks)
    assert len(before["edges"]) == 9  # a:2, b:2, c:2, d:3
    wait_submission(client, headers, submit_scenario(client, headers, scenario["id"])["id"])
    after = client.get(f"/api/v1/scenarios/{scenario['id']}/dag", headers=headers).get_json()
    assert {n["status"] for n in after["nodes"] if n["type"] == "task"} == {"COMPLETED"}
    assert {n["status"] for n in after["nodes"] if n["type"] == "datanode"} == {"WRITTEN"}
    order = [n["config_id"] for n in after["nodes"] if n["type"] == "task"]
    assert order[0] == "a" and order[-1] == "d"


def test_a_sequence_runs_only_its_tasks(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "diamond")
    [sequence] = scenario["sequences"]
    assert sequence["name"] == "left"
    got = client.get(f"/api/v1/sequences/{sequence['id']}", headers=headers).get_json()["sequence"]
    assert got == sequence
    listed = client.get(f"/api/v1/sequences?scenario_id={scenario['id']}", headers=headers).get_json()
    assert listed["total"] == 1
    response = client.post(f"/api/v1/sequences/submit/{sequence['id']}", headers=headers)
    assert response.status_code == 202
    final = wait_submission(client, headers, response.get_json()["submission"]["id"])
    assert final["entity_type"] == "SEQUENCE"
    assert sorted(jobs_by_config(client, headers, final)) == ["a", "b"]


def test_submitting_one_task_of_a_scenario_runs_only_it_unless_upstream(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "diamond")
    d_task = next(
        t for t in (client.get(f"/api/v1/tasks/{i}", headers=headers).get_json()["task"] for i in scenario["task_ids"])
        if t["config_id"] == "d"
    )
    # Alone, d waits for inputs that nothing wrote yet.
    alone = client.post(f"/api/v1/tasks/submit/{d_task['id']}", headers=headers).get_json()["submission"]
    assert len(alone["jobs"]) == 1
    def blocked() -> dict | None:
        job = client.get(f"/api/v1/jobs/{alone['jobs'][0]['id']}", headers=headers).get_json()["job"]
        return job if job["status"] == "BLOCKED" else None

    job = wait_until(blocked)
    assert "never written" in job["status_msg"]
    client.post(f"/api/v1/submissions/{alone['id']}/cancel", headers=headers)
    # With upstream=true its stale producers run first.
    response = client.post(f"/api/v1/tasks/submit/{d_task['id']}?upstream=true", headers=headers)
    final = wait_submission(client, headers, response.get_json()["submission"]["id"])
    assert final["status"] == "COMPLETED"
    assert sorted(jobs_by_config(client, headers, final)) == ["a", "b", "c", "d"]
    # Now every input is fresh: upstream=true runs d alone.
    again = client.post(f"/api/v1/tasks/submit/{d_task['id']}?upstream=true", headers=headers)
    assert len(again.get_json()["submission"]["jobs"]) == 1


def test_deleting_a_scenario_removes_its_tasks_and_owned_data_nodes(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "diamond")
    assert client.delete(f"/api/v1/scenarios/{scenario['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/scenarios/{scenario['id']}", headers=headers).status_code == 404
    for task_id in scenario["task_ids"]:
        assert client.get(f"/api/v1/tasks/{task_id}", headers=headers).status_code == 404
    for dn in scenario["data_node_ids"]:
        assert client.get(f"/api/v1/datanodes/{dn}", headers=headers).status_code == 404


def _worker_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); its state in /proc says it is dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_cancel_kills_the_running_function_and_abandons_downstream(local) -> None:
    app, client, headers = local
    executor = app.extensions["runner"].orchestrator.executor
    scenario = create_scenario(client, headers, "stoppable")
    submission = submit_scenario(client, headers, scenario["id"])
    jobs = jobs_by_config(client, headers, submission)
    long_id = jobs["long"]["id"]
    pid = wait_until(lambda: executor.pids().get(long_id))
    output_before = client.get(f"/api/v1/datanodes/{jobs['long']['task']['output_ids'][0]}/read", headers=headers)
    assert output_before.status_code == 404

    started = time.monotonic()
    response = client.post(f"/api/v1/jobs/cancel/{long_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    job = response.get_json()["job"]
    assert job["status"] == "CANCELED" and job["canceled_at"] is not None
    assert time.monotonic() - started < 10
    assert wait_until(lambda: _worker_gone(pid), timeout=5)

    final = wait_submission(client, headers, submission["id"])
    jobs = jobs_by_config(client, headers, final)
    assert final["status"] == "CANCELED"
    assert {jobs["b"]["status"], jobs["c_fast"]["status"]} == {"ABANDONED"}
    # Its output keeps its previous value (none).
    output = client.get(f"/api/v1/datanodes/{jobs['long']['task']['output_ids'][0]}/read", headers=headers)
    assert output.status_code == 404
    # Canceling a final job is a conflict that says why.
    again = client.post(f"/api/v1/jobs/cancel/{long_id}", headers=headers)
    assert again.status_code == 409
    assert "already CANCELED" in again.get_json()["detail"]
    assert client.post(f"/api/v1/submissions/{submission['id']}/cancel", headers=headers).status_code == 409


def test_a_timeout_kills_a_hanging_function(local) -> None:
    app, client, headers = local
    executor = app.extensions["runner"].orchestrator.executor
    scenario = create_scenario(client, headers, "hanging")
    submission = submit_scenario(client, headers, scenario["id"])
    long_id = jobs_by_config(client, headers, submission)["long_timeout"]["id"]
    pid = wait_until(lambda: executor.pids().get(long_id))
    final = wait_submission(client, headers, submission["id"], timeout=15)
    jobs = jobs_by_config(client, headers, final)
    job = jobs["long_timeout"]
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == "TimeoutError"
    assert "timed out after 1s" in job["error"]["message"]
    assert jobs["b"]["status"] == "ABANDONED"
    assert wait_until(lambda: _worker_gone(pid), timeout=5)


def test_a_submission_can_override_the_timeout(local) -> None:
    app, client, headers = local
    scenario = create_scenario(client, headers, "stoppable")
    submission = submit_scenario(client, headers, scenario["id"], timeout=0.5)
    final = wait_submission(client, headers, submission["id"], timeout=15)
    job = jobs_by_config(client, headers, final)["long"]
    assert job["timeout"] == 0.5
    assert job["error"]["type"] == "TimeoutError"
