"""Small modal dialogs: ask for a text, pick one of a list, confirm, read some lines."""

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.tui.drafts import Drafts
from backoffice_tui.tui.screens.base import BackofficeDialog, BackofficeScreen
from backoffice_tui.tui.text import plain, plain_lines
from backoffice_tui.tui.widgets.quiet_input import QuietInput
from backoffice_tui.tui.workspace import workspace_of

DIALOG_CSS = """
{name} {{
    align: center middle;
    & > Vertical {{
        width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }}
    & Label {{ width: 100%; margin-bottom: 1; }}
    & .hint {{ color: $text-muted; margin: 0; }}
}}
"""


class AskText(BackofficeDialog[str | None]):
    """Ask for one line of text (a reason, a note); escape cancels.

    With a ``draft_key`` the text is kept as a draft while it is typed and
    offered again next time, until the caller discards it after a save.
    """

    DEFAULT_CSS = DIALOG_CSS.format(name="AskText")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        placeholder: str = "",
        *,
        required: bool = True,
        value: str = "",
        draft_key: str | None = None,
        action: str = "save",
    ) -> None:
        """``action``: what enter does, as the hint says it."""
        super().__init__()
        self.title_text = title
        self.action = action
        self.placeholder = placeholder
        self.required = required
        self.value = value
        self.draft_key = draft_key

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text))
            yield QuietInput(placeholder=self.placeholder, id="answer")
            yield Label(f"enter: {self.action}   escape: cancel", classes="hint", id="hint")

    def on_mount(self) -> None:
        value = self.value
        if self.draft_key and (draft := self._drafts().get(self.draft_key)) is not None:
            value = draft
            self.query_one("#hint", Label).update(
                f"your unsaved text is back   enter: {self.action}   escape: cancel"
            )
        field = self.query_one(Input)
        field.value = value
        field.cursor_position = len(value)

    def _drafts(self) -> Drafts:
        return workspace_of(self).drafts

    @on(Input.Changed)
    def _keep_draft(self, event: Input.Changed) -> None:
        if self.draft_key:
            self._drafts().put(self.draft_key, event.value)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if self.required and not value:
            self.notify("Type something first, or escape to cancel", severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        if self.draft_key:
            self._drafts().discard(self.draft_key)
        self.dismiss(None)


class PickOne(BackofficeDialog[str | None]):
    """Pick one value from a list; escape cancels."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="PickOne") + "PickOne OptionList { height: auto; max-height: 20; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, choices: list[tuple[str, str]], current: str | None = None
    ) -> None:
        """``choices`` are (value, label) pairs."""
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text))
            yield OptionList(*(Option(plain(label), id=value) for value, label in self.choices))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for index, (value, _) in enumerate(self.choices):
            if value == self.current:
                options.highlighted = index

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(BackofficeDialog[bool]):
    """y confirms, n or escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="Confirm")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.question))
            yield Label(Content("y: yes   n: no"), classes="hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ShowLines(BackofficeDialog[None]):
    """Lines of database text to read (they scroll); escape, q or enter closes."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ShowLines")
        + """
    ShowLines > Vertical { width: 100; }
    ShowLines VerticalScroll { height: auto; max-height: 18; }
    ShowLines VerticalScroll Static { width: 100%; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="show_lines.close"),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text))
            with VerticalScroll():
                yield Static(plain_lines(self.lines))
            yield Label("arrows, page keys: scroll   escape: close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


Choices = list[tuple[str, str]]


def pick_after_loading(
    screen: BackofficeScreen[Any],
    title: str,
    load: Callable[[], Choices],
    chosen: Callable[[str | None], object],
    current: str | None = None,
    *,
    empty: str = "",
) -> None:
    """Read the choices in a worker (never on the UI loop), then ask.

    A failed read is reported like any failed worker; an empty list says
    ``empty`` (or that there is nothing to choose from).
    """

    def read_then_ask() -> None:
        choices = load()
        if not choices:
            message = empty or f"{title}: nothing to choose from"
            screen.app.call_from_thread(screen.notify, message, severity="warning", markup=False)
            return
        screen.app.call_from_thread(
            screen.app.push_screen, PickOne(title, choices, current), chosen
        )

    screen.run_worker(read_then_ask, thread=True, group="pickers", exit_on_error=False)
