"""Load a TOML configuration (one file, or a directory of files) into a checked, frozen Registry.

The format is Taipy's, so a file written by Taipy's Config.export / Config.backup loads unchanged:
typed strings ("21:int", "x:SECTION", "GLOBAL:SCOPE", "ENV[PORT]:int", ...) and `default`
sections acting as templates. Loading never stops at the first problem: every issue is collected
and ConfigError carries them all, so a user fixes a file in one round trip.
"""

from __future__ import annotations

import codecs
import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from runner.config import checks, functions
from runner.config.params import check_params
from runner.errors import InvalidInput
from runner.config.checks import (
    INVALID,
    Fields,
    Issues,
    Raw,
    at,
    enum_member,
    is_number,
    kind_name,
    names_of,
    parse_timedelta,
)
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
from runner.config.registry import Registry
from runner.errors import ConfigError

ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
TEMPLATE_ID = "default"
_KINDS = ("DATA_NODE", "TASK", "SCENARIO", "SCHEDULE")
# Taipy writes these; they configure Taipy itself, not the pipelines.
_IGNORED_SECTIONS = frozenset({"TAIPY", "gui", "GUI"})
E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

# --- data nodes --------------------------------------------------------------------------------

_DN_KEYS = frozenset(
    {"storage_type", "scope", "default_path", "default_data", "validity_period", "description"}
)
_DN_OPTIONS: dict[StorageType, frozenset[str]] = {
    StorageType.PICKLE: frozenset(),
    StorageType.JSON: frozenset({"encoding"}),
    StorageType.CSV: frozenset({"encoding", "has_header", "exposed_type"}),
    StorageType.IN_MEMORY: frozenset(),
}
_ALL_OPTIONS = frozenset().union(*_DN_OPTIONS.values())
# exposed_type -> the library it needs; "list" needs none.
_EXPOSED_TYPES = {"list": None, "pandas": "pandas", "numpy": "numpy", "modin": "modin"}


def _storage_type(fields: Fields) -> StorageType | None:
    value = fields.get("storage_type")
    if value is MISSING:
        return StorageType.PICKLE
    if value is INVALID:
        return None
    if isinstance(value, str) and value.lower() in StorageType._value2member_map_:
        return StorageType(value.lower())
    supported = ", ".join(StorageType)
    fields.error("storage_type", f"unsupported storage_type {value!r}; supported: {supported}")
    return None


def _storage_options(fields: Fields, storage: StorageType) -> dict[str, Any]:
    """The options of `storage`, defaults filled in, so readers never guess."""
    for key in sorted(set(fields.keys()) & (_ALL_OPTIONS - _DN_OPTIONS[storage])):
        owners = ", ".join(s for s, keys in _DN_OPTIONS.items() if key in keys)
        fields.error(key, f"option '{key}' does not apply to storage_type '{storage}' (it is for {owners})")
    options: dict[str, Any] = {}
    if "encoding" in _DN_OPTIONS[storage]:
        encoding = fields.string("encoding") or "utf-8"
        try:
            codecs.lookup(encoding)
        except LookupError:
            fields.error("encoding", f"unknown encoding {encoding!r}")
        options["encoding"] = encoding
    if storage is StorageType.CSV:
        options["has_header"] = fields.boolean("has_header", True)
        options["exposed_type"] = _exposed_type(fields)
    return options


def _exposed_type(fields: Fields) -> str:
    exposed = fields.string("exposed_type") or "list"
    if exposed not in _EXPOSED_TYPES:
        known = ", ".join(_EXPOSED_TYPES)
        fields.error("exposed_type", f"unknown exposed_type {exposed!r}; expected one of {known}")
        return "list"
    library = _EXPOSED_TYPES[exposed]
    if library is not None and not checks.library_available(library):
        # Taipy's own exports say "pandas"; refusing them would break compatibility for nothing.
        fields.issues.warn(
            f"exposed_type '{exposed}' needs {library}, which is not installed; rows are exposed as lists",
            fields.location("exposed_type"),
        )
        return "list"
    return exposed


