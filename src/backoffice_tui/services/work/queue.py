"""Reading the work queue: filtered, sorted, a window at a time."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.domain.text import search_key
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Customer,
    Order,
    OrderLine,
    Service,
    Team,
    TeamMembership,
    TemplateStep,
    User,
    WorkItem,
)


class QueueSort(StrEnum):
    DUE = "due"
    PRIORITY = "priority"
    NEWEST = "newest"
    ID = "id"
    CUSTOMER = "customer"
    ORDER = "order"
    SERVICE = "service"
    STEP = "step"
    TEAM = "team"
    ASSIGNEE = "assignee"
    STATUS = "status"

    @property
    def label(self) -> str:
        return _SORT_LABELS.get(self.value, self.value)

    @property
    def column(self) -> str:
        """The queue column this sort orders by."""
        return "id" if self is QueueSort.NEWEST else self.value


_SORT_LABELS = {"due": "due date", "newest": "newest first", "id": "ID", "order": "order code"}

# the lifecycle order of the statuses, for sorting by status
_STATUS_RANK = {status.value: rank for rank, status in enumerate(WorkStatus)}


def status_rank(status: str) -> int:
    """Where a status stands in the lifecycle (sorting by status)."""
    return _STATUS_RANK.get(status, len(_STATUS_RANK))


_STATUS_ORDER = case(_STATUS_RANK, value=WorkItem.status, else_=len(_STATUS_RANK))

Assignee = aliased(User)
_ASSIGNEE_LOGIN = func.coalesce(Assignee.login, "")

# Each sort is a column tuple ending in the id, so that it is a total order
# and a window can start right after the last row already shown.
_SORT_COLUMNS: dict[QueueSort, tuple[tuple[Any, bool], ...]] = {
    QueueSort.DUE: ((WorkItem.due_on, False), (WorkItem.id, False)),
    QueueSort.PRIORITY: (
        (WorkItem.priority, False),
        (WorkItem.due_on, False),
        (WorkItem.id, False),
    ),
    QueueSort.NEWEST: ((WorkItem.id, True),),
    QueueSort.ID: ((WorkItem.id, False),),
    QueueSort.CUSTOMER: ((Customer.name, False), (WorkItem.id, False)),
    QueueSort.ORDER: ((Order.code, False), (WorkItem.id, False)),
    QueueSort.SERVICE: ((Service.name, False), (WorkItem.id, False)),
    QueueSort.STEP: ((TemplateStep.name, False), (WorkItem.id, False)),
    QueueSort.TEAM: ((Team.code, False), (WorkItem.id, False)),
    QueueSort.ASSIGNEE: ((_ASSIGNEE_LOGIN, False), (WorkItem.id, False)),
    QueueSort.STATUS: ((_STATUS_ORDER, False), (WorkItem.due_on, False), (WorkItem.id, False)),
}

# the tables a sort reads besides the work items: (table, on, outer)
_SORT_JOINS: dict[QueueSort, tuple[tuple[Any, Any, bool], ...]] = {
    QueueSort.CUSTOMER: ((Customer, Customer.id == WorkItem.customer_id, False),),
    QueueSort.ORDER: ((Order, Order.id == WorkItem.order_id, False),),
    QueueSort.SERVICE: (
        (OrderLine, OrderLine.id == WorkItem.order_line_id, False),
        (Service, Service.id == OrderLine.service_id, False),
    ),
    QueueSort.STEP: ((TemplateStep, TemplateStep.id == WorkItem.step_id, False),),
    QueueSort.TEAM: ((Team, Team.id == WorkItem.team_id, False),),
    QueueSort.ASSIGNEE: ((Assignee, Assignee.id == WorkItem.assignee_id, True),),
}


def _joined(query: Select[Any], sort: QueueSort) -> Select[Any]:
    for table, on, outer in _SORT_JOINS.get(sort, ()):
        query = query.join(table, on, isouter=outer)
    return query


@dataclass(frozen=True)
class QueueFilter:
    team: str | None = None
    assignee: str | None = None  # a login, "me", or "none" for unassigned
    statuses: tuple[WorkStatus, ...] = field(default_factory=lambda: tuple(OPEN_STATUSES))
    overdue: bool = False
    customer: str | None = None  # customer code
    # customer code, name or reading, order code or title, step or its own
    # title, or the value of a column an imported file added to the customer,
    # order or item
    text: str | None = None
    my_teams: bool = False  # only the teams the operator belongs to
    # exactly these items (what a cell of an insight report counts)
    item_ids: tuple[int, ...] | None = None

    def describe(self) -> str:
        parts = []
        if self.item_ids is not None:
            parts.append(f"{len(self.item_ids)} items of a report")
        if self.team:
            parts.append(f"team {self.team}")
        if self.my_teams:
            parts.append("my teams")
        if self.assignee:
            parts.append(f"assignee {self.assignee}")
        if set(self.statuses) != set(OPEN_STATUSES):
            parts.append("status " + ",".join(s.value for s in self.statuses))
        if self.overdue:
            parts.append("overdue")
        if self.customer:
            parts.append(f"customer {self.customer}")
        if self.text:
            parts.append(f"text {self.text!r}")
        return "; ".join(parts) or "all open items"


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
    title: str = ""  # the step's own title; "" for the template step's name

    def sort_key(self, sort: QueueSort) -> tuple[Any, ...]:
        """The row's values of the columns ``sort`` orders by (for keyset reads)."""
        return {
            QueueSort.DUE: (self.due, self.id),
            QueueSort.PRIORITY: (self.priority, self.due, self.id),
            QueueSort.NEWEST: (self.id,),
            QueueSort.ID: (self.id,),
            QueueSort.CUSTOMER: (self.customer_name, self.id),
            QueueSort.ORDER: (self.order_code, self.id),
            QueueSort.SERVICE: (self.service, self.id),
            QueueSort.STEP: (self.step, self.id),
            QueueSort.TEAM: (self.team, self.id),
            QueueSort.ASSIGNEE: (self.assignee or "", self.id),
            QueueSort.STATUS: (status_rank(self.status), self.due, self.id),
        }[sort]


