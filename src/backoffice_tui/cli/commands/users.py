"""``backoffice users``: who may use this database, and who leaves it."""

import sys

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.services.context import Context
from backoffice_tui.services.people.handover import HandoverPlan, deactivate_user
from backoffice_tui.services.people.users import (
    UserEdit,
    add_user,
    edit_user,
    list_users,
    parse_membership,
)

PREVIEW_LINES = 20  # moves listed before "... and N more"


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
            ("LOGIN", "NAME", "ADMIN", "ACTIVE", "OPEN", "TEAMS"),
            (
                (
                    u.login,
                    u.name,
                    "yes" if u.is_admin else "",
                    "yes" if u.active else "no",
                    u.open_items,
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


@users.command("edit")
@click.argument("login")
@click.option("--name", default=None, help="New display name.")
@click.option(
    "--add-team", "add", multiple=True, metavar="TEAM:ROLE", help="Add a role (repeatable)."
)
@click.option(
    "--remove-team",
    "remove",
    multiple=True,
    metavar="TEAM:ROLE",
    help="Remove a role (repeatable).",
)
@click.option("--admin/--no-admin", default=None, help="Make or unmake an admin.")
@json_option
@pass_state
def edit_command(
    state: CliState,
    login: str,
    name: str | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    admin: bool | None,
    as_json: bool,
) -> None:
    """Change a user's name, teams and roles, or admin flag (admins)."""
    edit = UserEdit(
        name=name,
        add=tuple(parse_membership(t) for t in add),
        remove=tuple(parse_membership(t) for t in remove),
        admin=admin,
    )
    changes = edit_user(state.database(), state.actor(), login, edit)
    if as_json:
        print_json({"login": login, "changes": changes})
    else:
        say(f"user {login}: {'; '.join(changes) if changes else 'nothing changed'}")


def _print_plan(plan: HandoverPlan) -> None:
    verb = "would move" if plan.dry_run else "moved"
    say(f"deactivating {plan.login} {verb}: {plan.counts_line()}")
    for move in plan.moves[:PREVIEW_LINES]:
        say(f"  {move.line()}")
    if len(plan.moves) > PREVIEW_LINES:
        say(f"  ... and {len(plan.moves) - PREVIEW_LINES} more")


def _asks() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@users.command("deactivate")
@click.argument("login")
@click.option("--to", "successor", metavar="LOGIN", help="The successor who takes over.")
@click.option(
    "--to-team-pool", is_flag=True, help="No successor: open work goes back to each team's pool."
)
@click.option("--dry-run", is_flag=True, help="Show what would move where; write nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_state
def deactivate_command(
    state: CliState,
    login: str,
    successor: str | None,
    to_team_pool: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Deactivate a user who leaves, handing over their open work, approver
    entries and drafts to a successor or their teams (admins)."""
    if (successor is None) == (not to_team_pool):
        raise InvalidInput("say where the work goes: --to SUCCESSOR or --to-team-pool")
    ctx = Context(state.database(), state.actor())
    if not dry_run and not yes and not as_json and _asks():
        _print_plan(deactivate_user(ctx, login, successor, dry_run=True))
        if not click.confirm(f"deactivate {login}?", default=False):
            say("nothing changed")
            return
    plan = deactivate_user(ctx, login, successor, dry_run=dry_run)
    if as_json:
        print_json(plan)
    else:
        _print_plan(plan)
