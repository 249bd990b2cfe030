"""The two lists of the approvals screen, what waits for me and what I
sent, with the request under the cursor shown whole below them."""

from datetime import UTC, datetime, time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Static

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.services.approvals.read import (
    InboxRow,
    InboxSort,
    RequestDetail,
    count_inbox,
    count_sent,
    inbox_window,
    request_detail,
    sent_window,
)
from backoffice_tui.services.exports.views import export_inbox_view
from backoffice_tui.services.people.delegations import DelegationRow, deciding_for
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.pending_decisions import Outcome, PendingDecisions
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.columns import choose_columns, restore_columns
from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.screens.export_view import ask_to_export
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.approval_detail import ApprovalDetail, title_line
from backoffice_tui.tui.widgets.inbox_table import ApprovalTable, InboxTable, SentTable
from backoffice_tui.tui.widgets.table_header import TableHeader
from backoffice_tui.tui.workspace import Workspace, workspace_of

INBOX, SENT = "inbox", "sent"
VIEW_TITLES = {INBOX: "Waiting for me", SENT: "Sent by me"}
DETAIL_DELAY = 0.15  # the cursor rests this long before its request is read
JUST_DONE_KEPT = 500


def reading_time(workspace: Workspace) -> datetime:
    """Now; on a pinned day (tests, snapshots) that day's noon, so what is
    overdue does not depend on when the tests run."""
    now = datetime.now(UTC)
    today = workspace.today()
    if now.astimezone().date() == today:
        return now
    return datetime.combine(today, time(12)).astimezone()


