"""`runner schedules` lists schedules with their next run; `runner scheduler` runs one apart."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from runner.errors import RunnerError


def _fmt(value: object) -> str:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else "-"  # type: ignore[union-attr]


@click.command("schedules")
@click.option("--state", type=click.Choice(["active", "paused", "inactive"]), help="Only this state.")
def schedules(state: str | None) -> None:
    """List schedules: id, type, state, next run (UTC), runs so far, target."""
    from runner import create_app
    from runner.store.repositories import Page

    app = create_app(start=False)
    items, _total = app.extensions["runner"].store.list_schedules(Page(offset=0, limit=10_000), state)
    if not items:
        click.echo("no schedules")
        return
    rows = [("ID", "TYPE", "STATE", "NEXT RUN (UTC)", "RUNS", "TARGET")]
    for s in items:
        kind, value = s.spec.target
        limit = f"/{s.spec.max_occurrences}" if s.spec.max_occurrences else ""
        rows.append((s.id, s.type.value, s.state.value, _fmt(s.next_run_at), f"{s.occurrences}{limit}", f"{kind}={value}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


@click.command("scheduler")
def scheduler() -> None:
    """Run a scheduler on its own (with RUNNER_SCHEDULER=false on the servers).

    It only makes submissions; the server's orchestrator takes them up within a second.
    """
    from runner import create_app, shutdown
    from runner.scheduler.service import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app = create_app(start=False)
    except RunnerError as exc:
        raise click.ClickException(exc.detail) from None
    ctx = app.extensions["runner"]
    worker = Scheduler(ctx)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.start()
    click.echo(f"scheduler {worker.name} running; Ctrl-C stops it")
    stop.wait()
    worker.stop()
    shutdown(app)
