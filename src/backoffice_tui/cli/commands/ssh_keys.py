"""``backoffice ssh-keys``: the operators' keys behind the SSH gateway."""

import os
import sys
from pathlib import Path
from typing import IO

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.config.authorized_keys import (
    MAX_KEY_FILE,
    GatewayKey,
    default_authorized_keys,
    parse_public_key,
)
from backoffice_tui.config.settings import resolve_config_path
from backoffice_tui.domain.errors import ConfigError, InvalidInput
from backoffice_tui.services.people.ssh_keys import add_ssh_key, list_ssh_keys, remove_ssh_keys

#: The session client, which the forced command runs (``gateway.client``).
SESSION_CLIENT = "backoffice_tui.gateway.client"


def forced_command(state: CliState) -> list[str]:
    """The session client by this program's own Python (the path as it is
    named, so a virtual environment stays itself), and the config this
    command was given: the gateway reads its database from there. A
    ``--database`` is not passed on: it may name the admin's own connection
    (PostgreSQL), not the service account's."""
    if not sys.executable:
        raise ConfigError("cannot find this program's Python to name in the forced command")
    words = [os.path.abspath(sys.executable), "-m", SESSION_CLIENT]
    if state.config_option is not None or os.environ.get("BACKOFFICE_CONFIG", "").strip():
        config = resolve_config_path(state.config_option, os.environ)
        words += ["--config", os.path.abspath(config)]
    return words


def _authorized_keys(path: Path | None) -> Path:
    return default_authorized_keys() if path is None else path


def _row(key: GatewayKey) -> dict[str, str]:
    return {
        "login": key.login,
        "key_type": key.key_type,
        "fingerprint": key.fingerprint,
        "comment": key.comment,
    }


authorized_keys_option = click.option(
    "--authorized-keys",
    "authorized_keys",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The service account's authorized_keys (default: ~/.ssh/authorized_keys).",
)


@click.group("ssh-keys")
def ssh_keys() -> None:
    """The operators' SSH keys for the gateway on the jump host (admins).

    Run as the service account: each key gets a line in its authorized_keys
    whose forced command names the operator's login.
    """


@ssh_keys.command("add")
@click.argument("login")
@click.argument("keyfile", type=click.File("r", encoding="utf-8", lazy=False))
@authorized_keys_option
@json_option
@pass_state
def add_command(
    state: CliState,
    login: str,
    keyfile: IO[str],
    authorized_keys: Path | None,
    as_json: bool,
) -> None:
    """Let the public key in KEYFILE (- for stdin) log in as LOGIN."""
    path = _authorized_keys(authorized_keys)
    try:
        text = keyfile.read(MAX_KEY_FILE + 1)
    except UnicodeDecodeError:
        raise InvalidInput("the key file is not text; give the public key (.pub)") from None
    if len(text) > MAX_KEY_FILE:
        raise InvalidInput("the key file is too big for one public key")
    key = parse_public_key(text)
    added = add_ssh_key(state.database(), state.actor(), login, key, path, forced_command(state))
    if as_json:
        print_json(_row(added))
    else:
        say(f"{added.key_type} key {added.fingerprint} may now log in as {login}")


@ssh_keys.command("list")
@authorized_keys_option
@json_option
@pass_state
def list_command(state: CliState, authorized_keys: Path | None, as_json: bool) -> None:
    """The gateway's keys: login, key type, fingerprint and comment."""
    keys = list_ssh_keys(state.actor(), _authorized_keys(authorized_keys))
    if as_json:
        print_json([_row(k) for k in keys])
    else:
        print_table(
            ("LOGIN", "TYPE", "FINGERPRINT", "COMMENT"),
            ((k.login, k.key_type, k.fingerprint, k.comment) for k in keys),
        )


@ssh_keys.command("remove")
@click.argument("login")
@click.argument("fingerprint", required=False)
@authorized_keys_option
@json_option
@pass_state
def remove_command(
    state: CliState,
    login: str,
    fingerprint: str | None,
    authorized_keys: Path | None,
    as_json: bool,
) -> None:
    """Remove LOGIN's keys, or only the one with FINGERPRINT (SHA256:...)."""
    path = _authorized_keys(authorized_keys)
    removed = remove_ssh_keys(state.database(), state.actor(), login, path, fingerprint)
    if as_json:
        print_json([_row(k) for k in removed])
    else:
        for key in removed:
            say(f"removed {key.key_type} key {key.fingerprint} of {login}")
