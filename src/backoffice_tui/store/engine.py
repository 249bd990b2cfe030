"""Engine set-up for SQLite (the embedded default) and PostgreSQL.

A SQLite file this process may not write (a read-only file, directory or
filesystem: an archived copy) opens for reading; writes are then refused in
one line. On PostgreSQL the password is asked for only when the server wants
one, the way psql does: the first connection goes without, and only a
server that asks makes the program look in the password sources, in their
order, going on to the next when the server refuses one.
"""

import math
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from backoffice_tui.domain.errors import (
    ConfigError,
    DatabaseUnavailable,
    PasswordRefused,
    ServerBusy,
)
from backoffice_tui.domain.urls import mask_url_password

# Execution option marking a session that writes: on SQLite it begins with
# BEGIN IMMEDIATE so that two writers queue on the lock instead of failing
# later with "database is locked" when one upgrades a read to a write.
WRITE_OPTION = "backoffice_write"
SQLITE_BUSY_TIMEOUT_MS = 15_000

#: Seconds a PostgreSQL connection may take to open (``database.connect_timeout``).
CONNECT_TIMEOUT = 5.0
#: The execution option that marks an engine over a read-only SQLite file.
READ_ONLY_OPTION = "backoffice_read_only"


class SuppliedPassword(Protocol):
    """A password and where it came from, said in an error if it is refused."""

    @property
    def password(self) -> str: ...

    @property
    def source(self) -> str: ...


#: The passwords to try for a URL, best first, produced only when asked for.
PasswordResolver = Callable[[URL], Iterator[SuppliedPassword]]
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


def sqlite_read_only_uri(path: Path) -> str | None:
    """The URI that opens ``path`` for reading, if this process may not write it.

    A file in a directory that cannot be written is opened immutable: SQLite
    could not create the shared-memory file WAL mode needs beside it, and no
    one else can be writing an archived copy there either.
    """
    directory_writable = os.access(path.parent, os.W_OK)
    if os.access(path, os.W_OK) and directory_writable:
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if not directory_writable and not Path(f"{path}-shm").exists():
        uri += "&immutable=1"
    return uri


