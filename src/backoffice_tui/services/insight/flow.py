"""Flow: where work waits and for how long, per template step and team.

- **Work in progress**: open items that are ready, in progress or blocked.
- **Ageing**: those open items by how long ago they were first made ready.
- **Throughput**: items finished (done) per week or month of the period.
- **Cycle time** of the items finished in the period, from first ready to
  done: median and 85th percentile (nearest rank) of the whole and of its
  parts, waiting, working and blocked (``stays``), every visit counted;
  ``revisited`` is how many of them were started more than once. The
  times are read from ``work_item_stays`` (``rollup``), kept as the
  events are written, not replayed from the events.

Every figure is counted by SQL; ``flow_items`` returns the ids of exactly
the items one cell counts, from the same statements.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.insight.clock import period_start, seconds_between
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
    with_step,
    with_step_of,
)
from backoffice_tui.services.insight.rollup import current_stays, readied_at
from backoffice_tui.services.insight.stays import SECONDS_PER_DAY, at_utc, nearest_rank
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import WorkItem

WIP_STATUSES = (WorkStatus.READY.value, WorkStatus.IN_PROGRESS.value, WorkStatus.BLOCKED.value)
# ageing buckets: upper bounds in days (the last is open-ended)
AGE_BOUNDS = (1, 3, 7, 14)
AGE_LABELS = ("<1d", "1-3d", "3-7d", "7-14d", "14d+")
PARTS = ("cycle", "waiting", "working", "blocked")


@dataclass(frozen=True)
class Spread:
    """Median and 85th percentile, in days."""

    median: float
    p85: float


@dataclass(frozen=True)
class FlowRow:
    step: StepKey
    ready: int
    in_progress: int
    blocked: int
    ageing: tuple[int, ...]  # one count per AGE_LABELS
    throughput: tuple[int, ...]  # one count per period of the report
    done: int
    revisited: int
    cycle: Spread | None  # None when nothing was finished in the period
    waiting: Spread | None
    working: Spread | None
    blocked_time: Spread | None

    @property
    def wip(self) -> int:
        return self.ready + self.in_progress + self.blocked


@dataclass(frozen=True)
class FlowReport:
    scope: Scope
    periods: tuple[str, ...]  # first day of each week or month, oldest first
    rows: tuple[FlowRow, ...]


# --- the statements ----------------------------------------------------------------


def age_bucket(age_seconds: Any) -> Any:
    return case(
        *((age_seconds < bound * SECONDS_PER_DAY, index) for index, bound in enumerate(AGE_BOUNDS)),
        else_=len(AGE_BOUNDS),
    )


def open_facts(scope: Scope) -> Select[*tuple[Any, ...]]:
    """One row per open item in progress, ready or blocked: its step, status
    and ageing bucket."""
    found = items_first(
        scope.items(
            select(
                *item_keys(),
                WorkItem.status.label("status"),
                readied_at().label("ready_at"),
            ).where(WorkItem.status.in_(WIP_STATUSES))
        ),
        "open_items",
    )
    age = seconds_between(found.c.ready_at, at_utc(scope.now))
    return with_step_of(
        select(found.c.item_id, *STEP_COLUMNS, found.c.status, age_bucket(age).label("age")),
        found,
    )


def finished_ids(scope: Scope) -> Select[*tuple[Any, ...]]:
    """The ids of the items finished (done) in the period."""
    return scope.items(
        select(WorkItem.id).where(
            WorkItem.status == WorkStatus.DONE.value,
            WorkItem.finished_at >= at_utc(scope.start),
            WorkItem.finished_at < at_utc(scope.end),
        )
    )


def done_facts(scope: Scope) -> Select[*tuple[Any, ...]]:
    """One row per item finished in the period: its step, period, the days
    of its cycle and their parts, and its visits."""
    stays = current_stays(finished_ids(scope), scope.now)
    return with_step(
        select(
            stays.c.item_id,
            *STEP_COLUMNS,
            period_start(WorkItem.finished_at, scope.by).label("period"),
            ((stays.c.waiting + stays.c.working + stays.c.blocked) / SECONDS_PER_DAY).label(
                "cycle"
            ),
            (stays.c.waiting / SECONDS_PER_DAY).label("waiting"),
            (stays.c.working / SECONDS_PER_DAY).label("working"),
            (stays.c.blocked / SECONDS_PER_DAY).label("blocked"),
            stays.c.visits,
        ).join(WorkItem, WorkItem.id == stays.c.item_id)
    )


def period_labels(scope: Scope) -> tuple[str, ...]:
    """Every week (its Monday) or month (its first day) the period touches,
    oldest first, named as ``clock.period_start`` names them."""
    labels: list[str] = []
    day = scope.first_day
    while day <= scope.last_day:
        label = day.replace(day=1) if scope.by == "month" else day - timedelta(days=day.weekday())
        if not labels or labels[-1] != label.isoformat():
            labels.append(label.isoformat())
        day += timedelta(days=1)
    return tuple(labels)


# --- the report -----------------------------------------------------------------------


def _spread(row: Any, part: str) -> Spread | None:
    median = getattr(row, f"{part}_p50")
    if median is None:
        return None
    return Spread(float(median), float(getattr(row, f"{part}_p85")))


def flow_report(db: Database, wanted: InsightFilter, now: datetime) -> FlowReport:
    with db.read() as session:
        return flow_in(session, resolve(session, wanted, now))


def flow_in(session: Session, scope: Scope) -> FlowReport:
    """The flow report of a checked scope, inside the caller's read."""
    periods = period_labels(scope)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def entry(row: Any) -> dict[str, Any]:
        key = (row.service, row.step, row.team)
        if key not in rows:
            rows[key] = {
                "step": step_key(row),
                "status": {},
                "ageing": [0] * len(AGE_LABELS),
                "throughput": [0] * len(periods),
                "done": None,
            }
        return rows[key]

    opened = open_facts(scope).subquery()
    for row in session.execute(
        select(
            *grouped(opened),
            opened.c.status,
            opened.c.age,
            func.count().label("items"),
        ).group_by(*group_by(opened), opened.c.status, opened.c.age)
    ):
        found = entry(row)
        found["status"][row.status] = found["status"].get(row.status, 0) + row.items
        found["ageing"][row.age] += row.items

    # each item's parts computed once, then ranked four ways
    done = done_facts(scope).cte("done_facts").prefix_with("MATERIALIZED")
    partition = group_by(done)
    ranked = select(
        done,
        func.count().over(partition_by=partition).label("n"),
        *(
            func.row_number()
            .over(partition_by=partition, order_by=(done.c[part], done.c.item_id))
            .label(f"{part}_rank")
            for part in PARTS
        ),
    ).subquery()
    picks = []
    for part in PARTS:
        for percent in (50, 85):
            picks.append(
                func.max(
                    case(
                        (
                            nearest_rank(percent, ranked.c[f"{part}_rank"], ranked.c.n),
                            ranked.c[part],
                        )
                    )
                ).label(f"{part}_p{percent}")
            )
    for row in session.execute(
        select(
            *grouped(ranked),
            func.count().label("done"),
            func.sum(case((ranked.c.visits > 1, 1), else_=0)).label("revisited"),
            *picks,
        ).group_by(*group_by(ranked))
    ):
        entry(row)["done"] = row

    finished = items_first(
        scope.items(
            select(
                *item_keys(), period_start(WorkItem.finished_at, scope.by).label("period")
            ).where(
                WorkItem.status == WorkStatus.DONE.value,
                WorkItem.finished_at >= at_utc(scope.start),
                WorkItem.finished_at < at_utc(scope.end),
            )
        ),
        "finished_items",
    )
    through = with_step_of(select(*STEP_COLUMNS, finished.c.period), finished).subquery()
    index = {label: i for i, label in enumerate(periods)}
    for row in session.execute(
        select(
            *grouped(through),
            through.c.period,
            func.count().label("items"),
        ).group_by(*group_by(through), through.c.period)
    ):
        position = index.get(row.period)
        if position is not None:
            entry(row)["throughput"][position] += row.items

    report_rows = []
    for values in rows.values():
        done_row = values["done"]
        status = values["status"]
        report_rows.append(
            FlowRow(
                step=values["step"],
                ready=status.get(WorkStatus.READY.value, 0),
                in_progress=status.get(WorkStatus.IN_PROGRESS.value, 0),
                blocked=status.get(WorkStatus.BLOCKED.value, 0),
                ageing=tuple(values["ageing"]),
                throughput=tuple(values["throughput"]),
                done=done_row.done if done_row else 0,
                revisited=int(done_row.revisited or 0) if done_row else 0,
                cycle=_spread(done_row, "cycle") if done_row else None,
                waiting=_spread(done_row, "waiting") if done_row else None,
                working=_spread(done_row, "working") if done_row else None,
                blocked_time=_spread(done_row, "blocked") if done_row else None,
            )
        )
    report_rows.sort(key=lambda r: (r.step.service, r.step.position, r.step.team))
    return FlowReport(scope=scope, periods=periods, rows=tuple(report_rows))


