"""Exports stream whole views in chunks, on SQLite and PostgreSQL."""

from datetime import date
from typing import Any

import pytest

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.customers.saved_views import (
    EVENTS,
    WORK_ITEMS,
    queue_view_filters,
    save_view,
    timeline_view_filters,
)
from backoffice_tui.services.customers.search import list_customers
from backoffice_tui.services.customers.timeline import TimelineFilter, customer_timeline
from backoffice_tui.services.events import events_since
from backoffice_tui.services.exports import rows as exports
from backoffice_tui.services.exports.rows import (
    QUEUE_COLUMNS,
    export_customers,
    export_events,
    export_queue,
    export_view,
)
from backoffice_tui.services.work.queue import QueueFilter, QueueSort, list_queue
from backoffice_tui.store.database import Database

EVERY_STATUS = QueueFilter(statuses=tuple(WorkStatus))


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 rows, so that every export crosses many chunk boundaries."""
    monkeypatch.setattr(exports, "CHUNK", 7)


def test_the_queue_export_is_the_whole_queue_in_order(
    demo_db: Database, small_chunks: None
) -> None:
    table = export_queue(demo_db, None, EVERY_STATUS, today=date.today())
    assert table.columns == QUEUE_COLUMNS
    rows = list(table.rows)
    expected = list_queue(demo_db, None, EVERY_STATUS, today=date.today(), limit=100_000)
    assert [r[0] for r in rows] == [r.id for r in expected]
    first = expected[0]
    assert rows[0] == (
        first.id,
        first.customer_code,
        first.customer_name,
        first.order_code,
        first.service,
        first.step,
        first.team,
        first.assignee,
        first.status,
        first.priority,
        first.due,
        first.version,
    )


def test_the_queue_export_takes_the_screens_filters(demo_db: Database) -> None:
    blocked = QueueFilter(team="build", statuses=(WorkStatus.BLOCKED,))
    rows = list(export_queue(demo_db, None, blocked, today=date.today()).rows)
    assert rows and {(r[6], r[8]) for r in rows} == {("build", "blocked")}
    with pytest.raises(NotFound, match="no team 'nope'"):
        export_queue(demo_db, None, QueueFilter(team="nope"), today=date.today())


def test_customers_in_code_order(demo_db: Database, small_chunks: None) -> None:
    rows = list(export_customers(demo_db).rows)
    assert [r[0] for r in rows] == [c.code for c in list_customers(demo_db, limit=10_000)]
    found = list(export_customers(demo_db, "やまだ").rows)
    assert [r[0] for r in found] == ["C0001"]


def test_events_since_an_id_and_for_one_customer(demo_db: Database, small_chunks: None) -> None:
    everything = events_since(demo_db, 0, limit=100_000)
    middle = everything[len(everything) // 2].id
    rows = list(export_events(demo_db, since=middle).rows)
    assert [r[0] for r in rows] == [e.id for e in everything if e.id > middle]
    mine = list(export_events(demo_db, customer="C0001").rows)
    assert [r[0] for r in mine] == sorted(e.id for e in customer_timeline(demo_db, "C0001"))
    assert {r[6] for r in mine} == {"C0001"}
    with pytest.raises(NotFound, match="no customer 'C9999'"):
        export_events(demo_db, customer="C9999")


def test_saved_views_export_what_they_show(as_user: Any, demo_db: Database) -> None:
    kimura = as_user("kimura")
    blocked = QueueFilter(team="build", statuses=(WorkStatus.BLOCKED, WorkStatus.READY))
    save_view(kimura, "build stuck", WORK_ITEMS, queue_view_filters(blocked, QueueSort.PRIORITY))
    table = export_view(demo_db, kimura.actor, "build stuck", today=date.today())
    expected = list_queue(
        demo_db, kimura.actor, blocked, today=date.today(), sort=QueueSort.PRIORITY, limit=1000
    )
    assert table.title == "build stuck"
    assert [r[0] for r in table.rows] == [r.id for r in expected]

    work = TimelineFilter(kind="work_item")
    save_view(kimura, "yamada work", EVENTS, timeline_view_filters("C0001", work))
    rows = list(export_view(demo_db, kimura.actor, "yamada work", today=date.today()).rows)
    assert [r[0] for r in rows] == [
        e.id for e in customer_timeline(demo_db, "C0001", timeline_filter=work)
    ]
    with pytest.raises(NotFound, match="no saved view 'nope'"):
        export_view(demo_db, kimura.actor, "nope", today=date.today())
