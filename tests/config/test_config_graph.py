"""Checks across sections: references, shared outputs, dependency cycles, duplicate ids."""

from __future__ import annotations

from config_helpers import Project, one

from runner.config import Location

NODES = "[DATA_NODE.d1]\n[DATA_NODE.d2]\n[DATA_NODE.d3]\n"


def tsk(id_: str, inputs: str, outputs: str, function: str = "double") -> str:
    return f'[TASK.{id_}]\nfunction = "$mod:{function}"\ninputs = {inputs}\noutputs = {outputs}\n'


def test_unknown_references(project: Project) -> None:
    issues = project.issues(
        NODES
        + tsk("t1", '["d1"]', '["ghost_out"]')
        + tsk("t2", '["ghost_in"]', '["d3"]')
        + """
[SCENARIO.s]
tasks = ["t1", "nobody"]
additional_data_nodes = ["d2", "phantom"]
[SCENARIO.s.sequences]
seq = ["t1", "t2", "missing"]
"""
    )
    file = project.file()
    assert one(issues, "unknown data node 'ghost_out' in outputs").location == Location(
        file=file, section="TASK.t1", key="outputs"
    )
    assert one(issues, "unknown data node 'ghost_in' in inputs").location == Location(
        file=file, section="TASK.t2", key="inputs"
    )
    assert one(issues, "unknown task 'nobody' in tasks").location == Location(
        file=file, section="SCENARIO.s", key="tasks"
    )
    assert one(issues, "unknown data node 'phantom' in additional_data_nodes").location == Location(
        file=file, section="SCENARIO.s", key="additional_data_nodes"
    )
    seq = Location(file=file, section="SCENARIO.s", key="sequences.seq")
    assert one(issues, "unknown task 'missing' in sequence 'seq'").location == seq
    assert one(issues, "task 't2' of sequence 'seq' is not one of the scenario's tasks").location == seq
    assert len(issues) == 6


def test_data_node_written_by_two_tasks_of_a_scenario(project: Project) -> None:
    text = NODES + tsk("t1", '["d1"]', '["d2"]') + tsk("t2", '["d3"]', '["d2"]')
    # In no common scenario, two writers are fine.
    assert set(project.load(text + '[SCENARIO.a]\ntasks = ["t1"]\n[SCENARIO.b]\ntasks = ["t2"]\n').tasks) == {
        "t1",
        "t2",
    }
    issue = one(project.issues(text + '[SCENARIO.s]\ntasks = ["t1", "t2"]\n'), "data node 'd2'")
    assert issue.message == "data node 'd2' is an output of both tasks 't1' and 't2'"
    assert issue.location == Location(file=project.file(), section="SCENARIO.s", key="tasks")


def test_cycle_in_a_scenario(project: Project) -> None:
    issues = project.issues(
        NODES
        + tsk("t2", '["d2"]', '["d1"]')
        + tsk("t1", '["d1"]', '["d2"]')
        + '[SCENARIO.s]\ntasks = ["t2", "t1"]\n'
    )
    issue = one(issues, "dependency cycle")
    assert issue.message == "dependency cycle: t1 -> d2 -> t2 -> d1 -> t1"
    assert issue.location == Location(file=project.file(), section="SCENARIO.s", key="tasks")
    assert len(issues) == 1  # the same cycle is not reported again for all tasks


def test_cycle_outside_any_scenario(project: Project) -> None:
    issues = project.issues(
        NODES
        + tsk("b", '["d1"]', '["d2"]')
        + tsk("c", '["d2"]', '["d3"]')
        + tsk("a", '["d3"]', '["d1"]')
        + '[SCENARIO.s]\ntasks = ["b"]\n'
    )
    issue = one(issues, "dependency cycle")
    assert issue.message == "dependency cycle: a -> d1 -> b -> d2 -> c -> d3 -> a"
    assert issue.location == Location(file=project.file(), section="TASK.a", key="outputs")


def test_task_reading_its_own_output(project: Project) -> None:
    issue = one(project.issues(NODES + tsk("loop", '["d1"]', '["d1"]')), "dependency cycle")
    assert issue.message == "dependency cycle: loop -> d1 -> loop"


def test_two_separate_cycles_are_both_reported(project: Project) -> None:
    issues = project.issues(
        NODES
        + "[DATA_NODE.d4]\n"
        + tsk("t1", '["d1"]', '["d2"]')
        + tsk("t2", '["d2"]', '["d1"]')
        + tsk("t3", '["d3"]', '["d4"]')
        + tsk("t4", '["d4"]', '["d3"]')
    )
    assert sorted(i.message for i in issues) == [
        "dependency cycle: t1 -> d2 -> t2 -> d1 -> t1",
        "dependency cycle: t3 -> d4 -> t4 -> d3 -> t3",
    ]


def test_a_diamond_is_not_a_cycle(project: Project) -> None:
    project.module("def one(x):\n    return x\n\ndef two(a, b):\n    return a\n")
    registry = project.load(
        NODES
        + "[DATA_NODE.d4]\n"
        + tsk("split_a", '["d1"]', '["d2"]', "one")
        + tsk("split_b", '["d1"]', '["d3"]', "one")
        + tsk("join", '["d2", "d3"]', '["d4"]', "two")
        + '[SCENARIO.s]\ntasks = ["split_a", "split_b", "join"]\n'
    )
    assert registry.scenarios["s"].tasks == ("split_a", "split_b", "join")


def test_duplicate_ids_across_files_name_both_files(project: Project) -> None:
    project.module()
    project.write("a.toml", '[DATA_NODE.d1]\n[TASK.t]\nfunction = "$mod:produce"\n[DATA_NODE.default]\n')
    project.write("b.toml", '[DATA_NODE.d1]\nstorage_type = "json"\n[DATA_NODE.default]\n')
    project.write("c.toml", '[TASK.t]\nfunction = "$mod:produce"\n[SCENARIO.t]\ntasks = ["t"]\n')
    issues = project.issues()
    a, b, c = project.file("a.toml"), project.file("b.toml"), project.file("c.toml")
    issue = one(issues, "DATA_NODE 'd1' is defined twice")
    assert issue.message == f"DATA_NODE 'd1' is defined twice: in {a} and in {b}"
    assert issue.location == Location(file=b, section="DATA_NODE.d1")
    assert one(issues, "DATA_NODE 'default' is defined twice").location.file == b
    assert one(issues, "TASK 't' is defined twice").location == Location(file=c, section="TASK.t")
    # A scenario may share an id with a task: ids are per kind.
    assert len(issues) == 3
