"""Use cases of scenarios and sequences: instantiate, read, delete, submit, draw the DAG."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from runner.config.models import Frequency, ScenarioConfig
from runner.domain import dag
from runner.domain.clock import utcnow
from runner.domain.entities import EntityType, Scenario, Sequence, Submission, Task
from runner.domain.ids import Prefix, new_id
from runner.errors import Conflict, NotFound
from runner.services import datanodes, submissions
from runner.services.context import Context
from runner.services.tasks import new_task
from runner.store.repositories import Page


def cycle_of(frequency: Frequency | None, at: datetime) -> str | None:
    """The cycle a scenario created at `at` belongs to, e.g. "WEEKLY:2026-11-23"."""
    if frequency is None:
        return None
    day = at.date()
    start = {
        Frequency.DAILY: day,
        Frequency.WEEKLY: day.fromordinal(day.toordinal() - day.weekday()),
        Frequency.MONTHLY: day.replace(day=1),
        Frequency.QUARTERLY: day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1),
        Frequency.YEARLY: day.replace(month=1, day=1),
    }[frequency]
    return f"{frequency}:{start.isoformat()}"


def scenario_config(ctx: Context, config_id: str) -> ScenarioConfig:
    cfg = ctx.registry.scenarios.get(config_id)
    if cfg is None:
        raise NotFound(f"no scenario config has the id {config_id!r}")
    return cfg


def create_scenario(ctx: Context, config_id: str, scenario_id: str | None = None) -> Scenario:
    cfg = scenario_config(ctx, config_id)
    if scenario_id is not None and ctx.store.get_scenario(scenario_id) is not None:
        raise Conflict(f"a scenario with id {scenario_id!r} already exists")
    new_id_ = scenario_id or new_id(Prefix.SCENARIO, cfg.id)
    return datanodes.retrying_races(lambda: _create(ctx, cfg, new_id_))


def _create(ctx: Context, cfg: ScenarioConfig, scenario_id: str) -> Scenario:
    now = utcnow()
    cycle = cycle_of(cfg.frequency, now)
    task_cfgs = [ctx.registry.tasks[t] for t in cfg.tasks]
    dn_config_ids = [d for t in task_cfgs for d in (*t.inputs, *t.outputs)] + list(cfg.additional_data_nodes)
    ids, fresh = datanodes.instantiate(ctx, dn_config_ids, scenario_id, cycle, now)
    tasks = [new_task(t, new_id(Prefix.TASK, t.id), ids, scenario_id, now) for t in task_cfgs]
    task_id_of = {t.config_id: t.id for t in tasks}
    scenario = Scenario(
        id=scenario_id,
        config_id=cfg.id,
        cycle=cycle,
        task_ids=[t.id for t in tasks],
        data_node_ids=list(dict.fromkeys(ids[d] for d in dn_config_ids)),
        created_at=now,
        updated_at=now,
    )
    scenario.sequences = [
        Sequence(
            id=f"{Prefix.SEQUENCE}_{name}_{scenario_id}",
            name=name,
            scenario_id=scenario_id,
            task_ids=[task_id_of[t] for t in task_config_ids],
            created_at=now,
        )
        for name, task_config_ids in sorted(cfg.sequences.items())
    ]
    ctx.store.add_scenario(scenario, tasks, fresh)
    return scenario


def get_scenario(ctx: Context, scenario_id: str) -> Scenario:
    scenario = ctx.store.get_scenario(scenario_id)
    if scenario is None:
        raise NotFound(f"no scenario has the id {scenario_id!r}")
    return scenario


def list_scenarios(ctx: Context, page: Page, config_id: str | None = None) -> tuple[list[Scenario], int]:
    return ctx.store.list_scenarios(page, config_id)


def delete_scenario(ctx: Context, scenario_id: str) -> None:
    get_scenario(ctx, scenario_id)
    ctx.store.delete_scenario(scenario_id)


def _tasks(ctx: Context, task_ids: list[str]) -> list[Task]:
    found = ctx.store.get_tasks(task_ids)
    return [found[t] for t in task_ids if t in found]


def submit_scenario(ctx: Context, scenario_id: str, timeout: float | None = None) -> Submission:
    scenario = get_scenario(ctx, scenario_id)
    return submissions.submit(ctx, EntityType.SCENARIO, scenario.id, _tasks(ctx, scenario.task_ids), timeout=timeout)


def get_sequence(ctx: Context, sequence_id: str) -> Sequence:
    sequence = ctx.store.get_sequence(sequence_id)
    if sequence is None:
        raise NotFound(f"no sequence has the id {sequence_id!r}")
    return sequence


def list_sequences(ctx: Context, page: Page, scenario_id: str | None = None) -> tuple[list[Sequence], int]:
    return ctx.store.list_sequences(page, scenario_id)


def submit_sequence(ctx: Context, sequence_id: str, timeout: float | None = None) -> Submission:
    sequence = get_sequence(ctx, sequence_id)
    return submissions.submit(ctx, EntityType.SEQUENCE, sequence.id, _tasks(ctx, sequence.task_ids), timeout=timeout)


def scenario_dag(ctx: Context, scenario_id: str) -> dict[str, Any]:
    """Nodes (tasks and data nodes, each with its latest status) and edges, in DAG order."""
    scenario = get_scenario(ctx, scenario_id)
    tasks = _tasks(ctx, scenario.task_ids)
    graph = dag.build(tasks)
    for dn_id in scenario.data_node_ids:
        graph.add_node(dn_id, kind="datanode")
    statuses = ctx.store.latest_job_status([t.id for t in tasks])
    dns = ctx.store.get_data_nodes(list(scenario.data_node_ids))
    by_id = {t.id: t for t in tasks}
    nodes = []
    for node_id in dag.topological(graph):
        if graph.nodes[node_id]["kind"] == "task":
            task = by_id[node_id]
            nodes.append(
                {"id": node_id, "type": "task", "config_id": task.config_id, "status": statuses.get(node_id)}
            )
        else:
            dn = dns.get(node_id)
            nodes.append(
                {
                    "id": node_id,
                    "type": "datanode",
                    "config_id": dn.config_id if dn else None,
                    "status": ("WRITTEN" if dn.is_written else "EMPTY") if dn else None,
                    "last_edit_date": dn.last_edit_date if dn else None,
                }
            )
    edges = [{"source": a, "target": b} for a, b in graph.edges]
    return {"scenario_id": scenario.id, "nodes": nodes, "edges": edges}
