"""Following the change feed, and whether the database is reachable.

Online, one reader thread reads the feed every ``sync.poll_interval``
seconds (on PostgreSQL a LISTEN connection also wakes it at once); a read
that brought events tells every screen on the stack, and a read that
brought nothing costs one query and no message. When the database cannot be
reached the console is offline since that moment: reads back off (1, 2, 4
... up to 15 s, each wait jittered so that consoles that lost the server
together do not all come back at the same moment) until one succeeds,
which brings it back online and makes every screen read again. An
unexpected error in a read is logged and the reader goes on, after the
same back-off.
"""

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual.app import App

from backoffice_tui.domain.errors import DatabaseUnavailable
from backoffice_tui.services.connection import jittered
from backoffice_tui.services.events import ChangeFeed
from backoffice_tui.sync.listener import ChangeListener
from backoffice_tui.tui.messages import ChangesArrived, FeedRead
from backoffice_tui.tui.workspace import Workspace

log = logging.getLogger(__name__)

# Reconnecting after the database went away: wait 1, 2, 4 ... up to 15 s.
FIRST_RETRY, MAX_RETRY = 1.0, 15.0


class LiveSync:
    """The console's connection state and its reader of the change feed.

    The reader thread posts ``FeedRead`` to the app, which hands it back
    here on its own thread (``feed_read``); ``show_offline`` receives every
    change of ``offline_since``, for the headers to follow.
    """

    def __init__(
        self,
        app: App[Any],
        workspace: Workspace,
        show_offline: Callable[[datetime | None], None],
    ) -> None:
        self.app = app
        self.workspace = workspace
        self.feed = ChangeFeed(workspace.db)
        self.changes_seen = 0  # batches delivered: a screen shown again compares it
        self._show_offline = show_offline
        self._offline_since: datetime | None = None
        self._listener: ChangeListener | None = None
        self._reader: threading.Thread | None = None
        self._wanted = threading.Event()  # read now, not at the end of the wait
        self._stopping = threading.Event()

    @property
    def offline_since(self) -> datetime | None:
        return self._offline_since

    # --- online and offline ---------------------------------------------------------

    def set_offline(self, offline: bool) -> None:
        if not offline:
            self._offline_since = None
            self._show_offline(None)
        elif self._offline_since is None:
            self._offline_since = datetime.now(UTC).astimezone()
            self._show_offline(self._offline_since)

    def refuse_while_offline(self) -> bool:
        """True, after saying so, when the database is unreachable."""
        if self._offline_since is None:
            return False
        self.app.notify(
            f"offline since {self._offline_since:%H:%M}: the database is unreachable; "
            "nothing was changed. Try again when the header says online.",
            severity="warning",
            markup=False,
        )
        return True

    # --- following the feed ---------------------------------------------------------

    def start(self) -> None:
        """Read now and every ``sync.poll_interval`` seconds; on PostgreSQL
        also LISTEN, so a commit wakes the reader at once."""
        self._reader = threading.Thread(target=self._follow, name="backoffice-sync", daemon=True)
        self._reader.start()
        if self.workspace.db.dialect == "postgresql":
            self._listener = ChangeListener(self.workspace.db, self.wake)
            self._listener.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wanted.set()
        if self._listener is not None:
            self._listener.stop(timeout=1.0)
        if self._reader is not None:
            self._reader.join(timeout=1.0)

    def wake(self) -> None:
        """A commit was heard, or the listener reconnected: read now (any thread)."""
        self._wanted.set()

    def _follow(self) -> None:
        """The reader thread: one read at a time, for as long as the console runs."""
        wait, retry = 0.0, 0.0
        while True:
            self._wanted.wait(wait)
            self._wanted.clear()
            if self._stopping.is_set():
                return
            try:
                events = self.feed.read()
            except DatabaseUnavailable as error:
                self.app.post_message(FeedRead(None, str(error)))
            except Exception:
                log.exception("reading the change feed failed")
            else:
                wait, retry = self.workspace.settings.poll_interval, 0.0
                if events or self._offline_since is not None:
                    self.app.post_message(FeedRead(events, None))
                continue
            retry = min(max(retry * 2, FIRST_RETRY), MAX_RETRY)
            wait = jittered(retry)

    def feed_read(self, message: FeedRead) -> None:
        if message.events is None:
            if self._offline_since is None:
                log.warning("database unreachable: %s", message.error)
            self.set_offline(True)
            return
        reconnected = self._offline_since is not None
        if reconnected:
            self.set_offline(False)
            self.app.notify("back online", markup=False)
        if message.events or reconnected:
            self.changes_seen += 1
            actor = self.workspace.actor
            me = actor.real_login or actor.login
            for screen in self.app.screen_stack:
                screen.post_message(ChangesArrived(message.events, me, reconnected=reconnected))
