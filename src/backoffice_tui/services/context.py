"""Who is acting, on which database, at what time."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database


@dataclass(frozen=True)
class Actor:
    """The operator a service acts for.

    ``real_*`` is set when an admin acts as another user: permissions are
    the effective user's, while events record the admin as the one who acted.
    """

    user_id: int
    login: str
    name: str
    is_admin: bool = False
    real_user_id: int | None = None
    real_login: str | None = None

    @property
    def label(self) -> str:
        if self.real_login:
            return f"{self.real_login} as {self.login}"
        return self.login


@dataclass(frozen=True)
class Context:
    db: Database
    actor: Actor
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The day it is now where the operator is (local time)."""
        return self.now().astimezone().date()
