"""The handle services use to open read and write transactions."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import DatabaseUnavailable
from backoffice_tui.store.engine import WRITE_OPTION, describe_url, unavailable


class Database:
    """One database: an engine and the two kinds of transaction on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def description(self) -> str:
        return describe_url(self.engine.url)

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
        with (
            self._translate_errors(),
            Session(self._write_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with (
            self._translate_errors(),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            if error.connection_invalidated or _is_connection_failure(error):
                raise unavailable(self.engine, error) from error
            raise
        except DBAPIError as error:
            if error.connection_invalidated:
                raise unavailable(self.engine, error) from error
            raise

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


__all__ = ["Database", "DatabaseUnavailable"]
