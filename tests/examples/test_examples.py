"""The example configs that `make run` serves work as the README says."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.conftest import EXAMPLES_CONFIG, make_tokens, wait_submission


def test_the_readme_scenario_runs_and_produces_the_report(make_app: Callable[..., Flask]) -> None:
    app = make_app(config=EXAMPLES_CONFIG)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    created = client.post("/api/v1/scenarios?config_id=daily_numbers", headers=headers)
    assert created.status_code == 201
    scenario = created.get_json()["scenario"]
    assert scenario["cycle"].startswith("DAILY:")
    submitted = client.post(f"/api/v1/scenarios/submit/{scenario['id']}", headers=headers)
    final = wait_submission(client, headers, submitted.get_json()["submission"]["id"])
    assert final["status"] == "COMPLETED"
    dag = client.get(f"/api/v1/scenarios/{scenario['id']}/dag", headers=headers).get_json()
    summary = next(n["id"] for n in dag["nodes"] if n["config_id"] == "summary")
    report = client.get(f"/api/v1/datanodes/{summary}/read", headers=headers).get_json()["data"]
    assert report == {"title": "Daily numbers", "total": 31, "average": 31 / 8}
    clean_task = next(n["id"] for n in dag["nodes"] if n["config_id"] == "clean")
    clean_job = next(j for j in final["jobs"] if j["task_id"] == clean_task)
    assert clean_job["status_percent"] == 100.0
    logs = client.get(f"/api/v1/jobs/{clean_job['id']}/logs", headers=headers).get_json()["results"]
    assert [e["msg"] for e in logs] == ["example: dropped 1 value(s) that are not numbers", "kept 8 of 9"]


def test_the_readme_task_walkthrough(make_app: Callable[..., Flask]) -> None:
    app = make_app(config=EXAMPLES_CONFIG)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    task = client.post("/api/v1/tasks?config_id=double", headers=headers).get_json()["task"]
    client.put(f"/api/v1/datanodes/{task['input_ids'][0]}/write", headers=headers, json={"data": 21})
    submission = client.post(f"/api/v1/tasks/submit/{task['id']}", headers=headers).get_json()["submission"]
    assert wait_submission(client, headers, submission["id"])["status"] == "COMPLETED"
    assert client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=headers).get_json() == {"data": 42}
