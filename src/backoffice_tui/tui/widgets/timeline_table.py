"""A customer's timeline as a virtual list of events."""

from typing import Any

from rich.style import Style

from backoffice_tui.domain.event_words import event_words
from backoffice_tui.services.customers.timeline import TimelineEntry
from backoffice_tui.tui.widgets.virtual_table import Column, VirtualTable


class TimelineTable(VirtualTable[TimelineEntry]):
    COLUMNS = (
        Column("at", "TIME", 16),
        Column("actor", "ACTOR", 10),
        Column("team", "TEAM", 12, min_screen=110),
        Column("service", "SERVICE", 14, min_screen=130),
        Column("order", "ORDER", 13, min_screen=90),
        Column("kind", "KIND", 20),
        Column("summary", "SUMMARY", 12, flex=1),
    )

    def row_key(self, row: TimelineEntry) -> tuple[Any, ...]:
        return row.sort_key()

    def cell_text(self, row: TimelineEntry, key: str, width: int) -> str:
        if key == "at":
            return row.at.astimezone().strftime("%Y-%m-%d %H:%M")
        if key == "order":
            return row.order_code or "-"
        if key == "kind":
            return event_words(row.kind)
        return super().cell_text(row, key, width)

    def cell_style(self, row: TimelineEntry, key: str) -> Style:
        if key == "kind" and row.kind.endswith(("blocked", "skipped", "returned", "rejected")):
            return self.get_component_rich_style("virtual-table--alert")
        if key in ("at", "team", "service", "order"):
            return self.get_component_rich_style("virtual-table--quiet")
        return Style()
