"""The work queue as a virtual list of work items."""

from datetime import date
from typing import Any, ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType

from backoffice_tui.services.work.queue import QueueRow, QueueSort
from backoffice_tui.tui.widgets.virtual_table import (
    WINDOW,
    Column,
    Count,
    Fetch,
    VirtualTable,
    customer_text,
)

__all__ = ["WINDOW", "QueueTable"]


class QueueTable(VirtualTable[QueueRow]):
    COLUMNS = (
        Column("id", "ID", 7, sortable=True, keep=True),
        Column("customer", "CUSTOMER", 12, flex=3, sortable=True),
        Column("order", "ORDER", 13, sortable=True),
        Column("service", "SERVICE", 10, flex=1, min_screen=100, sortable=True),
        Column("step", "STEP", 10, flex=2, sortable=True),
        Column("team", "TEAM", 12, min_screen=120, sortable=True),
        Column("assignee", "ASSIGNEE", 9, sortable=True),
        Column("status", "STATUS", 11, sortable=True),
        Column("due", "DUE", 10, sortable=True),
        Column("priority", "PRI", 3, sortable=True, hidden=True),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_tag", "Tag", id="queue.tag"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sort = QueueSort.DUE
        self.descending = False
        self.today = date.today()

    def show(
        self,
        fetch: Fetch,
        count: Count,
        sort: QueueSort,
        today: date,
        keep_cursor_on: int | None = None,
        descending: bool = False,
    ) -> None:
        self.sort, self.descending, self.today = sort, descending, today
        self.load(fetch, count, keep_cursor_on)

    def row_key(self, row: QueueRow) -> tuple[Any, ...]:
        return row.sort_key(self.sort)

    def cell_text(self, row: QueueRow, key: str, width: int) -> str:
        if key == "customer":
            return customer_text(row.customer_code, row.customer_name, width)
        if key == "order":
            return row.order_code
        if key == "status":
            return row.status.replace("_", " ")
        if key == "due":
            return row.due.isoformat()
        return super().cell_text(row, key, width)

    def cell_style(self, row: QueueRow, key: str) -> Style:
        if key == "due" and row.due < self.today and row.status not in ("done", "skipped"):
            return self.get_component_rich_style("virtual-table--alert")
        if key == "status" and row.status == "blocked":
            return self.get_component_rich_style("virtual-table--alert")
        if row.status in ("waiting", "done", "skipped"):
            return self.get_component_rich_style("virtual-table--quiet")
        return Style()
