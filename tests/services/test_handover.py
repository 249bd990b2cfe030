"""Deactivating a user who leaves: their open work, approver entries, draft
handoffs and delegations move in one recorded step (or, dry, not at all)."""

import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from backoffice_tui.domain.errors import (
    BackofficeError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.events import entity_history
from backoffice_tui.services.people.handover import (
    APPROVAL,
    DELEGATION,
    HANDOFF,
    WORK_ITEM,
    deactivate_user,
)
from backoffice_tui.services.people.users import list_users
from backoffice_tui.services.work import items as work_items
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalStage,
    ApprovalStageApprover,
    Delegation,
    Event,
    Handoff,
    User,
    WorkItem,
)

OPEN = ("waiting", "ready", "in_progress", "blocked")


def open_items_of(db: Database, login: str) -> dict[int, str]:
    """Work item id -> status of the open items assigned to ``login``."""
    with db.read() as session:
        rows = session.execute(
            select(WorkItem.id, WorkItem.status)
            .join(User, User.id == WorkItem.assignee_id)
            .where(User.login == login, WorkItem.status.in_(OPEN))
        )
        return {item_id: status for item_id, status in rows}


def entries_of(db: Database, entry: str) -> list[int]:
    """The stages naming ``entry`` among their approvers (index and JSON agree)."""
    with db.read() as session:
        indexed = sorted(
            session.scalars(
                select(ApprovalStageApprover.stage_id).where(
                    ApprovalStageApprover.approver == entry
                )
            )
        )
        listed = sorted(
            s.id for s in session.scalars(select(ApprovalStage)) if entry in s.approvers
        )
        assert indexed == listed
        return indexed


def event_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def is_active(db: Database, login: str) -> bool:
    return {u.login: u.active for u in list_users(db)}[login]


def test_ryan_leaves_and_kimura_takes_everything_over(demo_db: Database, as_user) -> None:
    """ryan holds four build items, an approver entry and two open handoffs."""
    admin = as_user("admin-ito")
    before = open_items_of(demo_db, "ryan")
    kimura_before = open_items_of(demo_db, "kimura")
    ryan_stages = entries_of(demo_db, "ryan")
    assert len(before) == 4 and len(ryan_stages) == 1
    plan = deactivate_user(admin, "ryan", "kimura")
    assert (plan.items_to_successor, plan.items_to_pool) == (4, 0)
    assert (plan.approver_entries, plan.handoffs, plan.delegations_ended) == (1, 2, 0)
    assert not plan.dry_run and {m.to for m in plan.moves} == {"kimura"}
    assert open_items_of(demo_db, "ryan") == {}
    assert open_items_of(demo_db, "kimura") == kimura_before | before  # statuses unchanged
    assert entries_of(demo_db, "ryan") == [] and entries_of(demo_db, "kimura") == ryan_stages
    assert not is_active(demo_db, "ryan")
    with demo_db.read() as session:
        for item_id in before:
            history = entity_history(session, "work_item", item_id)
            assert history[-1].kind == "work_item.handed_over"
            assert history[-1].summary.endswith("handed over from ryan to kimura: ryan deactivated")
            assert history[-1].actor == "admin-ito"
        handoffs = [m.record_id for m in plan.moves if m.kind == HANDOFF]
        for handoff_id in handoffs:
            last = entity_history(session, "handoff", handoff_id)[-1]
            assert last.kind == "handoff.handed_over" and "to kimura" in last.summary
        approval = next(m.record_id for m in plan.moves if m.kind == APPROVAL)
        last = entity_history(session, "approval_request", approval)[-1]
        assert last.kind == "approval.handed_over"
        assert "ryan's part of" in last.summary and "to kimura" in last.summary
        deactivated = session.scalars(select(Event).where(Event.kind == "user.deactivated")).one()
        assert deactivated.payload["items_to_successor"] == 4
        assert deactivated.payload["approver_entries"] == 1
        assert deactivated.payload["handoffs"] == 2


def test_a_dry_run_writes_nothing_and_says_the_same(demo_db: Database, as_user) -> None:
    admin = as_user("admin-ito")
    events = event_count(demo_db)
    dry = deactivate_user(admin, "ryan", "kimura", dry_run=True)
    assert dry.dry_run and event_count(demo_db) == events
    assert len(open_items_of(demo_db, "ryan")) == 4 and is_active(demo_db, "ryan")
    real = deactivate_user(admin, "ryan", "kimura")
    assert replace(dry, dry_run=False) == real


def test_a_successor_outside_the_team_leaves_the_work_in_the_pool(
    demo_db: Database, as_user
) -> None:
    """priya is not in build: ryan's items go back to build's pool, in-progress
    ones ready again, while his approver entry still goes to priya."""
    before = open_items_of(demo_db, "ryan")
    priya_before = open_items_of(demo_db, "priya")
    plan = deactivate_user(as_user("admin-ito"), "ryan", "priya")
    assert (plan.items_to_successor, plan.items_to_pool) == (0, 4)
    item_moves = {m.record_id: m for m in plan.moves if m.kind == WORK_ITEM}
    assert {m.to for m in item_moves.values()} == {"team build's pool"}
    assert open_items_of(demo_db, "priya") == priya_before
    with demo_db.read() as session:
        for item_id, status in before.items():
            item = session.get_one(WorkItem, item_id)
            assert item.assignee_id is None
            if status == "in_progress":
                assert item.status == "ready" and item_moves[item_id].note == "in progress -> ready"
            elif status == "blocked":
                assert item.status == "blocked" and item.status_before_block in (None, "ready")
        handoffs = session.scalars(
            select(Handoff).where(Handoff.work_item_id.in_(list(before)))
        ).all()
        assert {h.state for h in handoffs} >= {"draft", "returned"}  # unchanged, with the step
    assert len(entries_of(demo_db, "priya")) == 1
    assert {m.to for m in plan.moves if m.kind == HANDOFF} == {"team build's pool"}


