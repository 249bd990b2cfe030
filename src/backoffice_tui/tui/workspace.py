"""What every screen needs: the database, the operator, the settings, today,
and the console it runs in (``ConsoleApp``), reached through ``console_of``.

Screens and widgets never import the app module: what they may ask of the
app is the ``ConsoleApp`` protocol below, which the app satisfies.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from backoffice_tui.config import Settings, state_dir
from backoffice_tui.services.connection import Database
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.customers.saved_views import SavedViewRow
from backoffice_tui.services.work.queue import QueueFilter, QueueSort
from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.pending_decisions import PendingDecisions

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


@dataclass(frozen=True)
class OpenQueue:
    """Where the work queue opens: a filter, its title and the sort."""

    queue_filter: QueueFilter
    title: str
    sort: QueueSort = QueueSort.DUE


@runtime_checkable
class ConsoleApp(Protocol):
    """What screens and widgets may ask of the app they run in."""

    @property
    def workspace(self) -> Workspace: ...

    @property
    def pending_decisions(self) -> PendingDecisions:
        """Approvals held for their undo window."""

    @property
    def ascii_borders(self) -> bool:
        """Draw with ASCII only (no ambiguous-width characters)."""

    @property
    def offline_since(self) -> datetime | None:
        """When the database became unreachable; None while online."""

    @property
    def changes_seen(self) -> int:
        """How many batches of changes reached the screens: a screen shown
        again compares it with the count it last saw."""

    def refuse_while_offline(self) -> bool:
        """True, after saying so, when the database is unreachable."""

    def action_go_home(self) -> None: ...

    def open_queue(self, destination: OpenQueue | QueueFilter) -> None: ...

    def open_view(self, view: SavedViewRow) -> None: ...


def console_of(node: "DOMNode") -> ConsoleApp:
    """The console a widget or screen belongs to."""
    app = node.app
    if not isinstance(app, ConsoleApp):
        raise TypeError(f"{type(node).__name__} runs in {type(app).__name__}, not the console")
    return app


def workspace_of(node: "DOMNode") -> Workspace:
    """The workspace of the console a widget or screen belongs to."""
    return console_of(node).workspace
