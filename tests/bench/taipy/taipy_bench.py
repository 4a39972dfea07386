"""Taipy half of the runner-vs-Taipy benchmark.

Run with the Python of a virtualenv holding only ``taipy==4.1.1``::

    <taipy-python> taipy_bench.py independent --n 100 --mode development --repeat 3
    <taipy-python> taipy_bench.py chain --n 100 --mode standalone --workers 2
    <taipy-python> taipy_bench.py latency --count 200 --mode development
    <taipy-python> taipy_bench.py config --n 1000 --repeat 3
    <taipy-python> taipy_bench.py serve-rest --port 5055 --scenarios 100
    <taipy-python> taipy_bench.py memory --jobs 10000 --mode development

Every command prints exactly one JSON object, on the last line of stdout (serve-rest prints it as
its only stdout line, before serving). Everything else, Taipy's own INFO logging included, goes to
stderr. Timings are time.perf_counter() seconds.

How it is organised: the command you run is a thin *parent* that never imports Taipy (except
serve-rest, which must serve from this very process). Each measured unit (one repeat, one latency
series, one config load, one memory run) runs in a *child*: this same file re-invoked with
``--child``. That buys three things:
  * a fresh interpreter per repeat, because Taipy's Config, Orchestrator and repositories are
    process-wide singletons with no supported reset;
  * interpreter start-up and ``import taipy`` are paid outside every timed section;
  * a hang cannot wedge the benchmark: the child has its own watchdog, and the parent kills the
    child's whole session (its standalone worker processes included) as a last resort.

Storage: each child chdirs into its own fresh directory before importing Taipy, so ``.taipy/`` and
``user_data/`` land there; the parent deletes the temporary root at the end (a root given with
``--workdir`` is kept for inspection).

This file imports nothing from ``runner``: it must run with only the standard library and taipy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

JsonDict = dict[str, Any]

NOOP_MODULE_NAME = "noop_tasks"
# Mirrors the runner side's no-op (tests/bench/workloads.py): any inputs, returns 1.
NOOP_MODULE_SOURCE = '''"""No-op task functions for the Taipy benchmark (standalone workers import them)."""


def noop(*inputs):
    return 1
'''

# Extra time a child may take beyond --timeout (imports, config building, entity creation,
# teardown) before the parent stops trusting its watchdog and kills it.
HARD_LIMIT_GRACE_SECONDS = 300.0

# A job status that cannot be read this many times in a row is a real error, not a race.
MAX_CONSECUTIVE_READ_ERRORS = 50

# The fd that receives the single JSON result; set by main() before stdout is redirected.
_RESULT_FD: int | None = None


# --------------------------------------------------------------------------------------------
# Output plumbing
# --------------------------------------------------------------------------------------------


def redirect_stdout_to_stderr() -> None:
    """Keep the real stdout for the JSON result only and send everything else to stderr.

    Taipy's logger writes INFO lines to sys.stdout, Flask prints a banner there and standalone
    worker processes inherit fd 1, so redirecting at the fd level is the only reliable way to
    keep "one JSON object on the last line of stdout".
    """
    global _RESULT_FD
    sys.stdout.flush()
    _RESULT_FD = os.dup(1)  # os.dup() fds are non-inheritable: workers never see it
    os.dup2(2, 1)


def emit(result: JsonDict) -> None:
    """Write the JSON result line to the saved stdout."""
    line = (json.dumps(result) + "\n").encode()
    if _RESULT_FD is None:
        sys.stdout.write(line.decode())
        sys.stdout.flush()
    else:
        os.write(_RESULT_FD, line)


def log(message: str) -> None:
    print(f"[taipy_bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Small helpers shared by parent and children
# --------------------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/status (VmRSS is in kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of samples <= it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def write_noop_module(directory: Path) -> None:
    (directory / f"{NOOP_MODULE_NAME}.py").write_text(NOOP_MODULE_SOURCE)


def enter_workdir(directory: Path) -> None:
    """Make `directory` the cwd and importable, before Taipy is imported.

    Taipy resolves `.taipy/` and `user_data/` against the cwd, and standalone workers (spawned)
    inherit the parent's cwd and sys.path, which is how they import noop_tasks.
    """
    directory.mkdir(parents=True, exist_ok=True)
    write_noop_module(directory)
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    # Orchestrator.run() parses sys.argv with Taipy's own argparse parser (parse_known_args, with
    # abbreviations allowed): our "--n 10" is an ambiguous prefix of its "--no-force" /
    # "--no-taipy-force" and would make Taipy exit. Taipy must see no arguments.
    del sys.argv[1:]


class Watchdog:
    """Reports a timeout and kills the child when a phase overruns.

    In development mode tp.submit() runs every job synchronously in the calling thread, so a
    stuck run can only be interrupted from another thread. On expiry it emits the partial result
    and SIGKILLs its own process group (the child is a session leader, so that takes the
    standalone worker processes with it); the parent then removes the files.
    """

    def __init__(self) -> None:
        self._timer: threading.Timer | None = None

    def arm(self, seconds: float, partial_result: Callable[[], JsonDict]) -> None:
        self.disarm()
        self._timer = threading.Timer(seconds, self._fire, args=(partial_result,))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @staticmethod
    def _fire(partial_result: Callable[[], JsonDict]) -> NoReturn:
        try:
            emit({**partial_result(), "timed_out": True})
        finally:
            kill_own_process_tree()


def kill_own_process_tree() -> NoReturn:
    if os.getpgrp() == os.getpid():  # we lead our own group: take the workers with us
        os.killpg(os.getpid(), signal.SIGKILL)
    import multiprocessing

    for worker in multiprocessing.active_children():
        worker.kill()
    os._exit(3)


# --------------------------------------------------------------------------------------------
# Taipy configuration builders (children only; taipy is imported lazily)
# --------------------------------------------------------------------------------------------


def configure_mode(mode: str, workers: int) -> None:
    from taipy import Config

    if mode == "standalone":
        Config.configure_job_executions(mode="standalone", max_nb_of_workers=workers)
    else:
        Config.configure_job_executions(mode="development")


def configure_scenario_shape(n: int, shape: str) -> Any:
    """A scenario config of n no-op tasks.

    "independent": every task reads the one shared input node `src` (default_data=1) and writes
    its own pickle node. "chain": task i reads task i-1's output, task 0 reads `src`.
    """
    import noop_tasks  # written into the workdir at runtime
    from taipy import Config

    source = Config.configure_data_node("src", default_data=1)
    outputs = [Config.configure_data_node(f"o{i}", storage_type="pickle") for i in range(n)]
    tasks = []
    for i in range(n):
        reads = source if shape == "independent" or i == 0 else outputs[i - 1]
        tasks.append(Config.configure_task(f"t{i}", noop_tasks.noop, input=reads, output=outputs[i]))
    return Config.configure_scenario("bench", task_configs=tasks)


def start_orchestrator() -> Any:
    from taipy import Orchestrator

    orchestrator = Orchestrator()
    orchestrator.run()
    return orchestrator


def stop_orchestrator(orchestrator: Any) -> None:
    # wait=True joins the dispatcher thread, whose exit shuts the standalone process pool down.
    orchestrator.stop(wait=True, timeout=60)


# --------------------------------------------------------------------------------------------
# Waiting for jobs
# --------------------------------------------------------------------------------------------


def wait_all_completed(jobs: list[Any], poll_interval: float) -> int:
    """Poll job statuses until every job is COMPLETED; return how many status reads failed.

    Not tp.submit(wait=True): in standalone mode Taipy's wait sleeps 0.5 s between checks
    (_Orchestrator._wait_until_job_finished), which would quantise every timing to 0.5 s, and in
    development mode it is a no-op. Each `job.status` read reloads the job from Taipy's
    filesystem repository, exactly as user code would see it. Jobs are checked in submission
    order and a finished one is never re-read, so a poll normally costs one repository read.

    A read can fail transiently: Taipy saves an entity with a plain Path.write_text (truncate,
    then write) from the dispatcher's callback thread, so a reader can meet a half-written JSON
    file. Taipy only retries an *empty* file (once, after 0.2 s); a truncated one raises out of
    `job.status`. Taipy's own wait loop swallows every exception; we retry too, but count the
    failures (reported as status_read_errors) and give up if they persist.
    """
    from taipy.core import Status

    failed = {Status.FAILED, Status.ABANDONED, Status.CANCELED, Status.SKIPPED}
    index, read_errors, consecutive = 0, 0, 0
    while index < len(jobs):
        try:
            status = jobs[index].status
            consecutive = 0
        except Exception as error:  # see docstring: transient repository reads
            read_errors, consecutive = read_errors + 1, consecutive + 1
            log(f"reading the status of {jobs[index].id} failed ({type(error).__name__}: {error}); retrying")
            if consecutive >= MAX_CONSECUTIVE_READ_ERRORS:
                raise
            time.sleep(poll_interval)
            continue
        if status == Status.COMPLETED:
            index += 1
        elif status in failed:
            raise RuntimeError(f"job {jobs[index].id} ended as {status}")
        else:
            time.sleep(poll_interval)
    return read_errors


# --------------------------------------------------------------------------------------------
# Child: one repeat of "independent" / "chain"
# --------------------------------------------------------------------------------------------


def child_scenario_run(args: argparse.Namespace) -> JsonDict:
    enter_workdir(Path(args.workdir))
    phase = {"name": "setup"}
    watchdog = Watchdog()
    watchdog.arm(args.timeout, lambda: {"phase": phase["name"]})

    import taipy as tp

    configure_mode(args.mode, args.workers)
    scenario_config = configure_scenario_shape(args.n, args.command)

    started = time.perf_counter()
    orchestrator = start_orchestrator()
    orchestrator_seconds = time.perf_counter() - started

    started = time.perf_counter()
    scenario = tp.create_scenario(scenario_config)
    create_seconds = time.perf_counter() - started

    phase["name"] = "run"
    watchdog.arm(args.timeout, lambda: {"phase": "run"})
    started = time.perf_counter()
    submission = tp.submit(scenario)
    submit_return_seconds = time.perf_counter() - started
    read_errors = wait_all_completed(submission.jobs, args.poll_interval)
    run_seconds = time.perf_counter() - started
    watchdog.disarm()

    job_count = len(submission.jobs)
    stop_orchestrator(orchestrator)
    if job_count != args.n:
        raise RuntimeError(f"expected {args.n} jobs, Taipy created {job_count}")
    return {
        "seconds": run_seconds,
        "create_seconds": create_seconds,
        "submit_return_seconds": submit_return_seconds,
        "orchestrator_start_seconds": orchestrator_seconds,
        "status_read_errors": read_errors,
    }


# --------------------------------------------------------------------------------------------
# Child: "latency"
# --------------------------------------------------------------------------------------------


def child_latency(args: argparse.Namespace) -> JsonDict:
    enter_workdir(Path(args.workdir))
    samples: list[float] = []
    watchdog = Watchdog()
    watchdog.arm(args.timeout, lambda: {"phase": "setup", "samples": list(samples)})

    import noop_tasks  # written into the workdir at runtime
    import taipy as tp
    from taipy import Config

    configure_mode(args.mode, args.workers)
    source = Config.configure_data_node("src", default_data=1)
    output = Config.configure_data_node("out", storage_type="pickle")
    task_config = Config.configure_task("noop", noop_tasks.noop, input=source, output=output)
    scenario_config = Config.configure_scenario("single", task_configs=[task_config])
    orchestrator = start_orchestrator()
    task = tp.create_scenario(scenario_config).tasks["noop"]

    read_errors = 0
    watchdog.arm(args.timeout, lambda: {"phase": "run", "samples": list(samples)})
    for _ in range(args.count):
        started = time.perf_counter()
        submission = tp.submit(task)
        read_errors += wait_all_completed(submission.jobs, args.poll_interval)
        samples.append(time.perf_counter() - started)
    watchdog.disarm()
    stop_orchestrator(orchestrator)
    return {"samples": samples, "status_read_errors": read_errors}


# --------------------------------------------------------------------------------------------
# Children: "config" (export once, then load + check per repeat)
# --------------------------------------------------------------------------------------------


def child_config_export(args: argparse.Namespace) -> JsonDict:
    """Build n task configs with Taipy's Python API and write them with Taipy's own exporter."""
    enter_workdir(Path(args.workdir))
    import noop_tasks  # written into the workdir at runtime
    from taipy import Config

    for i in range(args.n):
        source = Config.configure_data_node(f"in{i}", default_data=1)
        output = Config.configure_data_node(f"out{i}", storage_type="pickle")
        Config.configure_task(f"task{i}", noop_tasks.noop, input=source, output=output)
    path = Path(args.workdir) / "tasks.toml"
    Config.export(str(path))
    return {"path": str(path), "bytes": path.stat().st_size}


def child_config_load(args: argparse.Namespace) -> JsonDict:
    """Time Config.load + Config.check in a fresh interpreter (Config is a process singleton)."""
    enter_workdir(Path(args.workdir))
    from taipy import Config

    path = str(Path(args.workdir) / "tasks.toml")
    started = time.perf_counter()
    Config.load(path)
    loaded = time.perf_counter()
    try:
        collector = Config.check()
    except SystemExit as error:  # Config.check() exits on configuration errors
        raise RuntimeError(f"Config.check() rejected the exported config: {error}") from error
    finished = time.perf_counter()
    if len(Config.tasks) - 1 != args.n:  # Config.tasks includes the "default" section
        raise RuntimeError(f"loaded {len(Config.tasks) - 1} task configs, expected {args.n}")
    return {
        "seconds": finished - started,
        "load_seconds": loaded - started,
        "check_seconds": finished - loaded,
        "issues": {
            "errors": len(collector.errors),
            "warnings": len(collector.warnings),
            "infos": len(collector.infos),
        },
    }


# --------------------------------------------------------------------------------------------
# Child: "memory"
# --------------------------------------------------------------------------------------------


def child_memory(args: argparse.Namespace) -> JsonDict:
    enter_workdir(Path(args.workdir))
    progress: JsonDict = {"jobs_completed": 0, "rss_before_bytes": None, "curve": [], "status_read_errors": 0}
    started = time.perf_counter()

    def partial() -> JsonDict:
        return {
            **progress,
            "rss_after_bytes": rss_bytes(),
            "elapsed_seconds": time.perf_counter() - started,
        }

    watchdog = Watchdog()
    watchdog.arm(args.timeout, partial)

    import taipy as tp

    configure_mode(args.mode, args.workers)
    scenario_config = configure_scenario_shape(args.batch, "independent")
    orchestrator = start_orchestrator()
    # "Before" = Taipy imported, configured and its Orchestrator running, no entity created yet.
    progress["rss_before_bytes"] = rss_bytes()
    started = time.perf_counter()
    while progress["jobs_completed"] < args.jobs:
        scenario = tp.create_scenario(scenario_config)
        submission = tp.submit(scenario)
        progress["status_read_errors"] += wait_all_completed(submission.jobs, args.poll_interval)
        progress["jobs_completed"] += len(submission.jobs)
        progress["curve"].append(
            [progress["jobs_completed"], rss_bytes(), round(time.perf_counter() - started, 3)]
        )
    watchdog.disarm()
    result = partial()
    stop_orchestrator(orchestrator)
    return result


CHILDREN: dict[str, Callable[[argparse.Namespace], JsonDict]] = {
    "independent": child_scenario_run,
    "chain": child_scenario_run,
    "latency": child_latency,
    "memory": child_memory,
}


# --------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------


class ChildStopped(Exception):
    """A child that did not finish its unit: it timed out (partial result attached) or failed."""

    def __init__(self, partial: JsonDict, timed_out: bool) -> None:
        super().__init__("child timed out" if timed_out else partial.get("error", "child failed"))
        self.partial = partial
        self.timed_out = timed_out

    def record(self, output: JsonDict) -> JsonDict:
        """Note the stop in the command's output; return whatever partial result there is."""
        if self.timed_out:
            output["timed_out"] = True
            if "phase" in self.partial:
                output["timed_out_phase"] = self.partial["phase"]
        else:
            output["error"] = str(self)
        return self.partial


