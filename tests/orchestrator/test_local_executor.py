"""Jobs in real worker processes: crashes, kills and bad return values fail only their own job."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import create_task, run_task, submit, wait_submission, wait_until, make_tokens

pytestmark = pytest.mark.slow


@pytest.fixture
def local(make_app: Callable[..., Flask]):
    app = make_app(executor="local", workers=2)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    return app, client, headers


def _job(submission: dict) -> dict:
    assert len(submission["jobs"]) == 1
    return submission["jobs"][0]


def _pool_still_works(client, headers) -> None:
    task, sub = run_task(client, headers, "double")
    assert sub["status"] == "COMPLETED"
    out = client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=headers).get_json()
    assert out == {"data": 42}


def test_a_function_runs_in_another_process(local) -> None:
    app, client, headers = local
    task, sub = run_task(client, headers, "double")
    job = _job(sub)
    assert job["status"] == "COMPLETED"
    assert job["started_at"] <= job["finished_at"]
    assert client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=headers).get_json() == {"data": 42}


@pytest.mark.parametrize(
    ("config_id", "exit_text"),
    [("crash", "exited with code 3"), ("sigkill", "killed by signal SIGKILL")],
)
def test_a_worker_that_dies_fails_only_its_job(local, config_id: str, exit_text: str) -> None:
    app, client, headers = local
    task, sub = run_task(client, headers, config_id)
    job = _job(sub)
    assert sub["status"] == "FAILED"
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == "WorkerDied"
    assert exit_text in job["error"]["message"]
    # The output keeps no value: nothing was written.
    read = client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=headers)
    assert read.status_code == 404
    _pool_still_works(client, headers)


def test_a_worker_killed_from_outside_mid_job_fails_that_job_and_the_pool_recovers(local, tmp_path: Path) -> None:
    app, client, headers = local
    marker = tmp_path / "pid"
    task = create_task(client, headers, "sleep")
    sub = submit(client, headers, task["id"], params={"marker": str(marker), "seconds": 60.0})
    pid = int(wait_until(lambda: marker.exists() and marker.read_text()))
    job = client.get(f"/api/v1/jobs/{sub['jobs'][0]['id']}", headers=headers).get_json()["job"]
    assert job["status"] == "RUNNING"
    os.kill(pid, signal.SIGKILL)
    final = wait_submission(client, headers, sub["id"])
    assert _job(final)["status"] == "FAILED"
    assert "SIGKILL" in _job(final)["error"]["message"]
    _pool_still_works(client, headers)


def test_two_jobs_run_at_the_same_time_on_two_workers(local, tmp_path: Path) -> None:
    app, client, headers = local
    markers = [tmp_path / "a", tmp_path / "b"]
    subs = []
    for marker in markers:
        task = create_task(client, headers, "sleep")
        subs.append(submit(client, headers, task["id"], params={"marker": str(marker), "seconds": 1.0}))
    # Both functions are inside their sleep at once: two different processes.
    pids = wait_until(lambda: all(m.exists() and m.read_text() for m in markers) and [m.read_text() for m in markers])
    assert pids[0] != pids[1]
    assert str(os.getpid()) not in pids
    for sub in subs:
        assert wait_submission(client, headers, sub["id"])["status"] == "COMPLETED"


@pytest.mark.parametrize(
    ("config_id", "error_type", "message_part"),
    [
        ("unpicklable", "StorageError", "cannot write a function to a pickle data node"),
        ("unpicklable_memory", "OutputError", "cannot leave the worker process"),
        ("not_json", "StorageError", "cannot write a set to a json data node"),
        ("wrong_arity", "OutputMismatch", "has 2 outputs"),
    ],
)
def test_an_output_that_cannot_be_written_fails_clearly(local, config_id, error_type, message_part) -> None:
    app, client, headers = local
    _, sub = run_task(client, headers, config_id)
    job = _job(sub)
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == error_type
    assert message_part in job["error"]["message"]
    _pool_still_works(client, headers)


def test_in_memory_values_travel_to_and_from_workers(local) -> None:
    app, client, headers = local
    task, sub = run_task(client, headers, "memory")
    assert sub["status"] == "COMPLETED"
    assert client.get(f"/api/v1/datanodes/{task['output_ids'][0]}/read", headers=headers).get_json() == {"data": 10}
