"""A virtual list that reads only the rows it shows.

Like a log viewer over a huge file: the widget knows how many rows there
are, keeps a small cache of windows of rows, and asks its source for a
window when one scrolls into view. A window right after a cached row is
read by keyset (after that row's sort key), a window right before one
backwards from it, one nearer the end backwards from the end, any other by
offset: paging costs the same at any depth.

Subclasses say what the columns are and how a row looks.
"""

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.worker import get_current_worker

from backoffice_tui.tui.text import fit
from backoffice_tui.tui.worker_errors import ReportsWorkerFailures
from backoffice_tui.tui.workspace import console_of

WINDOW = 100
MAX_WINDOWS = 12
FLASH_SECONDS = 1.5

RowT = TypeVar("RowT")

# fetch(offset, limit, after, reverse) -> rows in display order
Fetch = Callable[[int, int, tuple[Any, ...] | None, bool], list[Any]]
Count = Callable[[], int]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # minimum cells
    flex: int = 0  # share of the spare width
    min_screen: int = 0  # shown only when the table is at least this wide
    sortable: bool = False  # the list can be sorted by it (``key`` names the sort)
    hidden: bool = False  # offered in the columns dialog, not shown until chosen
    keep: bool = False  # never dropped, however narrow the screen (the id)


def customer_text(code: str, name: str, width: int) -> str:
    """A customer in ``width`` cells: code and name when both fit, else the
    name alone (a double-width name gets the cells before the code does)."""
    if not name:
        return code
    if width < 20 or cell_len(code) + 1 + cell_len(name) > width:
        return name
    return f"{code} {name}"