def run_child(args: argparse.Namespace, workdir: Path, role: str, hard_limit: float) -> JsonDict:
    """Run this script as a child for one measured unit and return its JSON result.

    The child leads its own session so that everything it starts (standalone worker processes)
    can be killed with one killpg, and is swept after it exits in case a worker outlived it.
    """
    # The parent's own argv is passed through: the last --workdir wins in argparse.
    argv = [sys.executable, os.path.abspath(__file__), *sys.argv[1:]]
    argv += ["--child", role, "--workdir", str(workdir)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True, text=True)
    try:
        stdout, _ = process.communicate(timeout=hard_limit)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        process.communicate()
        raise ChildStopped({"phase": "unknown (killed by the parent's hard limit)"}, timed_out=True) from None
    finally:
        kill_group(process.pid)
    lines = stdout.strip().splitlines()
    for line in lines[:-1]:  # should not happen, but never lose diagnostics
        log(f"child stdout: {line}")
    try:
        result: JsonDict = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if result.get("timed_out"):
        raise ChildStopped(result, timed_out=True)
    if process.returncode != 0 or not result or "error" in result:
        reason = result.get("error") or f"exit code {process.returncode}, no result (see stderr)"
        raise ChildStopped({"error": f"child {role}: {reason}"}, timed_out=False)
    return result


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def make_root(args: argparse.Namespace) -> tuple[Path, bool]:
    """Return the work root and whether we own it (and so must delete it)."""
    if args.workdir:
        root = Path(args.workdir).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return root, False
    return Path(tempfile.mkdtemp(prefix="taipy-bench-")), True


