"""``backoffice gateway LOGIN``: the forced command of the SSH gateway.

The service account's authorized_keys runs it for each operator's key (see
``backoffice ssh-keys``). OpenSSH puts what the operator typed after the
host name in ``SSH_ORIGINAL_COMMAND``: nothing opens the console as LOGIN;
anything else is one ``backoffice`` command, split like a shell's words but
never given to a shell, and refused if it holds a shell character, an option
that chooses the database, the config or the operator, a file on the jump
host (those are the service account's), or a command that changes the
service account itself. The gateway's own global options (the
ones written into authorized_keys, such as ``--config``) stay in force.
"""

import os
import shlex
import sys
from dataclasses import dataclass

import click

from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.config import ENV_CONFIG, ENV_DATABASE_URL
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.logins import check_gateway_login
from backoffice_tui.gateway.protocol import NEEDS_TERMINAL

#: Characters a shell would act on; no shell runs the command, so none may
#: appear in it, quoted or not.
SHELL_CHARACTERS = frozenset(";|&$`<>(){}*?!~\\\n")
#: The global options only the forced command chooses.
GATEWAY_OPTIONS = ("--database", "--config", "--user")
#: Parameters that name files without being typed as paths.
FILE_PARAMETER_NAMES = frozenset({"output"})
#: Commands that change the service account's own configuration or secrets.
SERVICE_COMMANDS = {
    "config": "changes the service account's configuration",
    "db": "changes the schema and its grants, which the owner role does",
    "demo": "replaces the service account's demo database",
    "gateway": "is the gateway itself",
    "login": "stores the service account's database password",
    "sessions": "runs the service account's session server",
}


@dataclass(frozen=True)
class GatewayCommand:
    """What the operator asked for: the arguments for ``backoffice`` and the
    command among them (None: the console, or only --help or --version)."""

    args: tuple[str, ...]
    command: str | None

    @property
    def opens_console(self) -> bool:
        return self.command is None and not {"--help", "--version"} & set(self.args)


def _refuse_shell_characters(text: str) -> None:
    for char in text:
        if char in SHELL_CHARACTERS or (ord(char) < 32 and char not in " \t") or ord(char) == 127:
            shown = {"\n": "a newline", "\\": "a backslash"}.get(char, repr(char))
            raise InvalidInput(
                f"refused: the command holds {shown}, and no shell runs it; "
                "send one backoffice command, such as `queue list --json`"
            )


def _refuse_gateway_options(args: list[str]) -> None:
    for arg in args:
        name = arg.split("=", 1)[0]
        if len(name) > 2 and name.startswith("--"):
            for option in GATEWAY_OPTIONS:
                if option.startswith(name):
                    raise InvalidInput(
                        f"refused: {option} is the gateway's to choose; send the command without it"
                    )


def _command_name(args: list[str], root: click.Command) -> str | None:
    """The first argument that is neither a global option nor its value."""
    takes_value: dict[str, bool] = {}
    for param in root.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not (param.is_flag or param.count)
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return args[index + 1] if index + 1 < len(args) else None
        if not arg.startswith("-"):
            return arg
        if "=" not in arg and takes_value.get(arg, False):
            index += 1
        index += 1
    return None


def is_file_parameter(param: click.Parameter) -> bool:
    """A parameter that names a file or folder (``-`` names standard input or output)."""
    return isinstance(param.type, click.Path | click.File) or param.name in FILE_PARAMETER_NAMES


def _given(value: object) -> list[str]:
    """The words given for a parameter (click marks one not given with a sentinel)."""
    values = list(value) if isinstance(value, list | tuple) else [value]
    return [v for v in values if isinstance(v, str)]


def _named_files(root: click.Command, args: list[str]) -> list[str]:
    """The parameters of the command in ``args`` that name a file on this
    host, found by click's own parser as the command will be parsed."""
    found: list[str] = []
    command, name, parent, rest = root, "backoffice", None, args
    while True:
        ctx = click.Context(
            command,
            info_name=name,
            parent=parent,
            resilient_parsing=True,
            **command.context_settings,
        )
        values, rest, _ = command.make_parser(ctx).parse_args(list(rest))
        for param in command.get_params(ctx):
            given = _given(values.get(param.name)) if param.name else []
            if is_file_parameter(param) and any(value != "-" for value in given):
                found.append(
                    param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
                )
        if not isinstance(command, click.Group) or not rest:
            return found
        subcommand = command.get_command(ctx, rest[0])
        if subcommand is None:
            return found
        command, name, parent, rest = subcommand, rest[0], ctx, rest[1:]


def parse_ssh_command(text: str, root: click.Command) -> GatewayCommand:
    """Check ``SSH_ORIGINAL_COMMAND`` and turn it into ``backoffice``'s arguments."""
    _refuse_shell_characters(text)
    try:
        args = shlex.split(text)
    except ValueError as error:
        raise InvalidInput(f"refused: cannot read the command ({error})") from None
    _refuse_gateway_options(args)
    command = _command_name(args, root)
    if command in SERVICE_COMMANDS:
        raise InvalidInput(
            f"refused: `{command}` {SERVICE_COMMANDS[command]}; "
            "only the service account on the jump host runs it"
        )
    files = _named_files(root, args)
    if files:
        raise InvalidInput(
            f"refused: {files[0]} names a file on the jump host, whose files are the "
            "service account's; use - for standard input or output where the command allows"
        )
    return GatewayCommand(tuple(args), command)


def _has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@click.command(hidden=True)
@click.argument("login")
@pass_state
def gateway(state: CliState, login: str) -> None:
    """Run what the operator LOGIN sent over SSH (the forced command of the
    service account's authorized_keys; see README, 'Team set-up')."""
    check_gateway_login(login)
    if state.user_option is not None:
        raise InvalidInput("--user does not apply: the gateway acts as the LOGIN it names")
    root = click.get_current_context().find_root().command
    sent = parse_ssh_command(os.environ.get("SSH_ORIGINAL_COMMAND", ""), root)
    if sent.opens_console and not _has_terminal():
        raise InvalidInput(NEEDS_TERMINAL)
    if state.database_option is not None or state.config_option is not None:
        # the forced command's options are the whole choice: nothing an SSH
        # client may have set in the environment overrides them
        for variable in (ENV_DATABASE_URL, ENV_CONFIG):
            os.environ.pop(variable, None)
    bound = CliState(
        database_option=state.database_option,
        config_option=state.config_option,
        user_option=None,
        theme=state.theme,
        gateway_login=login,
    )
    bound.actor()  # an unknown or deactivated login goes no further, whatever it sent
    root.main(list(sent.args), prog_name="backoffice", obj=bound)
