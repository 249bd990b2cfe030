"""Handoffs from one team to the next: open, submit, return, accept.

A template step marked ``handoff`` opens a handoff when it starts; accepting
the handoff is what finishes that step. The checklist is answered through
``handoffs_checklist`` and documents through ``handoff_documents``; those
changes take a shared lock on the handoff row and the state changes here an
exclusive one, so a handoff is never submitted while an item is being cleared
(on SQLite every write transaction is serialised anyway).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services import permissions, work_items
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.store.models import Event, Handoff, HandoffItem, OrderLine, Team, User, WorkItem


class HandoffState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


EDITABLE = frozenset({HandoffState.DRAFT, HandoffState.RETURNED})
OPEN_STATES = (HandoffState.DRAFT, HandoffState.SUBMITTED, HandoffState.RETURNED)
CHECKED = "yes"  # the answer of a ticked check item
_SUMMARY_WIDTH = 100


def parse_state(text: str) -> HandoffState:
    try:
        return HandoffState(text.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in HandoffState)
        raise InvalidInput(f"unknown handoff state {text!r}; use one of {known}") from None


# --- shared by the handoff modules ------------------------------------------------


def load_handoff(
    session: Session, handoff_id: int, lock: Literal["share", "update"] | None = None
) -> Handoff:
    """Read a handoff for a change; ``lock`` takes a row lock on PostgreSQL."""
    query = select(Handoff).where(Handoff.id == handoff_id)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    handoff = session.scalar(query.execution_options(populate_existing=True))
    if handoff is None:
        raise NotFound(f"no handoff {handoff_id}")
    return handoff


def team_code(session: Session, team_id: int) -> str:
    team = session.get(Team, team_id)
    return team.code if team else str(team_id)


def line_label(session: Session, handoff: Handoff) -> str:
    """The order line a handoff belongs to: ``ORD-2026-0001 (Cloud hosting)``."""
    line = session.get(OrderLine, handoff.order_line_id)
    assert line is not None
    return f"{line.order.code} ({line.service.name})"


def describe(session: Session, handoff: Handoff) -> str:
    return f"handoff {handoff.id} of {line_label(session, handoff)}"


def one_line(text: str, width: int = _SUMMARY_WIDTH) -> str:
    """The first line of ``text``, cut to ``width`` characters, for a summary."""
    lines = text.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= width else first[: width - 1] + "…"


def record_handoff_event(
    session: Session,
    ctx: Context,
    handoff: Handoff,
    at: datetime,
    kind: str,
    summary: str,
    *,
    team_id: int,
    **payload: Any,
) -> None:
    line = session.get(OrderLine, handoff.order_line_id)
    assert line is not None
    record_event(
        session,
        ctx.actor,
        at,
        entity="handoff",
        entity_id=handoff.id,
        kind=f"handoff.{kind}",
        summary=summary,
        customer_id=handoff.customer_id,
        order_id=line.order_id,
        order_line_id=line.id,
        team_id=team_id,
        payload=payload,
    )


def require_editable(session: Session, handoff: Handoff, doing: str) -> None:
    if handoff.state in EDITABLE:
        return
    if handoff.state == HandoffState.SUBMITTED:
        raise InvalidTransition(
            f"cannot {doing} handoff {handoff.id}: it is submitted; team "
            f"{team_code(session, handoff.to_team_id)} must return it before it changes"
        )
    raise InvalidTransition(f"cannot {doing} handoff {handoff.id}: it is {handoff.state}")


def login_of(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return user.login if user else "someone else"


def local_time(at: datetime | None) -> str:
    return f"{at.astimezone():%H:%M}" if at else "?"


# --- opening, and finishing the step --------------------------------------------


def open_handoff_in(
    session: Session, ctx: Context, item: WorkItem, at: datetime | None = None
) -> Handoff | None:
    """Open the handoff of a started handoff step, inside the caller's transaction:
    from the step's team to the next step's team, with the step's checklist.

    A step that already has one keeps it; a last step has nobody to hand to."""
    existing = session.scalar(select(Handoff).where(Handoff.work_item_id == item.id))
    if existing is not None:
        return existing
    following = session.scalar(
        select(WorkItem)
        .where(WorkItem.order_line_id == item.order_line_id, WorkItem.position > item.position)
        .order_by(WorkItem.position)
        .limit(1)
    )
    if following is None:
        return None
    now = at or ctx.now()
    handoff = Handoff(
        order_line_id=item.order_line_id,
        work_item_id=item.id,
        customer_id=item.customer_id,
        from_team_id=item.team_id,
        to_team_id=following.team_id,
        state=HandoffState.DRAFT.value,
        created_at=now,
    )
    session.add(handoff)
    session.flush()
    checklist = item.step.checklist
    for position, spec in enumerate(checklist, start=1):
        session.add(
            HandoffItem(
                handoff_id=handoff.id,
                position=position,
                key=spec["key"],
                label=spec["label"],
                kind=spec.get("kind", "check"),
                required=bool(spec.get("required", True)),
            )
        )
    required = sum(1 for spec in checklist if spec.get("required", True))
    from_code, to_code = (
        team_code(session, handoff.from_team_id),
        team_code(session, handoff.to_team_id),
    )
    record_handoff_event(
        session,
        ctx,
        handoff,
        now,
        "opened",
        f"{ctx.actor.label} opened {describe(session, handoff)} from {from_code} to "
        f"{to_code}: {len(checklist)} checklist items, {required} required",
        team_id=handoff.from_team_id,
        work_item_id=item.id,
        from_team=from_code,
        to_team=to_code,
    )
    return handoff


def refuse_direct_finish_in(session: Session, item: WorkItem) -> None:
    """A handoff step is finished by accepting its handoff, not by 'done'."""
    handoff = session.scalar(select(Handoff).where(Handoff.work_item_id == item.id))
    if handoff is None or handoff.state == HandoffState.ACCEPTED:
        return
    raise InvalidTransition(
        f"cannot finish work item {item.id} directly: it ends in handoff {handoff.id} "
        f"({handoff.state}); finish it by having team {team_code(session, handoff.to_team_id)} "
        "accept the handoff"
    )


# --- submit, return, accept ----------------------------------------------------------


def _check_version(session: Session, handoff: Handoff, expected: int | None) -> None:
    if expected is None or handoff.version == expected:
        return
    event = session.scalar(
        select(Event)
        .where(
            Event.entity == "handoff",
            Event.entity_id == handoff.id,
            Event.kind.in_(["handoff.submitted", "handoff.returned", "handoff.accepted"]),
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    who = f"{event.actor_name} at {local_time(event.at)}" if event else "someone else"
    raise Conflict(
        f"handoff {handoff.id} was changed by {who} (it is now {handoff.state}); "
        "refresh and try again"
    )


def _set_state(session: Session, handoff: Handoff, **values: Any) -> None:
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff.id, Handoff.version == handoff.version)
        .values(**values, version=Handoff.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # only without row locks, which every caller takes
        raise Conflict(f"handoff {handoff.id} changed while you were acting; refresh and try again")
    session.expire(handoff)


def unanswered_required(session: Session, handoff_id: int) -> list[HandoffItem]:
    return list(
        session.scalars(
            select(HandoffItem)
            .where(
                HandoffItem.handoff_id == handoff_id,
                HandoffItem.required.is_(True),
                HandoffItem.answer.is_(None),
            )
            .order_by(HandoffItem.position)
        )
    )


def submit(ctx: Context, handoff_id: int, expected_version: int | None = None) -> None:
    """Send a draft or returned handoff to the receiving team; refused while a
    required checklist item is unanswered (the refusal names them)."""
    with ctx.db.write() as session:
        handoff = load_handoff(session, handoff_id, lock="update")
        _check_version(session, handoff, expected_version)
        permissions.require_member(session, ctx.actor, handoff.from_team_id, "submit its handoffs")
        require_editable(session, handoff, "submit")
        missing = unanswered_required(session, handoff.id)
        if missing:
            names = ", ".join(f"'{item.label}'" for item in missing)
            count = f"{len(missing)} required item{'s' if len(missing) > 1 else ''}"
            raise InvalidTransition(
                f"cannot submit handoff {handoff.id}: {count} still unanswered: {names}"
            )
        again = handoff.state == HandoffState.RETURNED
        to_code = team_code(session, handoff.to_team_id)
        summary = (
            f"{ctx.actor.label} {'resubmitted' if again else 'submitted'} "
            f"{describe(session, handoff)} to {to_code}"
        )
        now = ctx.now()
        _set_state(session, handoff, state=HandoffState.SUBMITTED.value, submitted_at=now)
        record_handoff_event(
            session,
            ctx,
            handoff,
            now,
            "submitted",
            summary,
            team_id=handoff.from_team_id,
            resubmitted=again,
            to_team=to_code,
        )


def _require_submitted(handoff: Handoff, doing: str) -> None:
    if handoff.state != HandoffState.SUBMITTED:
        raise InvalidTransition(
            f"cannot {doing} handoff {handoff.id}: it is {handoff.state}, not submitted"
        )


def return_handoff(
    ctx: Context, handoff_id: int, reason: str, expected_version: int | None = None
) -> None:
    """Send a submitted handoff back to its sending team, saying why."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("a reason is required to return a handoff")
    with ctx.db.write() as session:
        handoff = load_handoff(session, handoff_id, lock="update")
        _check_version(session, handoff, expected_version)
        permissions.require_member(
            session, ctx.actor, handoff.to_team_id, "return the handoffs it receives"
        )
        _require_submitted(handoff, "return")
        from_code = team_code(session, handoff.from_team_id)
        summary = (
            f"{ctx.actor.label} returned {describe(session, handoff)} to {from_code}: "
            f"{one_line(text)}"
        )
        now = ctx.now()
        _set_state(session, handoff, state=HandoffState.RETURNED.value, return_reason=text)
        record_handoff_event(
            session, ctx, handoff, now, "returned", summary, team_id=handoff.to_team_id, reason=text
        )


