"""``backoffice delegations``: while someone is away, their approvals go to another user."""

from datetime import date

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.io.values import typed_date
from backoffice_tui.services.people.delegations import (
    DelegationRow,
    add_delegation,
    end_delegation,
    list_delegations,
)


@click.group()
def delegations() -> None:
    """Delegations of approvals: add, list, end."""


@delegations.command("add")
@click.option("--to", "to_login", required=True, metavar="LOGIN", help="Who decides for you.")
@click.option("--from-date", "from_date", required=True, metavar="DATE", help="First day away.")
@click.option("--until", required=True, metavar="DATE", help="Last day away (included).")
@click.option(
    "--for", "for_login", metavar="LOGIN", help="Whose approvals (admins; default: yours)."
)
@json_option
@pass_state
def add_command(
    state: CliState,
    to_login: str,
    from_date: str,
    until: str,
    for_login: str | None,
    as_json: bool,
) -> None:
    """Send your approvals (or, as an admin, someone's) to LOGIN for a period.

    Dates as files have them: 2026-12-14, 2026/12/14, 2026年12月14日, 20261214.
    """
    starts_on, ends_on = typed_date(from_date, "--from-date"), typed_date(until, "--until")
    delegation_id = add_delegation(
        state.context(),
        to_login=to_login,
        starts_on=starts_on,
        ends_on=ends_on,
        from_login=for_login,
    )
    if as_json:
        print_json({"id": delegation_id, "added": True})
    else:
        say(f"delegation {delegation_id} added: to {to_login} from {starts_on} to {ends_on}")


def _table_row(row: DelegationRow) -> tuple[object, ...]:
    return (row.id, row.from_login, row.to_login, row.starts_on, row.ends_on, row.state)


@delegations.command("list")
@click.option("--all", "everyone", is_flag=True, help="Everyone's (admins).")
@json_option
@pass_state
def list_command(state: CliState, everyone: bool, as_json: bool) -> None:
    """Your delegations, made by you or to you: in force, planned, past."""
    rows = list_delegations(state.database(), state.actor(), date.today(), everyone=everyone)
    if as_json:
        print_json(rows)
    else:
        print_table(("ID", "FROM", "TO", "STARTS", "ENDS", "STATE"), (_table_row(r) for r in rows))


@delegations.command("end")
@click.argument("delegation_id", type=int)
@json_option
@pass_state
def end_command(state: CliState, delegation_id: int, as_json: bool) -> None:
    """End a delegation now (its from-user or an admin)."""
    end_delegation(state.context(), delegation_id)
    if as_json:
        print_json({"id": delegation_id, "ended": True})
    else:
        say(f"delegation {delegation_id} ended")
