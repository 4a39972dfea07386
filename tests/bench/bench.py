"""`make bench`: runner against Taipy 4.1.1, the same workloads in one run, ratios against targets.

    .venv/bin/python -m tests.bench.bench [--quick]

Taipy lives in its own virtualenv (.bench/taipy-venv), made on first use, so that the two
never share packages. Each side runs in its own processes; every figure is a median of
several runs with its spread. The table goes to stdout, every raw figure to
.bench/results.json. The exit status is 1 when a target does not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / ".bench"
TAIPY_VENV = BENCH_DIR / "taipy-venv"
TAIPY_VERSION = "4.1.1"
TAIPY_SCRIPT = Path(__file__).parent / "taipy" / "taipy_bench.py"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_taipy() -> Path:
    python = TAIPY_VENV / "bin" / "python"
    stamp = TAIPY_VENV / f".taipy-{TAIPY_VERSION}"
    if python.exists() and stamp.exists():
        return python
    log(f"installing taipy=={TAIPY_VERSION} into {TAIPY_VENV} (first run only)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(TAIPY_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"taipy=={TAIPY_VERSION}"], check=True)
    stamp.touch()
    return python


def run_json(command: list[str], timeout: float, label: str) -> dict[str, Any]:
    log(f"{label}: {' '.join(command[1:])}")
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"exit {done.returncode}, no JSON; stderr tail: {done.stderr[-800:]}"}
    result["wall_seconds"] = time.monotonic() - started
    if done.returncode != 0 and "error" not in result:
        result["error"] = f"exit {done.returncode}: {done.stderr[-800:]}"
    return result


def runner_cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "tests.bench.runner_bench", *map(str, args)]


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], fmt: str) -> str:
    if len(values) < 2:
        return f"{format(values[0], fmt)} (1 run)" if values else "-"
    return f"{format(med(values), fmt)} [{format(min(values), fmt)}..{format(max(values), fmt)}, n={len(values)}]"


@dataclass
class Row:
    workload: str
    runner: str
    taipy: str
    ratio: str
    target: str
    holds: bool | None  # None: information only


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and shorter phases (under 3 minutes)")
    parser.add_argument("--skip-taipy", action="store_true", help="runner only (no ratios can be checked)")
    args = parser.parse_args(argv)
    quick = args.quick
    BENCH_DIR.mkdir(exist_ok=True)
    taipy = None if args.skip_taipy else str(ensure_taipy())
    raw: dict[str, Any] = {"quick": quick, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runner": {}, "taipy": {}}
    r, t = raw["runner"], raw["taipy"]
    repeat = 3 if quick else 5
    taipy_repeat = 1 if quick else 3

    def taipy_run(key: str, timeout: float, *cmd: object) -> None:
        if taipy is None:
            t[key] = {"error": "skipped (--skip-taipy)"}
            return
        t[key] = run_json([taipy, str(TAIPY_SCRIPT), *map(str, cmd)], timeout, f"taipy {key}")

    # 1. Independent tasks. Taipy's cost grows with the square of the jobs: it runs N=100 only.
    r["independent_100"] = run_json(runner_cmd("independent", "--n", 100, "--repeat", repeat), 600, "runner")
    r["independent_1000"] = run_json(runner_cmd("independent", "--n", 1000, "--repeat", 2 if quick else 3), 600, "runner")
    r["independent_10000"] = run_json(runner_cmd("independent", "--n", 10000, "--repeat", 1 if quick else 3), 900, "runner")
    taipy_run("independent_100_standalone", 900, "independent", "--n", 100, "--mode", "standalone", "--workers", 2,
              "--repeat", taipy_repeat, "--timeout", 300)
    if not quick:
        taipy_run("independent_100_development", 900, "independent", "--n", 100, "--mode", "development",
                  "--repeat", taipy_repeat, "--timeout", 300)
    # 2. A chain of 100.
    r["chain_100"] = run_json(runner_cmd("chain", "--n", 100, "--repeat", repeat), 600, "runner")
    taipy_run("chain_100_standalone", 900, "chain", "--n", 100, "--mode", "standalone", "--workers", 2,
              "--repeat", taipy_repeat, "--timeout", 300)
    if not quick:
        taipy_run("chain_100_development", 900, "chain", "--n", 100, "--mode", "development",
                  "--repeat", taipy_repeat, "--timeout", 300)
    # 3. Single-task latency.
    count = 60 if quick else 200
    r["latency"] = run_json(runner_cmd("latency", "--count", 200), 600, "runner")
    taipy_run("latency_standalone", 900, "latency", "--count", count // 4 if quick else count, "--mode", "standalone",
              "--workers", 2)
    if not quick:
        taipy_run("latency_development", 600, "latency", "--count", count, "--mode", "development")
    # 4. REST.
    seconds = 2.0 if quick else 5.0
    rest_repeat = 1 if quick else 3
    r["rest"] = run_json(runner_cmd("rest", "--tasks", 10000, "--seconds", seconds, "--repeat", rest_repeat), 1200, "runner")
    if taipy is not None:
        t["rest"] = taipy_rest(taipy, seconds, rest_repeat)
    # 5. Config of 1,000 task configs.
    r["config"] = run_json(runner_cmd("config", "--n", 1000, "--repeat", repeat), 300, "runner")
    taipy_run("config", 300, "config", "--n", 1000, "--repeat", repeat)
    # 6. Memory of the server per finished job.
    points = [10_000] if quick else [10_000, 100_000]
    r["memory"] = run_json(runner_cmd("memory", "--jobs", *points), 1800, "runner")
    if not quick:
        taipy_run("memory", 900, "memory", "--jobs", 1000, "--mode", "development", "--timeout", 600)

    rows = table(r, t, quick)
    raw["rows"] = [asdict(row) for row in rows]
    raw["durability"] = r["independent_100"].get("durability")
    out = BENCH_DIR / "results.json"
    out.write_text(json.dumps(raw, indent=2, default=str))
    print_table(rows, raw, quick, out)
    return 0 if all(row.holds is not False for row in rows) else 1


def taipy_rest(python: str, seconds: float, repeat: int) -> dict[str, Any]:
    """Taipy's REST service (development mode, 100 scenarios), driven by the same load generator."""
    import signal
    import socket

    from tests.bench.loadgen import repeated, run_phase

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log("taipy rest: serve-rest with 100 scenarios")
    server = subprocess.Popen(
        [python, str(TAIPY_SCRIPT), "serve-rest", "--port", str(port), "--scenarios", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        info = json.loads(line)
        if "error" in info:
            return {"error": info["error"]}
        paths, ids = info["paths"], info["task_ids"]
        makers = {
            "get_task": lambda g: ("GET", paths["get_task"].replace("{id}", g.choice(ids)), None),
            "list_tasks": lambda g: ("GET", paths["list_tasks"], None),
            "create_task": lambda g: ("POST", paths["create_task"].replace("{config_id}", info["task_config_id"]), None),
            "submit_task": lambda g: ("POST", paths["submit_task"].replace("{id}", g.choice(ids)), None),
        }
        phases = {}
        for op, maker in makers.items():
            for concurrency in (1, 16):
                log(f"taipy rest: {op} at concurrency {concurrency}")
                runs = [run_phase(port, maker, concurrency, seconds, 20_000) for _ in range(repeat)]
                phases[f"{op}@{concurrency}"] = repeated(runs)
        return {"command": "rest", "phases": phases, "serve_info": info}
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)


# -- the table ----------------------------------------------------------------------------


def _ok(d: dict[str, Any]) -> bool:
    return bool(d) and "error" not in d and not d.get("timed_out")


def _why(d: dict[str, Any]) -> str:
    if not d:
        return "not run"
    if d.get("timed_out"):
        return "timed out"
    return f"failed: {str(d.get('error'))[:60]}"


def table(r: dict[str, Any], t: dict[str, Any], quick: bool) -> list[Row]:
    rows: list[Row] = []
    i100, ts100 = r["independent_100"], t.get("independent_100_standalone", {})
    if _ok(i100):
        rj = i100["jobs_per_second"]
        if _ok(ts100):
            tj = ts100["jobs_per_second"]
            ratio = med(rj) / med(tj)
            rows.append(Row("independent N=100 (jobs/s)", spread(rj, ".0f"), f"{spread(tj, '.2f')} standalone",
                            f"{ratio:.0f}x", ">= 200x Taipy standalone", ratio >= 200))
        else:
            rows.append(Row("independent N=100 (jobs/s)", spread(rj, ".0f"), _why(ts100), "-", ">= 200x Taipy standalone", False))
    else:
        rows.append(Row("independent N=100 (jobs/s)", _why(i100), "-", "-", ">= 200x Taipy standalone", False))
    td100 = t.get("independent_100_development", {})
    if _ok(td100):
        rows.append(Row("independent N=100, Taipy development", "-", f"{spread(td100['jobs_per_second'], '.2f')} jobs/s",
                        f"{med(i100['jobs_per_second']) / med(td100['jobs_per_second']):.0f}x" if _ok(i100) else "-", "information", None))
    i1000 = r["independent_1000"]
    rows.append(Row("independent N=1,000 (jobs/s)", spread(i1000["jobs_per_second"], ".0f") if _ok(i1000) else _why(i1000),
                    "not run: capped at N=100 (its cost grows with N^2)", "-", "> 1,000 jobs/s",
                    _ok(i1000) and med(i1000["jobs_per_second"]) > 1000))
    i10k = r["independent_10000"]
    if _ok(i10k) and _ok(i100):
        per_100 = med(i100["runs"]) / 100
        per_10k = med(i10k["runs"]) / 10000
        growth = per_10k / per_100
        rows.append(Row("independent N=10,000 (jobs/s)", spread(i10k["jobs_per_second"], ".0f"), "not run", f"{growth:.2f}x per job vs N=100",
                        "<= 2x per-job cost of N=100", growth <= 2))
    else:
        rows.append(Row("independent N=10,000", _why(i10k), "not run", "-", "<= 2x per-job cost of N=100", False))
    c100, tc = r["chain_100"], t.get("chain_100_standalone", {})
    if _ok(c100) and _ok(tc):
        ratio = med(tc["runs"]) / med(c100["runs"])
        rows.append(Row("chain of 100 (seconds)", spread(c100["runs"], ".3f"), f"{spread(tc['runs'], '.1f')} standalone",
                        f"{ratio:.0f}x", ">= 100x Taipy standalone", ratio >= 100))
    else:
        rows.append(Row("chain of 100 (seconds)", spread(c100["runs"], ".3f") if _ok(c100) else _why(c100), _why(tc), "-",
                        ">= 100x Taipy standalone", False))
    tcd = t.get("chain_100_development", {})
    if _ok(tcd) and _ok(c100):
        rows.append(Row("chain of 100, Taipy development", "-", f"{spread(tcd['runs'], '.1f')} s",
                        f"{med(tcd['runs']) / med(c100['runs']):.0f}x", "information", None))
    lat, tl = r["latency"], t.get("latency_standalone", {})
    if _ok(lat) and _ok(tl):
        ratio = tl["median"] / lat["median"]
        rows.append(Row("single task, submit to COMPLETED (median)", f"{lat['median'] * 1e3:.2f} ms", f"{tl['median'] * 1e3:.0f} ms standalone",
                        f"{ratio:.0f}x", ">= 30x Taipy standalone", ratio >= 30))
    else:
        rows.append(Row("single task latency (median)", _why(lat) if not _ok(lat) else f"{lat['median'] * 1e3:.2f} ms", _why(tl), "-",
                        ">= 30x Taipy standalone", False))
    if _ok(lat):
        rows.append(Row("single task latency (p99)", f"{lat['p99'] * 1e3:.2f} ms", "-", "-", "< 50 ms", lat["p99"] < 0.050))
    tld = t.get("latency_development", {})
    if _ok(tld) and _ok(lat):
        rows.append(Row("single task, Taipy development (median)", "-", f"{tld['median'] * 1e3:.1f} ms",
                        f"{tld['median'] / lat['median']:.0f}x", "information", None))
    rows += rest_rows(r.get("rest", {}), t.get("rest", {}))
    cfg, tcfg = r["config"], t.get("config", {})
    if _ok(cfg) and _ok(tcfg):
        taipy_process = [x for x in tcfg.get("process_wall_seconds", [])] or []
        if taipy_process:
            ratio = med(taipy_process) / med(cfg["runs"])
            rows.append(Row("config of 1,000 tasks: fresh process (s)", spread(cfg["runs"], ".3f"), spread(taipy_process, ".2f"),
                            f"{ratio:.1f}x", ">= 5x Taipy (import + load + check)", ratio >= 5))
        rows.append(Row("config of 1,000 tasks: load + check only (s)", spread(cfg["in_process"], ".3f") if cfg.get("in_process") else "-",
                        spread(tcfg["runs"], ".3f"), f"{med(tcfg['runs']) / med(cfg['in_process']):.1f}x" if cfg.get("in_process") else "-",
                        "information", None))
    else:
        rows.append(Row("config of 1,000 tasks", _why(cfg) if not _ok(cfg) else spread(cfg["runs"], ".3f"), _why(tcfg), "-", ">= 5x Taipy", False))
    mem = r["memory"]
    if _ok(mem):
        for point in mem["points"]:
            rows.append(Row(f"server RSS growth after {point['jobs']:,} jobs", f"{point['bytes_per_job']:.0f} B/job",
                            _taipy_memory(t.get("memory", {})), "-", "< 1 KB per finished job", point["bytes_per_job"] < 1024))
    else:
        rows.append(Row("server RSS growth per job", _why(mem), "-", "-", "< 1 KB per finished job", False))
    return rows


def _taipy_memory(d: dict[str, Any]) -> str:
    if not d:
        return "not run (quick)"
    if not _ok(d) and not d.get("points"):
        return _why(d)
    per = d.get("rss_per_job_after_first_batch_bytes") or d.get("rss_per_job_bytes")
    done = d.get("jobs_completed")
    return f"{per:.0f} B/job after {done} jobs" if per else "no figure"


def _rps(phase: dict[str, Any]) -> str:
    runs = phase.get("rps_runs") or [phase["rps"]]
    if len(runs) < 2:
        return f"{phase['rps']:.0f}"
    return f"{phase['rps']:.0f} [{min(runs):.0f}..{max(runs):.0f}, n={len(runs)}]"


REST_TARGETS = {"get_task": 2, "list_tasks": 10, "create_task": 3, "submit_task": 10}


def rest_rows(r: dict[str, Any], t: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if not _ok(r):
        return [Row("REST", _why(r), "-", "-", "all REST targets", False)]
    rp, tp = r["phases"], t.get("phases", {}) if _ok(t) else {}
    for op, need in REST_TARGETS.items():
        mine = rp[f"{op}@1"]
        theirs = tp.get(f"{op}@1")
        label = f"REST {op} c=1 (req/s)"
        if theirs and theirs["rps"] > 0:
            ratio = mine["rps"] / theirs["rps"]
            rows.append(Row(label, f"{_rps(mine)} (p50 {mine['p50'] * 1e3:.1f} ms)", _rps(theirs),
                            f"{ratio:.1f}x", f">= {need}x Taipy", ratio >= need and mine["errors"] == 0))
        else:
            rows.append(Row(label, f"{mine['rps']:.0f}", _why(t) if not _ok(t) else "no data", "-", f">= {need}x Taipy", False))
        c16 = rp[f"{op}@16"]
        theirs16 = tp.get(f"{op}@16")
        shown = f"{_rps(c16)} (p99 {c16['p99'] * 1e3:.1f} ms)"
        taipy16 = _rps(theirs16) if theirs16 else "-"
        if op == "submit_task":
            # Taipy's submit collapses under concurrency; runner's must not.
            rows.append(Row(f"REST {op} c=16 (req/s)", shown, taipy16, f"{c16['rps'] / mine['rps']:.2f}x of c=1",
                            "c=16 >= c=1", c16["rps"] >= mine["rps"] and c16["errors"] == 0))
        elif op.startswith(("get", "list")):
            rows.append(Row(f"REST {op} c=16 (req/s)", shown, taipy16, "-", "p99 < 50 ms",
                            c16["p99"] < 0.050 and c16["errors"] == 0))
        else:
            rows.append(Row(f"REST {op} c=16 (req/s)", shown, taipy16, "-", "information", None))
    return rows


def print_table(rows: list[Row], raw: dict[str, Any], quick: bool, out: Path) -> None:
    headers = ("workload", "runner", "Taipy 4.1.1", "ratio", "target", "holds")
    cells = [headers] + [
        (row.workload, row.runner, row.taipy, row.ratio, row.target, "info" if row.holds is None else ("yes" if row.holds else "NO"))
        for row in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    print()
    print(f"runner vs Taipy {TAIPY_VERSION}{' (quick mode)' if quick else ''}; SQLite durability: {raw.get('durability')}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for c in cells[1:]:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))
    failed = [row.workload for row in rows if row.holds is False]
    print()
    print(f"raw figures: {out}")
    print("every target holds" if not failed else f"targets that do not hold: {', '.join(failed)}")


if __name__ == "__main__":
    sys.exit(main())
