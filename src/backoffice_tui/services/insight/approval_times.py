"""Approvals: how long each stage takes to decide, and who decides.

- **Lead time per stage** (by stage name): for every decision on a stage
  in the period (approve, reject, send back), the time since the stage
  became current: the request was opened or re-applied, or the stage
  before it approved. Median and 85th percentile (nearest rank), in hours.
- **Decisions per approver**: approvals, rejections and send-backs, and how
  many of them were made for someone else under a delegation.

The team, service and template of a report narrow it to requests about
their work items; without them every request counts.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.approvals import Action
from backoffice_tui.services.insight.clock import seconds_between
from backoffice_tui.services.insight.filters import InsightFilter, Scope, resolve
from backoffice_tui.services.insight.flow import Spread
from backoffice_tui.services.insight.stays import at_utc, nearest_rank
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    User,
    WorkItem,
)

DECISIONS = (Action.APPROVE.value, Action.REJECT.value, Action.SEND_BACK.value)
# what makes a stage current: its request (re)starting, or the stage before approving
_RESTARTS = (Action.SUBMIT.value, Action.REAPPLY.value, Action.SEND_BACK.value)
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class StageTimes:
    stage: str
    decisions: int
    hours: Spread


@dataclass(frozen=True)
class ApproverDecisions:
    approver: str
    approved: int
    rejected: int
    sent_back: int
    delegated: int  # of these, made for someone else under a delegation

    @property
    def total(self) -> int:
        return self.approved + self.rejected + self.sent_back


@dataclass(frozen=True)
class ApprovalReport:
    scope: Scope
    stages: tuple[StageTimes, ...]
    approvers: tuple[ApproverDecisions, ...]

    @property
    def delegated_share(self) -> float | None:
        total = sum(a.total for a in self.approvers)
        return sum(a.delegated for a in self.approvers) / total if total else None


def _decisions(scope: Scope) -> Any:
    """The decisions of the period (narrowed to the scope's work items when
    the scope names a team, service or template), each with the moment its
    stage became current."""
    earlier = aliased(ApprovalDecision)
    became_current = (
        select(func.max(earlier.at))
        .where(
            earlier.request_id == ApprovalDecision.request_id,
            earlier.id < ApprovalDecision.id,
            or_(
                earlier.action.in_(_RESTARTS),
                and_(
                    earlier.action == Action.APPROVE.value,
                    earlier.stage_id != ApprovalDecision.stage_id,
                ),
            ),
        )
        .scalar_subquery()
    )
    statement = (
        select(
            ApprovalDecision.id.label("decision_id"),
            ApprovalDecision.action,
            ApprovalDecision.on_behalf_of_id,
            ApprovalStage.name.label("stage"),
            User.login.label("approver"),
            seconds_between(
                func.coalesce(became_current, ApprovalRequest.created_at), ApprovalDecision.at
            ).label("seconds"),
        )
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalDecision.request_id)
        .join(ApprovalStage, ApprovalStage.id == ApprovalDecision.stage_id)
        .join(User, User.id == ApprovalDecision.actor_id)
        .where(
            ApprovalDecision.action.in_(DECISIONS),
            ApprovalDecision.at >= at_utc(scope.start),
            ApprovalDecision.at < at_utc(scope.end),
        )
    )
    if scope.team_id is not None or scope.service_id is not None or scope.template_ids:
        statement = statement.where(
            ApprovalRequest.subject_kind == "work_item",
            ApprovalRequest.subject_id.in_(scope.items(select(WorkItem.id))),
        )
    return statement.subquery("decided")


def approval_report(db: Database, wanted: InsightFilter, now: datetime) -> ApprovalReport:
    with db.read() as session:
        return approvals_in(session, resolve(session, wanted, now))


def approvals_in(session: Session, scope: Scope) -> ApprovalReport:
    decided = _decisions(scope)
    ranked = select(
        decided,
        func.count().over(partition_by=decided.c.stage).label("n"),
        func.row_number()
        .over(partition_by=decided.c.stage, order_by=(decided.c.seconds, decided.c.decision_id))
        .label("rank"),
    ).subquery()

    def pick(percent: int) -> Any:
        return func.max(
            case(
                (
                    nearest_rank(percent, ranked.c.rank, ranked.c.n),
                    ranked.c.seconds / SECONDS_PER_HOUR,
                )
            )
        )

    stages = tuple(
        StageTimes(row.stage, row.decisions, Spread(float(row.p50), float(row.p85)))
        for row in session.execute(
            select(
                ranked.c.stage,
                func.count().label("decisions"),
                pick(50).label("p50"),
                pick(85).label("p85"),
            )
            .group_by(ranked.c.stage)
            .order_by(ranked.c.stage)
        )
    )
    approvers = tuple(
        ApproverDecisions(
            approver=row.approver,
            approved=row.approved,
            rejected=row.rejected,
            sent_back=row.sent_back,
            delegated=row.delegated,
        )
        for row in session.execute(
            select(
                decided.c.approver,
                func.count().filter(decided.c.action == Action.APPROVE.value).label("approved"),
                func.count().filter(decided.c.action == Action.REJECT.value).label("rejected"),
                func.count().filter(decided.c.action == Action.SEND_BACK.value).label("sent_back"),
                func.count().filter(decided.c.on_behalf_of_id.is_not(None)).label("delegated"),
            )
            .group_by(decided.c.approver)
            .order_by(func.count().desc(), decided.c.approver)
        )
    )
    return ApprovalReport(scope=scope, stages=stages, approvers=approvers)


@dataclass(frozen=True)
class CountedRequest:
    """An approval request a figure of the report counts."""

    id: int
    title: str
    state: str
    decisions: int  # of the figure's decisions, how many are on this request


def _counted(
    scope: Scope, stage: str | None, approver: str | None, delegated: bool
) -> tuple[Any, Any]:
    decided = _decisions(scope)
    where = []
    if stage is not None:
        where.append(decided.c.stage == stage)
    if approver is not None:
        where.append(decided.c.approver == approver)
    if delegated:
        where.append(decided.c.on_behalf_of_id.is_not(None))
    return decided, and_(true(), *where)


def approval_requests(
    db: Database,
    wanted: InsightFilter,
    now: datetime,
    *,
    stage: str | None = None,
    approver: str | None = None,
    delegated: bool = False,
) -> list[CountedRequest]:
    """The requests whose decisions a figure counts: a stage's lead time
    (``stage``), an approver's decisions (``approver``), the decisions made
    under a delegation (``delegated``), or all of them; oldest first."""
    with db.read() as session:
        decided, where = _counted(resolve(session, wanted, now), stage, approver, delegated)
        return [
            CountedRequest(row.id, row.title, row.state, row.decisions)
            for row in session.execute(
                select(
                    ApprovalRequest.id,
                    ApprovalRequest.title,
                    ApprovalRequest.state,
                    func.count().label("decisions"),
                )
                .select_from(decided)
                .join(ApprovalDecision, ApprovalDecision.id == decided.c.decision_id)
                .join(ApprovalRequest, ApprovalRequest.id == ApprovalDecision.request_id)
                .where(where)
                .group_by(ApprovalRequest.id, ApprovalRequest.title, ApprovalRequest.state)
                .order_by(ApprovalRequest.id)
            )
        ]
