"""The `runner` command: serve, validate, token, db. Built on Flask's click integration."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, routes_command, shell_command

from runner.cli.schedules import scheduler, schedules
from runner.cli.serve import serve
from runner.cli.tokens import token
from runner.cli.validate import validate


def _app_for_cli():  # type: ignore[no-untyped-def]
    from runner import create_app

    # Commands inspect or administer; they never start workers.
    return create_app(start=False)


@click.group(cls=FlaskGroup, create_app=_app_for_cli, add_default_commands=False, load_dotenv=False)
def cli() -> None:
    """runner: a config-driven workflow runner."""


cli.add_command(serve)
cli.add_command(validate)
cli.add_command(token)
cli.add_command(schedules)
cli.add_command(scheduler)
cli.add_command(routes_command)
cli.add_command(shell_command)


def main() -> None:
    sys.exit(cli.main(prog_name="runner"))
