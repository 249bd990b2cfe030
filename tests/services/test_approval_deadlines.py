"""Reminding approvers of overdue stages (``rule:remind-approvers``), and the
bulk generator of waiting requests the benchmark uses, on SQLite and
PostgreSQL."""

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from backoffice_tui.demo.generate_approvals import generate_waiting_requests
from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.deadlines import RULE, overdue_text, remind_overdue
from backoffice_tui.services.approvals.read import count_inbox, request_detail
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalStage, Event
from tests.helpers import stage

NOW = datetime.now(UTC).replace(microsecond=0)
_codes = itertools.count(1)

MakeContext = Callable[[str], Context]


def at(ctx: Context, moment: datetime) -> Context:
    """The same operator with the clock stopped at ``moment``."""
    return Context(ctx.db, ctx.actor, lambda: moment)


def new_order(ctx: Context, customer: str = "C0003") -> int:
    """A fresh order (so that no demo request is open on it); its id."""
    code = f"DL-{next(_codes):05d}"
    return create_order(ctx, NewOrder(code, customer, ("custom",), date.today()))


def open_request(
    ctx: Context, opened: datetime, *stages: ApprovalStageSpec, customer: str = "C0003"
) -> int:
    return approvals.request_approval(
        at(ctx, opened), "order", new_order(ctx, customer), list(stages), "Deadline check"
    )


def reminder_events(db: Database, request_id: int) -> list[Event]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Event)
                .where(
                    Event.entity == "approval_request",
                    Event.entity_id == request_id,
                    Event.kind == "approval.reminder",
                )
                .order_by(Event.id)
            )
        )


def test_one_reminder_per_overdue_stage_and_none_on_a_second_run(
    demo_db: Database, as_user: MakeContext
) -> None:
    tanaka = as_user("tanaka")
    overdue = open_request(tanaka, NOW - timedelta(hours=30), stage("Review", "watanabe"))
    two_late = [
        open_request(tanaka, NOW - timedelta(days=3), stage("Review", "sato")) for _ in range(2)
    ]
    not_yet = open_request(tanaka, NOW - timedelta(hours=2), stage("Review", "watanabe"))
    no_deadline = open_request(
        tanaka, NOW - timedelta(days=9), stage("Review", "sato", due_hours=None)
    )
    withdrawn = open_request(tanaka, NOW - timedelta(days=3), stage("Review", "sato"))
    approvals.withdraw(tanaka, withdrawn)

    first = remind_overdue(demo_db, NOW)
    mine = {r.request_id: r for r in first if r.request_id in {overdue, not_yet, *two_late}}
    assert set(mine) == {overdue, *two_late}
    assert not {r.request_id for r in first} & {not_yet, no_deadline, withdrawn}
    assert len({r.request_id for r in first}) == len(first), "one reminder per stage"
    reminder = mine[overdue]
    assert (reminder.stage, reminder.stage_name) == (1, "Review")
    assert reminder.approvers == ("kimura", "watanabe"), "watanabe's delegate is reminded too"
    assert reminder.overdue_hours == 6.0
    assert reminder.due_at == NOW - timedelta(hours=6)

    assert remind_overdue(demo_db, NOW) == []
    later = remind_overdue(demo_db, NOW + timedelta(hours=20))
    assert not {r.request_id for r in later} & {overdue, *two_late}
    assert len(reminder_events(demo_db, overdue)) == 1


def test_a_reminder_is_an_event_on_the_customers_timeline(
    demo_db: Database, as_user: MakeContext
) -> None:
    request_id = open_request(
        as_user("tanaka"), NOW - timedelta(days=2), stage("Review", "watanabe"), customer="C0005"
    )
    remind_overdue(demo_db, NOW)
    [event] = reminder_events(demo_db, request_id)
    assert event.actor_name == RULE == "rule:remind-approvers"
    assert event.actor_id is None and event.at == NOW
    assert event.payload["approvers"] == ["kimura", "watanabe"]
    assert event.payload["stage"] == 1 and event.payload["stage_name"] == "Review"
    assert event.payload["overdue_hours"] == 24.0
    assert event.payload["subject_kind"] == "order"
    assert event.summary == (
        "reminded kimura, watanabe: 'Deadline check' is 1 d overdue at stage 'Review'"
    )
    timeline = customer_timeline(demo_db, "C0005", newest_first=True, limit=5)
    assert ("approval.reminder", RULE, request_id) in {
        (e.kind, e.actor, e.entity_id) for e in timeline
    }
    with demo_db.read() as session:
        reminded = session.scalar(
            select(ApprovalStage.reminded_at).where(ApprovalStage.request_id == request_id)
        )
    assert reminded == NOW


