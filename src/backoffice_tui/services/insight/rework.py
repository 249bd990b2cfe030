"""Rework: work that went round again, per template step, in the period.

- **send-backs**: an approval of the step sent back (to the requester or
  an earlier stage);
- **returned handoffs**: the step's handoff returned by the receiving team;
- **reassignments**: the step given from one person to another by a lead
  (an assignment that replaced an assignee) or given back to the team
  (released).

Each is counted once per time it happened; ``items`` is how many items had
any of it, and ``rework_items`` lists exactly those.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import Action
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.services.insight.filters import (
    STEP_COLUMNS,
    InsightFilter,
    Scope,
    StepKey,
    group_by,
    grouped,
    matching,
    resolve,
    step_key,
    with_step,
)
from backoffice_tui.services.insight.stays import RELEASED, at_utc
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    Event,
    Handoff,
    WorkItem,
)

KINDS = ("send_backs", "returned_handoffs", "reassignments")
ASSIGNED = "work_item.assigned"
HANDOFF_RETURNED = "handoff.returned"


@dataclass(frozen=True)
class ReworkRow:
    step: StepKey
    send_backs: int
    returned_handoffs: int
    reassignments: int
    items: int  # items with any rework

    @property
    def total(self) -> int:
        return self.send_backs + self.returned_handoffs + self.reassignments


@dataclass(frozen=True)
class ReworkReport:
    scope: Scope
    rows: tuple[ReworkRow, ...]


def _happenings(scope: Scope) -> Any:
    """Every send-back, returned handoff and reassignment in the period:
    (work item id, kind)."""
    start, end = at_utc(scope.start), at_utc(scope.end)
    send_backs = (
        select(WorkItem.id.label("item_id"), literal("send_backs").label("kind"))
        .select_from(ApprovalDecision)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalDecision.request_id)
        .join(
            WorkItem,
            and_(
                ApprovalRequest.subject_kind == "work_item",
                WorkItem.id == ApprovalRequest.subject_id,
            ),
        )
        .where(
            ApprovalDecision.action == Action.SEND_BACK.value,
            ApprovalDecision.at >= start,
            ApprovalDecision.at < end,
        )
    )
    returns = (
        select(WorkItem.id.label("item_id"), literal("returned_handoffs").label("kind"))
        .select_from(Event)
        .join(Handoff, and_(Event.entity == "handoff", Handoff.id == Event.entity_id))
        .join(WorkItem, WorkItem.id == Handoff.work_item_id)
        .where(Event.kind == HANDOFF_RETURNED, Event.at >= start, Event.at < end)
    )
    moves = (
        select(WorkItem.id.label("item_id"), literal("reassignments").label("kind"))
        .select_from(Event)
        .join(WorkItem, and_(Event.entity == "work_item", WorkItem.id == Event.entity_id))
        .where(
            or_(
                Event.kind == RELEASED,
                and_(
                    Event.kind == ASSIGNED,
                    Event.payload["previous_assignee"].as_string().is_not(None),
                ),
            ),
            Event.at >= start,
            Event.at < end,
        )
    )
    return union_all(scope.items(send_backs), scope.items(returns), scope.items(moves)).subquery(
        "happenings"
    )


def rework_facts(scope: Scope) -> Select[*tuple[Any, ...]]:
    happened = _happenings(scope)
    return with_step(
        select(happened.c.item_id, happened.c.kind, *STEP_COLUMNS)
        .select_from(happened)
        .join(WorkItem, WorkItem.id == happened.c.item_id)
    )


def rework_report(db: Database, wanted: InsightFilter, now: datetime) -> ReworkReport:
    with db.read() as session:
        return rework_in(session, resolve(session, wanted, now))


def rework_in(session: Session, scope: Scope) -> ReworkReport:
    facts = rework_facts(scope).subquery()
    counts = {kind: func.count().filter(facts.c.kind == kind).label(kind) for kind in KINDS}
    rows = [
        ReworkRow(
            step=step_key(row),
            send_backs=row.send_backs,
            returned_handoffs=row.returned_handoffs,
            reassignments=row.reassignments,
            items=row.items,
        )
        for row in session.execute(
            select(
                *grouped(facts),
                *counts.values(),
                func.count(func.distinct(facts.c.item_id)).label("items"),
            ).group_by(*group_by(facts))
        )
    ]
    rows.sort(key=lambda r: (r.step.service, r.step.position, r.step.team))
    return ReworkReport(scope=scope, rows=tuple(rows))


REWORK_CELLS = ("items", *KINDS)


def rework_items(
    db: Database, wanted: InsightFilter, now: datetime, step: StepKey, cell: str
) -> Sequence[int]:
    """The ids of the items one cell of the rework report counts."""
    if cell not in REWORK_CELLS:
        raise InvalidInput(f"no rework cell {cell!r} (one of {', '.join(REWORK_CELLS)})")
    with db.read() as session:
        facts = rework_facts(resolve(session, wanted, now)).subquery()
        condition = matching(facts, step)
        if cell != "items":
            condition = and_(condition, facts.c.kind == cell)
        return tuple(
            session.scalars(
                select(facts.c.item_id).where(condition).distinct().order_by(facts.c.item_id)
            )
        )
