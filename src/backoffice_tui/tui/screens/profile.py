"""My profile: who I am (login, name, teams and roles), the delegations of
my approvals and those made to me; n says I am away, x ends one."""

from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.services.people.delegations import (
    DelegationRow,
    add_delegation,
    end_delegation,
)
from backoffice_tui.services.people.profile import Profile, profile_of
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.away import AwayDialog
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.text import plain, plain_lines
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.workspace import workspace_of


def who_lines(profile: Profile) -> list[str]:
    teams = "; ".join(f"{team}: {', '.join(roles)}" for team, roles in profile.teams.items())
    return [
        f"{profile.login}  {profile.name}" + ("  (admin)" if profile.is_admin else ""),
        f"Teams  {teams or 'none'}",
    ]


def delegation_line(row: DelegationRow, other: str) -> str:
    """``  12  in force  kobayashi      2026-11-21 .. 2026-11-28``."""
    ended = "  ended early" if row.ended_at is not None else ""
    return f"{row.id:>4}  {row.state:<8}  {other:<14} {row.starts_on} .. {row.ends_on}{ended}"


def delegation_options(profile: Profile) -> list[Option]:
    """Both lists under their headings; only delegations can be highlighted."""
    options = [Option(plain("My approvals go to"), disabled=True)]
    options += [Option(plain(delegation_line(d, d.to_login)), id=str(d.id)) for d in profile.mine]
    if not profile.mine:
        options.append(Option(plain("   none: n says when you are away"), disabled=True))
    options.append(Option(plain("Approvals that come to me from"), disabled=True))
    options += [
        Option(plain(delegation_line(d, d.from_login)), id=str(d.id)) for d in profile.to_me
    ]
    if not profile.to_me:
        options.append(Option(plain("   none"), disabled=True))
    return options


class ProfileScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    ProfileScreen #who { padding: 0 1; height: auto; }
    ProfileScreen Label { margin: 1 1 0 1; text-style: bold; color: $text-muted; }
    ProfileScreen OptionList {
        border: none; margin: 0 1; padding: 0; height: 1fr;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ProfileScreen OptionList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "away", "Away…", id="profile.away"),
        Binding("x", "end", "End", id="profile.end"),
        Binding("ctrl+r", "reload", "Reload", id="profile.reload", show=False),
        Binding("q,escape", "app.pop_screen", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(self, profile: Profile) -> None:
            self.profile = profile
            super().__init__()

    class Done(Message):
        def __init__(self, said: str) -> None:
            self.said = said
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.profile: Profile | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader("Profile")
        yield Static("loading…", id="who")
        yield Label("Delegations of approvals  (n: I am away…   x: end the one highlighted)")
        yield OptionList(id="delegations")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.action_reload()
        self.query_one(OptionList).focus()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        if message.reconnected or any(e.entity == "delegation" for e in message.events):
            self.action_reload()

    def action_reload(self) -> None:
        self._load()

    def _today(self) -> date:
        return workspace_of(self).today()

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False)
    def _load(self) -> None:
        workspace = workspace_of(self)
        self.post_message(self.Loaded(profile_of(workspace.db, workspace.actor, self._today())))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.profile = message.profile
        self.query_one("#who", Static).update(plain_lines(who_lines(message.profile)))
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.set_options(delegation_options(message.profile))
        if highlighted is not None and highlighted < options.option_count:
            options.highlighted = highlighted
        else:
            enabled = [i for i, o in enumerate(options.options) if not o.disabled]
            options.highlighted = enabled[0] if enabled else None

    def _selected(self) -> DelegationRow | None:
        if self.profile is None:
            return None
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        rows = [*self.profile.mine, *self.profile.to_me]
        return next((r for r in rows if str(r.id) == option_id), None)

    def action_away(self) -> None:
        profile = self.profile
        if profile is None or self.console.refuse_while_offline():
            return
        ctx = workspace_of(self).context()

        def save(starts_on: date, ends_on: date, to_login: str) -> int:
            return add_delegation(ctx, to_login=to_login, starts_on=starts_on, ends_on=ends_on)

        def saved(delegation_id: int | None) -> None:
            if delegation_id is not None:
                self.notify(f"Delegation {delegation_id} added")
                self._load()

        logins = tuple(login for login, _ in profile.colleagues)
        self.app.push_screen(AwayDialog(logins, self._today(), save), saved)

    def action_end(self) -> None:
        row = self._selected()
        if row is None:
            self.notify("No delegation highlighted", severity="warning")
            return
        if self.console.refuse_while_offline():
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._end(row.id)

        self.app.push_screen(Confirm(f"End delegation {row.id} ({row.describe()}) now?"), answered)

    @work(thread=True, group="profile-actions", exit_on_error=False)
    def _end(self, delegation_id: int) -> None:
        end_delegation(workspace_of(self).context(), delegation_id)
        self.post_message(self.Done(f"Delegation {delegation_id} ended"))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.notify(message.said, markup=False)
        self._load()
