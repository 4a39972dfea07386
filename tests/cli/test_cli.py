"""The `runner` command as a user types it: real processes, real exit codes, clear messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner import create_app, shutdown
from runner.settings import Settings
from tests.conftest import EXAMPLES_CONFIG, JOBS_CONFIG

RUNNER = str(Path(sys.executable).parent / "runner")


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([RUNNER, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120)


def test_validate_accepts_the_examples() -> None:
    result = run("validate", str(EXAMPLES_CONFIG))
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout and "task(s)" in result.stdout


def test_validate_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[TASK.a]\nfunction = "os:system"\ninputs = ["nope"]\n[DATA_NODE.d]\nstorage_type = "excel"\n')
    result = run("validate", str(bad))
    assert result.returncode == 1
    assert "3 problem(s)" in result.stderr
    assert "[TASK.a] function: module 'os' is not allowed" in result.stderr
    assert "[TASK.a] inputs: unknown data node 'nope'" in result.stderr
    assert "[DATA_NODE.d] storage_type" in result.stderr


def test_serve_refuses_an_invalid_config_with_the_same_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[TASK.a]\nfunction = "builtins:eval"\n')
    result = run("serve", env={"RUNNER_CONFIG": str(bad), "RUNNER_DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"})
    assert result.returncode == 1
    assert "builtins" in result.stderr and "refuses to start" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RUNNER_PORT": "abc"}, "RUNNER_PORT: port must be an integer, got 'abc'"),
        ({"RUNNER_WORKERS": "0"}, "RUNNER_WORKERS: workers is out of range: 0"),
        ({"RUNNER_SCHEDULER": "maybe"}, "RUNNER_SCHEDULER: scheduler must be true or false"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = run("serve", env={**env, "RUNNER_CONFIG": str(JOBS_CONFIG)}, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr


def test_a_token_made_on_the_command_line_works_over_the_api(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runner.db'}"
    env = {"RUNNER_DATABASE_URL": db, "RUNNER_CONFIG": str(JOBS_CONFIG)}
    made = run("token", "create", "--role", "executor", "--name", "batch", env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("rnr_")
    listed = run("token", "list", env=env)
    assert "executor" in listed.stdout and "batch" in listed.stdout and token not in listed.stdout
    app = create_app(Settings(config=str(JOBS_CONFIG), database_url=db, storage_dir=str(tmp_path / "d"), executor="inline"))
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/tasks", headers=headers).status_code == 200
        assert client.post("/api/v1/tasks?config_id=double", headers=headers).status_code == 403
    finally:
        shutdown(app)
    token_id = token.split("_")[1]
    assert run("token", "revoke", token_id, env=env).returncode == 0
    again = run("token", "revoke", token_id, env=env)
    assert again.returncode == 1 and f"no token has the id '{token_id}'" in again.stderr


def test_a_token_with_an_unknown_role_is_refused(tmp_path: Path) -> None:
    result = run("token", "create", "--role", "superuser", "--name", "x", env={"RUNNER_DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"})
    assert result.returncode == 2
    assert "'superuser' is not one of 'reader', 'editor', 'executor', 'admin'" in result.stderr
