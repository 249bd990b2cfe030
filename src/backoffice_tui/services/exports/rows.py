"""Exports: the rows of a view, read in chunks so that a table of any size
streams to a file without being held in memory.

Each export is a header and a generator of rows (plain values: text,
numbers, dates, times); writing them as CSV, XLSX or JSON is ``io``'s job.
The work queue export has the columns an import of work items reads back
(``id`` and ``version`` included), so it can round-trip through a spreadsheet;
the queue and customer exports end with one column per attribute (a column
of an imported file that no field holds), which an import reads back as the
same attribute.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Text, cast, select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.text import search_key
from backoffice_tui.services.context import Actor
from backoffice_tui.services.customers.saved_views import (
    EVENTS,
    find_view,
    queue_filter_of,
    timeline_filter_of,
)
from backoffice_tui.services.customers.timeline import TimelineFilter, count_timeline, iter_timeline
from backoffice_tui.services.work.queue import (
    QueueFilter,
    QueueSort,
    item_extras,
    list_queue,
    queue_attribute_names,
)
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event

CHUNK = 1000

# the dates of a project sheet, named as an import of work items reads them back
PLAN_COLUMNS = ("planned start", "planned finish", "actual start", "actual finish")
# the order's title, for the reader: an import of work items reads past it
ORDER_TITLE_COLUMN = "order title"
QUEUE_COLUMNS = (
    "id",
    "customer",
    "customer name",
    "order",
    "service",
    "step",
    "team",
    "assignee",
    "status",
    "priority",
    "due",
    "version",
)
TIMELINE_COLUMNS = ("id", "at", "actor", "team", "order", "service", "kind", "summary")
CUSTOMER_COLUMNS = ("code", "name", "reading", "segment", "notes")
EVENT_COLUMNS = (
    "id",
    "at",
    "actor",
    "kind",
    "entity",
    "entity id",
    "customer",
    "summary",
    "payload",
)


@dataclass(frozen=True)
class ExportTable:
    title: str
    columns: tuple[str, ...]
    rows: Iterator[tuple[Any, ...]]


def export_queue(
    db: Database,
    actor: Actor | None,
    queue_filter: QueueFilter,
    *,
    today: date,
    sort: QueueSort = QueueSort.DUE,
) -> ExportTable:
    """The work queue under ``queue_filter`` in ``sort`` order, as the screen
    lists it, with its order's title, its planned and actual dates and its
    attributes."""

    # also where an unknown team, user or customer fails, before any file is opened
    names = queue_attribute_names(db, actor, queue_filter, today=today)

    def rows() -> Iterator[tuple[Any, ...]]:
        after = None
        while True:
            window = list_queue(
                db, actor, queue_filter, today=today, limit=CHUNK, after=after, sort=sort
            )
            extras = item_extras(db, [r.id for r in window])
            for r in window:
                extra = extras[r.id]
                yield (
                    r.id,
                    r.customer_code,
                    r.customer_name,
                    r.order_code,
                    r.service,
                    r.step,
                    r.team,
                    r.assignee,
                    r.status,
                    r.priority,
                    r.due,
                    r.version,
                    extra.order_title,
                    extra.planned_start,
                    extra.planned_finish,
                    extra.actual_start,
                    extra.actual_finish,
                    *(extra.attributes.get(name) for name in names),
                )
            if len(window) < CHUNK:
                return
            after = window[-1].sort_key(sort)

    columns = (*QUEUE_COLUMNS, ORDER_TITLE_COLUMN, *PLAN_COLUMNS, *names)
    return ExportTable("queue", columns, rows())


def _customer_attribute_names(db: Database, key: str | None) -> list[str]:
    """The attribute names of the customers a search matches, first met first
    in the order the customers were made; only customers with attributes are read."""
    names: dict[str, None] = {}
    with db.read() as session:
        query = select(Customer.attributes).where(cast(Customer.attributes, Text) != "{}")
        if key:
            query = query.where(Customer.search_text.contains(key, autoescape=True))
        for attributes in session.scalars(query.order_by(Customer.id)):
            names.update(dict.fromkeys(attributes or {}))
    return list(names)


def export_customers(db: Database, search: str | None = None) -> ExportTable:
    """Customers by code, in the columns an import of customers reads back,
    their attributes last."""
    key = search_key(search) if search else None
    names = _customer_attribute_names(db, key)

    def rows() -> Iterator[tuple[Any, ...]]:
        last = ""
        with db.read() as session:
            while True:
                query = (
                    select(
                        Customer.code,
                        Customer.name,
                        Customer.reading,
                        Customer.segment,
                        Customer.notes,
                        Customer.attributes,
                    )
                    .where(Customer.code > last)
                    .order_by(Customer.code)
                    .limit(CHUNK)
                )
                if key:
                    query = query.where(Customer.search_text.contains(key, autoescape=True))
                chunk = session.execute(query).all()
                for code, name, reading, segment, notes, attributes in chunk:
                    found = attributes or {}
                    yield (code, name, reading, segment, notes, *(found.get(n) for n in names))
                if len(chunk) < CHUNK:
                    return
                last = chunk[-1].code

    return ExportTable("customers", (*CUSTOMER_COLUMNS, *names), rows())


def export_events(db: Database, *, customer: str | None = None, since: int = 0) -> ExportTable:
    """Events after ``since``, oldest first; only one customer's with ``customer``."""
    customer_id = None
    if customer is not None:
        with db.read() as session:
            customer_id = session.scalar(select(Customer.id).where(Customer.code == customer))
        if customer_id is None:
            raise NotFound(f"no customer {customer!r}")

    def rows() -> Iterator[tuple[Any, ...]]:
        last = since
        with db.read() as session:
            while True:
                query = (
                    select(
                        Event.id,
                        Event.at,
                        Event.actor_name,
                        Event.kind,
                        Event.entity,
                        Event.entity_id,
                        Customer.code,
                        Event.summary,
                        Event.payload,
                    )
                    .outerjoin(Customer, Customer.id == Event.customer_id)
                    .where(Event.id > last)
                    .order_by(Event.id)
                    .limit(CHUNK)
                )
                if customer_id is not None:
                    query = query.where(Event.customer_id == customer_id)
                chunk = session.execute(query).all()
                yield from (tuple(row) for row in chunk)
                if len(chunk) < CHUNK:
                    return
                last = chunk[-1].id

    return ExportTable("events", EVENT_COLUMNS, rows())


def export_timeline(
    db: Database,
    customer: str,
    timeline_filter: TimelineFilter | None = None,
    *,
    newest_first: bool = False,
) -> ExportTable:
    """One customer's timeline under a filter, in the customer screen's order."""
    timeline_filter = timeline_filter or TimelineFilter()
    count_timeline(db, customer, timeline_filter)  # an unknown customer fails here
    rows = (
        (e.id, e.at, e.actor, e.team, e.order_code, e.service, e.kind, e.summary)
        for e in iter_timeline(db, customer, timeline_filter, newest_first=newest_first)
    )
    return ExportTable(f"timeline {customer}", TIMELINE_COLUMNS, rows)


def export_view(db: Database, actor: Actor, name: str, *, today: date) -> ExportTable:
    """What a saved view shows: its work items, or its customer's timeline."""
    view = find_view(db, actor, name)
    if view.target == EVENTS:
        customer, timeline_filter = timeline_filter_of(view.filters)
        table = export_timeline(db, customer, timeline_filter)
    else:
        queue_filter, sort = queue_filter_of(view.filters)
        table = export_queue(db, actor, queue_filter, today=today, sort=sort)
    return replace(table, title=view.name)
