"""What every screen needs: the database, the operator, the settings, today."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, cast

from backoffice_tui.config import Settings, state_dir
from backoffice_tui.services.connection import Database
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.tui.drafts import Drafts

if TYPE_CHECKING:
    from textual.dom import DOMNode


@dataclass(frozen=True)
class Workspace:
    db: Database
    actor: Actor
    settings: Settings
    today: Callable[[], date] = field(default=date.today)
    drafts: Drafts = field(default_factory=lambda: Drafts(state_dir()))

    def context(self) -> Context:
        return Context(self.db, self.actor)

    @property
    def operator_label(self) -> str:
        return f"{self.actor.label} ({self.actor.name})"


def workspace_of(node: "DOMNode") -> "Workspace":
    """The workspace of the app a widget or screen belongs to."""
    return cast(Workspace, node.app.workspace)  # type: ignore[attr-defined]
