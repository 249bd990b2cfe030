"""``backoffice login``: keep the database password in the keyring."""

import click

from backoffice_tui.cli.output import say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.config import store_password
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.connection import parse_database_url
from backoffice_tui.services.identity import os_login


@click.command()
@pass_state
def login(state: CliState) -> None:
    """Ask for the PostgreSQL password once and store it in the keyring."""
    url = parse_database_url(state.settings.database_url)
    if url.get_backend_name() != "postgresql":
        raise InvalidInput("login is for PostgreSQL databases; a SQLite file needs no password")
    user = url.username or os_login()
    password = click.prompt(f"password for {user}@{url.host or 'localhost'}", hide_input=True)
    store_password(user, url.host or "localhost", url.port or 5432, url.database or "", password)
    say(f"password for {user} stored in the keyring")
