"""The top line: product, database, operator and whether we are online."""

from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from backoffice_tui.tui.text import plain
from backoffice_tui.tui.workspace import console_of


class AppHeader(Widget):
    DEFAULT_CSS = """
    AppHeader { dock: top; height: 1; background: $panel; color: $foreground; }
    """

    offline_since: reactive[datetime | None] = reactive(None)
    screen_title: reactive[str] = reactive("")
    notifications_new: reactive[int] = reactive(0)

    def __init__(self, title: str) -> None:
        super().__init__()
        self.screen_title = title
        self.database = self.operator = ""

    def on_mount(self) -> None:
        workspace = console_of(self).workspace
        self.database = workspace.db.short_description
        self.operator = workspace.operator_label
        self.refresh()
        # the app's reactive, so that screens shown after going offline say so too
        self.watch(self.app, "offline_since", self._follow_app, init=True)
        if hasattr(self.app, "notifications_new"):
            self.watch(self.app, "notifications_new", self._follow_notifications, init=True)

    def _follow_notifications(self, count: int) -> None:
        self.notifications_new = count

    def _follow_app(self, since: datetime | None) -> None:
        self.offline_since = since

    def render(self) -> Content:
        state = (
            Content.styled(f"offline since {self.offline_since:%H:%M}", "bold $error")
            if self.offline_since
            else Content.styled("online", "$success")
        )
        if self.notifications_new:
            # what landed on me (! lists it), kept whole beside the connection state
            count = "99+" if self.notifications_new >= 100 else str(self.notifications_new)
            state = Content.assemble(
                Content.styled(f"{count} new (!)", "bold $warning"), " | ", state
            )
        # the database label last, so that it is what a narrow screen cuts first
        left = Content.assemble(
            Content.styled(" backoffice", "bold"),
            " | ",
            Content.styled(self.screen_title, "bold $accent"),
            " | ",
            plain(self.operator),
            " | ",
            plain(self.database),
        )
        room = self.size.width - len(" | ") - state.cell_length
        if self.size.width and left.cell_length > room:
            # the connection state is never the part that is cut
            mark = "~" if self.app.has_class("-ascii") else "…"
            left = Content.assemble(left.truncate(max(room - len(mark), 0)).rstrip(), mark)
        return Content.assemble(left, " | ", state)
