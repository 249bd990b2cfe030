"""Automation rules: their versions, the runners' cursors and what each rule did."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_tui.store.base import Base, BigId, utc_now


class Rule(Base):
    """A named rule. It acts as its own user (login ``rule:<name>``, never
    able to log in), so its actions go through the same services, checks and
    events as a person's."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(default=1)


class RuleVersion(Base):
    """One loaded version of a rule file; never changed once loaded."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"))
    version: Mapped[int]
    source_toml: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(default=utc_now)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("rule_id", "version"),)


class RuleCursor(Base):
    """Where a runner following the change feed is: the highest event id it
    handled and, on PostgreSQL, the snapshot of the read that delivered it."""

    __tablename__ = "rule_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    snapshot: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class RuleFiring(Base):
    """One firing of one rule on one subject, at most once per ``fire_key``
    (the event, the schedule slot or the time condition it answers): written
    in the same transaction as its actions, or on its own when they failed,
    then retried with backoff."""

    __tablename__ = "rule_firings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"))
    rule_version: Mapped[int]
    fire_key: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(16))  # event | schedule | time
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    depth: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[str] = mapped_column(String(16))  # done | failed | given_up | stopped
    actions: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    next_retry_at: Mapped[datetime | None]
    at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("rule_id", "fire_key"),
        Index("ix_rule_firings_rule_time", "rule_id", "at"),
        Index("ix_rule_firings_retry", "outcome", "next_retry_at"),
    )


class RuleCausedEvent(Base):
    """An event written by a rule's firing: how a chain of rules is followed
    and stopped at its depth."""

    __tablename__ = "rule_caused_events"

    event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    firing_id: Mapped[int] = mapped_column(BigId, ForeignKey("rule_firings.id"))
    depth: Mapped[int]
