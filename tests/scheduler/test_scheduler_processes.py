"""Two `runner scheduler` processes on one database, against the real clock: no double run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import JOBS_CONFIG, make_tokens, wait_until

pytestmark = pytest.mark.slow


def test_two_scheduler_processes_make_one_run_per_due_time(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    # The server: its orchestrator runs what the schedulers submit; its own scheduler is off.
    app = make_app(scheduler=False)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    created = client.post("/api/v1/schedules", headers=headers, json={"task": "double", "period": 0.5})
    schedule_id = created.get_json()["schedule"]["id"]
    settings = app.extensions["runner"].settings
    env = {
        **os.environ,
        "RUNNER_CONFIG": str(JOBS_CONFIG),
        "RUNNER_DATABASE_URL": settings.database_url,
        "RUNNER_STORAGE_DIR": settings.storage_dir,
    }
    runner_cli = str(Path(sys.executable).parent / "runner")
    schedulers = [
        subprocess.Popen([runner_cli, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        time.sleep(6)
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGTERM)
        for process in schedulers:
            process.wait(30)
    assert all(p.returncode == 0 for p in schedulers), [p.stderr.read() for p in schedulers if p.stderr]

    runs = client.get(f"/api/v1/schedules/{schedule_id}/runs?limit=1000", headers=headers).get_json()["results"]
    due = sorted(datetime.fromisoformat(r["scheduled_for"]) for r in runs)
    assert len(due) >= 8, due  # both ran for about 6 s with a due time every 0.5 s
    assert len(set(due)) == len(due)  # never two runs for one due time
    # The server's orchestrator took up every run made by the other processes.
    def all_done() -> bool:
        listed = client.get(f"/api/v1/schedules/{schedule_id}/runs?limit=1000", headers=headers).get_json()["results"]
        return all(r["status"] == "COMPLETED" for r in listed)

    assert wait_until(all_done, timeout=20)
