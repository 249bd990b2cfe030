"""Go anywhere: ``:`` on every screen asks for an id or a code and opens
that record (``services.lookup.records`` says what may be typed). Something unknown
is said in one line inside the prompt, and nothing else happens."""

from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.services.customers.timeline import TimelineFilter
from backoffice_tui.services.lookup.records import (
    GO_ANYWHERE_SYNTAX,
    FoundRecord,
    RecordKind,
    find_record,
)
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.screens.handoff import HandoffScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.request import ApprovalRequestScreen
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

HINT = "enter: go   escape: cancel"


def open_record(app: App[Any], found: FoundRecord) -> None:
    """Show ``found`` on its own screen, over the current one."""
    if found.kind == RecordKind.WORK_ITEM:
        app.push_screen(WorkItemScreen(found.id))
    elif found.kind == RecordKind.APPROVAL:
        app.push_screen(ApprovalRequestScreen(found.id))
    elif found.kind == RecordKind.HANDOFF:
        app.push_screen(HandoffScreen(found.id))
    elif found.kind == RecordKind.ORDER:
        app.push_screen(CustomerScreen(found.customer_code, TimelineFilter(order=found.code)))
    else:
        app.push_screen(CustomerScreen(found.customer_code))


class GoAnywhere(BackofficeDialog[FoundRecord | None]):
    """The ``:`` prompt: an id or a code; the record found, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="GoAnywhere") + "GoAnywhere .-error { color: $error; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="go_anywhere.cancel")
    ]

    class Looked(Message):
        def __init__(self, typed: str, found: FoundRecord | None, error: str) -> None:
            self.typed = typed
            self.found = found
            self.error = error
            super().__init__()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to")
            yield QuietInput(placeholder=GO_ANYWHERE_SYNTAX, id="where")
            yield Label(HINT, classes="hint", id="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._look_up(event.value)

    @on(Input.Changed)
    def _typing(self) -> None:
        hint = self.query_one("#hint", Label)
        if hint.has_class("-error"):
            hint.remove_class("-error")
            hint.update(HINT)

    @work(thread=True, exclusive=True, group="go-anywhere", exit_on_error=False)
    def _look_up(self, typed: str) -> None:
        try:
            found = find_record(workspace_of(self).db, typed)
        except BackofficeError as error:
            self.post_message(self.Looked(typed, None, str(error)))
        else:
            self.post_message(self.Looked(typed, found, ""))

    @on(Looked)
    def _looked(self, message: Looked) -> None:
        if message.found is not None:
            self.dismiss(message.found)
            return
        hint = self.query_one("#hint", Label)
        hint.add_class("-error")
        hint.update(plain(message.error))

    def action_cancel(self) -> None:
        self.dismiss(None)
