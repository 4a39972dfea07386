"""The bipartite DAG of a set of tasks: data node -> task -> data node, with networkx."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from runner.domain.entities import Task


def build(tasks: Iterable[Task]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for task in tasks:
        graph.add_node(task.id, kind="task")
        for dn_id in task.input_ids:
            graph.add_node(dn_id, kind="datanode")
            graph.add_edge(dn_id, task.id)
        for dn_id in task.output_ids:
            graph.add_node(dn_id, kind="datanode")
            graph.add_edge(task.id, dn_id)
    return graph


def task_order(tasks: list[Task]) -> list[Task]:
    """Tasks in an order where every producer comes before its consumers."""
    if len(tasks) < 2:
        return list(tasks)
    by_id = {t.id: t for t in tasks}
    graph = build(tasks)
    return [by_id[n] for n in nx.topological_sort(graph) if n in by_id]


def topological(graph: nx.DiGraph) -> list[str]:
    return list(nx.topological_sort(graph))


def producers_of(tasks: Iterable[Task]) -> dict[str, Task]:
    """Which task writes each data node."""
    return {dn_id: task for task in tasks for dn_id in task.output_ids}
