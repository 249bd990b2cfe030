"""Receiving an order: its lines and the work items of every step."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.text import attribute_search_text
from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.events import record_event
from backoffice_tui.services.work.templates import latest_template
from backoffice_tui.store.models import (
    Customer,
    Order,
    OrderLine,
    ProcessTemplate,
    User,
    WorkItem,
)


@dataclass(frozen=True)
class NewOrder:
    code: str
    customer_code: str
    services: tuple[str, ...]
    received_on: date | None = None  # None: the day it is created
    requested_on: date | None = None
    sales_owner: str | None = None
    priority: int = 3
    title: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def create_order(ctx: Context, new: NewOrder) -> int:
    """Create the order; each line's first step is ready, the rest wait.

    Due dates follow the template's SLAs in working days, one after the
    other from the day the order was received.
    """
    if not new.services:
        raise InvalidInput("an order needs at least one service")
    if not 1 <= new.priority <= 4:
        raise InvalidInput("priority must be between 1 (urgent) and 4 (low)")
    if not new.code.strip():
        raise InvalidInput("an order needs a code")
    received_on = new.received_on or ctx.today()
    if new.requested_on is not None and new.requested_on < received_on:
        raise InvalidInput(
            f"the requested date {new.requested_on} is before the received date {received_on}"
        )
    new = replace(new, received_on=received_on)
    with ctx.db.write() as session:
        customer = session.scalar(select(Customer).where(Customer.code == new.customer_code))
        if customer is None:
            raise NotFound(f"no customer {new.customer_code!r}")
        if session.scalar(select(Order.id).where(Order.code == new.code)) is not None:
            raise Conflict(f"order {new.code} already exists")
        owner_id = None
        if new.sales_owner:
            owner = session.scalar(select(User).where(User.login == new.sales_owner))
            if owner is None or not owner.active or owner.placeholder:
                raise NotFound(f"no active user {new.sales_owner!r} to own the order")
            owner_id = owner.id
        return add_order(
            session,
            ctx.actor,
            ctx.now(),
            new,
            customer_id=customer.id,
            sales_owner_id=owner_id,
            template_for=lambda code: latest_template(session, code),
        )


def add_order(
    session: Session,
    actor: Actor,
    now: datetime,
    new: NewOrder,
    *,
    customer_id: int,
    sales_owner_id: int | None,
    template_for: Callable[[str], ProcessTemplate],
    event_kind: str = "order.created",
    summary: str | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Add a checked order, its lines (each on its service's template from
    ``template_for``) and a work item for every step, with its event.

    Shared by ``create_order`` and the import, which checks many orders
    first and looks each template up once.
    """
    received_on = new.received_on or now.astimezone().date()
    order = Order(
        code=new.code,
        title=new.title,
        attributes=new.attributes,
        search_text=attribute_search_text(new.attributes, new.title),
        customer_id=customer_id,
        received_on=received_on,
        requested_on=new.requested_on,
        sales_owner_id=sales_owner_id,
        priority=new.priority,
        created_at=now,
    )
    session.add(order)
    session.flush()
    record_event(
        session,
        actor,
        now,
        entity="order",
        entity_id=order.id,
        kind=event_kind,
        summary=summary or f"order {order.code} received: {', '.join(new.services)}",
        customer_id=customer_id,
        order_id=order.id,
        payload=payload,
    )
    for position, service_code in enumerate(new.services, start=1):
        template = template_for(service_code)
        line = OrderLine(
            order_id=order.id,
            position=position,
            service_id=template.service_id,
            template_id=template.id,
        )
        session.add(line)
        session.flush()
        due = received_on
        for step in template.steps:
            due = add_working_days(due, step.sla_days)
            session.add(
                WorkItem(
                    order_line_id=line.id,
                    order_id=order.id,
                    customer_id=customer_id,
                    step_id=step.id,
                    position=step.position,
                    team_id=step.team_id,
                    status=(WorkStatus.READY if step.position == 1 else WorkStatus.WAITING).value,
                    priority=new.priority,
                    due_on=due,
                    created_at=now,
                    updated_at=now,
                )
            )
    return order.id