class ApprovalListsScreen(BackofficeScreen[None]):
    """Views, loading, live changes, the detail and the marks of held
    decisions; the keys that decide are added by ``ApprovalsScreen``."""

    DEFAULT_CSS = """
    ApprovalListsScreen #status {
        height: 1; background: $surface; color: $text-muted; padding: 0 1;
    }
    ApprovalListsScreen .list-view { height: 1fr; }
    ApprovalListsScreen #sent-view { display: none; }
    ApprovalListsScreen.-sent #sent-view { display: block; }
    ApprovalListsScreen.-sent #inbox-view { display: none; }
    ApprovalListsScreen #detail-title {
        height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ApprovalListsScreen #detail { height: 45%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reload", "Reload", id="approvals.reload", show=False),
        Binding("o", "pick_sort", "Sort by", id="approvals.sort", show=False),
        Binding("O", "reverse_sort", "Reverse order", id="approvals.reverse", show=False),
        Binding("C", "choose_columns", "Columns", id="approvals.columns", show=False),
        Binding("ctrl+e", "export", "Export what I see", id="approvals.export", show=False),
        Binding("q,escape", "back", "Back", id="screen.back", show=False),
    ]

    class DelegationsRead(Message):
        def __init__(self, rows: list[DelegationRow]) -> None:
            self.rows = rows
            super().__init__()

    class DetailLoaded(Message):
        def __init__(self, request_id: int, detail: RequestDetail | None, error: str) -> None:
            self.request_id = request_id
            self.detail = detail
            self.error = error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.view = INBOX
        self.detail: RequestDetail | None = None
        self._detail_timer: Timer | None = None
        self._countdown: Timer | None = None
        self._just_done: dict[int, str] = {}  # committed, until the list drops the row
        self._loaded: set[str] = set()  # views read since the last change
        self.progress = ""  # a bulk action's, for the status line
        self.deciding_for = ""  # the delegations in force to me, for the status line
        self._status = self._title = ""
        self._changes_seen = 0
        self.sort = InboxSort.DUE  # of what waits for me
        self.descending = False

    def compose(self) -> ComposeResult:
        yield AppHeader("Approvals")
        yield Static(id="status")
        with Vertical(id="inbox-view", classes="list-view"):
            yield TableHeader(InboxTable.COLUMNS)
            yield InboxTable(id="inbox")
        with Vertical(id="sent-view", classes="list-view"):
            yield TableHeader(SentTable.COLUMNS)
            yield SentTable(id="sent")
        yield Static(id="detail-title")
        yield ApprovalDetail(id="detail")
        yield Footer(show_command_palette=False)

    # --- parts ----------------------------------------------------------------------

    @property
    def table(self) -> ApprovalTable:
        """The list shown now."""
        return self._table(self.view)

    def _table(self, view: str) -> ApprovalTable:
        return self.query_one(InboxTable if view == INBOX else SentTable)

    @property
    def pending(self) -> PendingDecisions:
        return self.console.pending_decisions

    @property
    def current_row(self) -> InboxRow | None:
        listed = self.table.current_row
        return listed.row if listed is not None else None

    def _mark_of(self, request_id: int) -> str | None:
        held = self.pending.for_request(request_id)
        if held is not None:
            return self.pending.label(held)
        return self._just_done.get(request_id)

    def _is_open(self, row: InboxRow) -> bool:
        return self._mark_of(row.id) is None

    # --- life -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._changes_seen = self.console.changes_seen
        for table in self.query(ApprovalTable):
            table.mark_of = self._mark_of
        for view in (INBOX, SENT):
            restore_columns(self, f"approvals.{view}", self._table(view), self._header(view))
        self.pending.subscribe(self._pending_changed)
        self._load(INBOX)
        self._read_delegations()
        self.table.focus()
        self._sync_countdown()

    def on_unmount(self) -> None:
        self.pending.unsubscribe(self._pending_changed)

    def on_screen_resume(self) -> None:
        if self.is_mounted and self._changes_seen != self.console.changes_seen:
            self._changes_seen = self.console.changes_seen
            self._refresh_lists()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """Requests changed (or the database came back): read the visible
        window and the detail again; light up what others changed."""
        self._changes_seen = self.console.changes_seen
        changed = [e for e in message.events if e.entity == "approval_request"]
        if not self.is_mounted or not (changed or message.reconnected):
            return
        self._refresh_lists()
        self.table.flash({e.entity_id for e in changed if e.id in message.events_by_others})

    def _refresh_lists(self) -> None:
        self._read_delegations()
        self._loaded = {self.view}
        self._load(self.view, keep_cursor=True)
        row = self.current_row
        if row is not None:
            self._load_detail(row.id)

    def _load(self, view: str, keep_cursor: bool = False) -> None:
        workspace = workspace_of(self)
        db, actor = workspace.db, workspace.actor
        table = self._table(view)
        self._loaded.add(view)
        if keep_cursor and table.total is not None:
            table.reload()
        elif view == INBOX:
            sort, descending = self.sort, self.descending
            self.query_one("#inbox-view TableHeader", TableHeader).show_sort(sort.value, descending)
            table.show(
                lambda offset, limit: inbox_window(
                    db, actor, reading_time(workspace), offset, limit, sort, descending
                ),
                lambda: count_inbox(db, actor, reading_time(workspace)),
                workspace.today(),
            )
        else:
            table.show(
                lambda offset, limit: sent_window(
                    db, actor, reading_time(workspace), offset, limit
                ),
                lambda: count_sent(db, actor),
                workspace.today(),
            )
        self._show_status()

    def action_reload(self) -> None:
        self._refresh_lists()

    def action_pick_sort(self) -> None:
        if self.view != INBOX:
            self.notify("What I sent lists open requests first, newest first")
            return

        def chosen(value: str | None) -> None:
            if value is not None and value != self.sort.value:
                self.sort, self.descending = InboxSort(value), False
                self._load(INBOX)

        choices = [(s.value, s.label[:1].upper() + s.label[1:]) for s in InboxSort]
        self.app.push_screen(PickOne("Sort what waits for me by", choices, self.sort.value), chosen)

    def _header(self, view: str) -> TableHeader:
        return self.query_one(f"#{view}-view TableHeader", TableHeader)

    def action_choose_columns(self) -> None:
        title = f"Columns of {VIEW_TITLES[self.view].lower()}"
        view = self.view
        choose_columns(self, f"approvals.{view}", title, self._table(view), self._header(view))

    def action_export(self) -> None:
        if self.view != INBOX:
            self.notify("Only what waits for me exports; s switches to it")
            return
        workspace = workspace_of(self)
        sort, descending, now = self.sort, self.descending, reading_time(workspace)
        columns = [column.key for column in self.table.visible_columns()]
        total = self.table.total
        ask_to_export(
            self,
            "Export what waits for me to",
            "approvals",
            lambda: export_inbox_view(
                workspace.db, workspace.actor, now, columns, sort=sort, descending=descending
            ),
            total,
        )

    def action_reverse_sort(self) -> None:
        if self.view != INBOX:
            self.notify("What I sent lists open requests first, newest first")
            return
        self.descending = not self.descending
        self._load(INBOX)

    def reset_busy(self) -> None:
        if self.progress:  # a bulk action stopped short: show the requests as they are
            self.progress = ""
            self._refresh_lists()

    def action_switch_view(self) -> None:
        self.view = SENT if self.view == INBOX else INBOX
        self.set_class(self.view == SENT, "-sent")
        if self.view not in self._loaded:
            self._load(self.view, keep_cursor=True)
        self.table.focus()
        self.table.refresh()
        self._follow_cursor()
        self._show_status()

    def action_focus_list(self) -> None:
        self.table.focus()

    def action_back(self) -> None:
        if self.table.tagged:
            self.table.clear_tags()
            self._show_status()
        else:
            self.console.action_go_home()

    # --- status and detail ------------------------------------------------------------

    def _show_status(self) -> None:
        table = self.table
        total = table.total
        parts = [
            VIEW_TITLES[self.view],
            "counting…" if total is None else f"{total} request{'s' if total != 1 else ''}",
        ]
        held = len(self.pending.pending())
        if held:
            parts.append(f"{held} to commit, u undoes")
        if table.tagged:
            parts.append(f"{len(table.tagged)} tagged, A approves")
        if self.progress:
            parts.append(self.progress)
        if self.deciding_for and self.view == INBOX:
            parts.append(self.deciding_for)
        other = SENT if self.view == INBOX else INBOX
        parts.append(f"s: {VIEW_TITLES[other].lower()}")
        status = " | ".join(parts)
        if status != self._status:  # a cursor move must not rewrite the line
            self._status = status
            self.query_one("#status", Static).update(plain(status))

    @work(thread=True, exclusive=True, group="approval-delegations", exit_on_error=False)
    def _read_delegations(self) -> None:
        workspace = workspace_of(self)
        self.post_message(
            self.DelegationsRead(deciding_for(workspace.db, workspace.actor, workspace.today()))
        )

    @on(DelegationsRead)
    def _delegations_read(self, message: DelegationsRead) -> None:
        self.deciding_for = (
            "also deciding for "
            + ", ".join(f"{r.from_login} until {r.ends_on:%m-%d}" for r in message.rows)
            if message.rows
            else ""
        )
        self._show_status()

    @on(ApprovalTable.Highlighted)
    def _highlighted(self) -> None:
        self._show_status()
        self._follow_cursor()

    @on(ApprovalTable.TagsChanged)
    def _tags_changed(self) -> None:
        self._show_status()

    @on(ApprovalTable.Selected)
    def _selected(self) -> None:
        self.query_one(ApprovalDetail).focus()

    def _follow_cursor(self) -> None:
        """Read the request under the cursor once the cursor rests."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        row = self.current_row
        if row is None:
            if self.table.total == 0:
                self.detail = None
                self._set_title(Content(""))
                self.query_one(ApprovalDetail).show_text(
                    "Nothing waits for you."
                    if self.view == INBOX
                    else "You have not asked anyone for an approval."
                )
            return
        if self.detail is not None and self.detail.id == row.id:
            self._show_title()
            return
        self._detail_timer = self.set_timer(
            DETAIL_DELAY, lambda: self._load_detail(row.id), name="detail"
        )

    @work(thread=True, exclusive=True, group="approval-detail", exit_on_error=False)
    def _load_detail(self, request_id: int) -> None:
        workspace = workspace_of(self)
        try:
            detail = request_detail(
                workspace.db, workspace.actor, request_id, reading_time(workspace)
            )
        except BackofficeError as error:
            self.post_message(self.DetailLoaded(request_id, None, str(error)))
        else:
            self.post_message(self.DetailLoaded(request_id, detail, ""))

    @on(DetailLoaded)
    def _detail_loaded(self, message: DetailLoaded) -> None:
        row = self.current_row
        if row is None or row.id != message.request_id:
            return  # the cursor has moved on
        pane = self.query_one(ApprovalDetail)
        self.detail = message.detail
        if message.detail is None:
            pane.show_text(message.error)
            self._set_title(plain(f"Approval {message.request_id}"))
            return
        pane.show(message.detail)
        self._show_title()

    def _show_title(self) -> None:
        detail = self.detail
        if detail is None:
            return
        held = self.pending.for_request(detail.id)
        if held is not None:
            mark = f"[{self.pending.label(held)}, u undoes]  "
        elif detail.id in self._just_done:
            mark = f"[{self._just_done[detail.id]}]  "
        else:
            mark = ""
        self._set_title(Content.assemble((mark, "bold $warning"), title_line(detail)))

    def _set_title(self, content: Content) -> None:
        if content.plain != self._title:
            self._title = content.plain
            self.query_one("#detail-title", Static).update(content)

    # --- held decisions --------------------------------------------------------------

    def _pending_changed(self, outcomes: list[Outcome]) -> None:
        """A decision was held, undone or committed (or refused)."""
        if not self.is_mounted:
            return
        for outcome in outcomes:
            if outcome.error is None:
                self._just_done[outcome.decision.request_id] = outcome.decision.done
        while len(self._just_done) > JUST_DONE_KEPT:
            self._just_done.pop(next(iter(self._just_done)))
        if any(not o.kept for o in outcomes):
            self._refresh_lists()  # committed or refused: show the requests as they are now
        self._sync_countdown()
        self.table.refresh()
        self._show_title()
        self._show_status()

    def _sync_countdown(self) -> None:
        """Tick once a second while something is held, never otherwise."""
        if self.pending.pending():
            if self._countdown is None:
                self._countdown = self.set_interval(1.0, self._tick, name="countdown")
        elif self._countdown is not None:
            self._countdown.stop()
            self._countdown = None

    def _tick(self) -> None:
        self.table.refresh_requests({d.request_id for d in self.pending.pending()})
        self._show_title()