def _validity_period(fields: Fields) -> timedelta | None:
    value = fields.get("validity_period")
    if value is MISSING or value is INVALID:
        return None
    period: timedelta | None = None
    if isinstance(value, timedelta):
        period = value
    elif is_number(value):
        period = timedelta(seconds=value)
    elif isinstance(value, str):
        period = parse_timedelta(value)
        if period is None:
            fields.error("validity_period", f"{value!r} is not a valid timedelta (expected e.g. 1d2h30m15s)")
            return None
    else:
        expected = "a timedelta, a number of seconds or a string like '1d2h'"
        fields.error("validity_period", f"expected {expected}, got {kind_name(value)}")
        return None
    if period < timedelta(0):
        fields.error("validity_period", "validity_period must not be negative")
        return None
    return period


def _enum_field(fields: Fields, key: str, cls: type[E], default: E | None) -> E | None:
    value = fields.get(key)
    if value is MISSING or value is INVALID:
        return default
    member = enum_member(cls, value) if isinstance(value, str) else None
    if member is None:
        fields.error(key, f"invalid {key} {value!r}; expected one of {', '.join(cls.__members__)}")
        return default
    return member


def build_data_node(id_: str, fields: Fields, template: bool = False) -> DataNodeConfig:
    """`template` is accepted for a signature common to all builders; a data node needs no key."""
    storage = _storage_type(fields)
    options_allowed = _DN_OPTIONS[storage] if storage else _ALL_OPTIONS
    fields.reject_unknown(_DN_KEYS | _ALL_OPTIONS, listed=_DN_KEYS | options_allowed)
    options = _storage_options(fields, storage) if storage else {}
    fields.text("description")  # checked; DataNodeConfig has no place for it
    default_data = fields.get("default_data")
    return DataNodeConfig(
        id=id_,
        storage_type=storage or StorageType.PICKLE,
        scope=_enum_field(fields, "scope", Scope, Scope.SCENARIO) or Scope.SCENARIO,
        default_path=fields.string("default_path"),
        default_data=MISSING if default_data is INVALID else default_data,
        validity_period=_validity_period(fields),
        options=options,
        location=fields.section,
    )


# --- tasks -------------------------------------------------------------------------------------

_RETRY_KEYS = frozenset(
    {
        "retries",
        "retry_delay",
        "retry_backoff",
        "retry_max_delay",
        "retry_jitter",
        "retry_on",
        "retry_on_timeout",
    }
)
_TASK_KEYS = _RETRY_KEYS | {
    "function",
    "inputs",
    "outputs",
    "skippable",
    "description",
    "params",
    "timeout",
    "max_concurrency",
}
_PARAM_SPEC_KEYS = frozenset({"type", "default", "description"})
_PY_TYPES: dict[ParamType, Callable[[Any], bool]] = {
    ParamType.STR: lambda v: isinstance(v, str),
    ParamType.INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    ParamType.FLOAT: is_number,
    ParamType.BOOL: lambda v: isinstance(v, bool),
    ParamType.LIST: lambda v: isinstance(v, list),
    ParamType.DICT: lambda v: isinstance(v, dict),
    ParamType.ANY: lambda v: True,
}


def _infer_type(value: Any) -> ParamType:
    # bool first: it is an int to Python, not to a task's params.
    order = (ParamType.BOOL, ParamType.INT, ParamType.FLOAT, ParamType.STR, ParamType.LIST, ParamType.DICT)
    return next((t for t in order if _PY_TYPES[t](value)), ParamType.ANY)


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    return False


