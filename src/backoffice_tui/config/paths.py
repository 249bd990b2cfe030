"""Where backoffice-tui keeps its files, per platform (platformdirs).

Nothing here creates a directory; whoever writes a file creates its parent.

Behind the SSH gateway every operator runs as the one service account, so a
process bound to a gateway login (``keep_files_per_login``) keeps its data,
state and logs in a ``logins/LOGIN`` folder of the account's own: one
operator's drafts never meet another's. The configuration and the default
databases stay the account's: they are what the operators share.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from backoffice_tui.domain.logins import check_gateway_login

APP_NAME = "backoffice-tui"


class _LoginFolders:
    login: str | None = None


def keep_files_per_login(login: str | None) -> None:
    """From now on keep this process's data, state and logs in ``logins/LOGIN``
    folders (None: in the account's own folders again)."""
    _LoginFolders.login = None if login is None else check_gateway_login(login)


def files_login() -> str | None:
    """The gateway login this process keeps its files for, if any."""
    return _LoginFolders.login


def _per_login(folder: Path) -> Path:
    login = _LoginFolders.login
    return folder if login is None else folder / "logins" / login


def config_dir() -> Path:
    """The per-user configuration directory (holds config.toml)."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def _account_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The per-user data directory (per login behind the gateway)."""
    return _per_login(_account_data_dir())


def state_dir() -> Path:
    """The per-user state directory (drafts, remembered UI state, history)."""
    return _per_login(platformdirs.user_state_path(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """The per-user log directory (tracebacks of unexpected failures)."""
    return _per_login(platformdirs.user_log_path(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    """The config file used when neither --config nor BACKOFFICE_CONFIG is given."""
    return config_dir() / "config.toml"


def default_database_url() -> str:
    """The SQLite database used when no database URL is configured anywhere."""
    return "sqlite:///" + str(_account_data_dir() / "backoffice.db")


def demo_database_url() -> str:
    """The SQLite database that the demo data is loaded into."""
    return "sqlite:///" + str(_account_data_dir() / "demo.db")
