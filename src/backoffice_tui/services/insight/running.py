"""A report being read, stoppable from another thread.

A report runs in a worker thread for seconds over a large database; the
console must not wait for it when the operator leaves the screen, quits,
or asks for another report. ``Running`` hands the report a view of the
database whose every read registers its connection, and ``cancel`` (from
any thread) interrupts the statement in progress: SQLite's
``Connection.interrupt()``, PostgreSQL's ``Connection.cancel()``. The
report then raises ``Cancelled``, which the caller drops silently.
"""

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from backoffice_tui.store.database import Database

T = TypeVar("T")


class Cancelled(Exception):
    """The report was stopped before it finished."""


class Running:
    """One report's reads: the connections they use, and whether to stop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._cancelled = False
        _EVERY.add(self)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Stop the statement in progress, and every later read of this
        report, from any thread."""
        with self._lock:
            self._cancelled = True
            connections = list(self._connections)
        for connection in connections:
            _interrupt(connection)

    def watching(self, db: Database) -> Database:
        """``db`` as the report should read it: each read can be stopped."""
        return _Watched(db, self)

    def run(self, db: Database, read: Callable[[Database], T]) -> T:
        """``read(db)`` under this handle; ``Cancelled`` if it was stopped."""
        if self._cancelled:
            raise Cancelled
        try:
            return read(self.watching(db))
        except Cancelled:
            raise
        except Exception as error:
            if self._cancelled:
                raise Cancelled from error
            raise

    def _check(self, *_: Any) -> None:
        """Before each statement: a report stopped between two statements
        runs no more of them."""
        if self._cancelled:
            raise Cancelled

    @contextmanager
    def _registered(self, session: Session) -> Iterator[None]:
        bound = session.connection()
        connection = bound.connection.dbapi_connection
        with self._lock:
            if self._cancelled:
                raise Cancelled
            self._connections.append(connection)
        event.listen(bound, "before_cursor_execute", self._check)
        try:
            yield
        finally:
            event.remove(bound, "before_cursor_execute", self._check)
            with self._lock:
                self._connections.remove(connection)


_EVERY: "weakref.WeakSet[Running]" = weakref.WeakSet()


def stop_all() -> None:
    """Cancel every report still being read (the program is quitting)."""
    for running in list(_EVERY):
        running.cancel()


def _interrupt(connection: Any) -> None:
    """Interrupt what a DBAPI connection is running (nothing if idle)."""
    stop = getattr(connection, "interrupt", None)  # sqlite3
    if stop is None:
        stop = getattr(connection, "cancel", None)  # psycopg
    if stop is not None:
        try:
            stop()
        except Exception:  # a connection closing meanwhile has nothing to stop
            return


class _Watched(Database):
    """A database handle on the same engine whose reads ``Running`` can stop."""

    def __init__(self, db: Database, running: Running) -> None:
        super().__init__(db.engine)
        self._running = running

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with super().read() as session, self._running._registered(session):
                yield session
        except Cancelled:
            raise
        except Exception as error:
            if self._running.cancelled:
                raise Cancelled from error
            raise
