"""kill -9 of the server mid-job: after a restart every job is resolved, none stays RUNNING."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import JOBS_CONFIG, wait_until

pytestmark = pytest.mark.slow

TOKEN = "crash-test-admin-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.env = {
            **os.environ,
            "RUNNER_CONFIG": str(JOBS_CONFIG),
            "RUNNER_DATABASE_URL": f"sqlite:///{tmp_path / 'runner.db'}",
            "RUNNER_STORAGE_DIR": str(tmp_path / "data"),
            "RUNNER_PORT": str(self.port),
            "RUNNER_WORKERS": "2",
            "RUNNER_ADMIN_TOKEN": TOKEN,
        }
        self.log = tmp_path / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        runner = Path(sys.executable).parent / "runner"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([str(runner), "serve"], env=self.env, stdout=out, stderr=out)
        wait_until(self._healthy, timeout=30, interval=0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            return False

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=data,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_a_server_killed_mid_job_resolves_every_job_after_restart(tmp_path: Path) -> None:
    server = Server(tmp_path)
    server.start()
    try:
        submissions = {}
        markers = {}
        for config_id, seconds in (("sleep", 60.0), ("sleep_retry", 1.0)):
            _, created = server.call("POST", f"/api/v1/tasks?config_id={config_id}")
            markers[config_id] = tmp_path / f"{config_id}.pid"
            params = {"marker": str(markers[config_id]), "seconds": seconds}
            status, body = server.call("POST", f"/api/v1/tasks/submit/{created['task']['id']}", {"params": params})
            assert status == 202
            submissions[config_id] = body["submission"]
        pids = {k: int(wait_until(lambda m=m: m.exists() and m.read_text())) for k, m in markers.items()}
        for sub in submissions.values():
            _, body = server.call("GET", f"/api/v1/jobs/{sub['jobs'][0]['id']}")
            assert body["job"]["status"] == "RUNNING"

        server.kill9()
        # The workers die with the server: nothing keeps running untracked.
        assert wait_until(lambda: all(_gone(p) for p in pids.values()), timeout=10)

        for marker in markers.values():
            marker.unlink()
        server.start()

        def final(config_id: str) -> dict | None:
            _, body = server.call("GET", f"/api/v1/submissions/{submissions[config_id]['id']}")
            return body["submission"] if body["submission"]["status"] in ("COMPLETED", "FAILED") else None

        lost = wait_until(lambda: final("sleep"), timeout=20)["jobs"][0]
        assert lost["status"] == "FAILED"
        assert lost["error"]["type"] == "WorkerLost"
        assert "lost: the process running it died" in lost["error"]["message"]

        retried = wait_until(lambda: final("sleep_retry"), timeout=30)["jobs"][0]
        assert retried["status"] == "COMPLETED"
        assert retried["attempts"] == 2
        assert retried["history"][0]["error"]["type"] == "WorkerLost"

        _, running = server.call("GET", "/api/v1/jobs?status=RUNNING")
        _, pending = server.call("GET", "/api/v1/jobs?status=PENDING")
        assert running["total"] == 0 and pending["total"] == 0
    finally:
        server.stop()
