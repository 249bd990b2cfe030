"""``backoffice db``: schema upgrade and status."""

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.store import schema


@click.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command()
@json_option
@pass_state
def upgrade(state: CliState, as_json: bool) -> None:
    """Create the schema, or bring it up to this version (a new SQLite file is created)."""
    database = state.database(create=True, check_schema=False)
    before, after = schema.upgrade(database.engine)
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
    database = state.database(check_schema=False)
    revision = schema.current_revision(database.engine)
    head = schema.head_revision()
    status = "current" if revision == head else ("empty" if revision is None else "differs")
    if as_json:
        print_json(
            {"database": database.description, "current": revision, "head": head, "status": status}
        )
    else:
        say(f"{database.description}: schema {revision or 'none'} (this program: {head}, {status})")
