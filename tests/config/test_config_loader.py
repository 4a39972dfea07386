"""Loading files and directories, sections, templates, and the keys of each kind."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from config_helpers import FIXTURES, Project, one

from runner.config import (
    MISSING,
    Frequency,
    Location,
    ParamConfig,
    ParamType,
    RetryPolicy,
    Scope,
    Severity,
    StorageType,
    checks,
    load_registry,
)
from runner.config.functions import resolve_function
from runner.errors import ConfigError

MINIMAL = """
[DATA_NODE.x]
default_data = 3

[DATA_NODE.y]
storage_type = "json"

[TASK.double]
function = "$mod:double"
inputs = ["x"]
outputs = ["y"]

[SCENARIO.s]
tasks = ["double"]
"""


def test_minimal_config_loads_with_defaults(project: Project) -> None:
    registry = project.load(MINIMAL)

    x, y = registry.data_nodes["x"], registry.data_nodes["y"]
    assert (x.storage_type, x.scope, x.default_data, x.options) == (StorageType.PICKLE, Scope.SCENARIO, 3, {})
    assert y.storage_type is StorageType.JSON and y.options == {"encoding": "utf-8"}
    assert y.default_data is MISSING and not y.has_default_data
    assert y.location == Location(file=project.file(), section="DATA_NODE.y")
    task = registry.tasks["double"]
    assert task.function == f"{project.mod}:double"
    assert (task.inputs, task.outputs, task.skippable, task.params) == (("x",), ("y",), False, ())
    assert task.retry == RetryPolicy() and task.timeout is None and task.max_concurrency is None
    assert registry.scenarios["s"].tasks == ("double",)
    assert registry.files == (project.file(),)
    assert registry.module_paths == (str(project.root),)
    assert registry.core.allowed_modules is None and registry.job.max_workers is None
    assert registry.warnings == ()


# --- Taipy's own files -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["exported.toml", "backup.toml"])
def test_taipy_files_load_unchanged(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "library_available", lambda library: False)
    registry = load_registry(FIXTURES / "taipy_export" / name)

    x, y, z, w = (registry.data_nodes[i] for i in "xyzw")
    assert (x.scope, x.default_data, x.storage_type) == (Scope.GLOBAL, 21, StorageType.PICKLE)
    assert (y.storage_type, y.validity_period, y.options) == (
        StorageType.JSON,
        timedelta(days=1),
        {"encoding": "utf-8"},
    )
    assert (z.storage_type, z.default_path) == (StorageType.CSV, "z.csv")
    assert z.options == {"encoding": "utf-8", "has_header": True, "exposed_type": "list"}
    assert (w.storage_type, w.scope) == (StorageType.PICKLE, Scope.SCENARIO)
    double, add = registry.tasks["double"], registry.tasks["add"]
    assert (double.function, double.inputs, double.outputs, double.skippable) == (
        "algos:double",
        ("x",),
        ("y",),
        True,
    )
    assert (add.function, add.inputs, add.outputs, add.skippable) == ("algos:add", ("x", "y"), ("w",), False)
    assert set(registry.tasks) == {"double", "add"}  # TASK.default is a template, not a task
    scenario = registry.scenarios["sc"]
    assert (scenario.tasks, scenario.frequency) == (("double", "add"), Frequency.DAILY)
    assert scenario.sequences == {"seq1": ("double",)} and scenario.additional_data_nodes == ()
    assert registry.job.max_workers == 2
    assert resolve_function(double.function)(21) == 42
    if name == "backup.toml":
        warning = one(list(registry.warnings), "exposed_type 'pandas'")
        assert warning.severity is Severity.WARNING and "exposed as lists" in warning.message
        assert warning.location == Location(
            file=str(FIXTURES / "taipy_export" / name), section="DATA_NODE.z", key="exposed_type"
        )
    else:
        assert registry.warnings == ()


def test_exposed_type_kept_when_its_library_is_installed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "library_available", lambda library: library == "pandas")
    registry = project.load(
        '[DATA_NODE.z]\nstorage_type = "csv"\nexposed_type = "pandas"\nhas_header = false\n'
    )
    assert registry.data_nodes["z"].options == {
        "encoding": "utf-8",
        "has_header": False,
        "exposed_type": "pandas",
    }
    assert registry.warnings == ()


# --- files and directories -------------------------------------------------------------------


def test_directory_loads_toml_files_sorted_and_not_recursively(project: Project) -> None:
    project.module()
    project.write("b.toml", '[TASK.double]\nfunction = "$mod:double"\ninputs = ["x"]\noutputs = ["y"]\n')
    project.write("a.toml", "[DATA_NODE.x]\n[DATA_NODE.y]\n")
    project.write("notes.txt", "[BROKEN")
    project.write("sub/c.toml", "this is not toml")

    registry = project.load()

    assert registry.files == (project.file("a.toml"), project.file("b.toml"))
    assert registry.module_paths == (str(project.root),)
    assert set(registry.data_nodes) == {"x", "y"} and set(registry.tasks) == {"double"}


def test_relative_path_is_made_absolute(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.config(MINIMAL)
    monkeypatch.chdir(project.root)
    registry = load_registry("config.toml")
    assert registry.files == (project.file(),) and registry.module_paths == (str(project.root),)


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_registry(tmp_path / "nope.toml")
    assert one(caught.value.issues, "no such file").location == Location(
        file=str(tmp_path / "nope.toml"), section=""
    )

    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_registry(tmp_path / "empty")
    assert one(caught.value.issues, "no *.toml file").location.file == str(tmp_path / "empty")


def test_toml_syntax_error_names_file_line_and_column(project: Project) -> None:
    project.write("a.toml", "[DATA_NODE.x]\nstorage_type = \n")
    project.write("b.toml", "[DATA_NODE.y]\nstorage_type = 'excel'\n")
    issues = project.issues()
    syntax = one(issues, "invalid TOML")
    assert syntax.location == Location(file=project.file("a.toml"), section="")
    assert "line 2" in syntax.message and "column" in syntax.message
    # The other file is still checked.
    assert one(issues, "unsupported storage_type").location.file == project.file("b.toml")


# --- sections --------------------------------------------------------------------------------


def test_taipy_sections_are_ignored_and_others_are_errors(project: Project) -> None:
    issues = project.issues(
        """
        [TAIPY]
        whatever = 1
        [gui]
        port = 5000
        [GUI]
        [PIPELINE.p]
        tasks = []
        [DATA_NODE.x]
        """
    )
    issue = one(issues, "unknown section 'PIPELINE'")
    assert issue.location == Location(file=project.file(), section="PIPELINE")
    assert len(issues) == 1


@pytest.mark.parametrize("bad_id", ["1x", "a-b", "a b", "é"])
def test_invalid_ids(project: Project, bad_id: str) -> None:
    issue = one(project.issues(f"[DATA_NODE.'{bad_id}']\n"), f"invalid id '{bad_id}'")
    assert issue.location == Location(file=project.file(), section=f"DATA_NODE.{bad_id}")
    assert "^[A-Za-z_][A-Za-z0-9_]*$" in issue.message


def test_sections_of_the_wrong_shape(project: Project) -> None:
    issues = project.issues("CORE = 3\nSCENARIO = []\n[DATA_NODE]\nx = 1\n")
    assert one(issues, "[CORE] must be a table").location.section == "CORE"
    assert one(issues, "SCENARIO must be a table").location.section == "SCENARIO"
    assert one(issues, "[DATA_NODE.x] must be a table").location.section == "DATA_NODE.x"


# --- default templates -----------------------------------------------------------------------


def test_default_sections_are_templates(project: Project) -> None:
    registry = project.load(
        """
        [DATA_NODE.default]
        storage_type = "json"
        scope = "GLOBAL:SCOPE"

        [DATA_NODE.a]

        [DATA_NODE.b]
        storage_type = "pickle"

        [TASK.default]
        skippable = true
        retries = 3
        inputs = ["a"]

        [TASK.t1]
        function = "$mod:double"
        outputs = ["b"]

        [TASK.t2]
        function = "$mod:produce"
        inputs = []
        retries = 0

        [SCENARIO.default]
        frequency = "WEEKLY:FREQUENCY"

        [SCENARIO.s]
        tasks = ["t1"]
        """
    )
    assert set(registry.data_nodes) == {"a", "b"}
    assert (registry.data_nodes["a"].storage_type, registry.data_nodes["a"].scope) == (
        StorageType.JSON,
        Scope.GLOBAL,
    )
    assert (registry.data_nodes["b"].storage_type, registry.data_nodes["b"].scope) == (
        StorageType.PICKLE,
        Scope.GLOBAL,
    )
    t1, t2 = registry.tasks["t1"], registry.tasks["t2"]
    assert set(registry.tasks) == {"t1", "t2"}
    assert (t1.skippable, t1.retry.retries, t1.inputs) == (True, 3, ("a",))
    assert (t2.skippable, t2.retry.retries, t2.inputs) == (True, 0, ())
    assert registry.scenarios["s"].frequency is Frequency.WEEKLY and set(registry.scenarios) == {"s"}


def test_template_problem_is_reported_once_at_the_template(project: Project) -> None:
    issues = project.issues(
        """
        [TASK.default]
        retries = -1
        colour = "red"
        [TASK.a]
        function = "$mod:produce"
        [TASK.b]
        function = "$mod:produce"
        """
    )
    retries = one(issues, "retries must be at least 0")
    assert retries.location == Location(file=project.file(), section="TASK.default", key="retries")
    assert one(issues, "unknown key 'colour'").location.section == "TASK.default"
    assert len(issues) == 2


def test_template_alone_is_checked_and_needs_no_function(project: Project) -> None:
    issue = one(project.issues('[TASK.default]\ntimeout = "soon"\n'), "expected a number, got str")
    assert issue.location == Location(file=project.file(), section="TASK.default", key="timeout")
    assert project.load("[TASK.default]\ninputs = []\n").tasks == {}


def test_template_applies_across_files_of_a_directory(project: Project) -> None:
    project.write("a.toml", '[DATA_NODE.default]\nstorage_type = "in_memory"\n')
    project.write("b.toml", "[DATA_NODE.m]\n")
    assert project.load().data_nodes["m"].storage_type is StorageType.IN_MEMORY


# --- DATA_NODE keys --------------------------------------------------------------------------


@pytest.mark.parametrize("storage", ["excel", "sql", "parquet", "mongo_collection"])
def test_unsupported_storage_types(project: Project, storage: str) -> None:
    issue = one(project.issues(f'[DATA_NODE.d]\nstorage_type = "{storage}"\n'), "unsupported storage_type")
    assert f"'{storage}'" in issue.message and "pickle, json, csv, in_memory" in issue.message
    assert issue.location == Location(file=project.file(), section="DATA_NODE.d", key="storage_type")


def test_data_node_unknown_key_lists_allowed_keys(project: Project) -> None:
    issue = one(project.issues('[DATA_NODE.d]\nstorage_type = "json"\npath = "x"\n'), "unknown key 'path'")
    assert issue.location.key == "path"
    assert "allowed keys: default_data, default_path, description, encoding, scope" in issue.message


def test_option_of_another_storage_type(project: Project) -> None:
    issues = project.issues(
        """
        [DATA_NODE.j]
        storage_type = "json"
        has_header = true
        [DATA_NODE.p]
        encoding = "utf-8"
        """
    )
    issue = one(issues, "option 'has_header' does not apply to storage_type 'json'")
    assert issue.location == Location(file=project.file(), section="DATA_NODE.j", key="has_header")
    issue = one(issues, "option 'encoding' does not apply to storage_type 'pickle'")
    assert "json, csv" in issue.message and issue.location.section == "DATA_NODE.p"


def test_csv_and_json_option_values(project: Project) -> None:
    issues = project.issues(
        """
        [DATA_NODE.c]
        storage_type = "csv"
        has_header = "yes"
        exposed_type = "arrow"
        encoding = "klingon-8"
        """
    )
    assert one(issues, "expected a boolean, got str").location.key == "has_header"
    assert one(issues, "unknown exposed_type 'arrow'").location.key == "exposed_type"
    assert one(issues, "unknown encoding 'klingon-8'").location.key == "encoding"


def test_csv_options_and_in_memory(project: Project) -> None:
    registry = project.load(
        '[DATA_NODE.c]\nstorage_type = "CSV"\nencoding = "latin-1"\n'
        '[DATA_NODE.m]\nstorage_type = "in_memory"\n'
    )
    assert registry.data_nodes["c"].options == {
        "encoding": "latin-1",
        "has_header": True,
        "exposed_type": "list",
    }
    assert registry.data_nodes["m"].storage_type is StorageType.IN_MEMORY


@pytest.mark.parametrize(
    ("value", "scope"),
    [('"global"', Scope.GLOBAL), ('"Cycle"', Scope.CYCLE), ('"SCENARIO:SCOPE"', Scope.SCENARIO)],
)
def test_scope_forms(project: Project, value: str, scope: Scope) -> None:
    assert project.load(f"[DATA_NODE.d]\nscope = {value}\n").data_nodes["d"].scope is scope


def test_bad_scope(project: Project) -> None:
    issue = one(project.issues('[DATA_NODE.d]\nscope = "PIPELINE"\n'), "invalid scope 'PIPELINE'")
    assert "SCENARIO, CYCLE, GLOBAL" in issue.message and issue.location.key == "scope"


@pytest.mark.parametrize(
    ("value", "period"),
    [
        ('"1d2h:timedelta"', timedelta(days=1, hours=2)),
        ("90", timedelta(seconds=90)),
        ("1.5", timedelta(seconds=1.5)),
        ('"2h30m"', timedelta(hours=2, minutes=30)),
        ('"0.5d"', timedelta(hours=12)),
    ],
)
def test_validity_period_forms(project: Project, value: str, period: timedelta) -> None:
    assert (
        project.load(f"[DATA_NODE.d]\nvalidity_period = {value}\n").data_nodes["d"].validity_period == period
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"soon"', "'soon' is not a valid timedelta"),
        ("-5", "must not be negative"),
        ("true", "expected a timedelta, a number of seconds or a string like '1d2h', got bool"),
    ],
)
def test_bad_validity_period(project: Project, value: str, message: str) -> None:
    issue = one(project.issues(f"[DATA_NODE.d]\nvalidity_period = {value}\n"), message)
    assert issue.location == Location(file=project.file(), section="DATA_NODE.d", key="validity_period")


def test_data_node_value_types(project: Project) -> None:
    issues = project.issues('[DATA_NODE.d]\ndefault_path = 3\ndescription = ["x"]\nstorage_type = 1\n')
    assert one(issues, "expected a string, got int").location.key == "default_path"
    assert (
        one(issues, "expected a string or a table of strings per locale, got list").location.key
        == "description"
    )
    assert one(issues, "unsupported storage_type 1").location.key == "storage_type"


def test_default_data_of_any_type(project: Project) -> None:
    registry = project.load('[DATA_NODE.d]\ndefault_data = {rows = [1, 2], name = "n"}\n')
    assert registry.data_nodes["d"].default_data == {"rows": [1, 2], "name": "n"}


# --- TASK keys -------------------------------------------------------------------------------


def test_task_full_config(project: Project) -> None:
    project.module(
        "def run(x, factor=1.0, label='', flag=False, items=None, opts=None, anything=None):\n    return x\n"
    )
    registry = project.load(
        """
        [DATA_NODE.x]
        [DATA_NODE.y]
        [TASK.t]
        function = "$mod:run"
        inputs = ["x"]
        outputs = ["y"]
        skippable = true
        description = { en = "Run", fr = "Courir" }
        timeout = 30
        retries = 4
        retry_delay = 0
        retry_backoff = 1
        retry_max_delay = 60.5
        retry_jitter = 1
        retry_on = ["TimeoutError", "requests.HTTPError"]
        retry_on_timeout = true
        max_concurrency = 2
        [TASK.t.params]
        factor = { type = "float", default = 3, description = "How much" }
        label = "hello"
        flag = false
        items = [1, 2]
        opts = { a = 1 }
        anything = { type = "any" }
        """
    )
    task = registry.tasks["t"]
    assert task.description == {"en": "Run", "fr": "Courir"}
    assert (task.skippable, task.timeout, task.max_concurrency) == (True, 30.0, 2)
    assert task.retry == RetryPolicy(
        retries=4,
        retry_delay=0.0,
        backoff=1.0,
        max_delay=60.5,
        jitter=1.0,
        retry_on=("TimeoutError", "requests.HTTPError"),
        retry_on_timeout=True,
    )
    assert task.params == (
        ParamConfig(name="factor", type=ParamType.FLOAT, default=3.0, description="How much"),
        ParamConfig(name="label", type=ParamType.STR, default="hello"),
        ParamConfig(name="flag", type=ParamType.BOOL, default=False),
        ParamConfig(name="items", type=ParamType.LIST, default=[1, 2]),
        ParamConfig(name="opts", type=ParamType.DICT, default={"a": 1}),
        ParamConfig(name="anything", type=ParamType.ANY),
    )
    assert isinstance(task.param("factor").default, float)
    assert task.param("anything").required and not task.param("label").required


def test_plain_string_description_is_english(project: Project) -> None:
    registry = project.load('[TASK.t]\nfunction = "$mod:produce"\ndescription = "Makes one"\n')
    assert registry.tasks["t"].description == {"en": "Makes one"}


def test_missing_function(project: Project) -> None:
    issue = one(project.issues("[TASK.t]\ninputs = []\n"), "missing required key 'function'")
    assert issue.location == Location(file=project.file(), section="TASK.t", key="function")


def test_task_unknown_key_lists_allowed_keys(project: Project) -> None:
    issue = one(project.issues('[TASK.t]\nfunction = "$mod:produce"\nretry = 3\n'), "unknown key 'retry'")
    assert issue.location.key == "retry"
    assert (
        "function" in issue.message
        and "retry_backoff" in issue.message
        and "max_concurrency" in issue.message
    )


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ("inputs = 3", "inputs", "expected a list of strings, got int"),
        ('outputs = "y"', "outputs", "expected a list of strings, got str"),
        ('inputs = ["a", 1]', "inputs", "expected a list of strings, got int at position 2"),
        ('inputs = ["a", "a"]', "inputs", "'a' is listed twice"),
        ('skippable = "true"', "skippable", "expected a boolean, got str"),
        ("timeout = 0", "timeout", "timeout must be positive, got 0"),
        ("timeout = true", "timeout", "expected a number, got bool"),
        ("retries = 1.5", "retries", "expected an integer, got float"),
        ("retries = -1", "retries", "retries must be at least 0, got -1"),
        ("retry_delay = -0.1", "retry_delay", "retry_delay must be at least 0"),
        ("retry_backoff = 0.5", "retry_backoff", "retry_backoff must be at least 1"),
        ("retry_max_delay = 0", "retry_max_delay", "retry_max_delay must be positive"),
        ("retry_jitter = 1.5", "retry_jitter", "retry_jitter must be between 0 and 1"),
        ('retry_on = "ValueError"', "retry_on", "expected a list of strings, got str"),
        ('retry_on = ["not a class"]', "retry_on", "'not a class' is not an exception class name"),
        ("retry_on_timeout = 1", "retry_on_timeout", "expected a boolean, got int"),
        ("max_concurrency = 0", "max_concurrency", "max_concurrency must be at least 1, got 0"),
        ("description = 3", "description", "expected a string or a table of strings per locale, got int"),
        ("description = { en = 3 }", "description.en", "expected a string, got int"),
        ("params = [1]", "params", "expected a table, got list"),
    ],
)
def test_task_value_problems(project: Project, line: str, key: str, message: str) -> None:
    issue = one(project.issues(f'[TASK.t]\nfunction = "$mod:produce"\n{line}\n'), message)
    assert issue.location == Location(file=project.file(), section="TASK.t", key=key)


@pytest.mark.parametrize(
    ("param", "key", "message"),
    [
        ('n = { type = "int", default = "3" }', "params.n.default", "default '3' does not match type int"),
        ('n = { type = "int", default = true }', "params.n.default", "default True does not match type int"),
        ('n = { type = "float", default = false }', "params.n.default", "does not match type float"),
        ('n = { type = "str", default = 1 }', "params.n.default", "default 1 does not match type str"),
        ('n = { type = "list", default = {} }', "params.n.default", "does not match type list"),
        ('n = { type = "integer" }', "params.n.type", "unknown param type 'integer'"),
        ('n = { type = "int", description = 5 }', "params.n.description", "expected a string, got int"),
        ('"bad name" = 1', "params.bad name", "invalid param name 'bad name'"),
    ],
)
def test_param_problems(project: Project, param: str, key: str, message: str) -> None:
    project.module("def f(**kwargs):\n    return 1\n")
    issue = one(project.issues(f'[TASK.t]\nfunction = "$mod:f"\n[TASK.t.params]\n{param}\n'), message)
    assert issue.location == Location(file=project.file(), section="TASK.t", key=key)


def test_dict_default_with_spec_like_keys_needs_a_spec(project: Project) -> None:
    project.module("def f(**kwargs):\n    return 1\n")
    registry = project.load(
        """
        [TASK.t]
        function = "$mod:f"
        [TASK.t.params]
        plain = { a = 1, type = "x" }
        spec = { type = "dict", default = { type = "x" } }
        """
    )
    assert registry.tasks["t"].param("plain") == ParamConfig(
        name="plain", type=ParamType.DICT, default={"a": 1, "type": "x"}
    )
    assert registry.tasks["t"].param("spec") == ParamConfig(
        name="spec", type=ParamType.DICT, default={"type": "x"}
    )


# --- SCENARIO keys ---------------------------------------------------------------------------

SCENARIO_BASE = """
[DATA_NODE.x]
[DATA_NODE.y]
[DATA_NODE.extra]
[TASK.double]
function = "$mod:double"
inputs = ["x"]
outputs = ["y"]
"""


def test_scenario_full_config(project: Project) -> None:
    registry = project.load(
        SCENARIO_BASE
        + """