def scenario_note(args: argparse.Namespace) -> str:
    shape = (
        "every task reads one shared input node (default_data=1) and writes its own pickle node"
        if args.command == "independent"
        else "task i reads task i-1's pickle output, task 0 reads the input node"
    )
    workers = f", {args.workers} worker processes (spawn)" if args.mode == "standalone" else ""
    return (
        f"Taipy 4.1.1, {args.mode} mode{workers}; {args.n} no-op tasks in one scenario: {shape}. "
        "Each repeat runs in a fresh child interpreter with fresh storage. "
        "runs = perf_counter from just before tp.submit(scenario) until a poll of job.status "
        f"(every {args.poll_interval}s, one filesystem-repository read per poll) has seen all "
        "jobs COMPLETED; it includes the submit call, reading submission.jobs and the polling. "
        "tp.submit(wait=True) is not used: in standalone mode it sleeps 0.5 s between checks, "
        "in development mode submit already runs every job synchronously before returning. "
        "submit_return_seconds = the tp.submit() call alone. Excluded from runs: interpreter "
        "start-up, import taipy, config building, Orchestrator().run() "
        "(orchestrator_start_seconds) and tp.create_scenario() (create_seconds). "
        + (
            "Standalone workers are spawned lazily by Taipy's ProcessPoolExecutor on the first "
            "dispatch, so each run includes their start-up (no warm-up)."
            if args.mode == "standalone"
            else ""
        )
    ).rstrip()


