"""Storage formats round-trip, and a reader never sees half a write."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from runner.datanodes import storage
from runner.errors import StorageError


@pytest.mark.parametrize(
    ("kind", "value", "options"),
    [
        ("pickle", {"a": (1, 2), "b": {3}}, {}),
        ("json", {"a": [1, 2.5, None, "é"]}, {}),
        ("csv", [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}], {"has_header": True}),
        ("csv", [["1", "x"], ["2", "y"]], {"has_header": False}),
    ],
)
def test_round_trip(tmp_path: Path, kind: str, value: object, options: dict) -> None:
    path = str(tmp_path / f"node.{kind}")
    storage.write(kind, path, value, options)
    assert storage.read(kind, path, options) == value


def test_a_value_the_format_cannot_hold_is_a_clear_error_and_keeps_the_old_value(tmp_path: Path) -> None:
    path = str(tmp_path / "node.json")
    storage.write("json", path, [1], {})
    with pytest.raises(StorageError, match="cannot write a set to a json data node"):
        storage.write("json", path, {1, 2}, {})
    assert storage.read("json", path, {}) == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["node.json"]  # no temporary file left behind


def test_a_reader_never_sees_a_half_written_file(tmp_path: Path) -> None:
    path = str(tmp_path / "big.json")
    values = [[i] * 200_000 for i in range(2)]
    storage.write("json", path, values[0], {})
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            storage.write("json", path, values[i % 2], {})
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(200):
            got = storage.read("json", path, {})
            assert got in values
    finally:
        stop.set()
        thread.join()


def test_reading_a_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        storage.read("pickle", str(tmp_path / "nope.p"), {})
