"""Column titles above a virtual table, aligned with its columns; the
column the list is sorted by carries an arrow (``^``/``v`` in ASCII mode)."""

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from backoffice_tui.tui.text import fit
from backoffice_tui.tui.widgets.virtual_table import Column, layout_columns, shown_by_default
from backoffice_tui.tui.workspace import console_of


def sort_mark(descending: bool, ascii_only: bool) -> str:
    """The arrow of a sorted column: up for A to Z (earliest first)."""
    if ascii_only:
        return "v" if descending else "^"
    return "▼" if descending else "▲"


class TableHeader(Widget):
    DEFAULT_CSS = """
    TableHeader { height: 1; color: $text-muted; text-style: bold; }
    """

    def __init__(self, columns: tuple[Column, ...]) -> None:
        super().__init__()
        self.columns = shown_by_default(columns)
        self.sorted_by: str | None = None
        self.descending = False

    def show_sort(self, key: str | None, descending: bool = False) -> None:
        """Mark the column ``key`` as the one the list is sorted by."""
        if (key, descending) != (self.sorted_by, self.descending):
            self.sorted_by, self.descending = key, descending
            self.refresh()

    def show_columns(self, columns: tuple[Column, ...]) -> None:
        if columns != self.columns:
            self.columns = columns
            self.refresh()

    def title_of(self, column: Column, width: int) -> str:
        if column.key != self.sorted_by:
            return fit(column.title, width)
        mark = sort_mark(self.descending, console_of(self).ascii_borders)
        if len(column.title) < width:
            return fit(column.title + mark, width)
        return fit(column.title, width - 1, "") + mark

    def render_line(self, y: int) -> Strip:
        width = self.size.width - 1  # the table's scrollbar
        segments = [Segment(" ")]
        for n, (column, column_width) in enumerate(layout_columns(self.columns, width)):
            segments.append(Segment((" " if n else "") + self.title_of(column, column_width)))
        return Strip(segments).adjust_cell_length(self.size.width).apply_style(self.rich_style)
