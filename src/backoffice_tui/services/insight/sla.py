"""SLA: which step keeps its time and which breaks it, each team on its own clock.

A step's clock starts when the step was first made ready (a line's first
step: when its order was created) and stops when it is done; it counts
working days (Monday to Friday) against the step's ``sla_days``. So a team
that received its work late is measured from when it received it, not from
the order's date, and a late first team does not make the next look late.

Per step: items finished in the period, how many within their SLA (the hit
rate), how many over and by how much on average; and of the open items,
those that have used 75 % or more of their time (at risk) or all of it
(late), listed with the share used.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.insight.clock import day_number, working_days_after_day
from backoffice_tui.services.insight.filters import (
    STEP_COLUMNS,
    InsightFilter,
    Scope,
    StepKey,
    group_by,
    grouped,
    item_keys,
    items_first,
    matching,
    resolve,
    step_key,
    tuned,
    with_step_of,
)
from backoffice_tui.services.insight.flow import WIP_STATUSES
from backoffice_tui.services.insight.rollup import readied_at, with_stays
from backoffice_tui.services.insight.stays import at_utc
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Order, TemplateStep, User, WorkItem

AT_RISK_PERCENT = 75
AT_RISK_LIST = 200  # the longest list of items at risk a report carries


@dataclass(frozen=True)
class SlaRow:
    step: StepKey
    sla_days: int  # the step's SLA (the highest, when versions differ)
    finished: int
    hit: int
    breached: int
    average_over: float | None  # working days over, of the breaches
    at_risk: int  # open, 75 % or more of the time used, not over
    late: int  # open and already over

    @property
    def hit_rate(self) -> float | None:
        return self.hit / self.finished if self.finished else None


@dataclass(frozen=True)
class RiskItem:
    item_id: int
    order: str
    customer: str
    step: StepKey
    assignee: str | None
    used_days: int
    sla_days: int

    @property
    def percent_used(self) -> int:
        # a step with no days allowed has used all of them once it is ready
        return 100 * self.used_days // self.sla_days if self.sla_days > 0 else 100


@dataclass(frozen=True)
class SlaReport:
    scope: Scope
    rows: tuple[SlaRow, ...]
    at_risk: tuple[RiskItem, ...]  # the most used first, at most AT_RISK_LIST


def finished_facts(scope: Scope) -> Select[*tuple[Any, ...]]:
    """One row per item done in the period, with the working days its step
    took on its own clock and whether that was within the SLA."""
    found = items_first(
        scope.items(
            with_stays(
                select(
                    *item_keys(),
                    day_number(readied_at()).label("ready_day"),
                    day_number(WorkItem.finished_at).label("end_day"),
                )
            ).where(
                WorkItem.status == WorkStatus.DONE.value,
                WorkItem.finished_at >= at_utc(scope.start),
                WorkItem.finished_at < at_utc(scope.end),
            )
        ),
        "finished_clocks",
    )
    clocks = _used(found, found.c.end_day)
    return with_step_of(
        select(
            clocks.c.item_id,
            *STEP_COLUMNS,
            TemplateStep.sla_days.label("sla_days"),
            clocks.c.used,
            case((clocks.c.used <= TemplateStep.sla_days, 1), else_=0).label("hit"),
        ),
        clocks,
    )


def _used(found: Any, end_day: Any) -> Any:
    """``found`` with the working days ``used`` from its ``ready_day`` to
    ``end_day``, counted once per item (a materialised CTE too)."""
    return (
        select(*found.c, working_days_after_day(found.c.ready_day, end_day).label("used"))
        .cte(f"{found.name}_used")
        .prefix_with("MATERIALIZED")
    )


def open_facts(scope: Scope) -> Select[*tuple[Any, ...]]:
    """One row per open item (ready, in progress, blocked) with the working
    days used so far and its state: 1 at risk, 2 late, 0 neither."""
    found = items_first(
        scope.items(
            with_stays(select(*item_keys(), day_number(readied_at()).label("ready_day"))).where(
                WorkItem.status.in_(WIP_STATUSES)
            )
        ),
        "open_clocks",
    )
    clocks = _used(found, day_number(at_utc(scope.now)))
    used = clocks.c.used
    risk = case(
        (used > TemplateStep.sla_days, 2),
        (used * 100 >= TemplateStep.sla_days * AT_RISK_PERCENT, 1),
        else_=0,
    )
    return with_step_of(
        select(
            clocks.c.item_id,
            *STEP_COLUMNS,
            TemplateStep.sla_days.label("sla_days"),
            used,
            risk.label("risk"),
        ),
        clocks,
    )


def _share(used_days: int, sla_days: int) -> int:
    """Thousandths of the time used (``open_figures`` orders by it in SQL)."""
    return used_days * 1000 // sla_days if sla_days > 0 else 1000


def open_figures(scope: Scope) -> CompoundSelect[*tuple[Any, ...]]:
    """The open items' figures in one statement, each item's clock read
    once: a row per step (no ``item_id``) with its ``sla`` and how many are
    ``at_risk`` and ``late``, and a row per item at risk or late (its
    ``sla``, ``used``, order, customer and assignee), at most
    ``AT_RISK_LIST`` of them, the most used."""
    opened = open_facts(scope).cte("open_facts").prefix_with("MATERIALIZED")
    steps = select(
        *grouped(opened),
        func.max(opened.c.sla_days).label("sla"),
        func.sum(case((opened.c.risk == 1, 1), else_=0)).label("at_risk"),
        func.sum(case((opened.c.risk == 2, 1), else_=0)).label("late"),
        cast(null(), BigInteger).label("item_id"),
        cast(null(), Integer).label("used"),
        *(cast(null(), String).label(name) for name in ("order_code", "customer_code", "assignee")),
    ).group_by(*group_by(opened))
    most_used = (
        select(opened)
        .where(opened.c.risk > 0)
        .order_by(
            case(
                (opened.c.sla_days > 0, opened.c.used * 1000 // opened.c.sla_days),
                else_=1000,
            ).desc(),
            opened.c.used.desc(),
            opened.c.item_id,
        )
        .limit(AT_RISK_LIST)
        .subquery("most_used")
    )
    risky = (  # the order, customer and assignee of those few only
        select(
            *(most_used.c[name] for name in ("service", "step", "team", "step_name", "position")),
            most_used.c.sla_days.label("sla"),
            cast(null(), Integer).label("at_risk"),
            cast(null(), Integer).label("late"),
            most_used.c.item_id,
            most_used.c.used,
            Order.code.label("order_code"),
            Customer.code.label("customer_code"),
            User.login.label("assignee"),
        )
        .join(WorkItem, WorkItem.id == most_used.c.item_id)
        .join(Order, Order.id == WorkItem.order_id)
        .join(Customer, Customer.id == WorkItem.customer_id)
        .outerjoin(User, User.id == WorkItem.assignee_id)
    )
    return union_all(steps, risky)


def sla_report(db: Database, wanted: InsightFilter, now: datetime) -> SlaReport:
    with db.read() as session:
        return sla_in(session, resolve(session, wanted, now))


def sla_in(session: Session, scope: Scope) -> SlaReport:
    tuned(session)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def entry(row: Any) -> dict[str, Any]:
        key = (row.service, row.step, row.team)
        found = rows.setdefault(
            key,
            {
                "step": step_key(row),
                "sla": 0,
                "finished": 0,
                "hit": 0,
                "over": None,
                "at_risk": 0,
                "late": 0,
            },
        )
        found["sla"] = max(found["sla"], row.sla)
        return found

    done = finished_facts(scope).subquery()
    for row in session.execute(
        select(
            *grouped(done),
            func.max(done.c.sla_days).label("sla"),
            func.count().label("finished"),
            func.sum(done.c.hit).label("hit"),
            func.avg(case((done.c.hit == 0, done.c.used - done.c.sla_days))).label("over"),
        ).group_by(*group_by(done))
    ):
        found = entry(row)
        found["finished"], found["hit"] = row.finished, int(row.hit or 0)
        found["over"] = float(row.over) if row.over is not None else None

    opened = session.execute(open_figures(scope)).all()
    for row in opened:
        if row.item_id is None:
            found = entry(row)
            found["at_risk"], found["late"] = int(row.at_risk or 0), int(row.late or 0)
    at_risk = tuple(
        sorted(
            (
                RiskItem(
                    item_id=row.item_id,
                    order=row.order_code,
                    customer=row.customer_code,
                    step=step_key(row),
                    assignee=row.assignee,
                    used_days=row.used,
                    sla_days=row.sla,
                )
                for row in opened
                if row.item_id is not None
            ),
            key=lambda item: (
                -_share(item.used_days, item.sla_days),
                -item.used_days,
                item.item_id,
            ),
        )
    )
    report_rows = [
        SlaRow(
            step=values["step"],
            sla_days=values["sla"],
            finished=values["finished"],
            hit=values["hit"],
            breached=values["finished"] - values["hit"],
            average_over=values["over"],
            at_risk=values["at_risk"],
            late=values["late"],
        )
        for values in rows.values()
    ]
    report_rows.sort(key=lambda r: (r.step.service, r.step.position, r.step.team))
    return SlaReport(scope=scope, rows=tuple(report_rows), at_risk=at_risk)


SLA_CELLS = ("finished", "hit", "breached", "at_risk", "late")


def sla_items(
    db: Database, wanted: InsightFilter, now: datetime, step: StepKey, cell: str
) -> Sequence[int]:
    """The ids of the items one cell of the SLA report counts."""
    if cell not in SLA_CELLS:
        raise InvalidInput(f"no SLA cell {cell!r} (one of {', '.join(SLA_CELLS)})")
    with db.read() as session:
        scope = resolve(session, wanted, now)
        if cell in ("at_risk", "late"):
            facts = open_facts(scope).subquery()
            condition = and_(matching(facts, step), facts.c.risk == (1 if cell == "at_risk" else 2))
        else:
            facts = finished_facts(scope).subquery()
            condition = matching(facts, step)
            if cell != "finished":
                condition = and_(condition, facts.c.hit == (1 if cell == "hit" else 0))
        return tuple(
            session.scalars(select(facts.c.item_id).where(condition).order_by(facts.c.item_id))
        )
