"""Marshmallow schemas: the exact JSON shapes of the API."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

from runner.api.views import submission_links
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


class SubmissionSchema(_Out):
    id = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    status = fields.Enum(SubmissionStatus)
    jobs = fields.List(fields.Nested(JobSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    schedule_id = fields.String(allow_none=True)
    scheduled_for = fields.DateTime(allow_none=True)
    links = fields.Method("_links", data_key="_links")

    def _links(self, submission: Any) -> dict[str, dict[str, str]]:
        return submission_links(submission)


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


class ScheduleIn(Schema):
    """A schedule definition; checked by runner.domain.schedule.parse_spec."""

    class Meta:
        unknown = INCLUDE

    task = fields.String(metadata={"description": "task config id: a new task per run"})
    scenario = fields.String(metadata={"description": "scenario config id: a new scenario per run"})
    task_id = fields.String(metadata={"description": "an existing task, run each time"})
    scenario_id = fields.String(metadata={"description": "an existing scenario, run each time"})
    params = fields.Dict(metadata={"description": "task params for each run"})
    period = fields.Raw(metadata={"description": "periodic: seconds between runs"})
    offset = fields.Raw(metadata={"description": "with period: delay of the first run; alone: a one-shot delay"})
    run_at = fields.Raw(metadata={"description": "timed: ISO-8601 time of a one-shot run"})
    cron = fields.Raw(metadata={"description": "5-field cron, or 6/7-field Quartz with seconds first"})
    minutes = fields.Raw(metadata={"description": "calendar: list of minutes (default [0])"})
    hours = fields.Raw(metadata={"description": "calendar: list of hours"})
    days_of_month = fields.Raw(metadata={"description": "calendar: list of days of the month"})
    months = fields.Raw(metadata={"description": "calendar: list of months"})
    weekdays = fields.Raw(metadata={"description": 'calendar: list of "sunday" .. "saturday"'})
    timezone = fields.Raw(metadata={"description": "IANA time zone of cron and calendar times (default UTC)"})
    start_at = fields.Raw()
    end_at = fields.Raw()
    max_occurrences = fields.Raw(metadata={"description": "-1 or absent: unlimited"})
    state = fields.Raw(metadata={"description": "active (default) or paused"})
    catchup = fields.Raw(metadata={"description": "after downtime: one (default), all, none"})
    catchup_max = fields.Raw()
    misfire_grace = fields.Raw(metadata={"description": "seconds late a run still counts as on time (default 60)"})
    overlap = fields.Raw(metadata={"description": "when the previous run still goes: skip (default), allow, queue"})
    description = fields.Raw()


class SchedulePatch(ScheduleIn):
    version = fields.Integer(metadata={"description": "the version you read (or send If-Match)"})


class ScheduleSchema(_Out):
    id = fields.String()
    source = fields.String()
    type = fields.String()
    state = fields.String()
    status_msg = fields.String()
    task = fields.String(allow_none=True)
    scenario = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    scenario_id = fields.String(allow_none=True)
    params = fields.Dict()
    period = fields.Float(allow_none=True)
    offset = fields.Float(allow_none=True)
    run_at = fields.DateTime(allow_none=True)
    cron = fields.String(allow_none=True)
    minutes = fields.List(fields.Integer(), allow_none=True)
    hours = fields.List(fields.Integer(), allow_none=True)
    days_of_month = fields.List(fields.Integer(), allow_none=True)
    months = fields.List(fields.Integer(), allow_none=True)
    weekdays = fields.List(fields.String(), allow_none=True)
    timezone = fields.String()
    start_at = fields.DateTime(allow_none=True)
    end_at = fields.DateTime(allow_none=True)
    max_occurrences = fields.Integer()
    catchup = fields.String()
    catchup_max = fields.Integer()
    misfire_grace = fields.Float()
    overlap = fields.String()
    description = fields.String()
    next_run_at = fields.DateTime(allow_none=True)
    last_run_at = fields.DateTime(allow_none=True)
    occurrences = fields.Integer()
    run_interval_seconds = fields.Float(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    links = fields.Dict(data_key="_links")


SchedulePage = _page_of(ScheduleSchema, "SchedulePage")


class ScheduleOnly(_Out):
    schedule = fields.Nested(ScheduleSchema)


class ScheduleListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(["active", "paused", "inactive"]))
