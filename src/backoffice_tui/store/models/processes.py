"""Services and their versioned process templates."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice_tui.store.base import Base, utc_now


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class ProcessTemplate(Base):
    """One loaded version of a service's process; never changed once loaded."""

    __tablename__ = "process_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    source_toml: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(default=utc_now)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    service: Mapped[Service] = relationship()
    steps: Mapped[list["TemplateStep"]] = relationship(
        back_populates="template", order_by="TemplateStep.position"
    )

    __table_args__ = (UniqueConstraint("service_id", "version"),)


class TemplateStep(Base):
    __tablename__ = "template_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("process_templates.id"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    sla_days: Mapped[int]
    handoff: Mapped[bool] = mapped_column(default=False)
    checklist: Mapped[list[Any]] = mapped_column(default=list)
    approval: Mapped[list[Any]] = mapped_column(default=list)

    template: Mapped[ProcessTemplate] = relationship(back_populates="steps")

    __table_args__ = (UniqueConstraint("template_id", "position"),)
