"""``backoffice users``: who may use this database."""

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import NotFound
from backoffice_tui.services.people.users import add_user, list_users, parse_membership


@click.group()
def users() -> None:
    """Users, their teams and roles."""


@users.command("list")
@json_option
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """List users with their teams and roles."""
    rows = list_users(state.database())
    if as_json:
        print_json(rows)
    else:
        print_table(
            ("LOGIN", "NAME", "ADMIN", "TEAMS"),
            (
                (
                    u.login,
                    u.name,
                    "yes" if u.is_admin else "",
                    ", ".join(f"{t}:{'+'.join(r)}" for t, r in u.teams.items()),
                )
                for u in rows
            ),
        )


@users.command("add")
@click.argument("login")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--team",
    "teams",
    multiple=True,
    metavar="TEAM:ROLE",
    help="Membership, e.g. build:operator (repeatable).",
)
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@json_option
@pass_state
def add_command(
    state: CliState, login: str, name: str, teams: tuple[str, ...], admin: bool, as_json: bool
) -> None:
    """Add a user (admins; the first user of a new database becomes its admin)."""
    memberships = [parse_membership(t) for t in teams]
    try:
        actor = state.actor()
    except NotFound:
        actor = None  # nobody yet: allowed only while the database has no users
    add_user(state.database(), actor, login, name, memberships, admin=admin)
    if as_json:
        print_json({"login": login, "added": True})
    else:
        say(f"user {login} added")
