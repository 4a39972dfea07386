"""The body of a worker process: receive a job spec, run it, send the outcome back.

Kept free of flask and sqlalchemy imports so that a worker starts in milliseconds.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection

from runner.config.functions import ensure_module_paths
from runner.orchestrator.boundary import run_job
from runner.orchestrator.spec import Failure, Outcome


def _die_with_server(server_pid: int) -> None:
    """A worker must not outlive the server: an orphan would run a job nobody tracks.

    With the forkserver start method the worker's parent is the fork server, not the
    server, and the fork server only exits once every worker has closed its copy of the
    "alive" pipe. So each worker watches the server's pid itself, besides asking Linux
    to kill it when its parent dies.
    """
    if sys.platform == "linux":
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="runner-parent-watch", daemon=True).start()


def worker_main(conn: Connection, module_paths: tuple[str, ...], server_pid: int) -> None:
    _die_with_server(server_pid)
    ensure_module_paths(module_paths)
    # The server handles Ctrl-C; a worker only stops when told to or killed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):
            return
        if spec is None:
            return
        job_id = spec.job_id
        outcome = run_job(spec, lambda entries: conn.send(("log", job_id, entries)))
        try:
            conn.send(outcome)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            # Connection.send pickles before writing, so nothing went out yet.
            conn.send(
                Outcome(
                    job_id=spec.job_id,
                    failure=Failure(
                        type="OutputError",
                        message=f"an in_memory output cannot leave the worker process: {type(exc).__name__}: {exc}",
                    ),
                )
            )
