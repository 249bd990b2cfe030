"""Approval requests: opening one on a subject, and every action on it.

Each action locks its request first (a version bump: a row lock on
PostgreSQL, the write lock on SQLite), then reads and checks. Of two
approvers deciding at the same moment the second therefore reads the
first's decision and is told who decided; a decision needs its stage
still pending, so a stage is never decided twice.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import (
    PAST_TENSE,
    REQUESTER,
    WITH_REQUESTER,
    Action,
    RequestState,
    StageState,
    rule_met,
)
from backoffice_tui.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.services.approvals.approvers import Principal
from backoffice_tui.services.approvals.authority import (
    Authority,
    authority_of,
    requested_by,
)
from backoffice_tui.services.approvals.authority import (
    current_stage_of as current_stage_of,
)
from backoffice_tui.services.approvals.subjects import request_state_changed_in
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    ApprovalStageApprover,
    Handoff,
    Order,
    User,
    WorkItem,
)

EVENT_KINDS = {
    Action.APPROVE: "approval.approved",
    Action.REJECT: "approval.rejected",
    Action.SEND_BACK: "approval.sent_back",
    Action.PULL_BACK: "approval.pulled_back",
    Action.HOLD: "approval.held",
    Action.RELEASE: "approval.released",
    Action.FORWARD: "approval.forwarded",
    Action.COMMENT: "approval.commented",
    Action.SUBMIT: "approval.requested",
    Action.REAPPLY: "approval.reapplied",
    Action.WITHDRAW: "approval.withdrawn",
}

# --- opening a request -----------------------------------------------------------


@dataclass(frozen=True)
class _Refs:
    customer_id: int | None = None
    order_id: int | None = None
    order_line_id: int | None = None
    team_id: int | None = None


def _refs(session: Session, request: ApprovalRequest) -> _Refs:
    if request.subject_kind == "work_item":
        item = session.get(WorkItem, request.subject_id)
        if item is not None:
            return _Refs(item.customer_id, item.order_id, item.order_line_id, item.team_id)
    if request.subject_kind == "handoff":
        handoff = session.get(Handoff, request.subject_id)
        if handoff is not None:
            line = handoff.order_line_id
            order_id = session.get(WorkItem, handoff.work_item_id)
            return _Refs(
                handoff.customer_id,
                order_id.order_id if order_id else None,
                line,
                handoff.from_team_id,
            )
    if request.subject_kind == "order":
        order = session.get(Order, request.subject_id)
        if order is not None:
            return _Refs(order.customer_id, order.id)
    return _Refs(request.customer_id)


def open_request_in(
    session: Session,
    ctx: Context,
    *,
    subject_kind: str,
    subject_id: int,
    title: str,
    route: Sequence[ApprovalStageSpec],
    customer_id: int | None = None,
    at: datetime | None = None,
) -> ApprovalRequest:
    """Open a request inside the caller's transaction, the actor as requester."""
    if not route:
        raise InvalidInput("an approval route needs at least one stage")
    if all(stage.info_only for stage in route):
        raise InvalidInput("an approval route needs at least one stage that decides")
    now = at or ctx.now()
    request = ApprovalRequest(
        subject_kind=subject_kind,
        subject_id=subject_id,
        customer_id=customer_id,
        requester_id=ctx.actor.user_id,
        title=title,
        state=RequestState.PENDING.value,
        current_stage=1,
        created_at=now,
    )
    session.add(request)
    session.flush()
    for position, spec in enumerate(route, start=1):
        stage = ApprovalStage(
            request_id=request.id,
            position=position,
            name=spec.name,
            rule=spec.rule,
            info_only=spec.info_only,
            approvers=list(dict.fromkeys(spec.approvers)),
            state=StageState.WAITING.value,
            due_hours=spec.due_hours,
        )
        session.add(stage)
        session.flush()
        session.add_all(
            ApprovalStageApprover(stage_id=stage.id, approver=entry) for entry in stage.approvers
        )
    session.flush()
    session.refresh(request)
    decision = _decide(session, ctx, request, Decision(Action.SUBMIT, now))
    _enter(session, ctx, request, 1, now, decision.id)
    return request


