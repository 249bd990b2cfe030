"""Handoffs: what other teams hand to mine (incoming) and what mine hands on."""

from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.services.exports.views import export_handoff_rows
from backoffice_tui.services.handoffs.read import (
    Direction,
    HandoffFilter,
    HandoffRow,
    HandoffSort,
    list_handoffs,
)
from backoffice_tui.services.handoffs.records import OPEN_STATES
from backoffice_tui.services.people.directory import list_teams
from backoffice_tui.tui.messages import ChangesArrived
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.screens.export_view import ask_to_export
from backoffice_tui.tui.screens.handoff import HandoffScreen
from backoffice_tui.tui.text import fit, plain
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.record_list import RecordList
from backoffice_tui.tui.widgets.table_header import sort_mark
from backoffice_tui.tui.workspace import workspace_of

LIMIT = 200
STATE_CHOICES = [
    ("open", "Open (draft, submitted, returned)"),
    *[(s.value, s.value.capitalize()) for s in HandoffState],
    ("all", "Every state"),
]


def state_text(row: HandoffRow) -> str:
    if row.state in ("draft", "returned") and row.open_required:
        return f"{row.state} ({row.open_required} open)"
    return row.state


def _flexible(width: int) -> tuple[int, int]:
    """Widths of the customer and service columns in a list ``width`` cells wide."""
    rest = max(width - 56, 24)
    customer = rest * 3 // 5
    return customer, rest - customer - 2


def row_text(row: HandoffRow, width: int = 80) -> str:
    customer, service = _flexible(width)
    return (
        f"{row.id:<5}{fit(state_text(row), 14)}  {fit(f'{row.from_team}->{row.to_team}', 18)}  "
        f"{fit(row.order_code, 13)}  {fit(f'{row.customer_code} {row.customer_name}', customer)}"
        f"  {fit(row.service, service)}"
    )


def columns_text(width: int = 80, sort: HandoffSort = HandoffSort.STATE, mark: str = "") -> str:
    """The titles above the list, ``mark`` after the one it is sorted by."""
    customer, service = _flexible(width)
    titles = {
        HandoffSort.ID: ("#", 5),
        HandoffSort.STATE: ("state", 16),
        HandoffSort.TEAMS: ("from->to", 20),
        HandoffSort.ORDER: ("order", 15),
        HandoffSort.CUSTOMER: ("customer", customer + 2),
        HandoffSort.SERVICE: ("service", service),
    }
    return "".join(
        fit(title + (mark if column == sort else ""), cells)
        for column, (title, cells) in titles.items()
    )


class HandoffList(RecordList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", id="handoffs.open"),
    ]


class HandoffsScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    HandoffsScreen #status { height: 1; background: $surface; color: $text-muted; padding: 0 1; }
    HandoffsScreen #columns { height: 1; color: $text-muted; text-style: bold; }
    HandoffsScreen HandoffList {
        height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis;
    }
    HandoffsScreen HandoffList:focus { border: none; }
    HandoffsScreen #empty { margin: 1 2; color: $text-muted; display: none; }
    HandoffsScreen #empty.-shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "direction('incoming')", "Incoming", id="handoffs.incoming"),
        Binding("o", "direction('outgoing')", "Outgoing", id="handoffs.outgoing"),
        Binding("tab", "switch_direction", "Incoming/outgoing", id="handoffs.switch", show=False),
        Binding("a", "direction('all')", "All teams", id="handoffs.all", show=False),
        Binding("f", "pick_state", "State", id="handoffs.state"),
        Binding("t", "pick_team", "Team", id="handoffs.team"),
        Binding("s", "pick_sort", "Sort by", id="handoffs.sort", show=False),
        Binding("S", "reverse_sort", "Reverse order", id="handoffs.reverse", show=False),
        Binding("ctrl+e", "export", "Export what I see", id="handoffs.export", show=False),
        Binding("ctrl+r", "reload", "Reload", id="handoffs.reload", show=False),
        Binding("q,escape", "back", "Back", id="screen.back"),
    ]

    class Loaded(Message):
        def __init__(
            self,
            handoff_filter: HandoffFilter,
            rows: list[HandoffRow],
            order: tuple[HandoffSort, bool] = (HandoffSort.STATE, False),
        ) -> None:
            self.handoff_filter = handoff_filter
            self.rows = rows
            self.order = order  # the sort and whether it is reversed
            super().__init__()

    def __init__(self, handoff_filter: HandoffFilter | None = None) -> None:
        super().__init__()
        self.handoff_filter = handoff_filter or HandoffFilter()
        self.rows: list[HandoffRow] = []
        self.sort = HandoffSort.STATE
        self.descending = False

    def compose(self) -> ComposeResult:
        yield AppHeader("Handoffs")
        yield Static(id="status")
        yield Static(id="columns", markup=False)
        yield HandoffList(id="handoffs")
        yield Static(id="empty")
        yield Footer(show_command_palette=False)

    @property
    def handoff_list(self) -> HandoffList:
        return self.query_one(HandoffList)

    def on_mount(self) -> None:
        self.handoff_list.focus()
        self._load()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self._load()

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        """A handoff changed somewhere (or the database came back): list again."""
        if message.reconnected or any(e.entity == "handoff" for e in message.events):
            self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="handoffs", exit_on_error=False)
    def _load(self) -> None:
        workspace = workspace_of(self)
        handoff_filter, order = self.handoff_filter, (self.sort, self.descending)
        rows = list_handoffs(workspace.db, workspace.actor, handoff_filter, LIMIT, *order)
        self.post_message(self.Loaded(handoff_filter, rows, order))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        if (message.handoff_filter, message.order) != (
            self.handoff_filter,
            (self.sort, self.descending),
        ):
            return  # an older filter's or order's answer
        options = self.handoff_list
        current = options.highlighted_option.id if options.highlighted_option else None
        self.rows = message.rows
        width = self._width()
        mark = sort_mark(self.descending, self.console.ascii_borders)
        self.query_one("#columns", Static).update(columns_text(width, self.sort, mark))
        options.set_options(
            Option(plain(row_text(row, width)), id=str(row.id)) for row in self.rows
        )
        ids = [str(row.id) for row in self.rows]
        if ids:
            options.highlighted = ids.index(current) if current in ids else 0
        more = f" (first {LIMIT})" if len(self.rows) == LIMIT else ""
        count = f"{len(self.rows)} handoff{'s' if len(self.rows) != 1 else ''}{more}"
        self.query_one("#status", Static).update(
            plain(f"{self.handoff_filter.describe()} | {count} | i/o, f state, t team")
        )
        empty = self.query_one("#empty", Static)
        empty.update(plain(f"No handoffs {self.handoff_filter.describe()}."))
        empty.set_class(not self.rows, "-shown")

    def _width(self) -> int:
        return max(self.size.width - 3, 40)  # the scrollbar and a margin

    def on_resize(self) -> None:
        if self.rows:
            order = (self.sort, self.descending)
            self.post_message(self.Loaded(self.handoff_filter, self.rows, order))

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(HandoffScreen(int(event.option.id)))

    # --- filters --------------------------------------------------------------------

    def _refilter(self, handoff_filter: HandoffFilter) -> None:
        self.handoff_filter = handoff_filter
        self._load()

    def action_direction(self, direction: str) -> None:
        self._refilter(replace(self.handoff_filter, direction=Direction(direction)))

    def action_switch_direction(self) -> None:
        incoming = self.handoff_filter.direction == Direction.INCOMING
        self.action_direction("outgoing" if incoming else "incoming")

    def action_pick_sort(self) -> None:
        def chosen(value: str | None) -> None:
            if value is not None and value != self.sort.value:
                self.sort, self.descending = HandoffSort(value), False
                self._load()

        choices = [(s.value, s.label[:1].upper() + s.label[1:]) for s in HandoffSort]
        self.app.push_screen(PickOne("Sort the handoffs by", choices, self.sort.value), chosen)

    def action_export(self) -> None:
        rows = list(self.rows)
        title = f"Export the {len(rows)} handoff{'s' if len(rows) != 1 else ''} listed to"
        ask_to_export(self, title, "handoffs", lambda: export_handoff_rows(rows), len(rows))

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self._load()

    def action_pick_state(self) -> None:
        def chosen(value: str | None) -> None:
            if value is None:
                return
            if value == "open":
                states: tuple[HandoffState, ...] = OPEN_STATES
            elif value == "all":
                states = ()
            else:
                states = (HandoffState(value),)
            self._refilter(replace(self.handoff_filter, states=states))

        states = self.handoff_filter.states
        current = (
            "all" if not states else "open" if set(states) == set(OPEN_STATES) else states[0].value
        )
        self.app.push_screen(PickOne("Show handoffs that are", STATE_CHOICES, current), chosen)

    def action_pick_team(self) -> None:
        teams = [
            ("", "My teams"),
            *[(code, f"{code}  {name}") for code, name in list_teams(workspace_of(self).db)],
        ]

        def chosen(value: str | None) -> None:
            if value is not None:
                self._refilter(replace(self.handoff_filter, team=value or None))

        self.app.push_screen(
            PickOne("Handoffs of the team", teams, self.handoff_filter.team or ""), chosen
        )

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.console.action_go_home()