def _base_query() -> Select[*tuple[Any, ...]]:
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
            WorkItem.title,
        )
        .join(Customer, Customer.id == WorkItem.customer_id)
        .join(Order, Order.id == WorkItem.order_id)
        .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
        .join(Team, Team.id == WorkItem.team_id)
        .outerjoin(Assignee, Assignee.id == WorkItem.assignee_id)
    )


def _statuses(queue_filter: QueueFilter) -> list[str]:
    statuses = queue_filter.statuses or tuple(WorkStatus)
    if queue_filter.overdue:
        statuses = tuple(s for s in statuses if s.is_open)
    return [s.value for s in statuses]


def _conditions(
    session: Session, actor: Actor | None, queue_filter: QueueFilter, today: date
) -> list[ColumnElement[bool]]:
    """Every condition of the filter except the status one (see ``_statuses``)."""
    conditions: list[ColumnElement[bool]] = []
    if queue_filter.item_ids is not None:
        # written into the statement (they are integers), so that no count
        # of ids meets the backend's limit on bound parameters
        conditions.append(
            WorkItem.id.in_(
                bindparam(
                    "item_ids", list(queue_filter.item_ids), expanding=True, literal_execute=True
                )
            )
        )
    if queue_filter.team:
        team_id = session.scalar(select(Team.id).where(Team.code == queue_filter.team))
        if team_id is None:
            raise NotFound(f"no team {queue_filter.team!r}")
        conditions.append(WorkItem.team_id == team_id)
    if queue_filter.my_teams:
        if actor is None:
            raise NotFound("'my teams' needs an operator")
        conditions.append(
            WorkItem.team_id.in_(
                select(TeamMembership.team_id).where(TeamMembership.user_id == actor.user_id)
            )
        )
    if queue_filter.assignee:
        if queue_filter.assignee == "none":
            conditions.append(WorkItem.assignee_id.is_(None))
        else:
            if queue_filter.assignee == "me":
                if actor is None:
                    raise NotFound("'me' needs an operator")
                login = actor.login
            else:
                login = queue_filter.assignee
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
    if queue_filter.overdue:
        conditions.append(WorkItem.due_on < today)
    if queue_filter.text:
        text = queue_filter.text.strip()
        key = search_key(text)
        conditions.append(
            or_(
                WorkItem.customer_id.in_(
                    select(Customer.id).where(Customer.search_text.contains(key, autoescape=True))
                ),
                WorkItem.order_id.in_(
                    select(Order.id).where(
                        or_(
                            Order.code.icontains(text, autoescape=True),
                            # its title and the columns of imported files
                            Order.search_text.contains(key, autoescape=True),
                        )
                    )
                ),
                # its own title and the columns of imported files
                WorkItem.search_text.contains(key, autoescape=True),
                WorkItem.step_id.in_(
                    select(TemplateStep.id).where(
                        TemplateStep.name.icontains(text, autoescape=True)
                    )
                ),
            )
        )
    return conditions


def _columns(sort: QueueSort, reverse: bool) -> tuple[tuple[Any, bool], ...]:
    """(column, descending) of a sort, or of its mirror image."""
    return tuple((column, descending != reverse) for column, descending in _SORT_COLUMNS[sort])