def test_a_sole_approver_needs_someone_who_may_decide(demo_db: Database, as_user) -> None:
    """ryan alone approves a stage of yamamoto's request about an order: to the
    pool, or to yamamoto, nobody could decide it, so it is refused whole."""
    admin = as_user("admin-ito")
    events = event_count(demo_db)
    with pytest.raises(InvalidInput, match=r"only approver .* it is about no team's work"):
        deactivate_user(admin, "ryan", None)
    with pytest.raises(InvalidInput, match="yamamoto requested it"):
        deactivate_user(admin, "ryan", "yamamoto")
    assert event_count(demo_db) == events and len(open_items_of(demo_db, "ryan")) == 4


def test_their_delegations_end(demo_db: Database, as_user) -> None:
    """sato delegated his approvals to kobayashi for this week."""
    plan = deactivate_user(as_user("admin-ito"), "sato", "kobayashi")
    assert plan.delegations_ended == 1
    assert [m.kind for m in plan.moves].count(DELEGATION) == 1
    with demo_db.read() as session:
        sato = session.scalars(select(User).where(User.login == "sato")).one()
        delegation = session.scalars(
            select(Delegation).where(Delegation.from_user_id == sato.id)
        ).one()
        assert delegation.ended_at is not None
        assert entity_history(session, "delegation", delegation.id)[-1].kind == "delegation.ended"


def test_refusals(demo_db: Database, as_user) -> None:
    admin = as_user("admin-ito")
    with pytest.raises(PermissionDenied, match="only an admin"):
        deactivate_user(as_user("kimura"), "ryan", "kimura")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        deactivate_user(admin, "nobody", None)
    with pytest.raises(NotFound, match="no active user 'ghost'"):
        deactivate_user(admin, "ryan", "ghost")
    with pytest.raises(InvalidInput, match="to themselves"):
        deactivate_user(admin, "ryan", "ryan")
    with pytest.raises(PermissionDenied, match="cannot deactivate themselves"):
        deactivate_user(admin, "admin-ito", "kimura")
    deactivate_user(admin, "ryan", "kimura")
    with pytest.raises(InvalidTransition, match="already deactivated"):
        deactivate_user(admin, "ryan", "kimura")
    with pytest.raises(NotFound, match="no active user 'ryan'"):
        deactivate_user(admin, "yamamoto", "ryan")


def test_a_deactivated_user_cannot_be_assigned(demo_db: Database, as_user) -> None:
    item_id = next(iter(open_items_of(demo_db, "yamamoto")))
    deactivate_user(as_user("admin-ito"), "ryan", "kimura")
    with pytest.raises(NotFound, match="no active user 'ryan'"):
        work_items.assign(as_user("kimura"), item_id, "ryan")


def test_a_claim_racing_the_handover_never_leaves_two_owners(demo_url: str, as_user) -> None:
    """ryan lets go of each of his items for yamamoto (release, then claim)
    while an admin deactivates him for kimura, on separate connections: every
    item ends with exactly one owner, who is not ryan."""
    admin = as_user("admin-ito")
    items = sorted(open_items_of(admin.db, "ryan"))
    other_db = open_database(demo_url)
    ryan = replace(as_user("ryan"), db=other_db)
    yamamoto = replace(as_user("yamamoto"), db=other_db)
    barrier = threading.Barrier(2)
    refused: list[str] = []

    def let_go() -> None:
        barrier.wait()
        for item_id in items:
            try:
                work_items.release(ryan, item_id)
                work_items.claim(yamamoto, item_id)
            except BackofficeError as error:
                refused.append(str(error))

    def hand_over() -> None:
        barrier.wait()
        deactivate_user(admin, "ryan", "kimura")

    threads = [threading.Thread(target=let_go), threading.Thread(target=hand_over)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    other_db.dispose()
    with admin.db.read() as session:
        owners = {item_id: session.get_one(WorkItem, item_id).assignee_id for item_id in items}
        logins = {u.id: u.login for u in session.scalars(select(User))}
    assert all(owner is not None for owner in owners.values()), (owners, refused)
    assert {logins[o] for o in owners.values() if o is not None} <= {"kimura", "yamamoto"}
    assert not is_active(admin.db, "ryan")
    with admin.db.read() as session:
        for item_id in items:
            kinds = [h.kind for h in entity_history(session, "work_item", item_id)]
            # claimed by yamamoto after ryan let go, or handed to kimura before
            assert kinds[-1] in ("work_item.claimed", "work_item.handed_over")