def request_approval(
    ctx: Context,
    subject_kind: str,
    subject_id: int,
    route: Sequence[ApprovalStageSpec],
    title: str | None = None,
) -> int:
    """Open a request on an order or a handoff (work items open theirs when
    started, applications when filed)."""
    with ctx.db.write() as session:
        if subject_kind == "order":
            order = session.get(Order, subject_id)
            if order is None:
                raise NotFound(f"no order {subject_id}")
            default_title, customer_id = f"Order {order.code}", order.customer_id
        elif subject_kind == "handoff":
            handoff = session.get(Handoff, subject_id)
            if handoff is None:
                raise NotFound(f"no handoff {subject_id}")
            default_title, customer_id = f"Handoff {handoff.id}", handoff.customer_id
        else:
            raise InvalidInput(f"cannot open an approval on a {subject_kind} from here")
        open_requests = session.scalar(
            select(ApprovalRequest.id).where(
                ApprovalRequest.subject_kind == subject_kind,
                ApprovalRequest.subject_id == subject_id,
                ApprovalRequest.state.in_([RequestState.PENDING, *WITH_REQUESTER]),
            )
        )
        if open_requests is not None:
            raise InvalidTransition(
                f"{default_title} already has approval {open_requests} open; decide or "
                "withdraw it first"
            )
        request = open_request_in(
            session,
            ctx,
            subject_kind=subject_kind,
            subject_id=subject_id,
            title=title or default_title,
            route=route,
            customer_id=customer_id,
        )
        return request.id


# --- reading inside a transaction ---------------------------------------------------


def _lock(session: Session, request_id: int) -> ApprovalRequest:
    """Take the request's row lock, then read it as committed now."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(ApprovalRequest)
            .where(ApprovalRequest.id == request_id)
            .values(version=ApprovalRequest.version + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise NotFound(f"no approval {request_id}")
    request = session.get(ApprovalRequest, request_id, populate_existing=True)
    assert request is not None
    for stage in session.scalars(
        select(ApprovalStage)
        .where(ApprovalStage.request_id == request_id)
        .execution_options(populate_existing=True)
    ):
        _ = stage
    return request


def _authority(
    session: Session, ctx: Context, request_id: int, seen_stage: int | None = None
) -> Authority:
    """Lock the request, then what the actor may do to it now."""
    request = _lock(session, request_id)
    return authority_of(session, request, ctx.actor, ctx.today(), seen_stage)


@dataclass(frozen=True)
class _Deciding:
    """A request locked for an action on its current stage, and as whom."""

    request: ApprovalRequest
    stage: ApprovalStage
    principal: Principal
    entry: str
    counted: dict[int, str]  # approvals of the stage so far


def _open_for(
    session: Session, ctx: Context, request_id: int, seen_stage: int | None, action: Action
) -> _Deciding:
    """Lock the request and check that the actor may take ``action`` on the
    stage the operator saw (see ``authority.py``)."""
    authority = _authority(session, ctx, request_id, seen_stage)
    authority.require(action)
    principal, entry = authority.deciding_as(action)
    return _Deciding(
        authority.request, authority.stage, principal, entry, dict(authority.standing.counted)
    )


# --- writing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One decision to record on a request: what, when, at which stage, and
    as whom (``principal``, approver ``entry``), with its comment and target."""

    action: Action
    at: datetime
    stage: ApprovalStage | None = None
    comment: str = ""
    principal: Principal | None = None
    entry: str | None = None
    target: str | None = None


def _decide(
    session: Session, ctx: Context, request: ApprovalRequest, decision: Decision
) -> ApprovalDecision:
    stage, principal, action = decision.stage, decision.principal, decision.action
    comment, target = decision.comment, decision.target
    on_behalf = principal.user_id if principal is not None and principal.delegated else None
    row = ApprovalDecision(
        request_id=request.id,
        stage_id=stage.id if stage is not None else None,
        actor_id=ctx.actor.user_id,
        on_behalf_of_id=on_behalf,
        action=action.value,
        comment=comment,
        target=target,
        as_approver=decision.entry,
        at=decision.at,
    )
    session.add(row)
    session.flush()
    summary = f"{ctx.actor.label} {PAST_TENSE[action]} '{request.title}'"
    if stage is not None:
        summary += f" at stage '{stage.name}'"
    if on_behalf is not None and principal is not None:
        summary += f" for {principal.login}"
    if target:
        summary += f" to {target}"
    if comment:
        summary += f": {comment.splitlines()[0]}"
    record_request_event(
        session,
        ctx,
        request,
        decision.at,
        EVENT_KINDS[action],
        summary,
        on_behalf_of_id=on_behalf,
        stage=stage.position if stage is not None else None,
        stage_name=stage.name if stage is not None else None,
        comment=comment,
        target=target,
        on_behalf_of=principal.login if on_behalf is not None and principal else None,
        decision_id=row.id,
    )
    return row


