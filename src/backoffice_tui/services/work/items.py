"""Work item use cases: claim, release, block, unblock, skip, assign and
notes, and the status changes the step lifecycle (``lifecycle``) builds
starting and finishing on.

Every change is a conditional UPDATE on the version the service read, so
that of two operators acting at the same moment exactly one wins and the
other is told who got there first.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.domain.statuses import (
    CAN_BLOCK,
    CAN_CLAIM,
    CAN_FINISH,
    CAN_START,
    WorkStatus,
)
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import rows_changed
from backoffice_tui.store.models import (
    Event,
    Handoff,
    TeamMembership,
    User,
    WorkItem,
    WorkItemNote,
)


def open_in(
    session: Session,
    item_id: int,
    expected_version: int | None,
    allowed: Collection[WorkStatus],
    doing: str,
) -> WorkItem:
    """Read the item for a change: it exists, is the version the operator
    saw, and is in a status the change may start from."""
    item = session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"no work item {item_id}")
    _check_version(session, item, expected_version)
    _check_status(item, allowed, doing)
    return item


def describe(item: WorkItem) -> str:
    line = item.order_line
    return f"'{item.step.name}' of {line.order.code} ({line.service.name})"


def _last_change(session: Session, item_id: int) -> str:
    event = session.scalar(
        select(Event)
        .where(Event.entity == "work_item", Event.entity_id == item_id)
        .order_by(Event.id.desc())
        .limit(1)
    )
    if event is None:
        return "someone else"
    return f"{event.actor_name} at {event.at.astimezone():%H:%M}"


def _check_version(session: Session, item: WorkItem, expected: int | None) -> None:
    if expected is not None and item.version != expected:
        raise Conflict(
            f"work item {item.id} was changed by {_last_change(session, item.id)} "
            f"(now version {item.version}, you had {expected}); refresh and try again"
        )


def _check_status(item: WorkItem, allowed: Collection[WorkStatus], doing: str) -> None:
    if WorkStatus(item.status) not in allowed:
        raise InvalidTransition(
            f"cannot {doing} work item {item.id}: it is {item.status.replace('_', ' ')}"
        )


def _update(session: Session, ctx: Context, item: WorkItem, now: datetime, **values: Any) -> None:
    """Apply ``values`` only if nobody changed the item since it was read."""
    result = session.execute(
        update(WorkItem)
        .where(WorkItem.id == item.id, WorkItem.version == item.version)
        .values(**values, version=WorkItem.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        session.expire(item)
        current = session.get(WorkItem, item.id)
        assert current is not None
        if values.get("assignee_id") is not None and current.assignee_id not in (
            None,
            values["assignee_id"],
        ):
            owner = session.get(User, current.assignee_id)
            raise Conflict(
                f"work item {item.id} is already claimed by {owner.login if owner else '?'}"
            )
        raise Conflict(
            f"work item {item.id} was changed by {_last_change(session, item.id)} "
            "while you were acting; refresh and try again"
        )
    session.expire(item)


def _event(
    session: Session,
    ctx: Context,
    item: WorkItem,
    now: datetime,
    kind: str,
    summary: str,
    **payload: Any,
) -> None:
    record_event(
        session,
        ctx.actor,
        now,
        entity="work_item",
        entity_id=item.id,
        kind=f"work_item.{kind}",
        summary=summary,
        customer_id=item.customer_id,
        order_id=item.order_id,
        order_line_id=item.order_line_id,
        team_id=item.team_id,
        payload=payload,
    )


def _login(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.login if user else None


def change_in(
    session: Session,
    ctx: Context,
    item: WorkItem,
    kind: str,
    summary: str,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
    **values: Any,
) -> datetime:
    """Apply ``values`` (conditionally on the version) and record the event,
    both at ``at`` (default: now)."""
    now = at or ctx.now()
    _update(session, ctx, item, now, **values)
    _event(session, ctx, item, now, kind, summary, **(payload or {}))
    return now


def claim(ctx: Context, item_id: int, expected_version: int | None = None) -> None:
    with ctx.db.write() as session:
        item = open_in(session, item_id, expected_version, CAN_CLAIM, "claim")
        permissions.require_member(session, ctx.actor, item.team_id, "claim its work")
        if item.assignee_id == ctx.actor.user_id:
            raise InvalidTransition(f"work item {item.id} is already yours")
        if item.assignee_id is not None:
            raise Conflict(
                f"work item {item.id} is already claimed by {_login(session, item.assignee_id)}"
            )
        summary = f"{ctx.actor.label} claimed {describe(item)}"
        change_in(session, ctx, item, "claimed", summary, assignee_id=ctx.actor.user_id)


def release(ctx: Context, item_id: int, expected_version: int | None = None) -> None:
    with ctx.db.write() as session:
        release_in(session, ctx, item_id, expected_version)


def waits_for_receiver(session: Session, item: WorkItem) -> bool:
    """A handoff step whose handoff is submitted stays in progress: accepting
    the handoff finishes it."""
    return (
        session.scalar(
            select(Handoff.id).where(
                Handoff.work_item_id == item.id, Handoff.state == HandoffState.SUBMITTED.value
            )
        )
        is not None
    )


def pool_values(session: Session, item: WorkItem) -> tuple[dict[str, Any], str]:
    """What an item given back to its team's pool changes (released, or its
    assignee deactivated), and how to say it: work in progress is ready again."""
    values: dict[str, Any] = {"assignee_id": None}
    if item.status == WorkStatus.IN_PROGRESS and not waits_for_receiver(session, item):
        values["status"] = WorkStatus.READY.value
        return values, "in progress -> ready"
    if item.status == WorkStatus.BLOCKED and item.status_before_block == WorkStatus.IN_PROGRESS:
        values["status_before_block"] = WorkStatus.READY.value
        return values, "blocked; ready when unblocked"
    return values, item.status.replace("_", " ")


def release_in(session: Session, ctx: Context, item_id: int, expected_version: int | None) -> None:
    """Release an item inside the caller's transaction (one or a batch)."""
    item = open_in(session, item_id, expected_version, CAN_CLAIM, "release")
    if item.assignee_id is None:
        raise InvalidTransition(f"work item {item.id} has no assignee to release")
    if item.assignee_id != ctx.actor.user_id:
        permissions.require_lead(session, ctx.actor, item.team_id, "release others' work")
    previous = _login(session, item.assignee_id)
    values, state = pool_values(session, item)
    summary = f"{ctx.actor.label} released {describe(item)} (was {previous}; {state})"
    change_in(session, ctx, item, "released", summary, {"previous_assignee": previous}, **values)


