"""Exports stream whole views in chunks, on SQLite and PostgreSQL."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

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
    CUSTOMER_COLUMNS,
    ORDER_TITLE_COLUMN,
    PLAN_COLUMNS,
    QUEUE_COLUMNS,
    export_customers,
    export_events,
    export_queue,
    export_view,
)
from backoffice_tui.services.work.queue import QueueFilter, QueueSort, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, WorkItem
from tests.helpers import give_customer, give_item, give_order

EVERY_STATUS = QueueFilter(statuses=tuple(WorkStatus))


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 rows, so that every export crosses many chunk boundaries."""
    monkeypatch.setattr(exports, "CHUNK", 7)


def test_the_queue_export_is_the_whole_queue_in_order(
    demo_db: Database, small_chunks: None
) -> None:
    table = export_queue(demo_db, None, EVERY_STATUS, today=date.today())
    # no demo item has attributes: no column for them
    assert table.columns == (*QUEUE_COLUMNS, ORDER_TITLE_COLUMN, *PLAN_COLUMNS)
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
        "",
        None,
        None,
        None,
        None,
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


def build_items(db: Database) -> list[WorkItem]:
    with db.read() as session:
        return list(
            session.scalars(
                select(WorkItem)
                .join(Team, Team.id == WorkItem.team_id)
                .where(Team.code == "build")
                .order_by(WorkItem.id)
            )
        )


def test_the_queue_export_adds_dates_titles_and_a_column_per_attribute(
    demo_db: Database, small_chunks: None
) -> None:
    first, second, bare, *_ = build_items(demo_db)
    give_item(
        demo_db,
        first.id,
        {"Budget code": "B-1", "Site": "Osaka"},
        planned=(date(2026, 4, 1), date(2026, 4, 10)),
        actual=(date(2026, 4, 2), None),
    )
    give_item(demo_db, second.id, {"Site": "Kyoto", "Phase": "2"})
    give_order(demo_db, first.order_id, "Rack move", {"Order only": "not an item's"})
    with demo_db.read() as session:
        elsewhere = session.scalars(
            select(WorkItem.id).where(WorkItem.team_id != first.team_id)
        ).first()
    assert elsewhere is not None
    give_item(demo_db, elsewhere, {"Other team": "x"})

    build = QueueFilter(team="build", statuses=tuple(WorkStatus))
    table = export_queue(demo_db, None, build, today=date.today())
    # the union of the exported items' attribute names, first met first
    assert table.columns == (
        *QUEUE_COLUMNS,
        ORDER_TITLE_COLUMN,
        *PLAN_COLUMNS,
        "Budget code",
        "Site",
        "Phase",
    )
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert len(rows) == len(build_items(demo_db))
    extra = ("planned start", "planned finish", "actual start", "actual finish")
    assert [rows[first.id][c] for c in extra] == [
        date(2026, 4, 1),
        date(2026, 4, 10),
        date(2026, 4, 2),
        None,
    ]
    assert rows[first.id]["order title"] == "Rack move"
    assert (rows[first.id]["Budget code"], rows[first.id]["Site"]) == ("B-1", "Osaka")
    assert (rows[second.id]["Budget code"], rows[second.id]["Phase"]) == (None, "2")
    assert all(rows[bare.id][c] is None for c in (*extra, "Budget code", "Site", "Phase"))

    # only the items the filter exports give columns
    osaka = export_queue(
        demo_db, None, QueueFilter(text="osaka", statuses=tuple(WorkStatus)), today=date.today()
    )
    assert osaka.columns[-6:] == (*PLAN_COLUMNS, "Budget code", "Site")
    assert [row[0] for row in osaka.rows] == [first.id]


def test_the_customer_export_adds_a_column_per_attribute(
    demo_db: Database, small_chunks: None
) -> None:
    give_customer(demo_db, "C0001", {"Region": "Kansai", "Rank": "A"})
    give_customer(demo_db, "C0003", {"Rank": "B", "Since": "2001"})
    table = export_customers(demo_db)
    assert table.columns == (*CUSTOMER_COLUMNS, "Region", "Rank", "Since")
    rows = {row[0]: row[len(CUSTOMER_COLUMNS) :] for row in table.rows}
    assert rows["C0001"] == ("Kansai", "A", None)
    assert rows["C0003"] == (None, "B", "2001")
    assert rows["C0002"] == (None, None, None)
    # a search matches attribute values too, and keeps only its customers' columns
    found = export_customers(demo_db, "ＫＡＮＳＡＩ")
    assert found.columns == (*CUSTOMER_COLUMNS, "Region", "Rank")
    assert [row[0] for row in found.rows] == ["C0001"]


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