def test_still_overdue_is_reminded_again_after_every_hours(
    demo_db: Database, as_user: MakeContext
) -> None:
    request_id = open_request(as_user("tanaka"), NOW - timedelta(days=2), stage("Review", "sato"))

    def reminded(moment: datetime, every_hours: int = 24) -> bool:
        return request_id in {r.request_id for r in remind_overdue(demo_db, moment, every_hours)}

    assert reminded(NOW)
    assert not reminded(NOW + timedelta(hours=23, minutes=59))
    assert reminded(NOW + timedelta(hours=24))
    assert not reminded(NOW + timedelta(hours=26))
    assert reminded(NOW + timedelta(hours=26), every_hours=2)
    assert len(reminder_events(demo_db, request_id)) == 3


def test_a_stage_current_anew_is_reminded_anew(demo_db: Database, as_user: MakeContext) -> None:
    tanaka, kobayashi = as_user("tanaka"), as_user("kobayashi")
    request_id = open_request(
        tanaka,
        NOW - timedelta(days=5),
        stage("Review", "kobayashi"),
        stage("Review", "sato", "kobayashi"),
    )
    assert request_id in {r.request_id for r in remind_overdue(demo_db, NOW)}
    # approved at stage 1, then stage 2 is current (and overdue) at once
    approvals.approve(at(kobayashi, NOW - timedelta(days=4)), request_id)
    [second] = [r for r in remind_overdue(demo_db, NOW) if r.request_id == request_id]
    assert second.stage == 2 and second.approvers == ("kobayashi", "sato")
    # sent back to stage 1 and approved again: stage 2 is current anew
    approvals.send_back(at(kobayashi, NOW - timedelta(days=3)), request_id, "redo", to=1)
    approvals.approve(at(kobayashi, NOW - timedelta(days=3)), request_id)
    again = [r for r in remind_overdue(demo_db, NOW) if r.request_id == request_id]
    assert [r.stage for r in again] == [2]


def test_a_held_stage_reminds_its_holder_only(demo_db: Database, as_user: MakeContext) -> None:
    request_id = open_request(
        as_user("tanaka"), NOW - timedelta(days=2), stage("Review", "sato", "inoue", rule="all")
    )
    approvals.hold(as_user("inoue"), request_id)
    [reminder] = [r for r in remind_overdue(demo_db, NOW) if r.request_id == request_id]
    assert reminder.approvers == ("inoue",)


def test_overdue_text() -> None:
    assert overdue_text(timedelta(minutes=40)) == "40 min"
    assert overdue_text(timedelta(hours=5, minutes=10)) == "5 h"
    assert overdue_text(timedelta(days=1)) == "1 d"
    assert overdue_text(timedelta(days=3, hours=4)) == "3 d 4 h"


def test_generated_requests_wait_in_the_inbox_and_can_be_decided(
    demo_db: Database, as_user: MakeContext
) -> None:
    inoue = as_user("inoue")
    before = count_inbox(demo_db, inoue.actor, NOW)
    ids = generate_waiting_requests(demo_db, "inoue", 120, requester_login="shimizu", now=NOW)
    assert len(ids) == len(set(ids)) == 120
    assert count_inbox(demo_db, inoue.actor, NOW) == before + 120
    oldest = request_detail(demo_db, inoue.actor, ids[0], NOW)
    assert (oldest.state, oldest.requester, oldest.subject_kind) == ("pending", "shimizu", "order")
    assert oldest.title.startswith("Order AP-")
    assert oldest.current.deciders == ("inoue",) and oldest.current.overdue
    assert [d.action for d in oldest.decisions] == ["submit"]
    newest = request_detail(demo_db, inoue.actor, ids[-1], NOW)
    assert not newest.current.overdue, "opened over four days, due after two"

    approvals.approve(inoue, ids[0], "fine")
    assert request_detail(demo_db, inoue.actor, ids[0], NOW).state == "approved"
    reminded = {r.request_id for r in remind_overdue(demo_db, NOW)} & set(ids)
    assert 50 <= len(reminded) <= 70 and ids[0] not in reminded
    # the services go on writing after a bulk insert (sequences are right)
    later = open_request(as_user("tanaka"), NOW, stage("Review", "inoue"))
    assert later > max(ids)
