"""/api/v1/tokens: create (shown once), list (never a secret), revoke."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import assert_problem, bearer
from flask import Flask
from flask.testing import FlaskClient

from runner.auth.roles import Role


def create(client: FlaskClient, admin: dict[str, str], role: str, name: str = "a token") -> dict:
    response = client.post("/api/v1/tokens", headers=admin, json={"role": role, "name": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json() | {"location": response.headers.get("Location")}


def test_create_a_token_shows_it_once(client: FlaskClient, admin: dict[str, str]) -> None:
    body = create(client, admin, "editor", "ci pipeline")

    assert isinstance(body["message"], str) and body["message"]
    assert body["token"].startswith("rnr_")
    info = body["info"]
    assert info["name"] == "ci pipeline"
    assert info["role"] == "editor"
    assert info["id"] and info["created_at"]
    assert body["location"] == f"/api/v1/tokens/{info['id']}"
    assert "secret_hash" not in info
    # Listed afterwards, but without its secret.
    listing = client.get("/api/v1/tokens", headers=admin)
    assert info in listing.get_json()["results"]
    assert body["token"] not in listing.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("reader", ("GET", "/api/v1/tasks"), ("POST", "/api/v1/tasks?config_id=double")),
        ("editor", ("POST", "/api/v1/tasks?config_id=double"), ("GET", "/api/v1/tokens")),
        ("executor", ("GET", "/api/v1/jobs"), ("POST", "/api/v1/tasks?config_id=double")),
        ("admin", ("GET", "/api/v1/tokens"), None),
    ],
)
def test_a_new_token_works_for_its_role(
    client: FlaskClient, admin: dict[str, str], role: str, allowed: tuple[str, str], refused: tuple[str, str] | None
) -> None:
    token = create(client, admin, role)["token"]

    method, path = allowed
    assert client.open(path, method=method, headers=bearer(token)).status_code in (200, 201)
    if refused is not None:
        method, path = refused
        assert_problem(client.open(path, method=method, headers=bearer(token)), 403)


def test_a_new_executor_token_can_submit(client: FlaskClient, admin: dict[str, str]) -> None:
    task = client.post("/api/v1/tasks?config_id=double", headers=admin).get_json()["task"]
    token = create(client, admin, "executor")["token"]

    assert client.post(f"/api/v1/tasks/submit/{task['id']}", headers=bearer(token)).status_code == 202


def test_the_list_never_shows_secrets_or_hashes(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    issued = [create(client, admin, role.value, f"t-{role}") for role in Role]
    store = app.extensions["runner"].store

    response = client.get("/api/v1/tokens", headers=admin)

    assert response.status_code == 200
    body = response.get_json()
    text = response.get_data(as_text=True)
    assert body["total"] == len(body["results"]) == len(store.list_tokens())
    for token in body["results"]:
        assert set(token) == {"id", "name", "role", "created_at"}
    for record in store.list_tokens():
        assert record.secret_hash not in text
    for token in issued:
        secret = token["token"].split("_", 2)[2]
        assert secret not in text
        assert token["info"] in body["results"]


def test_the_database_keeps_no_secret(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    issued = create(client, admin, "admin", "look for me")
    secret = issued["token"].split("_", 2)[2]
    database = Path(app.extensions["runner"].settings.database_url.removeprefix("sqlite:///"))

    files = [p for p in database.parent.glob(database.name + "*") if p.is_file()]

    assert database in files
    for path in files:  # the database, its WAL and shared memory
        raw = path.read_bytes()
        assert secret.encode() not in raw, path
        assert issued["token"].encode() not in raw, path
    # ... but the token works: what is kept is enough to check it.
    assert client.get("/api/v1/tokens", headers=bearer(issued["token"])).status_code == 200


def test_a_revoked_token_is_refused(client: FlaskClient, admin: dict[str, str]) -> None:
    body = create(client, admin, "reader", "short-lived")
    token, token_id = body["token"], body["info"]["id"]
    assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 200

    response = client.delete(f"/api/v1/tokens/{token_id}", headers=admin)

    assert response.status_code == 200
    assert set(response.get_json()) == {"message"}
    refused = client.get("/api/v1/tasks", headers=bearer(token))
    assert_problem(refused, 401)
    assert "WWW-Authenticate" in refused.headers
    listed = [t["id"] for t in client.get("/api/v1/tokens", headers=admin).get_json()["results"]]
    assert token_id not in listed
    # Revoking twice: it is gone.
    assert_problem(client.delete(f"/api/v1/tokens/{token_id}", headers=admin), 404)


def test_revoking_one_token_leaves_the_others(client: FlaskClient, admin: dict[str, str]) -> None:
    keep = create(client, admin, "reader", "keep")["token"]
    drop = create(client, admin, "reader", "drop")

    assert client.delete(f"/api/v1/tokens/{drop['info']['id']}", headers=admin).status_code == 200

    assert client.get("/api/v1/tasks", headers=bearer(keep)).status_code == 200
    assert client.get("/api/v1/tasks", headers=admin).status_code == 200


def test_an_admin_may_revoke_its_own_token(client: FlaskClient, admin: dict[str, str]) -> None:
    mine = create(client, admin, "admin", "self")
    headers = bearer(mine["token"])

    assert client.delete(f"/api/v1/tokens/{mine['info']['id']}", headers=headers).status_code == 200

    assert_problem(client.get("/api/v1/tokens", headers=headers), 401)


def test_revoke_an_unknown_token_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    before = client.get("/api/v1/tokens", headers=admin).get_json()

    assert_problem(client.delete("/api/v1/tokens/0123456789abcdef", headers=admin), 404)

    assert client.get("/api/v1/tokens", headers=admin).get_json() == before


def test_two_tokens_are_never_the_same(client: FlaskClient, admin: dict[str, str]) -> None:
    first = create(client, admin, "reader", "same name")
    second = create(client, admin, "reader", "same name")

    assert first["token"] != second["token"]
    assert first["info"]["id"] != second["info"]["id"]
