"""Receiving an order: its lines and the work items of every step."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.services.context import Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.templates import latest_template
from backoffice_tui.store.models import Customer, Order, OrderLine, User, WorkItem


@dataclass(frozen=True)
class NewOrder:
    code: str
    customer_code: str
    services: tuple[str, ...]
    received_on: date
    requested_on: date | None = None
    sales_owner: str | None = None
    priority: int = 3


def create_order(ctx: Context, new: NewOrder) -> int:
    """Create the order; each line's first step is ready, the rest wait.

    Due dates follow the template's SLAs in working days, one after the
    other from the day the order was received.
    """
    if not new.services:
        raise InvalidInput("an order needs at least one service")
    if not 1 <= new.priority <= 4:
        raise InvalidInput("priority must be between 1 (urgent) and 4 (low)")
    with ctx.db.write() as session:
        customer = session.scalar(select(Customer).where(Customer.code == new.customer_code))
        if customer is None:
            raise NotFound(f"no customer {new.customer_code!r}")
        if session.scalar(select(Order.id).where(Order.code == new.code)) is not None:
            raise Conflict(f"order {new.code} already exists")
        owner_id = None
        if new.sales_owner:
            owner_id = session.scalar(select(User.id).where(User.login == new.sales_owner))
            if owner_id is None:
                raise NotFound(f"no user {new.sales_owner!r}")
        now = ctx.now()
        order = Order(
            code=new.code,
            customer_id=customer.id,
            received_on=new.received_on,
            requested_on=new.requested_on,
            sales_owner_id=owner_id,
            priority=new.priority,
            created_at=now,
        )
        session.add(order)
        session.flush()
        record_event(
            session,
            ctx.actor,
            now,
            entity="order",
            entity_id=order.id,
            kind="order.created",
            summary=f"order {order.code} received: {', '.join(new.services)}",
            customer_id=customer.id,
            order_id=order.id,
        )
        for position, service_code in enumerate(new.services, start=1):
            template = latest_template(session, service_code)
            line = OrderLine(
                order_id=order.id,
                position=position,
                service_id=template.service_id,
                template_id=template.id,
            )
            session.add(line)
            session.flush()
            due = new.received_on
            for step in template.steps:
                due = add_working_days(due, step.sla_days)
                item = WorkItem(
                    order_line_id=line.id,
                    order_id=order.id,
                    customer_id=customer.id,
                    step_id=step.id,
                    position=step.position,
                    team_id=step.team_id,
                    status=(WorkStatus.READY if step.position == 1 else WorkStatus.WAITING).value,
                    priority=new.priority,
                    due_on=due,
                    created_at=now,
                    updated_at=now,
                )
                session.add(item)
        return order.id
