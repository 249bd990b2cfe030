"""Following the change feed, and whether the database is reachable.

Online, the feed is read every ``sync.poll_interval`` seconds in a worker
(on PostgreSQL a LISTEN connection also wakes it at once), never two reads
at once; a read that brought events tells every screen on the stack. When
the database cannot be reached the console is offline since that moment:
reads back off (1, 2, 4 ... up to 15 s) until one succeeds, which brings it
back online and makes every screen read again.
"""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual.app import App
from textual.timer import Timer

from backoffice_tui.domain.errors import DatabaseUnavailable
from backoffice_tui.sync.feed import ChangeFeed
from backoffice_tui.sync.listener import ChangeListener
from backoffice_tui.tui.messages import ChangesArrived, FeedRead, SyncWanted
from backoffice_tui.tui.workspace import Workspace

log = logging.getLogger(__name__)

# Reconnecting after the database went away: wait 1, 2, 4 ... up to 15 s.
FIRST_RETRY, MAX_RETRY = 1.0, 15.0


class LiveSync:
    """The console's connection state and its reader of the change feed.

    The app posts ``SyncWanted`` and ``FeedRead`` back here (``wake`` and
    ``feed_read``); ``show_offline`` receives every change of
    ``offline_since``, for the headers to follow.
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
        self._timer: Timer | None = None
        self._syncing = self._sync_again = False
        self._retry_delay = 0.0
        self._retry_at = 0.0

    @property
    def offline_since(self) -> datetime | None:
        return self._offline_since

    # --- online and offline ---------------------------------------------------------

    def set_offline(self, offline: bool) -> None:
        if not offline:
            self._offline_since = None
            self._retry_delay = self._retry_at = 0.0
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
        """Poll now and every ``sync.poll_interval`` seconds; on PostgreSQL
        also LISTEN, so a commit wakes the reader at once."""
        interval = self.workspace.settings.poll_interval
        self._timer = self.app.set_interval(interval, self.poll, name="sync")
        self.poll()
        if self.workspace.db.dialect == "postgresql":
            self._listener = ChangeListener(
                self.workspace.db, lambda: self.app.post_message(SyncWanted())
            )
            self._listener.start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop(timeout=1.0)

    def poll(self) -> None:
        if self._syncing:  # never two reads at once: read again when this one ends
            self._sync_again = True
            return
        if self._offline_since is not None and time.monotonic() < self._retry_at:
            return
        self._syncing = True
        self.app.run_worker(
            self._read_feed, name="_read_feed", group="sync", thread=True, exit_on_error=False
        )

    def wake(self) -> None:
        """A commit was heard, or the listener reconnected: try now."""
        self._retry_at = 0.0
        self.poll()

    def _read_feed(self) -> None:
        try:
            events = self.feed.read()
        except DatabaseUnavailable as error:
            self.app.post_message(FeedRead(None, str(error)))
        else:
            self.app.post_message(FeedRead(events, None))

    def feed_read(self, message: FeedRead) -> None:
        self._syncing = False
        if message.events is None:
            if self._offline_since is None:
                log.warning("database unreachable: %s", message.error)
            self.set_offline(True)
            self._schedule_retry()
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
        if self._sync_again:
            self._sync_again = False
            self.poll()

    def _schedule_retry(self) -> None:
        self._retry_delay = min(max(self._retry_delay * 2, FIRST_RETRY), MAX_RETRY)
        self._retry_at = time.monotonic() + self._retry_delay
