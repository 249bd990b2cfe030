"""The console application."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.reactive import var
from textual.screen import ModalScreen, Screen
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.worker import Worker, WorkerState

from backoffice_tui.config import Settings, state_dir
from backoffice_tui.domain.errors import BackofficeError, DatabaseUnavailable
from backoffice_tui.services.connection import Database
from backoffice_tui.services.context import Actor
from backoffice_tui.services.customers.saved_views import (
    WORK_ITEMS,
    SavedViewRow,
    queue_filter_of,
    timeline_filter_of,
)
from backoffice_tui.services.insight.running import stop_all as stop_all_reports
from backoffice_tui.services.lookup.records import FoundRecord
from backoffice_tui.services.people.notifications import KINDS as NOTIFIED_KINDS
from backoffice_tui.services.people.notifications import count_new, newest_event_id
from backoffice_tui.services.work.queue import QueueFilter, QueueRow
from backoffice_tui.services.work.take_next import nothing_ready, take_next
from backoffice_tui.tui.ascii_glyphs import AsciiGlyphs
from backoffice_tui.tui.commands import screen_commands
from backoffice_tui.tui.live_sync import LiveSync
from backoffice_tui.tui.messages import FeedRead
from backoffice_tui.tui.no_color import NO_COLOR_CSS, no_color_wanted
from backoffice_tui.tui.pending_decisions import PendingDecisions
from backoffice_tui.tui.screen_names import SCREEN_TITLES
from backoffice_tui.tui.screens.applications import ApplicationsScreen
from backoffice_tui.tui.screens.approval_lists import reading_time
from backoffice_tui.tui.screens.approvals import ApprovalsScreen
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.customers import CustomerSearchScreen
from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.screens.go_anywhere import GoAnywhere, open_record
from backoffice_tui.tui.screens.handoffs import HandoffsScreen
from backoffice_tui.tui.screens.held_decisions import HeldDecisions
from backoffice_tui.tui.screens.help import HelpScreen, describe_keys
from backoffice_tui.tui.screens.home import HomeScreen
from backoffice_tui.tui.screens.import_file import ImportScreen
from backoffice_tui.tui.screens.insights import InsightsScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.notifications import NotificationsScreen
from backoffice_tui.tui.screens.order_form import OrderForm, SavedOrder
from backoffice_tui.tui.screens.people import PeopleScreen, admin_refusal
from backoffice_tui.tui.screens.profile import ProfileScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.screens.rules import RulesScreen
from backoffice_tui.tui.screens.views import pick_view
from backoffice_tui.tui.seen_events import LastSeen
from backoffice_tui.tui.themes import DEFAULT_THEME, load_themes
from backoffice_tui.tui.workspace import ConsoleApp, OpenQueue, Workspace

log = logging.getLogger(__name__)

QUIT_QUESTION = "Quit the console? (ctrl+q quits at once)"


class AsciiScrollBarRender(ScrollBarRender):
    """Scrollbars drawn with spaces only: no ambiguous-width block glyphs."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


ASCII_GLYPHS = AsciiGlyphs()

# the keys Textual shows as symbols, by name in ASCII mode
ASCII_KEY_NAMES = {
    "↑": "up",
    "↓": "down",
    "←": "left",
    "→": "right",
    "⌫": "backspace",
    "⏎": "enter",
}

ASCII_CSS = """
App.-ascii Input { border: ascii $border-blurred; }
App.-ascii Input:focus { border: ascii $border; }
App.-ascii Input.-textual-compact, App.-ascii Input.-textual-compact:focus { border: none; }
App.-ascii ModalScreen > Vertical { border: ascii $primary; }
App.-ascii Toast { border-left: none; }
App.-ascii OptionList { border: none; }
"""


