"""Configuration: load TOML files (Taipy-compatible) into a checked, frozen Registry.

registry = load_registry("configs/")   # raises ConfigError listing every problem found
"""

from __future__ import annotations

from runner.config.loader import load_registry
from runner.config.models import (
    MISSING,
    CoreConfig,
    DataNodeConfig,
    Frequency,
    JobConfig,
    Location,
    ParamConfig,
    ParamType,
    RetryPolicy,
    ScenarioConfig,
    Scope,
    StorageType,
    TaskConfig,
)
from runner.config.registry import ConfigIssue, Registry, Severity

__all__ = [
    "MISSING",
    "ConfigIssue",
    "CoreConfig",
    "DataNodeConfig",
    "Frequency",
    "JobConfig",
    "Location",
    "ParamConfig",
    "ParamType",
    "Registry",
    "RetryPolicy",
    "ScenarioConfig",
    "Scope",
    "Severity",
    "StorageType",
    "TaskConfig",
    "load_registry",
]
