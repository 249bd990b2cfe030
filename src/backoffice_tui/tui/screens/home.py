"""Home: my counts and my teams' load; every number opens its screen."""

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from backoffice_tui.services.insight.home import HomeCounts, home_counts
from backoffice_tui.services.work.queue import QueueFilter
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.workspace import OpenQueue, workspace_of


class HomeScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    HomeScreen { layout: vertical; }
    HomeScreen Label { margin: 1 1 0 1; text-style: bold; color: $text-muted; }
    HomeScreen OptionList {
        border: none; margin: 0 1; padding: 0; text-wrap: nowrap; text-overflow: ellipsis;
    }
    HomeScreen OptionList:focus { border: none; }
    HomeScreen #mine { height: auto; max-height: 7; }
    HomeScreen #teams { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("N", "app.take_next", "Take next", id="home.take_next"),
        Binding("m", "open('mine')", "My queue", id="home.mine"),
        Binding("o", "open('overdue')", "Overdue", id="home.overdue"),
        Binding("a", "open('approvals')", "Approvals", id="home.approvals"),
        Binding("h", "open('handoffs')", "Handoffs", id="home.handoffs"),
        Binding("r", "refresh", "Refresh", id="home.refresh", show=False),
        Binding("p", "app.profile", "Profile", id="home.profile", show=False),
        Binding("q", "app.quit", "Quit", id="home.quit"),
    ]

    class Counted(Message):
        def __init__(self, counts: HomeCounts) -> None:
            self.counts = counts
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.counts: HomeCounts | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader("Home")
        yield Label("Mine")
        yield OptionList(id="mine")
        yield Label("Team load  (open / ready / blocked / unassigned / overdue)")
        yield OptionList(id="teams")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.action_refresh()

    def on_screen_resume(self) -> None:
        if self.counts is not None:
            self.action_refresh()

    def action_refresh(self) -> None:
        self._count()

    def on_changes_arrived(self) -> None:
        """Anything changed anywhere: count again (the lists keep their cursor)."""
        if self.is_mounted and self.counts is not None:
            self._count()

    @work(thread=True, exclusive=True, group="home", exit_on_error=False)
    def _count(self) -> None:
        workspace = workspace_of(self)
        self.post_message(
            self.Counted(home_counts(workspace.db, workspace.actor, workspace.today()))
        )

    @on(Counted)
    def _show(self, message: Counted) -> None:
        counts = self.counts = message.counts
        mine = self.query_one("#mine", OptionList)
        highlighted = mine.highlighted
        mine.set_options(
            [
                Option(plain(f"{counts.my_queue:>7}  My queue (m)"), id="mine"),
                Option(plain(f"{counts.my_overdue:>7}  My overdue items"), id="my-overdue"),
                Option(
                    plain(f"{counts.approvals_waiting:>7}  Approvals waiting for me (a)"),
                    id="approvals",
                ),
                Option(
                    plain(f"{counts.handoffs_to_accept:>7}  Handoffs to accept (h)"), id="handoffs"
                ),
                Option(plain(f"{counts.team_overdue:>7}  Overdue in my teams (o)"), id="overdue"),
            ]
        )
        mine.highlighted = highlighted if highlighted is not None else 0
        teams = self.query_one("#teams", OptionList)
        team_highlight = teams.highlighted
        teams.set_options(
            [
                Option(
                    plain(
                        f"{fit(t.team, 16)}{t.open:>7}{t.ready:>7}{t.blocked:>7}"
                        f"{t.unassigned:>7}{t.overdue:>7}  {t.name}"
                    ),
                    id=f"team:{t.team}",
                )
                for t in counts.teams
            ]
        )
        if team_highlight is not None:
            teams.highlighted = team_highlight

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.action_open(event.option.id)

    def action_open(self, target: str) -> None:
        if target == "approvals":
            self.app.switch_mode("approvals")
        elif target == "handoffs":
            self.app.switch_mode("handoffs")
        else:
            self.console.open_queue(self.destination(target))

    def destination(self, target: str) -> OpenQueue:
        if target == "mine":
            return OpenQueue(QueueFilter(assignee="me"), "my queue")
        if target == "my-overdue":
            return OpenQueue(QueueFilter(assignee="me", overdue=True), "my overdue items")
        if target == "overdue":
            return OpenQueue(QueueFilter(overdue=True, my_teams=True), "overdue in my teams")
        team = target.removeprefix("team:")
        return OpenQueue(QueueFilter(team=team), f"team {team}")
