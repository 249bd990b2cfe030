"""Insights: key 7 shows the reports of the demo data, the figures agree
with the services, and enter on a cell opens the queue on exactly the
items it counts."""

from datetime import UTC, date, datetime, time

from textual.widgets import DataTable

from backoffice_tui.services.insight.filters import InsightFilter
from backoffice_tui.services.insight.flow import flow_items, flow_report
from backoffice_tui.services.insight.sla import sla_report
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.insights import InsightsScreen, bar
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle

NOON = datetime.combine(date.today(), time(12), tzinfo=UTC)


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
        if table.row_count:
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
