"""``backoffice events``: the change feed."""

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.events import events_since


@click.command()
@click.option(
    "--since",
    "since_id",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Only events after this id.",
)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_state
def events(state: CliState, since_id: int, limit: int, as_json: bool) -> None:
    """Events after an id, oldest first."""
    rows = events_since(state.database(), since_id, limit)
    if as_json:
        print_json(rows)
    else:
        print_table(
            ("ID", "TIME", "ACTOR", "KIND", "SUMMARY"),
            ((e.id, e.at, e.actor, e.kind, e.summary) for e in rows),
        )
