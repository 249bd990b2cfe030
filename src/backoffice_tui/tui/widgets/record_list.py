"""A list of records that moves like the queue: j/k, g/G, and no wrapping
from the last row to the first (or back)."""

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import OptionList


class RecordList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", id="list.down", show=False),
        Binding("k", "cursor_up", "Up", id="list.up", show=False),
        Binding("g", "first", "First", id="list.first", show=False),
        Binding("G", "last", "Last", id="list.last", show=False),
    ]

    def action_cursor_down(self) -> None:
        if self.highlighted is None or self.highlighted < self.option_count - 1:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.highlighted is None or self.highlighted > 0:
            super().action_cursor_up()
