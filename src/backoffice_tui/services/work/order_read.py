"""Reading orders: one order whole (its lines and their steps), the list of
orders, and the short lists the new-order form offers."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Customer,
    Order,
    OrderLine,
    ProcessTemplate,
    Service,
    User,
)


class OrderStatusFilter(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    ALL = "all"


def parse_status_filter(text: str) -> OrderStatusFilter:
    try:
        return OrderStatusFilter(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"unknown order status {text!r}; use open, cancelled or all") from None


@dataclass(frozen=True)
class StepRow:
    work_item_id: int
    position: int
    step: str
    team: str
    status: str
    assignee: str | None
    due_on: date
    skip_reason: str | None


@dataclass(frozen=True)
class LineDetail:
    position: int
    service: str
    service_name: str
    template_version: int
    status: str
    cancel_reason: str | None
    steps: list[StepRow]


@dataclass(frozen=True)
class OrderDetail:
    id: int
    code: str
    customer: str
    customer_name: str
    title: str
    received_on: date
    requested_on: date | None
    sales_owner: str | None
    priority: int
    status: str
    cancel_reason: str | None
    version: int
    lines: list[LineDetail]


@dataclass(frozen=True)
class OrderRow:
    id: int
    code: str
    customer: str
    title: str
    received_on: date
    requested_on: date | None
    sales_owner: str | None
    status: str
    lines: int


@dataclass(frozen=True)
class ServiceChoice:
    code: str
    name: str
    version: int  # of the template a new line starts on

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code}, v{self.version})"


def order_detail(db: Database, code: str) -> OrderDetail:
    with db.read() as session:
        order = session.scalar(select(Order).where(Order.code == code))
        if order is None:
            raise NotFound(f"no order {code!r}")
        return OrderDetail(
            id=order.id,
            code=order.code,
            customer=order.customer.code,
            customer_name=order.customer.name,
            title=order.title,
            received_on=order.received_on,
            requested_on=order.requested_on,
            sales_owner=_login(session, order.sales_owner_id),
            priority=order.priority,
            status=order.status,
            cancel_reason=order.cancel_reason,
            version=order.version,
            lines=[_line(line) for line in order.lines],
        )


def _line(line: OrderLine) -> LineDetail:
    return LineDetail(
        position=line.position,
        service=line.service.code,
        service_name=line.service.name,
        template_version=line.template.version,
        status=line.status,
        cancel_reason=line.cancel_reason,
        steps=[
            StepRow(
                work_item_id=item.id,
                position=item.position,
                step=item.title or item.step.name,
                team=item.team.code,
                status=item.status,
                assignee=item.assignee.login if item.assignee else None,
                due_on=item.due_on,
                skip_reason=item.skip_reason,
            )
            for item in line.work_items
        ],
    )


def _login(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.login if user else None


def list_orders(
    db: Database,
    customer: str | None = None,
    status: OrderStatusFilter = OrderStatusFilter.OPEN,
    limit: int = 100,
) -> list[OrderRow]:
    """Orders, newest received first."""
    lines = (
        select(func.count(OrderLine.id))
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    query = (
        select(Order, Customer.code, User.login, lines)
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(User, User.id == Order.sales_owner_id)
    )
    if customer:
        query = query.where(Customer.code == customer)
    if status != OrderStatusFilter.ALL:
        query = query.where(Order.status == status.value)
    query = query.order_by(Order.received_on.desc(), Order.id.desc()).limit(limit)
    with db.read() as session:
        if (
            customer
            and session.scalar(select(Customer.id).where(Customer.code == customer)) is None
        ):
            raise NotFound(f"no customer {customer!r}")
        return [
            OrderRow(
                id=order.id,
                code=order.code,
                customer=customer_code,
                title=order.title,
                received_on=order.received_on,
                requested_on=order.requested_on,
                sales_owner=owner,
                status=order.status,
                lines=count or 0,
            )
            for order, customer_code, owner, count in session.execute(query)
        ]


def service_choices(db: Database) -> list[ServiceChoice]:
    """Every service that has a template, with the version a new line gets."""
    latest = (
        select(ProcessTemplate.service_id, func.max(ProcessTemplate.version).label("version"))
        .group_by(ProcessTemplate.service_id)
        .subquery()
    )
    with db.read() as session:
        return [
            ServiceChoice(code, name, version)
            for code, name, version in session.execute(
                select(Service.code, Service.name, latest.c.version)
                .join(latest, latest.c.service_id == Service.id)
                .order_by(Service.code)
            )
        ]


def owner_choices(db: Database) -> list[tuple[str, str]]:
    """(login, name) of every active user who may own an order."""
    with db.read() as session:
        return [
            (login, name)
            for login, name in session.execute(
                select(User.login, User.name)
                .where(User.active.is_(True), User.placeholder.is_(False))
                .order_by(User.login)
            )
        ]
