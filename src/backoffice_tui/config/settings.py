"""Typed settings, read from config.toml and overridden by env and command line.

Precedence for every value: command line > environment > config file >
built-in default. The file is read with ``tomllib`` and checked strictly: an
unknown key, a value of the wrong type or a password anywhere in it is a
``ConfigError`` naming the file, never silently ignored.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backoffice_tui.config.paths import default_config_path, default_database_url
from backoffice_tui.config.spec import (
    DATABASE_URL,
    KNOWN_SETTINGS,
    ORDER_CODE_PATTERN,
    SECTIONS,
    SETTINGS,
    SPECS,
)
from backoffice_tui.domain.errors import ConfigError, InvalidInput
from backoffice_tui.domain.order_codes import parse_code_pattern
from backoffice_tui.domain.urls import (
    database_url_has_password,
    looks_like_secret_name,
    mask_url_password,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

ENV_CONFIG = "BACKOFFICE_CONFIG"
ENV_DATABASE_URL = "BACKOFFICE_DATABASE_URL"

PASSWORD_ADVICE = "use `backoffice login`, BACKOFFICE_DB_PASSWORD or ~/.pgpass"
URL_ADVICE = "use sqlite:///PATH or postgresql://USER@HOST/DB"


@dataclass(frozen=True)
class Settings:
    """Everything the program needs to know before it opens the database.

    One field per entry of ``spec.SETTINGS`` (same name and default), plus
    where the file is and who --user names.
    """

    database_url: str
    config_path: Path  # the file consulted (may not exist)
    theme: str = "dark"
    ascii_borders: bool = False
    mouse: bool = False
    bell: bool = False  # ring on a new notification
    poll_interval: float = 1.0  # seconds, > 0
    undo_seconds: float = 5.0  # >= 0
    order_code_pattern: str = "ORD-{yyyy}-{n:04}"  # checked by domain.order_codes
    connect_timeout: float = 5.0  # seconds, > 0
    pool_size: int = 1  # PostgreSQL connections, 1 to 20
    user: str | None = None  # --user LOGIN from the command line (not from file/env)


# --------------------------------------------------------------------------
# Database URLs


def _parse_url(url: str) -> URL | None:
    # SQLAlchemy is loaded only when a URL is parsed: a command that parses
    # none (--help, most of config) starts without it
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def normalise_database_url(url: str, *, source: str) -> str:
    """Check that ``url`` is a SQLite or PostgreSQL URL and name the driver.

    A bare ``postgresql://`` or ``postgres://`` becomes ``postgresql+psycopg://``
    (psycopg 3, the driver this program ships with). ``source`` says where the
    URL came from ("in FILE", "from BACKOFFICE_DATABASE_URL") for the message.
    """
    text = url.strip()
    parsed = _parse_url(text) if text else None
    if parsed is None:
        shown = mask_url_password(text) if text else "an empty string"
        raise ConfigError(f"not a database URL: {shown} ({source}); {URL_ADVICE}")
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"not a database URL: {mask_url_password(text)} ({source}); "
            f"only SQLite and PostgreSQL are supported; {URL_ADVICE}"
        )
    if backend == "postgresql" and not driver:
        driver = "psycopg"
    drivername = f"{backend}+{driver}" if driver else backend
    if drivername == parsed.drivername:
        return text
    prefix = parsed.drivername + "://"
    if text.startswith(prefix):
        # Keep the rest of the URL exactly as written (escapes, query order).
        return f"{drivername}://{text[len(prefix) :]}"
    return parsed.set(drivername=drivername).render_as_string(hide_password=False)


# --------------------------------------------------------------------------
# Values


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def coerce_setting(key: str, value: object, *, where: str) -> object:
    """Check one value for ``key`` and return it as the setting's type.

    ``where`` finishes the sentence of the message, e.g. "in /home/a/config.toml".
    A database URL is normalised but not checked for a password (the caller
    decides whether one is allowed where the value came from).
    """
    spec = SPECS[key]
    if spec.type is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false {where}, not {_show(value)}")
        return value
    if spec.type is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be a whole number {where}, not {_show(value)}")
        if value < (1 if spec.above_zero else 0):
            least = 1 if spec.above_zero else 0
            raise ConfigError(f"{key} must be at least {least} {where}, not {value}")
        if spec.at_most is not None and value > spec.at_most:
            raise ConfigError(f"{key} must be at most {spec.at_most:g} {where}, not {value}")
        return value
    if spec.type is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number of seconds {where}, not {_show(value)}")
        number = float(value)
        if not math.isfinite(number):
            raise ConfigError(f"{key} must be a finite number of seconds {where}, not {value}")
        if spec.above_zero and number <= 0:
            raise ConfigError(f"{key} must be greater than 0 seconds {where}, not {value}")
        if number < 0:
            raise ConfigError(f"{key} must be 0 seconds or more {where}, not {value}")
        if spec.at_most is not None and number > spec.at_most:
            raise ConfigError(
                f"{key} must be at most {spec.at_most:g} seconds {where}, not {value}"
            )
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a quoted string {where}, not {_show(value)}")
    if key == DATABASE_URL:
        return normalise_database_url(value, source=where)
    if not value.strip():
        raise ConfigError(f"{key} must not be empty {where}")
    if spec.choices and value.strip() not in spec.choices:
        raise ConfigError(
            f"{key} must be one of {', '.join(spec.choices)} {where}, not {_show(value)}"
        )
    if key == ORDER_CODE_PATTERN:
        try:
            parse_code_pattern(value.strip())
        except InvalidInput as error:
            raise ConfigError(f"{key} {where}: {error}") from None
    return value.strip()


# --------------------------------------------------------------------------
# The config file


def _find_secret_key(table: Mapping[str, object], prefix: str = "") -> str | None:
    """The dotted name of the first password-like key anywhere in ``table``."""
    for name, value in table.items():
        dotted = f"{prefix}{name}"
        if looks_like_secret_name(name):
            return dotted
        found = _find_secret_in_value(value, dotted)
        if found is not None:
            return found
    return None


def _find_secret_in_value(value: object, dotted: str) -> str | None:
    if isinstance(value, Mapping):
        return _find_secret_key(value, dotted + ".")
    if isinstance(value, list):
        for item in value:
            found = _find_secret_in_value(item, dotted)
            if found is not None:
                return found
    return None


def _known_keys() -> str:
    return ", ".join(KNOWN_SETTINGS)


def check_config_data(data: Mapping[str, object], path: Path) -> dict[str, object]:
    """Validate parsed TOML; return the settings it sets as {"section.key": value}."""
    secret = _find_secret_key(data)
    if secret is not None:
        raise ConfigError(
            f"{path} holds a database password ({secret}); remove it and {PASSWORD_ADVICE}"
        )
    values: dict[str, object] = {}
    for section, table in data.items():
        if section not in SECTIONS:
            raise ConfigError(f"unknown setting {section!r} in {path}; known: {_known_keys()}")
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"{section!r} must be a [{section}] table in {path}, not {_show(table)}; "
                f"known: {_known_keys()}"
            )
        for name, value in table.items():
            key = f"{section}.{name}"
            if key not in KNOWN_SETTINGS:
                raise ConfigError(f"unknown setting {key!r} in {path}; known: {_known_keys()}")
            values[key] = value
    url = values.get(DATABASE_URL)
    if isinstance(url, str) and database_url_has_password(url):
        raise ConfigError(
            f"{path} holds a database password (database.url); remove it and {PASSWORD_ADVICE}"
        )
    return {key: coerce_setting(key, value, where=f"in {path}") for key, value in values.items()}


def parse_config_text(text: str, path: Path) -> dict[str, object]:
    """Parse and validate the text of a config file (see ``check_config_data``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}; fix it or rewrite it with "
            "`backoffice config init --force`"
        ) from exc
    return check_config_data(data, path)


