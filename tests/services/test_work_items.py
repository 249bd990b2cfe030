"""Work item actions: transitions, permissions, versions and events."""

import threading
from dataclasses import replace
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
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.checklist import answer_item
from backoffice_tui.services.handoffs.read import handoff_detail, handoff_of_work_item
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.queue import QueueFilter, QueueRow, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, Team, TeamMembership, User, WorkItem, WorkItemNote
from tests.conftest import approve_through


def find_item(db: Database, team: str, status: WorkStatus, assignee: str = "none") -> QueueRow:
    rows = list_queue(
        db,
        None,  # type: ignore[arg-type]
        QueueFilter(team=team, statuses=(status,), assignee=assignee),
        today=date.today(),
        limit=1,
    )
    assert rows, f"demo data has no {status} item for {team}"
    return rows[0]


def kinds_for(db: Database, item_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Event.kind)
                .where(Event.entity == "work_item", Event.entity_id == item_id)
                .order_by(Event.id)
            )
        )


def test_claim_start_done_makes_the_next_step_ready(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    before = kinds_for(demo_db, item.id)
    david = as_user("david")
    work_items.claim(david, item.id)
    lifecycle.start(david, item.id)
    if approve_through(demo_db, "work_item", item.id) is not None:
        with demo_db.read() as session:  # an approved step, the approval as only change
            assert session.get(WorkItem, item.id).version == item.version + 2
    lifecycle.done(david, item.id)

    row = get_queue_row(demo_db, item.id)
    assert (row.status, row.assignee, row.version) == ("done", "david", item.version + 3)
    assert kinds_for(demo_db, item.id)[len(before) :] == [
        "work_item.claimed",
        "work_item.started",
        "work_item.done",
    ]
    with demo_db.read() as session:
        done_item = session.get(WorkItem, item.id)
        following = session.scalar(
            select(WorkItem).where(
                WorkItem.order_line_id == done_item.order_line_id,
                WorkItem.position == done_item.position + 1,
            )
        )
        assert following.status == "ready"
        assert done_item.finished_at is not None and done_item.finished_at.tzinfo is not None
    assert kinds_for(demo_db, following.id)[-1] == "work_item.ready"


def member_of(db: Database, team: str) -> str:
    with db.read() as session:
        return (
            session.scalars(
                select(User.login)
                .join(TeamMembership, TeamMembership.user_id == User.id)
                .join(Team, Team.id == TeamMembership.team_id)
                .where(Team.code == team, User.active.is_(True))
                .order_by(User.login)
            ).first()
            or ""
        )


def test_finishing_the_last_step_completes_the_line(demo_db: Database, as_user) -> None:
    first = find_item(demo_db, "sales-admin", WorkStatus.READY)
    with demo_db.read() as session:
        line_id = session.get(WorkItem, first.id).order_line_id
        steps = session.scalars(
            select(WorkItem.id).where(WorkItem.order_line_id == line_id).order_by(WorkItem.position)
        ).all()
    admin = as_user("admin-ito")  # admins may act in every team
    for item_id in steps:
        assert get_queue_row(demo_db, item_id).status == "ready"
        lifecycle.start(admin, item_id)
        approve_through(demo_db, "work_item", item_id)
        handoff_id = handoff_of_work_item(demo_db, item_id)
        if handoff_id is None:
            lifecycle.done(admin, item_id)
            continue
        with pytest.raises(InvalidTransition, match="accept the handoff"):
            lifecycle.done(admin, item_id)
        for entry in handoff_detail(demo_db, handoff_id).items:  # ends by being accepted
            if entry.required:
                answer_item(admin, entry.id, "yes" if entry.kind == "check" else "see the file")
        handoffs.submit(admin, handoff_id)
        # the one who submitted may not accept: a member of the receiving team does
        handoffs.accept(
            as_user(member_of(demo_db, handoff_detail(demo_db, handoff_id).to_team)), handoff_id
        )
    with demo_db.read() as session:
        kinds = session.scalars(
            select(Event.kind).where(Event.order_line_id == line_id).order_by(Event.id)
        ).all()
    assert kinds[-1] == "order_line.completed"
    assert kinds.count("work_item.done") == len(steps)


def test_a_claimed_item_cannot_be_claimed_again(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    work_items.claim(as_user("david"), item.id)
    with pytest.raises(Conflict, match="already claimed by david"):
        work_items.claim(as_user("priya"), item.id)
    with pytest.raises(InvalidTransition, match="already yours"):
        work_items.claim(as_user("david"), item.id)


def test_stale_version_is_refused_with_who_changed_it(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    work_items.claim(as_user("david"), item.id, expected_version=item.version)
    with pytest.raises(Conflict, match=r"changed by david .*you had"):
        work_items.block(as_user("sato"), item.id, "waiting", expected_version=item.version)
    assert get_queue_row(demo_db, item.id).status == "ready"


def test_non_members_cannot_act_and_nothing_changes(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    events_before = kinds_for(demo_db, item.id)
    tanaka = as_user("tanaka")
    with pytest.raises(PermissionDenied, match="not in team design"):
        work_items.claim(tanaka, item.id)
    with pytest.raises(PermissionDenied):
        lifecycle.start(tanaka, item.id)
    with pytest.raises(PermissionDenied):
        work_items.add_note(tanaka, item.id, "hello")
    assert get_queue_row(demo_db, item.id) == item
    assert kinds_for(demo_db, item.id) == events_before


def test_only_the_assignee_or_a_lead_finishes(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    lifecycle.start(as_user("david"), item.id)  # claims it too
    approve_through(demo_db, "work_item", item.id)
    with pytest.raises(PermissionDenied, match="only a lead of team design"):
        lifecycle.done(as_user("priya"), item.id)
    lifecycle.done(as_user("sato"), item.id)  # sato leads design
    assert get_queue_row(demo_db, item.id).status == "done"


def test_wrong_transitions_are_refused(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    david = as_user("david")
    with pytest.raises(InvalidTransition, match=r"cannot finish .* it is ready"):
        lifecycle.done(david, item.id)
    with pytest.raises(InvalidTransition, match="cannot unblock"):
        work_items.unblock(david, item.id)
    with pytest.raises(NotFound, match="no work item 987654"):
        work_items.claim(david, 987654)


def test_block_needs_a_reason_and_unblock_restores(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    david = as_user("david")
    lifecycle.start(david, item.id)
    with pytest.raises(InvalidInput, match="reason is required"):
        work_items.block(david, item.id, "   ")
    work_items.block(david, item.id, "waiting for the floor plan")
    with demo_db.read() as session:
        blocked = session.get(WorkItem, item.id)
        assert (blocked.status, blocked.blocked_reason) == ("blocked", "waiting for the floor plan")
    work_items.unblock(david, item.id)
    assert get_queue_row(demo_db, item.id).status == "in_progress"


def test_skip_is_for_leads_and_readies_the_next_step(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    with pytest.raises(PermissionDenied, match="only a lead"):
        lifecycle.skip(as_user("david"), item.id, "not needed")
    with pytest.raises(InvalidInput):
        lifecycle.skip(as_user("sato"), item.id, "")
    lifecycle.skip(as_user("sato"), item.id, "survey from 2025 still valid")
    assert get_queue_row(demo_db, item.id).status == "skipped"
    assert kinds_for(demo_db, item.id)[-1] == "work_item.skipped"


def test_assign_is_for_leads_and_only_to_team_members(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    with pytest.raises(PermissionDenied):
        work_items.assign(as_user("david"), item.id, "priya")
    with pytest.raises(InvalidInput, match="tanaka is not in team design"):
        work_items.assign(as_user("sato"), item.id, "tanaka")
    with pytest.raises(NotFound):
        work_items.assign(as_user("sato"), item.id, "nobody")
    work_items.assign(as_user("sato"), item.id, "priya")
    assert get_queue_row(demo_db, item.id).assignee == "priya"
    work_items.release(as_user("priya"), item.id)
    assert get_queue_row(demo_db, item.id).assignee is None


def test_release_of_someone_elses_item_needs_a_lead(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    work_items.claim(as_user("david"), item.id)
    with pytest.raises(PermissionDenied):
        work_items.release(as_user("priya"), item.id)
    work_items.release(as_user("sato"), item.id)


def test_released_work_in_progress_is_ready_again_for_the_team(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    lifecycle.start(as_user("david"), item.id)
    assert get_queue_row(demo_db, item.id).status == "in_progress"
    work_items.release(as_user("david"), item.id)
    released = get_queue_row(demo_db, item.id)
    assert (released.status, released.assignee) == ("ready", None)
    with demo_db.read() as session:
        summary = session.scalars(
            select(Event.summary)
            .where(Event.entity == "work_item", Event.entity_id == item.id)
            .order_by(Event.id.desc())
        ).first()
    assert summary is not None and summary.endswith("(was david; in progress -> ready)")
    # blocked while in progress: ready once unblocked
    lifecycle.start(as_user("david"), item.id)
    work_items.block(as_user("david"), item.id, "waiting for the floor plan")
    work_items.release(as_user("david"), item.id)
    work_items.unblock(as_user("sato"), item.id)
    assert get_queue_row(demo_db, item.id).status == "ready"


def test_notes_are_stored_with_an_event(demo_db: Database, as_user) -> None:
    item = find_item(demo_db, "design", WorkStatus.READY)
    note_id = work_items.add_note(as_user("david"), item.id, "called the customer\nback on Monday")
    with demo_db.read() as session:
        assert session.get(WorkItemNote, note_id).body == "called the customer\nback on Monday"
        event = session.scalar(
            select(Event).where(Event.kind == "work_item.note").order_by(Event.id.desc())
        )
        assert event.summary.endswith("called the customer")
    with pytest.raises(InvalidInput):
        work_items.add_note(as_user("david"), item.id, "  ")


def test_two_operators_claiming_at_the_same_moment(demo_url: str, as_user) -> None:
    """Real concurrency: two threads, each with its own engine, one winner."""
    item = find_item(as_user("david").db, "design", WorkStatus.READY)
    second_db = open_database(demo_url)
    contexts = [as_user("david"), replace(as_user("priya"), db=second_db)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(ctx: Context) -> None:
        barrier.wait()
        try:
            work_items.claim(ctx, item.id)
            outcomes[ctx.actor.login] = "won"
        except Conflict as error:
            outcomes[ctx.actor.login] = str(error)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    second_db.dispose()
    assert sorted(outcomes) == ["david", "priya"]
    winners = [login for login, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    loser = next(login for login in outcomes if login not in winners)
    assert outcomes[loser] == f"work item {item.id} is already claimed by {winners[0]}"
    row = get_queue_row(contexts[0].db, item.id)
    assert row.assignee == winners[0] and row.version == item.version + 1
    assert kinds_for(contexts[0].db, item.id).count("work_item.claimed") == 1
