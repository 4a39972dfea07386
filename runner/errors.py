"""The exceptions that runner raises on purpose.

    RunnerError
    ├── ConfigError            the TOML configuration is invalid (carries every issue found)
    ├── NotFound               an entity or config id does not exist
    ├── Conflict               the request contradicts the current state (id taken, job unfinished)
    │   ├── RaceLost           a concurrent request created the same shared entity first
    │   └── InvalidTransition  a state machine refused a move (terminal job, ...)
    ├── InvalidInput           a value is wrong for reasons the schema cannot see
    ├── PreconditionFailed     a stale version was given for an update
    └── StorageError           a data node could not be read or written

HTTP status codes are assigned in runner/api/errors.py only; the layers below know nothing
about HTTP.
"""

from __future__ import annotations

from typing import Any


class RunnerError(Exception):
    """Base of every error runner raises on purpose."""

    title = "Runner error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ConfigError(RunnerError):
    title = "Invalid configuration"

    def __init__(self, issues: list[Any]) -> None:
        self.issues = list(issues)
        lines = [str(i) for i in self.issues]
        super().__init__(f"{len(lines)} problem(s) in the configuration:\n" + "\n".join(lines))


class NotFound(RunnerError):
    title = "Not found"


class Conflict(RunnerError):
    title = "Conflict"


class RaceLost(Conflict):
    """Another request created the same shared entity at the same moment; retrying works."""

    title = "Conflict"


class InvalidTransition(Conflict):
    title = "Invalid state transition"


class InvalidInput(RunnerError):
    title = "Invalid input"


class PreconditionFailed(RunnerError):
    title = "Precondition failed"


class StorageError(RunnerError):
    title = "Storage error"
