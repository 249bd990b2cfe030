"""What a bulk action did to each item: ok, or the one-line reason it was refused."""

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import plain


@dataclass(frozen=True)
class ItemResult:
    label: str  # which item, e.g. "#12 Order ORD-1"
    error: str | None = None  # None: done

    def line(self) -> str:
        return (
            f"ok      {self.label}" if self.error is None else f"FAILED  {self.label}: {self.error}"
        )


class BulkResults(BackofficeDialog[None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="BulkResults")
        + """
    BulkResults > Vertical { width: 100; }
    BulkResults OptionList { height: auto; max-height: 16; border: none; padding: 0; }
    BulkResults OptionList:focus { border: none; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="bulk_results.close"),
    ]

    def __init__(self, title: str, results: list[ItemResult]) -> None:
        super().__init__()
        self.title_text = title
        self.results = results

    def compose(self) -> ComposeResult:
        failed = sum(1 for r in self.results if r.error)
        summary = f"{len(self.results) - failed} done, {failed} failed"
        with Vertical():
            yield Label(plain(f"{self.title_text}: {summary}"))
            # failures first: they are what needs reading
            ordered = sorted(self.results, key=lambda r: r.error is None)
            yield OptionList(*(Option(plain(r.line())) for r in ordered))
            yield Label("escape: close", classes="hint")

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