def accept(ctx: Context, handoff_id: int, expected_version: int | None = None) -> None:
    """Accept a submitted handoff: its step is finished and the receiving
    team's step becomes ready, exactly as if the step were done."""
    with ctx.db.write() as session:
        handoff = load_handoff(session, handoff_id, lock="update")
        _check_version(session, handoff, expected_version)
        permissions.require_member(
            session, ctx.actor, handoff.to_team_id, "accept the handoffs it receives"
        )
        _require_submitted(handoff, "accept")
        item = session.get(WorkItem, handoff.work_item_id)
        assert item is not None
        if item.status != WorkStatus.IN_PROGRESS:
            raise InvalidTransition(
                f"cannot accept handoff {handoff.id}: its step '{item.step.name}' (work item "
                f"{item.id}) is {item.status.replace('_', ' ')}, not in progress"
            )
        to_code = team_code(session, handoff.to_team_id)
        what = describe(session, handoff)
        now = ctx.now()
        _set_state(session, handoff, state=HandoffState.ACCEPTED.value, accepted_at=now)
        record_handoff_event(
            session,
            ctx,
            handoff,
            now,
            "accepted",
            f"{ctx.actor.label} accepted {what} for {to_code}",
            team_id=handoff.to_team_id,
        )
        work_items.finish_in(
            session,
            ctx,
            item,
            f"{ctx.actor.label} finished '{item.step.name}' of {line_label(session, handoff)} "
            f"by accepting handoff {handoff.id}",
            at=now,
        )
