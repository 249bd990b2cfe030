"""load_settings: precedence and the checks on config.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice_tui.config import (
    KNOWN_SETTINGS,
    Settings,
    default_config_path,
    default_database_url,
    demo_database_url,
    load_settings,
)
from backoffice_tui.config.paths import APP_NAME, config_dir, data_dir, log_dir, state_dir
from backoffice_tui.domain.errors import ConfigError

FILE_URL = "postgresql+psycopg://file@db.example.com/backoffice"
ENV_URL = "postgresql+psycopg://env@db.example.com/backoffice"
CLI_URL = "sqlite:///cli.db"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "config.toml",
        f"""\
[database]
url = "{FILE_URL}"
[ui]
theme = "light"
ascii_borders = true
mouse = true
[sync]
poll_interval = 2.5
[approvals]
undo_seconds = 0
""",
    )


# --- paths -------------------------------------------------------------------


def test_paths_use_the_app_name() -> None:
    for directory in (config_dir(), data_dir(), state_dir(), log_dir()):
        assert APP_NAME in str(directory)
    assert default_config_path() == config_dir() / "config.toml"
    assert default_database_url() == "sqlite:///" + str(data_dir() / "backoffice.db")
    assert demo_database_url() == "sqlite:///" + str(data_dir() / "demo.db")


def test_known_settings_cover_every_settings_field() -> None:
    expected = {
        "database.url": str,
        "ui.theme": str,
        "ui.ascii_borders": bool,
        "ui.mouse": bool,
        "ui.bell": bool,
        "sync.poll_interval": float,
        "approvals.undo_seconds": float,
        "orders.code_pattern": str,
        "connection.timeout": float,
        "connection.pool_size": int,
    }
    assert expected == KNOWN_SETTINGS


# --- precedence --------------------------------------------------------------


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.toml"
    settings = load_settings(config=missing, environ={})
    assert settings == Settings(database_url=default_database_url(), config_path=missing)
    assert (settings.theme, settings.ascii_borders, settings.mouse) == ("dark", False, False)
    assert (settings.poll_interval, settings.undo_seconds, settings.user) == (1.0, 5.0, None)


def test_file_values_are_read(config_file: Path) -> None:
    settings = load_settings(config=config_file, environ={}, user="alice")
    assert settings == Settings(
        database_url=FILE_URL,
        config_path=config_file,
        theme="light",
        ascii_borders=True,
        mouse=True,
        poll_interval=2.5,
        undo_seconds=0.0,
        user="alice",
    )
    assert isinstance(settings.undo_seconds, float)


def test_env_url_beats_file(config_file: Path) -> None:
    settings = load_settings(config=config_file, environ={"BACKOFFICE_DATABASE_URL": ENV_URL})
    assert settings.database_url == ENV_URL
    assert settings.theme == "light"  # the rest still comes from the file


def test_cli_url_beats_env_and_file(config_file: Path) -> None:
    settings = load_settings(
        database=CLI_URL, config=config_file, environ={"BACKOFFICE_DATABASE_URL": ENV_URL}
    )
    assert settings.database_url == CLI_URL


def test_empty_env_var_counts_as_unset(config_file: Path) -> None:
    settings = load_settings(config=config_file, environ={"BACKOFFICE_DATABASE_URL": " "})
    assert settings.database_url == FILE_URL


def test_config_path_from_env_and_cli(tmp_path: Path, config_file: Path) -> None:
    other = write(tmp_path / "other.toml", '[ui]\ntheme = "high-contrast"\n')
    from_env = load_settings(environ={"BACKOFFICE_CONFIG": str(config_file)})
    assert from_env.config_path == config_file
    assert from_env.theme == "light"
    from_cli = load_settings(config=other, environ={"BACKOFFICE_CONFIG": str(config_file)})
    assert from_cli.config_path == other
    assert from_cli.theme == "high-contrast"


def test_default_config_path_when_nothing_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    settings = load_settings(environ={})
    assert settings.config_path == default_config_path()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://alice@db/bo", "postgresql+psycopg://alice@db/bo"),
        ("postgres://alice@db:6432/bo", "postgresql+psycopg://alice@db:6432/bo"),
        ("postgresql+psycopg://alice@db/bo", "postgresql+psycopg://alice@db/bo"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_urls_are_normalised(tmp_path: Path, given: str, expected: str) -> None:
    path = write(tmp_path / "c.toml", f'[database]\nurl = "{given}"\n')
    assert load_settings(config=path, environ={}).database_url == expected
    assert load_settings(database=given, config=path, environ={}).database_url == expected


def test_password_in_url_is_accepted_from_env_but_refused_on_the_command_line(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "config.toml"
    url = "postgresql://alice:s3cret@db/bo"
    from_env = load_settings(config=missing, environ={"BACKOFFICE_DATABASE_URL": url})
    assert from_env.database_url == "postgresql+psycopg://alice:s3cret@db/bo"
    for given in (url, "postgresql://alice@db/bo?password=s3cret", "postgresql://a:s3cr@t@db/bo"):
        with pytest.raises(ConfigError, match="process list") as refused:
            load_settings(database=given, config=missing, environ={})
        assert "s3cr" not in str(refused.value)
        assert "backoffice login" in str(refused.value)


# --- errors ------------------------------------------------------------------


def error_for(path: Path, **kwargs: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(config=path, environ={}, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[ui]\ntheme = "dark"\nmouse = \n')
    message = error_for(path)
    assert str(path) in message
    assert "line 3" in message
    assert "column" in message
    assert "config init --force" in message


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[ui]\ncolour = "red"\n')
    message = error_for(path)
    assert message.startswith(f"unknown setting 'ui.colour' in {path}; known: ")
    assert "ui.theme" in message


def test_unknown_section(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[colours]\nred = 1\n")
    message = error_for(path)
    assert "unknown setting 'colours'" in message
    assert str(path) in message


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'ui = "dark"\n')
    assert "must be a [ui] table" in error_for(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[ui]\nmouse = "yes"\n', "ui.mouse must be true or false"),
        ("[ui]\nascii_borders = 1\n", "ui.ascii_borders must be true or false"),
        ('[sync]\npoll_interval = "fast"\n', "sync.poll_interval must be a number"),
        ("[sync]\npoll_interval = true\n", "sync.poll_interval must be a number"),
        ("[sync]\npoll_interval = 0\n", "sync.poll_interval must be greater than 0"),
        ("[sync]\npoll_interval = nan\n", "sync.poll_interval must be a finite number"),
        ("[approvals]\nundo_seconds = -1\n", "approvals.undo_seconds must be 0 seconds or more"),
        ("[ui]\ntheme = 3\n", "ui.theme must be a quoted string"),
        ('[ui]\ntheme = "neon"\n', "ui.theme must be one of dark, light, high-contrast"),
        ("[approvals]\nundo_seconds = 1e300\n", "approvals.undo_seconds must be at most 60"),
        ("[sync]\npoll_interval = 3600\n", "sync.poll_interval must be at most 60"),
        ('[ui]\ntheme = ""\n', "ui.theme must not be empty"),
        ("[database]\nurl = 5\n", "database.url must be a quoted string"),
    ],
)
def test_wrong_type_or_range(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "config.toml", text)
    message = error_for(path)
    assert message.startswith(expected)
    assert str(path) in message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[database]\npassword = "hunter2"\n', "database.password"),
        ('[database]\nurl = "sqlite:///x.db"\ndb_passwd = "hunter2"\n', "database.db_passwd"),
        ('[ui]\ntheme = "dark"\n[ui.extra]\nsecret = "x"\n', "ui.extra.secret"),
        ('pgpassword = "x"\n', "pgpassword"),
    ],
)
def test_password_key_anywhere_is_refused(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path / "config.toml", text)
    message = error_for(path)
    assert message == (
        f"{path} holds a database password ({where}); remove it and use "
        "`backoffice login`, BACKOFFICE_DB_PASSWORD or ~/.pgpass"
    )
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:hunter2@db.example.com/backoffice",
        "postgres://alice:hunter2@db/bo",
        "postgresql+psycopg://alice@db/bo?password=hunter2",
    ],
)
def test_password_in_file_url_is_refused(tmp_path: Path, url: str) -> None:
    path = write(tmp_path / "config.toml", f'[database]\nurl = "{url}"\n')
    message = error_for(path)
    assert message == (
        f"{path} holds a database password (database.url); remove it and use "
        "`backoffice login`, BACKOFFICE_DB_PASSWORD or ~/.pgpass"
    )
    # Even with a CLI URL given, a file holding a password is refused.
    assert "holds a database password" in error_for(path, database="sqlite://")


@pytest.mark.parametrize("url", ["mysql://alice@db/bo", "not a url", "https://example.com/"])
def test_not_a_database_url(tmp_path: Path, url: str) -> None:
    path = write(tmp_path / "config.toml", f'[database]\nurl = "{url}"\n')
    message = error_for(path)
    assert message.startswith(f"not a database URL: {url} (in {path})")
    assert message.endswith("use sqlite:///PATH or postgresql://USER@HOST/DB")


def test_bad_url_from_env_hides_its_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            config=tmp_path / "config.toml",
            environ={"BACKOFFICE_DATABASE_URL": "mysql://alice:hunter2@db/bo"},
        )
    message = str(caught.value)
    assert "from BACKOFFICE_DATABASE_URL" in message
    assert "hunter2" not in message


def test_config_path_that_is_a_directory(tmp_path: Path) -> None:
    assert "is a directory" in error_for(tmp_path)


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[ui]\ntheme = "\xff"\n')
    assert "is not UTF-8 text" in error_for(path)
