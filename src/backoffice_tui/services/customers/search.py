"""Customers: listing, search and the facts shown for one customer."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, or_, select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.text import attribute_texts, search_key
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Order, OrderLine, Service


@dataclass(frozen=True)
class CustomerRow:
    id: int
    code: str
    name: str
    reading: str | None
    segment: str


@dataclass(frozen=True)
class LineProgress:
    order_code: str
    service: str
    steps: int
    finished: int
    current_step: str | None
    current_status: str | None
    current_team: str | None
    current_due: date | None
    current_assignee: str | None = None
    current_item_id: int | None = None
    step_statuses: tuple[str, ...] = ()  # one per step, in order
    step_dues: tuple[date, ...] = ()
    order_title: str = ""
    line_position: int = 0  # the line's number in its order
    line_status: str = "open"  # or "cancelled"


@dataclass(frozen=True)
class CustomerDetail:
    customer: CustomerRow
    notes: str
    lines: list[LineProgress]
    # the columns of imported files that no field holds: header -> text
    attributes: dict[str, str] = field(default_factory=dict)
    version: int = 1  # what an edit names, so a stale one is refused


def _row(c: Customer) -> CustomerRow:
    return CustomerRow(id=c.id, code=c.code, name=c.name, reading=c.reading, segment=c.segment)


def list_customers(db: Database, search: str | None = None, limit: int = 100) -> list[CustomerRow]:
    """Customers by code; ``search`` matches code, name or reading, ignoring
    case, full/half width and katakana/hiragana. Those whose code, name or
    reading starts with the search come first."""
    with db.read() as session:
        query = select(Customer)
        if search and (key := search_key(search)):
            starts = or_(
                Customer.search_text.startswith(key, autoescape=True),
                Customer.search_text.contains(f" {key}", autoescape=True),
            )
            query = query.where(Customer.search_text.contains(key, autoescape=True)).order_by(
                case((starts, 0), else_=1), Customer.code
            )
        else:
            query = query.order_by(Customer.code)
        return [_row(c) for c in session.scalars(query.limit(limit))]


def customer_detail(db: Database, code: str) -> CustomerDetail:
    with db.read() as session:
        customer = session.scalar(select(Customer).where(Customer.code == code))
        if customer is None:
            raise NotFound(f"no customer {code!r}")
        lines = session.execute(
            select(OrderLine, Order.code, Order.title, Service.name)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Service, Service.id == OrderLine.service_id)
            .where(Order.customer_id == customer.id)
            .order_by(Order.received_on, Order.code, OrderLine.position)
        ).all()
        progress = []
        for line, order_code, order_title, service in lines:
            items = line.work_items
            finished = sum(1 for i in items if not WorkStatus(i.status).is_open)
            current = next((i for i in items if WorkStatus(i.status).is_open), None)
            progress.append(
                LineProgress(
                    order_code=order_code,
                    service=service,
                    steps=len(items),
                    finished=finished,
                    current_step=current.step.name if current else None,
                    current_status=current.status if current else None,
                    current_team=current.team.code if current else None,
                    current_due=current.due_on if current else None,
                    current_assignee=current.assignee.login
                    if current and current.assignee
                    else None,
                    current_item_id=current.id if current else None,
                    step_statuses=tuple(i.status for i in items),
                    step_dues=tuple(i.due_on for i in items),
                    order_title=order_title,
                    line_position=line.position,
                    line_status=line.status,
                )
            )
        return CustomerDetail(
            customer=_row(customer),
            notes=customer.notes,
            lines=progress,
            attributes=attribute_texts(customer.attributes),
            version=customer.version,
        )


def count_customers(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0
