"""Customers."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_tui.store.base import Base, utc_now


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    reading: Mapped[str | None] = mapped_column(String(300))
    segment: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # columns of imported files that no field holds: header -> text as written
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # code, name, reading and attribute values folded by domain.text.search_key
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __table_args__ = (Index("ix_customers_name", "name"),)
