"""The hand-built JSON of runner/api/views.py is exactly what the documented schemas say."""

from __future__ import annotations

import json

from runner.api import schemas, views
from tests.conftest import run_task


def _roundtrip(value: object) -> object:
    return json.loads(views.respond(value).get_data())


def test_views_match_the_documented_schemas(app, client, admin) -> None:
    task, sub = run_task(client, admin, "greet", params={"times": 2})
    _, failed = run_task(client, admin, "fail")
    store = app.extensions["runner"].store
    for sub_id in (sub["id"], failed["id"]):
        submission = store.get_submission(sub_id)
        assert _roundtrip(views.submission(submission)) == _roundtrip(schemas.SubmissionSchema().dump(submission))
        for job in submission.jobs:
            assert _roundtrip(views.job(job)) == _roundtrip(schemas.JobSchema().dump(job))
    entity = store.get_task(task["id"])
    assert _roundtrip(views.task(entity)) == _roundtrip(schemas.TaskSchema().dump(entity))


def test_every_field_of_the_schemas_is_in_the_views(app, client, admin) -> None:
    task, sub = run_task(client, admin, "double")
    store = app.extensions["runner"].store
    submission = store.get_submission(sub["id"])
    pairs = [
        (views.task(store.get_task(task["id"])), schemas.TaskSchema),
        (views.submission(submission), schemas.SubmissionSchema),
        (views.job(submission.jobs[0]), schemas.JobSchema),
    ]
    for built, schema in pairs:
        declared = {f.data_key or name for name, f in schema().fields.items()}
        assert set(built) == declared, schema.__name__


def test_the_task_page_built_from_stored_rows_equals_the_views(app, client, admin) -> None:
    created = [client.post(f"/api/v1/tasks?config_id={c}", headers=admin).get_json()["task"] for c in ("greet", "split", "double")]
    store = app.extensions["runner"].store
    from runner.store.repositories import Page

    rows, total = store.list_task_rows(Page(offset=0, limit=10))
    built = json.loads(views.task_page_json(rows, total, 0, 10).get_data())
    tasks, _ = store.list_tasks(Page(offset=0, limit=10))
    assert built == {"results": [_roundtrip(views.task(t)) for t in tasks], "total": 3, "offset": 0, "limit": 10}
    assert [t["id"] for t in built["results"]] == [t["id"] for t in created]
    assert client.get("/api/v1/tasks?limit=10", headers=admin).get_json() == built
