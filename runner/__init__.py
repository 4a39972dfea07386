"""runner: a config-driven workflow runner.

`create_app` is the one place where the parts are wired together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.settings import Settings, load_settings

if TYPE_CHECKING:  # flask stays out of worker processes, which import this package too
    from flask import Flask

    from runner.config.registry import Registry

__all__ = ["create_app", "shutdown", "Settings", "load_settings"]


def create_app(settings: Settings | None = None, *, registry: Registry | None = None, start: bool = True) -> Flask:
    """Build the application. With start=True the orchestrator and its workers run too."""
    from flask import Flask

    from runner import api
    from runner.config import load_registry
    from runner.config.functions import ensure_module_paths
    from runner.auth.tokens import hash_secret
    from runner.orchestrator.executors.inline import InlineExecutor
    from runner.orchestrator.executors.local import LocalExecutor
    from runner.orchestrator.memory import InMemoryData
    from runner.orchestrator.orchestrator import Orchestrator
    from runner.scheduler.service import Scheduler
    from runner.services.context import Context
    from runner.services.schedules import sync_from_config
    from runner.store import migrate
    from runner.store.db import make_engine
    from runner.store.repositories import Store

    settings = settings or load_settings()
    registry = registry or load_registry(settings.config)
    ensure_module_paths(registry.module_paths)

    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    store = Store(engine)
    memory = InMemoryData()
    workers = settings.workers or registry.job.max_workers or settings.worker_count
    executor = InlineExecutor() if settings.executor == "inline" else LocalExecutor(workers, registry.module_paths)
    orchestrator = Orchestrator(store, executor, memory, registry)

    app = Flask("runner", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.config["RUNNER_ADMIN_TOKEN_HASH"] = hash_secret(settings.admin_token) if settings.admin_token else None
    app.url_map.strict_slashes = False
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the schemas' field order
    app.extensions["runner"] = Context(
        settings=settings, registry=registry, store=store, memory=memory, orchestrator=orchestrator
    )
    api.init_app(app)
    ctx = app.extensions["runner"]
    sync_from_config(ctx)
    scheduler = Scheduler(ctx)
    app.extensions["runner.scheduler"] = scheduler
    if start:
        orchestrator.start()
        if settings.scheduler:
            scheduler.start()
    return app


def shutdown(app: Flask) -> None:
    """Stop the orchestrator and its workers, and close the database connections."""
    app.extensions["runner.scheduler"].stop()
    ctx = app.extensions["runner"]
    ctx.orchestrator.stop()
    ctx.store.engine.dispose()
