"""Use cases of data nodes: create them for a task, read and write their data."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.config.models import DataNodeConfig, Scope, StorageType
from runner.datanodes import storage
from runner.domain.clock import utcnow
from runner.domain.entities import DataNode
from runner.domain.ids import Prefix, new_id
from runner.errors import InvalidInput, NotFound, StorageError
from runner.services.context import Context
from runner.store.repositories import Page

_EXTENSIONS = {StorageType.PICKLE: "p", StorageType.JSON: "json", StorageType.CSV: "csv"}


def share_key(cfg: DataNodeConfig) -> str | None:
    """Instances of GLOBAL data nodes are shared; the others belong to their owner.

    CYCLE scope shares an instance per cycle of a scenario's frequency; a task created on
    its own has no cycle, so there it behaves like SCENARIO scope.
    """
    return "GLOBAL" if cfg.scope is Scope.GLOBAL else None


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
        owner_id=None if cfg.scope is Scope.GLOBAL else owner_id,
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
