"""Writing events (inside the caller's transaction) and reading them back."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event


def record_event(
    session: Session,
    actor: Actor | str,
    at: datetime,
    *,
    entity: str,
    entity_id: int,
    kind: str,
    summary: str,
    customer_id: int | None = None,
    order_id: int | None = None,
    order_line_id: int | None = None,
    team_id: int | None = None,
    payload: dict[str, Any] | None = None,
    on_behalf_of_id: int | None = None,
) -> Event:
    """Add one event to the session's transaction.

    ``actor`` is a person, or a string such as ``"rule:escalate"`` for
    automation. An admin acting as another user is recorded as the actor,
    with the user they acted as in ``on_behalf_of``.
    """
    if isinstance(actor, Actor):
        actor_id = actor.real_user_id or actor.user_id
        actor_name = actor.real_login or actor.login
        if actor.real_user_id is not None:
            on_behalf_of_id = actor.user_id
    else:
        actor_id, actor_name = None, actor
    event = Event(
        at=at,
        actor_id=actor_id,
        actor_name=actor_name,
        on_behalf_of_id=on_behalf_of_id,
        entity=entity,
        entity_id=entity_id,
        customer_id=customer_id,
        order_id=order_id,
        order_line_id=order_line_id,
        team_id=team_id,
        kind=kind,
        summary=summary,
        payload=payload or {},
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class EventRecord:
    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: int
    customer_id: int | None
    kind: str
    summary: str
    payload: dict[str, Any]


def events_since(db: Database, since_id: int, limit: int = 1000) -> list[EventRecord]:
    """Events with an id above ``since_id``, oldest first."""
    with db.read() as session:
        rows = session.scalars(
            select(Event).where(Event.id > since_id).order_by(Event.id).limit(limit)
        ).all()
        return [event_record(e) for e in rows]


def event_record(event: Event) -> EventRecord:
    """The plain record of one event row (for reads outside a session)."""
    return EventRecord(
        id=event.id,
        at=event.at,
        actor=event.actor_name,
        entity=event.entity,
        entity_id=event.entity_id,
        customer_id=event.customer_id,
        kind=event.kind,
        summary=event.summary,
        payload=event.payload,
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a record's own history."""

    at: datetime
    actor: str
    kind: str
    summary: str


def entity_history(session: Session, entity: str, entity_id: int) -> tuple[HistoryEntry, ...]:
    """Every event about one record (a work item, a handoff), oldest first."""
    return tuple(
        HistoryEntry(at, actor, kind, summary)
        for at, actor, kind, summary in session.execute(
            select(Event.at, Event.actor_name, Event.kind, Event.summary)
            .where(Event.entity == entity, Event.entity_id == entity_id)
            .order_by(Event.id)
        )
    )
