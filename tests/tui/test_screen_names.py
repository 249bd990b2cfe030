"""The console's screens are declared once: app modes, --screen and the number keys follow."""

import subprocess
import sys
from pathlib import Path

import click

from backoffice_tui.cli.main import cli
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp, create_app
from backoffice_tui.tui.screen_names import SCREEN_NAMES, SCREEN_TITLES
from backoffice_tui.tui.widgets.app_header import AppHeader
from tests.conftest import resolve_actor_for
from tests.tui.conftest import make_settings, settle

TEXTUAL_BLOCKED = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "textual":
            raise ImportError("textual imported: " + name)
        return None

sys.meta_path.insert(0, Blocker())
import {module}
print("ok")
"""


def test_app_modes_are_the_declared_screens() -> None:
    assert tuple(BackofficeApp.MODES) == SCREEN_NAMES
    assert tuple(SCREEN_TITLES) == SCREEN_NAMES


def test_screen_option_offers_the_declared_screens() -> None:
    option = next(param for param in cli.params if param.name == "screen")
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == SCREEN_NAMES


def test_number_keys_open_the_declared_screens_in_order() -> None:
    actions = [
        (binding.key, binding.action)
        for binding in BackofficeApp.BINDINGS
        if not isinstance(binding, tuple) and (binding.id or "").startswith("nav.")
    ]
    assert actions == [
        (str(number), f"switch_mode('{name}')") for number, name in enumerate(SCREEN_NAMES, 1)
    ]


def test_the_names_and_the_command_line_load_without_textual() -> None:
    for module in ("backoffice_tui.tui.screen_names", "backoffice_tui.cli.main"):
        result = subprocess.run(
            [sys.executable, "-c", TEXTUAL_BLOCKED.format(module=module)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"


async def test_the_console_opens_on_each_declared_screen(demo_db: Database, tmp_path: Path) -> None:
    actor = resolve_actor_for(demo_db, "kimura")
    for name in SCREEN_NAMES:
        app = create_app(make_settings(demo_db, tmp_path), demo_db, actor, start_screen=name)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert app.current_mode == name
            assert app.screen.query_one(AppHeader).screen_title == SCREEN_TITLES[name]
