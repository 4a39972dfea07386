"""Frozen config objects: what a TOML file says, after loading and checking.

These objects are the registry's vocabulary. They are immutable so that one registry can be
shared by the API threads, the orchestrator and the scheduler without locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any


class StorageType(StrEnum):
    PICKLE = "pickle"
    JSON = "json"
    CSV = "csv"
    IN_MEMORY = "in_memory"


class Scope(StrEnum):
    """Who shares one instance of a data node config (Taipy's Scope)."""

    SCENARIO = "SCENARIO"
    """One instance per scenario (or per standalone task)."""
    CYCLE = "CYCLE"
    """One instance per cycle of the scenario's frequency."""
    GLOBAL = "GLOBAL"
    """One instance for the whole application."""


class Frequency(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"


class ParamType(StrEnum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    LIST = "list"
    DICT = "dict"
    ANY = "any"


class _Missing:
    """Marks a value that the config does not give (distinct from an explicit None)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """Where a config item comes from, for error messages."""

    file: str
    section: str
    key: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: [{self.section}]"
        return f"{where} {self.key}" if self.key else where


@dataclass(frozen=True, kw_only=True, slots=True)
class DataNodeConfig:
    id: str
    storage_type: StorageType = StorageType.PICKLE
    scope: Scope = Scope.SCENARIO
    default_path: str | None = None
    default_data: Any = MISSING
    validity_period: timedelta | None = None
    # Storage-specific options (encoding, has_header, exposed_type, ...), already checked.
    options: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None

    @property
    def has_default_data(self) -> bool:
        return self.default_data is not MISSING


@dataclass(frozen=True, kw_only=True, slots=True)
class ParamConfig:
    name: str
    type: ParamType = ParamType.ANY
    default: Any = MISSING
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is MISSING


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    retries: int = 0
    retry_delay: float = 1.0
    backoff: float = 2.0
    max_delay: float = 300.0
    jitter: float = 0.1
    retry_on: tuple[str, ...] = ()
    retry_on_timeout: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskConfig:
    id: str
    # Normalised to "package.module:qualname", whatever form the file used.
    function: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    skippable: bool = False
    # Locale -> text. A plain string in the file becomes {"en": text}.
    description: dict[str, str] = field(default_factory=dict)
    params: tuple[ParamConfig, ...] = ()
    timeout: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_concurrency: int | None = None
    location: Location | None = None

    def param(self, name: str) -> ParamConfig | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class ScenarioConfig:
    id: str
    tasks: tuple[str, ...] = ()
    additional_data_nodes: tuple[str, ...] = ()
    sequences: dict[str, tuple[str, ...]] = field(default_factory=dict)
    frequency: Frequency | None = None
    description: dict[str, str] = field(default_factory=dict)
    location: Location | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CoreConfig:
    # None means: the modules that live next to the config files.
    allowed_modules: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class JobConfig:
    max_workers: int | None = None
