"""The step lifecycle: what starting and finishing a step does beyond its status.

- Starting a step opens its approval request when its template step has a
  route, and its handoff when the step ends in one.
- A step with a route cannot be finished until its request is approved; a
  step that ends in a handoff is finished by accepting the handoff
  (``handoffs.actions.accept`` calls ``finish_in``), not directly.
- Finishing or skipping a step makes the next step of its line ready, or
  completes the line.

This module sits above work items, approvals and handoffs: ``work.items``
changes one item's status, ``approvals.actions`` and ``handoffs.records``
open their records; this module says when. Each call is one transaction.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.domain.errors import InvalidTransition
from backoffice_tui.domain.statuses import CAN_SKIP, WorkStatus
from backoffice_tui.domain.templates import parse_approval_stage
from backoffice_tui.services import permissions
from backoffice_tui.services.approvals.actions import open_request_in
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.handoffs.records import open_handoff_in, refuse_direct_finish_in
from backoffice_tui.services.work import items
from backoffice_tui.store.models import ApprovalRequest, WorkItem


def start(ctx: Context, item_id: int, expected_version: int | None = None) -> None:
    """Start a ready item (an unassigned one is claimed at the same time),
    opening its approval request and its handoff where the template says so."""
    with ctx.db.write() as session:
        item, now = items.start_in(session, ctx, item_id, expected_version)
        open_step_request_in(session, ctx, item, now)
        if item.step.handoff:
            open_handoff_in(session, ctx, item, now)


def done(ctx: Context, item_id: int, expected_version: int | None = None) -> None:
    """Finish an item in progress; the next step of its line becomes ready.

    A step that ends in a handoff is finished by accepting the handoff instead."""
    with ctx.db.write() as session:
        item = items.open_for_finish_in(session, ctx, item_id, expected_version)
        if item.step.handoff:
            refuse_direct_finish_in(session, item)
        finish_in(session, ctx, item, f"{ctx.actor.label} finished {items.describe(item)}")


def skip(ctx: Context, item_id: int, reason: str, expected_version: int | None = None) -> None:
    """Skip a step (leads only); the next step becomes ready as if it were done."""
    reason = items.required_reason(reason, "skip a step")
    with ctx.db.write() as session:
        item = items.open_in(session, item_id, expected_version, CAN_SKIP, "skip")
        permissions.require_lead(session, ctx.actor, item.team_id, "skip a step")
        summary = f"{ctx.actor.label} skipped {items.describe(item)}: {reason}"
        now = ctx.now()
        items.change_in(
            session,
            ctx,
            item,
            "skipped",
            summary,
            {"reason": reason},
            at=now,
            status=WorkStatus.SKIPPED.value,
            skip_reason=reason,
            finished_at=now,
        )
        _make_next_ready(session, ctx, item, now)


def finish_in(
    session: Session, ctx: Context, item: WorkItem, summary: str, at: datetime | None = None
) -> datetime:
    """Finish ``item`` inside the caller's transaction; the next step of its
    line becomes ready (or the line completes). A step with an approval
    route must have it approved first."""
    refuse_unapproved_in(session, item)
    now = at or ctx.now()
    items.mark_done_in(session, ctx, item, summary, now)
    _make_next_ready(session, ctx, item, now)
    return now


def _make_next_ready(session: Session, ctx: Context, item: WorkItem, now: datetime) -> None:
    following = items.following_step(session, item)
    if following is None:
        line = item.order_line
        record_event(
            session,
            ctx.actor,
            now,
            entity="order_line",
            entity_id=line.id,
            kind="order_line.completed",
            summary=f"{line.service.name} of {line.order.code} completed",
            customer_id=item.customer_id,
            order_id=item.order_id,
            order_line_id=line.id,
        )
        return
    if following.status != WorkStatus.WAITING:
        return
    items.mark_ready_in(session, ctx, following)


# --- a step's approval ------------------------------------------------------------------


def latest_request(session: Session, item: WorkItem) -> ApprovalRequest | None:
    return session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.subject_kind == "work_item", ApprovalRequest.subject_id == item.id)
        .order_by(ApprovalRequest.id.desc())
        .limit(1)
    )


def open_step_request_in(session: Session, ctx: Context, item: WorkItem, now: datetime) -> None:
    """Open the step's request when it starts (once: a restarted step keeps
    the request it has unless that one was withdrawn)."""
    if not item.step.approval:
        return
    existing = latest_request(session, item)
    if existing is not None and existing.state != RequestState.WITHDRAWN:
        return
    route = [parse_approval_stage(stage, f"step {item.step.key}") for stage in item.step.approval]
    line = item.order_line
    open_request_in(
        session,
        ctx,
        subject_kind="work_item",
        subject_id=item.id,
        title=f"{item.step.name}: {line.order.code} {line.service.name}",
        route=route,
        customer_id=item.customer_id,
        at=now,
    )


def refuse_unapproved_in(session: Session, item: WorkItem) -> None:
    if not item.step.approval:
        return
    request = latest_request(session, item)
    if request is not None and request.state == RequestState.APPROVED:
        return
    if request is None:
        why = "its approval has not been requested (start the step to request it)"
    elif request.state == RequestState.PENDING:
        why = f"approval {request.id} is still waiting at stage {request.current_stage}"
    elif request.state == RequestState.REJECTED:
        why = f"approval {request.id} was rejected; a lead can skip the step"
    else:
        state = request.state.replace("_", " ")
        why = f"approval {request.id} is {state}; the requester can re-apply"
    raise InvalidTransition(f"cannot finish work item {item.id}: {why}")