def _require_owner(session: Session, ctx: Context, item: WorkItem, doing: str) -> None:
    """The assignee acts on their own item; a lead may act on anyone's."""
    if item.assignee_id == ctx.actor.user_id:
        return
    if item.assignee_id is None:
        permissions.require_member(session, ctx.actor, item.team_id, doing)
        return
    permissions.require_lead(session, ctx.actor, item.team_id, f"{doing} someone else's item")


def following_step(session: Session, item: WorkItem) -> WorkItem | None:
    """The next step of the item's order line, if there is one."""
    return session.scalar(
        select(WorkItem)
        .where(WorkItem.order_line_id == item.order_line_id, WorkItem.position > item.position)
        .order_by(WorkItem.position)
        .limit(1)
    )


def start_in(
    session: Session, ctx: Context, item_id: int, expected_version: int | None
) -> tuple[WorkItem, datetime]:
    """Mark a ready item in progress (claiming an unassigned one), inside the
    caller's transaction. What else starting a step does is the lifecycle's
    (``services.work.lifecycle``)."""
    item = open_in(session, item_id, expected_version, CAN_START, "start")
    _require_owner(session, ctx, item, "start it")
    now = ctx.now()
    values: dict[str, Any] = {"status": WorkStatus.IN_PROGRESS.value, "started_at": now}
    if item.assignee_id is None:
        values["assignee_id"] = ctx.actor.user_id
    summary = f"{ctx.actor.label} started {describe(item)}"
    change_in(session, ctx, item, "started", summary, at=now, **values)
    return item, now


def open_for_finish_in(
    session: Session, ctx: Context, item_id: int, expected_version: int | None
) -> WorkItem:
    """Read an item in progress that the actor may finish."""
    item = open_in(session, item_id, expected_version, CAN_FINISH, "finish")
    _require_owner(session, ctx, item, "finish it")
    return item


