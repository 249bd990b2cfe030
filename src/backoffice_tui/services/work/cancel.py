"""Cancelling an order, or one line of it, with a reason.

Every open step of what is cancelled is skipped with the reason, its
approval requests still open are withdrawn and its handoffs not yet
accepted are cancelled, all in the one transaction that marks the line or
the order cancelled and records each change on the timeline. Cancelling the
last open line cancels the order.

Who may cancel: an admin, the order's sales owner, or a lead of a team that
has steps in the order (they see the work it would drop).
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import WITH_REQUESTER, RequestState
from backoffice_tui.domain.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.domain.statuses import CAN_SKIP, WorkStatus
from backoffice_tui.services import permissions
from backoffice_tui.services.approvals.actions import withdraw_in
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.handoffs.records import (
    describe,
    load_handoff,
    record_handoff_event,
)
from backoffice_tui.services.work import items
from backoffice_tui.store.base import rows_changed
from backoffice_tui.store.models import ApprovalRequest, Handoff, Order, OrderLine, Team, User

CANCELLED = "cancelled"
OPEN = "open"
_OPEN_REQUESTS = (RequestState.PENDING, *WITH_REQUESTER)


def cancel_order(ctx: Context, code: str, reason: str, expected_version: int | None = None) -> None:
    """Cancel every open line of the order, then the order."""
    reason = items.required_reason(reason, "cancel an order")
    with ctx.db.write() as session:
        order = _lock_order(session, code, expected_version)
        _require_may_cancel(session, ctx, order)
        open_lines = [line for line in order.lines if line.status == OPEN]
        if not open_lines:
            raise InvalidTransition(f"order {order.code} has no open line to cancel")
        now = ctx.now()
        for line in open_lines:
            _cancel_line_in(session, ctx, order, line, reason, now)
        _withdraw_requests(session, ctx, "order", [order.id], reason, now)
        _mark_order_cancelled(session, ctx, order, reason, now)


def cancel_line(
    ctx: Context, code: str, position: int, reason: str, expected_version: int | None = None
) -> None:
    """Cancel one line of the order; the order too when no open line is left."""
    reason = items.required_reason(reason, "cancel an order line")
    with ctx.db.write() as session:
        order = _lock_order(session, code, expected_version)
        line = next((line for line in order.lines if line.position == position), None)
        if line is None:
            positions = ", ".join(str(line.position) for line in order.lines)
            raise NotFound(f"order {order.code} has no line {position}; its lines: {positions}")
        _require_may_cancel(session, ctx, order)
        if line.status == CANCELLED:
            raise InvalidTransition(
                f"line {position} of {order.code} is already cancelled: {line.cancel_reason}"
            )
        now = ctx.now()
        _cancel_line_in(session, ctx, order, line, reason, now)
        if all(other.status == CANCELLED for other in order.lines):
            _withdraw_requests(session, ctx, "order", [order.id], reason, now)
            _mark_order_cancelled(session, ctx, order, reason, now)


# --- the order -------------------------------------------------------------------


def _lock_order(session: Session, code: str, expected_version: int | None) -> Order:
    """Take the order's row lock by bumping its version, then read it."""
    seen = session.scalar(select(Order).where(Order.code == code))
    if seen is None:
        raise NotFound(f"no order {code!r}")
    if expected_version is not None and seen.version != expected_version:
        raise Conflict(
            f"order {code} was changed by someone else (now version {seen.version}, "
            f"you had {expected_version}); refresh and try again"
        )
    result = session.execute(
        update(Order)
        .where(Order.id == seen.id, Order.version == seen.version)
        .values(version=Order.version + 1)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise Conflict(f"order {code} changed while you were acting; refresh and try again")
    session.refresh(seen)
    if seen.status == CANCELLED:
        raise InvalidTransition(f"order {code} is already cancelled: {seen.cancel_reason}")
    return seen


def _require_may_cancel(session: Session, ctx: Context, order: Order) -> None:
    actor = ctx.actor
    if actor.is_admin or order.sales_owner_id == actor.user_id:
        return
    team_ids = sorted({item.team_id for line in order.lines for item in line.work_items})
    if any(permissions.is_lead(session, actor, team_id) for team_id in team_ids):
        return
    owner = session.get(User, order.sales_owner_id) if order.sales_owner_id else None
    teams = ", ".join(
        sorted(session.scalars(select(Team.code).where(Team.id.in_(team_ids)))) or ["none"]
    )
    raise PermissionDenied(
        f"only an admin, the sales owner ({owner.login if owner else 'none'}) or a lead of a "
        f"team with steps in it ({teams}) can cancel order {order.code}; {actor.login} is none"
    )


def _mark_order_cancelled(
    session: Session, ctx: Context, order: Order, reason: str, now: datetime
) -> None:
    order.status = CANCELLED
    order.cancel_reason = reason
    record_event(
        session,
        ctx.actor,
        now,
        entity="order",
        entity_id=order.id,
        kind="order.cancelled",
        summary=f"{ctx.actor.label} cancelled order {order.code}: {reason}",
        customer_id=order.customer_id,
        order_id=order.id,
        payload={"reason": reason},
    )


# --- a line and what it holds ---------------------------------------------------------


def _cancel_line_in(
    session: Session, ctx: Context, order: Order, line: OrderLine, reason: str, now: datetime
) -> None:
    skipped = 0
    for item in line.work_items:
        if WorkStatus(item.status) not in CAN_SKIP:
            continue
        _withdraw_requests(session, ctx, "work_item", [item.id], reason, now)
        handoffs = list(session.scalars(select(Handoff).where(Handoff.work_item_id == item.id)))
        _withdraw_requests(session, ctx, "handoff", [h.id for h in handoffs], reason, now)
        for handoff in handoffs:
            _cancel_handoff(session, ctx, handoff.id, reason, now)
        items.change_in(
            session,
            ctx,
            item,
            "skipped",
            f"{ctx.actor.label} skipped {items.describe(item)}: line cancelled: {reason}",
            {"reason": reason, "cancelled": True},
            at=now,
            status=WorkStatus.SKIPPED.value,
            skip_reason=reason,
            finished_at=now,
        )
        skipped += 1
    line.status = CANCELLED
    line.cancel_reason = reason
    record_event(
        session,
        ctx.actor,
        now,
        entity="order_line",
        entity_id=line.id,
        kind="order_line.cancelled",
        summary=f"{ctx.actor.label} cancelled line {line.position} ({line.service.name}) of "
        f"{order.code}: {reason}",
        customer_id=order.customer_id,
        order_id=order.id,
        order_line_id=line.id,
        payload={"reason": reason, "position": line.position, "steps_skipped": skipped},
    )
    session.flush()


def _withdraw_requests(
    session: Session,
    ctx: Context,
    subject_kind: str,
    subject_ids: list[int],
    reason: str,
    now: datetime,
) -> None:
    if not subject_ids:
        return
    open_requests = session.scalars(
        select(ApprovalRequest.id).where(
            ApprovalRequest.subject_kind == subject_kind,
            ApprovalRequest.subject_id.in_(subject_ids),
            ApprovalRequest.state.in_([state.value for state in _OPEN_REQUESTS]),
        )
    ).all()
    for request_id in open_requests:
        withdraw_in(session, ctx, request_id, f"cancelled: {reason}", now)


def _cancel_handoff(
    session: Session, ctx: Context, handoff_id: int, reason: str, now: datetime
) -> None:
    handoff = load_handoff(session, handoff_id, lock="update")
    if handoff.state in (HandoffState.ACCEPTED, HandoffState.CANCELLED):
        return
    previous = handoff.state
    handoff.state = HandoffState.CANCELLED.value
    handoff.version += 1
    session.flush()
    record_handoff_event(
        session,
        ctx,
        handoff,
        now,
        "cancelled",
        f"{ctx.actor.label} cancelled {describe(session, handoff)} (was {previous}): {reason}",
        team_id=handoff.from_team_id,
        reason=reason,
        previous_state=previous,
    )
