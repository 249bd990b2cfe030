"""Insights: key 7 shows the reports of the demo data, the figures agree
with the services, and enter on a cell opens the queue on exactly the
items it counts."""

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock

import pytest
from sqlalchemy import text
from textual.widgets import DataTable, Input, Label, Static

from backoffice_tui.services.insight.approval_times import approval_report, approval_requests
from backoffice_tui.services.insight.filters import InsightFilter
from backoffice_tui.services.insight.flow import flow_items, flow_report
from backoffice_tui.services.insight.sla import sla_report
from backoffice_tui.services.insight.tables import REPORT_READERS
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.insight_filter import InsightFilterDialog
from backoffice_tui.tui.screens.insight_requests import CountedRequestsScreen
from backoffice_tui.tui.screens.insights import InsightsScreen, bar
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.screens.request import ApprovalRequestScreen
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle

NOON = datetime.combine(date.today(), clock(12), tzinfo=UTC)


def cells(table: DataTable, row: int) -> list[str]:  # type: ignore[type-arg]
    return [str(cell) for cell in table.get_row_at(row)]


def row_of(table: DataTable, service: str, name: str) -> int:  # type: ignore[type-arg]
    """The table row of a step: under its service's line, by its name."""
    section = None
    for row in range(table.row_count):
        first = cells(table, row)[0]
        if not first.startswith(" "):
            section = first
        elif section == service and first.strip() == name[:16]:
            return row
    raise AssertionError(f"no row for {service}/{name}")


async def test_flow_rows_agree_with_the_service_and_drill_into_the_queue(
    console: MakeApp, demo_db: Database
) -> None:
    expected = flow_report(demo_db, InsightFilter(), NOON)
    busiest = max(range(len(expected.rows)), key=lambda i: expected.rows[i].wip)
    step = expected.rows[busiest].step
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        table = screen.query_one(DataTable)
        services = {r.step.service for r in expected.rows}
        assert table.row_count == len(expected.rows) + len(services)
        row = row_of(table, step.service, step.name)
        assert cells(table, row)[2].strip() == str(expected.rows[busiest].wip)
        table.move_cursor(row=row, column=2)
        await pilot.press("enter")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        wanted = flow_items(demo_db, InsightFilter(), NOON, step, "wip")
        assert queue.queue_filter.item_ids == tuple(wanted)
        assert queue.query_one(QueueTable).total == len(wanted) == expected.rows[busiest].wip


