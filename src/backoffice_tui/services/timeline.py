"""The customer timeline: every event about one customer, from all teams."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event, Order, OrderLine, Service, Team


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    at: datetime
    actor: str
    team: str | None
    kind: str
    summary: str
    service: str | None
    order_code: str | None
    entity: str
    entity_id: int


def customer_timeline(
    db: Database,
    customer_code: str,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[TimelineEntry]:
    with db.read() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.code == customer_code))
        if customer_id is None:
            raise NotFound(f"no customer {customer_code!r}")
        order = (Event.at.desc(), Event.id.desc()) if newest_first else (Event.at, Event.id)
        query = (
            select(
                Event.id,
                Event.at,
                Event.actor_name,
                Team.code,
                Event.kind,
                Event.summary,
                Service.name,
                Order.code,
                Event.entity,
                Event.entity_id,
            )
            .outerjoin(Team, Team.id == Event.team_id)
            .outerjoin(OrderLine, OrderLine.id == Event.order_line_id)
            .outerjoin(Service, Service.id == OrderLine.service_id)
            .outerjoin(Order, Order.id == Event.order_id)
            .where(Event.customer_id == customer_id)
            .order_by(*order)
        )
        if limit is not None:
            query = query.limit(limit)
        return [TimelineEntry(*row) for row in session.execute(query)]
