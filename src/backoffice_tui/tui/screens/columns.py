"""Choosing the columns of a list: which show, in what order, how wide."""

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from backoffice_tui.config.paths import state_dir
from backoffice_tui.tui.column_prefs import (
    MAX_WIDTH,
    ColumnChoice,
    ColumnPrefs,
    apply_choices,
    arranged,
    default_choices,
)
from backoffice_tui.tui.screens.base import BackofficeDialog
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.table_header import TableHeader
from backoffice_tui.tui.widgets.virtual_table import Column, VirtualTable
from backoffice_tui.tui.workspace import workspace_of

HINT = "space show/hide  +/- or left/right width  K/J move up/down  d defaults"


class ColumnsDialog(BackofficeDialog[list[ColumnChoice] | None]):
    """The columns of one list; enter keeps the choice, escape leaves it."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ColumnsDialog") + (
        "ColumnsDialog OptionList { height: auto; max-height: 16; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_shown", "Show/hide", id="columns.toggle"),
        Binding("plus,right,l", "widen", "Wider", id="columns.widen"),
        Binding("minus,left,h", "narrow", "Narrower", id="columns.narrow"),
        Binding("K", "move(-1)", "Move up", id="columns.up"),
        Binding("J", "move(1)", "Move down", id="columns.down"),
        Binding("d", "defaults", "Defaults", id="columns.defaults"),
        Binding("escape", "cancel", "Cancel", id="columns.cancel"),
    ]

    def __init__(
        self, title: str, columns: tuple[Column, ...], choices: list[ColumnChoice] | None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.columns = {c.key: c for c in columns}
        self.choices = arranged(columns, choices)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text))
            yield OptionList(*(Option(plain(self._line(c)), id=c.key) for c in self.choices))
            yield Label(HINT, classes="hint")
            yield Label("enter: keep   escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def _line(self, choice: ColumnChoice) -> str:
        column = self.columns[choice.key]
        mark = "[=]" if column.keep else "[x]" if choice.shown else "[ ]"
        title = column.title.capitalize() if column.title != "ID" else "ID"
        return f"{mark} {title:<12} {choice.width:>3} cells"

    @property
    def _index(self) -> int:
        return self.query_one(OptionList).highlighted or 0

    def _show(self) -> None:
        options = self.query_one(OptionList)
        current = self._index
        options.set_options(Option(plain(self._line(c)), id=c.key) for c in self.choices)
        options.highlighted = min(current, len(self.choices) - 1)

    def _change(self, shown: bool | None = None, width: int | None = None) -> None:
        index = self._index
        choice = self.choices[index]
        self.choices[index] = ColumnChoice(
            choice.key,
            choice.shown if shown is None else shown,
            choice.width if width is None else width,
        )
        self.query_one(OptionList).replace_option_prompt_at_index(
            index, plain(self._line(self.choices[index]))
        )

    def action_toggle_shown(self) -> None:
        choice = self.choices[self._index]
        if self.columns[choice.key].keep:
            self.notify(f"{self.columns[choice.key].title} always shows", severity="warning")
            return
        self._change(shown=not choice.shown)

    def action_widen(self) -> None:
        self._change(width=min(self.choices[self._index].width + 1, MAX_WIDTH))

    def action_narrow(self) -> None:
        choice = self.choices[self._index]
        self._change(width=max(choice.width - 1, len(self.columns[choice.key].title)))

    def action_move(self, step: int) -> None:
        index = self._index
        target = index + step
        if 0 <= target < len(self.choices):
            self.choices[index], self.choices[target] = self.choices[target], self.choices[index]
            self._show()
            self.query_one(OptionList).highlighted = target

    def action_defaults(self) -> None:
        self.choices = default_choices(tuple(self.columns.values()))
        self._show()

    @on(OptionList.OptionSelected)
    def action_keep(self) -> None:
        self.dismiss(list(self.choices))

    def action_cancel(self) -> None:
        self.dismiss(None)


def column_prefs_of(node: DOMNode) -> ColumnPrefs:
    """The column choices of the operator at this console."""
    return ColumnPrefs(state_dir(), workspace_of(node).actor.login)


def restore_columns(
    node: DOMNode, name: str, table: VirtualTable[Any], header: TableHeader
) -> None:
    """Show the columns the operator chose for the list ``name``, if any."""
    columns = apply_choices(table.COLUMNS, column_prefs_of(node).get(name))
    table.show_columns(columns)
    header.show_columns(columns)


def choose_columns(
    node: DOMNode, name: str, title: str, table: VirtualTable[Any], header: TableHeader
) -> None:
    """Open the columns dialog of the list ``name``; keep and show what is chosen."""
    prefs = column_prefs_of(node)

    def chosen(choices: list[ColumnChoice] | None) -> None:
        if choices is not None:
            prefs.put(name, choices)
            restore_columns(node, name, table, header)

    node.app.push_screen(ColumnsDialog(title, table.COLUMNS, prefs.get(name)), chosen)
