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