# --- drilling down --------------------------------------------------------------------

FLOW_CELLS = ("wip", "ready", "in_progress", "blocked", "done", "revisited")


def flow_items(
    db: Database, wanted: InsightFilter, now: datetime, step: StepKey, cell: str
) -> Sequence[int]:
    """The ids of the items one cell of the flow report counts: ``cell`` is
    one of ``FLOW_CELLS``, ``age:N`` (an ageing bucket) or ``period:DAY``
    (the throughput of the week or month starting that day)."""
    with db.read() as session:
        scope = resolve(session, wanted, now)
        if cell in ("wip", "ready", "in_progress", "blocked") or cell.startswith("age:"):
            facts = open_facts(scope).subquery()
            condition = matching(facts, step)
            if cell.startswith("age:"):
                condition = and_(condition, facts.c.age == _bucket_number(cell))
            elif cell != "wip":
                condition = and_(condition, facts.c.status == cell)
        elif cell in ("done", "revisited") or cell.startswith("period:"):
            facts = done_facts(scope).subquery()
            condition = matching(facts, step)
            if cell == "revisited":
                condition = and_(condition, facts.c.visits > 1)
            elif cell.startswith("period:"):
                condition = and_(condition, facts.c.period == cell.removeprefix("period:"))
        else:
            raise InvalidInput(f"no flow cell {cell!r}")
        return tuple(
            session.scalars(select(facts.c.item_id).where(condition).order_by(facts.c.item_id))
        )


def _bucket_number(cell: str) -> int:
    text = cell.removeprefix("age:")
    if not text.isdigit() or int(text) >= len(AGE_LABELS):
        raise InvalidInput(f"no ageing bucket {text!r} (0 to {len(AGE_LABELS) - 1})")
    return int(text)
