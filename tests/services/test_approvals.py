"""Approval routes: rules, every action, delegations, the inbox and races."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.read import (
    count_inbox,
    inbox_window,
    list_requests,
    request_detail,
    sent_window,
)
from backoffice_tui.services.context import Context
from backoffice_tui.services.work import lifecycle
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    Delegation,
    Event,
    Order,
    User,
)
from tests.helpers import stage
from tests.services.test_handoffs_concurrency import at_the_same_moment
from tests.services.test_work_items import find_item


def a_free_order(db: Database) -> int:
    """An order with no approval open on it."""
    with db.read() as session:
        taken = select(ApprovalRequest.subject_id).where(
            ApprovalRequest.subject_kind == "order",
            ApprovalRequest.state.in_(["pending", "sent_back", "pulled_back"]),
        )
        order_id = session.scalar(
            select(Order.id).where(Order.id.not_in(taken)).order_by(Order.id).limit(1)
        )
    assert order_id is not None
    return order_id


def open_on_order(ctx: Context, *route: ApprovalStageSpec) -> int:
    return approvals.request_approval(ctx, "order", a_free_order(ctx.db), route, "Discount")


def detail(ctx: Context, request_id: int):  # type: ignore[no-untyped-def]
    return request_detail(ctx.db, ctx.actor, request_id, utc_now())


def decisions(db: Database, request_id: int) -> list[tuple[str, str, str | None]]:
    with db.read() as session:
        logins = dict(session.execute(select(User.id, User.login)).all())
        rows = session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.request_id == request_id)
            .order_by(ApprovalDecision.id)
        )
        return [
            (
                logins[d.actor_id],
                d.action,
                logins[d.on_behalf_of_id] if d.on_behalf_of_id else None,
            )
            for d in rows
        ]


def test_a_two_stage_route_is_approved_stage_by_stage(demo_db: Database, as_user) -> None:
    request = open_on_order(
        as_user("david"), stage("Design", "sato"), stage("Sales", "suzuki", due_hours=4)
    )
    assert (
        detail(as_user("david"), request).state,
        detail(as_user("david"), request).current_stage,
    ) == ("pending", 1)
    approvals.approve(as_user("sato"), request, "fine by me")
    after_first = detail(as_user("suzuki"), request)
    assert after_first.current_stage == 2 and after_first.state == "pending"
    assert after_first.current.due_at is not None
    assert [s.state for s in after_first.stages] == ["approved", "pending"]
    approvals.approve(as_user("suzuki"), request)
    done = detail(as_user("david"), request)
    assert done.state == "approved" and done.decided_at is not None
    assert decisions(demo_db, request) == [
        ("david", "submit", None),
        ("sato", "approve", None),
        ("suzuki", "approve", None),
    ]
    with demo_db.read() as session:
        kinds = session.scalars(
            select(Event.kind)
            .where(Event.entity == "approval_request", Event.entity_id == request)
            .order_by(Event.id)
        ).all()
    assert kinds == [
        "approval.requested",
        "approval.approved",
        "approval.approved",
        "approval.completed",
    ]


def test_someone_not_on_the_stage_cannot_decide(demo_db: Database, as_user) -> None:
    request = open_on_order(as_user("david"), stage("Design", "approver@design"))
    for login in ("ryan", "priya", "suzuki"):
        with pytest.raises(PermissionDenied, match="is not an approver of stage 'Design'"):
            approvals.approve(as_user(login), request)
        with pytest.raises(PermissionDenied, match="not an approver"):
            approvals.reject(as_user(login), request, "no")
    with pytest.raises(PermissionDenied, match="someone else on its route must decide"):
        approvals.approve(as_user("david"), open_on_order(as_user("david"), stage("D", "david")))
    assert decisions(demo_db, request) == [("david", "submit", None)]


def test_rule_all_needs_every_entry_and_at_least_n_counts_people(
    demo_db: Database, as_user
) -> None:
    request = open_on_order(
        as_user("david"),
        stage("Technical", "lead@design", "lead@build", rule="all"),
        stage("Board", "suzuki", "emily", "tanaka", rule="2"),
    )
    approvals.approve(as_user("sato"), request)
    assert detail(as_user("sato"), request).current_stage == 1
    with pytest.raises(InvalidTransition, match="already approved stage 'Technical'"):
        approvals.approve(as_user("sato"), request)
    approvals.approve(as_user("kimura"), request)
    assert detail(as_user("sato"), request).current_stage == 2
    approvals.approve(as_user("suzuki"), request)
    assert detail(as_user("sato"), request).state == "pending"
    approvals.approve(as_user("emily"), request)
    assert detail(as_user("sato"), request).state == "approved"


def test_information_stages_notify_and_never_block(demo_db: Database, as_user) -> None:
    request = open_on_order(
        as_user("david"),
        stage("Design", "sato"),
        stage("Operations FYI", "lead@operations", info_only=True),
    )
    approvals.approve(as_user("sato"), request)
    done = detail(as_user("david"), request)
    assert done.state == "approved"
    assert [s.state for s in done.stages] == ["approved", "notified"]
    with demo_db.read() as session:
        assert session.scalar(
            select(func.count()).where(
                Event.entity_id == request, Event.kind == "approval.notified"
            )
        )
    with pytest.raises(InvalidInput, match="at least one stage that decides"):
        open_on_order(as_user("david"), stage("FYI", "sato", info_only=True))


def test_reject_needs_a_comment_and_is_final(demo_db: Database, as_user) -> None:
    request = open_on_order(as_user("david"), stage("Design", "sato"), stage("Sales", "suzuki"))
    with pytest.raises(InvalidInput, match="comment is required to reject"):
        approvals.reject(as_user("sato"), request, "  ")
    approvals.reject(as_user("sato"), request, "scope unclear")
    assert detail(as_user("david"), request).state == "rejected"
    with pytest.raises(Conflict, match=r"already decided by sato at \d\d:\d\d \(rejected\)"):
        approvals.approve(as_user("sato"), request)
    with pytest.raises(InvalidTransition, match="only a request sent back"):
        approvals.reapply(as_user("david"), request)


def test_send_back_to_a_passed_stage_then_to_the_requester_who_reapplies(
    demo_db: Database, as_user
) -> None:
    david = as_user("david")
    request = open_on_order(david, stage("Design", "sato"), stage("Sales", "suzuki"))
    approvals.approve(as_user("sato"), request)
    with pytest.raises(InvalidInput, match="comment is required to send back"):
        approvals.send_back(as_user("suzuki"), request, "")
    with pytest.raises(InvalidInput, match=r"already passed \(1\), not 2"):
        approvals.send_back(as_user("suzuki"), request, "why?", to=2)
    approvals.send_back(as_user("suzuki"), request, "check the price again", to=1)
    back = detail(david, request)
    assert back.current_stage == 1 and [s.state for s in back.stages] == ["pending", "waiting"]
    assert back.stages[0].approved_by == ()  # the earlier approval no longer counts
    approvals.send_back(as_user("sato"), request, "attach the quote")
    assert detail(david, request).state == "sent_back"
    with pytest.raises(PermissionDenied, match="only the requester"):
        approvals.reapply(as_user("sato"), request)
    assert "reapply" in detail(david, request).can
    approvals.reapply(david, request, "quote attached")
    again = detail(david, request)
    assert again.state == "pending" and again.current_stage == 1
    approvals.approve(as_user("sato"), request)
    approvals.approve(as_user("suzuki"), request)
    assert detail(david, request).state == "approved"


def test_withdraw_by_the_requester_only(demo_db: Database, as_user) -> None:
    request = open_on_order(as_user("david"), stage("Design", "sato"))
    with pytest.raises(PermissionDenied, match=r"only the requester \(david\) can withdraw"):
        approvals.withdraw(as_user("sato"), request)
    approvals.withdraw(as_user("david"), request, "no longer needed")
    assert detail(as_user("david"), request).state == "withdrawn"
    with pytest.raises(InvalidTransition, match="already withdrawn"):
        approvals.withdraw(as_user("david"), request)
    with pytest.raises(Conflict, match="already decided by david"):
        approvals.approve(as_user("sato"), request)


def test_pull_back_before_the_next_decision_only(demo_db: Database, as_user) -> None:
    david = as_user("david")
    request = open_on_order(
        david, stage("Design", "sato"), stage("Sales", "suzuki"), stage("Legal", "tanaka")
    )
    approvals.approve(as_user("sato"), request)
    assert "pull_back" in detail(as_user("sato"), request).can
    approvals.pull_back(as_user("sato"), request, "wrong request")
    back = detail(david, request)
    assert back.current_stage == 1 and back.stages[0].approved_by == ()
    approvals.approve(as_user("sato"), request)
    approvals.approve(as_user("suzuki"), request)
    with pytest.raises(InvalidTransition, match="the last decision was suzuki's"):
        approvals.pull_back(as_user("sato"), request)
    # the requester pulls back only before anyone decided
    with pytest.raises(InvalidTransition):
        approvals.pull_back(david, request)
    fresh = open_on_order(david, stage("Design", "sato"))
    approvals.pull_back(david, fresh, "forgot the attachment")
    assert detail(david, fresh).state == "pulled_back"
    approvals.reapply(david, fresh)
    assert detail(david, fresh).state == "pending"


def test_a_hold_stops_the_other_approvers_until_released(demo_db: Database, as_user) -> None:
    request = open_on_order(as_user("david"), stage("Design", "approver@design"))
    approvals.hold(as_user("sato"), request)
    with pytest.raises(Conflict, match="on hold by sato"):
        approvals.approve(as_user("kobayashi"), request)
    with pytest.raises(PermissionDenied, match="only they can release it"):
        approvals.release(as_user("kobayashi"), request)
    approvals.release(as_user("sato"), request)
    approvals.approve(as_user("kobayashi"), request)
    assert detail(as_user("david"), request).state == "approved"


def test_forward_hands_my_part_to_another_user(demo_db: Database, as_user) -> None:
    request = open_on_order(as_user("david"), stage("Sales", "suzuki"))
    with pytest.raises(InvalidInput):
        approvals.forward(as_user("suzuki"), request, "suzuki")
    with pytest.raises(Exception, match="no active user 'nobody'"):
        approvals.forward(as_user("suzuki"), request, "nobody")
    approvals.forward(as_user("suzuki"), request, "emily", "Emily owns this account")
    assert detail(as_user("david"), request).current.approvers == ("emily",)
    with pytest.raises(PermissionDenied):
        approvals.approve(as_user("suzuki"), request)
    assert [r.id for r in inbox_window(demo_db, as_user("emily").actor, utc_now())] == [request]
    approvals.approve(as_user("emily"), request)
    assert detail(as_user("david"), request).state == "approved"


def test_comments_from_the_requester_and_the_route_only(demo_db: Database, as_user) -> None:
    request = open_on_order(as_user("david"), stage("Design", "sato"))
    approvals.add_comment(as_user("david"), request, "urgent: customer waiting")
    approvals.add_comment(as_user("sato"), request, "looking at it today")
    with pytest.raises(PermissionDenied, match="neither the requester nor on the route"):
        approvals.add_comment(as_user("ryan"), request, "hi")
    with pytest.raises(InvalidInput):
        approvals.add_comment(as_user("sato"), request, " ")
    shown = detail(as_user("david"), request)
    assert [(d.actor, d.action, d.comment) for d in shown.decisions][1:] == [
        ("david", "comment", "urgent: customer waiting"),
        ("sato", "comment", "looking at it today"),
    ]
    assert shown.state == "pending" and shown.current_stage == 1


def test_a_delegate_decides_for_the_delegator_and_both_are_recorded(
    demo_db: Database, as_user
) -> None:
    # demo: sato delegated to kobayashi from two days ago to five days ahead
    request = open_on_order(as_user("david"), stage("Design lead", "sato"))
    rows = inbox_window(demo_db, as_user("kobayashi").actor, utc_now())
    assert [(r.id, r.via) for r in rows if r.id == request] == [(request, "for sato")]
    summary = next(
        r for r in list_requests(demo_db, as_user("david").actor, utc_now()) if r.id == request
    )
    assert summary.approvers == ("kobayashi", "sato")
    approvals.approve(as_user("kobayashi"), request, "for Sato, who is in Osaka")
    assert decisions(demo_db, request)[-1] == ("kobayashi", "approve", "sato")
    with demo_db.read() as session:
        event = session.scalar(
            select(Event).where(Event.entity_id == request, Event.kind == "approval.approved")
        )
        assert event.actor_name == "kobayashi" and "for sato" in event.summary
        sato_id = session.scalar(select(User.id).where(User.login == "sato"))
        assert event.on_behalf_of_id == sato_id


def test_a_delegation_outside_its_dates_gives_nothing(demo_db: Database, as_user) -> None:
    with demo_db.write() as session:
        for delegation in session.scalars(select(Delegation)):
            delegation.ends_on = date.today() - timedelta(days=1)
    request = open_on_order(as_user("david"), stage("Design lead", "sato"))
    with pytest.raises(PermissionDenied, match="holds no delegation"):
        approvals.approve(as_user("kobayashi"), request)
    assert request not in [
        r.id for r in inbox_window(demo_db, as_user("kobayashi").actor, utc_now())
    ]


def test_the_inbox_lists_what_waits_for_me_most_urgent_first(demo_db: Database, as_user) -> None:
    sato = as_user("sato").actor
    before = count_inbox(demo_db, sato, utc_now())
    later = open_on_order(as_user("david"), stage("Slow", "sato", due_hours=72))
    sooner = open_on_order(as_user("david"), stage("Fast", "approver@design", due_hours=2))
    mine = open_on_order(as_user("sato"), stage("Not for me", "approver@design"))
    assert count_inbox(demo_db, sato, utc_now()) == before + 2
    rows = inbox_window(demo_db, sato, utc_now(), 0, 500)
    ids = [r.id for r in rows]
    assert mine not in ids
    assert ids.index(sooner) < ids.index(later)
    by_id = {r.id: r for r in rows}
    assert (by_id[later].via, by_id[sooner].via) == ("you", "approver@design")
    assert by_id[sooner].customer_code and by_id[sooner].requester == "david"
    assert [r.id for r in inbox_window(demo_db, sato, utc_now(), 1, 1)] == ids[1:2]
    # an "all" stage leaves my inbox once I approved, not the others'
    both = open_on_order(as_user("david"), stage("Both", "sato", "kobayashi", rule="all"))
    approvals.approve(as_user("sato"), both)
    assert both not in [r.id for r in inbox_window(demo_db, sato, utc_now(), 0, 500)]
    kobayashi = as_user("kobayashi").actor
    assert both in [r.id for r in inbox_window(demo_db, kobayashi, utc_now(), 0, 500)]
    sent = sent_window(demo_db, as_user("david").actor, utc_now())
    assert {later, sooner, both} <= {r.id for r in sent}
    assert next(r for r in sent if r.id == both).via == "kobayashi"


def test_a_step_with_a_route_opens_its_request_and_waits_for_it(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    david = as_user("david")
    lifecycle.start(david, item.id)
    requests = [r for r in sent_window(demo_db, david.actor, utc_now()) if r.subject_id == item.id]
    if not requests:
        pytest.skip("the first ready design step has no approval route")
    (request,) = requests
    assert request.subject_kind == "work_item" and request.state == "pending"
    with pytest.raises(InvalidTransition, match=f"approval {request.id} is still waiting"):
        lifecycle.done(david, item.id)
    deciders = detail(david, request.id).current.deciders
    approvals.reject(as_user(deciders[0]), request.id, "not this quarter")
    with pytest.raises(InvalidTransition, match="was rejected; a lead can skip the step"):
        lifecycle.done(david, item.id)


def test_two_approvers_deciding_at_the_same_moment_one_wins(
    demo_url: str, demo_db: Database, as_user
) -> None:
    for _ in range(3):
        request = open_on_order(as_user("david"), stage("Design", "approver@design"))
        contexts = [as_user("sato"), as_user("kobayashi")]
        outcomes = at_the_same_moment(
            demo_url,
            contexts,
            lambda ctx, request=request: approvals.approve(ctx, request, "ok"),
        )
        winners = [login for login, outcome in outcomes.items() if outcome == "ok"]
        assert len(winners) == 1, outcomes
        (loser,) = set(outcomes) - set(winners)
        assert outcomes[loser].startswith(f"approval {request} was already decided by {winners[0]}")
        assert [d for d in decisions(demo_db, request) if d[1] == "approve"] == [
            (winners[0], "approve", None)
        ]


def test_approve_and_reject_at_the_same_moment_one_wins(
    demo_url: str, demo_db: Database, as_user
) -> None:
    request = open_on_order(as_user("david"), stage("Design", "approver@design"))

    def act(ctx: Context) -> None:
        if ctx.actor.login == "sato":
            approvals.approve(ctx, request)
        else:
            approvals.reject(ctx, request, "no")

    outcomes = at_the_same_moment(demo_url, [as_user("sato"), as_user("kobayashi")], act)
    assert sorted(outcomes.values()).count("ok") == 1, outcomes
    state = detail(as_user("david"), request).state
    assert state == ("approved" if outcomes["sato"] == "ok" else "rejected")
    assert len([d for d in decisions(demo_db, request) if d[1] != "submit"]) == 1


def test_an_all_stage_approved_by_both_at_the_same_moment_counts_both(
    demo_url: str, as_user
) -> None:
    request = open_on_order(as_user("david"), stage("Both", "sato", "kobayashi", rule="all"))
    outcomes = at_the_same_moment(
        demo_url,
        [as_user("sato"), as_user("kobayashi")],
        lambda ctx: approvals.approve(ctx, request),
    )
    assert outcomes == {"sato": "ok", "kobayashi": "ok"}
    assert detail(as_user("david"), request).state == "approved"
