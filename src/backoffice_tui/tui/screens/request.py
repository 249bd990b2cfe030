"""One approval request whole, opened by its id (``:a12``) or from a
notification: subject, customer, route and decisions. Deciding stays on
the approvals screen, where the undo window is."""

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Static

from backoffice_tui.services.approvals.read import RequestDetail, request_detail
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.approval_lists import reading_time
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.approval_detail import ApprovalDetail, title_line
from backoffice_tui.tui.workspace import workspace_of


class ApprovalRequestScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    ApprovalRequestScreen #request-title {
        height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reload", "Reload", id="request.reload", show=False),
        Binding("q,escape", "app.pop_screen", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, detail: RequestDetail) -> None:
            self.detail = detail
            super().__init__()

    def __init__(self, request_id: int) -> None:
        super().__init__()
        self.request_id = request_id
        self.detail: RequestDetail | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(f"Approval {self.request_id}")
        yield Static(id="request-title")
        yield ApprovalDetail(id="detail")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ApprovalDetail).show_text("loading…")
        self.query_one(ApprovalDetail).focus()
        self._load()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        if message.reconnected or any(
            e.entity == "approval_request" and e.entity_id == self.request_id
            for e in message.events
        ):
            self._load()

    def action_reload(self) -> None:
        self._load()

    def action_focus_list(self) -> None:
        """Enter or escape on the detail (its own keys): back where we came from."""
        self.app.pop_screen()

    @work(thread=True, exclusive=True, group="request", exit_on_error=False)
    def _load(self) -> None:
        workspace = workspace_of(self)
        detail = request_detail(
            workspace.db, workspace.actor, self.request_id, reading_time(workspace)
        )
        self.post_message(self.Loaded(detail))

    def reset_busy(self) -> None:
        if self.detail is None:
            self.query_one(ApprovalDetail).show_text(
                f"approval {self.request_id} could not be read; ctrl+r tries again"
            )

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.detail = message.detail
        self.query_one("#request-title", Static).update(title_line(message.detail))
        self.query_one(ApprovalDetail).show(message.detail)
