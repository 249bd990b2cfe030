"""Queue reads: filters, order and keyset windows."""

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.services.work.queue import QueueFilter, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, User, WorkItem
from tests.helpers import give_item, give_order


def _all(db: Database, queue_filter: QueueFilter, actor=None) -> list:  # type: ignore[no-untyped-def]
    return list_queue(db, actor, queue_filter, today=date.today(), limit=10_000)


def test_default_queue_holds_every_open_item_earliest_due_first(demo_db: Database) -> None:
    rows = _all(demo_db, QueueFilter())
    with demo_db.read() as session:
        open_count = session.scalar(
            select(func.count()).where(WorkItem.status.in_([s.value for s in OPEN_STATUSES]))
        )
    assert len(rows) == open_count > 50
    keys = [(r.due, r.id) for r in rows]
    assert keys == sorted(keys)
    assert {r.status for r in rows} <= {s.value for s in OPEN_STATUSES}


def test_filters_match_the_database(demo_db: Database, as_user) -> None:
    with demo_db.read() as session:
        build = session.scalar(select(Team.id).where(Team.code == "build"))
        kimura = session.scalar(select(User.id).where(User.login == "kimura"))
        expected_build = set(
            session.scalars(
                select(WorkItem.id).where(
                    WorkItem.team_id == build,
                    WorkItem.status.in_([s.value for s in OPEN_STATUSES]),
                )
            )
        )
        expected_mine = set(
            session.scalars(
                select(WorkItem.id).where(
                    WorkItem.assignee_id == kimura,
                    WorkItem.status.in_([s.value for s in OPEN_STATUSES]),
                )
            )
        )
    assert {r.id for r in _all(demo_db, QueueFilter(team="build"))} == expected_build
    mine = _all(demo_db, QueueFilter(assignee="me"), as_user("kimura").actor)
    assert {r.id for r in mine} == expected_mine and expected_mine
    blocked = _all(demo_db, QueueFilter(statuses=(WorkStatus.BLOCKED,)))
    assert blocked and all(r.status == "blocked" for r in blocked)
    overdue = _all(demo_db, QueueFilter(overdue=True))
    assert overdue and all(r.due < date.today() and r.status != "done" for r in overdue)
    unassigned = _all(demo_db, QueueFilter(assignee="none", statuses=(WorkStatus.READY,)))
    assert unassigned and all(r.assignee is None for r in unassigned)
    c1 = _all(demo_db, QueueFilter(customer="C0001", statuses=tuple(WorkStatus)))
    assert c1 and {r.customer_code for r in c1} == {"C0001"}


def test_keyset_windows_cover_the_queue_without_gaps(demo_db: Database) -> None:
    everything = _all(demo_db, QueueFilter())
    windows = []
    after = None
    while True:
        page = list_queue(demo_db, None, QueueFilter(), today=date.today(), limit=7, after=after)  # type: ignore[arg-type]
        if not page:
            break
        windows.extend(page)
        after = (page[-1].due, page[-1].id)
    assert [r.id for r in windows] == [r.id for r in everything]


def test_unknown_team_or_user_is_reported(demo_db: Database) -> None:
    with pytest.raises(NotFound, match="no team 'nope'"):
        _all(demo_db, QueueFilter(team="nope"))
    with pytest.raises(NotFound, match="no user 'ghost'"):
        _all(demo_db, QueueFilter(assignee="ghost"))


def _items(db: Database, count: int) -> list[WorkItem]:
    with db.read() as session:
        return list(session.scalars(select(WorkItem).order_by(WorkItem.id).limit(count)))


def test_the_text_filter_finds_attribute_values_and_order_titles(demo_db: Database) -> None:
    items = _items(demo_db, 400)
    item = items[0]
    other = next(i for i in items if i.order_id != item.order_id)
    give_item(demo_db, item.id, {"Site": "Ｏｓａｋａ 2F", "Budget": "100%"})
    give_order(demo_db, other.order_id, "Rack move", {"Ticket": "INC-77"})
    every = tuple(WorkStatus)

    def found(text: str) -> set[int]:
        return {r.id for r in _all(demo_db, QueueFilter(text=text, statuses=every))}

    assert found("osaka 2f") == {item.id}  # folded: width and case ignored
    assert found("100%") == {item.id}  # % is a character, not a wildcard
    assert not found("1%0")
    with demo_db.read() as session:
        order_items = set(
            session.scalars(select(WorkItem.id).where(WorkItem.order_id == other.order_id))
        )
    assert found("rack MOVE") == found("inc-77") == order_items
    assert other.id in order_items
