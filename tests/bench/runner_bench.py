"""runner's half of the benchmark: each command prints one JSON object on its last line.

Every figure is taken on the product path: the service layer that the REST API calls, state
persisted in SQLite, jobs run by the local process executor (worker processes).

    python -m tests.bench.runner_bench independent --n 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from runner import create_app, shutdown
from runner.settings import Settings
from tests.bench import workloads


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Runner:
    """A runner app in this process, with a way to wait for one submission to end."""

    def __init__(self, config: Path, workdir: Path, workers: int) -> None:
        self.app = create_app(
            Settings(
                config=str(config),
                database_url=f"sqlite:///{workdir / 'runner.db'}",
                storage_dir=str(workdir / "data"),
                workers=workers,
                scheduler=False,
            )
        )
        self.ctx = self.app.extensions["runner"]
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.ctx.orchestrator.on_finished.append(self._finished)

    def _finished(self, ids: list[str]) -> None:
        with self._lock:
            for sub_id in ids:
                self._done.setdefault(sub_id, threading.Event()).set()

    def event(self, submission_id: str) -> threading.Event:
        with self._lock:
            return self._done.setdefault(submission_id, threading.Event())

    def wait(self, submission_id: str, timeout: float = 600) -> None:
        if not self.event(submission_id).wait(timeout):
            raise TimeoutError(f"submission {submission_id} did not finish in {timeout}s")

    def close(self) -> None:
        shutdown(self.app)


def _scenario_runs(shape: str, n: int, repeat: int, workers: int) -> dict[str, Any]:
    from runner.services import scenarios

    workdir = Path(tempfile.mkdtemp(prefix=f"runner-bench-{shape}-"))
    config = workloads.scenario_config(workdir / "config", n, shape)
    bench = Runner(config, workdir, workers)
    runs, creates, statuses = [], [], []
    try:
        warm = scenarios.create_scenario(bench.ctx, "bench")  # workers up, caches warm
        bench.wait(scenarios.submit_scenario(bench.ctx, warm.id).id)
        for _ in range(repeat):
            t0 = time.perf_counter()
            scenario = scenarios.create_scenario(bench.ctx, "bench")
            t1 = time.perf_counter()
            submission = scenarios.submit_scenario(bench.ctx, scenario.id)
            bench.wait(submission.id)
            t2 = time.perf_counter()
            creates.append(t1 - t0)
            runs.append(t2 - t1)
            statuses.append(bench.ctx.store.get_submission(submission.id).status.value)
        from runner.store.db import durability

        return {
            "command": shape,
            "n": n,
            "workers": workers,
            "runs": runs,
            "jobs_per_second": [n / r for r in runs],
            "create_seconds": creates,
            "statuses": statuses,
            "durability": durability(bench.ctx.store.engine),
            "note": "submit (jobs persisted) until the submission is final with every job state persisted",
        }
    finally:
        bench.close()


def latency(count: int, workers: int) -> dict[str, Any]:
    from runner.services import tasks

    workdir = Path(tempfile.mkdtemp(prefix="runner-bench-latency-"))
    bench = Runner(workloads.single_task_config(workdir / "config"), workdir, workers)
    samples = []
    try:
        task = tasks.create_task(bench.ctx, "noop")
        for i in range(count + 10):
            t0 = time.perf_counter()
            submission = tasks.submit_task(bench.ctx, task.id)
            bench.wait(submission.id, 60)
            if i >= 10:  # the first ones warm the workers up
                samples.append(time.perf_counter() - t0)
    finally:
        bench.close()
    ordered = sorted(samples)
    return {
        "command": "latency",
        "samples": samples,
        "median": statistics.median(samples),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "note": "service-layer submit until the orchestrator has persisted the final status",
    }


def config(n: int, repeat: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="runner-bench-config-"))
    path = workloads.task_configs(workdir, n)
    code = (
        "import time,sys;t=time.perf_counter();from runner.config import load_registry;"
        f"r=load_registry({str(path)!r});print(time.perf_counter()-t, len(r.tasks))"
    )
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        assert int(out[1]) == n
        runs.append(float(out[0]))
    return {"command": "config", "n": n, "runs": runs, "note": "fresh interpreter; import of runner.config, load, every check"}


def memory(checkpoints: list[int], workers: int, batch: int) -> dict[str, Any]:
    from runner.services import scenarios

    workdir = Path(tempfile.mkdtemp(prefix="runner-bench-memory-"))
    bench = Runner(workloads.scenario_config(workdir / "config", batch, "independent"), workdir, workers)
    try:
        warm = scenarios.create_scenario(bench.ctx, "bench")
        bench.wait(scenarios.submit_scenario(bench.ctx, warm.id).id)
        gc.collect()
        base = _rss_kib()
        out: dict[str, Any] = {"command": "memory", "baseline_kib": base, "points": []}
        done = 0
        for target in checkpoints:
            while done < target:
                scenario = scenarios.create_scenario(bench.ctx, "bench")
                bench.wait(scenarios.submit_scenario(bench.ctx, scenario.id).id)
                done += batch
            gc.collect()
            rss = _rss_kib()
            out["points"].append(
                {"jobs": done, "rss_kib": rss, "growth_kib": rss - base, "bytes_per_job": (rss - base) * 1024 / done}
            )
        return out
    finally:
        bench.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for shape in ("independent", "chain"):
        p = sub.add_parser(shape)
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--repeat", type=int, default=3)
        p.add_argument("--workers", type=int, default=2)
    p = sub.add_parser("latency")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--workers", type=int, default=2)
    p = sub.add_parser("config")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=5)
    p = sub.add_parser("memory")
    p.add_argument("--jobs", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.command in ("independent", "chain"):
        result = _scenario_runs(args.command, args.n, args.repeat, args.workers)
    elif args.command == "latency":
        result = latency(args.count, args.workers)
    elif args.command == "config":
        result = config(args.n, args.repeat)
    else:
        result = memory(args.jobs, args.workers, args.batch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
