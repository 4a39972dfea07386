"""Marshmallow schemas: the exact JSON shapes of the API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from runner.auth.roles import Role
from runner.domain.status import JobStatus, SubmissionStatus


class _Out(Schema):
    class Meta:
        ordered = True


# Beyond this an offset cannot be a row number (SQLite integers are 64-bit).
MAX_OFFSET = 2**53


class PageArgs(Schema):
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1))


class TaskListArgs(PageArgs):
    config_id = fields.String()


class ConfigIdArgs(Schema):
    config_id = fields.String(required=True, validate=validate.Length(min=1))


class TaskSchema(_Out):
    id = fields.String()
    config_id = fields.String()
    function = fields.String()
    input_ids = fields.List(fields.String())
    output_ids = fields.List(fields.String())
    skippable = fields.Boolean()
    params = fields.Dict()
    scenario_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class TaskEnvelope(_Out):
    message = fields.String()
    task = fields.Nested(TaskSchema)


class TaskOnly(_Out):
    task = fields.Nested(TaskSchema)


class Message(_Out):
    message = fields.String()


def _page_of(item: type[Schema], name: str) -> type[Schema]:
    return type(
        name,
        (_Out,),
        {
            "results": fields.List(fields.Nested(item)),
            "total": fields.Integer(),
            "offset": fields.Integer(),
            "limit": fields.Integer(),
        },
    )


TaskPage = _page_of(TaskSchema, "TaskPage")


class JobErrorSchema(_Out):
    type = fields.String()
    message = fields.String()
    traceback = fields.String()


class JobSchema(_Out):
    id = fields.String()
    task_id = fields.String()
    submission_id = fields.String()
    status = fields.Enum(JobStatus)
    status_msg = fields.String()
    status_percent = fields.Float(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    canceled_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    params = fields.Dict()
    timeout = fields.Float(allow_none=True)
    heartbeat_at = fields.DateTime(allow_none=True)
    not_before = fields.DateTime(allow_none=True)
    history = fields.List(fields.Dict())
    error = fields.Nested(JobErrorSchema, allow_none=True)


JobPage = _page_of(JobSchema, "JobPage")


class JobOnly(_Out):
    job = fields.Nested(JobSchema)


class JobListArgs(PageArgs):
    status = fields.Enum(JobStatus)
    task_id = fields.String()
    submission_id = fields.String()


_ENTITY_PATHS = {"TASK": "tasks", "SCENARIO": "scenarios", "SEQUENCE": "sequences"}


class SubmissionSchema(_Out):
    id = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    status = fields.Enum(SubmissionStatus)
    jobs = fields.List(fields.Nested(JobSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    links = fields.Method("_links", data_key="_links")

    def _links(self, submission: Any) -> dict[str, dict[str, str]]:
        entity = _ENTITY_PATHS.get(str(submission.entity_type), "tasks")
        return {
            "self": {"href": f"/api/v1/submissions/{submission.id}"},
            "entity": {"href": f"/api/v1/{entity}/{submission.entity_id}"},
        }


SubmissionPage = _page_of(SubmissionSchema, "SubmissionPage")


class SubmissionOnly(_Out):
    submission = fields.Nested(SubmissionSchema)


class SubmissionListArgs(PageArgs):
    entity_id = fields.String()
    status = fields.Enum(SubmissionStatus)


class SubmitEnvelope(_Out):
    message = fields.String()
    task = fields.Nested(TaskSchema)
    submission = fields.Nested(SubmissionSchema)


class DataNodeSchema(_Out):
    id = fields.String()
    config_id = fields.String()
    storage_type = fields.String()
    scope = fields.String()
    owner_id = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    validity_period = fields.Float(allow_none=True)
    last_edit_date = fields.DateTime(allow_none=True)
    edited_by = fields.String(allow_none=True)
    is_written = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


DataNodePage = _page_of(DataNodeSchema, "DataNodePage")


class DataNodeOnly(_Out):
    datanode = fields.Nested(DataNodeSchema)


class DataNodeListArgs(PageArgs):
    config_id = fields.String()


class DataBody(Schema):
    data = fields.Raw(required=True, allow_none=True)


class DataOut(_Out):
    data = fields.Raw(allow_none=True)


class DataWritten(_Out):
    message = fields.String()
    datanode = fields.Nested(DataNodeSchema)


class ParamSchema(_Out):
    name = fields.String()
    type = fields.String()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)
    description = fields.String()


class TaskConfigSchema(_Out):
    id = fields.String()
    description = fields.Dict(keys=fields.String(), values=fields.String())
    function = fields.String()
    inputs = fields.List(fields.String())
    outputs = fields.List(fields.String())
    skippable = fields.Boolean()
    params = fields.List(fields.Nested(ParamSchema))
    timeout = fields.Float(allow_none=True)
    retries = fields.Integer()


class TaskConfigList(_Out):
    results = fields.List(fields.Nested(TaskConfigSchema))
    total = fields.Integer()


class TaskConfigOnly(_Out):
    config = fields.Nested(TaskConfigSchema)


class TokenCreate(Schema):
    role = fields.Enum(Role, by_value=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(_Out):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    created_at = fields.DateTime()


class TokenCreated(_Out):
    message = fields.String()
    token = fields.String()
    info = fields.Nested(TokenSchema)


class TokenList(_Out):
    results = fields.List(fields.Nested(TokenSchema))
    total = fields.Integer()


class ProblemSchema(_Out):
    """RFC 9457 problem details, as every error is sent."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "field-level validation messages, by location and field"})


