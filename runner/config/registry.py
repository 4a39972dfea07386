"""The registry: every config object of a loaded configuration, looked up by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from runner.config.models import CoreConfig, DataNodeConfig, JobConfig, Location, ScenarioConfig, TaskConfig


class Severity(StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"


@dataclass(frozen=True, kw_only=True, slots=True)
class ConfigIssue:
    """One problem found in a configuration, with where it is."""

    message: str
    location: Location | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Registry:
    data_nodes: dict[str, DataNodeConfig] = field(default_factory=dict)
    tasks: dict[str, TaskConfig] = field(default_factory=dict)
    scenarios: dict[str, ScenarioConfig] = field(default_factory=dict)
    # [SCHEDULE.<id>] definitions, checked, as the API takes them (runner.domain.schedule).
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    core: CoreConfig = field(default_factory=CoreConfig)
    job: JobConfig = field(default_factory=JobConfig)
    # The TOML files loaded, in order.
    files: tuple[str, ...] = ()
    # Directories that hold the user's modules; put on sys.path wherever functions run.
    module_paths: tuple[str, ...] = ()
    # Non-fatal issues (an ERROR makes loading fail instead).
    warnings: tuple[ConfigIssue, ...] = ()
