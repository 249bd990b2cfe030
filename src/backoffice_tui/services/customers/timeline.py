"""The customer timeline: every event about one customer, from all teams,
read whole (for export and the command line) or a window at a time."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event, Order, OrderLine, Service, Team


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    at: datetime
    actor: str
    team: str | None
    kind: str
    summary: str
    service: str | None
    order_code: str | None
    entity: str
    entity_id: int

    def sort_key(self) -> tuple[Any, ...]:
        return (self.at, self.id)


@dataclass(frozen=True)
class TimelineFilter:
    service: str | None = None  # service code
    order: str | None = None  # order code
    kind: str | None = None  # an event kind, or its first part ("work_item")
    since: date | None = None  # local dates, inclusive
    until: date | None = None
    text: str | None = None  # in the summary

    def describe(self) -> str:
        parts = [
            f"{label} {value}"
            for label, value in (
                ("service", self.service),
                ("order", self.order),
                ("kind", self.kind),
                ("from", self.since),
                ("to", self.until),
            )
            if value
        ]
        if self.text:
            parts.append(f"text {self.text!r}")
        return "; ".join(parts) or "every event"


def _customer_id(session: Session, code: str) -> int:
    customer_id = session.scalar(select(Customer.id).where(Customer.code == code))
    if customer_id is None:
        raise NotFound(f"no customer {code!r}")
    return customer_id


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def _conditions(session: Any, customer_code: str, f: TimelineFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Event.customer_id == _customer_id(session, customer_code)
    ]
    if f.service:
        conditions.append(
            Event.order_line_id.in_(
                select(OrderLine.id)
                .join(Service, Service.id == OrderLine.service_id)
                .where(Service.code == f.service)
            )
        )
    if f.order:
        conditions.append(Event.order_id.in_(select(Order.id).where(Order.code == f.order)))
    if f.kind:
        conditions.append(
            or_(Event.kind == f.kind, Event.kind.startswith(f"{f.kind}.", autoescape=True))
        )
    if f.since:
        conditions.append(Event.at >= _local_midnight(f.since))
    if f.until:
        conditions.append(Event.at < _local_midnight(f.until + timedelta(days=1)))
    if f.text:
        conditions.append(Event.summary.icontains(f.text.strip(), autoescape=True))
    return conditions


def _query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Event.id,
            Event.at,
            Event.actor_name,
            Team.code,
            Event.kind,
            Event.summary,
            Service.name,
            Order.code,
            Event.entity,
            Event.entity_id,
        )
        .outerjoin(Team, Team.id == Event.team_id)
        .outerjoin(OrderLine, OrderLine.id == Event.order_line_id)
        .outerjoin(Service, Service.id == OrderLine.service_id)
        .outerjoin(Order, Order.id == Event.order_id)
    )


def customer_timeline(
    db: Database,
    customer_code: str,
    *,
    newest_first: bool = False,
    limit: int | None = None,
    timeline_filter: TimelineFilter | None = None,
) -> list[TimelineEntry]:
    """The whole timeline (or its first ``limit`` events), oldest first by default."""
    with db.read() as session:
        conditions = _conditions(session, customer_code, timeline_filter or TimelineFilter())
        order = (Event.at.desc(), Event.id.desc()) if newest_first else (Event.at, Event.id)
        query = _query().where(*conditions).order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        return [TimelineEntry(*row) for row in session.execute(query)]


def timeline_window(
    db: Database,
    customer_code: str,
    timeline_filter: TimelineFilter,
    *,
    newest_first: bool,
    limit: int,
    offset: int = 0,
    after: tuple[Any, ...] | None = None,
    reverse: bool = False,
) -> list[TimelineEntry]:
    """One window of the timeline, like ``queue.list_queue``: ``after`` is the
    (at, id) of the row before the window; ``reverse`` reads from the other end."""
    descending = newest_first != reverse
    with db.read() as session:
        conditions = _conditions(session, customer_code, timeline_filter)
        if after is not None:
            at, event_id = after
            if descending:
                beyond = or_(Event.at < at, and_(Event.at == at, Event.id < event_id))
            else:
                beyond = or_(Event.at > at, and_(Event.at == at, Event.id > event_id))
            conditions.append(beyond)
            offset = 0
        order = (Event.at.desc(), Event.id.desc()) if descending else (Event.at, Event.id)
        query = _query().where(*conditions).order_by(*order).limit(limit).offset(offset)
        rows = [TimelineEntry(*row) for row in session.execute(query)]
    if reverse:
        rows.reverse()
    return rows


def count_timeline(db: Database, customer_code: str, timeline_filter: TimelineFilter) -> int:
    with db.read() as session:
        conditions = _conditions(session, customer_code, timeline_filter)
        return session.scalar(select(func.count()).select_from(Event).where(*conditions)) or 0


def event_kinds(db: Database, customer_code: str) -> list[str]:
    """The kinds of event this customer's timeline holds, for a filter list."""
    with db.read() as session:
        customer_id = _customer_id(session, customer_code)
        return list(
            session.scalars(
                select(Event.kind)
                .where(Event.customer_id == customer_id)
                .distinct()
                .order_by(Event.kind)
            )
        )


def iter_timeline(
    db: Database,
    customer_code: str,
    timeline_filter: TimelineFilter,
    *,
    newest_first: bool = False,
    chunk: int = 1000,
) -> Iterator[TimelineEntry]:
    """Every event of the timeline, read ``chunk`` at a time (for exports)."""
    after = None
    while True:
        window = timeline_window(
            db, customer_code, timeline_filter, newest_first=newest_first, limit=chunk, after=after
        )
        yield from window
        if len(window) < chunk:
            return
        after = window[-1].sort_key()
