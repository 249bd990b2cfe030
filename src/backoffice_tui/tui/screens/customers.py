"""Customer search: results as you type, by code, name or reading."""

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.services.customers.search import CustomerRow, list_customers
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.customer_form import CustomerForm
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.widgets.record_list import RecordList
from backoffice_tui.tui.workspace import workspace_of

RESULTS = 50


class CustomerSearchScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    CustomerSearchScreen #query { margin: 1 1 0 1; }
    CustomerSearchScreen #found { height: 1; color: $text-muted; padding: 0 2; }
    CustomerSearchScreen OptionList {
        height: 1fr; border: none; margin: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    CustomerSearchScreen OptionList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "results", "Results", id="customers.results", show=False),
        Binding("n,ctrl+n", "new_customer", "New customer", id="customers.new"),
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    class Found(Message):
        def __init__(self, text: str, rows: list[CustomerRow]) -> None:
            self.text = text
            self.rows = rows
            super().__init__()

    def compose(self) -> ComposeResult:
        yield AppHeader("Customers")
        yield QuietInput(
            placeholder="code, name or reading (かな, ｶﾅ, ＡＢＣ all match)", id="query"
        )
        yield Static(id="found")
        yield RecordList(id="results")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#query").focus()
        self._search("")

    def on_screen_resume(self) -> None:
        # back from a customer: what is typed next searches again
        self.query_one("#query").focus()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        results = self.query_one(OptionList)
        if results.option_count:
            self.app.push_screen(CustomerScreen(results.get_option_at_index(0).id or ""))

    @work(thread=True, exclusive=True, group="customer-search", exit_on_error=False)
    def _search(self, text: str) -> None:
        rows = list_customers(workspace_of(self).db, text.strip() or None, RESULTS)
        self.post_message(self.Found(text, rows))

    @on(Found)
    def _show(self, message: Found) -> None:
        results = self.query_one(OptionList)
        results.set_options(
            Option(
                plain(
                    f"{fit(row.code, 10)} {fit(row.name, 36)} {fit(row.reading or '', 24)} "
                    f"{row.segment}"
                ),
                id=row.code,
            )
            for row in message.rows
        )
        more = " (first 50; type more to narrow)" if len(message.rows) == RESULTS else ""
        found = f"{len(message.rows)} customer{'s' if len(message.rows) != 1 else ''}{more}"
        self.query_one("#found", Static).update(plain(found))

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(CustomerScreen(event.option.id))

    def action_results(self) -> None:
        results = self.query_one(OptionList)
        if results.option_count:
            results.focus()
            results.highlighted = results.highlighted or 0

    def action_new_customer(self) -> None:
        """The form for a new customer; once saved, that customer's screen."""

        def saved(code: str | None) -> None:
            if code:
                self.app.push_screen(CustomerScreen(code))

        self.app.push_screen(CustomerForm(), saved)

    def action_back(self) -> None:
        if self.query_one(OptionList).has_focus:
            self.query_one("#query").focus()
        else:
            self.console.action_go_home()
