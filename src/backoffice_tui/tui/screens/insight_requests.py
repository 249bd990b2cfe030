"""The approval requests an approvals figure counts, one a line; enter
opens the request whole."""

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Label

from backoffice_tui.domain.text import visible_text
from backoffice_tui.services.insight.approval_times import CountedRequest
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.request import ApprovalRequestScreen
from backoffice_tui.tui.widgets.app_header import AppHeader


class CountedRequestsScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    CountedRequestsScreen #what { margin: 0 1; text-style: bold; }
    CountedRequestsScreen DataTable { height: 1fr; margin: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "app.pop_screen", "Back", id="screen.back"),
    ]

    def __init__(self, title: str, requests: Sequence[CountedRequest]) -> None:
        super().__init__()
        self.title_text = title
        self.requests = tuple(requests)

    def compose(self) -> ComposeResult:
        yield AppHeader("Insights")
        yield Label(
            Text(f"{visible_text(self.title_text)} · {len(self.requests)} requests"), id="what"
        )
        table: DataTable[Text] = DataTable(cursor_type="row")
        for label in ("Request", "Title", "State", "Decisions"):
            table.add_column(Text(label), key=label)
        for r in self.requests:
            table.add_row(
                Text(f"a{r.id}", no_wrap=True),
                Text(visible_text(r.title)[:48], no_wrap=True),
                Text(visible_text(r.state), no_wrap=True),
                Text(str(r.decisions), justify="right"),
                key=str(r.id),
            )
        yield table
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(ApprovalRequestScreen(int(event.row_key.value)))
