"""Checks: of each value as written (Taipy's typed strings, types, ranges) and of the whole
configuration (references between sections, shared outputs, cycles).

Nothing here raises: every problem goes into an Issues collector, so that one load reports every
problem at once. A value that fails a check is replaced by its default (or dropped), and since any
error fails the load, such stand-ins never reach a Registry.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import networkx as nx


from runner.config.models import (
    MISSING,
    DataNodeConfig,
    Frequency,
    Location,
    ScenarioConfig,
    Scope,
    TaskConfig,
)
from runner.config.registry import ConfigIssue, Severity


class Issues:
    """Collects issues in the order found; the same issue reported twice is kept once.

    Duplicates are normal: a template's bad value is checked again in every section inheriting it.
    """

    def __init__(self) -> None:
        self._items: dict[ConfigIssue, None] = {}

    def error(self, message: str, location: Location | None) -> None:
        self._items.setdefault(ConfigIssue(message=message, location=location))

    def warn(self, message: str, location: Location | None) -> None:
        self._items.setdefault(ConfigIssue(message=message, location=location, severity=Severity.WARNING))

    @property
    def errors(self) -> list[ConfigIssue]:
        return [i for i in self._items if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[ConfigIssue]:
        return [i for i in self._items if i.severity is Severity.WARNING]


def library_available(name: str) -> bool:
    """Whether an optional library can be imported, without importing it (that would be slow)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def at(location: Location | None, key: str | None) -> Location | None:
    """The location of `key` in the section of `location`."""
    if location is None:
        return None
    return Location(file=location.file, section=location.section, key=key)


# --- typed strings ---------------------------------------------------------------------------

_SUFFIXES = "int|float|bool|str|datetime|timedelta|function|SCOPE|FREQUENCY|SECTION"
_TYPED = re.compile(rf"^(?P<text>.*):(?P<suffix>{_SUFFIXES})$", re.DOTALL)
_ENV = re.compile(rf"^ENV\[(?P<name>[A-Za-z_][A-Za-z0-9_]*)\](?::(?P<suffix>{_SUFFIXES}))?$")
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_TIMEDELTA = re.compile(
    "^"
    + "".join(f"(?:(?P<{unit}>{_NUMBER}){unit[0]})?" for unit in ("days", "hours", "minutes", "seconds"))
    + "$"
)


class _Invalid:
    """Replaces a value that could not be decoded; its issue is already reported."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()
E = TypeVar("E", bound=StrEnum)


def parse_timedelta(text: str) -> timedelta | None:
    """Taipy's "1d2h30m15s" (any subset, in that order, decimals allowed); None if malformed."""
    match = _TIMEDELTA.match(text)
    if not text or match is None:
        return None
    return timedelta(**{unit: float(n) for unit, n in match.groupdict().items() if n is not None})


def enum_member(cls: type[E], text: str) -> E | None:
    """A member by name, case-insensitively (Taipy writes names; people write any case)."""
    return next((m for m in cls if m.name == text.strip().upper()), None)


def _to_bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError
    return text.lower() == "true"


def _convert(text: str, suffix: str) -> Any:
    converters: dict[str, Callable[[str], Any]] = {
        "int": int,
        "float": float,
        "bool": _to_bool,
        "str": str,
        "SECTION": str,
        "datetime": datetime.fromisoformat,
        "timedelta": parse_timedelta,
        "SCOPE": lambda s: enum_member(Scope, s),
        "FREQUENCY": lambda s: enum_member(Frequency, s),
        # Kept as written: which reading is meant is decided when the function is resolved.
        "function": lambda s: f"{s}:function",
    }
    try:
        value = converters[suffix](text)
    except (ValueError, OverflowError):
        value = None
    if value is None:
        expected = {
            "bool": " (expected true or false)",
            "timedelta": " (expected e.g. 1d2h30m15s)",
            "SCOPE": f" (expected one of {', '.join(Scope.__members__)})",
            "FREQUENCY": f" (expected one of {', '.join(Frequency.__members__)})",
        }.get(suffix, "")
        raise ValueError(f"{text!r} is not a valid {suffix}{expected}")
    return value


def _decode_string(text: str) -> Any:
    env = _ENV.match(text)
    if env:
        value = os.environ.get(env["name"])
        if value is None:
            raise ValueError(f"environment variable {env['name']} is not set")
        # The variable's value is data: a colon inside it is not a suffix.
        return _convert(value, env["suffix"]) if env["suffix"] else value
    typed = _TYPED.match(text)
    return _convert(typed["text"], typed["suffix"]) if typed else text


