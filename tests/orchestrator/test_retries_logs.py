"""Retries with backoff, logs and progress, per-task concurrency limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from flask import Flask

from tests.conftest import create_task, make_tokens, run_task, submit, wait_submission

pytestmark = pytest.mark.slow


@pytest.fixture
def local(make_app: Callable[..., Flask]):
    app = make_app(executor="local", workers=2)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    return app, client, headers


def test_retries_with_exponential_backoff_are_recorded(local) -> None:
    app, client, headers = local
    _, sub = run_task(client, headers, "flaky")
    job = sub["jobs"][0]
    assert sub["status"] == "COMPLETED"
    assert job["attempts"] == 3
    history = job["history"]
    assert [h["attempt"] for h in history] == [1, 2]
    assert all(h["error"]["type"] == "ConnectionError" for h in history)
    # retry_delay 0.2 then 0.4 (backoff 2, no jitter): each attempt starts after the delay.
    ends = [datetime.fromisoformat(h["finished_at"]) for h in history]
    starts = [datetime.fromisoformat(h["started_at"]) for h in history] + [datetime.fromisoformat(job["started_at"])]
    gaps = [(starts[i + 1] - ends[i]).total_seconds() for i in range(2)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4


def test_retry_on_limits_which_errors_are_retried(local) -> None:
    app, client, headers = local
    _, sub = run_task(client, headers, "flaky_no_retry_on")
    job = sub["jobs"][0]
    assert job["status"] == "FAILED"
    assert job["attempts"] == 1
    assert job["error"]["type"] == "ConnectionError"


def test_logs_and_progress_can_be_tailed(local) -> None:
    app, client, headers = local
    _, sub = run_task(client, headers, "chatty")
    job_id = sub["jobs"][0]["id"]
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()["job"]
    assert job["status_percent"] == 100.0
    page = client.get(f"/api/v1/jobs/{job_id}/logs", headers=headers).get_json()
    entries = page["results"]
    assert page["total"] == len(entries) == 6
    assert [e["idx"] for e in entries] == list(range(6))
    assert [(e["level"], e["msg"]) for e in entries] == [
        ("info", "chatty: starting with 1"),
        ("stdout", "hello from stdout"),
        ("info", "halfway"),
        ("stderr", "oops on stderr"),
        ("warning", "chatty: almost done"),
        ("info", "done"),
    ]
    assert [e["status_percent"] for e in entries] == [None, None, 50.0, None, None, 100.0]
    # Tail: everything after the last idx seen.
    tail = client.get(f"/api/v1/jobs/{job_id}/logs?offset=4&limit=1", headers=headers).get_json()
    assert [e["idx"] for e in tail["results"]] == [4]
    assert client.get(f"/api/v1/jobs/{job_id}/logs?offset=6", headers=headers).get_json()["results"] == []
    assert client.get("/api/v1/jobs/JOB_nope/logs", headers=headers).status_code == 404


def test_max_concurrency_bounds_one_tasks_parallel_jobs(local) -> None:
    app, client, headers = local
    subs = [submit(client, headers, create_task(client, headers, "limited")["id"]) for _ in range(3)]
    finals = [wait_submission(client, headers, s["id"]) for s in subs]
    runs = []
    for final in finals:
        task = client.get(f"/api/v1/tasks/{final['jobs'][0]['task_id']}", headers=headers).get_json()["task"]
        runs.append(client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=headers).get_json()["data"])
    runs.sort(key=lambda r: r["start"])
    # Never two at once, although two workers were free.
    for first, second in zip(runs, runs[1:]):
        assert first["end"] <= second["start"]
