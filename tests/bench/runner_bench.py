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
            _, submission = tasks.submit_task(bench.ctx, task.id)
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
    # What `runner validate` costs: a fresh interpreter that imports, loads and checks.
    code = (
        "import time;from runner.config import load_registry;"
        f"t=time.perf_counter();r=load_registry({str(path)!r});print(time.perf_counter()-t, len(r.tasks))"
    )
    runs, in_process = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        runs.append(time.perf_counter() - started)
        assert int(out[1]) == n
        in_process.append(float(out[0]))
    return {
        "command": "config",
        "n": n,
        "runs": runs,
        "in_process": in_process,
        "note": "runs: a whole fresh process (start, import, load, every check), as `runner validate`; "
        "in_process: load_registry alone",
    }


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


REST_TOKEN = "bench-admin-token-for-loopback-only-0123456789"
REST_OPS = ("get_task", "list_tasks", "create_task", "submit_task")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_json(port: int, path: str) -> Any:
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {REST_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def rest(tasks_total: int, seconds: float, max_requests: int, concurrencies: list[int], repeat: int = 1) -> dict[str, Any]:
    """`runner serve` in its own process, driven over loopback by tests.bench.loadgen."""
    import os
    import signal

    from runner.services import scenarios
    from tests.bench.loadgen import repeated, run_phase

    workdir = Path(tempfile.mkdtemp(prefix="runner-bench-rest-"))
    config = workloads.scenario_config(workdir / "config", tasks_total, "independent")
    # The tasks to read, list and submit: one scenario of them, made before the server starts.
    setup = Runner(config, workdir, workers=1)
    task_ids = scenarios.create_scenario(setup.ctx, "bench").task_ids
    setup.close()

    port = _free_port()
    env = {
        **os.environ,
        "RUNNER_CONFIG": str(config),
        "RUNNER_DATABASE_URL": f"sqlite:///{workdir / 'runner.db'}",
        "RUNNER_STORAGE_DIR": str(workdir / "data"),
        "RUNNER_PORT": str(port),
        "RUNNER_ADMIN_TOKEN": REST_TOKEN,
        "RUNNER_SCHEDULER": "false",
    }
    runner_cli = Path(sys.executable).parent / "runner"
    log = open(workdir / "server.log", "wb")
    server = subprocess.Popen([str(runner_cli), "serve"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get_json(port, "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "server.log").read_text()) from None
                time.sleep(0.2)
        makers = {
            "get_task": lambda r: ("GET", f"/api/v1/tasks/{r.choice(task_ids)}", None),
            "list_tasks": lambda r: ("GET", f"/api/v1/tasks?limit=100&offset={r.randrange(0, tasks_total - 100)}", None),
            "create_task": lambda r: ("POST", "/api/v1/tasks?config_id=t0", None),
            "submit_task": lambda r: ("POST", f"/api/v1/tasks/submit/{r.choice(task_ids)}", None),
        }
        headers = {"Authorization": f"Bearer {REST_TOKEN}"}
        phases: dict[str, Any] = {}
        for op in REST_OPS:
            for concurrency in concurrencies:
                results = []
                for _ in range(repeat):
                    results.append(run_phase(port, makers[op], concurrency, seconds, max_requests, headers))
                    if op == "submit_task":
                        _drain(port)
                phases[f"{op}@{concurrency}"] = repeated(results)
        return {
            "command": "rest",
            "tasks_total": tasks_total,
            "phases": phases,
            "note": "runner serve (waitress, SQLite, local workers) in its own process; "
            "a keep-alive Python client on loopback; a bearer token on every request",
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _drain(port: int, timeout: float = 300) -> None:
    """Wait until the jobs that a submit phase queued have all run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = sum(
            _get_json(port, f"/api/v1/jobs?status={status}&limit=1")["total"]
            for status in ("SUBMITTED", "PENDING", "RUNNING", "BLOCKED")
        )
        if busy == 0:
            return
        time.sleep(0.2)
    raise TimeoutError("the server did not drain its queued jobs")


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
    p = sub.add_parser("rest")
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--max-requests", type=int, default=20_000)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    p.add_argument("--repeat", type=int, default=1)
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
    elif args.command == "rest":
        result = rest(args.tasks, args.seconds, args.max_requests, args.concurrency, args.repeat)
    else:
        result = memory(args.jobs, args.workers, args.batch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
