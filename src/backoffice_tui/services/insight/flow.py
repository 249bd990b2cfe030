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
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.insight.clock import (
    DAY_ZERO,
    period_day,
    period_start,
    seconds_between,
)
from backoffice_tui.services.insight.filters import (
    GROUP,
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
from backoffice_tui.services.insight.rollup import readied_at, stays_of, with_stays
from backoffice_tui.services.insight.stays import SECONDS_PER_DAY, at_utc
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ProcessTemplate,
    Service,
    Team,
    TemplateStep,
    WorkItem,
)

WIP_STATUSES = (WorkStatus.READY.value, WorkStatus.IN_PROGRESS.value, WorkStatus.BLOCKED.value)
# ageing buckets: upper bounds in days (the last is open-ended)
AGE_BOUNDS = (1, 3, 7, 14)
AGE_LABELS = ("<1d", "1-3d", "3-7d", "7-14d", "14d+")
PARTS = ("cycle", "waiting", "working", "blocked")
# the columns a grouped row names its step by (``filters.grouped``)
GROUP_NAMES = (*GROUP, "step_name", "position")


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
            with_stays(
                select(
                    *item_keys(),
                    WorkItem.status.label("status"),
                    readied_at().label("ready_at"),
                )
            ).where(WorkItem.status.in_(WIP_STATUSES))
        ),
        "open_items",
    )
    age = seconds_between(found.c.ready_at, at_utc(scope.now))
    return with_step_of(
        select(found.c.item_id, *STEP_COLUMNS, found.c.status, age_bucket(age).label("age")),
        found,
    )


def finished_items(scope: Scope) -> Any:
    """The items finished (done) in the period, found first, with what
    their stays and step are read by (all of it in ``ix_work_items_finished``)."""
    return items_first(
        scope.items(
            select(
                *item_keys(),
                WorkItem.position.label("item_position"),
                WorkItem.created_at.label("created_at"),
                WorkItem.finished_at.label("finished_at"),
            ).where(
                WorkItem.status == WorkStatus.DONE.value,
                WorkItem.finished_at >= at_utc(scope.start),
                WorkItem.finished_at < at_utc(scope.end),
            )
        ),
        "finished_items",
    )


def done_facts(scope: Scope) -> Select[*tuple[Any, ...]]:
    """One row per item finished in the period: its step, period, the days
    of its cycle and their parts, and its visits."""
    stays = stays_of(finished_items(scope), scope.now)
    return with_step_of(
        select(
            stays.c.item_id,
            *STEP_COLUMNS,
            period_start(stays.c.finished_at, scope.by).label("period"),
            *_parts(stays),
            stays.c.visits,
        ),
        stays,
    )


def _parts(stays: Any) -> tuple[Any, ...]:
    """The days of an item's cycle and of its parts."""
    return (
        ((stays.c.waiting + stays.c.working + stays.c.blocked) / SECONDS_PER_DAY).label("cycle"),
        *((stays.c[part] / SECONDS_PER_DAY).label(part) for part in PARTS[1:]),
    )


def _step_groups() -> Any:
    """Each template step by id: its service, name and position, and the
    smallest id of the steps of its key in its service's templates, the
    step the finished items are grouped and ranked by, as a number (sorted
    and compared faster than its key)."""
    return (
        select(
            TemplateStep.id.label("step_id"),
            ProcessTemplate.service_id.label("service"),
            func.min(TemplateStep.id)
            .over(partition_by=(ProcessTemplate.service_id, TemplateStep.key))
            .label("step_group"),
            TemplateStep.name.label("step_name"),
            TemplateStep.position.label("position"),
        )
        .join(ProcessTemplate, ProcessTemplate.id == TemplateStep.template_id)
        .subquery("step_groups")
    )


def _done_rows(scope: Scope) -> Select[*tuple[Any, ...]]:
    """``done_facts`` by day for ``done_figures``: the service, step and team
    by number (named once the rows are grouped), without the item's id."""
    stays = stays_of(finished_items(scope), scope.now)
    groups = _step_groups()
    return (
        select(
            groups.c.service,
            groups.c.step_group.label("step"),
            stays.c.team_id.label("team"),
            groups.c.step_name,
            groups.c.position,
            period_day(stays.c.finished_at, scope.by).label("day"),
            *_parts(stays),
            stays.c.visits,
        )
        .select_from(stays)
        .join(groups, groups.c.step_id == stays.c.step_id)
    )


_GroupStep = aliased(TemplateStep)


def _named(rows: Any) -> tuple[Any, ...]:
    """The step columns of grouped ``rows`` whose service, step and team are
    numbers (``_with_names`` joins what names them)."""
    return (
        Service.code.label("service"),
        _GroupStep.key.label("step"),
        Team.code.label("team"),
        rows.c.step_name,
        rows.c.position,
    )


def _with_names(statement: Select[*tuple[Any, ...]], rows: Any) -> Select[*tuple[Any, ...]]:
    return (
        statement.join(Service, Service.id == rows.c.service)
        .join(_GroupStep, _GroupStep.id == rows.c.step)
        .join(Team, Team.id == rows.c.team)
    )


def _count(condition: Any) -> Any:
    return cast(func.sum(case((condition, 1), else_=0)), Integer)