PER_RUN_EXTRAS = (
    "create_seconds",
    "submit_return_seconds",
    "orchestrator_start_seconds",
    "status_read_errors",
)


def command_scenario(args: argparse.Namespace, root: Path) -> JsonDict:
    output: JsonDict = {
        "command": args.command,
        "n": args.n,
        "mode": args.mode,
        "workers": args.workers,
        "runs": [],
        "jobs_per_second": [],
        **{key: [] for key in PER_RUN_EXTRAS},
        "wait_method": "poll job.status",
        "poll_interval": args.poll_interval,
        "timed_out": False,
        "note": scenario_note(args),
    }
    for repeat in range(args.repeat):
        try:
            result = run_child(args, root / f"run{repeat}", "run", args.timeout + HARD_LIMIT_GRACE_SECONDS)
        except ChildStopped as stop:
            stop.record(output)
            break
        output["runs"].append(result["seconds"])
        output["jobs_per_second"].append(args.n / result["seconds"])
        for key in PER_RUN_EXTRAS:
            output[key].append(result[key])
        log(f"{args.command} repeat {repeat}: {result['seconds']:.3f}s")
    return output


def command_latency(args: argparse.Namespace, root: Path) -> JsonDict:
    output: JsonDict = {
        "command": "latency",
        "mode": args.mode,
        "workers": args.workers,
        "count": args.count,
        "wait_method": "poll job.status",
        "poll_interval": args.poll_interval,
        "timed_out": False,
        "note": (
            f"Taipy 4.1.1, {args.mode} mode; one task config (no-op, input node with default_data, "
            "pickle output) in one scenario, created once. Each sample = perf_counter from just "
            "before tp.submit(task) until a poll of the job's status (every "
            f"{args.poll_interval}s; each read reloads the job from Taipy's filesystem repository) "
            "sees COMPLETED. Samples are sequential, in submission order, first one included "
            "(no warm-up)"
            + (
                "; in standalone mode the first sample includes Taipy spawning a worker process."
                if args.mode == "standalone"
                else "."
            )
            + " Excluded: interpreter start-up, import, config, Orchestrator start, scenario creation."
        ),
    }
    try:
        result = run_child(args, root / "latency", "run", args.timeout + HARD_LIMIT_GRACE_SECONDS)
    except ChildStopped as stop:
        result = stop.record(output)
    samples = result.get("samples", [])
    output["samples"] = samples
    output["status_read_errors"] = result.get("status_read_errors")
    if samples:
        output.update(
            median=statistics.median(samples),
            p99=percentile(samples, 0.99),
            first=samples[0],
            mean=statistics.fmean(samples),
        )
    return output


