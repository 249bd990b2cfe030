"""One work item: its order, customer, the steps of its line, notes, the
columns imported files added to it and its order, and its history."""

from datetime import date, datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.bulk import ItemOutcome
from backoffice_tui.services.work.detail import WorkItemDetail, work_item_detail
from backoffice_tui.services.work.edits import edit_item
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import AskText
from backoffice_tui.tui.screens.item_edit import EditItemDialog, EditRequest
from backoffice_tui.tui.text import fit, plain, plain_lines
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.workspace import workspace_of


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def dates_line(label: str, dates: tuple[date | None, date | None]) -> list[str]:
    """``Planned    start 2026-04-01  finish 2026-04-10``: the dates set, if any."""
    start, finish = dates
    parts = [f"start {start}" if start else "", f"finish {finish}" if finish else ""]
    shown = "  ".join(part for part in parts if part)
    return [f"{label:<10} {shown}"] if shown else []


def attribute_lines(title: str, attributes: dict[str, str]) -> list[str]:
    """A record's attributes (the columns of an imported file no field holds),
    one ``name: value`` a line, under a title; nothing without any."""
    if not attributes:
        return []
    return ["", title, *(f"  {name}: {value}" for name, value in attributes.items())]


def detail_lines(detail: WorkItemDetail) -> list[str]:
    row = detail.row
    lines = [
        f"Work item {row.id}: {row.title or row.step}  [{row.status.replace('_', ' ')}]",
        *([f"Step       {row.step}"] if row.title else []),
        f"Customer   {row.customer_code} {row.customer_name}",
        f"Order      {row.order_code}  received {detail.received_on}"
        + (f", requested {detail.requested_on}" if detail.requested_on else "")
        + (f", sales {detail.sales_owner}" if detail.sales_owner else ""),
    ]
    if detail.order_title:
        lines.append(f"Title      {detail.order_title}")
    lines += [
        f"Service    {row.service}",
        f"Team       {row.team}   assignee {row.assignee or '-'}   due {row.due}"
        f"   priority {row.priority}   version {row.version}",
    ]
    lines += dates_line("Planned", detail.planned)
    lines += dates_line("Actual", detail.actual)
    if detail.blocked_reason:
        lines.append(f"Blocked    {detail.blocked_reason}")
    if detail.skip_reason:
        lines.append(f"Skipped    {detail.skip_reason}")
    lines += ["", "Steps of this line"]
    for step in detail.line:
        mark = ">" if step.item_id == row.id else " "
        lines.append(
            f" {mark} {step.position:>2}. {fit(step.step, 34)} {fit(step.team, 13)} "
            f"{fit(step.status.replace('_', ' '), 12)} {fit(step.assignee or '-', 10)} {step.due}"
        )
    lines += ["", f"Notes ({len(detail.notes)})"]
    lines += [f"  {_local(n.at)}  {n.author}: {n.body}" for n in detail.notes] or ["  none"]
    # there may be dozens: below what the work needs, above the history
    lines += attribute_lines(f"Details of this step ({len(detail.attributes)})", detail.attributes)
    lines += attribute_lines(
        f"Details of the order ({len(detail.order_attributes)})", detail.order_attributes
    )
    lines += ["", "History"]
    lines += [f"  {_local(h.at)}  {h.summary}" for h in detail.history] or ["  none"]
    return lines


def note_draft(item_id: int) -> str:
    """The draft key of a note being written on a work item."""
    return f"note:{item_id}"


class WorkItemScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    WorkItemScreen VerticalScroll { padding: 0 1; }
    WorkItemScreen Static { width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "act('claim')", "Claim", id="item.claim"),
        Binding("s", "act('start')", "Start", id="item.start"),
        Binding("d", "act('done')", "Done", id="item.done"),
        Binding("n", "note", "Note", id="item.note"),
        Binding("e", "edit", "Edit", id="item.edit"),
        Binding("ctrl+r", "reload", "Reload", id="item.reload", show=False),
        Binding("q,escape", "app.pop_screen", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, detail: WorkItemDetail) -> None:
            self.detail = detail
            super().__init__()

    def __init__(self, item_id: int) -> None:
        super().__init__()
        self.item_id = item_id
        self.detail: WorkItemDetail | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(f"Work item {self.item_id}")
        with VerticalScroll():
            yield Static("loading…", id="detail")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.action_reload()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """This item changed (or the database came back): read it again."""
        if message.reconnected or any(
            e.entity == "work_item" and e.entity_id == self.item_id for e in message.events
        ):
            self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="item", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(work_item_detail(workspace_of(self).db, self.item_id)))

    def reset_busy(self) -> None:
        if self.detail is None:  # still "loading…"
            self.query_one("#detail", Static).update(
                plain(f"work item {self.item_id} could not be read; ctrl+r tries again")
            )

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.detail = message.detail
        self.query_one("#detail", Static).update(plain_lines(detail_lines(message.detail)))

    def action_act(self, verb: str) -> None:
        """Claim, start or finish this item, at the version shown."""
        detail = self.detail
        if detail is None or self.console.refuse_while_offline():
            return
        self._act(verb, detail.row.version)

    @work(thread=True, group="item", exit_on_error=False)
    def _act(self, verb: str, version: int) -> None:
        ctx = workspace_of(self).context()
        if verb == "claim":
            work_items.claim(ctx, self.item_id, version)
        elif verb == "start":
            lifecycle.start(ctx, self.item_id, version)
        else:
            lifecycle.done(ctx, self.item_id, version)
        said = {"claim": "Claimed", "start": "Started", "done": "Finished"}[verb]
        self.app.call_from_thread(self.notify, f"{said} work item {self.item_id}")
        self._load()

    def action_note(self) -> None:
        dialog = AskText(f"Note on work item {self.item_id}", draft_key=note_draft(self.item_id))
        self.app.push_screen(dialog, self._add_note)

    def _add_note(self, text: str | None) -> None:
        if text:
            self._save_note(text)

    @work(thread=True, group="item", exit_on_error=False)
    def _save_note(self, text: str) -> None:
        workspace = workspace_of(self)
        work_items.add_note(workspace.context(), self.item_id, text)
        workspace.drafts.discard(note_draft(self.item_id))
        self.app.call_from_thread(self.notify, "Note added")
        self._load()

    def action_edit(self) -> None:
        detail = self.detail
        if detail is None or self.console.refuse_while_offline():
            return
        row = detail.row
        ctx = workspace_of(self).context()

        def save(request: EditRequest) -> list[ItemOutcome]:
            edit_item(
                ctx,
                row.id,
                due_on=request.due_on,
                priority=request.priority,
                title=request.title,
                reason=request.reason,
                expected_version=row.version,
            )
            return [ItemOutcome(row.id)]

        start = {"due": row.due.isoformat(), "priority": str(row.priority), "title": row.title}
        dialog = EditItemDialog(
            f"Change work item {row.id}: {row.title or row.step}", save, f"edit:{row.id}", start
        )
        self.app.push_screen(dialog, self._edited)

    def _edited(self, outcomes: list[ItemOutcome] | None) -> None:
        if outcomes:
            self.notify("Work item changed")
            self._load()