def done_figures(scope: Scope) -> CompoundSelect[*tuple[Any, ...]]:
    """The finished items' figures per step in one statement, each item's
    facts computed once: a row per step and ``day`` (``clock.period_day``)
    with how many were ``done`` then (the throughput, summed by period by
    the caller), and a row per step with no day carrying ``done``,
    ``revisited`` and the medians and 85th percentiles of the parts.

    A percentile is read by nearest rank, ranking only the values that are
    not zero (most items are never blocked, many are started at once): the
    k-th value is the k-th of those ranked when it is below zero, zero when
    k falls among the zeros, and the (k - zeros)-th ranked otherwise."""
    done = _done_rows(scope).cte("done_facts").prefix_with("MATERIALIZED")
    keys = group_by(done)
    per_day = (
        select(
            *grouped(done),
            done.c.day,
            func.count().label("done"),
            _count(done.c.visits > 1).label("revisited"),
            *(_count(done.c[part] == 0).label(f"{part}_zeros") for part in PARTS),
            *(_count(done.c[part] < 0).label(f"{part}_below") for part in PARTS),
        )
        .group_by(*keys, done.c.day)
        .cte("done_days")
    )
    totals = (
        select(
            *grouped(per_day),
            cast(func.sum(per_day.c.done), Integer).label("done"),
            cast(func.sum(per_day.c.revisited), Integer).label("revisited"),
            *(
                cast(func.sum(per_day.c[f"{part}_{what}"]), Integer).label(f"{part}_{what}")
                for part in PARTS
                for what in ("zeros", "below")
            ),
        )
        .group_by(*group_by(per_day))
        .cte("done_totals")
    )
    not_zero = union_all(
        *(
            select(*keys, literal(number).label("part"), done.c[part].label("value")).where(
                done.c[part] != 0
            )
            for number, part in enumerate(PARTS)
        )
    ).subquery("not_zero")

    def target(part: str, percent: int) -> Any:
        wanted = (totals.c.done * percent + 99) // 100
        below, zeros = totals.c[f"{part}_below"], totals.c[f"{part}_zeros"]
        # 0 (no rank) when the value is one of the zeros
        return case((wanted <= below, wanted), (wanted <= below + zeros, 0), else_=wanted - zeros)

    # per step and part, the two ranks wanted
    targets = (
        union_all(
            *(
                select(
                    *(totals.c[name] for name in GROUP),
                    literal(number).label("part"),
                    target(part, 50).label("rank_50"),
                    target(part, 85).label("rank_85"),
                )
                for number, part in enumerate(PARTS)
            )
        )
        .cte("targets")
        .prefix_with("MATERIALIZED")
    )
    # each value ranked beside the ranks wanted, and only those kept
    ranked = (
        select(
            not_zero.c.value,
            targets,
            func.row_number()
            .over(partition_by=(*group_by(not_zero), not_zero.c.part), order_by=not_zero.c.value)
            .label("rank"),
        )
        .select_from(not_zero)
        .join(
            targets,
            # "+ 0": no index on the many values (SQLite would make one), only on the targets
            and_(*(targets.c[name] == not_zero.c[name] + 0 for name in (*GROUP, "part"))),
        )
        .subquery("ranked")
    )
    picked = (
        select(
            *(ranked.c[name] for name in (*GROUP, "part")),
            *(
                func.max(
                    case((ranked.c.rank == ranked.c[f"rank_{percent}"], ranked.c.value))
                ).label(f"p{percent}")
                for percent in (50, 85)
            ),
        )
        .where((ranked.c.rank == ranked.c.rank_50) | (ranked.c.rank == ranked.c.rank_85))
        .group_by(*(ranked.c[name] for name in (*GROUP, "part")))
        .subquery("picked")
    )

    def pick(number: int, part: str, percent: int) -> Any:
        value = func.max(case((picked.c.part == number, picked.c[f"p{percent}"])))
        return func.coalesce(value, 0.0).label(f"{part}_p{percent}")

    summary = _with_names(
        select(
            *_named(totals),
            cast(null(), Integer).label("day"),
            totals.c.done,
            totals.c.revisited,
            *(
                pick(number, part, percent)
                for number, part in enumerate(PARTS)
                for percent in (50, 85)
            ),
        ).select_from(totals),
        totals,
    )
    summary = summary.outerjoin(
        picked, and_(*(picked.c[name] == totals.c[name] for name in GROUP))
    ).group_by(*_named(totals), totals.c.done, totals.c.revisited)
    through = _with_names(
        select(
            *_named(per_day),
            per_day.c.day,
            per_day.c.done,
            per_day.c.revisited,
            *(
                cast(null(), Float).label(f"{part}_p{percent}")
                for part in PARTS
                for percent in (50, 85)
            ),
        ).select_from(per_day),
        per_day,
    )
    return union_all(summary, through)


def _period_name(day: date, by: str) -> str:
    """The period ``day`` is in, named as ``clock.period_start`` names it."""
    first = day.replace(day=1) if by == "month" else day - timedelta(days=day.weekday())
    return first.isoformat()


def period_of_day(day: int, by: str) -> str:
    """The period (``clock.period_start``'s name) of a ``clock.day_number``."""
    return _period_name(DAY_ZERO + timedelta(days=day), by)


def period_labels(scope: Scope) -> tuple[str, ...]:
    """Every week (its Monday) or month (its first day) the period touches,
    oldest first, named as ``clock.period_start`` names them."""
    labels: list[str] = []
    day = scope.first_day
    while day <= scope.last_day:
        label = _period_name(day, scope.by)
        if not labels or labels[-1] != label:
            labels.append(label)
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
    tuned(session)
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

    figures = session.execute(done_figures(scope)).all()
    index = {label: i for i, label in enumerate(periods)}
    for row in figures:  # a step's own row first, as it names the step
        if row.day is None:
            entry(row)["done"] = row
    for row in figures:
        if row.day is not None:
            position = index.get(period_of_day(row.day, scope.by))
            if position is not None:
                entry(row)["throughput"][position] += row.done

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
