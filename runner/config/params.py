"""Typed task parameters: merge what a submit gives over the config's defaults."""

from __future__ import annotations

from typing import Any

from runner.config.models import ParamConfig, ParamType, TaskConfig
from runner.errors import InvalidInput

_PY_TYPES: dict[ParamType, tuple[type, ...]] = {
    ParamType.STR: (str,),
    ParamType.INT: (int,),
    ParamType.FLOAT: (int, float),
    ParamType.BOOL: (bool,),
    ParamType.LIST: (list,),
    ParamType.DICT: (dict,),
}


def check_params(cfg: TaskConfig, given: dict[str, Any]) -> dict[str, Any]:
    """Merge given params over the defaults; every problem is reported at once."""
    problems: dict[str, list[str]] = {}
    declared = {p.name: p for p in cfg.params}
    for name in given:
        if name not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            problems[name] = [f"unknown parameter of task config {cfg.id} (allowed: {allowed})"]
    merged: dict[str, Any] = {}
    for name, param in declared.items():
        if name in given:
            value = given[name]
            if not _fits(param, value):
                problems[name] = [f"expected {param.type}, got {type(value).__name__}"]
            merged[name] = value
        elif param.required:
            problems[name] = ["required parameter missing"]
        else:
            merged[name] = param.default
    if problems:
        raise InvalidInput("invalid task parameters", errors={"params": problems})
    return merged


def _fits(param: ParamConfig, value: Any) -> bool:
    if param.type is ParamType.ANY:
        return True
    if isinstance(value, bool) and param.type is not ParamType.BOOL:
        return False
    return isinstance(value, _PY_TYPES[param.type])