def shown_by_default(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    return tuple(c for c in columns if not c.hidden)


def layout_columns(columns: tuple[Column, ...], width: int) -> list[tuple[Column, int]]:
    """The columns that fit ``width`` (one cell for the tag mark, one space
    between columns) and their widths. When even their minimum widths do not
    fit, the rightmost columns give way, never one that must stay."""
    shown = [c for c in columns if width >= c.min_screen or c.keep]

    def needed(listed: list[Column]) -> int:
        return 1 + sum(c.width for c in listed) + len(listed) - 1

    while needed(shown) > width and len(shown) > 1 and any(not c.keep for c in shown):
        shown.remove(next(c for c in reversed(shown) if not c.keep))
    fixed = needed(shown)
    spare = max(0, width - fixed)
    flex_total = sum(c.flex for c in shown) or 1
    flexible = [c for c in shown if c.flex]
    widths, given = [], 0
    for column in shown:
        extra = 0
        if column.flex:
            extra = spare - given if column is flexible[-1] else spare * column.flex // flex_total
            given += extra
        widths.append((column, column.width + extra))
    return widths


class VirtualTable(ReportsWorkerFailures, ScrollView, Generic[RowT], can_focus=True):
    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", id="table.down", show=False),
        Binding("k,up", "cursor_up", "Up", id="table.up", show=False),
        Binding("pagedown,ctrl+f", "page_down", "Page down", id="table.page_down", show=False),
        Binding("pageup,ctrl+b", "page_up", "Page up", id="table.page_up", show=False),
        Binding("home,g", "first", "First", id="table.first", show=False),
        Binding("end,G", "last", "Last", id="table.last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--cursor",
        "virtual-table--tagged",
        "virtual-table--pending",
        "virtual-table--alert",
        "virtual-table--quiet",
        "virtual-table--changed",
    }

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        & > .virtual-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .virtual-table--tagged { color: $accent; text-style: bold; }
        & > .virtual-table--pending { color: $text-disabled; }
        & > .virtual-table--alert { color: $error; text-style: bold; }
        & > .virtual-table--quiet { color: $text-muted; }
        & > .virtual-table--changed { background: $warning 30%; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=False, repaint=False)

    class Highlighted(Message):
        """The cursor is on a (loaded) row, or on none."""

        def __init__(self, row: Any) -> None:
            self.row = row
            super().__init__()

    class TagsChanged(Message):
        """A row was tagged or untagged, or the tags were cleared."""

    class Selected(Message):
        """Enter on a row."""

        def __init__(self, row: Any) -> None:
            self.row = row
            super().__init__()

    class Loaded(Message):
        """A window or the count arrived from the database."""

        def __init__(
            self, generation: int, start: int, rows: list[Any] | None, total: int | None
        ) -> None:
            self.generation = generation
            self.start = start
            self.rows = rows
            self.total = total
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._fetch: Fetch | None = None
        self._count: Count | None = None
        self.total: int | None = None
        self._rows: dict[int, RowT] = {}
        self._windows: OrderedDict[int, None] = OrderedDict()
        self._requested: set[int] = set()
        self._generation = 0
        self.tagged: set[int] = set()
        # rows tagged without being read into view (tag everything the filter matches)
        self._tagged_rows: dict[int, RowT] = {}
        self._pending_cursor_id: int | None = None
        # rows of the previous read, shown while a reload reads them again
        self._stale: dict[int, RowT] = {}
        self._flashing: set[int] = set()
        self._flash_timer: Timer | None = None
        self.columns = shown_by_default(self.COLUMNS)  # in order, as chosen

    def visible_columns(self) -> list[Column]:
        """The columns drawn now, at the table's width."""
        width = self.scrollable_content_region.width
        return [column for column, _ in layout_columns(self.columns, width)]

    def show_columns(self, columns: tuple[Column, ...]) -> None:
        if columns != self.columns:
            self.columns = columns
            self.refresh()

    @property
    def ellipsis(self) -> str:
        """How a cut value ends: never an ambiguous-width character in ASCII mode."""
        return "~" if console_of(self).ascii_borders else "…"

    # --- what subclasses say --------------------------------------------------

    def row_id(self, row: RowT) -> int:
        return row.id  # type: ignore[attr-defined, no-any-return]

    def row_key(self, row: RowT) -> tuple[Any, ...]:
        """The row's position in the sort order (for keyset reads)."""
        raise NotImplementedError

    def cell_text(self, row: RowT, key: str, width: int) -> str:
        value = getattr(row, key)
        return "-" if value is None else str(value)

    def cell_style(self, row: RowT, key: str) -> Style:
        """Extra style of one cell, when the cursor is not on the row."""
        return Style()

    # --- data -----------------------------------------------------------------

    def load(self, fetch: Fetch, count: Count, keep_cursor_on: int | None = None) -> None:
        """Show a new query: forget the cache, read the first window and the count."""
        self._fetch, self._count = fetch, count
        self._generation += 1
        # A reload keeps showing the old rows until the new ones arrive: no
        # "loading" flicker, and the cursor stays on a row meanwhile.
        self._stale = {**self._stale, **self._rows} if keep_cursor_on is not None else {}
        self._rows.clear()
        self._windows.clear()
        self._requested.clear()
        self._pending_cursor_id = keep_cursor_on
        if keep_cursor_on is None:
            self.total = None
            self.set_reactive(VirtualTable.cursor, 0)
            self.scroll_to(y=0, animate=False, immediate=True)
        self._update_virtual_size()
        self._request_window(self.cursor if keep_cursor_on else 0)
        self._load_count(self._generation)
        self.refresh()

    def reload(self) -> None:
        """Read the same query again, keeping the cursor on the same item."""
        if self._fetch is not None and self._count is not None:
            row = self.current_row
            self.load(self._fetch, self._count, self.row_id(row) if row else None)

    def _update_virtual_size(self) -> None:
        height = self.total if self.total is not None else max(self._rows, default=-1) + WINDOW
        self.virtual_size = Size(self.size.width, max(height, 0))

    def _request_window(self, start: int) -> None:
        start = max(0, start // WINDOW * WINDOW)
        if start in self._windows or start in self._requested or self._fetch is None:
            return
        total = self.total
        if total is not None and start >= total and start > 0:
            return
        self._requested.add(start)
        limit = WINDOW if total is None else min(WINDOW, total - start)
        previous, following = self._rows.get(start - 1), self._rows.get(start + WINDOW)
        request: tuple[int, int, tuple[Any, ...] | None, bool]
        if previous is not None:  # right after a row we have: keyset forwards
            request = (0, limit, self.row_key(previous), False)
        elif following is not None:  # right before a row we have: keyset backwards
            request = (0, limit, self.row_key(following), True)
        elif total is not None and start > total // 2:  # nearer the end: count from it
            request = (total - start - limit, limit, None, True)
        else:
            request = (start, limit, None, False)
        self._load_window(self._generation, start, request)

    @work(thread=True, group="table-window", exit_on_error=False)
    def _load_window(
        self, generation: int, start: int, request: tuple[int, int, Any, bool]
    ) -> None:
        assert self._fetch is not None
        rows = self._fetch(*request)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(generation, start, rows, None))

    @work(thread=True, group="table-count", exclusive=True, exit_on_error=False)
    def _load_count(self, generation: int) -> None:
        assert self._count is not None
        total = self._count()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(generation, -1, None, total))

    @on(Loaded)
    def _on_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return  # an answer to a query no longer shown
        if message.total is not None:
            self.total = message.total
            self._stale = {i: row for i, row in self._stale.items() if i < message.total}
        if message.rows is not None:
            self._requested.discard(message.start)
            self._windows[message.start] = None
            self._windows.move_to_end(message.start)
            for offset, row in enumerate(message.rows):
                self._rows[message.start + offset] = row
            for index in range(message.start, message.start + WINDOW):
                self._stale.pop(index, None)
            if len(message.rows) < WINDOW and self.total is None:
                self.total = message.start + len(message.rows)
            self._evict()
        self._update_virtual_size()
        if self.total is not None and self.cursor >= self.total:
            self.set_reactive(VirtualTable.cursor, max(0, self.total - 1))
        self._restore_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self.current_row))

    def _restore_cursor(self) -> None:
        if self._pending_cursor_id is None:
            return
        for index, row in self._rows.items():
            if self.row_id(row) == self._pending_cursor_id:
                self._pending_cursor_id = None
                if index != self.cursor:
                    self.set_reactive(VirtualTable.cursor, index)
                    self._scroll_cursor_into_view()
                return

    def _evict(self) -> None:
        while len(self._windows) > MAX_WINDOWS:
            start, _ = self._windows.popitem(last=False)
            for index in range(start, start + WINDOW):
                self._rows.pop(index, None)

    @property
    def current_row(self) -> RowT | None:
        row = self._rows.get(self.cursor)
        return self._stale.get(self.cursor) if row is None else row

    def tagged_or_current(self) -> list[RowT]:
        if self.tagged:
            rows = {
                **{self.row_id(row): row for row in self._tagged_rows.values()},
                **{self.row_id(row): row for row in {**self._stale, **self._rows}.values()},
            }
            return [row for row_id, row in rows.items() if row_id in self.tagged]
        row = self.current_row
        return [row] if row is not None else []

    # --- cursor ---------------------------------------------------------------

    def _row_region(self, index: int) -> Region:
        return Region(0, index - round(self.scroll_offset.y), self.size.width, 1)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh(self._row_region(old), self._row_region(new))
        self._scroll_cursor_into_view()
        self.post_message(self.Highlighted(self.current_row))

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _move(self, target: int) -> None:
        last = (self.total if self.total is not None else max(self._rows, default=0) + 1) - 1
        self.cursor = max(0, min(target, max(last, 0)))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_page_down(self) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_offset.y + height, animate=False, immediate=True)
        self._move(self.cursor + height)

    def action_page_up(self) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, self.scroll_offset.y - height), animate=False, immediate=True)
        self._move(self.cursor - height)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        if self.total is not None:
            self._move(self.total - 1)

    def jump_to(self, index: int) -> None:
        self._move(index)

    def action_toggle_tag(self) -> None:
        row = self.current_row
        if row is None:
            return
        self.tagged.symmetric_difference_update({self.row_id(row)})
        self.refresh(self._row_region(self.cursor))
        # the count is told apart from the cursor: on the last row it does not move
        self.post_message(self.TagsChanged())
        self._move(self.cursor + 1)

    def tag_rows(self, rows: list[RowT]) -> None:
        """Tag these rows, loaded or not (everything a filter matches)."""
        for row in rows:
            self._tagged_rows[self.row_id(row)] = row
        self.tagged |= set(self._tagged_rows)
        self.refresh()
        self.post_message(self.TagsChanged())

    def clear_tags(self) -> None:
        self._tagged_rows.clear()
        if self.tagged:
            self.tagged.clear()
            self.refresh()
            self.post_message(self.TagsChanged())

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and self.current_row is not None:
            event.stop()
            self.post_message(self.Selected(self.current_row))

    # --- rendering ------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = y + round(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        if self.total is not None and index >= self.total:
            return Strip.blank(width, self.rich_style)
        row = self._rows.get(index)
        if row is None:
            self._request_window(index)
            stale = self._stale.get(index)
            if stale is not None:
                return self._render_row(stale, index == self.cursor, width)
            style = self.get_component_rich_style("virtual-table--pending")
            text = "  …loading" if y == 0 else ""
            return Strip([Segment(fit(text, width), style)])
        return self._render_row(row, index == self.cursor, width)

    def _render_row(self, row: RowT, is_cursor: bool, width: int) -> Strip:
        base = self.rich_style
        if is_cursor:
            base += self.get_component_rich_style("virtual-table--cursor")
        elif self._flashing and self.row_id(row) in self._flashing:
            base += self.get_component_rich_style("virtual-table--changed")
        tagged = self.row_id(row) in self.tagged
        mark_style = base + self.get_component_rich_style("virtual-table--tagged")
        segments = [Segment("*", mark_style) if tagged else Segment(" ", base)]
        ellipsis = self.ellipsis
        for n, (column, column_width) in enumerate(layout_columns(self.columns, width)):
            style = base if is_cursor else base + self.cell_style(row, column.key)
            if n:
                segments.append(Segment(" ", base))
            text = self.cell_text(row, column.key, column_width)
            segments.append(Segment(fit(text, column_width, ellipsis), style))
        return Strip(segments).adjust_cell_length(width, base).simplify()

    # --- changes by others -------------------------------------------------------

    def flash(self, ids: set[int] | frozenset[int], seconds: float = FLASH_SECONDS) -> None:
        """Highlight the rows of these items for a moment (changed by someone
        else); one timer clears them, nothing is drawn in between."""
        if not ids:
            return
        self._flashing |= set(ids)
        if self._flash_timer is not None:
            self._flash_timer.stop()
        self._flash_timer = self.set_timer(seconds, self._end_flash, name="flash")
        self.refresh()

    @property
    def flashing(self) -> frozenset[int]:
        return frozenset(self._flashing)

    def _end_flash(self) -> None:
        self._flash_timer = None
        if self._flashing:
            self._flashing.clear()
            self.refresh()

    def on_resize(self) -> None:
        self._update_virtual_size()
