"""The append-only event table (timeline, audit trail, change feed) and saved views."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, FetchedValue, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_tui.store.base import Base, BigId, utc_now


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the login, or "rule:<name>" for automation; kept as written
    actor_name: Mapped[str] = mapped_column(String(160))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigId)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    kind: Mapped[str] = mapped_column(String(48))
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # an event taken from a file's log: what makes it that row, so that
    # importing the log again adds nothing
    source_key: Mapped[str | None] = mapped_column(String(64))
    # PostgreSQL: the writing transaction (pg_current_xact_id), filled by the
    # server, so the change feed can tell committed writers from running ones.
    # SQLite: empty (writes are serialized; the id is commit order).
    tx_id: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())

    __table_args__ = (
        Index("ix_events_customer_time", "customer_id", "at", "id"),
        Index("ix_events_entity", "entity", "entity_id", "id"),
        # the insight reports: an item's status events, read from the index alone
        Index("ix_events_entity_kind", "entity", "entity_id", "kind", "at"),
        Index("uq_events_source_key", "source_key", unique=True),
        Index("ix_events_tx_id", "tx_id").ddl_if(dialect="postgresql"),
        {"sqlite_autoincrement": True},
    )


class SavedView(Base):
    """A named filter over work items or events, private or shared with a team."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(32))  # work_items | events
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (Index("uq_saved_views_owner_name", "owner_id", "name", unique=True),)
