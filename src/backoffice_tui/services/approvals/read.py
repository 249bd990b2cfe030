"""Reading approvals: my inbox, what I sent, one request whole, and the
list the command line prints."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.approvals import (
    WITH_REQUESTER,
    Action,
    RequestState,
    StageState,
    describe_rule,
)
from backoffice_tui.domain.errors import NotFound
from backoffice_tui.services.approvals.actions import current_stage_of, deciders_now
from backoffice_tui.services.approvals.approvers import Principal, match, principals
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    ApprovalStageApprover,
    Customer,
    User,
)

_FAR = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class InboxRow:
    id: int  # the request
    version: int
    subject_kind: str
    subject_id: int
    title: str
    customer_code: str | None
    customer_name: str | None
    stage: int
    stage_name: str
    stages: int
    requester: str
    waiting_since: datetime
    due_at: datetime | None
    overdue: bool
    held_by: str | None
    via: str  # "you", the role@team entry, or "for <login>" under a delegation
    state: str = RequestState.PENDING.value


def _principals(session: Session, actor: Actor, now: datetime) -> list[Principal]:
    return principals(session, actor.user_id, actor.login, now.astimezone().date())


def _decided_by(user_id: int) -> object:
    """The stage already has my own approval, not pulled back (a stage
    approved for a delegator may still need mine)."""
    mine = func.coalesce(ApprovalDecision.on_behalf_of_id, ApprovalDecision.actor_id)
    later = aliased(ApprovalDecision)
    later_mine = func.coalesce(later.on_behalf_of_id, later.actor_id)
    return exists().where(
        ApprovalDecision.stage_id == ApprovalStage.id,
        ApprovalDecision.id > ApprovalStage.since_decision_id,
        ApprovalDecision.action == Action.APPROVE.value,
        mine == user_id,
        ~exists().where(
            later.stage_id == ApprovalDecision.stage_id,
            later.id > ApprovalDecision.id,
            later.action == Action.PULL_BACK.value,
            later_mine == user_id,
        ),
    )


def _inbox_query(session: Session, actor: Actor, now: datetime) -> tuple[Select, list[Principal]]:
    mine = _principals(session, actor, now)
    keys = sorted(set().union(*(p.keys for p in mine)))
    waiting = (
        select(ApprovalStage.id)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStage.request_id)
        .where(
            ApprovalStage.state == StageState.PENDING.value,
            ApprovalStage.id.in_(
                select(ApprovalStageApprover.stage_id).where(
                    ApprovalStageApprover.approver.in_(keys)
                )
            ),
            ApprovalRequest.requester_id != actor.user_id,
            ~_decided_by(actor.user_id),
        )
    )
    return waiting, mine


def count_inbox(db: Database, actor: Actor, now: datetime) -> int:
    with db.read() as session:
        waiting, _ = _inbox_query(session, actor, now)
        return session.scalar(select(func.count()).select_from(waiting.subquery())) or 0


def inbox_window(
    db: Database, actor: Actor, now: datetime, offset: int = 0, limit: int = 100
) -> list[InboxRow]:
    """What waits for me, most urgent first: by due time (none last), then
    longest waiting."""
    with db.read() as session:
        waiting, mine = _inbox_query(session, actor, now)
        stage_ids = waiting.order_by(
            func.coalesce(ApprovalStage.due_at, literal(_FAR)),
            ApprovalStage.entered_at,
            ApprovalStage.id,
        )
        ids = list(session.scalars(stage_ids.offset(offset).limit(limit)))
        return _rows(session, ids, mine, now)


def _rows(
    session: Session, stage_ids: list[int], mine: list[Principal], now: datetime
) -> list[InboxRow]:
    if not stage_ids:
        return []
    requester = aliased(User)
    holder = aliased(User)
    other = aliased(ApprovalStage)
    total = (
        select(func.count())
        .select_from(other)
        .where(other.request_id == ApprovalRequest.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            ApprovalStage,
            ApprovalRequest,
            Customer.code,
            Customer.name,
            requester.login,
            holder.login,
            total,
        )
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStage.request_id)
        .join(requester, requester.id == ApprovalRequest.requester_id)
        .outerjoin(holder, holder.id == ApprovalStage.held_by_id)
        .outerjoin(Customer, Customer.id == ApprovalRequest.customer_id)
        .where(ApprovalStage.id.in_(stage_ids))
    ).all()
    by_stage = {row[0].id: row for row in rows}
    result = []
    for stage_id in stage_ids:
        stage, request, code, name, requester_login, held_by, stages = by_stage[stage_id]
        result.append(
            InboxRow(
                id=request.id,
                version=request.version,
                subject_kind=request.subject_kind,
                subject_id=request.subject_id,
                title=request.title,
                customer_code=code,
                customer_name=name,
                stage=stage.position,
                stage_name=stage.name,
                stages=stages,
                requester=requester_login,
                waiting_since=stage.entered_at or request.created_at,
                due_at=stage.due_at,
                overdue=stage.due_at is not None and stage.due_at < now,
                held_by=held_by,
                via=_via(mine, list(stage.approvers)),
                state=request.state,
            )
        )
    return result


def _via(mine: list[Principal], entries: list[str]) -> str:
    found = match(mine, entries)
    if found is None:
        return ""
    principal, entry = found
    if principal.delegated:
        return f"for {principal.login}"
    return "you" if entry == principal.login else entry


# --- sent by me ------------------------------------------------------------------


def count_sent(db: Database, actor: Actor) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count()).where(ApprovalRequest.requester_id == actor.user_id)
            )
            or 0
        )


def sent_window(
    db: Database, actor: Actor, now: datetime, offset: int = 0, limit: int = 100
) -> list[InboxRow]:
    """My requests, open ones first, newest first; ``via`` says who may
    decide now (or what the requester must do)."""
    with db.read() as session:
        requests = list(
            session.scalars(
                select(ApprovalRequest)
                .where(ApprovalRequest.requester_id == actor.user_id)
                .order_by(
                    (ApprovalRequest.state != RequestState.PENDING.value),
                    ApprovalRequest.created_at.desc(),
                    ApprovalRequest.id.desc(),
                )
                .offset(offset)
                .limit(limit)
            )
        )
        today = now.astimezone().date()
        result = []
        for request in requests:
            stage = current_stage_of(request)
            customer = session.get(Customer, request.customer_id) if request.customer_id else None
            if request.state == RequestState.PENDING:
                waiting_on = ", ".join(deciders_now(session, request, stage, today))
            elif request.state in WITH_REQUESTER:
                waiting_on = "you: re-apply or withdraw"
            else:
                waiting_on = ""
            result.append(
                InboxRow(
                    id=request.id,
                    version=request.version,
                    subject_kind=request.subject_kind,
                    subject_id=request.subject_id,
                    title=request.title,
                    customer_code=customer.code if customer else None,
                    customer_name=customer.name if customer else None,
                    stage=stage.position,
                    stage_name=stage.name,
                    stages=len(request.stages),
                    requester=actor.login,
                    waiting_since=stage.entered_at or request.created_at,
                    due_at=stage.due_at if request.state == RequestState.PENDING else None,
                    overdue=request.state == RequestState.PENDING
                    and stage.due_at is not None
                    and stage.due_at < now,
                    held_by=_login(session, stage.held_by_id) if stage.held_by_id else None,
                    via=waiting_on,
                    state=request.state,
                )
            )
        return result


def _login(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.login if user else None


# --- one request -----------------------------------------------------------------


@dataclass(frozen=True)
class StageView:
    position: int
    name: str
    rule: str
    rule_text: str
    info_only: bool
    approvers: tuple[str, ...]  # entries: logins and role@team
    state: str
    due_at: datetime | None
    overdue: bool
    held_by: str | None
    deciders: tuple[str, ...]  # who may decide now (current stage only)
    approved_by: tuple[str, ...]  # approvals that count now


@dataclass(frozen=True)
class DecisionView:
    at: datetime
    actor: str
    on_behalf_of: str | None
    action: str
    stage: int | None
    stage_name: str | None
    comment: str
    target: str | None


@dataclass(frozen=True)
class RequestDetail:
    id: int
    version: int
    subject_kind: str
    subject_id: int
    title: str
    customer_code: str | None
    customer_name: str | None
    requester: str
    state: str
    current_stage: int
    created_at: datetime
    decided_at: datetime | None
    stages: tuple[StageView, ...]
    decisions: tuple[DecisionView, ...]
    can: frozenset[str]  # actions open to the reader

    @property
    def current(self) -> StageView:
        return current_stage_of(self)


def request_detail(db: Database, actor: Actor, request_id: int, now: datetime) -> RequestDetail:
    with db.read() as session:
        request = session.get(ApprovalRequest, request_id)
        if request is None:
            raise NotFound(f"no approval {request_id}")
        today = now.astimezone().date()
        logins = dict(session.execute(select(User.id, User.login)).all())
        decisions = list(
            session.scalars(
                select(ApprovalDecision)
                .where(ApprovalDecision.request_id == request.id)
                .order_by(ApprovalDecision.id)
            )
        )
        stage_by_id = {s.id: s for s in request.stages}
        pending = request.state == RequestState.PENDING
        stages = []
        for stage in request.stages:
            is_current = pending and stage.position == request.current_stage
            approved = _approved_by(decisions, stage, logins)
            stages.append(
                StageView(
                    position=stage.position,
                    name=stage.name,
                    rule=stage.rule,
                    rule_text="for information"
                    if stage.info_only
                    else describe_rule(stage.rule, len(stage.approvers)),
                    info_only=stage.info_only,
                    approvers=tuple(stage.approvers),
                    state=stage.state,
                    due_at=stage.due_at if stage.state == StageState.PENDING else None,
                    overdue=is_current and stage.due_at is not None and stage.due_at < now,
                    held_by=logins.get(stage.held_by_id) if stage.held_by_id else None,
                    deciders=deciders_now(session, request, stage, today) if is_current else (),
                    approved_by=approved,
                )
            )
        mine = principals(session, actor.user_id, actor.login, today)
        can = _actions_for(request, decisions, mine, actor, stage_by_id)
        customer = session.get(Customer, request.customer_id) if request.customer_id else None
        return RequestDetail(
            id=request.id,
            version=request.version,
            subject_kind=request.subject_kind,
            subject_id=request.subject_id,
            title=request.title,
            customer_code=customer.code if customer else None,
            customer_name=customer.name if customer else None,
            requester=logins.get(request.requester_id, "?"),
            state=request.state,
            current_stage=request.current_stage,
            created_at=request.created_at,
            decided_at=request.decided_at,
            stages=tuple(stages),
            decisions=tuple(
                DecisionView(
                    at=d.at,
                    actor=logins.get(d.actor_id, "?"),
                    on_behalf_of=logins.get(d.on_behalf_of_id) if d.on_behalf_of_id else None,
                    action=d.action,
                    stage=stage_by_id[d.stage_id].position if d.stage_id else None,
                    stage_name=stage_by_id[d.stage_id].name if d.stage_id else None,
                    comment=d.comment,
                    target=d.target,
                )
                for d in decisions
            ),
            can=can,
        )


def _approved_by(
    decisions: list[ApprovalDecision], stage: ApprovalStage, logins: dict[int, str]
) -> tuple[str, ...]:
    approvals: dict[int, str] = {}
    for d in decisions:
        if d.stage_id != stage.id or d.id <= stage.since_decision_id:
            continue
        principal = d.on_behalf_of_id or d.actor_id
        if d.action == Action.APPROVE:
            approvals[principal] = logins.get(d.actor_id, "?")
        elif d.action == Action.PULL_BACK:
            approvals.pop(principal, None)
    return tuple(approvals.values())


def _actions_for(
    request: ApprovalRequest,
    decisions: list[ApprovalDecision],
    mine: list[Principal],
    actor: Actor,
    stages: dict[int, ApprovalStage],
) -> frozenset[str]:
    can: set[str] = set()
    is_requester = request.requester_id == actor.user_id
    on_route = any(match(mine, list(s.approvers)) for s in stages.values())
    if is_requester or on_route or actor.is_admin:
        can.add(Action.COMMENT.value)
    deciding = [d for d in decisions if d.action in {a.value for a in _DECIDING}]
    last = deciding[-1] if deciding else None
    if request.state == RequestState.PENDING:
        current = next(s for s in stages.values() if s.position == request.current_stage)
        if not is_requester and match(mine, list(current.approvers)):
            held_by_other = current.held_by_id not in (None, actor.user_id)
            if not held_by_other:
                can |= {a.value for a in (Action.APPROVE, Action.REJECT, Action.SEND_BACK)}
                can.add(Action.FORWARD.value)
                can.add(Action.RELEASE.value if current.held_by_id else Action.HOLD.value)
        if last is not None and last.action == Action.APPROVE and last.actor_id == actor.user_id:
            can.add(Action.PULL_BACK.value)
        if is_requester:
            can.add(Action.WITHDRAW.value)
            if last is None or last.action in (Action.SUBMIT, Action.REAPPLY):
                can.add(Action.PULL_BACK.value)
    elif request.state in WITH_REQUESTER and is_requester:
        can |= {Action.REAPPLY.value, Action.WITHDRAW.value}
    return frozenset(can)


_DECIDING = frozenset(
    {
        Action.APPROVE,
        Action.REJECT,
        Action.SEND_BACK,
        Action.PULL_BACK,
        Action.FORWARD,
        Action.SUBMIT,
        Action.REAPPLY,
    }
)


# --- the command line's list ------------------------------------------------------


@dataclass(frozen=True)
class RequestSummary:
    id: int
    subject_kind: str
    subject: str
    customer_code: str | None
    state: str
    stage: int
    stage_name: str
    approvers: tuple[str, ...]  # logins who may decide now, delegates included
    requester: str
    waiting_since: datetime
    due: datetime | None
    overdue: bool


def list_requests(
    db: Database, actor: Actor, now: datetime, mine: bool = False, limit: int | None = None
) -> list[RequestSummary]:
    """Pending requests (only those waiting for ``actor`` with ``mine``),
    most urgent first."""
    if mine:
        rows = inbox_window(db, actor, now, 0, limit or count_inbox(db, actor, now) or 1)
        ids = [row.id for row in rows]
    else:
        with db.read() as session:
            query = (
                select(ApprovalRequest.id)
                .join(
                    ApprovalStage,
                    and_(
                        ApprovalStage.request_id == ApprovalRequest.id,
                        ApprovalStage.position == ApprovalRequest.current_stage,
                    ),
                )
                .where(ApprovalRequest.state == RequestState.PENDING.value)
                .order_by(
                    func.coalesce(ApprovalStage.due_at, literal(_FAR)),
                    ApprovalStage.entered_at,
                    ApprovalRequest.id,
                )
            )
            ids = list(session.scalars(query.limit(limit) if limit else query))
    return _summaries(db, ids, now)


def _summaries(db: Database, ids: list[int], now: datetime) -> list[RequestSummary]:
    with db.read() as session:
        today = now.astimezone().date()
        requests = {
            r.id: r
            for r in session.scalars(select(ApprovalRequest).where(ApprovalRequest.id.in_(ids)))
        }
        result = []
        for request_id in ids:
            request = requests[request_id]
            stage = current_stage_of(request)
            requester = _login(session, request.requester_id) or "?"
            customer = session.get(Customer, request.customer_id) if request.customer_id else None
            result.append(
                RequestSummary(
                    id=request.id,
                    subject_kind=request.subject_kind,
                    subject=request.title,
                    customer_code=customer.code if customer else None,
                    state=request.state,
                    stage=stage.position,
                    stage_name=stage.name,
                    approvers=deciders_now(session, request, stage, today),
                    requester=requester,
                    waiting_since=stage.entered_at or request.created_at,
                    due=stage.due_at,
                    overdue=stage.due_at is not None and stage.due_at < now,
                )
            )
        return result
