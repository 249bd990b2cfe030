"""A handoff record: its states, the lookups and events every handoff
action shares, and what the step lifecycle asks of it (opening a handoff
when its step starts, refusing to finish that step directly)."""

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, InvalidTransition, NotFound
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.work.items import following_step
from backoffice_tui.store.models import Handoff, HandoffItem, OrderLine, Team, User, WorkItem

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
    following = following_step(session, item)
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
