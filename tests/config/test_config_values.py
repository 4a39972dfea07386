"""Taipy's typed strings ("21:int", "x:SECTION", ...) and ENV[NAME] substitution."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from config_helpers import Project, one

from runner.config import Frequency, Location, Scope, StorageType


def default_data(project: Project, toml_value: str) -> Any:
    return project.load(f"[DATA_NODE.d]\ndefault_data = {toml_value}\n").data_nodes["d"].default_data


@pytest.mark.parametrize(
    ("toml_value", "expected"),
    [
        ('"21:int"', 21),
        ('"-3:int"', -3),
        ('"1.5:float"', 1.5),
        ('"True:bool"', True),
        ('"FALSE:bool"', False),
        ('"tRuE:bool"', True),
        ('"x:str"', "x"),
        ('"a:b:str"', "a:b"),
        ('"21:str"', "21"),
        ('":str"', ""),
        ('"x:SECTION"', "x"),
        ('"GLOBAL:SCOPE"', Scope.GLOBAL),
        ('"DAILY:FREQUENCY"', Frequency.DAILY),
        ('"2026-01-01T00:00:00:datetime"', datetime(2026, 1, 1)),
        ('"2026-03-04T05:06:07.5:datetime"', datetime(2026, 3, 4, 5, 6, 7, 500000)),
        ('"1d0h0m0s:timedelta"', timedelta(days=1)),
        ('"2h:timedelta"', timedelta(hours=2)),
        ('"1.5m30s:timedelta"', timedelta(minutes=1.5, seconds=30)),
        ('"0.25d3m:timedelta"', timedelta(hours=6, minutes=3)),
        ('"algos.double:function"', "algos.double:function"),
        # Not a known suffix: the string is data, colon included.
        ('"http://example.com"', "http://example.com"),
        ('"note:int?"', "note:int?"),
        ('"x:Int"', "x:Int"),
        # Recursively inside lists and tables.
        ('["1:int", ["2.5:float", "x:SECTION"]]', [1, [2.5, "x"]]),
        ('{ a = "1:int", b = { c = ["true:bool"] } }', {"a": 1, "b": {"c": [True]}}),
        ("42", 42),
    ],
)
def test_typed_suffixes(project: Project, toml_value: str, expected: Any) -> None:
    value = default_data(project, toml_value)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("toml_value", "message"),
    [
        ('"abc:int"', "'abc:int': 'abc' is not a valid int"),
        ('"1.5:int"', "'1.5' is not a valid int"),
        ('"x1:float"', "'x1' is not a valid float"),
        ('"yes:bool"', "'yes' is not a valid bool (expected true or false)"),
        ('"2026-13-01:datetime"', "'2026-13-01' is not a valid datetime"),
        ('"1x:timedelta"', "'1x' is not a valid timedelta (expected e.g. 1d2h30m15s)"),
        ('":timedelta"', "'' is not a valid timedelta"),
        ('"2h1d:timedelta"', "'2h1d' is not a valid timedelta"),
        ('"PIPELINE:SCOPE"', "'PIPELINE' is not a valid SCOPE (expected one of SCENARIO, CYCLE, GLOBAL)"),
        ('"HOURLY:FREQUENCY"', "'HOURLY' is not a valid FREQUENCY (expected one of DAILY, WEEKLY"),
    ],
)
def test_bad_value_behind_a_suffix(project: Project, toml_value: str, message: str) -> None:
    issue = one(project.issues(f"[DATA_NODE.d]\ndefault_data = {toml_value}\n"), message)
    assert issue.location == Location(file=project.file(), section="DATA_NODE.d", key="default_data")


def test_nested_bad_values_are_each_reported_at_their_path(project: Project) -> None:
    issues = project.issues('[DATA_NODE.d]\ndefault_data = { a = ["1:int", "x:int"], b = { c = "y:float" } }')
    assert one(issues, "'x' is not a valid int").location.key == "default_data.a"
    assert one(issues, "'y' is not a valid float").location.key == "default_data.b.c"
    assert len(issues) == 2


def test_suffixed_values_feed_typed_keys(project: Project) -> None:
    registry = project.load(
        """
        [DATA_NODE.d]
        storage_type = "csv:str"
        has_header = "false:bool"
        [TASK.t]
        function = "$mod.produce:function"
        outputs = ["d:SECTION"]
        retries = "2:int"
        timeout = "2.5:float"
        """
    )
    data_node, task = registry.data_nodes["d"], registry.tasks["t"]
    assert data_node.storage_type is StorageType.CSV and data_node.options["has_header"] is False
    assert (task.outputs, task.retry.retries, task.timeout) == (("d",), 2, 2.5)
    assert task.function == f"{project.mod}:produce"


def test_a_suffix_of_the_wrong_type_for_its_key(project: Project) -> None:
    text = '[TASK.t]\nfunction = "$mod:produce"\nretries = "2:float"\n'
    issue = one(project.issues(text), "expected an integer")
    assert issue.message == "expected an integer, got float" and issue.location.key == "retries"


# --- ENV[NAME] -------------------------------------------------------------------------------


def test_env_substitution(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNER_T_WORKERS", "6")
    monkeypatch.setenv("RUNNER_T_FLAG", "True")
    monkeypatch.setenv("RUNNER_T_RATE", "0.5")
    monkeypatch.setenv("RUNNER_T_PATH", "/data/in.csv")
    monkeypatch.setenv("RUNNER_T_SCOPE", "cycle")
    monkeypatch.setenv("RUNNER_T_TEXT", "3:int")
    monkeypatch.setenv("RUNNER_T_FN", f"{project.mod}.double")
    registry = project.load(
        """
        [JOB]
        max_workers = "ENV[RUNNER_T_WORKERS]:int"
        [DATA_NODE.d]
        storage_type = "csv"
        default_path = "ENV[RUNNER_T_PATH]"
        has_header = "ENV[RUNNER_T_FLAG]:bool"
        scope = "ENV[RUNNER_T_SCOPE]:SCOPE"
        default_data = ["ENV[RUNNER_T_RATE]:float", "ENV[RUNNER_T_TEXT]", "ENV[RUNNER_T_TEXT]:str"]
        [TASK.t]
        function = "ENV[RUNNER_T_FN]:function"
        inputs = ["d"]
        """
    )
    data_node = registry.data_nodes["d"]
    assert registry.job.max_workers == 6
    assert (data_node.default_path, data_node.options["has_header"], data_node.scope) == (
        "/data/in.csv",
        True,
        Scope.CYCLE,
    )
    # A variable's value is data: "3:int" stays a string unless the reference itself is typed.
    assert data_node.default_data == [0.5, "3:int", "3:int"]
    assert registry.tasks["t"].function == f"{project.mod}:double"


def test_unset_env_variable_is_named(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNNER_T_MISSING", raising=False)
    monkeypatch.delenv("RUNNER_T_MISSING_FN", raising=False)
    issues = project.issues(
        """
        [JOB]
        max_workers = "ENV[RUNNER_T_MISSING]:int"
        [TASK.t]
        function = "ENV[RUNNER_T_MISSING_FN]"
        """
    )
    issue = one(issues, "environment variable RUNNER_T_MISSING is not set")
    assert issue.location == Location(file=project.file(), section="JOB", key="max_workers")
    issue = one(issues, "environment variable RUNNER_T_MISSING_FN is not set")
    assert issue.location == Location(file=project.file(), section="TASK.t", key="function")
    # The unset function is not reported a second time as "missing".
    assert len(issues) == 2


def test_env_value_bad_for_its_type(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNER_T_PORT", "eighty")
    issue = one(project.issues('[DATA_NODE.d]\ndefault_data = "ENV[RUNNER_T_PORT]:int"\n'), "not a valid int")
    assert issue.message == "'ENV[RUNNER_T_PORT]:int': 'eighty' is not a valid int"
    assert issue.location.key == "default_data"


def test_env_pattern_must_be_the_whole_string(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNNER_T_NOPE", raising=False)
    assert default_data(project, '"prefix ENV[RUNNER_T_NOPE]"') == "prefix ENV[RUNNER_T_NOPE]"
