"""Use cases of data nodes: create them for a task, read and write their data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from runner.config.models import DataNodeConfig, Scope, StorageType
from runner.datanodes import storage
from runner.domain.clock import utcnow
from runner.domain.entities import DataNode
from runner.domain.ids import Prefix, new_id
from runner.errors import InvalidInput, NotFound, RaceLost, StorageError
from runner.services.context import Context
from runner.store.repositories import Page

_EXTENSIONS = {StorageType.PICKLE: "p", StorageType.JSON: "json", StorageType.CSV: "csv"}


T = TypeVar("T")


def retrying_races(create: Callable[[], T], tries: int = 3) -> T:
    """Run `create`, again when another request made the same shared data node first.

    The next try finds that node and reuses it; after `tries` losses the RaceLost goes up.
    """
    for attempt in range(tries):
        try:
            return create()
        except RaceLost:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def share_key(cfg: DataNodeConfig, cycle: str | None) -> str | None:
    """Instances of GLOBAL data nodes are shared by all, CYCLE ones by a cycle's scenarios.

    A task created on its own, or a scenario without a frequency, has no cycle: there a
    CYCLE data node behaves like a SCENARIO one and belongs to its owner.
    """
    if cfg.scope is Scope.GLOBAL:
        return "GLOBAL"
    if cfg.scope is Scope.CYCLE and cycle is not None:
        return f"CYCLE:{cycle}"
    return None


def instantiate(
    ctx: Context, config_ids: Iterable[str], owner_id: str, cycle: str | None, now: datetime
) -> tuple[dict[str, str], list[tuple[DataNode, str | None]]]:
    """Data node instances for configs: existing shared ones reused, the rest made and seeded.

    Returns the instance id of each config id, and the new instances with their share keys
    (for the caller to insert in the same transaction as their owner).
    """
    ids: dict[str, str] = {}
    fresh: list[tuple[DataNode, str | None]] = []
    for config_id in dict.fromkeys(config_ids):
        cfg = ctx.registry.data_nodes[config_id]
        key = share_key(cfg, cycle)
        existing = ctx.store.find_shared_data_node(cfg.id, key) if key else None
        if existing is not None:
            ids[config_id] = existing.id
            continue
        dn = new_data_node(ctx, cfg, owner_id, now)
        seed(ctx, dn, cfg)
        fresh.append((dn, key))
        ids[config_id] = dn.id
    return ids, fresh


def new_data_node(ctx: Context, cfg: DataNodeConfig, owner_id: str | None, now: datetime) -> DataNode:
    dn_id = new_id(Prefix.DATANODE, cfg.id)
    path: str | None = None
    if cfg.storage_type is not StorageType.IN_MEMORY:
        if cfg.default_path:
            path = str(Path(ctx.settings.storage_dir) / cfg.default_path)
        else:
            folder = Path(ctx.settings.storage_dir) / f"{cfg.storage_type}s"
            path = str(folder / f"{dn_id}.{_EXTENSIONS[cfg.storage_type]}")
    return DataNode(
        id=dn_id,
        config_id=cfg.id,
        storage_type=cfg.storage_type.value,
        scope=cfg.scope.value,
        owner_id=owner_id if share_key(cfg, None) is None else None,
        path=path,
        options=dict(cfg.options),
        validity_period=cfg.validity_period.total_seconds() if cfg.validity_period else None,
        created_at=now,
        updated_at=now,
    )


def seed(ctx: Context, dn: DataNode, cfg: DataNodeConfig) -> None:
    """Give a new data node its first value: the config's default data, or an existing file."""
    if cfg.has_default_data:
        _store_value(ctx, dn, cfg.default_data)
        dn.last_edit_date = dn.created_at
    elif dn.path and os.path.exists(dn.path):
        dn.last_edit_date = datetime.fromtimestamp(os.path.getmtime(dn.path), UTC)


def _store_value(ctx: Context, dn: DataNode, value: Any) -> None:
    if dn.storage_type == StorageType.IN_MEMORY:
        ctx.memory.put(dn.id, value)
    else:
        assert dn.path is not None
        storage.write(dn.storage_type, dn.path, value, dn.options)


def get_data_node(ctx: Context, dn_id: str) -> DataNode:
    dn = ctx.store.get_data_node(dn_id)
    if dn is None:
        raise NotFound(f"no data node has the id {dn_id!r}")
    return dn


def list_data_nodes(ctx: Context, page: Page, config_id: str | None) -> tuple[list[DataNode], int]:
    return ctx.store.list_data_nodes(page, config_id)


def read_data(ctx: Context, dn_id: str) -> Any:
    dn = get_data_node(ctx, dn_id)
    if not dn.is_written:
        raise NotFound(f"data node {dn_id} has never been written")
    if dn.storage_type == StorageType.IN_MEMORY:
        if not ctx.memory.has(dn_id):
            raise NotFound(f"in_memory data node {dn_id} holds no value (in_memory values do not survive a restart)")
        return ctx.memory.get(dn_id)
    assert dn.path is not None
    return storage.read(dn.storage_type, dn.path, dn.options)


def write_data(ctx: Context, dn_id: str, value: Any) -> DataNode:
    """Write a value: atomically on disk, then recorded, then the orchestrator is told."""
    dn = get_data_node(ctx, dn_id)
    try:
        _store_value(ctx, dn, value)
    except StorageError as exc:
        raise InvalidInput(exc.detail) from None
    now = utcnow()
    ctx.store.mark_written([(dn_id, now, None)])
    ctx.orchestrator.notify_written([dn_id], now)
    return get_data_node(ctx, dn_id)
