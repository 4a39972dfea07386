"""A bounded HTTP load generator on loopback: N threads with keep-alive connections.

Each phase stops at its time limit or its request budget, whichever comes first, and
reports requests per second and latency percentiles. Only 127.0.0.1 is ever a target.
"""

from __future__ import annotations

import http.client
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# (method, path, body bytes or None)
Request = tuple[str, str, bytes | None]


@dataclass(frozen=True)
class PhaseResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else None

        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": self.seconds,
            "rps": self.requests / self.seconds if self.seconds else 0.0,
            "p50": pct(0.50),
            "p99": pct(0.99),
        }


def run_phase(
    port: int,
    make: Callable[[random.Random], Request],
    concurrency: int,
    seconds: float,
    max_requests: int,
    headers: dict[str, str] | None = None,
) -> PhaseResult:
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    budget = [max_requests]
    latencies: list[float] = []
    errors = [0]
    first_error: list[str] = []

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        try:
            while time.perf_counter() < deadline and take():
                method, path, body = make(rng)
                hdrs = dict(headers or {})
                if body is not None:
                    hdrs["Content-Type"] = "application/json"
                t0 = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=hdrs)
                    response = conn.getresponse()
                    payload = response.read()
                    ok = 200 <= response.status < 300
                except (OSError, http.client.HTTPException) as exc:
                    ok, payload = False, str(exc).encode()
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                mine.append(time.perf_counter() - t0)
                if not ok:
                    with lock:
                        errors[0] += 1
                        if not first_error:
                            first_error.append(f"{method} {path}: {payload[:300]!r}")
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if first_error:
        print(f"loadgen: first error: {first_error[0]}", flush=True, file=sys.stderr)
    return PhaseResult(requests=len(latencies), errors=errors[0], seconds=elapsed, latencies=latencies)


def repeated(results: list[PhaseResult]) -> dict[str, Any]:
    """Several runs of one phase: the median run's figures, plus every run's requests per second."""
    summaries = sorted((r.summary() for r in results), key=lambda x: x["rps"])
    middle = dict(summaries[len(summaries) // 2])
    middle["rps_runs"] = [x["rps"] for x in summaries]
    middle["errors"] = sum(x["errors"] for x in summaries)
    return middle
