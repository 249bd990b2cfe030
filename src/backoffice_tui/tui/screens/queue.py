"""The work queue: filter, sort, tag and act on work items at any scale."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Static

from backoffice_tui.domain.errors import BackofficeError
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.domain.text import counted
from backoffice_tui.services.customers.saved_views import WORK_ITEMS, queue_view_filters
from backoffice_tui.services.exports.views import export_queue_view
from backoffice_tui.services.people.directory import list_teams
from backoffice_tui.services.people.users import list_users
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.bulk import ItemOutcome, assign_items, release_items
from backoffice_tui.services.work.detail import team_members
from backoffice_tui.services.work.edits import edit_items
from backoffice_tui.services.work.queue import (
    QueueFilter,
    QueueRow,
    QueueSort,
    count_queue,
    list_queue,
)
from backoffice_tui.tui.held_work import DONE, RELEASE, HeldBatch, HeldWork, commit_batch
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.bulk_results import BulkResults, ItemResult
from backoffice_tui.tui.screens.columns import choose_columns, restore_columns
from backoffice_tui.tui.screens.dialogs import (
    AskText,
    Choices,
    Confirm,
    PickOne,
    pick_after_loading,
)
from backoffice_tui.tui.screens.export_view import ask_to_export
from backoffice_tui.tui.screens.item import WorkItemScreen, note_draft
from backoffice_tui.tui.screens.item_edit import EditItemDialog, EditRequest
from backoffice_tui.tui.screens.views import ask_to_save_view, pick_view
from backoffice_tui.tui.text import plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.queue_table import QueueTable
from backoffice_tui.tui.widgets.search_box import SearchBox
from backoffice_tui.tui.widgets.table_header import TableHeader
from backoffice_tui.tui.workspace import workspace_of

log = logging.getLogger(__name__)

STATUS_CHOICES = [
    ("open", "Open (waiting, ready, in progress, blocked)"),
    *[(s.value, s.value.replace("_", " ").capitalize()) for s in WorkStatus],
    ("all", "Every status"),
]
ASSIGNEE_CYCLE = (None, "me", "none")
TAG_ALL_LIMIT = 2_000  # tagging everything a filter matches stops here


@dataclass(frozen=True)
class Outcome:
    row: QueueRow
    error: str | None


# what the toast says once an action is done: "Claimed ORD-2026-0040 / Environment build"
DONE_VERBS = {
    "claim": "Claimed",
    "release": "Released",
    "start": "Started",
    "done": "Finished",
    "unblock": "Unblocked",
    "block": "Blocked",
    "skip": "Skipped",
    "assign": "Assigned",
    "note": "Note added to",
}


class QueueScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    QueueScreen #status { height: 1; background: $surface; color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "act('claim')", "Claim", id="queue.claim"),
        Binding("s", "act('start')", "Start", id="queue.start"),
        Binding("d", "act('done')", "Done", id="queue.done"),
        Binding("b", "act('block')", "Block", id="queue.block"),
        Binding("a", "act('assign')", "Assign", id="queue.assign"),
        Binding("n", "note", "Note", id="queue.note"),
        Binding("N", "app.take_next", "Take next", id="queue.take_next"),
        # u undoes a held batch while there is one (check_action), else unblocks
        Binding("u", "undo_held", "Undo", id="queue.undo_held"),
        Binding("u", "act('unblock')", "Unblock", id="queue.unblock", show=False),
        Binding("r", "act('release')", "Release", id="queue.release", show=False),
        Binding("x", "act('skip')", "Skip (lead)", id="queue.skip", show=False),
        Binding("E", "edit_tagged", "Edit tagged", id="queue.edit_tagged", show=False),
        Binding("R", "release_tagged", "Release tagged", id="queue.release_tagged", show=False),
        Binding("D", "done_tagged", "Done tagged", id="queue.done_tagged", show=False),
        Binding("A", "assign_tagged", "Assign tagged", id="queue.assign_tagged", show=False),
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("t", "pick_team", "Team", id="queue.team", show=False),
        Binding("f", "pick_status", "Status filter", id="queue.status", show=False),
        Binding("m", "cycle_assignee", "Mine/unassigned/all", id="queue.mine", show=False),
        Binding("w", "pick_assignee", "Assignee", id="queue.assignee", show=False),
        Binding("l", "toggle_overdue", "Overdue only", id="queue.overdue", show=False),
        Binding("number_sign", "go_to_row", "Go to row", id="queue.goto", show=False),
        Binding("o", "pick_sort", "Sort by", id="queue.sort", show=False),
        Binding("O", "reverse_sort", "Reverse order", id="queue.reverse", show=False),
        Binding("C", "choose_columns", "Columns", id="queue.columns", show=False),
        Binding("ctrl+e", "export", "Export what I see", id="queue.export", show=False),
        Binding("asterisk", "tag_all", "Tag all matching", id="queue.tag_all", show=False),
        Binding("U", "untag_all", "Untag all", id="queue.untag_all", show=False),
        Binding("S", "save_view", "Save view", id="queue.save_view", show=False),
        Binding("V", "open_view", "Saved views", id="queue.open_view", show=False),
        Binding("ctrl+r", "reload", "Reload", id="queue.reload", show=False),
        Binding("escape", "clear_or_back", "Back", id="queue.back", show=False),
        Binding("q", "app.go_home", "Back", id="screen.back", show=False),
    ]

    class Acted(Message):
        def __init__(self, verb: str, outcomes: list[Outcome]) -> None:
            self.verb = verb
            self.outcomes = outcomes
            super().__init__()

    class AllTagged(Message):
        """The items the filter matches, read to be tagged (None: too many)."""

        def __init__(self, queue_filter: QueueFilter, rows: list[QueueRow] | None) -> None:
            self.queue_filter = queue_filter
            self.rows = rows
            super().__init__()

    class BatchDone(Message):
        """What a batch on tagged items did to each."""

        def __init__(self, title: str, rows: list[QueueRow], outcomes: list[ItemOutcome]) -> None:
            self.title = title
            self.rows = rows
            self.outcomes = outcomes
            super().__init__()

    def __init__(self, queue_filter: QueueFilter | None = None, title: str = "") -> None:
        super().__init__()
        self.queue_filter = queue_filter or QueueFilter()
        self.title_text = title
        self.sort = QueueSort.DUE
        self.descending = False
        self._status = ""
        self._changes_seen = 0
        self.held_work = HeldWork(0.0)  # its window is set on mount, from the settings
        self._held_timers: list[Timer] = []

    def compose(self) -> ComposeResult:
        yield AppHeader("Work queue")
        yield Static(id="status")
        yield TableHeader(QueueTable.COLUMNS)
        yield QueueTable(id="table")
        yield SearchBox(placeholder="search customer, order or step; enter applies", id="search")
        yield Footer(show_command_palette=False)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.held_work.delay = max(0.0, workspace_of(self).settings.undo_seconds)
        self._changes_seen = self.console.changes_seen
        restore_columns(self, "queue", self.table, self.query_one(TableHeader))
        self._load()
        self.table.focus()

    # --- live changes -------------------------------------------------------------

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """Someone (maybe us) changed the database: read the visible window
        again, cursor on the same item, and light up what others changed."""
        self._changes_seen = self.console.changes_seen
        if not self.is_mounted:
            return
        self._load(keep_cursor=True)
        self.table.flash(message.by_others)

    def on_screen_resume(self) -> None:
        if self.is_mounted and self._changes_seen != self.console.changes_seen:
            self._changes_seen = self.console.changes_seen
            self._load(keep_cursor=True)

    def show_filter(
        self, queue_filter: QueueFilter, title: str = "", sort: QueueSort = QueueSort.DUE
    ) -> None:
        """Open the queue on a new filter (from home, a saved view or the palette)."""
        self.queue_filter = queue_filter
        self.title_text = title
        self.sort = sort
        self.descending = False
        self.table.clear_tags()
        self._load()
        self.table.focus()

    def _load(self, keep_cursor: bool = False) -> None:
        workspace = workspace_of(self)
        queue_filter, sort, descending = self.queue_filter, self.sort, self.descending

        def fetch(
            offset: int, limit: int, after: tuple[Any, ...] | None, reverse: bool
        ) -> list[QueueRow]:
            return list_queue(
                workspace.db,
                workspace.actor,
                queue_filter,
                today=workspace.today(),
                limit=limit,
                after=after,
                offset=offset,
                sort=sort,
                reverse=reverse,
                descending=descending,
            )

        def count() -> int:
            return count_queue(workspace.db, workspace.actor, queue_filter, today=workspace.today())

        if keep_cursor:
            self.table.reload()
        else:
            self.table.show(fetch, count, sort, workspace.today(), descending=descending)
        self.query_one(TableHeader).show_sort(sort.column, descending != (sort is QueueSort.NEWEST))
        self._show_status()

    def _show_status(self) -> None:
        table = self.table
        total = "counting…" if table.total is None else counted(table.total, "item")
        tagged = f" | {len(table.tagged):,} tagged" if table.tagged else ""
        title = f"{self.title_text}: " if self.title_text else ""
        status = (
            f"{title}{self.queue_filter.describe()} | sorted by {self.sort.label}"
            f"{', reversed' if self.descending else ''} | {total}{tagged}"
        )
        held = self.held_work.held
        if held is not None:
            status += f" | {held.waiting(self.held_work.seconds_left())} — u: undo"
        if status != self._status:  # a cursor move must not rewrite the line
            self._status = status
            self.query_one("#status", Static).update(plain(status))

    @on(QueueTable.Highlighted)
    @on(QueueTable.TagsChanged)
    def _highlighted(self) -> None:
        self._show_status()

    @on(QueueTable.Selected)
    def _open(self, event: QueueTable.Selected) -> None:
        self.app.push_screen(WorkItemScreen(event.row.id))

    # --- filters ----------------------------------------------------------------

    def _refilter(self, **changes: Any) -> None:
        self.queue_filter = replace(self.queue_filter, **changes)
        # a changed filter is no longer the saved view (or the home count) it came from
        self.title_text = ""
        self.table.clear_tags()
        self._load()

    def action_search(self) -> None:
        self.query_one(SearchBox).open(self.queue_filter.text)

    @on(SearchBox.Applied)
    def _search(self, event: SearchBox.Applied) -> None:
        self.table.focus()
        self._refilter(text=event.text)

    def action_clear_or_back(self) -> None:
        search = self.query_one(SearchBox)
        if search.shown:
            search.close()
            self.table.focus()
        elif self.table.tagged:
            self.table.clear_tags()
            self._show_status()
        else:
            self.console.action_go_home()

    def action_pick_team(self) -> None:
        db = workspace_of(self).db

        def teams() -> Choices:
            listed = [(code, f"{code}  {name}") for code, name in list_teams(db)]
            return [("", "Every team"), ("@mine", "My teams"), *listed]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            if value == "@mine":
                self._refilter(team=None, my_teams=True)
            else:
                self._refilter(team=value or None, my_teams=False)

        current = "@mine" if self.queue_filter.my_teams else (self.queue_filter.team or "")
        pick_after_loading(self, "Show the work of", teams, chosen, current)

    def action_pick_status(self) -> None:
        def chosen(value: str | None) -> None:
            if value is None:
                return
            if value == "open":
                statuses = tuple(OPEN_STATUSES)
            elif value == "all":
                statuses = tuple(WorkStatus)
            else:
                statuses = (WorkStatus(value),)
            self._refilter(statuses=statuses)

        statuses = set(self.queue_filter.statuses)
        current = (
            "open"
            if statuses == set(OPEN_STATUSES)
            else "all"
            if statuses == set(WorkStatus)
            else next(iter(statuses)).value
            if len(statuses) == 1
            else None
        )
        self.app.push_screen(PickOne("Show items that are", STATUS_CHOICES, current), chosen)

    def action_cycle_assignee(self) -> None:
        position = (
            ASSIGNEE_CYCLE.index(self.queue_filter.assignee)
            if self.queue_filter.assignee in ASSIGNEE_CYCLE
            else 0
        )
        self._refilter(assignee=ASSIGNEE_CYCLE[(position + 1) % len(ASSIGNEE_CYCLE)])

    def action_pick_assignee(self) -> None:
        db = workspace_of(self).db

        def choices() -> Choices:
            users = [(u.login, f"{u.login}  {u.name}") for u in list_users(db)]
            return [("", "Anyone"), ("me", "Me"), ("none", "Unassigned"), *users]

        def chosen(value: str | None) -> None:
            if value is not None:
                self._refilter(assignee=value or None)

        pick_after_loading(
            self, "Show the items of", choices, chosen, self.queue_filter.assignee or ""
        )

    def action_go_to_row(self) -> None:
        def chosen(text: str | None) -> None:
            if text is None:
                return
            if not text.isdigit() or int(text) < 1:
                self.notify(f"not a row number: {text}", severity="warning", markup=False)
                return
            self.table.jump_to(int(text) - 1)

        total = self.table.total
        self.app.push_screen(
            AskText(f"Go to row (1 to {total:,})" if total else "Go to row", action="go"),
            chosen,
        )

    def action_toggle_overdue(self) -> None:
        self._refilter(overdue=not self.queue_filter.overdue)

    def action_pick_sort(self) -> None:
        def chosen(value: str | None) -> None:
            if value is not None and value != self.sort.value:
                self.sort, self.descending = QueueSort(value), False
                self._load()

        choices = [(s.value, s.label[:1].upper() + s.label[1:]) for s in QueueSort]
        self.app.push_screen(PickOne("Sort the queue by", choices, self.sort.value), chosen)

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self._load()

    def action_choose_columns(self) -> None:
        header = self.query_one(TableHeader)
        choose_columns(self, "queue", "Columns of the queue", self.table, header)

    def action_export(self) -> None:
        workspace = workspace_of(self)
        queue_filter, sort, descending = self.queue_filter, self.sort, self.descending
        columns = [column.key for column in self.table.visible_columns()]
        total = self.table.total
        ask_to_export(
            self,
            f"Export the {counted(total, 'item') if total is not None else 'items'} listed to",
            "queue",
            lambda: export_queue_view(
                workspace.db,
                workspace.actor,
                queue_filter,
                columns,
                today=workspace.today(),
                sort=sort,
                descending=descending,
            ),
            total,
        )

    def action_reload(self) -> None:
        self._load(keep_cursor=True)

    def action_save_view(self) -> None:
        ask_to_save_view(self, WORK_ITEMS, queue_view_filters(self.queue_filter, self.sort))

    def action_open_view(self) -> None:
        pick_view(self, WORK_ITEMS, self.console.open_view)

    # --- actions ------------------------------------------------------------------

    def _offline(self) -> bool:
        return self.console.refuse_while_offline()

    def action_act(self, verb: str) -> None:
        if self._offline():
            return
        rows = self.table.tagged_or_current()
        if not rows:
            self.notify("No work item here", severity="warning")
            return
        started = sum(row.status == WorkStatus.IN_PROGRESS for row in rows)
        if verb == "release" and started:

            def confirmed(release: bool | None) -> None:
                if release:
                    self._run("release", rows, None)

            question = (
                f"Work item {rows[0].id} is in progress. Release it back to ready for its team?"
                if len(rows) == 1
                else f"{started} of the {len(rows)} items are in progress. Release them all"
                " (those back to ready for their team)?"
            )
            self.app.push_screen(Confirm(question), confirmed)
            return
        if verb in ("block", "skip"):
            label = "Why is it blocked?" if verb == "block" else "Why skip this step?"

            def reason_given(reason: str | None) -> None:
                if reason:
                    self._run(verb, rows, reason)

            self.app.push_screen(
                AskText(f"{label} ({counted(len(rows), 'item')})"),
                reason_given,
            )
        elif verb == "assign":
            self._pick_assignee(rows, "Assign to", lambda login: self._run("assign", rows, login))
        else:
            self._run(verb, rows, None)

    def action_note(self) -> None:
        row = self.table.current_row
        if row is None or self._offline():
            return

        def written(text: str | None) -> None:
            if text:
                self._run("note", [row], text)

        self.app.push_screen(
            AskText(f"Note on {row.order_code} / {row.step}", draft_key=note_draft(row.id)),
            written,
        )

    @work(thread=True, group="queue-actions", exit_on_error=False)
    def _run(self, verb: str, rows: list[QueueRow], argument: str | None) -> None:
        ctx = workspace_of(self).context()

        def add_note(row: QueueRow) -> None:
            work_items.add_note(ctx, row.id, argument or "")
            workspace_of(self).drafts.discard(note_draft(row.id))

        actions: dict[str, Callable[[QueueRow], object]] = {
            "claim": lambda r: work_items.claim(ctx, r.id, r.version),
            "release": lambda r: work_items.release(ctx, r.id, r.version),
            "start": lambda r: lifecycle.start(ctx, r.id, r.version),
            "done": lambda r: lifecycle.done(ctx, r.id, r.version),
            "unblock": lambda r: work_items.unblock(ctx, r.id, r.version),
            "block": lambda r: work_items.block(ctx, r.id, argument or "", r.version),
            "skip": lambda r: lifecycle.skip(ctx, r.id, argument or "", r.version),
            "assign": lambda r: work_items.assign(ctx, r.id, argument or "", r.version),
            "note": add_note,
        }
        outcomes = []
        for row in rows:
            try:
                actions[verb](row)
                outcomes.append(Outcome(row, None))
            except BackofficeError as error:
                outcomes.append(Outcome(row, str(error)))
        self.post_message(self.Acted(verb, outcomes))

    @on(Acted)
    def _acted(self, message: Acted) -> None:
        failed = [o for o in message.outcomes if o.error]
        done = len(message.outcomes) - len(failed)
        if len(message.outcomes) == 1:
            outcome = message.outcomes[0]
            if outcome.error:
                self.notify(outcome.error, severity="error")
            else:
                self.notify(
                    f"{DONE_VERBS.get(message.verb, message.verb)} "
                    f"{outcome.row.order_code} / {outcome.row.step}",
                    markup=False,
                )
        else:
            summary = f"{DONE_VERBS.get(message.verb, message.verb)} {counted(done, 'item')}" + (
                f", {len(failed)} refused" if failed else ""
            )
            details = "\n".join(f"#{o.row.id}: {o.error}" for o in failed[:5])
            self.notify(
                f"{summary}\n{details}" if failed else summary,
                severity="warning" if failed else "information",
                markup=False,
            )
            self.table.tagged.difference_update(o.row.id for o in message.outcomes if not o.error)
        self._load(keep_cursor=True)

    # --- tagged items, one transaction per batch ------------------------------------

    def _tagged_rows(self, verb: str) -> list[QueueRow]:
        if self._offline():
            return []
        rows = self.table.tagged_or_current() if self.table.tagged else []
        if not rows:
            self.notify(f"Tag items with space first; then {verb}", severity="warning")
        return rows

    def action_edit_tagged(self) -> None:
        rows = self._tagged_rows("E changes them all")
        if not rows:
            return
        ctx = workspace_of(self).context()

        def save(request: EditRequest) -> list[ItemOutcome]:
            return edit_items(
                ctx,
                [(row.id, row.version) for row in rows],
                due_on=request.due_on,
                priority=request.priority,
                title=request.title,
                reason=request.reason,
            )

        def saved(outcomes: list[ItemOutcome] | None) -> None:
            if outcomes is not None:
                self._batch_done(self.BatchDone("Edit tagged", rows, outcomes))

        title = f"Change {len(rows)} tagged item{'s' if len(rows) != 1 else ''}"
        self.app.push_screen(EditItemDialog(title, save, "edit:tagged"), saved)

    def action_release_tagged(self) -> None:
        rows = self._tagged_rows("R releases them all")
        if not rows:
            return
        started = sum(row.status == WorkStatus.IN_PROGRESS for row in rows)
        question = f"Release the {counted(len(rows), 'tagged item')} back to their teams?" + (
            f" {started} of them {'is' if started == 1 else 'are'} in progress." if started else ""
        )

        def confirmed(release: bool | None) -> None:
            if release:
                self._hold_batch(RELEASE, rows)

        self.app.push_screen(Confirm(question), confirmed)

    def action_tag_all(self) -> None:
        self._read_all_matching(self.queue_filter, self.sort, self.descending)

    def action_untag_all(self) -> None:
        self.table.clear_tags()
        self._show_status()

    @work(thread=True, exclusive=True, group="queue-tag-all", exit_on_error=False)
    def _read_all_matching(
        self, queue_filter: QueueFilter, sort: QueueSort, descending: bool
    ) -> None:
        workspace = workspace_of(self)
        today = workspace.today()
        if count_queue(workspace.db, workspace.actor, queue_filter, today=today) > TAG_ALL_LIMIT:
            self.post_message(self.AllTagged(queue_filter, None))
            return
        rows = list_queue(
            workspace.db,
            workspace.actor,
            queue_filter,
            today=today,
            limit=TAG_ALL_LIMIT,
            sort=sort,
            descending=descending,
        )
        self.post_message(self.AllTagged(queue_filter, rows))

    @on(AllTagged)
    def _all_tagged(self, message: AllTagged) -> None:
        if message.queue_filter != self.queue_filter:
            return  # the filter changed meanwhile
        if message.rows is None:
            self.notify(
                f"More than {TAG_ALL_LIMIT:,} items match; narrow the filter to tag them all",
                severity="warning",
            )
            return
        self.table.tag_rows(message.rows)
        self.notify(f"Tagged {counted(len(message.rows), 'item')}", markup=False)

    def action_assign_tagged(self) -> None:
        rows = self._tagged_rows("A assigns them all")
        if rows:
            self._pick_assignee(
                rows,
                f"Assign {len(rows)} tagged to",
                lambda login: self._run_batch("Assign tagged", rows, login),
            )

    def _pick_assignee(
        self, rows: list[QueueRow], title: str, assign: Callable[[str], object]
    ) -> None:
        """A member of the rows' team, then ``assign(login)``: one team at a time."""
        teams = {row.team for row in rows}
        if len(teams) > 1:
            self.notify(
                "Tagged items belong to several teams; assign one team at a time",
                severity="warning",
            )
            return
        db, team = workspace_of(self).db, teams.pop()
        pick_after_loading(
            self,
            f"{title} (team {team})",
            lambda: [(login, f"{login}  {name}") for login, name in team_members(db, team)],
            lambda login: login and assign(login),
        )

    @work(thread=True, group="queue-actions", exit_on_error=False)
    def _run_batch(self, title: str, rows: list[QueueRow], login: str | None) -> None:
        ctx = workspace_of(self).context()
        targets = [(row.id, row.version) for row in rows]
        if login is None:
            outcomes = release_items(ctx, targets)
        else:
            outcomes = assign_items(ctx, targets, login)
        self.post_message(self.BatchDone(title, rows, outcomes))

    @on(BatchDone)
    def _batch_done(self, message: BatchDone) -> None:
        labels = {row.id: f"#{row.id} {row.order_code} / {row.step}" for row in message.rows}
        if self.app.screen is not self:  # committed on leaving: said, not shown over another
            self._say_batch_done(message)
            return
        self.table.tagged.difference_update(o.item_id for o in message.outcomes if o.applied)
        self._load(keep_cursor=True)
        results = [ItemResult(labels[o.item_id], o.error) for o in message.outcomes]
        self.app.push_screen(BulkResults(message.title, results))

    # --- tagged items held for the undo window (held_work.py) ------------------------

    def action_done_tagged(self) -> None:
        rows = self._tagged_rows("D finishes them all")
        if not rows:
            return

        def confirmed(finish: bool | None) -> None:
            if finish:
                self._hold_batch(DONE, rows)

        self.app.push_screen(Confirm(f"Finish {counted(len(rows), 'tagged item')}?"), confirmed)

    def _hold_batch(self, verb: str, rows: list[QueueRow]) -> None:
        """Hold the batch for the undo window (at once with a window of 0);
        a batch held before is committed now."""
        self._commit_held()
        batch = self.held_work.hold(verb, rows)
        if self.held_work.delay <= 0:
            self._commit_held()
            return
        self._held_timers = [
            self.set_timer(self.held_work.delay, self._commit_held, name="held-work"),
            self.set_interval(1.0, self._show_status, name="held-work-countdown"),
        ]
        self.notify(f"{batch.waiting(self.held_work.seconds_left())} — u: undo", markup=False)
        self._held_changed()

    def _held_changed(self) -> None:
        self._show_status()
        self.refresh_bindings()

    def _stop_held_timers(self) -> None:
        for timer in self._held_timers:
            timer.stop()
        self._held_timers = []

    def _commit_held(self) -> None:
        """The window ended (or the queue is left): commit what is held."""
        self._stop_held_timers()
        batch = self.held_work.take()
        if batch is not None:
            self._commit_batch(batch)
            self._held_changed()

    @work(thread=True, group="queue-held", exit_on_error=False)
    def _commit_batch(self, batch: HeldBatch) -> None:
        outcomes = commit_batch(workspace_of(self).context(), batch)
        self.post_message(self.BatchDone(batch.title, list(batch.rows), outcomes))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo_held":
            return self.held_work.held is not None  # else u is unblock
        return super().check_action(action, parameters)

    def action_undo_held(self) -> None:
        self._stop_held_timers()
        batch = self.held_work.undo()
        if batch is None:
            return
        self.notify(f"undone: {batch.title.lower()} ({counted(len(batch.rows), 'item')})")
        self._held_changed()

    def on_screen_suspend(self) -> None:
        self._commit_held()

    def on_unmount(self) -> None:
        """Quitting: what is held is committed before the console ends."""
        self._stop_held_timers()
        batch = self.held_work.take()
        if batch is None:
            return
        outcomes = commit_batch(workspace_of(self).context(), batch)
        for outcome in outcomes:
            if outcome.error:
                log.warning(
                    "%s: #%s not committed: %s", batch.title, outcome.item_id, outcome.error
                )

    def _say_batch_done(self, message: BatchDone) -> None:
        failed = [o for o in message.outcomes if o.error]
        summary = f"{message.title}: {len(message.outcomes) - len(failed)} done" + (
            f", {len(failed)} refused" if failed else ""
        )
        details = "\n".join(f"#{o.item_id}: {o.error}" for o in failed[:5])
        self.notify(
            f"{summary}\n{details}" if failed else summary,
            severity="warning" if failed else "information",
            markup=False,
        )
