"""The console's app-wide messages: what the change feed brought, and the
feed's own read results.

Screens handle ``ChangesArrived`` as ``on_changes_arrived``; ``FeedRead`` is
posted to the app, which hands it to its live sync (``live_sync.py``).
"""

from textual.message import Message

from backoffice_tui.services.events import EventRecord


class ChangesArrived(Message):
    """Events committed by anyone since the last read, sent to the screens
    on show. ``by_others`` are the ids of work items someone else changed;
    ``reconnected`` says the database just came back (reload everything)."""

    def __init__(self, events: list[EventRecord], me: str, *, reconnected: bool = False) -> None:
        self.events = events
        self.reconnected = reconnected
        self.by_others = {e.entity_id for e in events if e.entity == "work_item" and e.actor != me}
        self.events_by_others = {e.id for e in events if e.actor != me}
        super().__init__()


class FeedRead(Message):
    """A read of the change feed ended: its events, or why the database was
    unreachable (``events`` is then None)."""

    def __init__(self, events: list[EventRecord] | None, error: str | None) -> None:
        self.events = events
        self.error = error
        super().__init__()
