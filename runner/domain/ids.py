"""Entity ids: unique strings with a readable prefix, as Taipy writes them."""

from __future__ import annotations

import uuid
from enum import StrEnum


class Prefix(StrEnum):
    TASK = "TASK"
    DATANODE = "DATANODE"
    JOB = "JOB"
    SUBMISSION = "SUBMISSION"
    SCENARIO = "SCENARIO"
    SEQUENCE = "SEQUENCE"
    TOKEN = "TOKEN"
    SCHEDULE = "SCHEDULE"


def new_id(prefix: Prefix, config_id: str | None = None) -> str:
    """`TASK_<config_id>_<uuid>`, or `<PREFIX>_<uuid>` for entities without a config."""
    if config_id:
        return f"{prefix}_{config_id}_{uuid.uuid4()}"
    return f"{prefix}_{uuid.uuid4()}"
