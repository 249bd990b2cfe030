"""``backoffice login``: check the database password, then keep it in the keyring."""

import click

from backoffice_tui.cli.output import say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.config import keyring_username, store_password
from backoffice_tui.domain.errors import DatabaseUnavailable, InvalidInput, PasswordRefused
from backoffice_tui.services.connection import check_password, parse_database_url
from backoffice_tui.services.identity import os_login


@click.command()
@pass_state
def login(state: CliState) -> None:
    """Ask for the PostgreSQL password, check it by connecting, and store it
    in the keyring."""
    settings = state.settings
    url = parse_database_url(settings.database_url)
    if url.get_backend_name() != "postgresql":
        raise InvalidInput("login is for PostgreSQL databases; a SQLite file needs no password")
    user = url.username or os_login()
    host, port, database = url.host or "localhost", url.port or 5432, url.database or ""
    target = keyring_username(user, host, port, database)
    password = click.prompt(f"password for {user}@{host}", hide_input=True)
    try:
        check_password(
            settings.database_url, user, password, connect_timeout=settings.connect_timeout
        )
    except PasswordRefused as error:
        raise PasswordRefused(
            f"the server refused the password for {target}, so nothing was stored: {_reason(error)}"
        ) from None
    except DatabaseUnavailable as error:
        raise DatabaseUnavailable(
            f"cannot check the password for {target}, so nothing was stored: {_reason(error)}"
        ) from None
    store_password(user, host, port, database, password)
    say(f"password for {target} checked and stored in the keyring")


def _reason(error: DatabaseUnavailable) -> str:
    """The server's words, without the "cannot open database URL:" in front."""
    text = str(error)
    return text.split(": ", 1)[1] if text.startswith("cannot open database ") else text
