"""What crosses the process boundary: a job to run, and what became of it.

Executors carry these small records, never the data itself (except the values of in_memory
data nodes, which live in the server process and have no other way to reach a worker).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DataRef:
    id: str
    storage_type: str
    path: str | None
    options: dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobSpec:
    job_id: str
    task_config_id: str
    function: str
    inputs: tuple[DataRef, ...]
    outputs: tuple[DataRef, ...]
    params: dict[str, Any]
    # Values of in_memory inputs, by data node id.
    memory_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failure:
    type: str
    message: str
    traceback: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    job_id: str
    failure: Failure | None = None
    # Ids of the output data nodes written (all of them, or none).
    written: tuple[str, ...] = ()
    # Values for in_memory outputs, by data node id.
    memory_outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None