def command_config(args: argparse.Namespace, root: Path) -> JsonDict:
    output: JsonDict = {
        "command": "config",
        "n": args.n,
        "runs": [],
        "load_seconds": [],
        "check_seconds": [],
        "process_wall_seconds": [],
        "timed_out": False,
        "note": (
            f"Taipy 4.1.1; a TOML of {args.n} task configs (each with its own input node, "
            "default_data=1, and pickle output node; function noop_tasks.noop; no scenario "
            "config), generated once by Taipy's Config.export in a separate child. Each run = "
            "Config.load(path) + Config.check() timed with perf_counter inside a fresh child "
            "interpreter per repeat (Config is a process-wide singleton); interpreter start-up and "
            "import taipy are excluded from runs; process_wall_seconds is, for reference only, the whole "
            "child process as seen by the parent (interpreter start + import taipy + load + check + "
            "exit). Building the same config with Config.configure_* is not timed (it takes seconds "
            "for 1000 tasks). Taipy logs its check issues at INFO/WARNING to stderr, "
            "which is part of check's cost."
        ),
    }
    hard_limit = args.timeout
    try:
        exported = run_child(args, root, "export", hard_limit)
        output["toml_bytes"] = exported["bytes"]
        for repeat in range(args.repeat):
            spawned = time.perf_counter()
            result = run_child(args, root, "load", hard_limit)
            output["process_wall_seconds"].append(time.perf_counter() - spawned)
            output["runs"].append(result["seconds"])
            output["load_seconds"].append(result["load_seconds"])
            output["check_seconds"].append(result["check_seconds"])
            output["check_issues"] = result["issues"]
            log(f"config repeat {repeat}: {result['seconds']:.3f}s")
    except ChildStopped as stop:
        stop.record(output)
    return output


