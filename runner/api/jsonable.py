"""Turn a data node's Python value into JSON, or say precisely why it cannot be."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from runner.errors import StorageError


def jsonable(value: Any, where: str = "data") -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StorageError(f"{where} is {value}, which JSON cannot represent")
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    raise StorageError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which cannot be served as JSON; "
        "read it from a task instead"
    )
