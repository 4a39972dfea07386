"""What every use case needs, wired once by runner.create_app."""

from __future__ import annotations

from dataclasses import dataclass

from runner.config.registry import Registry
from runner.orchestrator.memory import InMemoryData
from runner.orchestrator.orchestrator import Orchestrator
from runner.settings import Settings
from runner.store.repositories import Store


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    settings: Settings
    registry: Registry
    store: Store
    memory: InMemoryData
    orchestrator: Orchestrator
