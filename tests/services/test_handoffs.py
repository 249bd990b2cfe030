"""Handoffs: opening, the checklist, submit/return/accept, permissions, events."""

from datetime import date

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.checklist import (
    answer_item,
    answer_item_by_key,
    toggle_item,
)
from backoffice_tui.services.handoffs.read import (
    Direction,
    HandoffDetail,
    HandoffFilter,
    HandoffRow,
    handoff_detail,
    handoff_of_work_item,
    list_handoffs,
)
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.queue import QueueFilter, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, WorkItem

EVERY_STATE = HandoffFilter(direction=Direction.ALL, states=())


def find_handoff(db: Database, order_code: str, state: str | None = None) -> HandoffRow:
    """The demo handoff of ``order_code`` (each demo order has at most one open one)."""
    rows = [r for r in list_handoffs(db, None, EVERY_STATE) if r.order_code == order_code]
    if state is not None:
        rows = [r for r in rows if r.state == state]
    assert rows, f"demo data has no handoff of {order_code}"
    return rows[0]


def item(detail: HandoffDetail, key: str):  # type: ignore[no-untyped-def]
    return next(i for i in detail.items if i.key == key)


def handoff_kinds(db: Database, handoff_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Event.kind)
                .where(Event.entity == "handoff", Event.entity_id == handoff_id)
                .order_by(Event.id)
            )
        )


def next_step(db: Database, work_item_id: int) -> WorkItem:
    """The step after ``work_item_id`` on its line (team loaded)."""
    with db.read() as session:
        done = session.get(WorkItem, work_item_id)
        following = session.scalar(
            select(WorkItem)
            .where(
                WorkItem.order_line_id == done.order_line_id,
                WorkItem.position == done.position + 1,
            )
            .limit(1)
        )
        _ = following.team.code
        return following


# --- opening -------------------------------------------------------------------------


def test_starting_a_handoff_step_opens_a_draft_with_the_template_checklist(
    demo_db: Database, as_user
) -> None:
    development = list_queue(
        demo_db,
        None,  # type: ignore[arg-type]
        QueueFilter(
            team="build", statuses=(WorkStatus.READY,), assignee="none", text="Development"
        ),
        today=date.today(),
        limit=1,
    )[0]
    ryan = as_user("ryan")
    lifecycle.start(ryan, development.id)
    lifecycle.done(ryan, development.id)
    acceptance = next_step(demo_db, development.id)
    assert handoff_of_work_item(demo_db, acceptance.id) is None  # ready, not started

    lifecycle.start(ryan, acceptance.id)
    handoff_id = handoff_of_work_item(demo_db, acceptance.id)
    assert handoff_id is not None
    detail = handoff_detail(demo_db, handoff_id)
    assert (detail.state, detail.from_team, detail.to_team) == ("draft", "build", "maintenance")
    assert detail.order_code == development.order_code
    assert [(i.key, i.kind, i.required, i.answered) for i in detail.items] == [
        ("acceptance-certificate", "link", True, False),
        ("source-delivered", "check", True, False),
        ("maintenance-scope", "text", True, False),
        ("design-documents", "link", False, False),
    ]
    assert detail.blocking == ("acceptance-certificate", "source-delivered", "maintenance-scope")
    assert "ryan" in detail.from_members and "inoue" in detail.to_members
    with demo_db.read() as session:
        opened = session.scalars(
            select(Event).where(Event.entity == "handoff", Event.entity_id == handoff_id)
        ).one()
        assert opened.kind == "handoff.opened"
        assert (opened.customer_id, opened.order_line_id) == (
            acceptance.customer_id,
            acceptance.order_line_id,
        )
        assert opened.team_id == acceptance.team_id and opened.actor_name == "ryan"
        assert "from build to maintenance" in opened.summary


