"""Schedules declared in TOML and over REST: validation, versions, roles, the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from runner.auth.roles import Role
from runner.config import load_registry
from runner.errors import ConfigError
from tests.conftest import FIXTURES, make_tokens

SCHEDULED = FIXTURES / "scheduled"


@pytest.fixture
def world(make_app: Callable[..., Flask]):
    app = make_app(config=SCHEDULED, scheduler=False)
    tokens = make_tokens(app)
    return app, app.test_client(), {role: {"Authorization": f"Bearer {tok}"} for role, tok in tokens.items()}


def test_toml_schedules_load_and_show_with_their_next_run(world) -> None:
    app, client, h = world
    page = client.get("/api/v1/schedules", headers=h[Role.READER]).get_json()
    by_id = {s["id"]: s for s in page["results"]}
    assert set(by_id) == {"nightly", "weekly_backup", "every_ten_minutes", "office_hours"}
    assert all(s["source"] == "config" for s in by_id.values())
    assert by_id["nightly"]["type"] == "cron" and by_id["nightly"]["timezone"] == "Europe/Paris"
    assert by_id["nightly"]["next_run_at"] is not None
    assert by_id["weekly_backup"]["run_interval_seconds"] == 604800
    assert by_id["every_ten_minutes"]["max_occurrences"] == 3
    assert by_id["office_hours"]["state"] == "paused" and by_id["office_hours"]["next_run_at"] is None
    assert by_id["office_hours"]["weekdays"] == ["monday", "friday"]


def test_toml_schedules_are_edited_in_the_file_but_can_be_paused(world) -> None:
    app, client, h = world
    response = client.patch("/api/v1/schedules/nightly", headers=h[Role.EDITOR], json={"version": 1, "period": 5})
    assert response.status_code == 409
    assert "TOML" in response.get_json()["detail"]
    assert client.delete("/api/v1/schedules/nightly", headers=h[Role.EDITOR]).status_code == 409
    assert client.post("/api/v1/schedules/nightly/pause", headers=h[Role.EXECUTOR]).status_code == 200


def test_a_pause_of_a_toml_schedule_survives_a_restart(make_app, tmp_path) -> None:
    first = make_app(config=SCHEDULED, scheduler=False)
    headers = {"Authorization": f"Bearer {make_tokens(first)['admin']}"}
    first.test_client().post("/api/v1/schedules/nightly/pause", headers=headers)
    second = make_app(config=SCHEDULED, scheduler=False)
    got = second.test_client().get("/api/v1/schedules/nightly", headers=headers).get_json()["schedule"]
    assert got["state"] == "paused"


def _config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "sched_funcs.py").write_text("def stamp(x):\n    return x\n")
    (tmp_path / "cfg" / "c.toml").write_text(
        '[DATA_NODE.seed]\ndefault_data = 1\n[DATA_NODE.copy]\n'
        '[TASK.copy]\nfunction = "sched_funcs:stamp"\ninputs = ["seed"]\noutputs = ["copy"]\n' + body
    )
    return tmp_path / "cfg"


def test_a_bad_toml_schedule_is_a_validation_error_with_its_location(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        '[SCHEDULE.bad_cron]\ntask = "copy"\ncron = "61 * * * *"\n'
        '[SCHEDULE.bad_zone]\ntask = "copy"\nperiod = 60\ntimezone = "Mars/Base"\n'
        '[SCHEDULE.bad_target]\ntask = "nope"\nperiod = 60\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    text = "\n".join(str(i) for i in caught.value.issues)
    assert "[SCHEDULE.bad_cron] cron: invalid cron expression" in text
    assert "[SCHEDULE.bad_zone] timezone: unknown IANA time zone: 'Mars/Base'" in text
    assert "[SCHEDULE.bad_target] task: unknown task config 'nope'" in text
    runner_cli = Path(sys.executable).parent / "runner"
    result = subprocess.run([str(runner_cli), "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "invalid cron expression" in result.stderr


def test_create_put_patch_delete_over_rest(world) -> None:
    app, client, h = world
    created = client.post(
        "/api/v1/schedules", headers=h[Role.EDITOR], json={"task": "copy", "cron": "*/5 * * * *", "timezone": "UTC"}
    )
    assert created.status_code == 201
    schedule = created.get_json()["schedule"]
    assert created.headers["Location"] == f"/api/v1/schedules/{schedule['id']}"
    assert schedule["type"] == "cron" and schedule["run_interval_seconds"] == 300 and schedule["version"] == 1

    put = client.put("/api/v1/schedules/my-id", headers=h[Role.EDITOR], json={"task": "copy", "period": 30})
    assert put.status_code == 201 and put.get_json()["schedule"]["id"] == "my-id"
    again = client.put("/api/v1/schedules/my-id", headers=h[Role.EDITOR], json={"task": "copy", "period": 30})
    assert again.status_code == 409

    # PATCH with the version read: a new trigger replaces the old one.
    patched = client.patch(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.EDITOR], json={"version": 1, "period": 90})
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()["schedule"]
    assert body["type"] == "periodic" and body["cron"] is None and body["version"] == 2
    # A stale version in the body: 409; a stale If-Match: 412; the current one: 200.
    stale = client.patch(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.EDITOR], json={"version": 1, "period": 5})
    assert stale.status_code == 409
    headers = {**h[Role.EDITOR], "If-Match": '"1"'}
    assert client.patch(f"/api/v1/schedules/{schedule['id']}", headers=headers, json={"period": 5}).status_code == 412
    etag = client.get(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.READER]).headers["ETag"]
    headers = {**h[Role.EDITOR], "If-Match": etag}
    assert client.patch(f"/api/v1/schedules/{schedule['id']}", headers=headers, json={"period": 5}).status_code == 200
    no_version = client.patch(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.EDITOR], json={"period": 5})
    assert no_version.status_code == 422
    assert client.get(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.READER]).get_json()["schedule"]["period"] == 5

    assert client.delete(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.EDITOR]).status_code == 200
    assert client.get(f"/api/v1/schedules/{schedule['id']}", headers=h[Role.READER]).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task": "copy", "cron": "not a cron"}, "cron"),
        ({"task": "copy", "period": 60, "timezone": "Nowhere/City"}, "timezone"),
        ({"task": "nope", "period": 60}, "task"),
        ({"scenario": "nope", "period": 60}, "scenario"),
        ({"task_id": "TASK_nope", "period": 60}, "task_id"),
        ({"task": "copy", "period": 60, "params": {"zzz": 1}}, "params"),
        ({"task": "copy"}, "period"),
        ({"task": "copy", "period": "soon"}, "period"),
    ],
)
def test_bad_schedules_are_refused_with_problem_details_and_nothing_is_stored(world, body, field) -> None:
    app, client, h = world
    before = client.get("/api/v1/schedules", headers=h[Role.READER]).get_json()["total"]
    response = client.post("/api/v1/schedules", headers=h[Role.EDITOR], json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in str(response.get_json()["errors"])
    assert client.get("/api/v1/schedules", headers=h[Role.READER]).get_json()["total"] == before


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("post", "/api/v1/schedules", {Role.EDITOR, Role.ADMIN}),
        ("post", "/api/v1/schedules/nightly/pause", {Role.EXECUTOR, Role.ADMIN}),
        ("post", "/api/v1/schedules/nightly/resume", {Role.EXECUTOR, Role.ADMIN}),
        ("get", "/api/v1/schedules/nightly/runs", set(Role)),
        ("get", "/api/v1/schedules", set(Role)),
    ],
)
def test_schedule_roles(world, method: str, path: str, allowed: set[Role]) -> None:
    app, client, h = world
    for role in Role:
        kwargs = {"json": {"task": "copy", "period": 60}} if path == "/api/v1/schedules" and method == "post" else {}
        response = getattr(client, method)(path, headers=h[role], **kwargs)
        assert (response.status_code < 400) == (role in allowed), (role, response.status_code)
        if role not in allowed:
            assert response.status_code == 403
    assert getattr(client, method)(path).status_code == 401


def test_the_cli_lists_schedules_with_their_next_run(world, tmp_path) -> None:
    app, client, h = world
    settings = app.extensions["runner"].settings
    env = {"RUNNER_CONFIG": str(SCHEDULED), "RUNNER_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    runner_cli = Path(sys.executable).parent / "runner"
    result = subprocess.run([str(runner_cli), "schedules"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "STATE", "NEXT", "RUN", "(UTC)", "RUNS", "TARGET"]
    nightly = client.get("/api/v1/schedules/nightly", headers=h[Role.READER]).get_json()["schedule"]
    row = next(line for line in lines if line.startswith("nightly "))
    assert nightly["next_run_at"][:19] in row
    assert "scenario=pipeline" in result.stdout
