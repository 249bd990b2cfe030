"""Engine set-up for SQLite (the embedded default) and PostgreSQL."""

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from backoffice_tui.domain.errors import ConfigError, DatabaseUnavailable
from backoffice_tui.domain.urls import mask_url_password

# Execution option marking a session that writes: on SQLite it begins with
# BEGIN IMMEDIATE so that two writers queue on the lock instead of failing
# later with "database is locked" when one upgrades a read to a write.
WRITE_OPTION = "backoffice_write"
SQLITE_BUSY_TIMEOUT_MS = 15_000

PasswordResolver = Callable[[URL], str | None]
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


def parse_database_url(text: str) -> URL:
    """Parse and check a database URL; only SQLite and PostgreSQL are served."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(
            f"not a database URL: {mask_url_password(text)!r}; use sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError(
            f"unsupported database driver {url.drivername!r} in "
            f"{describe_url(url)}; use sqlite:///PATH or "
            "postgresql://USER@HOST/DB (psycopg 3)"
        )
    return url


def describe_url(url: URL) -> str:
    """The URL as shown to people: never with a password, in the user part or
    in a query parameter."""
    return mask_url_password(url.render_as_string(hide_password=False))


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control away from the driver; "begin" below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def create_database_engine(
    url_text: str,
    *,
    create: bool = False,
    password_resolver: PasswordResolver | None = None,
    application_name: str = "backoffice-tui",
    pool_size: int | None = None,
) -> Engine:
    """Create the engine for ``url_text``.

    A SQLite file that does not exist is refused unless ``create`` is true,
    so that a mistyped path never leaves an empty database behind.
    ``pool_size`` bounds the connections the engine ever holds (no overflow):
    a console on a crowded server keeps one, whatever reconnects it lives
    through, beside its change listener's.
    """
    url = parse_database_url(url_text)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            if not path.exists():
                if not create:
                    raise DatabaseUnavailable(
                        f"no database file at {path}; create it with "
                        f"`backoffice --database {describe_url(url)} db upgrade`"
                    )
                path.parent.mkdir(parents=True, exist_ok=True)
            url = url.set(database=str(path))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        if url.password is None and password_resolver is not None:
            password = password_resolver(url)
            if password is not None:
                url = url.set(password=password)
        kwargs["connect_args"] = {"connect_timeout": 5, "application_name": application_name}
        kwargs["pool_pre_ping"] = True
    if pool_size is not None:
        kwargs.update(pool_size=pool_size, max_overflow=0)
    try:
        engine = create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError) as error:
        raise ConfigError(f"cannot use {describe_url(url)}: {error}") from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def unavailable(engine: Engine, error: DBAPIError) -> DatabaseUnavailable:
    """Turn a driver error at connect time into a one-line message."""
    detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    return DatabaseUnavailable(f"cannot open database {describe_url(engine.url)}: {detail}")