def marginal_rss_per_job(curve: list[list[float]], after: int | None, done: int) -> float | None:
    """RSS growth per job after the first batch, which also pays one-off lazy imports/caches.

    Reported next to the plain (after - before) / jobs figure, not instead of it.
    """
    if not curve or after is None or done <= curve[0][0]:
        return None
    return (after - curve[0][1]) / (done - curve[0][0])


def command_memory(args: argparse.Namespace, root: Path) -> JsonDict:
    output: JsonDict = {
        "command": "memory",
        "jobs": args.jobs,
        "mode": args.mode,
        "workers": args.workers,
        "batch": args.batch,
        "timed_out": False,
    }
    try:
        result = run_child(args, root / "memory", "run", args.timeout + HARD_LIMIT_GRACE_SECONDS)
    except ChildStopped as stop:
        result = stop.record(output)
    done = result.get("jobs_completed", 0)
    before, after = result.get("rss_before_bytes"), result.get("rss_after_bytes")
    output.update(
        jobs_completed=done,
        elapsed_seconds=result.get("elapsed_seconds"),
        rss_before_bytes=before,
        rss_after_bytes=after,
        rss_per_job_bytes=(after - before) / done if done and before and after else None,
        rss_per_job_after_first_batch_bytes=marginal_rss_per_job(result.get("curve", []), after, done),
        curve=result.get("curve", []),
        status_read_errors=result.get("status_read_errors"),
        note=(
            f"Taipy 4.1.1, {args.mode} mode; repeatedly create a new scenario of {args.batch} "
            "independent no-op tasks, submit it and poll until all its jobs are COMPLETED, until "
            f"{args.jobs} jobs have completed or --timeout ({args.timeout}s) passes. RSS = VmRSS "
            "of the child process running Taipy (standalone worker processes not counted). "
            "before = after import, config and Orchestrator start, before any entity exists; "
            "after = when the target is reached (or at the timeout, mid-batch). "
            "rss_per_job = (after - before) / jobs_completed; rss_per_job_after_first_batch = growth "
            "from the end of the first batch, per later job. curve = [jobs, rss_bytes, seconds] "
            "after each batch; elapsed_seconds counts from the first batch."
        ),
    )
    return output


# --------------------------------------------------------------------------------------------
# serve-rest (in this process)
# --------------------------------------------------------------------------------------------

