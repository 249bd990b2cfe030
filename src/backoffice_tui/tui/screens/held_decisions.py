"""The decisions a console held in their undo window when it stopped (a
crash, kill -9, a lost connection): commit them now, discard them, or
decide at the next start."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from backoffice_tui.tui.pending_decisions import COMMIT, DISCARD
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import plain_lines


def held_title(number: int) -> str:
    if number == 1:
        return "1 decision was held when the console stopped:"
    return f"{number} decisions were held when the console stopped:"


class HeldDecisions(BackofficeDialog[str | None]):
    """c commits them, d discards them, escape leaves them for the next start."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HeldDecisions")
        + """
    HeldDecisions > Vertical { width: 76; }
    HeldDecisions VerticalScroll { height: auto; max-height: 12; margin-bottom: 1; }
    HeldDecisions VerticalScroll Static { width: 100%; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "answer('commit')", "Commit", id="held_decisions.commit"),
        Binding("d", "answer('discard')", "Discard", id="held_decisions.discard"),
        Binding("escape", "answer('')", "Later", id="held_decisions.later"),
    ]

    def __init__(self, lines: list[str]) -> None:
        """``lines``: one per decision, database text shown as typed."""
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(held_title(len(self.lines)))
            with VerticalScroll():
                yield Static(plain_lines(self.lines))
            yield Label(
                "c: commit   d: discard   escape: ask again at the next start", classes="hint"
            )

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer if answer in (COMMIT, DISCARD) else None)
