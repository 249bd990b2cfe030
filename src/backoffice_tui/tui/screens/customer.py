"""One customer: facts (with the columns imported files added), the progress
of every order line, and the timeline of every event about them from all teams."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.domain.written_dates import written_date
from backoffice_tui.io.timeline_export import default_export_path, export_timeline
from backoffice_tui.io.writers import ExportFormat
from backoffice_tui.services.customers.saved_views import EVENTS, timeline_view_filters
from backoffice_tui.services.customers.search import CustomerDetail, LineProgress, customer_detail
from backoffice_tui.services.customers.timeline import (
    TimelineEntry,
    TimelineFilter,
    count_timeline,
    event_kinds,
    timeline_window,
)
from backoffice_tui.services.exports.rows import export_timeline as export_timeline_table
from backoffice_tui.services.people.directory import list_services
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.customer_form import CustomerForm
from backoffice_tui.tui.screens.dialogs import AskText, Choices, ShowLines, pick_after_loading
from backoffice_tui.tui.screens.export_view import ask_to_export
from backoffice_tui.tui.screens.handoff import HandoffScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.long_text import event_text
from backoffice_tui.tui.screens.order_cancel import ask_to_cancel
from backoffice_tui.tui.screens.order_form import OrderForm
from backoffice_tui.tui.screens.views import ask_to_save_view, pick_view
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.search_box import SearchBox
from backoffice_tui.tui.widgets.table_header import TableHeader
from backoffice_tui.tui.widgets.timeline_table import TimelineTable
from backoffice_tui.tui.workspace import workspace_of

# A customer's attributes take two lines at most above the order lines, so
# that the timeline keeps its room; i shows them all.
ATTRIBUTES_WIDTH = 156
TITLE_WIDTH = 18  # of an order's title in the order lines

# One cell per step: ASCII only, so it lines up on every terminal.
STEP_MARKS = {
    "done": ("=", "$success"),
    "skipped": ("-", "$text-muted"),
    "in_progress": (">", "bold $accent"),
    "ready": (">", "$accent"),
    "blocked": ("!", "bold $error"),
    "waiting": (".", "$text-muted"),
}


def progress_bar(line: LineProgress, today: date) -> Content:
    """``[===>...]``: done, current, blocked (!) and overdue (red) at a glance."""
    pieces: list[Content | str] = ["["]
    for status, due in zip(line.step_statuses, line.step_dues, strict=True):
        mark, style = STEP_MARKS.get(status, ("?", ""))
        if status in ("ready", "in_progress") and due < today:
            style = "bold $error"
        pieces.append(Content.styled(mark, style))
    pieces.append("]")
    return Content.assemble(*pieces)


def attributes_summary(attributes: dict[str, str]) -> str:
    """``Details (2; i shows all)  name: value  name: value``, cut to ATTRIBUTES_WIDTH cells."""
    summary = f"Details ({len(attributes)}; i shows all)  " + "  ".join(
        f"{name}: {value}" for name, value in attributes.items()
    )
    return fit(summary, ATTRIBUTES_WIDTH).rstrip()


def line_prompt(line: LineProgress, today: date, titles: bool = False) -> Content:
    """An order line; with ``titles``, a column of order titles after the code."""
    if line.line_status == "cancelled":
        where = "cancelled"
    elif line.current_step is None:
        where = "complete"
    else:
        late = " overdue" if line.current_due and line.current_due < today else ""
        where = (
            f"{line.current_step} | {line.current_team} | {line.current_assignee or '-'} | "
            f"{(line.current_status or '').replace('_', ' ')} | due {line.current_due}{late}"
        )
    return Content.assemble(
        plain(
            f"{fit(line.order_code, 13)} "
            + (f"{fit(line.order_title, TITLE_WIDTH)} " if titles else "")
            + f"{fit(line.service, 16)} "
        ),
        progress_bar(line, today),
        plain(f" {line.finished}/{line.steps}  {where}"),
    )


class CustomerScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    CustomerScreen #facts { padding: 0 1; height: auto; }
    CustomerScreen #details { padding: 0 1; height: auto; max-height: 2; color: $text-muted; }
    CustomerScreen Label { padding: 0 1; color: $text-muted; text-style: bold; }
    CustomerScreen #lines {
        height: auto; max-height: 8; border: none; margin: 0 1; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    CustomerScreen #lines:focus { border: none; }
    CustomerScreen #timeline-status { height: 1; background: $surface; color: $text-muted;
        padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "new_order", "New order", id="customer.new_order"),
        Binding("s", "toggle_order", "Oldest/newest", id="customer.order"),
        Binding("e", "edit", "Edit", id="customer.edit"),
        Binding("slash", "search", "Search", id="customer.search"),
        Binding("v", "pick_service", "Service", id="customer.service"),
        Binding("r", "pick_order", "Order", id="customer.order_filter", show=False),
        Binding("t", "pick_kind", "Kind", id="customer.kind"),
        Binding("d", "pick_dates", "Dates", id="customer.dates", show=False),
        Binding("c", "clear_filters", "Clear filters", id="customer.clear", show=False),
        Binding("x", "export", "Export CSV", id="customer.export"),
        Binding("ctrl+e", "export_to", "Export to a file", id="customer.export_to", show=False),
        Binding("X", "cancel_line", "Cancel line/order", id="customer.cancel"),
        Binding("i", "details", "Details", id="customer.details", show=False),
        Binding("w", "read_whole", "Read whole", id="customer.read_whole", show=False),
        Binding("S", "save_view", "Save view", id="customer.save_view", show=False),
        Binding("V", "open_view", "Saved views", id="customer.open_view", show=False),
        Binding("ctrl+r", "reload", "Reload", id="customer.reload", show=False),
        Binding("q,escape", "back", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, detail: CustomerDetail) -> None:
            self.detail = detail
            super().__init__()

    def __init__(self, code: str, timeline_filter: TimelineFilter | None = None) -> None:
        super().__init__()
        self.code = code
        self.timeline_filter = timeline_filter or TimelineFilter()
        self.newest_first = True
        self.detail: CustomerDetail | None = None
        self._status = ""

    def compose(self) -> ComposeResult:
        yield AppHeader(f"Customer {self.code}")
        yield Static("loading…", id="facts")
        details = Static(id="details")
        details.display = False  # until the customer has attributes
        yield details
        yield Label("Order lines")
        yield OptionList(id="lines")
        yield Static(id="timeline-status")
        yield TableHeader(TimelineTable.COLUMNS)
        yield TimelineTable(id="timeline")
        yield SearchBox(placeholder="text in the summary; enter applies", id="search")
        yield Footer(show_command_palette=False)

    @property
    def table(self) -> TimelineTable:
        return self.query_one(TimelineTable)

    def on_mount(self) -> None:
        self.action_reload()
        self.table.focus()

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.action_reload()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """Reload when an event is about this customer (or we were offline)."""
        if not self.is_mounted or self.detail is None:
            return
        mine = [e for e in message.events if e.customer_id == self.detail.customer.id]
        if mine or message.reconnected:
            self.action_reload()
            self.table.flash({e.id for e in mine if e.id in message.events_by_others})

    def action_reload(self) -> None:
        self._load_detail()
        self._load_timeline(keep_cursor=self.detail is not None)

    @work(thread=True, exclusive=True, group="customer", exit_on_error=False)
    def _load_detail(self) -> None:
        self.post_message(self.Loaded(customer_detail(workspace_of(self).db, self.code)))

    def reset_busy(self) -> None:
        if self.detail is None:  # still "loading…"
            self.query_one("#facts", Static).update(
                plain(f"customer {self.code} could not be read; ctrl+r tries again")
            )

    @on(Loaded)
    def _show_detail(self, message: Loaded) -> None:
        detail = self.detail = message.detail
        c = detail.customer
        reading = f" ({c.reading})" if c.reading else ""
        notes = f"\n{detail.notes}" if detail.notes else ""
        self.query_one("#facts", Static).update(
            plain(f"{c.code}  {c.name}{reading}  | {c.segment}") + plain(notes)
        )
        details = self.query_one("#details", Static)
        details.display = bool(detail.attributes)
        details.update(plain(attributes_summary(detail.attributes)))
        today = workspace_of(self).today()
        lines = self.query_one("#lines", OptionList)
        highlighted = lines.highlighted
        titles = any(line.order_title for line in detail.lines)
        lines.set_options(
            Option(line_prompt(line, today, titles), id=str(index))
            for index, line in enumerate(detail.lines)
        )
        if highlighted is not None and highlighted < lines.option_count:
            lines.highlighted = highlighted

    def _load_timeline(self, keep_cursor: bool = False) -> None:
        workspace = workspace_of(self)
        code, timeline_filter, newest_first = self.code, self.timeline_filter, self.newest_first

        def fetch(
            offset: int, limit: int, after: tuple[Any, ...] | None, reverse: bool
        ) -> list[TimelineEntry]:
            return timeline_window(
                workspace.db,
                code,
                timeline_filter,
                newest_first=newest_first,
                limit=limit,
                offset=offset,
                after=after,
                reverse=reverse,
            )

        def count() -> int:
            return count_timeline(workspace.db, code, timeline_filter)

        if keep_cursor:
            self.table.reload()
        else:
            self.table.load(fetch, count)
        self._show_status()

    def _show_status(self) -> None:
        total = self.table.total
        counted = "counting…" if total is None else f"{total:,} events"
        order = "newest first" if self.newest_first else "oldest first"
        status = f"Timeline: {self.timeline_filter.describe()} | {order} | {counted}"
        if status != self._status:
            self._status = status
            self.query_one("#timeline-status", Static).update(plain(status))

    @on(TimelineTable.Highlighted)
    def _highlighted(self) -> None:
        self._show_status()

    @on(TimelineTable.Selected)
    def _open_event(self, event: TimelineTable.Selected) -> None:
        entry: TimelineEntry = event.row
        if entry.entity == "work_item":
            self.app.push_screen(WorkItemScreen(entry.entity_id))
        elif entry.entity == "handoff":
            self.app.push_screen(HandoffScreen(entry.entity_id))
        else:
            self.app.push_screen(event_text(entry))

    def action_read_whole(self) -> None:
        """The event under the cursor, its summary whole and wrapped."""
        entry = self.table.current_row
        if entry is not None:
            self.app.push_screen(event_text(entry))

    @on(OptionList.OptionSelected, "#lines")
    def _open_line(self, event: OptionList.OptionSelected) -> None:
        if self.detail is None or event.option.id is None:
            return
        line = self.detail.lines[int(event.option.id)]
        if line.current_item_id is None:
            self.notify(f"{line.order_code} {line.service} is complete", markup=False)
        else:
            self.app.push_screen(WorkItemScreen(line.current_item_id))

    # --- filters ----------------------------------------------------------------

    def _refilter(self, **changes: Any) -> None:
        self.timeline_filter = replace(self.timeline_filter, **changes)
        self._load_timeline()

    def action_toggle_order(self) -> None:
        self.newest_first = not self.newest_first
        self._load_timeline()

    def action_search(self) -> None:
        self.query_one(SearchBox).open(self.timeline_filter.text)

    @on(SearchBox.Applied)
    def _search(self, event: SearchBox.Applied) -> None:
        self.table.focus()
        self._refilter(text=event.text)

    def _pick(self, title: str, field: str, load: Callable[[], Choices]) -> None:
        current = getattr(self.timeline_filter, field) or ""

        def chosen(value: str | None) -> None:
            if value is not None:
                self._refilter(**{field: value or None})

        pick_after_loading(self, title, lambda: [("", "Any"), *load()], chosen, current)

    def action_pick_service(self) -> None:
        db = workspace_of(self).db
        self._pick("Events of the service", "service", lambda: list_services(db))

    def action_pick_order(self) -> None:
        orders = sorted({line.order_code for line in self.detail.lines}) if self.detail else []
        self._pick("Events of the order", "order", lambda: [(o, o) for o in orders])

    def action_pick_kind(self) -> None:
        db, code = workspace_of(self).db, self.code

        def kinds() -> Choices:
            found = event_kinds(db, code)
            groups = sorted({kind.split(".")[0] for kind in found})
            return [(g, f"{g}.*") for g in groups] + [(k, k) for k in found]

        self._pick("Events of the kind", "kind", kinds)

    def action_pick_dates(self) -> None:
        def chosen(text: str | None) -> None:
            if text is None:
                return
            try:
                since, until = parse_date_range(text)
            except ValueError:
                self.notify(
                    f"not a date range: {text}; use 2026-11-01..2026-11-30",
                    severity="warning",
                    markup=False,
                )
                return
            self._refilter(since=since, until=until)

        self.app.push_screen(
            AskText("Dates (2026-11-01..2026-11-30, either side may be empty)", required=False),
            chosen,
        )

    def action_clear_filters(self) -> None:
        self.timeline_filter = TimelineFilter()
        self._load_timeline()

    def action_details(self) -> None:
        """Every column imported files added to the customer, one a line."""
        if self.detail is None:
            return
        attributes = self.detail.attributes
        if not attributes:
            self.notify(f"{self.code} has no details from imported files", markup=False)
            return
        lines = [f"{name}: {value}" for name, value in attributes.items()]
        self.app.push_screen(ShowLines(f"Details of {self.code} ({len(lines)})", lines))

    def action_edit(self) -> None:
        """The form on what this screen last read; a save reloads the screen."""
        if self.detail is None:
            return

        def saved(code: str | None) -> None:
            if code:
                self.code = code  # the code itself may have changed
                self.action_reload()

        self.app.push_screen(CustomerForm(self.detail), saved)

    def action_export(self) -> None:
        self._export(self.timeline_filter, self.newest_first)

    @work(thread=True, group="customer-export", exit_on_error=False)
    def _export(self, timeline_filter: TimelineFilter, newest_first: bool) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = default_export_path(self.code, stamp, ExportFormat.CSV)
        count = export_timeline(
            workspace_of(self).db,
            self.code,
            path,
            ExportFormat.CSV,
            timeline_filter=timeline_filter,
            newest_first=newest_first,
        )
        self.app.call_from_thread(self.notify, f"wrote {count} events to {path}", markup=False)

    def action_export_to(self) -> None:
        db, code = workspace_of(self).db, self.code
        timeline_filter, newest_first = self.timeline_filter, self.newest_first
        ask_to_export(
            self,
            f"Export the events of {code} listed to",
            f"timeline-{code}",
            lambda: export_timeline_table(db, code, timeline_filter, newest_first=newest_first),
            self.table.total,
        )

    def action_save_view(self) -> None:
        filters = timeline_view_filters(self.code, self.timeline_filter)
        ask_to_save_view(self, EVENTS, filters)

    def action_open_view(self) -> None:
        pick_view(self, EVENTS, self.console.open_view)

    def action_new_order(self) -> None:
        self.app.push_screen(OrderForm(self.code))  # shown again, this screen reloads

    def action_cancel_line(self) -> None:
        lines = self.query_one("#lines", OptionList)
        if self.detail is None or lines.highlighted is None or not self.detail.lines:
            self.notify("pick an order line first (tab to the order lines)", severity="warning")
            return
        ask_to_cancel(self, self.detail.lines[lines.highlighted], self.action_reload)

    def action_back(self) -> None:
        search = self.query_one(SearchBox)
        if search.shown:
            search.close()
            self.table.focus()
        else:
            self.app.pop_screen()


def parse_date_range(text: str) -> tuple[date | None, date | None]:
    """``FROM..TO`` (dates as people write them, domain.written_dates),
    either side optional; one date is that day; an empty text clears."""

    def day(part: str) -> date | None:
        if not part.strip():
            return None
        written = written_date(part)
        if written is None:
            raise ValueError(f"not a date: {part}")
        return written

    text = text.strip()
    start, separator, end = text.partition("..")
    if not separator:
        return day(text), day(text)
    return day(start), day(end)
