"""``backoffice db``: schema upgrade and status."""

import dataclasses

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.connection import schema_status, upgrade_schema


@click.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command()
@json_option
@pass_state
def upgrade(state: CliState, as_json: bool) -> None:
    """Create the schema, or bring it up to this version (a new SQLite file is created)."""
    database = state.database(create=True, check_schema=False)
    before, after = upgrade_schema(database)
    if as_json:
        print_json({"database": database.description, "before": before, "after": after})
    elif before == after:
        say(f"{database.description} is up to date ({after})")
    else:
        say(f"{database.description} upgraded from {before or 'empty'} to {after}")


@db.command()
@json_option
@pass_state
def current(state: CliState, as_json: bool) -> None:
    """Show the database's schema revision and this program's."""
    status = schema_status(state.database(check_schema=False))
    if as_json:
        print_json({**dataclasses.asdict(status), "status": status.status})
    else:
        say(
            f"{status.database}: schema {status.current or 'none'} "
            f"(this program: {status.head}, {status.status})"
        )
