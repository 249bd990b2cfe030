"""What landed on me: assignments, approvals waiting, reminders, returned
handoffs and my requests decided; never what I did myself."""

from datetime import timedelta

from sqlalchemy import select

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.deadlines import remind_overdue
from backoffice_tui.services.people.notifications import (
    ASSIGNED,
    REMINDER,
    WAITING,
    count_new,
    newest_event_id,
    notifications,
)
from backoffice_tui.services.work import items as work_items
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Order
from tests.helpers import stage
from tests.services.test_work_items import find_item


def first_order(db: Database, skip: int = 0) -> int:
    with db.read() as session:
        order_id = session.scalar(select(Order.id).order_by(Order.id.desc()).offset(skip).limit(1))
    assert order_id is not None
    return order_id


def test_an_item_assigned_to_me_by_someone_else(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura")
    seen = newest_event_id(demo_db)
    assert notifications(demo_db, kimura.actor, utc_now(), after=seen) == []
    item = find_item(demo_db, "build", WorkStatus.READY)
    work_items.assign(as_user("admin-ito"), item.id, "kimura")
    other = find_item(demo_db, "build", WorkStatus.WAITING)
    work_items.assign(kimura, other.id, "kimura")  # my own doing: not a notification
    found = notifications(demo_db, kimura.actor, utc_now(), after=seen)
    assert [(n.reason, n.entity, n.entity_id) for n in found] == [(ASSIGNED, "work_item", item.id)]
    assert "assigned" in found[0].summary
    assert count_new(demo_db, kimura.actor, utc_now(), seen) == 1
    assert count_new(demo_db, kimura.actor, utc_now(), found[0].event_id) == 0
    assert notifications(demo_db, as_user("ryan").actor, utc_now(), after=seen) == []


def test_waiting_for_my_approval_once_then_my_request_decided(demo_db: Database, as_user) -> None:
    kimura, sato = as_user("kimura"), as_user("sato")
    seen = newest_event_id(demo_db)
    request = approvals.request_approval(
        as_user("david"), "order", first_order(demo_db), [stage("Build", "kimura")], "Discount"
    )
    approvals.add_comment(as_user("david"), request, "please look today")
    found = notifications(demo_db, kimura.actor, utc_now(), after=seen)
    assert [(n.reason, n.entity_id) for n in found] == [(WAITING, request)]
    approvals.approve(kimura, request)
    assert notifications(demo_db, kimura.actor, utc_now(), after=seen) == []
    decided = notifications(demo_db, as_user("david").actor, utc_now(), after=seen)
    assert [(n.reason, n.entity, n.entity_id) for n in decided] == [
        ("your request approved", "approval_request", request)
    ]
    mine = approvals.request_approval(
        kimura, "order", first_order(demo_db, 1), [stage("Design", "sato")], "Rush"
    )
    approvals.reject(sato, mine, "not this month")
    rejected = notifications(demo_db, kimura.actor, utc_now(), after=seen)
    assert [(n.reason, n.entity_id) for n in rejected] == [("your request rejected", mine)]


def test_a_reminder_to_me(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura")
    request = approvals.request_approval(
        as_user("david"),
        "order",
        first_order(demo_db),
        [stage("Build", "kimura", due_hours=1)],
        "Late",
    )
    seen = newest_event_id(demo_db)
    reminders = remind_overdue(demo_db, utc_now() + timedelta(hours=3))
    assert request in [r.request_id for r in reminders]
    found = notifications(demo_db, kimura.actor, utc_now(), after=seen)
    assert (REMINDER, request) in [(n.reason, n.entity_id) for n in found]
    assert all(
        n.entity_id != request
        for n in notifications(demo_db, as_user("sato").actor, utc_now(), after=seen)
    )