def _after(columns: tuple[tuple[Any, bool], ...], key: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows strictly after ``key`` in this order, led by a plain range on the
    first column so that an index can serve it."""
    alternatives = []
    for n, (column, descending) in enumerate(columns):
        equal = [c == key[i] for i, (c, _) in enumerate(columns[:n])]
        beyond = column < key[n] if descending else column > key[n]
        alternatives.append(and_(*equal, beyond))
    first, first_descending = columns[0]
    lead = first <= key[0] if first_descending else first >= key[0]
    return and_(lead, or_(*alternatives))


def list_queue(
    db: Database,
    actor: Actor | None,
    queue_filter: QueueFilter,
    *,
    today: date,
    limit: int = 50,
    after: tuple[Any, ...] | None = None,
    offset: int = 0,
    sort: QueueSort = QueueSort.DUE,
    reverse: bool = False,
    descending: bool = False,
) -> list[QueueRow]:
    """Items matching the filter in ``sort`` order (mirrored with
    ``descending``), ``limit`` at most.

    ``after`` is the sort key of the last row already shown: the next window
    starts right after it, so paging costs the same at any depth. ``offset``
    serves jumps to an arbitrary row. With ``reverse`` the window is read
    from the other end (``after`` is then the row just below it, ``offset``
    counts from the last row), and still returned in ``sort`` order: that is
    how the end of a long queue is read as fast as its start.
    """
    columns = _columns(sort, reverse != descending)
    with db.read() as session:
        conditions = _conditions(session, actor, queue_filter, today)
        if after is not None:
            conditions.append(_after(columns, after))
            offset = 0
        ids = list(
            session.scalars(
                _window_ids(conditions, _statuses(queue_filter), sort, columns, limit, offset)
            )
        )
        if reverse:
            ids.reverse()
        if not ids:
            return []
        rows = {
            row[0]: QueueRow(*row)
            for row in session.execute(_base_query().where(WorkItem.id.in_(ids)))
        }
        return [rows[item_id] for item_id in ids if item_id in rows]


def _window_ids(
    conditions: list[ColumnElement[bool]],
    statuses: list[str],
    sort: QueueSort,
    columns: tuple[tuple[Any, bool], ...],
    limit: int,
    offset: int,
) -> Select[Any]:
    """The ids of one window, in order.

    With several statuses the window is the merge of one ordered read per
    status: each is served in order by an index on (..., status, due, id),
    where a single ``status IN (...)`` read would sort every matching row.
    """
    order = [c.desc() if descending else c for c, descending in columns]
    if len(statuses) == 1:
        return (
            _joined(select(WorkItem.id), sort)
            .where(*conditions, WorkItem.status == statuses[0])
            .order_by(*order)
            .limit(limit)
            .offset(offset)
        )
    keys = [column.label(f"k{n}") for n, (column, _) in enumerate(columns)]
    parts = [
        select(
            _joined(select(WorkItem.id.label("item_id"), *keys), sort)
            .where(*conditions, WorkItem.status == status)
            .order_by(*order)
            .limit(offset + limit)
            .subquery()
        )
        for status in statuses
    ]
    merged = union_all(*parts).subquery()
    return (
        select(merged.c.item_id)
        .order_by(
            *(
                merged.c[f"k{n}"].desc() if descending else merged.c[f"k{n}"]
                for n, (_, descending) in enumerate(columns)
            )
        )
        .limit(limit)
        .offset(offset)
    )


def count_queue(
    db: Database, actor: Actor | None, queue_filter: QueueFilter, *, today: date
) -> int:
    with db.read() as session:
        conditions = _conditions(session, actor, queue_filter, today)
        conditions.append(WorkItem.status.in_(_statuses(queue_filter)))
        return session.scalar(select(func.count()).select_from(WorkItem).where(*conditions)) or 0


def get_queue_row(db: Database, item_id: int) -> QueueRow:
    with db.read() as session:
        row = session.execute(_base_query().where(WorkItem.id == item_id)).first()
        if row is None:
            raise NotFound(f"no work item {item_id}")
        return QueueRow(*row)


def queue_attribute_names(
    db: Database, actor: Actor | None, queue_filter: QueueFilter, *, today: date
) -> list[str]:
    """The attribute names of the items under the filter, first met first in
    the order the items were made (an export's extra columns). Only items
    with attributes are read, and only their attributes."""
    with db.read() as session:
        conditions = _conditions(session, actor, queue_filter, today)
        conditions += [
            WorkItem.status.in_(_statuses(queue_filter)),
            WorkItem.search_text != "",  # every item with attributes has a search text
        ]
        names: dict[str, None] = {}
        query = select(WorkItem.attributes).where(*conditions).order_by(WorkItem.id)
        for attributes in session.scalars(query):
            names.update(dict.fromkeys(attributes or {}))
        return list(names)


@dataclass(frozen=True)
class ItemExtras:
    """What an export writes of an item besides the queue's columns: the
    dates of a project sheet, its order's title and its attributes."""

    planned_start: date | None
    planned_finish: date | None
    actual_start: date | None
    actual_finish: date | None
    order_title: str
    attributes: dict[str, Any]


def item_extras(db: Database, ids: list[int]) -> dict[int, ItemExtras]:
    """The extras of the items ``ids`` (a window of the queue), by id."""
    if not ids:
        return {}
    with db.read() as session:
        rows = session.execute(
            select(
                WorkItem.id,
                WorkItem.planned_start_on,
                WorkItem.planned_finish_on,
                WorkItem.actual_start_on,
                WorkItem.actual_finish_on,
                Order.title,
                WorkItem.attributes,
            )
            .join(Order, Order.id == WorkItem.order_id)
            .where(WorkItem.id.in_(ids))
        )
        return {
            item_id: ItemExtras(start, finish, started, finished, title, attributes or {})
            for item_id, start, finish, started, finished, title, attributes in rows
        }
