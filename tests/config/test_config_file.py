"""config init / config set / config get on real files."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from backoffice_tui.config import (
    KNOWN_SETTINGS,
    Settings,
    default_database_url,
    get_config_value,
    init_config,
    load_settings,
    set_config_value,
)
from backoffice_tui.domain.errors import ConfigError


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def only_file_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- init --------------------------------------------------------------------


def test_init_writes_commented_defaults_that_load_back(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "config.toml"
    assert init_config(path) == path
    assert mode_of(path) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# backoffice-tui settings.")
    assert "backoffice login" in text  # says where passwords go instead
    # A comment line sits right above every key.
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), line
    # Every setting is present (database.url as a commented-out example).
    data = tomllib.loads(text)
    for key in KNOWN_SETTINGS:
        section, name = key.split(".")
        if key == "database.url":
            assert "# url = " in text
        else:
            assert name in data[section]
    assert load_settings(config=path, environ={}) == Settings(
        database_url=default_database_url(), config_path=path
    )


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ui]\ntheme = "light"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        init_config(path)
    assert str(caught.value) == f"{path} exists; use --force to overwrite"
    assert path.read_text(encoding="utf-8") == '[ui]\ntheme = "light"\n'
    init_config(path, force=True)
    assert load_settings(config=path, environ={}).theme == "dark"
    assert mode_of(path) == 0o600
    assert only_file_in(tmp_path) == ["config.toml"]  # no temporary files left


# --- set ---------------------------------------------------------------------

EDITED = """\
# My own header comment.
[ui]
theme = "dark"  # I like it dark
# the mouse, please
mouse = false

[sync]
poll_interval = 1.0
"""


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(EDITED, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def test_set_keeps_comments_order_and_other_values(edited: Path) -> None:
    set_config_value(edited, "ui.theme", "light")
    set_config_value(edited, "ui.mouse", "yes")
    set_config_value(edited, "sync.poll_interval", "0.5")
    assert edited.read_text(encoding="utf-8") == EDITED.replace('"dark"', '"light"').replace(
        "mouse = false", "mouse = true"
    ).replace("1.0", "0.5")
    assert mode_of(edited) == 0o600


def test_set_adds_missing_keys_and_sections(edited: Path) -> None:
    set_config_value(edited, "ui.ascii_borders", "on")
    set_config_value(edited, "approvals.undo_seconds", "3")
    set_config_value(edited, "database.url", "postgres://alice@db.example.com/bo")
    text = edited.read_text(encoding="utf-8")
    assert text.startswith(EDITED.split("\n\n")[0])  # [ui] part kept as it was
    assert "# I like it dark" in text and "# the mouse, please" in text
    settings = load_settings(config=edited, environ={})
    assert settings.ascii_borders is True
    assert settings.undo_seconds == 3.0
    assert settings.database_url == "postgresql+psycopg://alice@db.example.com/bo"
    assert get_config_value(edited, "approvals.undo_seconds") == 3.0


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        *[("true", True), ("YES", True), ("on", True), ("1", True)],
        *[("false", False), ("no", False), ("Off", False), ("0", False)],
    ],
)
def test_set_bool_words(edited: Path, word: str, expected: bool) -> None:
    set_config_value(edited, "ui.mouse", word)
    assert load_settings(config=edited, environ={}).mouse is expected


def test_set_creates_the_file_from_the_template(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    set_config_value(path, "ui.theme", "high-contrast")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# backoffice-tui settings.")
    assert 'theme = "high-contrast"' in text
    assert mode_of(path) == 0o600
    assert load_settings(config=path, environ={}).theme == "high-contrast"


def test_set_preserves_a_mode_the_owner_chose(edited: Path) -> None:
    os.chmod(edited, 0o640)
    set_config_value(edited, "ui.theme", "light")
    assert mode_of(edited) == 0o640


def test_set_writes_through_a_symlink(tmp_path: Path, edited: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(edited)
    set_config_value(link, "ui.theme", "light")
    assert link.is_symlink()
    assert 'theme = "light"' in edited.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("ui.colour", "red", "unknown setting 'ui.colour'; known: database.url, ui.theme"),
        ("theme", "red", "unknown setting 'theme'; known: "),
        ("ui.mouse", "maybe", "ui.mouse must be true or false"),
        ("sync.poll_interval", "fast", "sync.poll_interval must be a number of seconds"),
        ("sync.poll_interval", "0", "sync.poll_interval must be greater than 0"),
        ("sync.poll_interval", "inf", "sync.poll_interval must be a finite number"),
        ("approvals.undo_seconds", "-2", "approvals.undo_seconds must be 0 seconds or more"),
        ("ui.theme", "  ", "ui.theme must not be empty"),
        ("database.url", "mysql://a@b/c", "not a database URL: mysql://a@b/c"),
        (
            "database.url",
            "postgresql://alice:hunter2@db/bo",
            "refusing to write a database password into",
        ),
    ],
)
def test_set_rejects_bad_input_without_touching_the_file(
    edited: Path, key: str, value: str, expected: str
) -> None:
    before = edited.read_bytes()
    with pytest.raises(ConfigError) as caught:
        set_config_value(edited, key, value)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert "hunter2" not in message
    assert edited.read_bytes() == before
    assert only_file_in(edited.parent) == ["config.toml"]


def test_set_rejects_unknown_key_before_creating_a_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError):
        set_config_value(path, "ui.colour", "red")
    assert not path.exists()


def test_set_refuses_to_edit_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[ui\ntheme = 1\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        set_config_value(path, "ui.theme", "light")
    assert "line 1" in str(caught.value)
    assert path.read_bytes() == before


def test_get_returns_file_value_or_default(edited: Path, tmp_path: Path) -> None:
    assert get_config_value(edited, "ui.theme") == "dark"
    assert get_config_value(edited, "approvals.undo_seconds") == 5.0
    assert get_config_value(tmp_path / "missing.toml", "database.url") == default_database_url()
    with pytest.raises(ConfigError):
        get_config_value(edited, "ui.colour")
