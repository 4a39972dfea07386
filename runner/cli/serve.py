"""`runner serve`: the production server (waitress), the orchestrator and its workers."""

from __future__ import annotations

import gc
import logging
import signal
import sys
from types import FrameType

import click

from runner.errors import ConfigError, InvalidInput, RunnerError


@click.command()
@click.option("--host", help="Address to bind (default RUNNER_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default RUNNER_PORT, 5000).")
@click.option("--workers", type=int, help="Worker processes (default RUNNER_WORKERS, the number of cores).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API with the configs of RUNNER_CONFIG on a production WSGI server."""
    from waitress import serve as waitress_serve

    from runner import create_app, shutdown
    from runner.cli.validate import report_config_error
    from runner.services.tokens import bootstrap_admin
    from runner.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    overrides = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
    try:
        settings = load_settings(**overrides)
        app = create_app(settings)
    except ConfigError as exc:
        report_config_error(exc)
        click.echo("runner refuses to start on an invalid configuration.", err=True)
        raise SystemExit(1) from None
    except (InvalidInput, RunnerError) as exc:
        click.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(1) from None

    ctx = app.extensions["runner"]
    issued = bootstrap_admin(ctx.store, settings.admin_token)
    if issued is not None:
        click.echo("=" * 72)
        click.echo("No admin token existed, so one was made. It is shown only this once:")
        click.echo(f"    {issued.token}")
        click.echo("Keep it safe; `runner token create` makes more.")
        click.echo("=" * 72)
    for warning in ctx.registry.warnings:
        click.echo(f"config: {warning}", err=True)

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Everything built so far (the registry, modules, the app) lives as long as the server:
    # keep it out of the garbage collector's full passes, which would otherwise walk it all
    # and pause every request now and then.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGTERM, _terminate)
    click.echo(
        f"runner serving {settings.config} on http://{settings.host}:{settings.port} "
        f"(database {settings.database_url}, {ctx.orchestrator.executor.__class__.__name__})"
    )
    try:
        waitress_serve(app, host=settings.host, port=settings.port, threads=settings.threads, ident="runner")
    except KeyboardInterrupt:
        pass
    finally:
        shutdown(app)
        click.echo("runner stopped")
    sys.exit(0)
