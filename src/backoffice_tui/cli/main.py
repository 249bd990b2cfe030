"""The ``backoffice`` command."""

import atexit
import contextlib
import errno
import importlib
import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from backoffice_tui import __version__
from backoffice_tui.cli.logs import log, log_file
from backoffice_tui.cli.state import CliState, collector_paused
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


@dataclass(frozen=True)
class Subcommand:
    """Where a subcommand is, and what ``backoffice --help`` says of it."""

    module: str  # under ``cli/commands``
    attribute: str  # the click command in it
    summary: str  # the first paragraph of its help (a test keeps the two in step)
    hidden: bool = False


#: Each subcommand. A module is imported only when its command is used, never
#: to list it in --help, so that a command loads nothing another one needs.
COMMANDS: dict[str, Subcommand] = {
    "applications": Subcommand(
        "applications",
        "applications",
        "Applications: forms of a configured kind, routed for approval.",
    ),
    "approvals": Subcommand(
        "approvals",
        "approvals",
        "Approval requests: list, show, decide, re-apply, withdraw, request.",
    ),
    "config": Subcommand(
        "config_cmd", "config", "Create, locate and change the configuration file."
    ),
    "customers": Subcommand("customers", "customers", "Customers and their consolidated timeline."),
    "db": Subcommand("db", "db", "Create or upgrade the database schema."),
    "delegations": Subcommand(
        "delegations", "delegations", "Delegations of approvals: add, list, end."
    ),
    "demo": Subcommand(
        "demo",
        "demo",
        "Open the console on the demo database (created and loaded on first use), "
        "or manage demo data with a subcommand.",
    ),
    "events": Subcommand("events", "events", "Events after an id, oldest first."),
    "export": Subcommand(
        "exports",
        "export",
        "Write the queue, customers, events or a saved view as CSV, XLSX or JSON.",
    ),
    "gateway": Subcommand(
        "gateway",
        "gateway",
        "Run what the operator LOGIN sent over SSH (the forced command of the "
        "service account's authorized_keys; see README, 'Team set-up').",
        hidden=True,
    ),
    "handoffs": Subcommand(
        "handoffs",
        "handoffs",
        "Handoffs between teams: list, show, answer the checklist, submit, accept, return.",
    ),
    "import": Subcommand(
        "imports",
        "import_command",
        "Import FILE (CSV or XLSX) as customers, orders or work item changes.",
    ),
    "login": Subcommand(
        "login",
        "login",
        "Ask for the PostgreSQL password, check it by connecting, and store it in the keyring.",
    ),
    "orders": Subcommand("orders", "orders", "Customer orders: create, show, list, cancel."),
    "queue": Subcommand(
        "queue", "queue", "The work queue: list items, claim, start, finish, block."
    ),
    "report": Subcommand(
        "report",
        "report",
        "Where work waits and for how long, SLAs, rework, approvals, automation.",
    ),
    "rules": Subcommand(
        "rules", "rules", "Automation rules: load, list, test, run and follow what they did."
    ),
    "sessions": Subcommand(
        "sessions",
        "sessions",
        "Console sessions for the SSH gateway, forked from one preloaded process.",
    ),
    "ssh-keys": Subcommand(
        "ssh_keys",
        "ssh_keys",
        "The operators' SSH keys for the gateway on the jump host (admins).",
    ),
    "teams": Subcommand(
        "teams", "teams", "Teams, and loading an organisation file (teams, users, roles)."
    ),
    "templates": Subcommand("templates", "templates", "Process templates (TOML files, versioned)."),
    "users": Subcommand("users", "users", "Users, their teams and roles."),
    "whoami": Subcommand(
        "whoami",
        "whoami",
        "Who you are to this database: login, name, admin, and what said so "
        "(gateway, database login, os login or --user).",
    ),
}


class BackofficeGroup(click.Group):
    """Loads subcommands when they are used, and turns the project's expected
    errors into one line and exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            entry = COMMANDS[cmd_name]
            with collector_paused():
                loaded = importlib.import_module(f"backoffice_tui.cli.commands.{entry.module}")
            command = getattr(loaded, entry.attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands in --help, as click writes it, but from the
        summaries in ``COMMANDS`` for the commands not loaded."""
        listed = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None and name in COMMANDS:
                entry = COMMANDS[name]
                command = click.Command(name, help=entry.summary, hidden=entry.hidden)
            if command is not None and not command.hidden:
                listed.append((name, command))
        if listed:
            limit = formatter.width - 6 - max(len(name) for name, _ in listed)
            with formatter.section("Commands"):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in listed])

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


def _no_other_threads() -> bool:
    current = threading.current_thread()
    return all(t is current or t.daemon or not t.is_alive() for t in threading.enumerate())


def _exit_without_teardown(stop: SystemExit) -> None:
    """End the process at once with the status ``stop`` carries, once the
    output is flushed and the exit handlers (the log file's among them) have
    run: the interpreter's teardown, which would take apart the hundred
    thousand objects of SQLAlchemy, the models and the driver one by one,
    costs a short command a third of its CPU time and does nothing the
    operating system does not do when the process ends. Returns (for the
    ordinary exit) when the status is not a number, another thread still
    runs or the output cannot be flushed."""
    code = 0 if stop.code is None else stop.code
    if not isinstance(code, int) or not _no_other_threads():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def main() -> None:
    """The ``backoffice`` program (tests call ``cli`` through click's runner)."""
    try:
        cli(prog_name="backoffice")
    except SystemExit as stop:
        _exit_without_teardown(stop)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
