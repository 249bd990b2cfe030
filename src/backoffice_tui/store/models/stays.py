"""How long each work item has spent waiting, working and blocked, kept up
to date in the same transaction as its status events (the insight reports
read it instead of replaying every item's events)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_tui.store.base import Base, BigId


class WorkItemStay(Base):
    """One row per work item that has had a status event.

    ``waiting``, ``working`` and ``blocked`` are the seconds of the spells
    closed so far; the item has been in ``state`` (pending, waiting,
    working, blocked or closed) since ``since``, so an open spell is
    ``now - since``. The three flags are what decides the state after the
    next event: blocked since the last unblock, started since last made
    ready, made ready at least once.
    """

    __tablename__ = "work_item_stays"

    work_item_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("work_items.id"), primary_key=True, autoincrement=False
    )
    waiting: Mapped[float] = mapped_column(default=0.0)
    working: Mapped[float] = mapped_column(default=0.0)
    blocked: Mapped[float] = mapped_column(default=0.0)
    visits: Mapped[int] = mapped_column(default=0)
    # the first work_item.ready or released event (None: none yet)
    readied_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(8))
    since: Mapped[datetime]
    is_blocked: Mapped[bool] = mapped_column(default=False)
    is_started: Mapped[bool] = mapped_column(default=False)
    is_readied: Mapped[bool] = mapped_column(default=False)
