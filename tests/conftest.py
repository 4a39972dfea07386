"""Fixtures: real apps on real SQLite files, real worker processes, real HTTP via the test client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from runner import create_app, shutdown
from runner.auth.roles import Role
from runner.services.tokens import create_token
from runner.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
JOBS_CONFIG = FIXTURES / "jobs"
EXAMPLES_CONFIG = Path(__file__).parent.parent / "configs"


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def factory(config: Path = JOBS_CONFIG, executor: str = "inline", start: bool = True, **overrides: Any) -> Flask:
        values: dict[str, Any] = {
            "config": str(config),
            "database_url": f"sqlite:///{tmp_path / 'runner.db'}",
            "storage_dir": str(tmp_path / "data"),
            "executor": executor,
            "workers": 2,
        }
        values.update(overrides)
        app = create_app(Settings(**values), start=start)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield factory
    for app in apps:
        shutdown(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_tokens(app: Flask) -> dict[Role, str]:
    store = app.extensions["runner"].store
    return {role: create_token(store, role, f"test {role}").token for role in Role}


@pytest.fixture
def tokens(app: Flask) -> dict[Role, str]:
    return make_tokens(app)


@pytest.fixture
def auth(tokens: dict[Role, str]) -> Callable[[Role], dict[str, str]]:
    def headers(role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    return headers


@pytest.fixture
def admin(auth: Callable[[Role], dict[str, str]]) -> dict[str, str]:
    return auth(Role.ADMIN)


def wait_until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll until check() returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


def wait_submission(client: FlaskClient, headers: dict[str, str], submission_id: str, timeout: float = 20.0) -> dict:
    """Poll a submission over the API until it reaches a final status."""

    def check() -> dict | None:
        body = client.get(f"/api/v1/submissions/{submission_id}", headers=headers).get_json()["submission"]
        return body if body["status"] in ("COMPLETED", "FAILED", "CANCELED") else None

    return wait_until(check, timeout)


def create_task(client: FlaskClient, headers: dict[str, str], config_id: str) -> dict:
    response = client.post(f"/api/v1/tasks?config_id={config_id}", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["task"]


def submit(client: FlaskClient, headers: dict[str, str], task_id: str, **body: Any) -> dict:
    response = client.post(f"/api/v1/tasks/submit/{task_id}", headers=headers, json=body or None)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["submission"]


def run_task(client: FlaskClient, headers: dict[str, str], config_id: str, **body: Any) -> tuple[dict, dict]:
    """Create a task, submit it, wait for the end: (task, final submission)."""
    task = create_task(client, headers, config_id)
    submission = submit(client, headers, task["id"], **body)
    return task, wait_submission(client, headers, submission["id"])
