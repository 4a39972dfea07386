"""The benchmark's workloads, written once: TOML configs of no-op tasks for runner.

(Taipy's side builds the same shapes with its own Python API, in tests/bench/taipy/.)
"""

from __future__ import annotations

from pathlib import Path

NOOP_MODULE = '''"""No-op task functions for the benchmark."""


def noop(*inputs):
    return 1
'''


def write_noop_module(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench_noop.py").write_text(NOOP_MODULE)


def scenario_config(directory: Path, n: int, shape: str) -> Path:
    """A scenario of n no-op tasks: "independent" (all read one input) or "chain"."""
    write_noop_module(directory)
    lines = ["[DATA_NODE.src]", "default_data = 1", ""]
    lines += [f"[DATA_NODE.o{i}]" for i in range(n)]
    for i in range(n):
        source = "src" if shape == "independent" or i == 0 else f"o{i - 1}"
        lines += ["", f"[TASK.t{i}]", 'function = "bench_noop:noop"', f'inputs = ["{source}"]', f'outputs = ["o{i}"]']
    lines += ["", "[SCENARIO.bench]", "tasks = [" + ", ".join(f'"t{i}"' for i in range(n)) + "]", ""]
    path = directory / f"{shape}_{n}.toml"
    path.write_text("\n".join(lines))
    return path


def task_configs(directory: Path, n: int) -> Path:
    """n task configs, each with its own input and output: the config-loading workload."""
    write_noop_module(directory)
    lines: list[str] = []
    for i in range(n):
        lines += [
            f"[DATA_NODE.in{i}]",
            "default_data = 1",
            f"[DATA_NODE.out{i}]",
            f"[TASK.task{i}]",
            'function = "bench_noop:noop"',
            f'inputs = ["in{i}"]',
            f'outputs = ["out{i}"]',
            "",
        ]
    path = directory / f"tasks_{n}.toml"
    path.write_text("\n".join(lines))
    return path


def single_task_config(directory: Path) -> Path:
    write_noop_module(directory)
    path = directory / "single.toml"
    path.write_text(
        "[DATA_NODE.src]\ndefault_data = 1\n[DATA_NODE.out]\n"
        '[TASK.noop]\nfunction = "bench_noop:noop"\ninputs = ["src"]\noutputs = ["out"]\n'
    )
    return path