def record_request_event(
    session: Session,
    ctx: Context | str,
    request: ApprovalRequest,
    now: datetime,
    kind: str,
    summary: str,
    on_behalf_of_id: int | None = None,
    **payload: Any,
) -> None:
    refs = _refs(session, request)
    record_event(
        session,
        ctx.actor if isinstance(ctx, Context) else ctx,
        now,
        entity="approval_request",
        entity_id=request.id,
        kind=kind,
        summary=summary,
        customer_id=refs.customer_id,
        order_id=refs.order_id,
        order_line_id=refs.order_line_id,
        team_id=refs.team_id,
        payload={"subject_kind": request.subject_kind, "subject_id": request.subject_id}
        | {k: v for k, v in payload.items() if v not in (None, "")},
        on_behalf_of_id=on_behalf_of_id,
    )


def _enter(
    session: Session,
    ctx: Context,
    request: ApprovalRequest,
    position: int,
    now: datetime,
    since_decision_id: int,
) -> None:
    """Make stage ``position`` current; information-only stages are notified
    and passed; past the last stage the request is approved."""
    for stage in request.stages:
        if stage.position < position:
            continue
        if stage.info_only:
            stage.state = StageState.NOTIFIED.value
            stage.entered_at = now
            record_request_event(
                session,
                ctx,
                request,
                now,
                "approval.notified",
                f"'{request.title}' for information to {', '.join(stage.approvers)} "
                f"(stage '{stage.name}')",
                stage=stage.position,
                stage_name=stage.name,
                approvers=list(stage.approvers),
            )
            continue
        stage.state = StageState.PENDING.value
        stage.entered_at = now
        stage.due_at = now + timedelta(hours=stage.due_hours) if stage.due_hours else None
        stage.since_decision_id = since_decision_id
        stage.held_by_id = None
        stage.reminded_at = None
        request.current_stage = stage.position
        session.flush()
        return
    record_request_event(
        session,
        ctx,
        request,
        now,
        "approval.completed",
        f"'{request.title}' is approved",
    )
    _close(session, request, RequestState.APPROVED, now)


def _close(session: Session, request: ApprovalRequest, state: RequestState, now: datetime) -> None:
    """A final state: approved, rejected or withdrawn."""
    request.state = state.value
    request.decided_at = now
    _subject_changed(session, request)


def _subject_changed(session: Session, request: ApprovalRequest) -> None:
    session.flush()
    request_state_changed_in(session, request)


def _reset_from(request: ApprovalRequest, position: int) -> None:
    for stage in request.stages:
        if stage.position >= position:
            stage.state = StageState.WAITING.value
            stage.held_by_id = None


def _comment_required(comment: str | None, doing: str) -> str:
    text = (comment or "").strip()
    if not text:
        raise InvalidInput(f"a comment is required to {doing}")
    return text


def approve(ctx: Context, request_id: int, comment: str = "", stage: int | None = None) -> None:
    with ctx.db.write() as session:
        deciding = _open_for(session, ctx, request_id, stage, Action.APPROVE)
        request, current, counted = deciding.request, deciding.stage, deciding.counted
        now = ctx.now()
        decision = _decide(
            session,
            ctx,
            request,
            Decision(
                Action.APPROVE,
                now,
                current,
                comment.strip(),
                principal=deciding.principal,
                entry=deciding.entry,
            ),
        )
        counted[deciding.principal.user_id] = deciding.entry
        if rule_met(current.rule, current.approvers, counted):
            current.state = StageState.APPROVED.value
            current.held_by_id = None
            _enter(session, ctx, request, current.position + 1, now, decision.id)


def reject(ctx: Context, request_id: int, comment: str, stage: int | None = None) -> None:
    text = _comment_required(comment, "reject")
    with ctx.db.write() as session:
        deciding = _open_for(session, ctx, request_id, stage, Action.REJECT)
        request, current = deciding.request, deciding.stage
        now = ctx.now()
        _decide(
            session,
            ctx,
            request,
            Decision(
                Action.REJECT,
                now,
                current,
                text,
                principal=deciding.principal,
                entry=deciding.entry,
            ),
        )
        current.state = StageState.REJECTED.value
        current.held_by_id = None
        _close(session, request, RequestState.REJECTED, now)


