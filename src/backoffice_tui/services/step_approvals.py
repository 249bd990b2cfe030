"""Template steps with an approval route: starting one opens its request,
and it cannot be finished until the request is approved."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.domain.errors import InvalidTransition
from backoffice_tui.domain.templates import parse_approval_stage
from backoffice_tui.services.approvals import open_request_in
from backoffice_tui.services.context import Context
from backoffice_tui.store.models import ApprovalRequest, WorkItem


def latest_request(session: Session, item: WorkItem) -> ApprovalRequest | None:
    return session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.subject_kind == "work_item", ApprovalRequest.subject_id == item.id)
        .order_by(ApprovalRequest.id.desc())
        .limit(1)
    )


def open_for_step_in(session: Session, ctx: Context, item: WorkItem, now: datetime) -> None:
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
