"""Reading approvals: my inbox, what I sent, one request whole, and the
list the command line prints."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.approvals import (
    WITH_REQUESTER,
    RequestState,
    StageState,
    describe_rule,
)
from backoffice_tui.domain.errors import NotFound
from backoffice_tui.services.approvals.approvers import Principal, principals
from backoffice_tui.services.approvals.authority import (
    OFFERED,
    Authority,
    Standing,
    awaiting,
    counted_approvals,
    current_stage_of,
    deciders,
)
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    Customer,
    User,
)

_FAR = datetime(9999, 1, 1, tzinfo=UTC)


class InboxSort(StrEnum):
    """The columns the inbox can be sorted by."""

    DUE = "due"
    KIND = "kind"
    TITLE = "title"
    CUSTOMER = "customer"
    REQUESTER = "requester"
    SINCE = "since"

    @property
    def label(self) -> str:
        return {"due": "due time", "title": "subject", "since": "waiting since"}.get(
            self.value, self.value
        )


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


def _inbox_query(
    session: Session, actor: Actor, now: datetime
) -> tuple[Select[int], list[Principal]]:
    mine = _principals(session, actor, now)
    waiting = (
        select(ApprovalStage.id)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStage.request_id)
        .where(awaiting(actor, mine))
    )
    return waiting, mine


def count_inbox(db: Database, actor: Actor, now: datetime) -> int:
    with db.read() as session:
        waiting, _ = _inbox_query(session, actor, now)
        return session.scalar(select(func.count()).select_from(waiting.subquery())) or 0


def inbox_window(
    db: Database,
    actor: Actor,
    now: datetime,
    offset: int = 0,
    limit: int = 100,
    sort: InboxSort = InboxSort.DUE,
    descending: bool = False,
) -> list[InboxRow]:
    """What waits for me, most urgent first: by due time (none last), then
    longest waiting; or by another column, ties in that order; every order
    mirrored with ``descending``."""
    with db.read() as session:
        waiting, mine = _inbox_query(session, actor, now)
        urgency: list[Any] = [
            func.coalesce(ApprovalStage.due_at, literal(_FAR)),
            ApprovalStage.entered_at,
            ApprovalStage.id,
        ]
        if sort == InboxSort.CUSTOMER:
            waiting = waiting.outerjoin(Customer, Customer.id == ApprovalRequest.customer_id)
        elif sort == InboxSort.REQUESTER:
            waiting = waiting.join(User, User.id == ApprovalRequest.requester_id)
        leading: dict[InboxSort, list[Any]] = {
            InboxSort.DUE: [],
            InboxSort.KIND: [ApprovalRequest.subject_kind],
            InboxSort.TITLE: [ApprovalRequest.title],
            InboxSort.CUSTOMER: [func.coalesce(Customer.name, "")],
            InboxSort.REQUESTER: [User.login],
            InboxSort.SINCE: [func.coalesce(ApprovalStage.entered_at, ApprovalRequest.created_at)],
        }
        order = leading[sort] + urgency
        stage_ids = waiting.order_by(*(c.desc() for c in order) if descending else order)
        ids = list(session.scalars(stage_ids.offset(offset).limit(limit)))
        return _rows(session, actor, ids, mine, now)


def _rows(
    session: Session, actor: Actor, stage_ids: list[int], mine: list[Principal], now: datetime
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
    counted = counted_approvals(session, stage_ids)
    result = []
    for stage_id in stage_ids:
        stage, request, code, name, requester_login, held_by, stages = by_stage[stage_id]
        standing = Standing(session, request, stage, counted[stage_id])
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
                via=_via(Authority(standing, actor, mine)),
                state=request.state,
            )
        )
    return result


def _via(authority: Authority) -> str:
    """As whom the reader would approve: "you", the role@team entry, or
    "for <login>" under a delegation."""
    found = authority.approving_as or authority.reach
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
                waiting_on = ", ".join(deciders(session, Standing(session, request, stage), today))
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
    why_not: Mapping[str, str] = field(default_factory=dict)  # the others, and why

    @property
    def current(self) -> StageView:
        return next(s for s in self.stages if s.position == self.current_stage)


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
        counted = counted_approvals(session, list(stage_by_id))
        standing = Standing(session, request, counted=counted[current_stage_of(request).id])
        pending = request.state == RequestState.PENDING
        stages = []
        for stage in request.stages:
            is_current = pending and stage.position == request.current_stage
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
                    deciders=deciders(session, standing, today) if is_current else (),
                    approved_by=tuple(logins.get(c.actor_id, "?") for c in counted[stage.id]),
                )
            )
        authority = Authority(
            standing, actor, principals(session, actor.user_id, actor.login, today)
        )
        refusals = {action: authority.refusal(action) for action in OFFERED}
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
            can=frozenset(a.value for a, refused in refusals.items() if refused is None),
            why_not={a.value: str(refused) for a, refused in refusals.items() if refused},
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
                    approvers=deciders(session, Standing(session, request, stage), today),
                    requester=requester,
                    waiting_since=stage.entered_at or request.created_at,
                    due=stage.due_at,
                    overdue=stage.due_at is not None and stage.due_at < now,
                )
            )
        return result