REST_BASE = "/api/v1"
# Taipy routes (taipy/rest/api/views.py) are declared with a trailing slash; the Flask app sets
# url_map.strict_slashes = False, so the slash-less form is served too, without a redirect.
REST_PATHS = {
    "get_task": REST_BASE + "/tasks/{id}/",
    "list_tasks": REST_BASE + "/tasks/",
    "create_task": REST_BASE + "/tasks/?config_id={config_id}",
    "submit_task": REST_BASE + "/tasks/submit/{id}/",
}
REST_METHODS = {"get_task": "GET", "list_tasks": "GET", "create_task": "POST", "submit_task": "POST"}


def http_opener() -> Any:
    """urllib opener that neither follows redirects (a redirect must show) nor uses a proxy."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


def http_call(opener: Any, method: str, url: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), b""


def check_rest_paths(port: int, task_id: str) -> tuple[JsonDict, bool | None]:
    """Hit each path once; return the HTTP statuses and whether "create" is idempotent.

    Side effects: POST create is called twice and POST submit runs one job.
    """
    opener = http_opener()
    base = f"http://127.0.0.1:{port}"
    statuses: JsonDict = {}
    for name, template in REST_PATHS.items():
        url = base + template.format(id=task_id, config_id="noop")
        statuses[name], _ = http_call(opener, REST_METHODS[name], url)
    slashless = base + REST_PATHS["get_task"].format(id=task_id).rstrip("/")
    statuses["get_task_without_trailing_slash"], _ = http_call(opener, "GET", slashless)
    # TaskList.post uses _bulk_get_or_create([config]) with no owner: a second call may hand back
    # the task made by the first instead of creating one. The driver should know what it times.
    created = []
    for _ in range(2):
        code, body = http_call(opener, "POST", base + REST_PATHS["create_task"].format(config_id="noop"))
        created.append(json.loads(body)["task"]["id"] if code == 201 else None)
    same = created[0] == created[1] if None not in created else None
    return statuses, same


def serve_rest_note(args: argparse.Namespace, statuses: JsonDict, create_reuses_task: bool | None) -> str:
    broken = {name: code for name, code in statuses.items() if code >= 300}
    return (
        "Taipy 4.1.1 taipy.rest app served by werkzeug make_server(threaded=True) in this process, "
        "development job mode, Orchestrator running, no auth. "
        f"{args.scenarios} scenarios (one task each) created before serving; the path check then "
        "POSTed create three times and submit once (one job ran). "
        + (
            "POST create with the same config_id returned the SAME task id each time (Taipy "
            "get-or-creates an owner-less task), so after the first call it is a lookup, not a "
            "creation. "
            if create_reuses_task
            else ""
        )
        + ("Per-request access log " + ("on." if args.access_log else "off."))
        + (f" Paths that did not answer 2xx: {broken}." if broken else " All paths answered 2xx.")
    )


def configure_rest_scenario() -> Any:
    """The `noop` task config inside a scenario config, development mode."""
    import noop_tasks  # written into the workdir at runtime
    from taipy import Config

    Config.configure_job_executions(mode="development")
    source = Config.configure_data_node("src", default_data=1)
    output = Config.configure_data_node("out", storage_type="pickle")
    task_config = Config.configure_task("noop", noop_tasks.noop, input=source, output=output)
    return Config.configure_scenario("single", task_configs=[task_config])


def command_serve_rest(args: argparse.Namespace, root: Path) -> None:
    """Serve Taipy's REST API from this process until SIGTERM/SIGINT.

    Uses werkzeug's make_server(threaded=True), which is what Rest.run() -> Flask.run() ->
    werkzeug.run_simple() builds, so that the paths can be checked from this process before the
    JSON line is printed and the server can be shut down cleanly on a signal.
    """
    import logging

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # early, so a signal during setup is clean too
        signal.signal(signum, lambda *_: stop.set())
    enter_workdir(root / "rest")
    import taipy as tp
    from taipy.rest import Rest
    from werkzeug.serving import make_server

    if not args.access_log:
        # One stderr line per request would cost the server time and could fill an unread pipe.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    orchestrator = None
    try:
        scenario_config = configure_rest_scenario()
        # Rest does not start the Orchestrator itself (tp.run(rest) would): without it a
        # submitted job is queued and never executed.
        orchestrator = start_orchestrator()
        task_ids = [tp.create_scenario(scenario_config).tasks["noop"].id for _ in range(args.scenarios)]
        server = make_server("127.0.0.1", args.port, Rest()._app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, name="rest-server", daemon=True)
        serving.start()
        try:
            statuses, create_reuses_task = check_rest_paths(args.port, task_ids[0])
            emit(
                {
                    "command": "serve-rest",
                    "port": args.port,
                    "base": REST_BASE,
                    "task_ids": task_ids,
                    "task_config_id": "noop",
                    "paths": REST_PATHS,
                    "methods": REST_METHODS,
                    "path_check_status": statuses,
                    "create_task_returns_existing": create_reuses_task,
                    "note": serve_rest_note(args, statuses, create_reuses_task),
                }
            )
            while not stop.wait(0.5):
                pass
        finally:
            server.shutdown()
            serving.join(timeout=30)
            server.server_close()
    finally:
        if orchestrator is not None:
            stop_orchestrator(orchestrator)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, poll_default: float | None = None) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--workdir", help="root for all files (kept); default: a temp dir, deleted")
        sub.add_argument("--timeout", type=positive_float, default=600.0)
        sub.add_argument("--child", choices=["run", "export", "load"], help=argparse.SUPPRESS)
        if poll_default is not None:
            sub.add_argument("--mode", choices=["development", "standalone"], default="development")
            sub.add_argument("--workers", type=int, default=2)
            sub.add_argument("--poll-interval", type=positive_float, default=poll_default)
        return sub

    for shape, n_default in (("independent", 100), ("chain", 100)):
        sub = add(shape, f"one scenario of N no-op tasks ({shape})", poll_default=0.005)
        sub.add_argument("--n", type=int, default=n_default)
        sub.add_argument("--repeat", type=int, default=1)
    sub = add("latency", "submit -> COMPLETED of one task, repeated", poll_default=0.0005)
    sub.add_argument("--count", type=int, default=200)
    sub = add("config", "Config.load + Config.check of N task configs")
    sub.add_argument("--n", type=int, default=1000)
    sub.add_argument("--repeat", type=int, default=1)
    sub = add("serve-rest", "serve Taipy's REST API until SIGTERM")
    sub.add_argument("--port", type=int, required=True)
    sub.add_argument("--scenarios", type=int, default=100)
    sub.add_argument("--access-log", action="store_true", help="keep werkzeug's per-request log")
    sub = add("memory", "RSS growth over many completed jobs", poll_default=0.005)
    sub.add_argument("--jobs", type=int, default=10000)
    sub.add_argument("--batch", type=int, default=100, help="tasks per scenario")
    return parser


def run_child_role(args: argparse.Namespace) -> None:
    handler: Callable[[argparse.Namespace], JsonDict]
    if args.command == "config":
        handler = child_config_export if args.child == "export" else child_config_load
    else:
        handler = CHILDREN[args.command]
    try:
        result = handler(args)
    except BaseException as error:  # noqa: BLE001 - SystemExit from Taipy too; the parent needs a reason
        import traceback

        traceback.print_exc()
        emit({"error": f"{type(error).__name__}: {error}"})
        kill_own_process_tree()  # no clean Orchestrator stop possible here: take the workers down
    emit(result)


COMMANDS: dict[str, Callable[[argparse.Namespace, Path], JsonDict]] = {
    "independent": command_scenario,
    "chain": command_scenario,
    "latency": command_latency,
    "config": command_config,
    "memory": command_memory,
}


def run_parent(args: argparse.Namespace) -> int:
    """Run a command; exit status 1 when its JSON carries an "error" (the JSON is still printed)."""
    root, owned = make_root(args)
    try:
        if args.command == "serve-rest":
            try:
                command_serve_rest(args, root)
            # The driver waits for a JSON line: give it the reason. SystemExit too, because
            # werkzeug's make_server sys.exit(1)s when the port is taken.
            except (Exception, SystemExit) as error:  # noqa: BLE001
                import traceback

                traceback.print_exc()
                reason = f"{type(error).__name__}: {error}"
                if isinstance(error, SystemExit):
                    reason += " (werkzeug exits this way when the port is taken; see stderr)"
                emit({"command": "serve-rest", "port": args.port, "error": reason})
                return 1
            return 0
        # SIGTERM becomes SystemExit so the finally blocks still kill the child's session and
        # delete the files.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
        output = COMMANDS[args.command](args, root)
        emit(output)
        return 1 if "error" in output else 0
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    args = build_parser().parse_args()
    redirect_stdout_to_stderr()
    if args.child:
        run_child_role(args)
    else:
        sys.exit(run_parent(args))


if __name__ == "__main__":
    main()
