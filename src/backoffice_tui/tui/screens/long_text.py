"""Long text made readable: an event's summary, a note or a comment that a
table row cuts, shown whole and wrapped in a dialog (it scrolls)."""

from backoffice_tui.domain.event_words import event_words
from backoffice_tui.services.customers.timeline import TimelineEntry
from backoffice_tui.tui.screens.dialogs import ShowLines


class LongText(ShowLines):
    """One text whole, wrapped; escape, q or enter closes."""

    def __init__(self, title: str, text: str, *, about: str = "") -> None:
        """``about``: a line above the text saying where it comes from."""
        lines = ([about, ""] if about else []) + text.splitlines()
        super().__init__(title, lines or [""])


def event_text(entry: TimelineEntry) -> LongText:
    """A timeline event whole: when, who, what, on which order, and its summary."""
    at = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
    where = " ".join(part for part in (entry.order_code, entry.service, entry.team) if part)
    about = f"{at}  {entry.actor}  {event_words(entry.kind)}" + (f"  ({where})" if where else "")
    return LongText(f"Event {entry.id}", entry.summary, about=about)
