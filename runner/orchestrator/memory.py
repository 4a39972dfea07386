"""Values of in_memory data nodes. They live in the server process and die with it."""

from __future__ import annotations

import threading
from typing import Any

from runner.errors import StorageError


class InMemoryData:
    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def put(self, dn_id: str, value: Any) -> None:
        with self._lock:
            self._values[dn_id] = value

    def get(self, dn_id: str) -> Any:
        with self._lock:
            try:
                return self._values[dn_id]
            except KeyError:
                raise StorageError(
                    f"in_memory data node {dn_id} holds no value (in_memory values do not survive a restart)"
                ) from None

    def has(self, dn_id: str) -> bool:
        with self._lock:
            return dn_id in self._values

    def discard(self, dn_id: str) -> None:
        with self._lock:
            self._values.pop(dn_id, None)
