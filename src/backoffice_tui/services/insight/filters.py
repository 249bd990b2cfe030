"""What every report is about: a team, a service, a process template and a
period, checked against the database once and then applied as SQL.

``InsightFilter`` is what the operator asks for (codes and names as typed);
``resolve`` turns it into ``Scope`` (ids and UTC bounds), which narrows a
statement over work items without loading any of them.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select, text
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.services.insight.clock import PERIODS
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    OrderLine,
    ProcessTemplate,
    Service,
    Team,
    TemplateStep,
    WorkItem,
)

DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class InsightFilter:
    team: str | None = None  # team code
    service: str | None = None  # service code
    template: str | None = None  # template name or its service's code
    since: date | None = None  # first day of the period (default: 12 weeks back)
    until: date | None = None  # last day of the period (default: today)
    by: str = "week"  # week | month

    def describe(self) -> str:
        parts = []
        if self.team:
            parts.append(f"team {self.team}")
        if self.service:
            parts.append(f"service {self.service}")
        if self.template:
            parts.append(f"template {self.template}")
        if self.since or self.until:
            parts.append(f"{self.since or '…'} to {self.until or 'today'}")
        return "; ".join(parts) or "all work"


@dataclass(frozen=True)
class Scope:
    """A checked filter: ids to match and the period as UTC times
    (``start`` inclusive, ``end`` exclusive), with the moment the report
    is taken (``now``) for what is still open."""

    team_id: int | None
    service_id: int | None
    template_ids: tuple[int, ...] | None
    start: datetime
    end: datetime
    now: datetime
    by: str
    first_day: date
    last_day: date

    def items(self, statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
        """``statement`` (over ``WorkItem``) narrowed to the scope's team,
        service and template."""
        if self.team_id is not None:
            statement = statement.where(WorkItem.team_id == self.team_id)
        if self.template_ids is not None:
            statement = statement.where(
                WorkItem.order_line_id.in_(
                    select(OrderLine.id).where(OrderLine.template_id.in_(self.template_ids))
                )
            )
        elif self.service_id is not None:
            statement = statement.where(
                WorkItem.order_line_id.in_(
                    select(OrderLine.id).where(OrderLine.service_id == self.service_id)
                )
            )
        return statement

    def with_templates(self, template_ids: tuple[int, ...]) -> "Scope":
        return Scope(
            self.team_id,
            self.service_id,
            template_ids,
            self.start,
            self.end,
            self.now,
            self.by,
            self.first_day,
            self.last_day,
        )


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _team_id(session: Session, code: str) -> int:
    found = session.scalar(select(Team.id).where(Team.code == code))
    if found is None:
        known = ", ".join(session.scalars(select(Team.code).order_by(Team.code)))
        raise NotFound(f"no team {code!r} (teams: {known})")
    return found


def _service_id(session: Session, code: str) -> int:
    found = session.scalar(select(Service.id).where(Service.code == code))
    if found is None:
        known = ", ".join(session.scalars(select(Service.code).order_by(Service.code)))
        raise NotFound(f"no service {code!r} (services: {known})")
    return found


def template_versions(session: Session, name: str) -> list[tuple[int, int, int]]:
    """The loaded versions of the template named ``name`` (its name in any
    case, or its service's code): (template id, service id, version), oldest
    first."""
    wanted = name.strip().lower()
    rows = session.execute(
        select(ProcessTemplate.id, ProcessTemplate.service_id, ProcessTemplate.version)
        .join(Service, Service.id == ProcessTemplate.service_id)
        .where((func.lower(ProcessTemplate.name) == wanted) | (Service.code == name.strip()))
        .order_by(ProcessTemplate.service_id, ProcessTemplate.version)
    ).all()
    if not rows:
        known = ", ".join(
            sorted(
                set(session.scalars(select(ProcessTemplate.name).order_by(ProcessTemplate.name)))
            )
        )
        raise NotFound(f"no process template {name!r} (templates: {known})")
    if len({service for _, service, _ in rows}) > 1:
        raise InvalidInput(f"{name!r} names templates of several services; give the service code")
    return [(template_id, service, version) for template_id, service, version in rows]


def resolve(session: Session, wanted: InsightFilter, now: datetime) -> Scope:
    """Check the filter's codes and period, or say what is wrong in one line."""
    if wanted.by not in PERIODS:
        raise InvalidInput(f"--by is {' or '.join(PERIODS)}, not {wanted.by!r}")
    last_day = wanted.until or now.astimezone(UTC).date()
    first_day = wanted.since or last_day - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
    if first_day > last_day:
        raise InvalidInput(f"the period starts ({first_day}) after it ends ({last_day})")
    team_id = _team_id(session, wanted.team) if wanted.team else None
    service_id = _service_id(session, wanted.service) if wanted.service else None
    template_ids: tuple[int, ...] | None = None
    if wanted.template:
        versions = template_versions(session, wanted.template)
        if service_id is not None and versions[0][1] != service_id:
            raise InvalidInput(
                f"template {wanted.template!r} is not a process of service {wanted.service}"
            )
        template_ids = tuple(template_id for template_id, _, _ in versions)
    return Scope(
        team_id=team_id,
        service_id=service_id,
        template_ids=template_ids,
        start=_utc_midnight(first_day),
        end=_utc_midnight(last_day + timedelta(days=1)),
        now=now,
        by=wanted.by,
        first_day=first_day,
        last_day=last_day,
    )


@dataclass(frozen=True)
class StepKey:
    """A step of a process as the reports group it: across the versions
    of a service's template, by the step's key."""

    service: str
    step: str
    name: str
    team: str
    position: int

    @property
    def label(self) -> str:
        return f"{self.service}/{self.step}"


# the columns a per-step statement carries (join ``with_step``) and the ones
# it groups by
STEP_COLUMNS = (
    Service.code.label("service"),
    TemplateStep.key.label("step"),
    Team.code.label("team"),
    TemplateStep.name.label("step_name"),
    TemplateStep.position.label("position"),
)
GROUP = ("service", "step", "team")


def with_step(statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Join a statement over ``WorkItem`` to the item's step, service and team."""
    return (
        statement.join(TemplateStep, TemplateStep.id == WorkItem.step_id)
        .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(Team, Team.id == WorkItem.team_id)
    )


def tuned(session: Session) -> None:
    """Settings for the rest of a report's read transaction, on PostgreSQL:
    no JIT compilation (it takes longer than these statements run) and
    memory enough to sort and hash a period's items without temporary
    files. Nothing to do on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def items_first(statement: Select[*tuple[Any, ...]], name: str) -> Any:
    """``statement`` (over ``WorkItem``, with ``item_id``, ``step_id``,
    ``order_line_id`` and ``team_id`` columns) as a materialised CTE: the
    items are found first (by the indexes on status), whatever the
    planner's statistics say about the small tables joined afterwards."""
    return statement.cte(name).prefix_with("MATERIALIZED")


def item_keys() -> tuple[Any, ...]:
    """The columns ``items_first`` needs of a work item."""
    return (
        WorkItem.id.label("item_id"),
        WorkItem.step_id.label("step_id"),
        WorkItem.order_line_id.label("order_line_id"),
        WorkItem.team_id.label("team_id"),
    )


def with_step_of(statement: Select[*tuple[Any, ...]], found: Any) -> Select[*tuple[Any, ...]]:
    """Join a statement over an ``items_first`` CTE to each item's step,
    service and team."""
    return (
        statement.select_from(found)
        .join(TemplateStep, TemplateStep.id == found.c.step_id)
        .join(OrderLine, OrderLine.id == found.c.order_line_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(Team, Team.id == found.c.team_id)
    )


def grouped(facts: Any) -> tuple[Any, ...]:
    """A facts subquery's step columns as a grouped select names them."""
    return (
        *(facts.c[name] for name in GROUP),
        func.max(facts.c.step_name).label("step_name"),
        func.min(facts.c.position).label("position"),
    )


def group_by(facts: Any) -> tuple[Any, ...]:
    return tuple(facts.c[name] for name in GROUP)


def matching(facts: Any, step: StepKey) -> Any:
    """Rows of a facts subquery about one step."""
    return and_(
        facts.c.service == step.service, facts.c.step == step.step, facts.c.team == step.team
    )


def step_key(row: Any) -> StepKey:
    """The ``StepKey`` of a grouped row with ``service``, ``step``, ``team``,
    ``step_name`` and ``position`` columns."""
    return StepKey(row.service, row.step, row.step_name, row.team, row.position)


@dataclass(frozen=True)
class FilterChoices:
    """What a filter can name: team codes, service codes, template names."""

    teams: tuple[str, ...]
    services: tuple[str, ...]
    templates: tuple[str, ...]


def filter_choices(db: Database) -> FilterChoices:
    with db.read() as session:
        return FilterChoices(
            teams=tuple(session.scalars(select(Team.code).order_by(Team.code))),
            services=tuple(session.scalars(select(Service.code).order_by(Service.code))),
            templates=tuple(
                session.scalars(
                    select(ProcessTemplate.name).distinct().order_by(ProcessTemplate.name)
                )
            ),
        )


def check_filter(db: Database, wanted: InsightFilter, now: datetime) -> InsightFilter:
    """``wanted`` if every report can be read with it; otherwise the
    one-line reason (``InvalidInput`` or ``NotFound``)."""
    with db.read() as session:
        resolve(session, wanted, now)
    return wanted
