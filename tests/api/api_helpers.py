"""Helpers shared by the API tests.

The plain helpers of tests/conftest.py (create_task, submit, wait_submission, ...) are loaded
from that file under a private module name: `import conftest` would pick whichever conftest
pytest imported last.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def _root_conftest() -> ModuleType:
    name = "_runner_tests_root_conftest"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_root = _root_conftest()
JOBS_CONFIG: Path = _root.JOBS_CONFIG
create_task = _root.create_task
submit = _root.submit
run_task = _root.run_task
wait_submission = _root.wait_submission
wait_until = _root.wait_until
make_tokens = _root.make_tokens

# A config with a csv data node (tests/api/fixtures/csv_nodes), which jobs.toml has no task for.
CSV_CONFIG = Path(__file__).resolve().parent / "fixtures" / "csv_nodes"
# A config with a task that takes a typed float parameter (jobs.toml only has `sleep`).
FLOAT_CONFIG = Path(__file__).resolve().parent / "fixtures" / "float_params"
# A task whose float params default to TOML's nan and inf.
NAN_DEFAULTS_CONFIG = Path(__file__).resolve().parent / "fixtures" / "nan_defaults"

PROBLEM_JSON = "application/problem+json"

# Text that must never reach a client: stack traces, SQL, driver names.
LEAK_MARKERS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "sqlite3",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE FROM",
    "OverflowError",
    "IntegrityError",
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def strict_json(response: TestResponse) -> Any:
    """The body parsed as standard JSON: NaN and Infinity, which Python writes and JSON lacks, fail."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a {response.status_code} response: {response.get_data(as_text=True)[:300]}")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def assert_no_leak(response: TestResponse) -> None:
    text = response.get_data(as_text=True)
    for marker in LEAK_MARKERS:
        assert marker not in text, f"{marker!r} leaked in a {response.status_code} response: {text[:500]}"


def assert_problem(response: TestResponse, status: int, *, errors: bool = False) -> dict[str, Any]:
    """An RFC 9457 problem details response with this status; returns its body."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {text[:500]}"
    assert response.mimetype == PROBLEM_JSON, f"content type {response.content_type!r}: {text[:300]}"
    body = response.get_json()
    assert isinstance(body, dict), text
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if errors:
        assert isinstance(body.get("errors"), dict) and body["errors"], body
    assert_no_leak(response)
    return body


def everything(client: FlaskClient, headers: dict[str, str], path: str) -> tuple[int, list[dict[str, Any]]]:
    """(total, results) of a list endpoint, with the biggest page the server allows."""
    response = client.get(path, query_string={"limit": 1000}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["total"], body["results"]


def read_value(client: FlaskClient, headers: dict[str, str], dn_id: str) -> tuple[int, Any]:
    """(status, body) of a data node read."""
    response = client.get(f"/api/v1/datanodes/{dn_id}/read", headers=headers)
    return response.status_code, response.get_json()


def snapshot(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    """Everything the API shows of the store (admin headers): to compare before and after a call."""
    state: dict[str, Any] = {
        name: everything(client, headers, f"/api/v1/{name}") for name in ("tasks", "datanodes", "submissions", "jobs")
    }
    tokens = client.get("/api/v1/tokens", headers=headers)
    assert tokens.status_code == 200
    state["tokens"] = tokens.get_json()
    state["values"] = {dn["id"]: read_value(client, headers, dn["id"]) for dn in state["datanodes"][1]}
    return state
