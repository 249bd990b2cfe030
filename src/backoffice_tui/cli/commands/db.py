"""``backoffice db``: schema upgrade and status, and the team set-up's grants."""

import dataclasses

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.connection import (
    apply_grants,
    grant_statements,
    schema_status,
    upgrade_schema,
)


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


@db.command()
@click.option("--service", "service_role", required=True, help="The role the console connects as.")
@click.option("--readonly", "readonly_role", help="A reporting role that may only read.")
@click.option("--apply", "applying", is_flag=True, help="Run the statements now, as the owner.")
@json_option
@pass_state
def grants(
    state: CliState,
    service_role: str,
    readonly_role: str | None,
    applying: bool,
    as_json: bool,
) -> None:
    """PostgreSQL privileges: the service role may write only as the services do
    (no DDL, events insert-only), the read-only role may only read.

    Prints the SQL, for psql; with --apply runs it as the connected role, which
    must own the schema. Run it again after every `db upgrade`.
    """
    database = state.database()
    if applying:
        done = apply_grants(database, service_role, readonly_role)
        statements = list(done.statements)
    else:
        statements = grant_statements(database, service_role, readonly_role)
    if as_json:
        print_json(
            {
                "database": database.description,
                "service": service_role,
                "readonly": readonly_role,
                "applied": applying,
                "statements": statements,
            }
        )
        return
    if not applying:
        for statement in statements:
            say(f"{statement};")
        return
    readers = f"; {readonly_role} may only read" if readonly_role else ""
    say(
        f"granted on {database.description} ({len(statements)} statements): {service_role} "
        f"reads and writes as the services do, without DDL{readers}"
    )
