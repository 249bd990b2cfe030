"""Approval requests, their ordered stages and the immutable decisions."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice_tui.store.base import Base, utc_now


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(32))  # work_item, handoff, order, application
    subject_id: Mapped[int]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    current_stage: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    stages: Mapped[list["ApprovalStage"]] = relationship(order_by="ApprovalStage.position")

    __table_args__ = (
        Index("ix_approval_requests_subject", "subject_kind", "subject_id"),
        Index("ix_approval_requests_state", "state", "created_at"),
        Index("ix_approval_requests_requester", "requester_id", "state"),
    )


class ApprovalStage(Base):
    __tablename__ = "approval_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(16), default="any")
    info_only: Mapped[bool] = mapped_column(default=False)
    approvers: Mapped[list[Any]] = mapped_column(default=list)  # logins and role@team
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    due_hours: Mapped[int | None]  # allowed time from becoming current
    due_at: Mapped[datetime | None]
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the stage last became current, and the last decision before that:
    # only later approvals count towards its rule.
    entered_at: Mapped[datetime | None]
    since_decision_id: Mapped[int] = mapped_column(default=0, server_default="0")
    reminded_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_approval_stages_state", "state", "due_at"),)


class ApprovalStageApprover(Base):
    """One approver entry of a stage (a login or role@team), indexed so that
    "what waits for me" is one index lookup per key I answer to."""

    __tablename__ = "approval_stage_approvers"

    stage_id: Mapped[int] = mapped_column(ForeignKey("approval_stages.id"), primary_key=True)
    approver: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_approval_stage_approvers_approver", "approver", "stage_id"),)


class ApprovalDecision(Base):
    """A decision or comment; never updated or deleted."""

    __tablename__ = "approval_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("approval_stages.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str | None] = mapped_column(String(128))
    # The approver entry (login or role@team) the decision was made as.
    as_approver: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (Index("ix_approval_decisions_stage", "stage_id", "id"),)