async def test_the_other_reports_and_a_figure_that_counts_no_items(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        await pilot.press("7", "s")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        expected = sla_report(demo_db, InsightFilter(), NOON)
        assert table.row_count == len(expected.rows) + len({r.step.service for r in expected.rows})
        assert [str(c.label) for c in table.columns.values()][:5] == [
            "Step",
            "Team",
            "SLA",
            "Done",
            "Hit",
        ]
        await pilot.press("w")
        await settle(pilot)
        assert [str(c.label) for c in table.columns.values()][2] == "Sent back"
        await pilot.press("v")
        await settle(pilot)
        assert next(str(c.label) for c in table.columns.values()) == "Stage"
        approvals = approval_report(demo_db, InsightFilter(), NOON)
        if approvals.approvers:
            table.move_cursor(row=len(approvals.stages), column=1)  # the "Approver" line
            await pilot.press("enter")
            await settle(pilot)
            assert "this figure counts no work items" in log.notifications
            assert isinstance(app.screen, InsightsScreen)
        await pilot.press("u")
        await settle(pilot)
        assert next(str(c.label) for c in table.columns.values()) == "Process"


def test_bars_are_drawn_in_eighths_of_a_cell() -> None:
    assert bar(0, 10) == "    "
    assert bar(10, 10) == "████"
    assert bar(5, 10) == "██  "
    assert bar(3, 8) == "█▌  "
    assert bar(1, 1000) == "▏   "


# --- stopping a report, the filter, the approvals drill-down -------------------

# counting to a billion one row at a time: minutes, unless stopped
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


@dataclass
class SlowCount:
    """A flow report that counts for minutes: ``started`` is set when it
    begins, ``ended`` (and ``ended_at``) when it stops."""

    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    ended_at: list[float] = field(default_factory=list)

    def read(self, db: Database, wanted: InsightFilter, now: datetime) -> object:
        try:
            with db.read() as session:
                self.started.set()
                return session.execute(text(SLOW)).scalar_one()
        finally:
            self.ended_at.append(time.monotonic())
            self.ended.set()


@pytest.fixture
def slow_flow(monkeypatch: pytest.MonkeyPatch) -> SlowCount:
    count = SlowCount()
    monkeypatch.setitem(REPORT_READERS, "flow", count.read)
    return count


async def test_quitting_while_a_report_counts_stops_it_at_once(
    console: MakeApp, slow_flow: SlowCount
) -> None:
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        await pilot.press("7")
        assert await asyncio.to_thread(slow_flow.started.wait, 10)
        await pilot.pause(0.3)
        assert not slow_flow.ended.is_set()  # still counting
        asked = time.monotonic()
        await pilot.press("ctrl+q")
    closed = time.monotonic()
    assert await asyncio.to_thread(slow_flow.ended.wait, 5)
    assert slow_flow.ended_at[-1] - asked < 1.0  # the count stopped as quitting began
    assert closed - asked < 5.0  # the count alone would take minutes
    assert not log.notifications


async def test_leaving_the_screen_stops_the_report_and_coming_back_reads_it_again(
    console: MakeApp, slow_flow: SlowCount
) -> None:
    started, ended = slow_flow.started, slow_flow.ended
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        await pilot.press("7")
        assert await asyncio.to_thread(started.wait, 10)
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        asked = time.monotonic()
        await pilot.press("1")
        assert await asyncio.to_thread(ended.wait, 5)
        assert time.monotonic() - asked < 2.0
        assert screen.stale
        started.clear()
        await pilot.press("7")
        assert await asyncio.to_thread(started.wait, 10)  # read again
        ended.clear()
        await pilot.press("s")  # another report replaces it: the slow one stops
        assert await asyncio.to_thread(ended.wait, 5)
        await settle(pilot)
        assert next(str(c.label) for c in screen.query_one(DataTable).columns.values()) == "Step"
        assert screen.kind == "sla"
        assert not log.notifications


async def test_the_filter_narrows_every_report_and_refuses_bad_dates_in_place(
    console: MakeApp, demo_db: Database
) -> None:
    team = flow_report(demo_db, InsightFilter(), NOON).rows[0].step.team
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        assert "all work" in str(screen.query_one("#filter", Label).render())
        await pilot.press("slash")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, InsightFilterDialog)
        assert team in dialog.query_one("#team", ChoiceField).choices
        dialog.query_one("#team", ChoiceField).value = team
        dialog.query_one("#since", Input).value = "2026-13-45"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        said = str(dialog.query_one("#outcome", Static).render())
        assert said.startswith("not applied: from '2026-13-45'") and "\n" not in said
        dialog.query_one("#since", Input).value = "2026-06-02"
        dialog.query_one("#until", Input).value = "2026-06-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "starts (2026-06-02) after it ends" in str(dialog.query_one("#outcome").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.wanted == InsightFilter()

        await pilot.press("slash")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, InsightFilterDialog)
        dialog.query_one("#team", ChoiceField).value = team
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.wanted == InsightFilter(team=team)
        assert f"filter: team {team}" in str(screen.query_one("#filter", Label).render())
        wanted = InsightFilter(team=team)
        expected = flow_report(demo_db, wanted, NOON)
        table = screen.query_one(DataTable)
        assert {r.step.team for r in expected.rows} == {team}
        assert table.row_count == len(expected.rows) + len({r.step.service for r in expected.rows})
        await pilot.press("m")  # week/month keeps the filter
        await settle(pilot)
        assert screen.wanted == InsightFilter(team=team, by="month")
        await pilot.press("s")
        await settle(pilot)
        sla = sla_report(demo_db, InsightFilter(team=team, by="month"), NOON)
        assert table.row_count == len(sla.rows) + len({r.step.service for r in sla.rows})


async def test_enter_on_an_approvals_row_lists_exactly_the_requests_it_counts(
    console: MakeApp, demo_db: Database
) -> None:
    report = approval_report(demo_db, InsightFilter(), NOON)
    assert report.stages and report.approvers
    stage = report.stages[0]
    approver = report.approvers[0]
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7", "v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        table = screen.query_one(DataTable)
        table.move_cursor(row=0, column=1)
        await pilot.press("enter")
        await settle(pilot)
        listed = app.screen
        assert isinstance(listed, CountedRequestsScreen)
        wanted = approval_requests(demo_db, InsightFilter(), NOON, stage=stage.stage)
        assert listed.requests == tuple(wanted)
        assert sum(r.decisions for r in listed.requests) == stage.decisions
        assert listed.query_one(DataTable).row_count == len(wanted)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalRequestScreen)
        assert app.screen.request_id == wanted[0].id
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is screen
        row = len(report.stages) + 1  # under the "Approver" line
        assert cells(table, row)[0].strip() == approver.approver[:29]
        table.move_cursor(row=row, column=1)
        await pilot.press("enter")
        await settle(pilot)
        listed = app.screen
        assert isinstance(listed, CountedRequestsScreen)
        assert sum(r.decisions for r in listed.requests) == approver.total
