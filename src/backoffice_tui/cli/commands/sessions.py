"""``backoffice sessions``: the preloaded server that forks console sessions."""

from pathlib import Path

import click

from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.gateway.console import ConsoleOptions
from backoffice_tui.gateway.sessions import serve


@click.group()
def sessions() -> None:
    """Console sessions for the SSH gateway, forked from one preloaded process."""


@sessions.command("serve")
@click.option(
    "--socket",
    "socket_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Unix socket to listen on (default: sessions.sock in the state directory).",
)
@pass_state
def serve_command(state: CliState, socket_path: Path | None) -> None:
    """Serve console sessions until stopped (SIGTERM); run as the service account.

    Clients (``python -m backoffice_tui.gateway.client gateway LOGIN``, run by the
    forced command) get a console as LOGIN on this server's database and
    configuration. Stopping the server leaves running sessions alone.
    """
    if state.user_option is not None:
        raise InvalidInput("--user does not apply: each session is the login its client names")
    serve(socket_path, ConsoleOptions(database=state.database_option, config=state.config_option))
