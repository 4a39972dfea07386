"""Capture what a job says: its `logging` records, its stdout and stderr, its progress.

Entries are buffered and handed to a sink in small batches, so a chatty function costs one
pipe message per batch rather than one per line.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from runner import context

# (level, msg, status_percent, unix timestamp)
Entry = tuple[str, str, float | None, float]
Sink = Callable[[list[Entry]], None]

MAX_LINE = 10_000
FLUSH_SECONDS = 0.2


class _Buffer:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.entries: list[Entry] = []
        self.last_flush = time.monotonic()
        self.lock = threading.Lock()

    def add(self, level: str, msg: str, percent: float | None = None) -> None:
        with self.lock:
            self.entries.append((level, msg[:MAX_LINE], percent, time.time()))
            urgent = percent is not None or time.monotonic() - self.last_flush > FLUSH_SECONDS
        if urgent:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            entries, self.entries = self.entries, []
            self.last_flush = time.monotonic()
        if entries:
            self.sink(entries)


class _Stream(io.TextIOBase):
    def __init__(self, buffer: _Buffer, level: str) -> None:
        self.buffer_ = buffer
        self.level = level
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self.buffer_.add(self.level, line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.buffer_.add(self.level, self.pending)
            self.pending = ""


class _Handler(logging.Handler):
    def __init__(self, buffer: _Buffer) -> None:
        super().__init__(logging.DEBUG)
        self.buffer_ = buffer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.buffer_.add(record.levelname.lower(), self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break the job
            self.handleError(record)


@contextmanager
def captured(job_id: str, sink: Sink) -> Iterator[None]:
    buffer = _Buffer(sink)
    handler = _Handler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    out, err = _Stream(buffer, "stdout"), _Stream(buffer, "stderr")
    saved: tuple[TextIO, TextIO] = (sys.stdout, sys.stderr)
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    context._bind(job_id, lambda level, msg, pct: buffer.add(level, msg, pct))
    try:
        yield
    finally:
        context._bind(None, None)
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = saved
        root.removeHandler(handler)
        root.setLevel(old_level)
        buffer.flush()
