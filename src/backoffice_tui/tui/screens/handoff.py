"""One handoff: its checklist, what still blocks submission, its documents
and their revisions; submit, accept or return it."""

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.domain.text import counted
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs import checklist as handoffs_checklist
from backoffice_tui.services.handoffs import documents as handoff_documents
from backoffice_tui.services.handoffs.read import (
    ChecklistEntry,
    DocumentEntry,
    HandoffDetail,
    handoff_detail,
)
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.base import BackofficeDialog, BackofficeScreen
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS, AskText, Confirm
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.workspace import workspace_of


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%m-%d %H:%M") if moment else ""


def state_line(detail: HandoffDetail) -> Content:
    """What the handoff waits for; first of all, what still blocks submission."""
    if detail.state in ("draft", "returned"):
        blocking = detail.blocking_items
        if blocking:
            names = ", ".join(item.label for item in blocking)
            return Content.assemble(
                Content.styled(f"blocks submission ({len(blocking)}): ", "bold $error"),
                plain(names),
            )
        return Content.styled(f"ready to submit: S sends it to {detail.to_team}", "bold $success")
    if detail.state == "submitted":
        return Content.styled(
            f"submitted {_local(detail.submitted_at)}: waiting for {detail.to_team} "
            "to accept (A) or return (R)",
            "bold $warning",
        )
    return Content.styled(f"accepted {_local(detail.accepted_at)}", "$success")


def summary_lines(detail: HandoffDetail) -> list[Content]:
    lines = [
        plain(
            f"Handoff {detail.id}  {detail.from_team} -> {detail.to_team}  [{detail.state}]"
            f"  version {detail.version}"
        ),
        plain(
            f"{detail.customer_code} {detail.customer_name} | {detail.order_code} "
            f"{detail.service} | {detail.step} ({detail.work_item_status.replace('_', ' ')})"
        ),
    ]
    if detail.state == "returned" and detail.return_reason:
        lines.append(
            Content.assemble(Content.styled("returned: ", "bold"), plain(detail.return_reason))
        )
    lines.append(state_line(detail))
    return lines


def _flexible(width: int, fixed: int) -> tuple[int, int]:
    """Two column widths sharing what ``fixed`` cells leave of ``width``."""
    rest = max(width - fixed, 30)
    first = rest * 3 // 5
    return first, rest - first


def item_text(item: ChecklistEntry, width: int = 80) -> str:
    label_width, answer_width = _flexible(width, 28)
    box = "[x]" if item.answered else "[ ]"
    mark = ("!" if not item.answered else "*") if item.required else " "
    if not item.answered:
        answer = "-" if item.kind == "check" else f"({item.kind})"
        who = f"cleared by {item.by}" if item.by else ""
    else:
        answer = "" if item.kind == "check" else item.answer or ""
        who = item.by or ""
    return (
        f"{box}{mark} {fit(item.label, label_width)} {fit(answer, answer_width)} "
        f"{fit(who, 9)} {_local(item.at)}"
    )


def document_text(document: DocumentEntry, width: int = 80) -> str:
    latest = document.latest
    title_width, location_width = _flexible(width, 35)
    return (
        f"doc  {fit(document.title, title_width)} rev {latest.revision:<2} "
        f"{fit(latest.location, location_width)} {fit(latest.by, 9)} {_local(latest.at)}"
    )


class HandoffList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "History / edit", id="handoff.open", show=False),
        Binding("j", "cursor_down", "Down", id="handoff.down", show=False),
        Binding("k", "cursor_up", "Up", id="handoff.up", show=False),
    ]


class DocumentHistory(BackofficeDialog[str | None]):
    """Every revision of a document, newest first; n adds one."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="DocumentHistory")
        + """
    DocumentHistory > Vertical { width: 100; }
    DocumentHistory OptionList { height: auto; max-height: 16; border: none; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "dismiss('revise')", "New revision", id="document.revise"),
        Binding("escape,q", "dismiss(None)", "Close", id="document.close"),
    ]

    def __init__(self, document: DocumentEntry) -> None:
        super().__init__()
        self.document = document

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Document {self.document.id}: {self.document.title}"))
            yield OptionList(
                *(
                    Option(
                        plain(
                            f"rev {r.revision:<2} {_local(r.at)} {fit(r.by, 9)} "
                            f"{r.location}" + (f"  ({r.note})" if r.note else "")
                        ),
                        id=str(r.revision),
                    )
                    for r in reversed(self.document.revisions)
                )
            )
            yield Label("n: new revision   escape: close", classes="hint")


class HandoffScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    HandoffScreen #summary { padding: 0 1; height: auto; }
    HandoffScreen HandoffList {
        height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis;
    }
    HandoffScreen HandoffList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "tick", "Tick", id="handoff.toggle"),
        Binding("e", "edit", "Edit answer", id="handoff.edit"),
        Binding("d", "add_document", "Add document", id="handoff.add_document", show=False),
        Binding("S", "submit", "Submit", id="handoff.submit"),
        Binding("A", "accept", "Accept", id="handoff.accept"),
        Binding("R", "return", "Return", id="handoff.return"),
        Binding("ctrl+r", "reload", "Reload", id="handoff.reload", show=False),
        Binding("q,escape", "app.pop_screen", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, detail: HandoffDetail) -> None:
            self.detail = detail
            super().__init__()

    class Changed(Message):
        """Something was tried: read the handoff again, whatever came of it."""

    def __init__(self, handoff_id: int) -> None:
        super().__init__()
        self.handoff_id = handoff_id
        self.detail: HandoffDetail | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(f"Handoff {self.handoff_id}")
        yield Static("loading…", id="summary")
        yield HandoffList(id="checklist")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(HandoffList).focus()
        self._load()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """Someone changed this handoff (or the database came back): read it again."""
        if message.reconnected or any(
            e.entity == "handoff" and e.entity_id == self.handoff_id for e in message.events
        ):
            self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="handoff", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(handoff_detail(workspace_of(self).db, self.handoff_id)))

    def reset_busy(self) -> None:
        if self.detail is None:  # still "loading…"
            self.query_one("#summary", Static).update(
                plain(f"handoff {self.handoff_id} could not be read; ctrl+r tries again")
            )

    @on(Changed)
    def _changed(self) -> None:
        self._load()

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        detail = self.detail = message.detail
        width = max(self.size.width - 3, 40)  # the scrollbar and a margin
        self.query_one("#summary", Static).update(Content("\n").join(summary_lines(detail)))
        options = self.query_one(HandoffList)
        current = options.highlighted_option.id if options.highlighted_option else None
        required = sum(1 for item in detail.items if item.required)
        rows: list[Option] = [
            Option(
                plain(
                    f"Checklist: {counted(len(detail.items), 'item')}, {required} required "
                    "(! blocks submission, * required)"
                ),
                disabled=True,
            ),
            *[Option(plain(item_text(item, width)), id=f"item:{item.id}") for item in detail.items],
            Option(plain(f"Documents ({len(detail.documents)}): enter for history"), disabled=True),
            *[Option(plain(document_text(d, width)), id=f"doc:{d.id}") for d in detail.documents],
            Option(plain("History"), disabled=True),
            *[
                Option(plain(f"{_local(h.at)}  {h.summary}"), disabled=True)
                for h in reversed(detail.history)
            ],
        ]
        options.set_options(rows)
        ids = [row.id for row in rows]
        if current in ids:
            options.highlighted = ids.index(current)
        elif len(rows) > 1 and not rows[1].disabled:
            options.highlighted = 1

    def on_resize(self) -> None:
        if self.detail is not None:
            self.post_message(self.Loaded(self.detail))

    # --- what the cursor is on -----------------------------------------------------------

    def _current(self) -> ChecklistEntry | DocumentEntry | None:
        option = self.query_one(HandoffList).highlighted_option
        if self.detail is None or option is None or not option.id:
            return None
        kind, _, key = option.id.partition(":")
        entries = self.detail.items if kind == "item" else self.detail.documents
        return next((e for e in entries if e.id == int(key)), None)

    def _current_item(self) -> ChecklistEntry | None:
        entry = self._current()
        if not isinstance(entry, ChecklistEntry):
            self.notify("Move to a checklist item first", severity="warning")
            return None
        return entry

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        entry = self._current()
        if isinstance(entry, DocumentEntry):
            self.app.push_screen(DocumentHistory(entry), self._after_history(entry))
        elif isinstance(entry, ChecklistEntry) and entry.kind == "check":
            self.action_tick()
        elif isinstance(entry, ChecklistEntry):
            self.action_edit()

    # --- checklist ---------------------------------------------------------------------

    def action_tick(self) -> None:
        item = self._current_item()
        if item is None:
            return
        if item.kind != "check":
            self.notify(f"'{item.label}' takes a {item.kind}: e edits it", markup=False)
            return
        ctx = workspace_of(self).context()
        verb = "unticked" if item.answered else "ticked"
        self._act(
            lambda: handoffs_checklist.toggle_item(ctx, item.id, item.version),
            f"{verb} {item.label}",
        )

    def action_edit(self) -> None:
        item = self._current_item()
        if item is None:
            return
        if item.kind == "check":
            self.notify(f"'{item.label}' is ticked with x", markup=False)
            return
        workspace = workspace_of(self)
        ctx, draft_key = workspace.context(), f"handoff-answer:{item.id}"

        def save(value: str | None) -> None:
            if value is not None:
                self._act(
                    lambda: handoffs_checklist.answer_item(ctx, item.id, value, item.version),
                    f"saved {item.label}",
                    after=lambda: workspace.drafts.discard(draft_key),
                )

        title = f"{item.label} ({item.kind}{', required' if item.required else ''})"
        dialog = AskText(
            title,
            "empty clears the answer",
            required=False,
            value=item.answer or "",
            draft_key=draft_key,
        )
        self.app.push_screen(dialog, save)

    # --- documents ---------------------------------------------------------------------

    def action_add_document(self) -> None:
        """Ask for the title, where the document is, and a note; then add it."""
        ctx = workspace_of(self).context()
        handoff_id = self.handoff_id

        def got_title(title: str | None) -> None:
            if title:
                self.app.push_screen(
                    AskText("Where is it? (a path or a URL)"),
                    lambda where: got_where(title, where),
                )

        def got_where(title: str, where: str | None) -> None:
            if where:
                self.app.push_screen(
                    AskText("Note (optional)", required=False),
                    lambda note: got_note(title, where, note),
                )

        def got_note(title: str, where: str, note: str | None) -> None:
            if note is not None:
                self._act(
                    lambda: handoff_documents.add_document(ctx, handoff_id, title, where, note),
                    f"added {title}",
                )

        self.app.push_screen(AskText("Title of the document"), got_title)

    def _after_history(self, document: DocumentEntry) -> Callable[[str | None], None]:
        def closed(choice: str | None) -> None:
            if choice == "revise":
                self._revise(document)

        return closed

    def _revise(self, document: DocumentEntry) -> None:
        ctx = workspace_of(self).context()
        seen = document.latest.revision

        def got_where(where: str | None) -> None:
            if where:
                self.app.push_screen(
                    AskText(f"What changed in revision {seen + 1}? (optional)", required=False),
                    lambda note: save(where, note),
                )

        def save(where: str, note: str | None) -> None:
            if note is not None:
                self._act(
                    lambda: handoff_documents.add_revision(ctx, document.id, where, note, seen),
                    f"added revision {seen + 1} of {document.title}",
                )

        self.app.push_screen(AskText(f"Where is revision {seen + 1}? (a path or a URL)"), got_where)

    # --- submit, accept, return ------------------------------------------------------------

    def action_submit(self) -> None:
        if self.detail is None:
            return
        ctx, version = workspace_of(self).context(), self.detail.version
        self._act(
            lambda: handoffs.submit(ctx, self.handoff_id, version),
            f"submitted to {self.detail.to_team}",
        )

    def action_accept(self) -> None:
        detail = self.detail
        if detail is None:
            return
        ctx = workspace_of(self).context()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._act(
                    lambda: handoffs.accept(ctx, detail.id, detail.version),
                    f"accepted: the {detail.to_team} team's step is ready",
                )

        self.app.push_screen(
            Confirm(
                f"Accept handoff {detail.id} from {detail.from_team}? Its step is finished "
                f"and the {detail.to_team} team's next step becomes ready."
            ),
            confirmed,
        )

    def action_return(self) -> None:
        detail = self.detail
        if detail is None:
            return
        ctx = workspace_of(self).context()

        def reason_given(reason: str | None) -> None:
            if reason:
                self._act(
                    lambda: handoffs.return_handoff(ctx, detail.id, reason, detail.version),
                    f"returned to {detail.from_team}",
                )

        self.app.push_screen(
            AskText(f"Why return handoff {detail.id} to {detail.from_team}?"), reason_given
        )

    @work(thread=True, group="handoff-actions", exit_on_error=False)
    def _act(
        self, action: Callable[[], object], done: str, after: Callable[[], object] | None = None
    ) -> None:
        """Run one change; a refusal reaches the app's error handler, and the
        handoff is read again either way so the screen shows what is current.
        ``after`` runs only when the change was committed."""
        try:
            action()
            if after is not None:
                after()
            self.app.call_from_thread(self.notify, done, markup=False)
        finally:
            self.post_message(self.Changed())
