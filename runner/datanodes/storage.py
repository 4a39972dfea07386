"""Storage formats behind one small protocol, with atomic writes.

A write goes to a temporary file in the target's directory and is renamed over the target:
a reader sees the old value or the new one, never half of one, and a writer killed midway
leaves the old value in place.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Protocol

from runner.errors import StorageError


class Storage(Protocol):
    extension: str

    def dumps(self, value: Any, options: dict[str, Any]) -> bytes: ...

    def loads(self, raw: bytes, options: dict[str, Any]) -> Any: ...


class PickleStorage:
    extension = "p"

    def dumps(self, value: Any, options: dict[str, Any]) -> bytes:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def loads(self, raw: bytes, options: dict[str, Any]) -> Any:
        return pickle.loads(raw)


class JsonStorage:
    extension = "json"

    def dumps(self, value: Any, options: dict[str, Any]) -> bytes:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).encode(options.get("encoding", "utf-8"))

    def loads(self, raw: bytes, options: dict[str, Any]) -> Any:
        return json.loads(raw.decode(options.get("encoding", "utf-8")))


class CsvStorage:
    """Rows as a list of dicts (with a header, the default) or a list of lists (without)."""

    extension = "csv"

    def dumps(self, value: Any, options: dict[str, Any]) -> bytes:
        if not isinstance(value, list | tuple):
            raise TypeError(f"a csv data node takes a list of rows, got {type(value).__name__}")
        out = io.StringIO()
        rows = list(value)
        if options.get("has_header", True):
            if rows and not all(isinstance(r, dict) for r in rows):
                raise TypeError("a csv data node with a header takes a list of dicts")
            fieldnames: list[str] = []
            for row in rows:
                fieldnames.extend(k for k in row if k not in fieldnames)
            writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode(options.get("encoding", "utf-8"))

    def loads(self, raw: bytes, options: dict[str, Any]) -> Any:
        text = io.StringIO(raw.decode(options.get("encoding", "utf-8")), newline="")
        if options.get("has_header", True):
            return [dict(row) for row in csv.DictReader(text)]
        return [list(row) for row in csv.reader(text)]


STORAGES: dict[str, Storage] = {"pickle": PickleStorage(), "json": JsonStorage(), "csv": CsvStorage()}


def encode(storage_type: str, value: Any, options: dict[str, Any]) -> bytes:
    """Serialise, turning any failure into a StorageError that says what could not be written."""
    try:
        return STORAGES[storage_type].dumps(value, options)
    except Exception as exc:  # noqa: BLE001 - the user's value can fail in any way
        raise StorageError(
            f"cannot write a {type(value).__name__} to a {storage_type} data node: {type(exc).__name__}: {exc}"
        ) from exc


def write_atomic(path: str, raw: bytes) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write(storage_type: str, path: str, value: Any, options: dict[str, Any]) -> None:
    write_atomic(path, encode(storage_type, value, options))


def read(storage_type: str, path: str, options: dict[str, Any]) -> Any:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise StorageError(f"the file {path} of this data node does not exist") from None
    try:
        return STORAGES[storage_type].loads(raw, options)
    except Exception as exc:  # noqa: BLE001
        raise StorageError(f"cannot read {path} as {storage_type}: {type(exc).__name__}: {exc}") from exc
