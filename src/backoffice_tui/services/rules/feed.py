"""The change feed as a rule runner reads it, with its cursor kept in the
database (``rule_cursors``) so a restarted runner resumes where it was.

The reading is the console's change feed (``services.events.ChangeFeed``,
see there why): on PostgreSQL the cursor is the snapshot of the previous
read, so events whose transactions commit out of id order are neither
missed nor read twice; on SQLite, where writers are serialized, it is the
highest id read.
"""

from sqlalchemy import update

from backoffice_tui.services.events import ChangeFeed, EventRecord, FeedCursor
from backoffice_tui.store.base import rows_changed, utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import RuleCursor

BATCH = 2000


class RuleFeed:
    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self.feed = ChangeFeed(db, batch=BATCH)
        self.started = False

    @property
    def last_id(self) -> int:
        return self.feed.cursor.last_id if self.feed.cursor else 0

    @property
    def snapshot(self) -> str | None:
        return self.feed.cursor.snapshot if self.feed.cursor else None

    def resume(self) -> bool:
        """Take the cursor from the database; False when there is none (the
        runner never ran): it then starts at the present."""
        with self.db.read() as session:
            row = session.get(RuleCursor, self.name)
            if row is not None:
                self.feed.cursor = FeedCursor(row.last_event_id, row.snapshot)
                self.started = True
                return True
        self.start()
        self.save()
        return False

    def start(self) -> None:
        self.feed.start()
        self.started = True

    def read(self) -> list[EventRecord]:
        """Every event committed since the last read, in id order."""
        if not self.started:
            self.resume()
        return self.feed.read()

    def save(self) -> None:
        """Keep the cursor (never moving it back past another runner's)."""
        with self.db.write() as session:
            changed = rows_changed(
                session.execute(
                    update(RuleCursor)
                    .where(RuleCursor.name == self.name, RuleCursor.last_event_id <= self.last_id)
                    .values(
                        last_event_id=self.last_id, snapshot=self.snapshot, updated_at=utc_now()
                    )
                )
            )
            if not changed and session.get(RuleCursor, self.name) is None:
                session.add(
                    RuleCursor(
                        name=self.name,
                        last_event_id=self.last_id,
                        snapshot=self.snapshot,
                        updated_at=utc_now(),
                    )
                )
