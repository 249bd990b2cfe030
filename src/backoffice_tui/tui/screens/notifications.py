"""Notifications: what landed on me (``services.people.notifications``),
newest first, those since I last looked marked new; enter opens the record.
Opening the list counts as looking: the header's count goes back to none."""

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.services.lookup.records import FoundRecord, RecordKind
from backoffice_tui.services.people.notifications import (
    Notification,
    newest_event_id,
    notifications,
)
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.approval_lists import reading_time
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.go_anywhere import open_record
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.record_list import RecordList
from backoffice_tui.tui.workspace import workspace_of

# how far back the list looks, in events before the newest
RECENT_EVENTS = 5000
KINDS = {
    "work_item": RecordKind.WORK_ITEM,
    "approval_request": RecordKind.APPROVAL,
    "handoff": RecordKind.HANDOFF,
}


def notification_line(notification: Notification, new: bool) -> str:
    at = notification.at.astimezone().strftime("%m-%d %H:%M")
    mark = "new" if new else "   "
    return f"{mark} {at}  {fit(notification.reason, 24)} {notification.summary}"


class NotificationsScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    NotificationsScreen #status {
        height: 1; background: $surface; color: $text-muted; padding: 0 1;
    }
    NotificationsScreen RecordList {
        height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis;
    }
    NotificationsScreen RecordList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reload", "Reload", id="notifications.reload", show=False),
        Binding("q,escape", "app.pop_screen", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[Notification], seen_before: int, newest: int) -> None:
            self.rows = rows
            self.seen_before = seen_before
            self.newest = newest
            super().__init__()

    def __init__(self, seen_before: int) -> None:
        """``seen_before``: the last event looked at before this list was opened."""
        super().__init__()
        self.seen_before = seen_before
        self.rows: list[Notification] = []

    def compose(self) -> ComposeResult:
        yield AppHeader("Notifications")
        yield Static("loading…", id="status")
        yield RecordList(id="notifications")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(RecordList).focus()
        self._load()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        if message.events or message.reconnected:
            self._load()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="notifications", exit_on_error=False)
    def _load(self) -> None:
        workspace = workspace_of(self)
        newest = newest_event_id(workspace.db)
        rows = notifications(
            workspace.db,
            workspace.actor,
            reading_time(workspace),
            after=max(0, min(self.seen_before, newest - RECENT_EVENTS)),
        )
        self.post_message(self.Loaded(rows, self.seen_before, newest))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.rows = message.rows
        listing = self.query_one(RecordList)
        highlighted = listing.highlighted
        listing.set_options(
            [
                Option(plain(notification_line(n, n.event_id > message.seen_before)))
                for n in message.rows
            ]
        )
        if message.rows:
            listing.highlighted = min(highlighted or 0, len(message.rows) - 1)
        new = sum(n.event_id > message.seen_before for n in message.rows)
        self.query_one("#status", Static).update(
            plain(
                f"{new} new since you last looked | {len(message.rows)} shown | enter opens"
                if message.rows
                else "Nothing landed on you lately."
            )
        )
        self.app.call_later(self.app.run_action, f"seen_notifications({message.newest})")

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        index = self.query_one(RecordList).highlighted
        if index is None or index >= len(self.rows):
            return
        row = self.rows[index]
        open_record(self.app, FoundRecord(KINDS[row.entity], row.entity_id))