class Health(_Out):
    status = fields.String()


class SubmitArgs(Schema):
    upstream = fields.Boolean(load_default=False)


class SubmitOptions(Schema):
    timeout = fields.Float(validate=validate.Range(min=0, min_inclusive=False))


class TaskSubmitBody(SubmitOptions):
    params = fields.Dict(keys=fields.String(), load_default=dict)


class SequenceSchema(_Out):
    id = fields.String()
    name = fields.String()
    scenario_id = fields.String()
    task_ids = fields.List(fields.String())
    created_at = fields.DateTime()


class ScenarioSchema(_Out):
    id = fields.String()
    config_id = fields.String()
    cycle = fields.String(allow_none=True)
    task_ids = fields.List(fields.String())
    data_node_ids = fields.List(fields.String())
    sequences = fields.List(fields.Nested(SequenceSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


ScenarioPage = _page_of(ScenarioSchema, "ScenarioPage")
SequencePage = _page_of(SequenceSchema, "SequencePage")


class ScenarioEnvelope(_Out):
    message = fields.String()
    scenario = fields.Nested(ScenarioSchema)


class ScenarioOnly(_Out):
    scenario = fields.Nested(ScenarioSchema)


class SequenceOnly(_Out):
    sequence = fields.Nested(SequenceSchema)


class ScenarioListArgs(PageArgs):
    config_id = fields.String()


class SequenceListArgs(PageArgs):
    scenario_id = fields.String()


class SubmissionEnvelope(_Out):
    message = fields.String()
    submission = fields.Nested(SubmissionSchema)


class DagNode(_Out):
    id = fields.String()
    type = fields.String()
    config_id = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    last_edit_date = fields.DateTime(allow_none=True)


class DagEdge(_Out):
    source = fields.String()
    target = fields.String()


class DagSchema(_Out):
    scenario_id = fields.String()
    nodes = fields.List(fields.Nested(DagNode))
    edges = fields.List(fields.Nested(DagEdge))


class LogArgs(Schema):
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1))


class LogEntrySchema(_Out):
    idx = fields.Integer()
    level = fields.String()
    msg = fields.String()
    status_percent = fields.Float(allow_none=True)
    timestamp = fields.DateTime()


class LogPage(_Out):
    results = fields.List(fields.Nested(LogEntrySchema))
    total = fields.Integer()
    offset = fields.Integer()
    limit = fields.Integer()


class JobCanceled(_Out):
    message = fields.String()
    job = fields.Nested(JobSchema)
