"""Configuration: file locations, typed settings, config.toml and passwords.

Plain Python (no Textual, no database connection). The command line builds a
``Settings`` with ``load_settings`` and hands it to ``create_app``.
"""

from backoffice_tui.config.config_file import get_config_value, init_config, set_config_value
from backoffice_tui.config.paths import (
    APP_NAME,
    config_dir,
    data_dir,
    default_config_path,
    default_database_url,
    demo_database_url,
    log_dir,
    state_dir,
)
from backoffice_tui.config.secrets import (
    KEYRING_SERVICE,
    keyring_username,
    resolve_password,
    store_password,
)
from backoffice_tui.config.settings import (
    ENV_CONFIG,
    ENV_DATABASE_URL,
    Settings,
    load_settings,
    normalise_database_url,
)
from backoffice_tui.config.spec import KNOWN_SETTINGS
from backoffice_tui.domain.urls import database_url_has_password, mask_url_password

__all__ = [
    "APP_NAME",
    "ENV_CONFIG",
    "ENV_DATABASE_URL",
    "KEYRING_SERVICE",
    "KNOWN_SETTINGS",
    "Settings",
    "config_dir",
    "data_dir",
    "database_url_has_password",
    "default_config_path",
    "default_database_url",
    "demo_database_url",
    "get_config_value",
    "init_config",
    "keyring_username",
    "load_settings",
    "log_dir",
    "mask_url_password",
    "normalise_database_url",
    "resolve_password",
    "set_config_value",
    "state_dir",
    "store_password",
]