def send_back(
    ctx: Context,
    request_id: int,
    comment: str,
    to: str | int = REQUESTER,
    stage: int | None = None,
) -> None:
    """Send back to the requester, or to a stage already passed (by position)."""
    text = _comment_required(comment, "send back")
    with ctx.db.write() as session:
        deciding = _open_for(session, ctx, request_id, stage, Action.SEND_BACK)
        request, current = deciding.request, deciding.stage
        now = ctx.now()
        if to == REQUESTER:
            _decide(
                session,
                ctx,
                request,
                Decision(
                    Action.SEND_BACK,
                    now,
                    current,
                    text,
                    principal=deciding.principal,
                    entry=deciding.entry,
                    target=REQUESTER,
                ),
            )
            _reset_from(request, 1)
            request.state = RequestState.SENT_BACK.value
            _subject_changed(session, request)
            return
        position = _stage_position(to)
        passed = [s for s in request.stages if s.position < current.position and not s.info_only]
        target = next((s for s in passed if s.position == position), None)
        if target is None:
            choices = ", ".join(str(s.position) for s in passed) or "none"
            raise InvalidInput(
                f"can send approval {request.id} back only to the requester or to a stage "
                f"already passed ({choices}), not {to}"
            )
        decision = _decide(
            session,
            ctx,
            request,
            Decision(
                Action.SEND_BACK,
                now,
                current,
                text,
                principal=deciding.principal,
                entry=deciding.entry,
                target=f"stage {target.position} ({target.name})",
            ),
        )
        _reset_from(request, target.position)
        _enter(session, ctx, request, target.position, now, decision.id)


def _stage_position(to: str | int) -> int:
    if isinstance(to, int):
        return to
    value = str(to).removeprefix("stage").strip()
    if not value.isdigit():
        raise InvalidInput(f"send back to 'requester' or a stage number, not {to!r}")
    return int(value)


def pull_back(ctx: Context, request_id: int, comment: str = "") -> None:
    """The last one who decided takes their approval back before anyone
    decides after them; the requester takes the request back before
    anyone has decided on it."""
    with ctx.db.write() as session:
        authority = _authority(session, ctx, request_id)
        authority.require(Action.PULL_BACK)
        request, now = authority.request, ctx.now()
        approval = authority.pulling_back()
        if approval is not None:
            last, principal = approval
            stage = session.get(ApprovalStage, last.stage_id)
            assert stage is not None
            _decide(
                session,
                ctx,
                request,
                Decision(
                    Action.PULL_BACK,
                    now,
                    stage,
                    comment.strip(),
                    principal=principal,
                    entry=last.as_approver,
                ),
            )
            if stage.position != request.current_stage:
                _reset_from(request, stage.position + 1)
                stage.state = StageState.PENDING.value
                request.current_stage = stage.position
            return
        _decide(
            session,
            ctx,
            request,
            Decision(Action.PULL_BACK, now, comment=comment.strip(), target=REQUESTER),
        )
        _reset_from(request, 1)
        request.state = RequestState.PULLED_BACK.value
        _subject_changed(session, request)


def hold(ctx: Context, request_id: int, stage: int | None = None) -> None:
    """Stop the other approvers of the current stage until released."""
    with ctx.db.write() as session:
        deciding = _open_for(session, ctx, request_id, stage, Action.HOLD)
        request, current = deciding.request, deciding.stage
        current.held_by_id = ctx.actor.user_id
        _decide(
            session,
            ctx,
            request,
            Decision(
                Action.HOLD,
                ctx.now(),
                current,
                principal=deciding.principal,
                entry=deciding.entry,
            ),
        )


def release(ctx: Context, request_id: int) -> None:
    with ctx.db.write() as session:
        authority = _authority(session, ctx, request_id)
        authority.require(Action.RELEASE)
        authority.stage.held_by_id = None
        _decide(
            session,
            ctx,
            authority.request,
            Decision(Action.RELEASE, ctx.now(), authority.stage),
        )