def decode(value: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    """Typed strings to Python values, recursively; each bad leaf becomes INVALID plus an error."""
    if isinstance(value, str):
        try:
            return _decode_string(value)
        except ValueError as exc:
            errors.append((path, f"{value!r}: {exc}"))
            return INVALID
    if isinstance(value, list):
        return [decode(v, path, errors) for v in value]
    if isinstance(value, dict):
        return {k: decode(v, f"{path}.{k}", errors) for k, v in value.items()}
    return value


# --- typed access to one section ---------------------------------------------------------------


def kind_name(value: Any) -> str:
    return "table" if isinstance(value, dict) else type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Raw:
    value: Any  # as written in the TOML file
    location: Location  # where it is written: a template's section for an inherited key


class Fields:
    """Typed reads of one section's keys. A wrong value is an issue and yields the default."""

    def __init__(self, section: Location, raw: dict[str, Raw], issues: Issues) -> None:
        self.section = section
        self._raw = raw
        self.issues = issues
        self._decoded: dict[str, Any] = {}

    def keys(self) -> list[str]:
        return list(self._raw)

    def __contains__(self, key: str) -> bool:
        return key in self._raw

    def location(self, key: str) -> Location:
        """The location of a key, or of a dotted path inside a key ("params.n.default")."""
        raw = self._raw.get(key.partition(".")[0])
        base = raw.location if raw else self.section
        return Location(file=base.file, section=base.section, key=key)

    def error(self, key: str, message: str) -> None:
        self.issues.error(message, self.location(key))

    def reject_unknown(self, allowed: Iterable[str], listed: Iterable[str] | None = None) -> None:
        allowed = set(allowed)
        shown = ", ".join(sorted(allowed if listed is None else set(listed)))
        for key in self._raw:
            if key not in allowed:
                self.error(key, f"unknown key '{key}'; allowed keys: {shown}")

    def get(self, key: str) -> Any:
        """The decoded value; MISSING when absent; INVALID leaves where decoding failed."""
        if key not in self._raw:
            return MISSING
        if key not in self._decoded:
            errors: list[tuple[str, str]] = []
            self._decoded[key] = decode(self._raw[key].value, key, errors)
            for path, message in errors:
                self.error(path, message)
        return self._decoded[key]

    def _typed(self, key: str, ok: Callable[[Any], bool], expected: str) -> Any:
        """The value if it passes `ok`; MISSING if absent, undecodable or (reported) of a wrong type."""
        value = self.get(key)
        if value is MISSING or value is INVALID:
            return MISSING
        if not ok(value):
            self.error(key, f"expected {expected}, got {kind_name(value)}")
            return MISSING
        return value

    def string(self, key: str) -> str | None:
        value = self._typed(key, lambda v: isinstance(v, str), "a string")
        return None if value is MISSING else str(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._typed(key, lambda v: isinstance(v, bool), "a boolean")
        return default if value is MISSING else bool(value)

    def number(self, key: str, valid: Callable[[float], bool], rule: str) -> float | None:
        """A number (int or float, never bool) that passes `valid`; None if absent or wrong."""
        value = self._typed(key, is_number, "a number")
        if value is MISSING:
            return None
        if not valid(value):
            self.error(key, f"{key} must be {rule}, got {value}")
            return None
        return float(value)

    def integer(self, key: str, minimum: int) -> int | None:
        value = self._typed(key, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer")
        if value is MISSING:
            return None
        if value < minimum:
            self.error(key, f"{key} must be at least {minimum}, got {value}")
            return None
        return int(value)

    def names(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if value is MISSING or value is INVALID:
            return ()
        return names_of(value, self.location(key), self.issues)

    def table(self, key: str) -> dict[str, Any]:
        value = self._typed(key, lambda v: isinstance(v, dict), "a table")
        return {} if value is MISSING else dict(value)

    def text(self, key: str) -> dict[str, str]:
        """A description: a string (English) or a table locale -> string."""
        value = self.get(key)
        if value is MISSING or value is INVALID:
            return {}
        if isinstance(value, str):
            return {"en": str(value)}
        if isinstance(value, dict):
            texts = {}
            for locale, text in value.items():
                if isinstance(text, str):
                    texts[locale] = str(text)
                elif text is not INVALID:
                    self.error(f"{key}.{locale}", f"expected a string, got {kind_name(text)}")
            return texts
        self.error(key, f"expected a string or a table of strings per locale, got {kind_name(value)}")
        return {}


def names_of(value: Any, location: Location, issues: Issues) -> tuple[str, ...]:
    """A list of ids, checked: strings only, each once."""
    if not isinstance(value, list):
        issues.error(f"expected a list of strings, got {kind_name(value)}", location)
        return ()
    names: list[str] = []
    for position, item in enumerate(value, start=1):
        if item is INVALID:
            continue
        if not isinstance(item, str):
            got = f"{kind_name(item)} at position {position}"
            issues.error(f"expected a list of strings, got {got}", location)
        elif str(item) in names:
            issues.error(f"'{item}' is listed twice", location)
        else:
            names.append(str(item))
    return tuple(names)


# --- the whole configuration -------------------------------------------------------------------


def check_references(
    data_nodes: Mapping[str, DataNodeConfig],
    tasks: Mapping[str, TaskConfig],
    scenarios: Mapping[str, ScenarioConfig],
    issues: Issues,
) -> None:
    for task in tasks.values():
        for key, ids in (("inputs", task.inputs), ("outputs", task.outputs)):
            for dn in ids:
                if dn not in data_nodes:
                    issues.error(f"unknown data node '{dn}' in {key}", at(task.location, key))
    for scenario in scenarios.values():
        for task_id in scenario.tasks:
            if task_id not in tasks:
                issues.error(f"unknown task '{task_id}' in tasks", at(scenario.location, "tasks"))
        for dn in scenario.additional_data_nodes:
            if dn not in data_nodes:
                issues.error(
                    f"unknown data node '{dn}' in additional_data_nodes",
                    at(scenario.location, "additional_data_nodes"),
                )
        for name, sequence in scenario.sequences.items():
            where = at(scenario.location, f"sequences.{name}")
            for task_id in sequence:
                if task_id not in tasks:
                    issues.error(f"unknown task '{task_id}' in sequence '{name}'", where)
                elif task_id not in scenario.tasks:
                    issues.error(
                        f"task '{task_id}' of sequence '{name}' is not one of the scenario's tasks", where
                    )


def check_shared_outputs(
    tasks: Mapping[str, TaskConfig], scenarios: Mapping[str, ScenarioConfig], issues: Issues
) -> None:
    """Two tasks of one scenario writing the same data node would make its value depend on timing."""
    for scenario in scenarios.values():
        writers: dict[str, str] = {}
        for task_id in scenario.tasks:
            task = tasks.get(task_id)
            for dn in task.outputs if task else ():
                first = writers.setdefault(dn, task_id)
                if first != task_id:
                    issues.error(
                        f"data node '{dn}' is an output of both tasks '{first}' and '{task_id}'",
                        at(scenario.location, "tasks"),
                    )


Node = tuple[str, str]  # ("task", id) or ("data", id): tasks and data nodes may share an id


def acyclic(tasks: Iterable[TaskConfig]) -> bool:
    """Whether the bipartite task graph has no cycle (Kahn's algorithm, linear, no imports).

    Nearly every config has no cycle; this answers that without importing networkx, which
    alone costs more than loading a thousand task configs. networkx finds and reports the
    cycles when there are some.
    """
    successors: dict[Node, list[Node]] = {}
    indegree: dict[Node, int] = {}
    for task in tasks:
        node: Node = ("task", task.id)
        indegree.setdefault(node, 0)
        for dn in task.inputs:
            successors.setdefault(("data", dn), []).append(node)
            indegree[node] += 1
            indegree.setdefault(("data", dn), 0)
        for dn in task.outputs:
            successors.setdefault(node, []).append(("data", dn))
            indegree[("data", dn)] = indegree.get(("data", dn), 0) + 1
    ready = [n for n, d in indegree.items() if d == 0]
    seen = 0
    while ready:
        current = ready.pop()
        seen += 1
        for nxt in successors.get(current, ()):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    return seen == len(indegree)


def task_graph(tasks: Iterable[TaskConfig]) -> nx.DiGraph:
    """The bipartite dependency graph: data node -> task that reads it -> data node it writes."""
    import networkx as nx

    graph = nx.DiGraph()
    for task in tasks:
        graph.add_node(("task", task.id))
        graph.add_edges_from((("data", dn), ("task", task.id)) for dn in task.inputs)
        graph.add_edges_from((("task", task.id), ("data", dn)) for dn in task.outputs)
    return graph


def find_cycles(graph: nx.DiGraph) -> list[list[Node]]:
    """One cycle per strongly connected component, starting at its smallest task id.

    One per component keeps the report short (a component can hold exponentially many cycles) while
    still pointing at every tangle. The graph is bipartite, so single nodes never form a cycle.
    """
    import networkx as nx

    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        nodes = [u for u, _ in nx.find_cycle(graph.subgraph(component))]
        start = min((i for i, n in enumerate(nodes) if n[0] == "task"), key=lambda i: nodes[i][1])
        cycles.append(nodes[start:] + nodes[:start])
    return sorted(cycles, key=lambda c: c[0][1])


def cycle_text(cycle: list[Node]) -> str:
    return " -> ".join(node_id for _, node_id in [*cycle, cycle[0]])


def check_cycles(
    tasks: Mapping[str, TaskConfig], scenarios: Mapping[str, ScenarioConfig], issues: Issues
) -> None:
    """Cycles within each scenario (reported on the scenario), then any others among all tasks."""
    if acyclic(tasks.values()):
        return  # a cycle in a scenario is a cycle among all tasks too
    seen: set[Node] = set()
    for scenario in scenarios.values():
        members = [tasks[t] for t in scenario.tasks if t in tasks]
        for cycle in find_cycles(task_graph(members)):
            seen.update(cycle)
            issues.error(f"dependency cycle: {cycle_text(cycle)}", at(scenario.location, "tasks"))
    for cycle in find_cycles(task_graph(tasks.values())):
        if seen.isdisjoint(cycle):
            first = tasks[cycle[0][1]]
            issues.error(f"dependency cycle: {cycle_text(cycle)}", at(first.location, "outputs"))