class BackofficeApp(App[None]):
    TITLE = "backoffice"
    CSS = ASCII_CSS + NO_COLOR_CSS
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('home')", "Home", id="nav.home", show=False),
        Binding("2", "switch_mode('queue')", "Work queue", id="nav.queue", show=False),
        Binding("3", "switch_mode('approvals')", "Approvals", id="nav.approvals", show=False),
        Binding("4", "switch_mode('customers')", "Customers", id="nav.customers", show=False),
        Binding("5", "switch_mode('handoffs')", "Handoffs", id="nav.handoffs", show=False),
        Binding(
            "6", "switch_mode('applications')", "Applications", id="nav.applications", show=False
        ),
        Binding("7", "switch_mode('insights')", "Insights", id="nav.insights", show=False),
        Binding("8", "switch_mode('rules')", "Rules", id="nav.rules", show=False),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding(
            "exclamation_mark", "notifications", "Notifications", id="app.notifications", show=False
        ),
        Binding("colon", "go_anywhere", "Go to a record", id="app.go_anywhere", show=False),
        Binding("ctrl+p", "command_palette", "Commands", id="app.commands"),
        Binding("ctrl+o", "import_file", "Import a file", id="app.import", show=False),
        Binding("ctrl+n", "new_order", "New order", id="app.new_order", show=False),
        Binding("ctrl+u", "profile", "Profile", id="app.profile", show=False),
        Binding("ctrl+g", "people", "People (admins)", id="app.people", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
    ]
    MODES: ClassVar = {
        "home": HomeScreen,
        "queue": QueueScreen,
        "approvals": ApprovalsScreen,
        "customers": CustomerSearchScreen,
        "handoffs": HandoffsScreen,
        "applications": ApplicationsScreen,
        "insights": InsightsScreen,
        "rules": RulesScreen,
    }

    # when the database became unreachable (None: online); every header follows it
    offline_since: var[datetime | None] = var(None)
    # notifications since the operator last looked; every header shows the count
    notifications_new: var[int] = var(0)

    def __init__(
        self,
        workspace: Workspace,
        *,
        start_screen: str = "home",
        start_customer: str | None = None,
        theme_folder: Path | None = None,
    ) -> None:
        # native ANSI mode is what lets Textual strip colours instead of greying them
        super().__init__(ansi_color=True if no_color_wanted() else None)
        self.set_class(self.no_color, "-nocolor")
        if start_screen not in SCREEN_TITLES:
            raise ValueError(f"unknown screen {start_screen!r}")
        self.start_screen = "customers" if start_customer else start_screen
        self.start_customer = start_customer
        self.workspace = workspace
        self._theme_folder = theme_folder
        self.ascii_borders = workspace.settings.ascii_borders
        self.animation_level = "none"
        # approvals held for their undo window; quitting commits them
        self.pending_decisions = PendingDecisions(
            self, workspace.settings.undo_seconds, workspace.context, workspace.drafts
        )
        self.live_sync = LiveSync(self, workspace, self._show_offline)
        self.last_seen = LastSeen(state_dir(), workspace.db.description)
        self._seen_event = 0

    # --- start-up -----------------------------------------------------------------

    def on_mount(self) -> None:
        themes = load_themes(self._theme_folder)
        for theme in themes.themes.values():
            self.register_theme(theme)
        for problem in themes.problems:
            self.notify(problem, severity="warning", markup=False)
        wanted = self.workspace.settings.theme
        if wanted not in themes.themes:
            if wanted != DEFAULT_THEME:
                self.notify(
                    f"no theme {wanted!r}; using {DEFAULT_THEME}", severity="warning", markup=False
                )
            wanted = DEFAULT_THEME if DEFAULT_THEME in themes.themes else "textual-dark"
        self._ascii_themes = themes.ascii_borders
        self.theme = wanted
        self.switch_mode(self.start_screen)
        if self.start_customer:
            self.push_screen(CustomerScreen(self.start_customer))
        self.live_sync.start()
        self._count_notifications()
        self._quit_on_hang_up()
        self.offer_held_decisions()

    def offer_held_decisions(self) -> None:
        """What a console of this login held in its undo window when it
        stopped: commit, discard, or ask again at the next start."""
        self.pending_decisions.offer_stopped(
            lambda lines, answered: self.push_screen(HeldDecisions(lines), answered)
        )

    def watch_theme(self, theme: str) -> None:
        self._apply_ascii(
            self.workspace.settings.ascii_borders or theme in getattr(self, "_ascii_themes", set())
        )

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        return [*filters, ASCII_GLYPHS] if self.ascii_borders else filters

    def _apply_ascii(self, on: bool) -> None:
        self.ascii_borders = on
        self.set_class(on, "-ascii")
        ScrollBar.renderer = AsciiScrollBarRender if on else ScrollBarRender

    # --- navigation ---------------------------------------------------------------

    def action_go_home(self) -> None:
        self.switch_mode("home")

    def open_queue(self, destination: OpenQueue | QueueFilter) -> None:
        """Show the work queue on a filter, from home or the command palette."""
        if isinstance(destination, QueueFilter):
            destination = OpenQueue(destination, "")
        self.switch_mode("queue")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, QueueScreen):
            self.pop_screen()
        queue = next(s for s in self.screen_stack if isinstance(s, QueueScreen))
        if queue.is_mounted:
            queue.show_filter(destination.queue_filter, destination.title, destination.sort)
        else:
            queue.queue_filter = destination.queue_filter
            queue.title_text = destination.title
            queue.sort = destination.sort

    def open_view(self, view: SavedViewRow) -> None:
        """Reopen a saved view: the queue on its filter, or a customer's timeline."""
        if view.target == WORK_ITEMS:
            queue_filter, sort = queue_filter_of(view.filters)
            self.open_queue(OpenQueue(queue_filter, view.name, sort))
        else:
            customer, timeline_filter = timeline_filter_of(view.filters)
            self.switch_mode("customers")
            self.push_screen(CustomerScreen(customer, timeline_filter))

    def action_go_anywhere(self) -> None:
        """The ``:`` prompt: open any record by its id or code."""
        if isinstance(self.screen, ModalScreen):
            return  # a dialog is open: it answers first

        def chosen(found: FoundRecord | None) -> None:
            if found is not None:
                open_record(self, found)

        self.push_screen(GoAnywhere(), chosen)

    def action_take_next(self) -> None:
        """Claim and start the next ready item of my teams, and open it."""
        if not self.refuse_while_offline():
            self._take_next()

    @work(thread=True, exclusive=True, group="take-next", exit_on_error=False)
    def _take_next(self) -> None:
        ctx = self.workspace.context()
        row = take_next(ctx)
        self.call_from_thread(self._taken, row, nothing_ready(ctx) if row is None else "")

    def _taken(self, row: QueueRow | None, nothing: str) -> None:
        if row is None:
            self.notify(nothing, severity="warning", markup=False)
            return
        self.notify(f"Took and started {row.order_code} / {row.step}", markup=False)
        self.push_screen(WorkItemScreen(row.id))

    # --- notifications -----------------------------------------------------------

    def action_notifications(self) -> None:
        if not isinstance(self.screen, NotificationsScreen | ModalScreen):
            self.push_screen(NotificationsScreen(self._seen_event))

    def action_seen_notifications(self, newest: int) -> None:
        """The list was looked at up to event ``newest``."""
        if newest > self._seen_event:
            self._seen_event = newest
            self.last_seen.put(newest)
        self.notifications_new = 0

    @work(thread=True, exclusive=True, group="notifications-count", exit_on_error=False)
    def _count_notifications(self) -> None:
        workspace = self.workspace
        if not self._seen_event:
            seen = self.last_seen.get()
            if seen is None:  # the first start: from now on
                seen = newest_event_id(workspace.db)
                self.last_seen.put(seen)
            self._seen_event = seen
        count = count_new(workspace.db, workspace.actor, reading_time(workspace), self._seen_event)
        self.call_from_thread(self._counted, count)

    def _counted(self, count: int) -> None:
        if count > self.notifications_new and self.workspace.settings.bell:
            self.bell()
        self.notifications_new = count

    def action_import_file(self) -> None:
        if not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen())

    def action_profile(self) -> None:
        if not isinstance(self.screen, ProfileScreen):
            self.push_screen(ProfileScreen())

    def action_new_order(self) -> None:
        """The new-order form; once saved, the customer's screen with its new lines."""
        if isinstance(self.screen, OrderForm):
            return

        def saved(order: SavedOrder | None) -> None:
            screen = self.screen
            if order is None or (
                isinstance(screen, CustomerScreen) and screen.code == order.customer
            ):
                return
            self.push_screen(CustomerScreen(order.customer))

        self.push_screen(OrderForm(), saved)

    def action_people(self) -> None:
        """Users and deactivating one who leaves: admins only."""
        if not self.workspace.actor.is_admin:
            self.notify(admin_refusal(self.workspace.actor.login), severity="error", markup=False)
        elif not isinstance(self.screen, PeopleScreen):
            self.push_screen(PeopleScreen())

    def action_saved_views(self) -> None:
        screen = self.screen
        if isinstance(screen, BackofficeScreen):
            pick_view(screen, None, self.open_view)

    def get_key_display(self, binding: Binding) -> str:
        """Keys as Textual shows them, but in ASCII mode by name (up, enter)
        rather than as arrows and symbols that may be drawn two cells wide."""
        shown = super().get_key_display(binding)
        if self.has_class("-ascii"):
            for glyph, name in ASCII_KEY_NAMES.items():
                shown = shown.replace(glyph, name)
        return shown

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = SCREEN_TITLES.get(self.current_mode, "")
        self.push_screen(HelpScreen(title, describe_keys(screen)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every screen, theme and action once: the screen's own bindings
        after the console's, without those already listed."""
        commands = [
            SystemCommand(
                f"Go to {title}",
                f"Open the {title} screen",
                lambda mode=mode: self.switch_mode(mode),
            )
            for mode, title in SCREEN_TITLES.items()
        ]
        commands += [
            SystemCommand(
                f"Theme: {name}",
                f"Switch to the {name} theme",
                lambda name=name: setattr(self, "theme", name),
            )
            for name in sorted(self.available_themes)
            if name in ("dark", "light", "high-contrast")
        ]
        commands += [
            SystemCommand("Saved views", "Reopen a saved view", self.action_saved_views),
            SystemCommand(
                "Notifications",
                "What landed on me since I last looked (!)",
                self.action_notifications,
            ),
            SystemCommand(
                "Go to a record",
                "Open an item, order, customer, approval or handoff by id or code (:)",
                self.action_go_anywhere,
            ),
            SystemCommand(
                "Take next",
                "Claim and start the next ready item of my teams (N)",
                self.action_take_next,
            ),
            SystemCommand(
                "Import a file",
                "Check and import a CSV or XLSX file (ctrl+o)",
                self.action_import_file,
            ),
            # listed here as well as bound: a text field's own ctrl+n / ctrl+u hides the key
            SystemCommand("New order", "Enter a new order (ctrl+n)", self.action_new_order),
            SystemCommand("Profile", "Who I am, my delegations (ctrl+u)", self.action_profile),
            SystemCommand(
                "People (admins)",
                "Users, and handing over a leaver's work (ctrl+g)",
                self.action_people,
            ),
            SystemCommand("Quit", "Quit the console (ctrl+q)", self.action_quit),
        ]
        yield from commands[:-1]
        yield from screen_commands(screen, {command.title for command in commands})
        yield commands[-1]

    def action_help_quit(self) -> None:
        """ctrl+c with nothing selected to copy (Textual's ctrl+c copies a
        selection first): what escape does in a dialog or on a screen opened
        from another; on a main screen it asks whether to quit, and a second
        ctrl+c says yes."""
        screen = self.screen
        if isinstance(screen, Confirm) and screen.question == QUIT_QUESTION:
            screen.dismiss(True)
        elif isinstance(screen, ModalScreen) or len(self.screen_stack) > 1:
            self.simulate_key("escape")
        else:

            def answered(quit: bool | None) -> None:
                if quit:
                    self.call_later(self.action_quit)

            self.push_screen(Confirm(QUIT_QUESTION), answered)

    async def action_quit(self) -> None:
        """Commit the decisions still in their undo window, then quit."""
        stop_all_reports()  # a report being counted does not hold the exit up
        problems = await asyncio.to_thread(self.pending_decisions.commit_all)
        self.exit(message=Text("\n".join(problems)) if problems else None)

    def _quit_on_hang_up(self) -> None:
        """A dropped SSH session (SIGHUP) or a kill (SIGTERM) quits the normal
        way, so decisions in their undo window are committed, not lost."""
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for name in ("SIGHUP", "SIGTERM"):
            number = getattr(signal, name, None)
            if number is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(number, self.call_later, self.action_quit)

    # --- errors -------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every failed worker ends here: expected errors become one line."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, DatabaseUnavailable):
            self.live_sync.set_offline(True)
        if isinstance(error, BackofficeError):
            self.notify(str(error), severity="error", markup=False)
        else:
            log.error("unexpected error in %s", event.worker.name, exc_info=error)
            self.notify(
                f"unexpected error: {type(error).__name__}: {error}", severity="error", markup=False
            )

    # --- live sync (live_sync.py) --------------------------------------------------

    @property
    def changes_seen(self) -> int:
        return self.live_sync.changes_seen

    def refuse_while_offline(self) -> bool:
        """True, after saying so, when the database is unreachable."""
        return self.live_sync.refuse_while_offline()

    def _show_offline(self, since: datetime | None) -> None:
        """Every header (also of screens shown later) follows ``offline_since``."""
        self.offline_since = since

    @on(FeedRead)
    def _feed_read(self, message: FeedRead) -> None:
        self.live_sync.feed_read(message)
        if message.events and any(e.kind in NOTIFIED_KINDS for e in message.events):
            self._count_notifications()

    def on_unmount(self) -> None:
        self.live_sync.stop()
        self.pending_decisions.close()


# mypy holds the app to what screens and widgets expect of it
_CONSOLE: type[ConsoleApp] = BackofficeApp


def create_app(
    settings: Settings,
    db: Database,
    actor: Actor,
    *,
    today: date | None = None,
    start_screen: str = "home",
    start_customer: str | None = None,
) -> BackofficeApp:
    """The console on ``db`` as ``actor``; ``today`` pins the date (tests)."""
    workspace = Workspace(
        db=db, actor=actor, settings=settings, today=(lambda: today) if today else date.today
    )
    return BackofficeApp(workspace, start_screen=start_screen, start_customer=start_customer)
