"""The customer timeline agrees with the events the services wrote."""

import pytest

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.customers.timeline import (
    TimelineFilter,
    count_timeline,
    customer_timeline,
    timeline_window,
)
from backoffice_tui.services.work import items as work_items
from backoffice_tui.store.database import Database
from tests.services.test_work_items import find_item


def test_actions_appear_on_the_customers_timeline_in_order(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    before = customer_timeline(demo_db, item.customer_code)
    david = as_user("david")
    work_items.claim(david, item.id)
    work_items.add_note(david, item.id, "site visit booked")
    after = customer_timeline(demo_db, item.customer_code)
    new = after[len(before) :]
    assert [e.kind for e in new] == ["work_item.claimed", "work_item.note"]
    assert all(e.actor == "david" and e.team == "design" for e in new)
    assert all(e.order_code == item.order_code and e.service == item.service for e in new)
    times = [(e.at, e.id) for e in after]
    assert times == sorted(times)
    newest = customer_timeline(demo_db, item.customer_code, newest_first=True, limit=2)
    assert [e.id for e in newest] == [new[1].id, new[0].id]


def test_the_timeline_spans_every_team(demo_db: Database) -> None:
    entries = customer_timeline(demo_db, "C0006")
    assert {e.team for e in entries if e.team} >= {"sales-admin", "design", "provisioning"}
    assert entries[0].kind == "order.created"


def test_unknown_customer(demo_db: Database) -> None:
    with pytest.raises(NotFound, match="no customer 'X9'"):
        customer_timeline(demo_db, "X9")


def test_windows_cover_the_timeline_in_both_orders(demo_db: Database) -> None:
    for newest_first in (False, True):
        whole = customer_timeline(demo_db, "C0006", newest_first=newest_first)
        assert count_timeline(demo_db, "C0006", TimelineFilter()) == len(whole) > 10
        seen: list[int] = []
        after = None
        while True:
            window = timeline_window(
                demo_db, "C0006", TimelineFilter(), newest_first=newest_first, limit=4, after=after
            )
            if not window:
                break
            seen += [e.id for e in window]
            after = window[-1].sort_key()
        assert seen == [e.id for e in whole]
        tail = timeline_window(
            demo_db, "C0006", TimelineFilter(), newest_first=newest_first, limit=5, reverse=True
        )
        assert [e.id for e in tail] == [e.id for e in whole[-5:]]
        before_tail = timeline_window(
            demo_db,
            "C0006",
            TimelineFilter(),
            newest_first=newest_first,
            limit=5,
            reverse=True,
            after=tail[0].sort_key(),
        )
        assert [e.id for e in before_tail] == [e.id for e in whole[-10:-5]]
        middle = timeline_window(
            demo_db, "C0006", TimelineFilter(), newest_first=newest_first, limit=3, offset=4
        )
        assert [e.id for e in middle] == [e.id for e in whole[4:7]]


def test_filters_narrow_the_timeline(demo_db: Database) -> None:
    whole = customer_timeline(demo_db, "C0006")

    def ids(f: TimelineFilter) -> list[int]:
        got = [e.id for e in customer_timeline(demo_db, "C0006", timeline_filter=f)]
        assert count_timeline(demo_db, "C0006", f) == len(got)
        return got

    done = ids(TimelineFilter(kind="work_item.done"))
    assert done == [e.id for e in whole if e.kind == "work_item.done"] and done
    assert ids(TimelineFilter(kind="work_item")) == [
        e.id for e in whole if e.kind.startswith("work_item.")
    ]
    order = whole[0].order_code
    assert ids(TimelineFilter(order=order)) == [e.id for e in whole if e.order_code == order]
    assert ids(TimelineFilter(service="network-line")) == [
        e.id for e in whole if e.service == "Network line"
    ]
    assert ids(TimelineFilter(text="SITE SURVEY")) == [
        e.id for e in whole if "site survey" in e.summary.lower()
    ]
    first_day = whole[0].at.astimezone().date()
    assert ids(TimelineFilter(since=first_day, until=first_day)) == [
        e.id for e in whole if e.at.astimezone().date() == first_day
    ]
    assert ids(TimelineFilter(kind="nothing.like.this")) == []