def _param(name: str, spec: Any, fields: Fields) -> ParamConfig | None:
    """A plain value is the default (type inferred); a table {type, default, description} is a spec.

    A dict default whose keys happen to be only type/default/description must be written as a
    spec, {type = "dict", default = {...}}: that is the one ambiguity and it resolves to "spec".
    """
    key = f"params.{name}"
    if not ID_PATTERN.match(name):
        fields.error(key, f"invalid param name {name!r}; param names must match {ID_PATTERN.pattern}")
        return None
    if spec is INVALID:
        return ParamConfig(name=name)
    if not (isinstance(spec, dict) and spec and set(spec) <= _PARAM_SPEC_KEYS):
        if _has_non_finite(spec):
            fields.error(key, f"default {spec!r} is not a finite number; params travel as JSON, which has no NaN or inf")
            return ParamConfig(name=name)
        return ParamConfig(name=name, type=_infer_type(spec), default=spec)
    default = spec.get("default", MISSING)
    param_type = _infer_type(default) if default is not MISSING else ParamType.ANY
    if "type" in spec and spec["type"] is not INVALID:
        declared = spec["type"]
        if isinstance(declared, str) and declared.lower() in ParamType._value2member_map_:
            param_type = ParamType(declared.lower())
        else:
            known = ", ".join(ParamType)
            fields.error(f"{key}.type", f"unknown param type {declared!r}; expected one of {known}")
            param_type = ParamType.ANY
    if default is INVALID:
        default = MISSING
    elif default is not MISSING and _has_non_finite(default):
        fields.error(
            f"{key}.default", f"default {default!r} is not a finite number; params travel as JSON, which has no NaN or inf"
        )
        default = MISSING
    elif default is not MISSING and not _PY_TYPES[param_type](default):
        fields.error(f"{key}.default", f"default {default!r} does not match type {param_type}")
    elif param_type is ParamType.FLOAT and default is not MISSING:
        default = float(default)
    description = spec.get("description", "")
    if not isinstance(description, str):
        if description is not INVALID:
            fields.error(f"{key}.description", f"expected a string, got {kind_name(description)}")
        description = ""
    return ParamConfig(name=name, type=param_type, default=default, description=str(description))


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def _retry(fields: Fields) -> RetryPolicy:
    d = RetryPolicy()
    retry_on = fields.names("retry_on")
    for name in retry_on:
        if not _DOTTED.match(name):
            fields.error("retry_on", f"{name!r} is not an exception class name")
    return RetryPolicy(
        retries=_or(fields.integer("retries", minimum=0), d.retries),
        retry_delay=_or(fields.number("retry_delay", lambda x: x >= 0, "at least 0"), d.retry_delay),
        backoff=_or(fields.number("retry_backoff", lambda x: x >= 1, "at least 1"), d.backoff),
        max_delay=_or(fields.number("retry_max_delay", lambda x: x > 0, "positive"), d.max_delay),
        jitter=_or(fields.number("retry_jitter", lambda x: 0 <= x <= 1, "between 0 and 1"), d.jitter),
        retry_on=retry_on,
        retry_on_timeout=fields.boolean("retry_on_timeout", d.retry_on_timeout),
    )


def build_task(id_: str, fields: Fields, template: bool = False) -> TaskConfig:
    """A task config whose `function` is still as written; the loader resolves it afterwards."""
    fields.reject_unknown(_TASK_KEYS)
    if "function" not in fields and not template:
        fields.error("function", "missing required key 'function'")
    params = [_param(name, spec, fields) for name, spec in fields.table("params").items()]
    return TaskConfig(
        id=id_,
        function=fields.string("function") or "",
        inputs=fields.names("inputs"),
        outputs=fields.names("outputs"),
        skippable=fields.boolean("skippable", False),
        description=fields.text("description"),
        params=tuple(p for p in params if p is not None),
        timeout=fields.number("timeout", lambda x: x > 0, "positive"),
        retry=_retry(fields),
        max_concurrency=fields.integer("max_concurrency", minimum=1),
        location=fields.section,
    )


# --- scenarios ---------------------------------------------------------------------------------

_SCENARIO_KEYS = frozenset(
    {"tasks", "additional_data_nodes", "frequency", "sequences", "description", "comparators"}
)


