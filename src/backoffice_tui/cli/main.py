"""The ``backoffice`` command."""

import contextlib
import errno
import importlib
import io
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from backoffice_tui import __version__
from backoffice_tui.cli.logs import log, log_file
from backoffice_tui.cli.state import CliState
from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.tui.screen_names import SCREEN_NAMES


class UserError(click.ClickException):
    """An expected failure: one line on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _log_unexpected(error: BaseException) -> Path | None:
    path = log_file()
    if path is not None:
        log.error("unexpected error", exc_info=error)
    return path


#: Operating-system refusals that are the disk's or the permissions' doing:
#: expected, said in one line without a traceback.
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)


def storage_message(error: OSError) -> str | None:
    """One line for a full disk, a read-only file or a lost permission."""
    if error.errno not in STORAGE_ERRNOS:
        return None
    where = f" {error.filename}" if error.filename else ""
    return f"cannot write{where}: {error.strerror or error}"


def _unexpected(error: BaseException) -> str:
    path = _log_unexpected(error)
    where = f"; details in {path}" if path else ""
    return f"unexpected error: {type(error).__name__}: {error}{where}"


def _reader_gone() -> NoReturn:
    """The program reading the output stopped (``| head``): stop too, quietly
    and successfully, as the output was wanted only that far."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        # what is still buffered must not fail again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


#: Each subcommand: the module under ``cli/commands`` and the click command in it.
#: A module is imported only when its command is used (or listed by --help),
#: so that a command loads nothing another one needs.
COMMANDS: dict[str, tuple[str, str]] = {
    "applications": ("applications", "applications"),
    "approvals": ("approvals", "approvals"),
    "config": ("config_cmd", "config"),
    "customers": ("customers", "customers"),
    "db": ("db", "db"),
    "delegations": ("delegations", "delegations"),
    "demo": ("demo", "demo"),
    "events": ("events", "events"),
    "export": ("exports", "export"),
    "gateway": ("gateway", "gateway"),
    "handoffs": ("handoffs", "handoffs"),
    "import": ("imports", "import_command"),
    "login": ("login", "login"),
    "orders": ("orders", "orders"),
    "queue": ("queue", "queue"),
    "report": ("report", "report"),
    "rules": ("rules", "rules"),
    "sessions": ("sessions", "sessions"),
    "ssh-keys": ("ssh_keys", "ssh_keys"),
    "teams": ("teams", "teams"),
    "templates": ("templates", "templates"),
    "users": ("users", "users"),
    "whoami": ("whoami", "whoami"),
}


class BackofficeGroup(click.Group):
    """Loads subcommands when they are used, and turns the project's expected
    errors into one line and exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            loaded = importlib.import_module(f"backoffice_tui.cli.commands.{module}")
            command = getattr(loaded, attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, so that a reader gone away is met below
            return result
        except BrokenPipeError:
            _reader_gone()
        except BackofficeError as error:
            raise UserError(str(error)) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except OSError as error:
            raise UserError(storage_message(error) or _unexpected(error)) from None
        except Exception as error:
            raise UserError(_unexpected(error)) from None


@click.group(cls=BackofficeGroup, invoke_without_command=True)
@click.option("--database", metavar="URL", help="Database URL (beats config and environment).")
@click.option("--user", metavar="LOGIN", help="Act as this user (admins only on PostgreSQL).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file to use.",
)
@click.option("--theme", metavar="NAME", help="Console theme: dark, light or high-contrast.")
@click.option(
    "--screen",
    type=click.Choice(SCREEN_NAMES),
    default="home",
    show_default=True,
    help="The screen the console opens on.",
)
@click.option("--customer", metavar="CODE", help="Open the console on this customer.")
@click.version_option(__version__, prog_name="backoffice")
@click.pass_context
def cli(
    ctx: click.Context,
    database: str | None,
    user: str | None,
    config_path: Path | None,
    theme: str | None,
    screen: str,
    customer: str | None,
) -> None:
    """Back-office work queues, customer timelines, handoffs and approvals.

    With no command, opens the console on the configured database.
    """
    if isinstance(ctx.obj, CliState) and ctx.obj.gateway_login is not None:
        # a command sent through the SSH gateway: its forced command chose the
        # database, the config and the operator, which no option can change
        if database is not None or user is not None or config_path is not None:
            raise UserError("--database, --config and --user are the SSH gateway's to choose")
        ctx.obj.theme = theme or ctx.obj.theme
    else:
        ctx.obj = CliState(
            database_option=database, config_option=config_path, user_option=user, theme=theme
        )
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        from backoffice_tui.cli.console import run_console  # only the console loads Textual

        run_console(ctx.obj, ctx.obj.theme, screen, customer)


def main() -> None:
    cli(prog_name="backoffice")


if __name__ == "__main__":  # pragma: no cover
    main()
