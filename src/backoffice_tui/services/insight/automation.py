"""Automation rate: the share of routine transitions that rules did.

A transition is a change of a work item an operator would otherwise make:
claimed, assigned, released, started, done, skipped, blocked, unblocked,
edited (a step made ready by the one before it follows from that one and
is not counted twice). A rule acts as ``rule:<name>``, so its share is read
from the events' actors, per template version, in the period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from backoffice_tui.services.insight.filters import InsightFilter, Scope, resolve
from backoffice_tui.services.insight.stays import at_utc
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event, OrderLine, ProcessTemplate, Service, WorkItem

TRANSITIONS = tuple(
    f"work_item.{kind}"
    for kind in (
        "claimed",
        "assigned",
        "released",
        "started",
        "done",
        "skipped",
        "blocked",
        "unblocked",
        "edited",
    )
)
RULE_ACTOR = "rule:"


@dataclass(frozen=True)
class AutomationRow:
    service: str
    template: str
    version: int
    transitions: int
    by_rules: int

    @property
    def rate(self) -> float | None:
        return self.by_rules / self.transitions if self.transitions else None


@dataclass(frozen=True)
class AutomationReport:
    scope: Scope
    rows: tuple[AutomationRow, ...]

    @property
    def rate(self) -> float | None:
        total = sum(r.transitions for r in self.rows)
        return sum(r.by_rules for r in self.rows) / total if total else None


def _transitions(scope: Scope) -> Any:
    statement = (
        select(
            WorkItem.id.label("item_id"),
            Service.code.label("service"),
            ProcessTemplate.name.label("template"),
            ProcessTemplate.version.label("version"),
            Event.actor_name.startswith(RULE_ACTOR, autoescape=True).label("by_rule"),
        )
        .select_from(Event)
        .join(WorkItem, and_(Event.entity == "work_item", WorkItem.id == Event.entity_id))
        .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
        .join(ProcessTemplate, ProcessTemplate.id == OrderLine.template_id)
        .join(Service, Service.id == ProcessTemplate.service_id)
        .where(
            Event.kind.in_(TRANSITIONS),
            Event.at >= at_utc(scope.start),
            Event.at < at_utc(scope.end),
        )
    )
    return scope.items(statement).subquery("transitions")


def automation_report(db: Database, wanted: InsightFilter, now: datetime) -> AutomationReport:
    with db.read() as session:
        return automation_in(session, resolve(session, wanted, now))


def automation_in(session: Session, scope: Scope) -> AutomationReport:
    moves = _transitions(scope)
    rows = tuple(
        AutomationRow(row.service, row.template, row.version, row.transitions, row.by_rules)
        for row in session.execute(
            select(
                moves.c.service,
                moves.c.template,
                moves.c.version,
                func.count().label("transitions"),
                func.count().filter(moves.c.by_rule).label("by_rules"),
            )
            .group_by(moves.c.service, moves.c.template, moves.c.version)
            .order_by(moves.c.service, moves.c.version)
        )
    )
    return AutomationReport(scope=scope, rows=rows)


def automated_items(
    db: Database, wanted: InsightFilter, now: datetime, service: str, version: int
) -> Sequence[int]:
    """The ids of the items of one template version that rules changed."""
    with db.read() as session:
        moves = _transitions(resolve(session, wanted, now))
        return tuple(
            session.scalars(
                select(moves.c.item_id)
                .where(moves.c.service == service, moves.c.version == version, moves.c.by_rule)
                .distinct()
                .order_by(moves.c.item_id)
            )
        )