def build_scenario(id_: str, fields: Fields, template: bool = False) -> ScenarioConfig:
    """`template` is accepted for a signature common to all builders; a scenario needs no key."""
    fields.reject_unknown(_SCENARIO_KEYS)
    sequences = {}
    for name, tasks in fields.table("sequences").items():
        if tasks is not INVALID:
            sequences[name] = names_of(tasks, fields.location(f"sequences.{name}"), fields.issues)
    return ScenarioConfig(
        id=id_,
        tasks=fields.names("tasks"),
        additional_data_nodes=fields.names("additional_data_nodes"),
        sequences=sequences,
        frequency=_enum_field(fields, "frequency", Frequency, None),
        description=fields.text("description"),
        location=fields.section,
    )


# --- CORE and JOB ------------------------------------------------------------------------------

# Written by Taipy; they configure Taipy's own storage and versioning.
_CORE_IGNORED = frozenset(
    {
        "root_folder",
        "storage_folder",
        "taipy_storage_folder",
        "repository_type",
        "repository_properties",
        "read_entity_retry",
        "mode",
        "version_number",
        "force",
        "core_version",
    }
)


def read_allowed_modules(fields: Fields) -> tuple[str, ...] | None:
    fields.reject_unknown(_CORE_IGNORED | {"allowed_modules"})
    if "allowed_modules" not in fields:
        return None
    modules = fields.names("allowed_modules")
    for module in modules:
        if not _DOTTED.match(module):
            fields.error("allowed_modules", f"{module!r} is not a module name")
    return modules


def read_max_workers(fields: Fields) -> list[tuple[int, Location]]:
    """Every worker count the section gives: Taipy's max_nb_of_workers and runner's max_workers."""
    fields.reject_unknown({"mode", "max_nb_of_workers", "max_workers"})
    found = []
    for key in ("max_nb_of_workers", "max_workers"):
        value = fields.integer(key, minimum=1)
        if value is not None:
            found.append((value, fields.location(key)))
    return found


# --- files and sections ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    kind: str
    id: str  # "" for CORE and JOB
    file: str
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.id}" if self.id else self.kind

    def location(self, key: str | None = None) -> Location:
        return Location(file=self.file, section=self.name, key=key)

    def raw(self) -> dict[str, Raw]:
        return {k: Raw(v, self.location(k)) for k, v in self.body.items()}


def _find_files(path: Path, issues: Issues) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.toml") if p.is_file())
        if not files:
            issues.error("no *.toml file in this directory", Location(file=str(path), section=""))
        return files
    if not path.is_file():
        issues.error("no such file or directory", Location(file=str(path), section=""))
        return []
    return [path]


def _parse(file: Path, issues: Issues) -> dict[str, Any]:
    try:
        with file.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        issues.error(f"invalid TOML: {exc}", Location(file=str(file), section=""))
    except UnicodeDecodeError as exc:
        issues.error(f"invalid TOML: not UTF-8 ({exc})", Location(file=str(file), section=""))
    except OSError as exc:
        issues.error(f"cannot read the file: {exc.strerror or exc}", Location(file=str(file), section=""))
    return {}


def _sections(file: str, document: dict[str, Any], issues: Issues) -> list[_Section]:
    """The config sections of one parsed file, in the file's order; bad shapes become issues."""
    sections = []
    for name, content in document.items():
        where = Location(file=file, section=name)
        if name in _IGNORED_SECTIONS:
            continue
        if name in ("CORE", "JOB"):
            if isinstance(content, dict):
                sections.append(_Section(name, "", file, content))
            else:
                issues.error(f"[{name}] must be a table, got {kind_name(content)}", where)
        elif name in _KINDS:
            if not isinstance(content, dict):
                message = f"{name} must be a table of [{name}.<id>] sections, got {kind_name(content)}"
                issues.error(message, where)
                continue
            for id_, body in content.items():
                where = Location(file=file, section=f"{name}.{id_}")
                if not ID_PATTERN.match(id_):
                    issues.error(f"invalid id {id_!r}; ids must match {ID_PATTERN.pattern}", where)
                elif not isinstance(body, dict):
                    issues.error(f"[{name}.{id_}] must be a table, got {kind_name(body)}", where)
                else:
                    sections.append(_Section(name, id_, file, body))
        else:
            expected = ", ".join((*_KINDS, "CORE", "JOB"))
            message = f"unknown section '{name}'; expected one of {expected} (TAIPY and gui are ignored)"
            issues.error(message, where)
    return sections


