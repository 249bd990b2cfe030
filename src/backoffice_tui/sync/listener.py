"""PostgreSQL LISTEN: wake the change feed the moment an event commits.

The listener holds one autocommit connection of its own (so a client uses at
most two: this one and the pool's). Every notification, and every
(re)connection, calls ``wake``; the feed then reads from its cursor, so a
notification lost while disconnected loses nothing. Polling stays the safety
net. The listener never raises: it reconnects with backoff until stopped.
"""

import logging
import threading
from collections.abc import Callable

from backoffice_tui.store.database import Database

CHANNEL = "backoffice_events"
log = logging.getLogger(__name__)


def conninfo(db: Database) -> str:
    """The psycopg connection string of a SQLAlchemy PostgreSQL database."""
    url = db.connect_url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class ChangeListener:
    def __init__(
        self,
        db: Database,
        wake: Callable[[], object],
        *,
        first_retry: float = 1.0,
        max_retry: float = 15.0,
        check_every: float = 0.5,
    ) -> None:
        self._conninfo = conninfo(db)
        self._wake = wake
        self._first_retry, self._max_retry = first_retry, max_retry
        self._check_every = check_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.notifications = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="backoffice-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg  # the driver loads only where a listener runs: on PostgreSQL

        delay = self._first_retry
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=5,
                    application_name="backoffice-tui listener",
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    delay = self._first_retry
                    self._wake()  # anything committed while we were away
                    while not self._stop.is_set():
                        woke = False
                        for _ in connection.notifies(timeout=self._check_every):
                            self.notifications += 1
                            woke = True
                            break  # one wake per burst: the feed reads everything
                        if woke:
                            self._wake()
            except psycopg.Error as error:
                log.info("change listener disconnected: %s", error)
            self.connected.clear()
            self._stop.wait(delay)
            delay = min(delay * 2, self._max_retry)
