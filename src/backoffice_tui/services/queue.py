"""Reading the work queue: filtered, sorted, a window at a time."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Customer,
    Order,
    OrderLine,
    Service,
    Team,
    TemplateStep,
    User,
    WorkItem,
)


@dataclass(frozen=True)
class QueueFilter:
    team: str | None = None
    assignee: str | None = None  # a login, "me", or "none" for unassigned
    statuses: tuple[WorkStatus, ...] = field(default_factory=lambda: tuple(OPEN_STATUSES))
    overdue: bool = False
    customer: str | None = None  # customer code


@dataclass(frozen=True)
class QueueRow:
    id: int
    customer_code: str
    customer_name: str
    order_code: str
    service: str
    step: str
    team: str
    assignee: str | None
    status: str
    priority: int
    due: date
    version: int


Assignee = aliased(User)


def _base_query() -> Select[tuple[object, ...]]:
    return (
        select(
            WorkItem.id,
            Customer.code,
            Customer.name,
            Order.code,
            Service.name,
            TemplateStep.name,
            Team.code,
            Assignee.login,
            WorkItem.status,
            WorkItem.priority,
            WorkItem.due_on,
            WorkItem.version,
        )
        .join(Customer, Customer.id == WorkItem.customer_id)
        .join(Order, Order.id == WorkItem.order_id)
        .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
        .join(Team, Team.id == WorkItem.team_id)
        .outerjoin(Assignee, Assignee.id == WorkItem.assignee_id)
    )


def _to_row(row: tuple[object, ...]) -> QueueRow:
    return QueueRow(*row)  # type: ignore[arg-type]


def list_queue(
    db: Database,
    actor: Actor,
    queue_filter: QueueFilter,
    *,
    today: date,
    limit: int = 50,
    after: tuple[date, int] | None = None,
) -> list[QueueRow]:
    """Items matching the filter, earliest due first, ``limit`` at most.

    ``after`` is the (due, id) of the last row already shown: the next window
    starts right after it, so a page costs the same at any depth.
    """
    with db.read() as session:
        conditions = []
        if queue_filter.team:
            team_id = session.scalar(select(Team.id).where(Team.code == queue_filter.team))
            if team_id is None:
                raise NotFound(f"no team {queue_filter.team!r}")
            conditions.append(WorkItem.team_id == team_id)
        if queue_filter.assignee:
            if queue_filter.assignee == "none":
                conditions.append(WorkItem.assignee_id.is_(None))
            else:
                login = actor.login if queue_filter.assignee == "me" else queue_filter.assignee
                user_id = session.scalar(select(User.id).where(User.login == login))
                if user_id is None:
                    raise NotFound(f"no user {login!r}")
                conditions.append(WorkItem.assignee_id == user_id)
        if queue_filter.customer:
            customer_id = session.scalar(
                select(Customer.id).where(Customer.code == queue_filter.customer)
            )
            if customer_id is None:
                raise NotFound(f"no customer {queue_filter.customer!r}")
            conditions.append(WorkItem.customer_id == customer_id)
        statuses = queue_filter.statuses or tuple(WorkStatus)
        if queue_filter.overdue:
            statuses = tuple(s for s in statuses if s.is_open)
            conditions.append(WorkItem.due_on < today)
        conditions.append(WorkItem.status.in_([s.value for s in statuses]))
        if after is not None:
            due, item_id = after
            conditions.append(
                or_(WorkItem.due_on > due, and_(WorkItem.due_on == due, WorkItem.id > item_id))
            )
        query = _base_query().where(*conditions).order_by(WorkItem.due_on, WorkItem.id).limit(limit)
        return [_to_row(tuple(r)) for r in session.execute(query)]


def get_queue_row(db: Database, item_id: int) -> QueueRow:
    with db.read() as session:
        row = session.execute(_base_query().where(WorkItem.id == item_id)).first()
        if row is None:
            raise NotFound(f"no work item {item_id}")
        return _to_row(tuple(row))