def _by_id(sections: list[_Section], issues: Issues) -> dict[str, dict[str, _Section]]:
    """kind -> id -> section; a second definition of an id is an issue and is dropped."""
    found: dict[str, dict[str, _Section]] = {kind: {} for kind in _KINDS}
    for section in sections:
        if section.kind not in found:
            continue
        first = found[section.kind].setdefault(section.id, section)
        if first is not section:
            issues.error(
                f"{section.kind} '{section.id}' is defined twice: in {first.file} and in {section.file}",
                section.location(),
            )
    return found


# --- the load ----------------------------------------------------------------------------------


def _build_kind(kind: str, sections: dict[str, _Section], issues: Issues) -> dict[str, Any]:
    """Build every section of one kind, each over its kind's `default` template if there is one."""
    builders: dict[str, Callable[..., Any]] = {
        "DATA_NODE": build_data_node,
        "TASK": build_task,
        "SCENARIO": build_scenario,
    }
    build = builders[kind]
    template = sections.get(TEMPLATE_ID)
    inherited = template.raw() if template else {}
    if template is not None:
        # Checked on its own so its problems show even when nothing inherits from it.
        build(TEMPLATE_ID, Fields(template.location(), inherited, issues), template=True)
    return {
        id_: build(id_, Fields(section.location(), inherited | section.raw(), issues))
        for id_, section in sections.items()
        if id_ != TEMPLATE_ID
    }


def _core_and_job(sections: list[_Section], issues: Issues) -> tuple[CoreConfig, JobConfig]:
    """[CORE] and [JOB] may appear in several files: modules add up, worker counts must agree."""
    allowed: list[str] | None = None
    workers: list[tuple[int, Location]] = []
    for section in sections:
        fields = Fields(section.location(), section.raw(), issues)
        if section.kind == "CORE":
            modules = read_allowed_modules(fields)
            if modules is not None:
                allowed = list(dict.fromkeys([*(allowed or []), *modules]))
        elif section.kind == "JOB":
            workers += read_max_workers(fields)
    for value, where in workers[1:]:
        if value != workers[0][0]:
            first, first_where = workers[0]
            issues.error(
                f"{where.key} = {value} contradicts {first_where.key} = {first} in {first_where.file}", where
            )
    core = CoreConfig(allowed_modules=None if allowed is None else tuple(allowed))
    return core, JobConfig(max_workers=workers[0][0] if workers else None)


def _resolve_functions(tasks: dict[str, TaskConfig], core: CoreConfig, issues: Issues) -> None:
    """Normalise every task's function reference in place, and check how it will be called.

    Many tasks share one function: each (directory, reference) is resolved once, and each
    (function, call shape) checked once.
    """
    policies: dict[str, functions.ModulePolicy] = {}
    resolved: dict[tuple[str, str], tuple[Any, Any] | functions.FunctionRefError] = {}
    calls: dict[tuple[str, int, tuple[str, ...]], list[tuple[str, str]]] = {}
    for id_, task in tasks.items():
        if not task.function or task.location is None:
            continue  # missing or undecodable: already reported
        directory = os.path.dirname(task.location.file)
        if directory not in policies:
            policies[directory] = functions.ModulePolicy.for_directory(directory, core.allowed_modules)
        key = (directory, task.function)
        if key not in resolved:
            try:
                resolved[key] = functions.resolve_reference(task.function, policies[directory])
            except functions.FunctionRefError as exc:
                resolved[key] = exc
        outcome = resolved[key]
        if isinstance(outcome, functions.FunctionRefError):
            issues.error(str(outcome), at(task.location, "function"))
            continue
        ref, fn = outcome
        tasks[id_] = replace(task, function=str(ref))
        names = tuple(p.name for p in task.params)
        shape = (str(ref), len(task.inputs), names)
        if shape not in calls:
            calls[shape] = list(functions.check_call(fn, str(ref), len(task.inputs), list(names)))
        for problem_key, message in calls[shape]:
            issues.error(message, at(task.location, problem_key))


