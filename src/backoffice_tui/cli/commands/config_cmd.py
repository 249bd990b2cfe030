"""``backoffice config``: the configuration file."""

import os
from pathlib import Path

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.config import init_config, set_config_value
from backoffice_tui.config.settings import resolve_config_path


@click.group()
def config() -> None:
    """Create, locate and change the configuration file."""


def _config_path(state: CliState) -> Path:
    return resolve_config_path(state.config_option, os.environ)


@config.command("path")
@json_option
@pass_state
def path_command(state: CliState, as_json: bool) -> None:
    """Print where the configuration file is."""
    path = _config_path(state)
    if as_json:
        print_json({"path": str(path), "exists": path.exists()})
    else:
        say(str(path))


@config.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
@pass_state
def init_command(state: CliState, force: bool, as_json: bool) -> None:
    """Write a commented configuration file with every setting."""
    path = init_config(_config_path(state), force=force)
    if as_json:
        print_json({"path": str(path)})
    else:
        say(f"wrote {path}")


@config.command("set")
@click.argument("key")
@click.argument("value")
@json_option
@pass_state
def set_command(state: CliState, key: str, value: str, as_json: bool) -> None:
    """Set KEY (such as ui.theme) to VALUE, keeping the file's comments."""
    path = _config_path(state)
    set_config_value(path, key, value)
    if as_json:
        print_json({"path": str(path), "key": key, "value": value})
    else:
        say(f"{key} = {value} in {path}")
