"""Approval requests as a virtual list: what waits for me, and what I sent."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType

from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.services.approvals.read import InboxRow
from backoffice_tui.tui.widgets.virtual_table import (
    Column,
    Count,
    Fetch,
    VirtualTable,
    customer_text,
)

SUBJECT_KINDS = {"work_item": "step", "handoff": "handoff", "order": "order"}

ReadWindow = Callable[[int, int], list[InboxRow]]  # (offset, limit) -> rows in order


@dataclass(frozen=True)
class Listed:
    """A request and where it stands in the list: the services read by
    offset, so a row's position is its key for the table's next window."""

    position: int
    row: InboxRow

    @property
    def id(self) -> int:
        return self.row.id


def windowed(read: ReadWindow, count: Count) -> Fetch:
    """The table's fetch(offset, limit, after, reverse) over an offset read."""

    def fetch(offset: int, limit: int, after: tuple[Any, ...] | None, reverse: bool) -> list[Any]:
        if after is not None and reverse:  # the rows just before position after[0]
            start = max(0, after[0] - limit)
            limit = after[0] - start
        elif after is not None:
            start = after[0] + 1
        elif reverse:  # offset counted from the end
            start = max(0, count() - offset - limit)
        else:
            start = offset
        return [Listed(start + n, row) for n, row in enumerate(read(start, limit))]

    return fetch


def kind_text(kind: str) -> str:
    return SUBJECT_KINDS.get(kind, kind)


def state_text(state: str) -> str:
    return state.replace("_", " ")


def stage_text(row: InboxRow) -> str:
    if row.state != RequestState.PENDING:
        return state_text(row.state)
    return f"{row.stage}/{row.stages} {row.stage_name}"


def when_text(moment: datetime | None, today: date) -> str:
    """A time as five cells: HH:MM today, MM-DD otherwise."""
    if moment is None:
        return ""
    local = moment.astimezone()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%m-%d}"


def _columns(via_title: str) -> tuple[Column, ...]:
    return (
        Column("due", "DUE", 6, sortable=True),
        Column("kind", "KIND", 7, min_screen=110, sortable=True),
        Column("title", "SUBJECT", 16, flex=3, sortable=True),
        Column("customer", "CUSTOMER", 10, flex=2, sortable=True),
        Column("stage", "STAGE", 10, flex=1),
        Column("requester", "REQUESTER", 9, min_screen=100, sortable=True),
        Column("since", "SINCE", 5, sortable=True),
        Column("via", via_title, 9, flex=1),
    )


class ApprovalTable(VirtualTable[Listed]):
    """Rows of requests; a held decision shows on its row ("approve in 4s")."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.today = date.today()
        # request id -> what to show instead of its state (a held or just
        # committed decision); set by the screen
        self.mark_of: Callable[[int], str | None] = lambda request_id: None

    def show(self, read: ReadWindow, count: Count, today: date) -> None:
        self.today = today
        self.load(windowed(read, count), count)

    def row_key(self, row: Listed) -> tuple[Any, ...]:
        return (row.position,)

    def cell_text(self, row: Listed, key: str, width: int) -> str:
        item = row.row
        if key == "due":
            due = when_text(item.due_at, self.today)
            return f"!{due}" if item.overdue else f" {due}"
        if key == "kind":
            return kind_text(item.subject_kind)
        if key == "title":
            mark = self.mark_of(item.id)
            return f"[{mark}] {item.title}" if mark else item.title
        if key == "customer":
            if not item.customer_code:
                return "-"
            return customer_text(item.customer_code, item.customer_name or "", width)
        if key == "stage":
            return stage_text(item)
        if key == "requester":
            return item.requester
        if key == "since":
            return when_text(item.waiting_since, self.today)
        if key == "via":
            return f"held by {item.held_by}" if item.held_by else item.via
        return super().cell_text(row, key, width)

    def cell_style(self, row: Listed, key: str) -> Style:
        item = row.row
        if self.mark_of(item.id):
            return self.get_component_rich_style("virtual-table--pending")
        if key == "due" and item.overdue:
            return self.get_component_rich_style("virtual-table--alert")
        if item.state != RequestState.PENDING:
            return self.get_component_rich_style("virtual-table--quiet")
        return Style()

    def tagged_rows(self) -> list[InboxRow]:
        if not self.tagged:
            return []
        return [listed.row for listed in self.tagged_or_current()]

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        # A key moved the cursor while a reload is under way: the reload must
        # keep it on the request it is on now, not on the one it was on when
        # the reload began (a triage run would land on a decided request).
        if self._pending_cursor_id is not None and (row := self.current_row) is not None:
            self._pending_cursor_id = row.id

    def refresh_requests(self, request_ids: set[int]) -> None:
        """Redraw only the visible rows of these requests (a countdown ticking)."""
        top = round(self.scroll_offset.y)
        rows = {**self._stale, **self._rows}
        regions = [
            self._row_region(index)
            for index in range(top, top + self.size.height)
            if (listed := rows.get(index)) is not None and listed.id in request_ids
        ]
        if regions:
            self.refresh(*regions)

    def move_to(self, request_id: int) -> bool:
        """Put the cursor on a loaded request; False when it is not loaded."""
        for index, listed in {**self._stale, **self._rows}.items():
            if listed.id == request_id:
                self.cursor = index
                return True
        return False

    def next_open(self, is_open: Callable[[InboxRow], bool]) -> None:
        """Move the cursor down to the next loaded request ``is_open`` says
        is still to decide (or simply one down)."""
        index = self.cursor + 1
        last = (self.total if self.total is not None else index + 1) - 1
        while index <= last:
            listed = self._rows.get(index) or self._stale.get(index)
            if listed is None or is_open(listed.row):
                break
            index += 1
        self._move(min(index, last))


class InboxTable(ApprovalTable):
    """What waits for me: one key per decision."""

    COLUMNS = _columns("VIA")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.decide('approve')", "Approve", id="approvals.approve"),
        Binding("r", "screen.decide('reject')", "Reject", id="approvals.reject"),
        Binding("b", "screen.decide('send_back')", "Send back", id="approvals.send_back"),
        Binding("f", "screen.decide('forward')", "Forward", id="approvals.forward"),
        Binding("h", "screen.hold", "Hold/release", id="approvals.hold", show=False),
        Binding("p", "screen.pull_back", "Pull back", id="approvals.pull_back", show=False),
        Binding("space", "toggle_tag", "Tag", id="approvals.tag", show=False),
        Binding(
            "A",
            "screen.approve_tagged",
            "Approve tagged",
            id="approvals.approve_tagged",
            show=False,
        ),
    ]


class SentTable(ApprovalTable):
    """My own requests. Deciding keys stay: the service says why not."""

    COLUMNS = _columns("WAITING ON")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "screen.withdraw", "Withdraw", id="approvals.withdraw"),
        Binding("R", "screen.reapply", "Re-apply", id="approvals.reapply"),
        Binding("p", "screen.pull_back", "Pull back", id="approvals.sent_pull_back"),
        Binding(
            "a", "screen.decide('approve')", "Approve", id="approvals.sent_approve", show=False
        ),
        Binding("r", "screen.decide('reject')", "Reject", id="approvals.sent_reject", show=False),
        Binding(
            "b",
            "screen.decide('send_back')",
            "Send back",
            id="approvals.sent_send_back",
            show=False,
        ),
        Binding(
            "f", "screen.decide('forward')", "Forward", id="approvals.sent_forward", show=False
        ),
        Binding("space", "toggle_tag", "Tag", id="approvals.sent_tag", show=False),
    ]
