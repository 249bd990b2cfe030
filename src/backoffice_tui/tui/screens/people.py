"""People (admins): every user with their teams, roles, whether they are
active and how much open work they hold; ``d`` deactivates one who leaves,
handing their work to a successor or back to the team pools after a preview.
"""

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.services.people.handover import HandoverPlan, deactivate_user
from backoffice_tui.services.people.users import UserRow, list_users
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.base import BackofficeDialog, BackofficeScreen
from backoffice_tui.tui.screens.dialogs import DIALOG_CSS, Choices, pick_after_loading
from backoffice_tui.tui.text import fit, plain, plain_lines
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.workspace import workspace_of

TEAM_POOL = ""  # the successor choice that sends the work back to each team's pool
PREVIEW_MOVES = 8  # moves listed in the preview before "... and N more"


def admin_refusal(login: str) -> str:
    return f"only an admin can manage people; {login} is not one"


def teams_text(row: UserRow) -> str:
    return ", ".join(f"{team}:{'+'.join(roles)}" for team, roles in row.teams.items())


def row_text(row: UserRow, width: int = 80) -> str:
    teams = max(width - 48, 10)
    active = "yes" if row.active else "no"
    admin = " (admin)" if row.is_admin else ""
    return (
        f"{fit(row.login, 12)}  {fit(row.name + admin, 18)}  {fit(active, 6)}  "
        f"{row.open_items:>4}  {fit(teams_text(row), teams)}"
    )


def columns_text(width: int = 80) -> str:
    teams = max(width - 48, 10)
    return (
        f"{fit('login', 12)}  {fit('name', 18)}  {fit('active', 6)}  {'open':>4}  "
        f"{fit('teams and roles', teams)}"
    )


def preview_lines(plan: HandoverPlan) -> list[str]:
    """The first moves of a handover, one line each."""
    lines = [move.line() for move in plan.moves[:PREVIEW_MOVES]]
    if len(plan.moves) > PREVIEW_MOVES:
        lines.append(f"... and {len(plan.moves) - PREVIEW_MOVES} more")
    return lines or ["nothing to hand over"]


class HandoverPreview(BackofficeDialog[bool]):
    """What deactivating a user would move where; y deactivates, n cancels."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HandoverPreview")
        + """
    HandoverPreview > Vertical { width: 100; }
    HandoverPreview VerticalScroll { height: auto; max-height: 8; margin-bottom: 1; }
    HandoverPreview VerticalScroll Static { width: 100%; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Deactivate", id="handover.confirm"),
        Binding("n,escape", "answer(False)", "Cancel", id="handover.cancel"),
    ]

    def __init__(self, plan: HandoverPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        where = f"to {self.plan.successor}" if self.plan.successor else "to the team pools"
        with Vertical():
            yield Label(plain(f"Deactivate {self.plan.login}, handing over {where}?"))
            yield Label(plain(self.plan.counts_line()), id="counts")
            with VerticalScroll():
                yield Static(plain_lines(preview_lines(self.plan)), id="moves")
            yield Label(Content("y: deactivate   n: cancel   arrows: scroll"), classes="hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PeopleList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", id="people.down", show=False),
        Binding("k", "cursor_up", "Up", id="people.up", show=False),
    ]


class PeopleScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    PeopleScreen #status { height: 1; background: $surface; color: $text-muted; padding: 0 1; }
    PeopleScreen #columns { height: 1; color: $text-muted; text-style: bold; }
    PeopleScreen PeopleList {
        height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis;
    }
    PeopleScreen PeopleList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "deactivate", "Deactivate…", id="people.deactivate"),
        Binding("ctrl+r", "reload", "Reload", id="people.reload", show=False),
        Binding("q,escape", "back", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[UserRow]) -> None:
            self.rows = rows
            super().__init__()

    class Previewed(Message):
        def __init__(self, plan: HandoverPlan) -> None:
            self.plan = plan
            super().__init__()

    class Deactivated(Message):
        def __init__(self, plan: HandoverPlan) -> None:
            self.plan = plan
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[UserRow] = []

    def compose(self) -> ComposeResult:
        yield AppHeader("People")
        yield Static(id="status")
        yield Static(id="columns", markup=False)
        yield PeopleList(id="people")
        yield Footer(show_command_palette=False)

    @property
    def people_list(self) -> PeopleList:
        return self.query_one(PeopleList)

    def on_mount(self) -> None:
        self.people_list.focus()
        self._load()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        if message.reconnected or any(e.entity in ("user", "work_item") for e in message.events):
            self._load()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="people", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(list_users(workspace_of(self).db)))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        options = self.people_list
        current = options.highlighted_option.id if options.highlighted_option else None
        self.rows = message.rows
        width = max(self.size.width - 3, 40)
        self.query_one("#columns", Static).update(columns_text(width))
        options.set_options(Option(plain(row_text(r, width)), id=r.login) for r in self.rows)
        logins = [row.login for row in self.rows]
        if logins:
            options.highlighted = logins.index(current) if current in logins else 0
        inactive = sum(1 for row in self.rows if not row.active)
        self.query_one("#status", Static).update(
            plain(f"{len(self.rows)} users, {inactive} deactivated | d deactivate one who leaves")
        )

    def _highlighted(self) -> UserRow | None:
        option = self.people_list.highlighted_option
        return next((r for r in self.rows if option and r.login == option.id), None)

    # --- deactivating -------------------------------------------------------------

    def action_deactivate(self) -> None:
        workspace = workspace_of(self)
        if not workspace.actor.is_admin:
            self.notify(admin_refusal(workspace.actor.login), severity="error", markup=False)
            return
        leaver = self._highlighted()
        if leaver is None:
            return
        if not leaver.active:
            self.notify(f"{leaver.login} is already deactivated", severity="warning", markup=False)
            return

        def successors() -> Choices:
            return [(TEAM_POOL, "(nobody: back to each team's pool)")] + [
                (row.login, f"{row.login}  {row.name}  {teams_text(row)}")
                for row in list_users(workspace.db)
                if row.active and row.login != leaver.login and row.teams
            ]

        def chosen(value: str | None) -> None:
            if value is not None:
                self._preview(leaver.login, value or None)

        pick_after_loading(self, f"Hand {leaver.login}'s work over to", successors, chosen)

    @work(thread=True, exclusive=True, group="people-handover", exit_on_error=False)
    def _preview(self, login: str, successor: str | None) -> None:
        plan = deactivate_user(workspace_of(self).context(), login, successor, dry_run=True)
        self.post_message(self.Previewed(plan))

    @on(Previewed)
    def _confirm(self, message: Previewed) -> None:
        plan = message.plan

        def answered(yes: bool | None) -> None:
            if yes and not self.console.refuse_while_offline():
                self._deactivate(plan.login, plan.successor)

        self.app.push_screen(HandoverPreview(plan), answered)

    @work(thread=True, exclusive=True, group="people-handover", exit_on_error=False)
    def _deactivate(self, login: str, successor: str | None) -> None:
        plan = deactivate_user(workspace_of(self).context(), login, successor)
        self.post_message(self.Deactivated(plan))

    @on(Deactivated)
    def _done(self, message: Deactivated) -> None:
        plan = message.plan
        self.notify(f"{plan.login} deactivated: {plan.counts_line()}", markup=False, timeout=10)
        self._load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.console.action_go_home()
