"""Insights: where work waits and for how long, SLAs, rework, approvals and
automation, as tables with bars and a sparkline; enter on a cell opens the
work queue on exactly the items that cell counts.

The reports are read in a worker (``services.insight``); the screen shows
what it has meanwhile. Figures are plain text in the default colours, so
they read the same on 16 colours and with NO_COLOR.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Sparkline

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.domain.text import visible_text
from backoffice_tui.services.insight.approval_times import (
    ApprovalReport,
    CountedRequest,
    approval_requests,
)
from backoffice_tui.services.insight.automation import (
    AutomationReport,
    automated_items,
)
from backoffice_tui.services.insight.filters import (
    FilterChoices,
    InsightFilter,
    StepKey,
    check_filter,
    filter_choices,
)
from backoffice_tui.services.insight.flow import FlowReport, Spread, flow_items
from backoffice_tui.services.insight.rework import ReworkReport, rework_items
from backoffice_tui.services.insight.running import Cancelled, Running
from backoffice_tui.services.insight.sla import SlaReport, sla_items
from backoffice_tui.services.insight.tables import REPORT_READERS
from backoffice_tui.services.work.queue import QueueFilter
from backoffice_tui.tui.screens.base import BackofficeScreen
from backoffice_tui.tui.screens.insight_filter import InsightFilterDialog
from backoffice_tui.tui.screens.insight_requests import CountedRequestsScreen
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.workspace import OpenQueue, workspace_of

REPORTS = {
    "flow": "Flow (times in days)",
    "sla": "SLA (working days)",
    "rework": "Rework",
    "approvals": "Approvals (hours)",
    "automation": "Automation",
}
BAR_WIDTH = 4
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` against ``largest``, in eighths of a cell."""
    if largest <= 0 or value <= 0:
        return " " * width
    eighths = max(1, round(value * width * 8 / largest))
    full, rest = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[rest] if rest else "")
    return text.ljust(width)


def days(value: float | None) -> str:
    """Days (or hours) in at most four cells up to 999."""
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _median(spread: Spread | None) -> float | None:
    return None if spread is None else spread.median


def _p85(spread: Spread | None) -> float | None:
    return None if spread is None else spread.p85


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.0f}%"


@dataclass(frozen=True)
class Cell:
    """What one cell of the table counts: the report, the step (or the
    template version for automation) and the cell's name in that report."""

    report: str
    step: StepKey | None
    name: str | None
    title: str
    version: tuple[str, int] | None = None
    approver: str | None = None  # approvals: an approver's decisions
    delegated: bool = False  # approvals: the decisions made under a delegation


