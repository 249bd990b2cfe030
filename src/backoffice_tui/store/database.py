"""The handle services use to open read and write transactions.

A write that the disk, the filesystem or the server's permissions refuse is
an expected failure, said in one line that names the file or the server:
the transaction is rolled back, so nothing was half written.
"""

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, Table, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import DatabaseUnavailable, PermissionDenied, StorageError
from backoffice_tui.store.engine import (
    WRITE_OPTION,
    accepted_password,
    describe_url,
    is_read_only,
    sqlite_path,
    unavailable,
)

NOTHING_CHANGED = "nothing was changed"


class Database:
    """One database: an engine and the two kinds of transaction on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._outer = threading.local()  # the session of ``one_transaction``, per thread

    @property
    def read_only(self) -> bool:
        """True for a SQLite file opened for reading only (an archived copy)."""
        return is_read_only(self.engine)

    @property
    def where(self) -> str:
        """The file, or the server, named in a message about writing."""
        path = sqlite_path(self.engine.url)
        if self.dialect == "sqlite":
            return str(path) if path is not None else "the in-memory database"
        return f"the database server {self.engine.url.host or 'localhost'}"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def description(self) -> str:
        return describe_url(self.engine.url)

    @property
    def connect_url(self) -> URL:
        """The URL with the password the server accepted (if it wanted one),
        for a connection of one's own beside the pool (PostgreSQL's LISTEN)."""
        password = accepted_password(self.engine)
        url = self.engine.url
        return url if password is None else url.set(password=password)

    @property
    def short_description(self) -> str:
        """A few words for a status line: the file name, or user@host/database."""
        url = self.engine.url
        if self.dialect == "sqlite":
            return f"sqlite:{Path(url.database or ':memory:').name}"
        return f"{url.username or ''}@{url.host or 'localhost'}/{url.database}"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any error."""
        if self.read_only:
            raise StorageError(
                f"{self.where} is read-only: it was opened for reading, and {NOTHING_CHANGED}"
            )
        outer: Session | None = getattr(self._outer, "session", None)
        if outer is not None:
            with self._nested(outer) as session:
                yield session
            return
        with (
            self._translate_errors(),
            Session(self._write_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        outer: Session | None = getattr(self._outer, "session", None)
        if outer is not None:
            with self._nested(outer) as session:
                yield session
            return
        with (
            self._translate_errors(),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Make every read and write on this handle, in this thread, one
        write transaction: all of it is committed at the end, or none of it.

        Each inner ``write`` or ``read`` is a savepoint, so a refusal a caller
        catches undoes only its own part, as a transaction of its own would.
        """
        if getattr(self._outer, "session", None) is not None:
            yield
            return
        with self.write() as session:
            self._outer.session = session
            try:
                yield
            finally:
                self._outer.session = None

    @contextmanager
    def _nested(self, outer: Session) -> Iterator[Session]:
        with self._translate_errors(), outer.begin_nested():
            yield outer
        # what an inner statement changed outside the ORM is read afresh
        outer.expire_all()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            refused = self._refused_write(error)
            if refused is not None:
                raise refused from error
            if error.connection_invalidated or _is_connection_failure(error):
                raise unavailable(self.engine, error) from error
            raise
        except DBAPIError as error:
            if error.connection_invalidated:
                raise unavailable(self.engine, error) from error
            refused = self._refused_write(error)
            if refused is not None:
                raise refused from error
            raise

    def _refused_write(self, error: DBAPIError) -> StorageError | PermissionDenied | None:
        """A full disk, a read-only file or a lost privilege, in one line.

        SQLite ends the whole transaction itself on a full disk, so what
        reaches here may be the failed rollback of a savepoint: the cause is
        then found in the errors it was raised while handling.
        """
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, DBAPIError):
                refused = self._refusal_of(cause)
                if refused is not None:
                    return refused
            cause = cause.__context__
        return None

    def _refusal_of(self, error: DBAPIError) -> StorageError | PermissionDenied | None:
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        if self.dialect == "sqlite":
            code = str(getattr(error.orig, "sqlite_errorname", ""))
            if code.startswith("SQLITE_READONLY"):
                return StorageError(f"{self.where} is read-only: {detail}; {NOTHING_CHANGED}")
            if code == "SQLITE_FULL":
                return StorageError(
                    f"cannot write {self.where}: the disk is full; {NOTHING_CHANGED}"
                )
            if code.startswith("SQLITE_IOERR"):
                return StorageError(
                    f"cannot write {self.where}: {detail} (a full disk, a file-size limit "
                    f"or a failing disk); {NOTHING_CHANGED}"
                )
            return None
        state = getattr(error.orig, "sqlstate", None)
        if state == "53100":
            return StorageError(f"{self.where} has no disk space left: {detail}; {NOTHING_CHANGED}")
        if state == "25006":
            return StorageError(f"{self.where} is read-only: {detail}; {NOTHING_CHANGED}")
        if state == "42501":
            return PermissionDenied(f"{self.where} refused: {detail}; {NOTHING_CHANGED}")
        return None

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({describe_url(self.engine.url)})"


def _is_connection_failure(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return any(
        phrase in text
        for phrase in (
            "connection",
            "could not connect",
            "unable to open database",
            "server closed",
            "terminating",
            "password authentication failed",
            "does not exist",
            "no password supplied",
        )
    )


def catch_up_sequences(session: Session, tables: Iterable[Table]) -> None:
    """Move each table's id sequence past its largest id, after rows were
    inserted with ids of their own, so that the next ordinary insert gets a
    free one. In the caller's transaction. PostgreSQL only: SQLite gives
    the next row the largest id plus one by itself."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer
    for table in tables:
        (column,) = table.primary_key.columns
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE(MAX({quote.quote(column.name)}), 0) + 1, false) "
                f"FROM {quote.format_table(table)}"
            ),
            {"table": quote.format_table(table), "column": column.name},
        )


__all__ = ["Database", "DatabaseUnavailable", "catch_up_sequences"]