[SCENARIO.s]
tasks = ["double"]
additional_data_nodes = ["extra"]
frequency = "monthly"
description = "Monthly run"
[SCENARIO.s.sequences]
first = ["double:SECTION"]
empty = []
[SCENARIO.s.comparators]
y = "$mod.double:function"
"""
    )
    scenario = registry.scenarios["s"]
    assert scenario.additional_data_nodes == ("extra",) and scenario.frequency is Frequency.MONTHLY
    assert scenario.sequences == {"first": ("double",), "empty": ()}
    assert scenario.description == {"en": "Monthly run"}


def test_scenario_value_problems(project: Project) -> None:
    issues = project.issues(
        SCENARIO_BASE
        + """
[SCENARIO.s]
tasks = "double"
frequency = "HOURLY"
owner = "me"
sequences = { first = "double" }
"""
    )
    where = Location(file=project.file(), section="SCENARIO.s", key="tasks")
    assert {i.location for i in issues if i.message == "expected a list of strings, got str"} == {
        where,
        Location(file=project.file(), section="SCENARIO.s", key="sequences.first"),
    }
    assert "DAILY, WEEKLY, MONTHLY, QUARTERLY, YEARLY" in one(issues, "invalid frequency 'HOURLY'").message
    assert one(issues, "unknown key 'owner'").location.key == "owner"


# --- CORE and JOB ----------------------------------------------------------------------------


def test_core_taipy_keys_are_ignored_and_unknown_ones_reported(project: Project) -> None:
    issues = project.issues(
        """
        [CORE]
        root_folder = "./taipy/"
        storage_folder = "user_data/"
        taipy_storage_folder = ".taipy/"
        repository_type = "filesystem"
        repository_properties = { db = "ENV[UNSET_BUT_IGNORED]" }
        read_entity_retry = "1:int"
        mode = "development"
        version_number = ""
        force = "False:bool"
        core_version = "4.1.1"
        workers = 3
        """
    )
    issue = one(issues, "unknown key 'workers'")
    assert issue.location == Location(file=project.file(), section="CORE", key="workers")
    assert "allowed_modules" in issue.message
    assert len(issues) == 1


def test_allowed_modules_values(project: Project) -> None:
    issues = project.issues('[CORE]\nallowed_modules = ["ok.mod", "not ok", 3]\n')
    assert one(issues, "'not ok' is not a module name").location.key == "allowed_modules"
    assert one(issues, "expected a list of strings, got int at position 3").location.key == "allowed_modules"


@pytest.mark.parametrize(
    ("job", "workers"),
    [('max_nb_of_workers = "4:int"', 4), ("max_workers = 3", 3), ('mode = "standalone"', None)],
)
def test_job_workers(project: Project, job: str, workers: int | None) -> None:
    assert project.load(f"[JOB]\n{job}\n").job.max_workers == workers


def test_job_problems(project: Project) -> None:
    issues = project.issues("[JOB]\nmax_workers = 0\nmax_nb_of_workers = 2\nqueue = 1\n")
    assert one(issues, "max_workers must be at least 1, got 0").location.key == "max_workers"
    where = Location(file=project.file(), section="JOB", key="queue")
    assert one(issues, "unknown key 'queue'").location == where


def test_job_and_core_across_files(project: Project) -> None:
    project.module()
    project.write("a.toml", '[JOB]\nmax_workers = 2\n[CORE]\nallowed_modules = ["math"]\n')
    project.write("b.toml", '[JOB]\nmax_nb_of_workers = "2:int"\n[CORE]\nallowed_modules = ["$mod", "math"]')
    registry = project.load()
    assert registry.job.max_workers == 2
    assert registry.core.allowed_modules == ("math", project.mod)

    project.write("c.toml", "[JOB]\nmax_workers = 5\n")
    issue = one(project.issues(), "max_workers = 5 contradicts max_workers = 2")
    assert issue.location == Location(file=project.file("c.toml"), section="JOB", key="max_workers")
    assert project.file("a.toml") in issue.message


# --- everything at once ----------------------------------------------------------------------


def test_every_problem_is_collected_in_one_error(project: Project) -> None:
    project.module()
    project.write(
        "a.toml",
        """
        [DATA_NODE.x]
        storage_type = "excel"
        [TASK.t]
        function = "os:system"
        inputs = ["x", "ghost"]
        retries = "many"
        """,
    )
    project.write("b.toml", '[SCENARIO.s]\ntasks = ["t", "nobody"]\nfrequency = "abc:FREQUENCY"\n[WHAT]\n')
    with pytest.raises(ConfigError) as caught:
        project.load()
    issues = caught.value.issues
    expected = [
        "unsupported storage_type 'excel'",
        "module 'os' is not allowed",
        "unknown data node 'ghost' in inputs",
        "expected an integer, got str",
        "unknown task 'nobody' in tasks",
        "'abc' is not a valid FREQUENCY",
        "unknown section 'WHAT'",
    ]
    for text in expected:
        one(issues, text)
    assert len(issues) == len(expected)
    assert all(i.severity is Severity.ERROR for i in issues)
    assert str(caught.value).startswith(f"{len(expected)} problem(s) in the configuration:")


def test_copy_of_the_taipy_backup_elsewhere_loads(tmp_path: Path) -> None:
    """The exported files do not depend on their directory, only on algos.py beside them."""
    target = tmp_path / "copy"
    shutil.copytree(FIXTURES / "taipy_export", target)
    (target / "algos.py").rename(target / "algos_copy.py")
    (target / "exported.toml").write_text(
        (target / "exported.toml").read_text().replace("algos.", "algos_copy."), encoding="utf-8"
    )
    registry = load_registry(target / "exported.toml")
    assert registry.tasks["add"].function == "algos_copy:add"
    assert registry.module_paths == (str(target),)