def test_done_on_a_handoff_step_is_refused_until_accepted(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0010", "draft")
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.done(as_user("ryan"), row.work_item_id)
    assert str(refused.value) == (
        f"cannot finish work item {row.work_item_id} directly: it ends in handoff {row.id} "
        "(draft); finish it by having team operations accept the handoff"
    )
    assert get_queue_row(demo_db, row.work_item_id).status == "in_progress"


# --- the whole cycle -------------------------------------------------------------------


def test_draft_submit_refused_return_resubmit_accept(demo_db: Database, as_user) -> None:
    ryan, olivia = as_user("ryan"), as_user("olivia")
    row = find_handoff(demo_db, "ORD-2026-0010", "draft")
    before = handoff_kinds(demo_db, row.id)
    detail = handoff_detail(demo_db, row.id)
    assert detail.blocking == ("false-positive-review", "escalation-contacts", "log-forwarding")

    with pytest.raises(InvalidTransition) as refused:
        handoffs.submit(ryan, row.id)
    assert str(refused.value) == (
        f"cannot submit handoff {row.id}: 3 required items still unanswered: "
        "'Two-week false-positive review completed', 'Customer escalation contacts and hours', "
        "'Log forwarding to the SOC verified'"
    )
    toggle_item(ryan, item(detail, "false-positive-review").id)
    answer_item_by_key(ryan, row.id, "escalation-contacts", "Security desk 03-5555-0100, 24x7")
    with pytest.raises(InvalidTransition, match="1 required item still unanswered: 'Log forw"):
        handoffs.submit(ryan, row.id)
    answer_item_by_key(ryan, row.id, "log-forwarding", "yes")
    handoffs.submit(ryan, row.id)
    assert handoff_detail(demo_db, row.id).state == "submitted"

    with pytest.raises(InvalidTransition, match="it is submitted; team operations must return"):
        answer_item_by_key(ryan, row.id, "exceptions", "none")
    with pytest.raises(InvalidInput, match="a reason is required"):
        handoffs.return_handoff(olivia, row.id, "   ")
    handoffs.return_handoff(olivia, row.id, "Escalation hours missing for holidays")
    returned = handoff_detail(demo_db, row.id)
    assert returned.state == "returned"
    assert returned.return_reason == "Escalation hours missing for holidays"
    with pytest.raises(InvalidTransition, match="it is returned, not submitted"):
        handoffs.accept(olivia, row.id)

    answer_item_by_key(
        ryan, row.id, "escalation-contacts", "Security desk 03-5555-0100, 24x7 incl. holidays"
    )
    handoffs.submit(ryan, row.id)
    handoffs.accept(olivia, row.id)

    accepted = handoff_detail(demo_db, row.id)
    assert accepted.state == "accepted" and accepted.accepted_at is not None
    step = get_queue_row(demo_db, row.work_item_id)
    assert step.status == "done"
    following = next_step(demo_db, row.work_item_id)
    assert following.status == "ready" and following.team.code == "operations"
    assert handoff_kinds(demo_db, row.id)[len(before) :] == [
        "handoff.answered",
        "handoff.answered",
        "handoff.answered",
        "handoff.submitted",
        "handoff.returned",
        "handoff.answered",
        "handoff.submitted",
        "handoff.accepted",
    ]
    summaries = [h.summary for h in accepted.history]
    assert "ryan resubmitted handoff" in summaries[-2]
    assert summaries[-1].startswith("olivia accepted handoff")
    with demo_db.read() as session:
        finished = session.get(WorkItem, row.work_item_id)
        assert finished.finished_at == accepted.accepted_at
    with pytest.raises(InvalidTransition, match="it is accepted"):
        handoffs.return_handoff(olivia, row.id, "too late")

    timeline = customer_timeline(demo_db, row.customer_code)
    kinds = [entry.kind for entry in timeline]
    assert "handoff.returned" in kinds and "handoff.accepted" in kinds
    assert any(e.kind == "work_item.ready" and e.entity_id == following.id for e in timeline)


def test_accepting_a_blocked_step_is_refused(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0042", "submitted")
    work_items.block(as_user("yamamoto"), row.work_item_id, "customer postponed the go-live")
    with pytest.raises(InvalidTransition, match="is blocked, not in progress"):
        handoffs.accept(as_user("hayashi"), row.id)
    assert handoff_detail(demo_db, row.id).state == "submitted"


# --- permissions --------------------------------------------------------------------------


def test_a_member_of_another_team_cannot_edit_or_submit(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0007", "draft")
    olivia = as_user("olivia")  # operations, the receiving team
    with pytest.raises(PermissionDenied) as refused:
        handoffs.submit(olivia, row.id)
    assert str(refused.value) == "olivia is not in team build, so cannot submit its handoffs"
    with pytest.raises(PermissionDenied, match="olivia is not in team build"):
        answer_item_by_key(olivia, row.id, "speed-test", "yes")
    with pytest.raises(PermissionDenied, match="tanaka is not in team build"):
        answer_item_by_key(as_user("tanaka"), row.id, "speed-test", "yes")
    assert not item(handoff_detail(demo_db, row.id), "speed-test").answered


def test_a_member_of_another_team_cannot_accept_or_return(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0042", "submitted")
    ryan = as_user("ryan")  # build, the sending team
    with pytest.raises(PermissionDenied) as refused:
        handoffs.accept(ryan, row.id)
    assert str(refused.value) == (
        "ryan is not in team operations, so cannot accept the handoffs it receives"
    )
    with pytest.raises(PermissionDenied, match="inoue is not in team operations"):
        handoffs.return_handoff(as_user("inoue"), row.id, "not ours")
    assert handoff_detail(demo_db, row.id).state == "submitted"
    assert get_queue_row(demo_db, row.work_item_id).status == "in_progress"
    handoffs.accept(as_user("kimura"), row.id)  # kimura is in both teams
    assert handoff_detail(demo_db, row.id).state == "accepted"


# --- answers --------------------------------------------------------------------------------


def test_answers_record_who_and_when_and_are_checked(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0007", "draft")
    kimura = as_user("kimura")
    speed = item(handoff_detail(demo_db, row.id), "speed-test")
    assert speed.version == 1 and speed.by is None
    assert toggle_item(kimura, speed.id, expected_version=1) == 2
    ticked = item(handoff_detail(demo_db, row.id), "speed-test")
    assert (ticked.answer, ticked.by, ticked.version) == ("yes", "kimura", 2)
    assert ticked.at is not None and ticked.at.tzinfo is not None
    assert toggle_item(as_user("ryan"), speed.id) == 3  # untick
    cleared = item(handoff_detail(demo_db, row.id), "speed-test")
    assert (cleared.answered, cleared.by) == (False, "ryan")

    with pytest.raises(InvalidInput, match="is a check item: answer yes or no, not 'maybe'"):
        answer_item(kimura, speed.id, "maybe")
    config = item(handoff_detail(demo_db, row.id), "router-config")
    with pytest.raises(InvalidInput, match="takes one link"):
        answer_item(kimura, config.id, "https://a\nhttps://b")
    with pytest.raises(InvalidInput, match="takes a link, not a tick"):
        toggle_item(kimura, config.id)
    with pytest.raises(NotFound, match=f"handoff {row.id} has no checklist item 'nope'; its"):
        answer_item_by_key(kimura, row.id, "nope", "x")
    with pytest.raises(NotFound, match="no handoff 999999"):
        answer_item_by_key(kimura, 999_999, "speed-test", "yes")
    answer_item(kimura, config.id, "  //fileserver/ORD-2026-0007/router.cfg  ")
    assert item(handoff_detail(demo_db, row.id), "router-config").answer == (
        "//fileserver/ORD-2026-0007/router.cfg"
    )
    assert handoff_detail(demo_db, row.id).version == row.version  # answers leave it alone


def test_a_stale_answer_is_refused_with_the_current_value(demo_db: Database, as_user) -> None:
    row = find_handoff(demo_db, "ORD-2026-0007", "draft")
    circuit = item(handoff_detail(demo_db, row.id), "circuit-id")
    answer_item(as_user("yamamoto"), circuit.id, "NTT FLETS CAF-0390-9999", circuit.version)
    with pytest.raises(Conflict) as refused:
        answer_item(as_user("ryan"), circuit.id, "something else", circuit.version)
    message = str(refused.value)
    assert message.startswith("checklist item 'Carrier circuit ID' was changed by yamamoto at ")
    assert message.endswith("; its answer is now 'NTT FLETS CAF-0390-9999'")
    assert item(handoff_detail(demo_db, row.id), "circuit-id").answer == "NTT FLETS CAF-0390-9999"


# --- lists ------------------------------------------------------------------------------------


def test_incoming_and_outgoing_lists(demo_db: Database, as_user) -> None:
    kimura = as_user("kimura").actor  # build and operations
    incoming = list_handoffs(demo_db, kimura, HandoffFilter(Direction.INCOMING))
    assert incoming and all(r.to_team in ("build", "operations") for r in incoming)
    assert {r.state for r in incoming} <= {"draft", "submitted", "returned"}
    assert incoming[0].state == "submitted"  # what waits for me first
    hayashi = as_user("hayashi").actor  # operations only
    outgoing = list_handoffs(demo_db, hayashi, HandoffFilter(Direction.OUTGOING, states=()))
    assert outgoing == []
    by_team = list_handoffs(demo_db, hayashi, HandoffFilter(Direction.OUTGOING, (), "build"))
    assert {r.state for r in by_team} == {"draft", "submitted", "returned", "accepted"}
    returned = list_handoffs(
        demo_db, None, HandoffFilter(Direction.ALL, (handoffs.HandoffState.RETURNED,))
    )
    assert [r.order_code for r in returned] == ["ORD-2026-0043"]
    with pytest.raises(NotFound, match="no team 'nope'"):
        list_handoffs(demo_db, None, HandoffFilter(Direction.INCOMING, team="nope"))


# --- demo data ---------------------------------------------------------------------------------


def test_demo_holds_handoffs_in_every_state(demo_db: Database) -> None:
    rows = list_handoffs(demo_db, None, EVERY_STATE)
    assert {r.state for r in rows} == {"draft", "submitted", "returned", "accepted"}
    assert any(r.state == "draft" and r.open_required for r in rows)
    returned = handoff_detail(demo_db, find_handoff(demo_db, "ORD-2026-0043").id)
    assert returned.state == "returned" and returned.return_reason
    resubmitted = handoff_detail(demo_db, find_handoff(demo_db, "ORD-2026-0009").id)
    assert [h.kind for h in resubmitted.history].count("handoff.submitted") == 2
    revisions = [
        len(d.revisions)
        for r in rows
        for d in handoff_detail(demo_db, r.id).documents
        if r.state == "accepted"
    ]
    assert max(revisions) >= 3
    for row in rows:  # every open handoff's step is the one in progress
        status = get_queue_row(demo_db, row.work_item_id).status
        assert status == ("done" if row.state == "accepted" else "in_progress")