def read_config_text(path: Path) -> str | None:
    """The text of the config file, or None if there is no such file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise ConfigError(f"{path} is a directory; give the path of a config.toml file") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check its permissions") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def read_config_file(path: Path) -> dict[str, object]:
    """The validated settings in the file at ``path``; {} if it does not exist."""
    text = read_config_text(path)
    return {} if text is None else parse_config_text(text, path)


# --------------------------------------------------------------------------
# Putting it together


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def resolve_config_path(config: Path | None, environ: Mapping[str, str]) -> Path:
    """The config file to read: ``config`` > BACKOFFICE_CONFIG > the default."""
    if config is not None:
        return Path(config).expanduser()
    from_env = _env(environ, ENV_CONFIG)
    if from_env is not None:
        return Path(from_env).expanduser()
    return default_config_path()


def load_settings(
    *,
    database: str | None = None,
    config: Path | None = None,
    user: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings: command line > environment > config file > defaults.

    ``database`` and ``config`` come from --database and --config, ``user``
    from --user; ``environ`` defaults to ``os.environ``. An empty environment
    variable counts as unset. A missing config file means built-in defaults.
    """
    env = os.environ if environ is None else environ
    config_path = resolve_config_path(config, env)
    from_file = read_config_file(config_path)

    from_env_url = _env(env, ENV_DATABASE_URL)
    if database is not None:
        if database_url_has_password(database):
            raise ConfigError(
                "the --database URL carries a password, which every local user could read "
                f"in the process list; give it without the password and {PASSWORD_ADVICE}"
            )
        database_url = normalise_database_url(database, source="from --database")
    elif from_env_url is not None:
        database_url = normalise_database_url(from_env_url, source=f"from {ENV_DATABASE_URL}")
    elif DATABASE_URL in from_file:
        database_url = str(from_file[DATABASE_URL])
    else:
        database_url = default_database_url()

    # Values from the file are already of their setting's type (coerce_setting).
    chosen: dict[str, Any] = {
        spec.field: from_file.get(spec.key, spec.default)
        for spec in SETTINGS
        if spec.key != DATABASE_URL
    }
    return Settings(database_url=database_url, config_path=config_path, user=user, **chosen)
