"""Screens whose features are not built yet say so plainly."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from backoffice_tui.tui.widgets.app_header import AppHeader


class ComingSoonScreen(Screen[None]):
    DEFAULT_CSS = """
    ComingSoonScreen Static { margin: 2 4; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "app.go_home", "Back", id="screen.back"),
    ]

    def __init__(self, title: str, what: str) -> None:
        super().__init__()
        self.screen_title = title
        self.what = what

    def compose(self) -> ComposeResult:
        yield AppHeader(self.screen_title)
        yield Static(f"{self.screen_title}: {self.what}\n\nThis screen is coming soon.")
        yield Footer(show_command_palette=False)
