"""`runner validate [PATH]`: check a configuration and print every problem."""

from __future__ import annotations

import click

from runner.errors import ConfigError, InvalidInput
from runner.settings import load_settings


def report_config_error(exc: ConfigError) -> None:
    click.echo(f"The configuration is invalid: {len(exc.issues)} problem(s).", err=True)
    for issue in exc.issues:
        click.echo(f"  {issue}", err=True)


@click.command()
@click.argument("path", required=False, type=click.Path())
def validate(path: str | None) -> None:
    """Check a TOML config file or directory (default: RUNNER_CONFIG); exit 1 on any error."""
    from runner.config import load_registry

    try:
        target = path or load_settings().config
        registry = load_registry(target)
    except ConfigError as exc:
        report_config_error(exc)
        raise SystemExit(1) from None
    except InvalidInput as exc:
        click.echo(f"error: {exc.detail}", err=True)
        raise SystemExit(1) from None
    for warning in registry.warnings:
        click.echo(f"  {warning}", err=True)
    click.echo(
        f"OK: {target}: {len(registry.data_nodes)} data node(s), {len(registry.tasks)} task(s), "
        f"{len(registry.scenarios)} scenario(s) in {len(registry.files)} file(s)"
    )
