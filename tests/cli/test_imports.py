"""What a command loads, so that a short command costs little CPU: ``--help``
lists every command without loading one, a read loads no console, no
spreadsheet, migration or keyring code, and the listing says of each command
what the command says of itself."""

import inspect
import json
import os
import subprocess
import sys

import click
import pytest

from backoffice_tui.cli.main import COMMANDS, cli
from tests.cli.support import as_operator

DATABASE_STACK = {"sqlalchemy", "psycopg", "backoffice_tui.store", "backoffice_tui.services"}
CONSOLE_AND_EXTRAS = {"textual", "rich", "openpyxl", "alembic", "keyring", "tomlkit"}
PROGRAM = "from backoffice_tui.cli.main import main; main()"


def run_program(
    *args: str, program: str = PROGRAM
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``backoffice ARGS`` as its own process, started as the installed
    program starts it; its result and the modules it imported (as ``python
    -X importtime`` lists them)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("BACKOFFICE_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", program, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    modules.discard("imported package")
    return done, modules


def loaded(modules: set[str], packages: set[str]) -> set[str]:
    """Those of ``packages`` that one of ``modules`` is, or is inside."""
    return {p for p in packages for m in modules if m == p or m.startswith(f"{p}.")}


def test_help_loads_no_command_and_no_database_stack() -> None:
    done, modules = run_program("--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "  queue " in done.stdout and "  templates " in done.stdout
    assert "backoffice_tui.cli.main" in modules  # the listing is of what was imported
    assert loaded(modules, DATABASE_STACK | CONSOLE_AND_EXTRAS) == set()
    assert "backoffice_tui.cli.commands._options" not in modules


def test_a_read_loads_no_console_spreadsheet_migration_or_keyring(demo_url: str) -> None:
    done, modules = run_program(*as_operator(demo_url, "kimura"), "queue", "list", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout), "the queue read something"
    assert "sqlalchemy" in modules and "backoffice_tui.services.work.queue" in modules
    assert loaded(modules, CONSOLE_AND_EXTRAS) == set()
    driver = {"psycopg"} if demo_url.startswith("postgresql") else set()
    assert loaded(modules, {"psycopg"}) == driver


def first_paragraph(command: click.Command) -> str:
    """What click's --help shows of a command: its help's first paragraph,
    on one line."""
    text = inspect.cleandoc(command.help or "")
    return " ".join(text.split("\n\n", 1)[0].split())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listing_says_what_the_command_says(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    entry = COMMANDS[name]
    assert entry.summary == first_paragraph(command)
    assert entry.hidden == command.hidden


def test_help_lists_the_same_with_every_command_loaded() -> None:
    every_loaded = (
        "import click; from backoffice_tui.cli.main import COMMANDS, cli, main\n"
        "for name in COMMANDS: cli.get_command(click.Context(cli), name)\n"
        "main()"
    )
    listed, _ = run_program("--help")
    loaded, _ = run_program("--help", program=every_loaded)
    assert listed.returncode == loaded.returncode == 0
    assert listed.stdout == loaded.stdout