def _build_schedules(
    sections: dict[str, _Section],
    tasks: dict[str, TaskConfig],
    scenarios: dict[str, Any],
    issues: Issues,
) -> dict[str, dict[str, Any]]:
    """[SCHEDULE.<id>] sections, checked by the same rules as schedules made over the API."""
    if not sections:
        return {}
    # Imported here: croniter is only needed by configs that schedule something.
    from runner.domain.schedule import parse_spec

    out: dict[str, dict[str, Any]] = {}
    for id_, section in sections.items():
        errors: list[tuple[str, str]] = []
        data = {k: checks.decode(v, k, errors) for k, v in section.body.items()}
        for key, message in errors:
            issues.error(message, section.location(key.split(".")[0]))
        if errors:
            continue
        try:
            spec, _ = parse_spec(data)
        except InvalidInput as exc:
            for key, messages in exc.extra.get("errors", {}).items():
                for message in messages:
                    issues.error(message, section.location(key))
            continue
        kind, value = spec.target
        if kind == "task" and value not in tasks:
            issues.error(f"unknown task config {value!r}", section.location("task"))
        elif kind == "task" and value in tasks:
            try:
                check_params(tasks[value], spec.params)
            except InvalidInput as exc:
                for name, messages in exc.extra["errors"]["params"].items():
                    issues.error(f"{name}: {'; '.join(messages)}", section.location("params"))
        elif kind == "scenario" and value not in scenarios:
            issues.error(f"unknown scenario config {value!r}", section.location("scenario"))
        if kind in ("scenario", "scenario_id") and spec.params:
            issues.error("params apply to task schedules only", section.location("params"))
        out[id_] = data
    return out


def load_registry(path: str | os.PathLike[str]) -> Registry:
    """Load and check a TOML file or a directory of *.toml files (sorted, not recursive).

    Raises ConfigError with every error found; warnings go to Registry.warnings. The directories of
    the files are put on sys.path, since task functions are imported from there.
    """
    issues = Issues()
    files = _find_files(Path(os.path.abspath(path)), issues)
    sections: list[_Section] = []
    for file in files:
        sections += _sections(str(file), _parse(file, issues), issues)
    by_id = _by_id(sections, issues)
    core, job = _core_and_job([s for s in sections if s.kind in ("CORE", "JOB")], issues)
    data_nodes = _build_kind("DATA_NODE", by_id["DATA_NODE"], issues)
    tasks = _build_kind("TASK", by_id["TASK"], issues)
    scenarios = _build_kind("SCENARIO", by_id["SCENARIO"], issues)
    module_paths = tuple(dict.fromkeys(str(f.parent) for f in files))
    functions.ensure_module_paths(module_paths)
    _resolve_functions(tasks, core, issues)
    checks.check_references(data_nodes, tasks, scenarios, issues)
    checks.check_shared_outputs(tasks, scenarios, issues)
    checks.check_cycles(tasks, scenarios, issues)
    schedules = _build_schedules(by_id["SCHEDULE"], tasks, scenarios, issues)
    if issues.errors:
        raise ConfigError(issues.errors)
    return Registry(
        data_nodes=data_nodes,
        tasks=tasks,
        scenarios=scenarios,
        schedules=schedules,
        core=core,
        job=job,
        files=tuple(str(f) for f in files),
        module_paths=module_paths,
        warnings=tuple(issues.warnings),
    )