class InsightsScreen(BackofficeScreen[None]):
    DEFAULT_CSS = """
    InsightsScreen { layout: vertical; }
    InsightsScreen #what { margin: 0 1; text-style: bold; }
    InsightsScreen #filter { margin: 0 1; color: $text-muted; }
    InsightsScreen DataTable { height: 1fr; margin: 0 1; }
    InsightsScreen #trend-label { margin: 0 1; color: $text-muted; }
    InsightsScreen Sparkline { height: 2; margin: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "show('flow')", "Flow", id="insights.flow"),
        Binding("s", "show('sla')", "SLA", id="insights.sla"),
        Binding("w", "show('rework')", "Rework", id="insights.rework"),
        Binding("v", "show('approvals')", "Approvals", id="insights.approvals"),
        Binding("u", "show('automation')", "Automation", id="insights.automation"),
        Binding("slash", "filter", "Filter", id="insights.filter", show=False),
        Binding("m", "period", "Week/month", id="insights.period", show=False),
        Binding("r", "refresh", "Refresh", id="insights.refresh", show=False),
        Binding("q", "app.go_home", "Home", id="insights.home", show=False),
    ]

    class Loaded(Message):
        def __init__(self, kind: str, report: Any, running: Running | None = None) -> None:
            self.kind = kind
            self.report = report
            self.running = running
            super().__init__()

    class Drilled(Message):
        def __init__(self, cell: Cell, item_ids: Sequence[int]) -> None:
            self.cell = cell
            self.item_ids = item_ids
            super().__init__()

    class RequestsFound(Message):
        def __init__(self, cell: Cell, requests: Sequence[CountedRequest]) -> None:
            self.cell = cell
            self.requests = requests
            super().__init__()

    class ChoicesRead(Message):
        def __init__(self, choices: FilterChoices) -> None:
            self.choices = choices
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.kind = "flow"
        self.wanted = InsightFilter()
        self.report: Any = None
        self.cells: dict[tuple[int, int], Cell] = {}
        self.trends: dict[int, tuple[float, ...]] = {}
        self.running: Running | None = None  # the report being read
        self.stale = False  # a report was stopped unread: read it again on return

    def compose(self) -> ComposeResult:
        yield AppHeader("Insights")
        yield Label("", id="what")
        yield Label("", id="filter")
        table: DataTable[Text] = DataTable(cursor_type="cell", zebra_stripes=False)
        yield table
        yield Label("", id="trend-label")
        yield Sparkline([], id="trend")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._say("counting …")
        self.action_refresh()

    def now(self) -> datetime:
        """The moment the reports are taken: noon (UTC) of the console's today."""
        return datetime.combine(workspace_of(self).today(), time(12), tzinfo=UTC)

    # --- reading --------------------------------------------------------------------

    def action_show(self, kind: str) -> None:
        self.kind = kind
        self._say("counting …")
        self.action_refresh()

    def action_period(self) -> None:
        by = "month" if self.wanted.by == "week" else "week"
        self.wanted = replace(self.wanted, by=by)
        self.action_refresh()

    def action_refresh(self) -> None:
        self.stop_reading()
        self.running = Running()
        self._read(self.kind, self.wanted, self.now(), self.running)

    def stop_reading(self) -> None:
        """Interrupt the report being read, if any (it ends unshown)."""
        if self.running is not None:
            self.running.cancel()
            self.running = None

    @work(thread=True, exclusive=True, group="insights", exit_on_error=False)
    def _read(self, kind: str, wanted: InsightFilter, now: datetime, running: Running) -> None:
        db = workspace_of(self).db
        reader = REPORT_READERS[kind]
        try:
            report = running.run(db, lambda watched: reader(watched, wanted, now))
        except Cancelled:
            return
        self.post_message(self.Loaded(kind, report, running))

    def on_unmount(self) -> None:
        self.stop_reading()

    def on_screen_suspend(self) -> None:
        if self.running is not None:
            self.stale = True
        self.stop_reading()

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.action_refresh()

    def _say(self, status: str) -> None:
        wanted = self.wanted
        period = "by month" if wanted.by == "month" else "by week"
        if wanted.since or wanted.until:
            span = f"{wanted.since or '12 weeks back'} to {wanted.until or 'today'}"
        else:
            span = "last 12 weeks"
        self.query_one("#what", Label).update(
            Text(f"{REPORTS[self.kind]} · {span}, {period} · {status}")
        )
        about = [
            f"{what} {value}"
            for what, value in (
                ("team", wanted.team),
                ("service", wanted.service),
                ("template", wanted.template),
            )
            if value
        ]
        self.query_one("#filter", Label).update(
            Text(visible_text("filter: " + ("; ".join(about) or "all work") + "  (/ changes it)"))
        )

    # --- the filter -----------------------------------------------------------------

    def action_filter(self) -> None:
        self._read_choices()

    @work(thread=True, exclusive=True, group="insights-choices", exit_on_error=False)
    def _read_choices(self) -> None:
        self.post_message(self.ChoicesRead(filter_choices(workspace_of(self).db)))

    @on(ChoicesRead)
    def _choose_filter(self, message: ChoicesRead) -> None:
        db, now = workspace_of(self).db, self.now()

        def chosen(wanted: InsightFilter | None) -> None:
            if wanted is None or wanted == self.wanted:
                return
            self.wanted = wanted
            self._say("counting …")
            self.action_refresh()

        self.app.push_screen(
            InsightFilterDialog(
                self.wanted, message.choices, lambda wanted: check_filter(db, wanted, now)
            ),
            chosen,
        )

    # --- showing --------------------------------------------------------------------

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.kind != self.kind or message.running is not self.running:
            return  # a report asked for before the one now wanted
        self.running = None
        self.report = message.report
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self.cells, self.trends = {}, {}
        shown: Callable[[DataTable[Text], Any], int] = {  # type: ignore[assignment]
            "flow": self._flow,
            "sla": self._sla,
            "rework": self._rework,
            "approvals": self._approvals,
            "automation": self._automation,
        }[message.kind]
        rows = shown(table, message.report)
        if message.kind in ("flow", "sla", "rework") and table.row_count > 1:
            table.move_cursor(row=1, column=0)  # the first step, under its service
        self._say(f"{rows} rows; enter opens the items")
        self._trend()

    def _columns(self, table: DataTable[Text], *labels: str) -> None:
        for label in labels:
            table.add_column(Text(label), key=label)

    def _add(
        self, table: DataTable[Text], values: Sequence[Any], cells: Sequence[Cell | None]
    ) -> None:
        row = table.row_count
        table.add_row(
            *(
                v
                if isinstance(v, Text)
                else Text(visible_text(v), no_wrap=True, justify="left" if i < 2 else "right")
                for i, v in enumerate(values)
            )
        )
        for column, cell in enumerate(cells):
            if cell is not None:
                self.cells[(row, column)] = cell

    def _section(self, table: DataTable[Text], service: str, shown: list[str]) -> None:
        """A line naming the service before its first step."""
        if shown and shown[-1] == service:
            return
        shown.append(service)
        table.add_row(
            Text(visible_text(service), style="bold", no_wrap=True),
            *(Text("") for _ in range(len(table.columns) - 1)),
        )

    def _flow(self, table: DataTable[Text], report: FlowReport) -> int:
        self._columns(table, "Step", "Team", "WIP", "", "14d+", "Done", "p50", "p85", "Wait")
        services: list[str] = []
        largest = max((r.wip for r in report.rows), default=0)
        for r in report.rows:
            step = r.step
            label = f"{step.service}/{step.name}"
            self._section(table, step.service, services)

            def cell(name: str, what: str, step: StepKey = step, label: str = label) -> Cell:
                return Cell("flow", step, name, f"{label}: {what}")

            wip, old, done = (
                cell("wip", "in progress"),
                cell("age:4", "ready 14d+"),
                cell("done", "finished"),
            )
            self._add(
                table,
                (
                    " " + step.name[:16],
                    step.team[:11],
                    r.wip,
                    Text(bar(r.wip, largest)),
                    r.ageing[-1],
                    r.done,
                    days(_median(r.cycle)),
                    days(_p85(r.cycle)),
                    days(_median(r.waiting)),
                ),
                (wip, wip, wip, wip, old, done, done, done, done),
            )
            self.trends[table.row_count - 1] = tuple(float(n) for n in r.throughput)
        return len(report.rows)

    def _sla(self, table: DataTable[Text], report: SlaReport) -> int:
        self._columns(table, "Step", "Team", "SLA", "Done", "Hit", "", "Over", "Risk", "Late")
        services: list[str] = []
        for r in report.rows:
            step = r.step
            label = f"{step.service}/{step.name}"
            self._section(table, step.service, services)

            def cell(name: str, what: str, step: StepKey = step, label: str = label) -> Cell:
                return Cell("sla", step, name, f"{label}: {what}")

            done, hit = cell("finished", "finished"), cell("hit", "within SLA")
            breached = cell("breached", "over SLA")
            self._add(
                table,
                (
                    " " + step.name[:16],
                    step.team[:11],
                    f"{r.sla_days}d",
                    r.finished,
                    _rate(r.hit_rate),
                    Text(bar(r.hit, r.finished)),
                    days(r.average_over),
                    r.at_risk,
                    r.late,
                ),
                (
                    done,
                    done,
                    done,
                    done,
                    hit,
                    hit,
                    breached,
                    cell("at_risk", "at risk"),
                    cell("late", "late"),
                ),
            )
        return len(report.rows)

    def _rework(self, table: DataTable[Text], report: ReworkReport) -> int:
        self._columns(table, "Step", "Team", "Sent back", "Returned", "Reassigned", "Items")
        services: list[str] = []
        for r in report.rows:
            step = r.step
            label = f"{step.service}/{step.name}"
            self._section(table, step.service, services)

            def cell(name: str, what: str, step: StepKey = step, label: str = label) -> Cell:
                return Cell("rework", step, name, f"{label}: {what}")

            items = cell("items", "reworked")
            self._add(
                table,
                (
                    " " + step.name[:16],
                    step.team[:11],
                    r.send_backs,
                    r.returned_handoffs,
                    r.reassignments,
                    r.items,
                ),
                (
                    items,
                    items,
                    cell("send_backs", "sent back"),
                    cell("returned_handoffs", "handoff returned"),
                    cell("reassignments", "reassigned"),
                    items,
                ),
            )
        return len(report.rows)

    def _approvals(self, table: DataTable[Text], report: ApprovalReport) -> int:
        self._columns(table, "Stage", "Decided", "Median h", "p85 h", "Deleg.", "")
        largest = max((s.decisions for s in report.stages), default=0)
        for s in report.stages:
            cell = Cell("approvals", None, s.stage, f"stage {s.stage}: decisions")
            self._add(
                table,
                (
                    s.stage[:30],
                    s.decisions,
                    days(s.hours.median),
                    days(s.hours.p85),
                    "",
                    Text(bar(s.decisions, largest)),
                ),
                (cell,) * 6,
            )
        if report.approvers:
            table.add_row(
                Text("Approver", style="bold"), *(Text("") for _ in range(len(table.columns) - 1))
            )
        most = max((a.total for a in report.approvers), default=0)
        for a in report.approvers:
            mine = Cell("approvals", None, None, f"{a.approver}: decisions", approver=a.approver)
            for_others = Cell(
                "approvals",
                None,
                None,
                f"{a.approver}: decided under delegation",
                approver=a.approver,
                delegated=True,
            )
            self._add(
                table,
                (" " + a.approver[:29], a.total, "", "", a.delegated, Text(bar(a.total, most))),
                (mine, mine, mine, mine, for_others, mine),
            )
        share = report.delegated_share
        self.query_one("#trend-label", Label).update(
            Text(f"decided under delegation: {_rate(share)}")
        )
        return len(report.stages) + len(report.approvers)

    def _automation(self, table: DataTable[Text], report: AutomationReport) -> int:
        self._columns(table, "Process", "Version", "Changes", "By rules", "Rate", "")
        for r in report.rows:
            cell = Cell(
                "automation",
                None,
                None,
                f"{r.template} v{r.version}: changed by rules",
                (r.service, r.version),
            )
            self._add(
                table,
                (
                    r.template[:24],
                    f"v{r.version}",
                    r.transitions,
                    r.by_rules,
                    _rate(r.rate),
                    Text(bar(r.by_rules, r.transitions)),
                ),
                (cell,) * 6,
            )
        return len(report.rows)

    # --- the sparkline of the highlighted row --------------------------------------

    @on(DataTable.CellHighlighted)
    def _highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._trend()

    def _trend(self) -> None:
        sparkline = self.query_one(Sparkline)
        label = self.query_one("#trend-label", Label)
        if self.kind != "flow":
            sparkline.data = []
            if self.kind != "approvals":
                label.update("")
            return
        table = self.query_one(DataTable)
        row = table.cursor_coordinate.row
        trend = self.trends.get(row)
        if trend is None:
            sparkline.data = []
            label.update("")
            return
        per = "month" if self.wanted.by == "month" else "week"
        label.update(
            Text(f"finished per {per}: {' '.join(str(int(n)) for n in trend[-8:])} (latest last)")
        )
        sparkline.data = list(trend)

    # --- drilling down --------------------------------------------------------------

    @on(DataTable.CellSelected)
    def _selected(self, event: DataTable.CellSelected) -> None:
        cell = self.cells.get((event.coordinate.row, event.coordinate.column))
        if cell is None:
            self.notify("this figure counts no work items", markup=False)
            return
        self._drill(cell, self.wanted, self.now())

    @work(thread=True, exclusive=True, group="insights-drill", exit_on_error=False)
    def _drill(self, cell: Cell, wanted: InsightFilter, now: datetime) -> None:
        db = workspace_of(self).db
        if cell.report == "approvals":
            requests = approval_requests(
                db,
                wanted,
                now,
                stage=cell.name,
                approver=cell.approver,
                delegated=cell.delegated,
            )
            self.post_message(self.RequestsFound(cell, requests))
            return
        if cell.report == "automation" and cell.version is not None:
            ids = automated_items(db, wanted, now, *cell.version)
        else:
            assert cell.step is not None and cell.name is not None
            finder = {"flow": flow_items, "sla": sla_items, "rework": rework_items}[cell.report]
            ids = finder(db, wanted, now, cell.step, cell.name)
        self.post_message(self.Drilled(cell, ids))

    @on(Drilled)
    def _drilled(self, message: Drilled) -> None:
        if not message.item_ids:
            self.notify(f"{message.cell.title}: no items", markup=False)
            return
        self.console.open_queue(
            OpenQueue(
                QueueFilter(item_ids=tuple(message.item_ids), statuses=tuple(WorkStatus)),
                message.cell.title,
            )
        )

    @on(RequestsFound)
    def _requests_found(self, message: RequestsFound) -> None:
        if not message.requests:
            self.notify(f"{message.cell.title}: no requests", markup=False)
            return
        self.app.push_screen(CountedRequestsScreen(message.cell.title, message.requests))

    def on_changes_arrived(self) -> None:
        """Reports are read when asked (r), not on every change: they are
        heavier than a visible window."""
