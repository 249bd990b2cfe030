"""The change feed as a rule runner reads it, with its cursor kept in the
database (``rule_cursors``) so a restarted runner resumes where it was.

The reading is the console's change feed (``sync.feed``, see there why):
on PostgreSQL the cursor is the snapshot of the previous read, so events
whose transactions commit out of id order are neither missed nor read
twice; on SQLite, where writers are serialized, it is the highest id read.
"""

from sqlalchemy import func, select, text, update

from backoffice_tui.services.events import EventRecord, event_record
from backoffice_tui.store.base import rows_changed, utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, RuleCursor

BATCH = 2000


class RuleFeed:
    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self.last_id = 0
        self.snapshot: str | None = None
        self.started = False

    def resume(self) -> bool:
        """Take the cursor from the database; False when there is none (the
        runner never ran): it then starts at the present."""
        with self.db.read() as session:
            row = session.get(RuleCursor, self.name)
            if row is not None:
                self.last_id, self.snapshot = row.last_event_id, row.snapshot
                self.started = True
                return True
        self.start()
        self.save()
        return False

    def start(self) -> None:
        with self.db.read() as session:
            if self.db.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                self.snapshot = session.execute(
                    text("SELECT pg_current_snapshot()::text")
                ).scalar_one()
            self.last_id = session.scalar(select(func.max(Event.id))) or 0
        self.started = True

    def read(self) -> list[EventRecord]:
        """Every event committed since the last read, in id order."""
        if not self.started:
            self.resume()
        if self.db.dialect == "postgresql":
            return self._read_postgresql()
        with self.db.read() as session:
            rows = session.scalars(
                select(Event).where(Event.id > self.last_id).order_by(Event.id).limit(BATCH)
            ).all()
            records = [event_record(e) for e in rows]
        if records:
            self.last_id = records[-1].id
        return records

    def _read_postgresql(self) -> list[EventRecord]:
        assert self.snapshot is not None
        xmin = int(self.snapshot.split(":", 1)[0])
        with self.db.read() as session:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            snapshot = session.execute(text("SELECT pg_current_snapshot()::text")).scalar_one()
            if snapshot == self.snapshot:
                return []
            rows = session.scalars(
                select(Event)
                .where(
                    Event.tx_id >= xmin,
                    text(
                        "NOT pg_visible_in_snapshot("
                        "events.tx_id::text::xid8, CAST(:previous AS pg_snapshot))"
                    ).bindparams(previous=self.snapshot),
                )
                .order_by(Event.id)
            ).all()
            records = [event_record(e) for e in rows]
        if records:
            self.last_id = max(self.last_id, records[-1].id)
        self.snapshot = snapshot
        return records

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
