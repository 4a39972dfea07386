"""The one boundary around user code: read inputs, call the function, write outputs.

Everything the user's function does wrong ends here as a Failure with its exception type,
message and traceback; nothing of it escapes into the orchestrator. Outputs are all encoded
before any is written, so a job writes all of its outputs or none.
"""

from __future__ import annotations

import traceback
from typing import Any

from runner.config.functions import resolve_function
from runner.orchestrator.capture import Sink, captured
from runner.datanodes import storage
from runner.errors import StorageError
from runner.orchestrator.spec import Failure, JobSpec, Outcome


class OutputMismatch(Exception):
    """The function returned something that does not fit the task's outputs."""


def _failure(exc: BaseException) -> Failure:
    return Failure(
        type=type(exc).__name__,
        message=str(exc),
        traceback="".join(traceback.format_exception(exc)),
    )


def _split_outputs(spec: JobSpec, result: Any) -> list[Any]:
    n = len(spec.outputs)
    if n == 0:
        return []
    if n == 1:
        return [result]
    if not isinstance(result, tuple | list) or len(result) != n:
        got = f"a {type(result).__name__}" if not isinstance(result, tuple | list) else f"{len(result)} values"
        raise OutputMismatch(f"task {spec.task_config_id} has {n} outputs, so its function must return {n} values; got {got}")
    return list(result)


def run_job(spec: JobSpec, sink: Sink | None = None) -> Outcome:
    """Run one job; log lines and progress go to `sink` while it runs."""
    if sink is None:
        return _run(spec)
    with captured(spec.job_id, sink):
        return _run(spec)


def _run(spec: JobSpec) -> Outcome:
    try:
        function = resolve_function(spec.function)
        args = []
        for ref in spec.inputs:
            if ref.storage_type == "in_memory":
                args.append(spec.memory_inputs[ref.id])
            else:
                assert ref.path is not None
                args.append(storage.read(ref.storage_type, ref.path, ref.options))
    except Exception as exc:  # noqa: BLE001
        return Outcome(job_id=spec.job_id, failure=_failure(exc))

    try:
        result = function(*args, **spec.params)
    except BaseException as exc:  # noqa: BLE001 - SystemExit from user code fails the job, not the worker
        return Outcome(job_id=spec.job_id, failure=_failure(exc))

    try:
        values = _split_outputs(spec, result)
        encoded: list[tuple[str, bytes]] = []
        memory: dict[str, Any] = {}
        for ref, value in zip(spec.outputs, values, strict=True):
            if ref.storage_type == "in_memory":
                memory[ref.id] = value
            else:
                assert ref.path is not None
                encoded.append((ref.path, storage.encode(ref.storage_type, value, ref.options)))
        for path, raw in encoded:
            storage.write_atomic(path, raw)
    except (OutputMismatch, StorageError, OSError) as exc:
        return Outcome(job_id=spec.job_id, failure=_failure(exc))
    return Outcome(job_id=spec.job_id, written=tuple(r.id for r in spec.outputs), memory_outputs=memory)
