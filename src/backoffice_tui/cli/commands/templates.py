"""``backoffice templates``: load and list process templates."""

from pathlib import Path

import click

from backoffice_tui.cli.commands._options import json_option
from backoffice_tui.cli.output import print_json, print_table, say
from backoffice_tui.cli.state import CliState, pass_state
from backoffice_tui.services.work.templates import list_templates, load_templates


@click.group()
def templates() -> None:
    """Process templates (TOML files, versioned)."""


@templates.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_state
def load_command(state: CliState, files: tuple[Path, ...], as_json: bool) -> None:
    """Load template files (all or nothing); an unchanged version is left as is."""
    results = load_templates(state.database(), state.actor(), list(files))
    if as_json:
        print_json(results)
    else:
        for r in results:
            say(f"{r.service} version {r.version}: {'loaded' if r.created else 'unchanged'}")


@templates.command("list")
@json_option
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """List loaded templates."""
    rows = list_templates(state.database())
    if as_json:
        print_json(rows)
    else:
        print_table(
            ("SERVICE", "NAME", "VERSION", "STEPS", "LOADED"),
            ((r.service, r.name, r.version, r.steps, r.loaded_at) for r in rows),
        )