def mark_done_in(
    session: Session, ctx: Context, item: WorkItem, summary: str, at: datetime
) -> None:
    change_in(
        session,
        ctx,
        item,
        "done",
        summary,
        at=at,
        status=WorkStatus.DONE.value,
        finished_at=at,
    )


def mark_ready_in(session: Session, ctx: Context, item: WorkItem) -> None:
    summary = f"{describe(item)} is ready for team {item.team.code}"
    change_in(session, ctx, item, "ready", summary, status=WorkStatus.READY.value)


def required_reason(text: str | None, doing: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise InvalidInput(f"a reason is required to {doing}")
    return reason


def block(ctx: Context, item_id: int, reason: str, expected_version: int | None = None) -> None:
    reason = required_reason(reason, "block a work item")
    with ctx.db.write() as session:
        item = open_in(session, item_id, expected_version, CAN_BLOCK, "block")
        permissions.require_member(session, ctx.actor, item.team_id, "block its work")
        summary = f"{ctx.actor.label} blocked {describe(item)}: {reason}"
        change_in(
            session,
            ctx,
            item,
            "blocked",
            summary,
            {"reason": reason},
            status=WorkStatus.BLOCKED.value,
            status_before_block=item.status,
            blocked_reason=reason,
        )


def unblock(ctx: Context, item_id: int, expected_version: int | None = None) -> None:
    with ctx.db.write() as session:
        item = open_in(session, item_id, expected_version, {WorkStatus.BLOCKED}, "unblock")
        permissions.require_member(session, ctx.actor, item.team_id, "unblock its work")
        summary = f"{ctx.actor.label} unblocked {describe(item)}"
        change_in(
            session,
            ctx,
            item,
            "unblocked",
            summary,
            status=item.status_before_block or WorkStatus.READY.value,
            status_before_block=None,
            blocked_reason=None,
        )


def assign(
    ctx: Context, item_id: int, assignee_login: str, expected_version: int | None = None
) -> None:
    """Give an item to a member of its team (leads only)."""
    with ctx.db.write() as session:
        assign_in(session, ctx, item_id, assignee_login, expected_version)


def assign_in(
    session: Session,
    ctx: Context,
    item_id: int,
    assignee_login: str,
    expected_version: int | None,
) -> None:
    """Assign an item inside the caller's transaction (one or a batch)."""
    item = open_in(session, item_id, expected_version, CAN_CLAIM, "assign")
    permissions.require_lead(session, ctx.actor, item.team_id, "assign work")
    user = session.scalar(select(User).where(User.login == assignee_login))
    if user is None or not user.active:
        raise NotFound(f"no active user {assignee_login!r}")
    is_member = session.scalar(
        select(TeamMembership.user_id).where(
            TeamMembership.user_id == user.id, TeamMembership.team_id == item.team_id
        )
    )
    if is_member is None:
        raise InvalidInput(
            f"{user.login} is not in team {item.team.code}, so cannot be given its work"
        )
    if item.assignee_id == user.id:
        raise InvalidTransition(f"work item {item.id} is already assigned to {user.login}")
    previous = _login(session, item.assignee_id)
    summary = f"{ctx.actor.label} assigned {describe(item)} to {user.login}"
    change_in(
        session,
        ctx,
        item,
        "assigned",
        summary,
        {"assignee": user.login, "previous_assignee": previous},
        assignee_id=user.id,
    )


def add_note(ctx: Context, item_id: int, body: str) -> int:
    """Add a note; notes never conflict with other changes, so no version check."""
    text = body.strip()
    if not text:
        raise InvalidInput("a note cannot be empty")
    with ctx.db.write() as session:
        item = session.get(WorkItem, item_id)
        if item is None:
            raise NotFound(f"no work item {item_id}")
        permissions.require_member(session, ctx.actor, item.team_id, "add notes to its work")
        now = ctx.now()
        note = WorkItemNote(
            work_item_id=item.id, author_id=ctx.actor.user_id, body=text, created_at=now
        )
        session.add(note)
        session.flush()
        first_line = text.splitlines()[0]
        _event(
            session,
            ctx,
            item,
            now,
            "note",
            f"{ctx.actor.label} noted on {describe(item)}: {first_line}",
            note_id=note.id,
            body=text,
        )
        return note.id
