"""Orders, their lines (one service each) and the work items of each line."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice_tui.store.base import Base, BigId, utc_now
from backoffice_tui.store.models.customers import Customer
from backoffice_tui.store.models.org import Team, User
from backoffice_tui.store.models.processes import ProcessTemplate, Service, TemplateStep


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="", server_default=text("''"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    received_on: Mapped[date]
    requested_on: Mapped[date | None]
    sales_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    priority: Mapped[int] = mapped_column(default=3)
    # columns of imported files that no field holds: header -> text as written
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # title and attribute values folded by domain.text.search_key
    search_text: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    # "open" or "cancelled" (with its reason)
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.position"
    )


class OrderLine(Base):
    """One service of an order, kept on the template version it started on."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("process_templates.id"))
    # "open" or "cancelled" (with its reason)
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="lines")
    service: Mapped[Service] = relationship()
    template: Mapped[ProcessTemplate] = relationship()
    work_items: Mapped[list["WorkItem"]] = relationship(
        back_populates="order_line", order_by="WorkItem.position"
    )


class WorkItem(Base):
    """One step of one order line.

    ``customer_id`` and ``order_id`` repeat what the line implies so that the
    queue can filter and join without walking the chain; they never change.
    """

    __tablename__ = "work_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    step_id: Mapped[int] = mapped_column(ForeignKey("template_steps.id"))
    position: Mapped[int]
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    # the step's own title, if someone gave it one ("" for the template step's name)
    title: Mapped[str] = mapped_column(String(300), default="", server_default=text("''"))
    priority: Mapped[int] = mapped_column(default=3)
    due_on: Mapped[date]
    # the dates a plan gave and those the work took, as a project sheet keeps them
    planned_start_on: Mapped[date | None]
    planned_finish_on: Mapped[date | None]
    actual_start_on: Mapped[date | None]
    actual_finish_on: Mapped[date | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    status_before_block: Mapped[str | None] = mapped_column(String(16))
    skip_reason: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # attribute values folded by domain.text.search_key ("" without attributes)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(default=1)

    order_line: Mapped[OrderLine] = relationship(back_populates="work_items")
    step: Mapped[TemplateStep] = relationship()
    team: Mapped[Team] = relationship()
    assignee: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_work_items_queue_team", "team_id", "status", "due_on", "id"),
        Index("ix_work_items_queue_assignee", "assignee_id", "status", "due_on", "id"),
        Index("ix_work_items_queue_status", "status", "due_on", "id"),
        Index("ix_work_items_line", "order_line_id", "position"),
        Index("ix_work_items_customer", "customer_id"),
        # the insight reports: items finished in a period (and open ones),
        # with what the reports read of them, without visiting the rows
        Index(
            "ix_work_items_finished",
            "status",
            "finished_at",
            "step_id",
            "team_id",
            "order_line_id",
            "position",
            "created_at",
            "id",
        ),
    )


class WorkItemNote(Base):
    __tablename__ = "work_item_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
