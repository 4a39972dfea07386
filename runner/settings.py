"""Settings: defaults, then a TOML settings file, then RUNNER_* environment variables.

The settings file is `RUNNER_SETTINGS` if set, else `runner.toml` in the working directory
if it exists. Its keys are the setting names in lower case (`database_url = "..."`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from runner.errors import InvalidInput


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    config: str = "configs"
    database_url: str = "sqlite:///var/runner.db"
    storage_dir: str = "var/data"
    host: str = "127.0.0.1"
    port: int = 5000
    # None means one worker process per core.
    workers: int | None = None
    admin_token: str | None = None
    # "local" (worker processes) or "inline" (in the server's own thread; tests only).
    executor: str = "local"
    # Largest request body accepted, in bytes (413 beyond).
    max_content_length: int = 16 * 1024 * 1024
    # Largest page a list endpoint returns.
    page_limit_max: int = 1000
    # Web server threads. Few is faster: the work is CPU-bound under one GIL, so more
    # threads only interleave requests (waitress queues the rest, in order).
    threads: int = 4
    # Run the scheduler inside the server (turn off where `runner scheduler` runs apart).
    scheduler: bool = True

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **values)


_INT_FIELDS = {"port", "workers", "max_content_length", "page_limit_max", "threads"}


_BOOL_FIELDS = {"scheduler"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, value: Any, source: str) -> Any:
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise InvalidInput(f"{source}: {name} must be true or false, got {value!r}")
    if name in _INT_FIELDS:
        if value in ("", None) and name == "workers":
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{source}: {name} must be an integer, got {value!r}") from None
        if number < 1 or (name == "port" and number > 65535):
            raise InvalidInput(f"{source}: {name} is out of range: {number}")
        return number
    if not isinstance(value, str):
        raise InvalidInput(f"{source}: {name} must be a string, got {value!r}")
    if name == "executor" and value not in ("local", "inline"):
        raise InvalidInput(f"{source}: executor must be 'local' or 'inline', got {value!r}")
    return value


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    env = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}

    settings_file = env.get("RUNNER_SETTINGS") or ("runner.toml" if Path("runner.toml").is_file() else None)
    if settings_file:
        try:
            with open(settings_file, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"settings file {settings_file}: {exc}") from None
        for key, value in data.items():
            if key not in names:
                raise InvalidInput(f"settings file {settings_file}: unknown setting {key!r}")
            values[key] = _coerce(key, value, f"settings file {settings_file}")

    for name in names:
        raw = env.get(f"RUNNER_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, raw, f"RUNNER_{name.upper()}")

    for key, value in overrides.items():
        if key not in names:
            raise InvalidInput(f"unknown setting {key!r}")
        values[key] = value
    return Settings(**values)
