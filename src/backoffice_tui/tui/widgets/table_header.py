"""Column titles above a virtual table, aligned with its columns."""

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from backoffice_tui.tui.text import fit
from backoffice_tui.tui.widgets.virtual_table import Column, layout_columns


class TableHeader(Widget):
    DEFAULT_CSS = """
    TableHeader { height: 1; color: $text-muted; text-style: bold; }
    """

    def __init__(self, columns: tuple[Column, ...]) -> None:
        super().__init__()
        self.columns = columns

    def render_line(self, y: int) -> Strip:
        width = self.size.width - 1  # the table's scrollbar
        segments = [Segment(" ")]
        for n, (column, column_width) in enumerate(layout_columns(self.columns, width)):
            segments.append(Segment((" " if n else "") + fit(column.title, column_width)))
        return Strip(segments).adjust_cell_length(self.size.width).apply_style(self.rich_style)
