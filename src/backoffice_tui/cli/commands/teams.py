"""``backoffice teams``: the teams of this database, and organisation files."""

from pathlib import Path

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import NotFound
from backoffice_tui.services.context import Actor
from backoffice_tui.services.people.teams import (
    add_team,
    list_teams_with_members,
    load_organisation,
)


def _actor_or_nobody(state: CliState) -> Actor | None:
    try:
        return state.actor()
    except NotFound:
        return None  # nobody yet: an organisation file may then name the first admin


@click.group()
def teams() -> None:
    """Teams, and loading an organisation file (teams, users, roles)."""


@teams.command("list")
@json_option
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """List teams with their number of members."""
    rows = list_teams_with_members(state.database())
    if as_json:
        print_json(rows)
    else:
        print_table(("CODE", "NAME", "MEMBERS"), ((r.code, r.name, r.members) for r in rows))


@teams.command("add")
@click.argument("code")
@click.option("--name", default="", help="Display name (default: the code).")
@json_option
@pass_state
def add_command(state: CliState, code: str, name: str, as_json: bool) -> None:
    """Add a team (admins)."""
    add_team(state.database(), state.actor(), code, name)
    if as_json:
        print_json({"team": code, "added": True})
    else:
        say(f"team {code} added")


@teams.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_state
def load_command(state: CliState, file: Path, as_json: bool) -> None:
    """Load an organisation file: [[teams]] and [[users]] with their roles (admins;
    all or nothing; repeatable)."""
    result = load_organisation(state.database(), _actor_or_nobody(state), file)
    if as_json:
        print_json(result)
    else:
        say(
            f"{file}: {result.teams_added} teams added, {result.teams_renamed} renamed, "
            f"{result.users_added} users added, {result.memberships_added} memberships added"
        )
