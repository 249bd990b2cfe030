"""Writing events (inside the caller's transaction) and reading them back,
by record and as the change feed."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backoffice_tui.services.context import Actor
from backoffice_tui.services.insight.rollup import record_stay
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event


def record_event(
    session: Session,
    actor: Actor | str,
    at: datetime,
    *,
    entity: str,
    entity_id: int,
    kind: str,
    summary: str,
    customer_id: int | None = None,
    order_id: int | None = None,
    order_line_id: int | None = None,
    team_id: int | None = None,
    payload: dict[str, Any] | None = None,
    on_behalf_of_id: int | None = None,
) -> Event:
    """Add one event to the session's transaction.

    ``actor`` is a person, or a string such as ``"rule:escalate"`` for
    automation. An admin acting as another user is recorded as the actor,
    with the user they acted as in ``on_behalf_of``.
    """
    if isinstance(actor, Actor):
        actor_id = actor.real_user_id or actor.user_id
        actor_name = actor.real_login or actor.login
        if actor.real_user_id is not None:
            on_behalf_of_id = actor.user_id
    else:
        actor_id, actor_name = None, actor
    event = Event(
        at=at,
        actor_id=actor_id,
        actor_name=actor_name,
        on_behalf_of_id=on_behalf_of_id,
        entity=entity,
        entity_id=entity_id,
        customer_id=customer_id,
        order_id=order_id,
        order_line_id=order_line_id,
        team_id=team_id,
        kind=kind,
        summary=summary,
        payload=payload or {},
    )
    session.add(event)
    if entity == "work_item":
        record_stay(session, entity_id, kind, at)
    return event


@dataclass(frozen=True)
class EventRecord:
    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: int
    customer_id: int | None
    kind: str
    summary: str
    payload: dict[str, Any]


def events_since(db: Database, since_id: int, limit: int = 1000) -> list[EventRecord]:
    """Events with an id above ``since_id``, oldest first."""
    with db.read() as session:
        rows = session.scalars(
            select(Event).where(Event.id > since_id).order_by(Event.id).limit(limit)
        ).all()
        return [event_record(e) for e in rows]


def event_record(event: Event) -> EventRecord:
    """The plain record of one event row (for reads outside a session)."""
    return EventRecord(
        id=event.id,
        at=event.at,
        actor=event.actor_name,
        entity=event.entity,
        entity_id=event.entity_id,
        customer_id=event.customer_id,
        kind=event.kind,
        summary=event.summary,
        payload=event.payload,
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a record's own history."""

    at: datetime
    actor: str
    kind: str
    summary: str


def entity_history(session: Session, entity: str, entity_id: int) -> tuple[HistoryEntry, ...]:
    """Every event about one record (a work item, a handoff), oldest first."""
    return tuple(
        HistoryEntry(at, actor, kind, summary)
        for at, actor, kind, summary in session.execute(
            select(Event.at, Event.actor_name, Event.kind, Event.summary)
            .where(Event.entity == entity, Event.entity_id == entity_id)
            .order_by(Event.id)
        )
    )


# --- the change feed ----------------------------------------------------------
#
# The change feed: every event committed since the last read, exactly once.
#
# Ids are handed out when a row is inserted, not when its transaction commits,
# so on PostgreSQL a slow transaction can commit id 10 after id 11 was read.
# Reading ``id > last id`` would then miss it. Instead each event row records
# the transaction that wrote it (``tx_id``), and the feed's cursor is the
# database snapshot of its previous read: the events new to a read are exactly
# those whose transaction is visible (committed) in this read's snapshot and
# was not in the previous one. Visibility only grows, so nothing is delivered
# twice and nothing committed is ever skipped, in whatever order ids commit.
#
# On SQLite writers are serialized (BEGIN IMMEDIATE), so ids commit in order
# and the cursor is simply the highest id delivered.

SQLITE_BATCH = 5000


@dataclass(frozen=True)
class FeedCursor:
    """Where a reader is: the highest id delivered and, on PostgreSQL, the
    snapshot (``xmin:xmax:xip,...``) of the read that delivered it."""

    last_id: int
    snapshot: str | None = None

    @property
    def xmin(self) -> int:
        assert self.snapshot is not None
        return int(self.snapshot.split(":", 1)[0])


class ChangeFeed:
    """Reads the events table forwards from a cursor.

    Without a starting cursor the first :meth:`read` places the cursor at
    "now" and returns nothing: a console follows changes from when it opened.
    """

    def __init__(
        self, db: Database, cursor: FeedCursor | None = None, *, batch: int = SQLITE_BATCH
    ) -> None:
        self.db = db
        self.cursor = cursor
        self.batch = batch  # events at most per read on SQLite
        self.reads = 0

    def start(self) -> FeedCursor:
        """Put the cursor at the present without delivering the past."""
        with self.db.read() as session:
            if self.db.dialect == "postgresql":
                self._repeatable_read(session)
                snapshot = session.execute(text("SELECT pg_current_snapshot()::text")).scalar_one()
                last = session.scalar(select(func.max(Event.id))) or 0
                self.cursor = FeedCursor(last, snapshot)
            else:
                self.cursor = FeedCursor(session.scalar(select(func.max(Event.id))) or 0)
        return self.cursor

    def read(self) -> list[EventRecord]:
        """Every event committed since the last read, in id order, once."""
        self.reads += 1
        if self.cursor is None:
            self.start()
            return []
        if self.db.dialect == "postgresql":
            return self._read_postgresql(self.cursor)
        return self._read_sqlite(self.cursor)

    def _read_sqlite(self, cursor: FeedCursor) -> list[EventRecord]:
        with self.db.read() as session:
            rows = session.scalars(
                select(Event).where(Event.id > cursor.last_id).order_by(Event.id).limit(self.batch)
            ).all()
            records = [event_record(e) for e in rows]
        if records:
            self.cursor = FeedCursor(records[-1].id)
        return records

    def _read_postgresql(self, cursor: FeedCursor) -> list[EventRecord]:
        with self.db.read() as session:
            self._repeatable_read(session)
            # The first statement fixes the transaction's snapshot: the rows
            # read below are exactly those of the transactions visible in it.
            snapshot = session.execute(text("SELECT pg_current_snapshot()::text")).scalar_one()
            if snapshot == cursor.snapshot:
                return []
            rows = session.scalars(
                select(Event)
                .where(
                    Event.tx_id >= cursor.xmin,
                    text(
                        "NOT pg_visible_in_snapshot("
                        "events.tx_id::text::xid8, CAST(:previous AS pg_snapshot))"
                    ).bindparams(previous=cursor.snapshot),
                )
                .order_by(Event.id)
            ).all()
            records = [event_record(e) for e in rows]
        last = max(cursor.last_id, records[-1].id) if records else cursor.last_id
        self.cursor = FeedCursor(last, snapshot)
        return records

    @staticmethod
    def _repeatable_read(session) -> None:  # type: ignore[no-untyped-def]
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
