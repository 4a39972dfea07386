"""/api/v1/configs/tasks: the catalog of task configs and their typed parameters."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from runner.api.blueprint import Blueprint

from runner.api import schemas as s
from runner.api.auth import require
from runner.api.context import ctx
from runner.api.jsonable import jsonable
from runner.auth.roles import Role
from runner.config.models import TaskConfig
from runner.services.tasks import task_config

blp = Blueprint("configs", __name__, url_prefix="/api/v1/configs", description="The task catalog")


def _describe(cfg: TaskConfig) -> dict[str, Any]:
    return {
        "id": cfg.id,
        "description": cfg.description,
        "function": cfg.function,
        "inputs": list(cfg.inputs),
        "outputs": list(cfg.outputs),
        "skippable": cfg.skippable,
        "params": [
            {
                "name": p.name,
                "type": p.type.value,
                "required": p.required,
                "default": None if p.required else jsonable(p.default, f"default of {p.name}"),
                "description": p.description,
            }
            for p in cfg.params
        ],
        "timeout": cfg.timeout,
        "retries": cfg.retry.retries,
    }


@blp.route("/tasks")
class TaskConfigs(MethodView):
    @require(Role.READER)
    @blp.response(200, s.TaskConfigList)
    def get(self) -> dict[str, Any]:
        """List the task configs"""
        configs = [_describe(c) for c in ctx().registry.tasks.values()]
        return {"results": configs, "total": len(configs)}


@blp.route("/tasks/<config_id>")
class TaskConfigItem(MethodView):
    @require(Role.READER)
    @blp.response(200, s.TaskConfigOnly)
    @blp.alt_response(404, description="No task config has this id")
    def get(self, config_id: str) -> dict[str, Any]:
        """Get one task config"""
        return {"config": _describe(task_config(ctx(), config_id))}
