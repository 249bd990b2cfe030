"""Where backoffice-tui keeps its files, per platform (platformdirs).

Nothing here creates a directory; whoever writes a file creates its parent.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "backoffice-tui"


def config_dir() -> Path:
    """The per-user configuration directory (holds config.toml)."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The per-user data directory (holds the default SQLite databases)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    """The per-user state directory (remembered UI state, history)."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    """The per-user log directory (tracebacks of unexpected failures)."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def default_config_path() -> Path:
    """The config file used when neither --config nor BACKOFFICE_CONFIG is given."""
    return config_dir() / "config.toml"


def default_database_url() -> str:
    """The SQLite database used when no database URL is configured anywhere."""
    return "sqlite:///" + str(data_dir() / "backoffice.db")


def demo_database_url() -> str:
    """The SQLite database that the demo data is loaded into."""
    return "sqlite:///" + str(data_dir() / "demo.db")
