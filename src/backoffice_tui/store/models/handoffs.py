"""Handoffs between teams: checklists and documents with revisions."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice_tui.store.base import Base, BigId, utc_now


class Handoff(Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    work_item_id: Mapped[int] = mapped_column(BigId, ForeignKey("work_items.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    from_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    to_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    submitted_at: Mapped[datetime | None]
    # who submitted it: that person may not accept or return it
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    items: Mapped[list["HandoffItem"]] = relationship(order_by="HandoffItem.position")

    __table_args__ = (
        Index("ix_handoffs_to_team", "to_team_id", "state"),
        Index("ix_handoffs_from_team", "from_team_id", "state"),
    )


class HandoffItem(Base):
    __tablename__ = "handoff_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(8), default="check")
    required: Mapped[bool] = mapped_column(default=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)


class HandoffDocument(Base):
    __tablename__ = "handoff_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    revisions: Mapped[list["DocumentRevision"]] = relationship(order_by="DocumentRevision.revision")


class DocumentRevision(Base):
    """A revision of a document; a new one never overwrites an older one."""

    __tablename__ = "document_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("handoff_documents.id"))
    revision: Mapped[int]
    location: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("document_id", "revision"),)
