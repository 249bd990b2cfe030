"""Applications: the ones I filed, where each one is, and filing a new one.

The list is on top; below it, the selected application whole: its fields,
its route stage by stage, and every decision with its comment.
"""

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.domain.application_kinds import ApplicationKindSpec, FieldSpec
from backoffice_tui.domain.approvals import WITH_REQUESTER, RequestState
from backoffice_tui.services.applications import actions as applications
from backoffice_tui.services.applications.kinds import current_kind, list_kinds
from backoffice_tui.services.applications.read import (
    ApplicationDetail,
    ApplicationRow,
    application_detail,
    my_applications,
)
from backoffice_tui.services.events import EventRecord
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.application_form import ApplicationForm, FormSpec
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import Confirm, pick_after_loading
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.application_detail import (
    ApplicationDetailView,
    local_time,
    state_words,
)
from backoffice_tui.tui.widgets.record_list import RecordList
from backoffice_tui.tui.workspace import workspace_of


def _widths(width: int) -> tuple[int, int]:
    """Widths of the kind and waiting-on columns in a list ``width`` cells wide."""
    rest = max(width - 31, 30)
    kind = min(rest // 2, 32)
    return kind, rest - kind - 2


def row_text(row: ApplicationRow, width: int = 80) -> str:
    kind, waiting = _widths(width)
    return (
        f"{row.id:<5}{fit(row.kind_name, kind)}  {local_time(row.filed_at, '%Y-%m-%d')}  "
        f"{fit(state_words(row.state), 11)}  {fit(row.waiting_on, waiting)}"
    )


def columns_text(width: int = 80) -> str:
    kind, waiting = _widths(width)
    return (
        f"{'#':<5}{fit('kind', kind)}  {fit('filed', 10)}  {fit('state', 11)}  "
        f"{fit('waiting on', waiting)}"
    )


def _spec_of(detail: ApplicationDetail) -> ApplicationKindSpec:
    """The fields of the kind version an application was filed on."""
    fields = tuple(FieldSpec(f.key, f.label, f.type, f.required, f.choices) for f in detail.fields)
    return ApplicationKindSpec(detail.kind_code, detail.kind_name, fields, route=())


class ApplicationList(RecordList):
    pass


class ApplicationsScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    ApplicationsScreen #status {
        height: 1; background: $surface; color: $text-muted; padding: 0 1;
    }
    ApplicationsScreen #columns { height: 1; color: $text-muted; text-style: bold; }
    ApplicationsScreen ApplicationList {
        height: auto; max-height: 40%; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ApplicationsScreen ApplicationList:focus { border: none; }
    ApplicationsScreen #detail-pane {
        height: 1fr; border-top: solid $primary; padding: 0 1; scrollbar-size-vertical: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", id="applications.new"),
        Binding("e", "resubmit", "Resubmit", id="applications.resubmit"),
        Binding("w", "withdraw", "Withdraw", id="applications.withdraw"),
        Binding("ctrl+r", "reload", "Reload", id="applications.reload", show=False),
        Binding("q,escape", "back", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[ApplicationRow]) -> None:
            self.rows = rows
            super().__init__()

    class DetailLoaded(Message):
        def __init__(self, detail: ApplicationDetail) -> None:
            self.detail = detail
            super().__init__()

    class Changed(Message):
        """Something was tried: read the list again, whatever came of it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ApplicationRow] = []
        self.detail: ApplicationDetail | None = None
        self._select_after_load: int | None = None  # a new application, once listed

    def compose(self) -> ComposeResult:
        yield AppHeader("Applications")
        yield Static(id="status")
        yield Static(id="columns", markup=False)
        yield ApplicationList(id="applications")
        with VerticalScroll(id="detail-pane"):
            yield ApplicationDetailView(id="detail")
        yield Footer(show_command_palette=False)

    @property
    def application_list(self) -> ApplicationList:
        return self.query_one(ApplicationList)

    def on_mount(self) -> None:
        self.application_list.focus()
        self._load()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self._load()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """An application or its approval changed (or the database came back)."""
        if message.reconnected or any(_about_applications(e) for e in message.events):
            self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @on(Changed)
    def _changed(self) -> None:
        self._load()

    # --- the list ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="applications", exit_on_error=False)
    def _load(self) -> None:
        workspace = workspace_of(self)
        self.post_message(self.Loaded(my_applications(workspace.db, workspace.actor)))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        options = self.application_list
        current = options.highlighted_option.id if options.highlighted_option else None
        self.rows = message.rows
        width = max(self.size.width - 1, 40)
        self.query_one("#columns", Static).update(columns_text(width))
        options.set_options(Option(plain(row_text(r, width)), id=str(r.id)) for r in self.rows)
        ids = [str(r.id) for r in self.rows]
        if self._select_after_load is not None and str(self._select_after_load) in ids:
            current, self._select_after_load = str(self._select_after_load), None
        if ids:
            options.highlighted = ids.index(current) if current in ids else 0
        else:
            self.detail = None
            self.query_one(ApplicationDetailView).say(
                "You have filed no applications. n files a new one."
            )
        back = sum(1 for r in self.rows if r.state in WITH_REQUESTER)
        waiting = sum(1 for r in self.rows if r.state == RequestState.PENDING)
        self.query_one("#status", Static).update(
            plain(
                f"mine: {len(self.rows)} | {waiting} waiting | {back} back with me"
                " | n new, e resubmit, w withdraw"
            )
        )
        if ids:
            self._load_detail(int(ids[options.highlighted or 0]))

    def on_resize(self) -> None:
        if self.rows:
            self.post_message(self.Loaded(self.rows))

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and (self.detail is None or str(self.detail.id) != event.option.id):
            self._load_detail(int(event.option.id))

    # --- the detail pane -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="application-detail", exit_on_error=False)
    def _load_detail(self, application_id: int) -> None:
        workspace = workspace_of(self)
        detail = application_detail(workspace.db, workspace.actor, application_id)
        self.post_message(self.DetailLoaded(detail))

    @on(DetailLoaded)
    def _show_detail(self, message: DetailLoaded) -> None:
        highlighted = self.application_list.highlighted_option
        if highlighted is None or highlighted.id != str(message.detail.id):
            return  # the cursor moved on meanwhile
        self.detail = message.detail
        self.query_one(ApplicationDetailView).show(message.detail)

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.query_one("#detail-pane").focus()

    # --- filing, correcting, withdrawing ------------------------------------------------

    def action_new(self) -> None:
        db = workspace_of(self).db

        def kinds() -> list[tuple[str, str]]:
            return [(k.code, k.name) for k in list_kinds(db)]

        pick_after_loading(
            self,
            "File an application of the kind",
            kinds,
            self._kind_chosen,
            empty="No kinds of application are loaded; an admin loads them with "
            "`backoffice applications load`",
        )

    def _kind_chosen(self, code: str | None) -> None:
        if code:
            self._open_new_form(code)

    @work(thread=True, group="application-kinds", exit_on_error=False)
    def _open_new_form(self, code: str) -> None:
        workspace = workspace_of(self)
        spec = current_kind(workspace.db, code)
        ctx = workspace.context()

        def save(values: dict[str, str], _comment: str) -> int:
            return applications.file_application(ctx, code, values)

        form = FormSpec(
            title=f"New application: {spec.name}",
            kind=spec,
            draft_key=f"application-new:{code}",
            save=save,
        )
        self.app.call_from_thread(self.app.push_screen, ApplicationForm(form), self._filed)

    def _filed(self, application_id: int | None) -> None:
        if application_id is not None:
            self.notify(f"application {application_id} filed", markup=False)
            self._select_after_load = application_id
            self.post_message(self.Changed())

    def _current_detail(self, doing: str, needs: str) -> ApplicationDetail | None:
        detail = self.detail
        if detail is None:
            self.notify("Move to one of your applications first", severity="warning")
            return None
        if needs not in detail.can:
            self.notify(
                f"application {detail.id} is {state_words(detail.state)}: only "
                f"{'one sent back to you' if needs == 'resubmit' else 'an open one'} "
                f"can be {doing}",
                severity="warning",
                markup=False,
            )
            return None
        return detail

    def action_resubmit(self) -> None:
        detail = self._current_detail("resubmitted", "resubmit")
        if detail is None:
            return
        ctx = workspace_of(self).context()

        def save(values: dict[str, str], comment: str) -> int:
            applications.resubmit(ctx, detail.id, values, comment, detail.version)
            return detail.id

        form = FormSpec(
            title=f"Resubmit application {detail.id}: {detail.kind_name}",
            kind=_spec_of(detail),
            draft_key=f"application-resubmit:{detail.id}",
            save=save,
            values={f.key: f.value for f in detail.fields},
            ask_comment=True,
        )

        def done(application_id: int | None) -> None:
            if application_id is not None:
                self.notify(f"application {application_id} resubmitted", markup=False)
                self.post_message(self.Changed())

        self.app.push_screen(ApplicationForm(form), done)

    def action_withdraw(self) -> None:
        detail = self._current_detail("withdrawn", "withdraw")
        if detail is None:
            return
        ctx = workspace_of(self).context()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._act(
                    lambda: applications.withdraw(ctx, detail.id),
                    f"application {detail.id} withdrawn",
                )

        self.app.push_screen(
            Confirm(
                f"Withdraw application {detail.id} ({detail.kind_name})? "
                "It cannot be sent round again."
            ),
            confirmed,
        )

    @work(thread=True, group="application-actions", exit_on_error=False)
    def _act(self, action: Callable[[], object], done: str) -> None:
        try:
            action()
            self.app.call_from_thread(self.notify, done, markup=False)
        finally:
            self.post_message(self.Changed())

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.console.action_go_home()


def _about_applications(event: EventRecord) -> bool:
    if event.entity in ("application", "application_kind"):
        return True
    return event.entity == "approval_request" and event.payload.get("subject_kind") == "application"
