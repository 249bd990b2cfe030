"""The event log of the work, as process-mining tools read it.

One row per status change of a work item: the case is the order line (one
run of a process), the activity its step, the resource who acted and the
lifecycle transition in the XES standard's words (``schedule`` when the
step became ready, ``assign``, ``reassign``, ``start``, ``suspend`` and
``resume`` around a block, ``complete``, ``manualskip``). Rows come case by
case, oldest first, streamed from the database in chunks.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from backoffice_tui.services.insight.filters import InsightFilter, resolve
from backoffice_tui.services.insight.stays import at_utc
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Event,
    Order,
    OrderLine,
    Service,
    Team,
    TemplateStep,
    WorkItem,
)

LIFECYCLE = {
    "work_item.ready": "schedule",
    "work_item.claimed": "assign",
    "work_item.assigned": "assign",
    "work_item.released": "reassign",
    "work_item.started": "start",
    "work_item.blocked": "suspend",
    "work_item.unblocked": "resume",
    "work_item.done": "complete",
    "work_item.skipped": "manualskip",
}
COLUMNS = (
    "case_id",
    "activity",
    "timestamp",
    "resource",
    "lifecycle",
    "service",
    "team",
    "work_item",
    "event_id",
)
CHUNK = 5_000


@dataclass(frozen=True)
class ProcessLog:
    columns: tuple[str, ...]
    rows: Iterator[tuple[Any, ...]]


def process_log(
    db: Database,
    *,
    team: str | None = None,
    service: str | None = None,
    template: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> ProcessLog:
    """The log of the work the filter names (every event in time, without
    ``since`` and ``until``); the codes are checked before any row is read."""
    wanted = InsightFilter(team=team, service=service, template=template, since=since, until=until)
    with db.read() as session:
        scope = resolve(session, wanted, utc_now())
    statement = scope.items(
        select(
            Order.code,
            OrderLine.position,
            TemplateStep.name,
            Event.at,
            Event.actor_name,
            Event.kind,
            Service.code,
            Team.code,
            WorkItem.id,
            Event.id,
        )
        .select_from(Event)
        .join(WorkItem, WorkItem.id == Event.entity_id)
        .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
        .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(Team, Team.id == WorkItem.team_id)
        .where(Event.entity == "work_item", Event.kind.in_(tuple(LIFECYCLE)))
        .order_by(WorkItem.order_line_id, Event.at, Event.id)
    )
    if since is not None:
        statement = statement.where(Event.at >= at_utc(scope.start))
    if until is not None:
        statement = statement.where(Event.at < at_utc(scope.end))

    def rows() -> Iterator[tuple[Any, ...]]:
        with db.read() as session:
            for row in session.execute(statement.execution_options(yield_per=CHUNK)):
                order, position, step, at, actor, kind, service_code, team_code, item, event = row
                moment: datetime = at
                yield (
                    f"{order}/{position}",
                    step,
                    moment,
                    actor,
                    LIFECYCLE[kind],
                    service_code,
                    team_code,
                    item,
                    event,
                )

    return ProcessLog(COLUMNS, rows())
