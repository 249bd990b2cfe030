"""The customer timeline agrees with the events the services wrote."""

import pytest

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services import work_items
from backoffice_tui.services.timeline import customer_timeline
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