def _configure_sqlite(engine: Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control away from the driver; "begin" below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not read_only:  # choosing the journal writes the file
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


# --------------------------------------------------------------------------
# PostgreSQL passwords


def _refused_password(error: Exception) -> bool:
    """True for a server that asked for a password and got none or a wrong one."""
    text = str(error).lower()
    return (
        getattr(error, "sqlstate", None) in ("28P01", "28000")
        or "password authentication failed" in text
        or "no password supplied" in text
    )


class _Passwords:
    """The passwords one engine tries, each source asked once per process.

    The first connection goes without a password (libpq still reads its own
    PGPASSWORD and password file); a server that wants one makes the
    resolver's sources be asked, in order, until one is accepted. That one
    is then used for every further connection.
    """

    def __init__(self, url: URL, resolver: PasswordResolver | None) -> None:
        self._url = url
        self._resolver = resolver
        self._lock = threading.Lock()
        self._asked: list[SuppliedPassword] = []
        self._pending: Iterator[SuppliedPassword] | None = None
        self.accepted: SuppliedPassword | None = None
        self._needed = False

    def _candidates(self) -> Iterator[SuppliedPassword]:
        yield from self._asked
        if self._resolver is None:
            return
        if self._pending is None:
            self._pending = self._resolver(self._url)
        for supplied in self._pending:
            self._asked.append(supplied)
            yield supplied

    def connect(self, dialect: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        last: Exception | None = None
        with self._lock:
            if self.accepted is not None:
                return dialect.connect(*cargs, **{**cparams, "password": self.accepted.password})
            if not self._needed:
                try:
                    return dialect.connect(*cargs, **cparams)
                except dialect.loaded_dbapi.OperationalError as error:
                    if not _refused_password(error):
                        raise
                    self._needed = True
                    last = error
            refused: list[str] = []
            for supplied in self._candidates():
                try:
                    connection = dialect.connect(
                        *cargs, **{**cparams, "password": supplied.password}
                    )
                except dialect.loaded_dbapi.OperationalError as error:
                    if not _refused_password(error):
                        raise
                    refused.append(supplied.source)
                    last = error
                    continue
                self.accepted = supplied
                return connection
            raise dialect.loaded_dbapi.OperationalError(self._refusal(last, refused))

    def _refusal(self, error: Exception | None, refused: list[str]) -> str:
        text = str(error or "").strip()
        first = text.splitlines()[0] if text else "the server wants a password"
        reason = first.split("FATAL:", 1)[-1].strip()
        where = f"{self._url.username or ''}@{self._url.host or 'localhost'}"
        if not refused:
            return (
                f"{reason} ({where} wants a password and none was found in the keyring, "
                "BACKOFFICE_DB_PASSWORD or ~/.pgpass; store it with `backoffice login`)"
            )
        tried = " then ".join(refused)
        return (
            f"{reason} (the password came from {tried}; store the right one with "
            "`backoffice login`)"
        )


_PASSWORDS: "weakref.WeakKeyDictionary[Engine, _Passwords]" = weakref.WeakKeyDictionary()


def accepted_password(engine: Engine) -> str | None:
    """The password the server accepted for ``engine``, for a connection of
    one's own beside its pool (PostgreSQL's LISTEN); None if none was needed."""
    passwords = _PASSWORDS.get(engine)
    if passwords is None or passwords.accepted is None:
        return engine.url.password
    return passwords.accepted.password


def _supply_passwords(engine: Engine, url: URL, resolver: PasswordResolver | None) -> None:
    passwords = _Passwords(url, resolver)
    _PASSWORDS[engine] = passwords

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        if cparams.get("password"):
            return None  # the URL carries one: the default connect uses it
        return passwords.connect(dialect, cargs, cparams)


# --------------------------------------------------------------------------
# Engines


def create_database_engine(
    url_text: str,
    *,
    create: bool = False,
    password_resolver: PasswordResolver | None = None,
    application_name: str = "backoffice-tui",
    pool_size: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Engine:
    """Create the engine for ``url_text``.

    A SQLite file that does not exist is refused unless ``create`` is true,
    so that a mistyped path never leaves an empty database behind; one this
    process may not write opens for reading only (``is_read_only``).
    ``pool_size`` bounds the connections the engine ever holds (no overflow):
    a console on a crowded server keeps one, whatever reconnects it lives
    through, beside its change listener's. ``connect_timeout`` bounds the
    seconds a PostgreSQL connection may take to open.
    """
    url = parse_database_url(url_text)
    kwargs: dict[str, Any] = {}
    read_only_uri: str | None = None
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 15}
        if path is not None:
            if not path.exists():
                if not create:
                    raise DatabaseUnavailable(
                        f"no database file at {path}; create it with "
                        f"`backoffice --database {describe_url(url)} db upgrade`"
                    )
                path.parent.mkdir(parents=True, exist_ok=True)
            else:
                read_only_uri = sqlite_read_only_uri(path)
            url = url.set(database=str(path))
        if read_only_uri is not None:
            uri = read_only_uri

            def open_read_only() -> sqlite3.Connection:
                connection: sqlite3.Connection = sqlite3.connect(uri, uri=True, **connect_args)
                return connection

            kwargs["creator"] = open_read_only
        kwargs["connect_args"] = connect_args
    else:
        kwargs["connect_args"] = {
            # libpq counts whole seconds, and at least 2
            "connect_timeout": max(2, math.ceil(connect_timeout)),
            "application_name": application_name,
        }
        kwargs["pool_pre_ping"] = True
    if pool_size is not None:
        kwargs.update(pool_size=pool_size, max_overflow=0)
    try:
        engine = create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError) as error:
        raise ConfigError(f"cannot use {describe_url(url)}: {error}") from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine, read_only=read_only_uri is not None)
        if read_only_uri is not None:
            return engine.execution_options(**{READ_ONLY_OPTION: True})
    else:
        _supply_passwords(engine, url, password_resolver)
    return engine


def is_read_only(engine: Engine) -> bool:
    """True for a SQLite file opened for reading only."""
    return bool(engine.get_execution_options().get(READ_ONLY_OPTION))


# --------------------------------------------------------------------------
# Errors


def _first_line(error: DBAPIError) -> str:
    text = str(error.orig).strip() if error.orig else str(error)
    return text.splitlines()[0] if text else type(error).__name__


def too_many_connections(error: DBAPIError) -> bool:
    """True when the server refused a connection for having too many."""
    text = str(error.orig).lower()
    return (
        getattr(error.orig, "sqlstate", None) == "53300"
        or "too many clients" in text
        or "too many connections" in text
    )


def unavailable(engine: Engine, error: DBAPIError) -> DatabaseUnavailable:
    """Turn a driver error at connect time into a one-line message."""
    where = describe_url(engine.url)
    if too_many_connections(error):
        host = f"{engine.url.host or 'localhost'}:{engine.url.port or 5432}"
        return ServerBusy(
            f"the server {host} refuses more connections ({_first_line(error)}): it has "
            "as many clients as its max_connections (or a role's or database's "
            "connection limit) allows; try again shortly, or ask its administrator "
            "to raise the limit"
        )
    detail = _first_line(error)
    if _refused_password(error.orig or error):
        return PasswordRefused(f"cannot open database {where}: {detail}")
    if _passing(error):
        return ServerBusy(f"cannot open database {where}: {detail}")
    return DatabaseUnavailable(f"cannot open database {where}: {detail}")


def _passing(error: DBAPIError) -> bool:
    """A refusal that passes by itself: a connection that timed out on a busy
    server, a server starting up or shutting down."""
    text = str(error.orig).lower()
    return getattr(error.orig, "sqlstate", None) in ("57P01", "57P03") or any(
        phrase in text
        for phrase in ("timeout expired", "starting up", "shutting down", "in recovery mode")
    )
