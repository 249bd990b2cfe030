"""The keys of the current screen, from its live bindings."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import fit, plain


def describe_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """(keys, description) for every binding active on ``screen``, grouped by action."""
    grouped: dict[tuple[int, str], tuple[list[str], str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        slot = grouped.setdefault((id(active.node), binding.action), ([], binding.description))
        slot[0].append(screen.app.get_key_display(binding))
    return [(", ".join(keys), description) for keys, description in grouped.values()]


class HelpScreen(BackofficeDialog[None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HelpScreen")
        + """
    HelpScreen > Vertical { width: 60; }
    HelpScreen VerticalScroll { height: auto; max-height: 18; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Keys: {self.title_text}"))
            with VerticalScroll():
                for keys, description in self.keys:
                    yield Static(plain(f"{fit(keys, 16)} {description}"))
            yield Label("escape: close", classes="hint")