def forward(
    ctx: Context, request_id: int, to_login: str, comment: str = "", stage: int | None = None
) -> None:
    """Hand my part of the current stage to another user."""
    with ctx.db.write() as session:
        deciding = _open_for(session, ctx, request_id, stage, Action.FORWARD)
        request, current = deciding.request, deciding.stage
        principal, entry = deciding.principal, deciding.entry
        target = session.scalar(select(User).where(User.login == to_login.strip()))
        if target is None or not target.active:
            raise NotFound(f"no active user {to_login!r} to forward to")
        if target.id in (ctx.actor.user_id, principal.user_id):
            raise InvalidInput("forward to someone else")
        if requested_by(request, target.id):
            raise InvalidInput(
                f"{target.login} requested approval {request.id} and cannot decide it; "
                "forward to someone else"
            )
        approvers = [a for a in current.approvers if a != entry]
        if target.login not in approvers:
            approvers.append(target.login)
        current.approvers = approvers
        session.execute(
            delete(ApprovalStageApprover).where(
                ApprovalStageApprover.stage_id == current.id,
                ApprovalStageApprover.approver == entry,
            )
        )
        if session.get(ApprovalStageApprover, (current.id, target.login)) is None:
            session.add(ApprovalStageApprover(stage_id=current.id, approver=target.login))
        if current.held_by_id == ctx.actor.user_id:
            current.held_by_id = None
        _decide(
            session,
            ctx,
            request,
            Decision(
                Action.FORWARD,
                ctx.now(),
                current,
                comment.strip(),
                principal=principal,
                entry=entry,
                target=target.login,
            ),
        )


def add_comment(ctx: Context, request_id: int, text: str) -> None:
    """A remark on the request by its requester or anyone on its route."""
    body = _comment_required(text, "comment")
    with ctx.db.write() as session:
        authority = _authority(session, ctx, request_id)
        authority.require(Action.COMMENT)
        _decide(
            session,
            ctx,
            authority.request,
            Decision(Action.COMMENT, ctx.now(), authority.stage, body),
        )


def reapply(ctx: Context, request_id: int, comment: str = "") -> None:
    """The requester sends a sent-back request round again from its first stage."""
    with ctx.db.write() as session:
        authority = _authority(session, ctx, request_id)
        authority.require(Action.REAPPLY)
        request, now = authority.request, ctx.now()
        decision = _decide(
            session, ctx, request, Decision(Action.REAPPLY, now, comment=comment.strip())
        )
        request.state = RequestState.PENDING.value
        _enter(session, ctx, request, 1, now, decision.id)
        if request.state == RequestState.PENDING:
            _subject_changed(session, request)


def withdraw(ctx: Context, request_id: int, comment: str = "") -> None:
    with ctx.db.write() as session:
        authority = _authority(session, ctx, request_id)
        authority.require(Action.WITHDRAW)
        _withdraw_locked(session, ctx, authority.request, comment, ctx.now())


def withdraw_in(
    session: Session, ctx: Context, request_id: int, comment: str, at: datetime
) -> None:
    """Withdraw a request inside the caller's transaction, for a caller that
    has checked its own permission (cancelling the order it belongs to)."""
    _withdraw_locked(session, ctx, _lock(session, request_id), comment, at)


def _withdraw_locked(
    session: Session, ctx: Context, request: ApprovalRequest, comment: str, now: datetime
) -> None:
    _decide(session, ctx, request, Decision(Action.WITHDRAW, now, comment=comment.strip()))
    _reset_from(request, 1)
    _close(session, request, RequestState.WITHDRAWN, now)


def decide(
    ctx: Context,
    request_id: int,
    action: Action | str,
    comment: str = "",
    to: str | None = None,
    stage: int | None = None,
) -> None:
    """One entry point for the console and the command line."""
    action = Action(action.replace("-", "_") if isinstance(action, str) else action)
    if action == Action.APPROVE:
        approve(ctx, request_id, comment, stage)
    elif action == Action.REJECT:
        reject(ctx, request_id, comment, stage)
    elif action == Action.SEND_BACK:
        send_back(ctx, request_id, comment, to or REQUESTER, stage)
    elif action == Action.FORWARD:
        if not to:
            raise InvalidInput("say whom to forward to (--to LOGIN)")
        forward(ctx, request_id, to, comment, stage)
    elif action == Action.COMMENT:
        add_comment(ctx, request_id, comment)
    elif action == Action.PULL_BACK:
        pull_back(ctx, request_id, comment)
    elif action == Action.HOLD:
        hold(ctx, request_id, stage)
    elif action == Action.RELEASE:
        release(ctx, request_id)
    elif action == Action.REAPPLY:
        reapply(ctx, request_id, comment)
    elif action == Action.WITHDRAW:
        withdraw(ctx, request_id, comment)
    else:
        raise InvalidInput(f"{action.value} is not a decision")
