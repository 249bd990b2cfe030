"""Handoffs from one team to the next: open, submit, return, accept.

A template step marked ``handoff`` opens a handoff when it starts; accepting
the handoff is what finishes that step. The checklist is answered through
``handoffs.checklist`` and documents through ``handoffs.documents``; those
changes take a shared lock on the handoff row and the state changes here an
exclusive one, so a handoff is never submitted while an item is being cleared
(on SQLite every write transaction is serialised anyway).

Segregation of duties: whoever submitted a handoff may not return or accept
it. Only where the template step says ``lead_may_override = true`` may a
lead of the receiving team accept what they submitted, and the acceptance
records the override.
"""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs.records import (
    describe,
    line_label,
    load_handoff,
    local_time,
    one_line,
    record_handoff_event,
    require_editable,
    team_code,
)
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.templates import step_spec_of
from backoffice_tui.store.base import rows_changed
from backoffice_tui.store.models import Event, Handoff, HandoffItem, WorkItem

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
    if rows_changed(result) != 1:  # only without row locks, which every caller takes
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
        _set_state(
            session,
            handoff,
            state=HandoffState.SUBMITTED.value,
            submitted_at=now,
            submitted_by_id=ctx.actor.user_id,
        )
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


def _submitted_by_actor(ctx: Context, handoff: Handoff) -> bool:
    return handoff.submitted_by_id is not None and handoff.submitted_by_id == ctx.actor.user_id


def _refuse_own_submission(ctx: Context, handoff: Handoff, doing: str) -> None:
    if _submitted_by_actor(ctx, handoff):
        raise PermissionDenied(
            f"{ctx.actor.login} submitted handoff {handoff.id}, so someone else in the "
            f"receiving team must {doing} it"
        )


def _lead_override(session: Session, ctx: Context, handoff: Handoff, item: WorkItem) -> bool:
    """Whether accepting overrides segregation of duties: the submitter may
    accept only as a lead of the receiving team on a step that allows it."""
    if not _submitted_by_actor(ctx, handoff):
        return False
    spec = step_spec_of(item.step)
    if spec is None or not spec.lead_may_override:
        _refuse_own_submission(ctx, handoff, "accept")
    if not permissions.is_lead(session, ctx.actor, handoff.to_team_id):
        raise PermissionDenied(
            f"{ctx.actor.login} submitted handoff {handoff.id}; its step lets only a lead of "
            f"team {team_code(session, handoff.to_team_id)} accept it anyway, and "
            f"{ctx.actor.login} is not one"
        )
    return True


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
        _refuse_own_submission(ctx, handoff, "return")
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
        override = _lead_override(session, ctx, handoff, item)
        to_code = team_code(session, handoff.to_team_id)
        what = describe(session, handoff)
        now = ctx.now()
        _set_state(session, handoff, state=HandoffState.ACCEPTED.value, accepted_at=now)
        summary = f"{ctx.actor.label} accepted {what} for {to_code}"
        if override:
            summary += " (override by lead: they submitted it themselves)"
        record_handoff_event(
            session,
            ctx,
            handoff,
            now,
            "accepted",
            summary,
            team_id=handoff.to_team_id,
            **({"override": "lead"} if override else {}),
        )
        lifecycle.finish_in(
            session,
            ctx,
            item,
            f"{ctx.actor.label} finished '{item.step.name}' of {line_label(session, handoff)} "
            f"by accepting handoff {handoff.id}",
            at=now,
        )
