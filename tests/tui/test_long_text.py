"""Long text is readable: a timeline event's summary whole and wrapped,
with its kind in words; the table reads kinds as words too."""

from sqlalchemy import select

from backoffice_tui.services.context import Context
from backoffice_tui.services.work import items as work_items
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Team, WorkItem
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.long_text import LongText
from backoffice_tui.tui.widgets.timeline_table import TimelineTable
from tests.conftest import resolve_actor_for
from tests.helpers import type_text
from tests.tui.conftest import MakeApp, settle

LONG = "called the customer about the cut-over window; " * 6 + "[bold]as typed"


async def test_w_reads_the_newest_event_whole(console: MakeApp, demo_db: Database) -> None:
    with demo_db.read() as session:
        item_id = session.scalar(
            select(WorkItem.id)
            .join(Customer, Customer.id == WorkItem.customer_id)
            .join(Team, Team.id == WorkItem.team_id)
            .where(Customer.code == "C0006", Team.code == "build")
            .limit(1)
        )
    assert item_id is not None
    work_items.add_note(Context(demo_db, resolve_actor_for(demo_db, "kimura")), item_id, LONG)
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await type_text(pilot, "ほくと")  # by its reading, in kana
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        table = app.screen.query_one(TimelineTable)
        if table.current_row is None or LONG not in table.current_row.summary:
            await pilot.press("s")  # newest first
            await settle(pilot)
        assert table.current_row is not None and LONG in table.current_row.summary
        assert "." not in table.cell_text(table.current_row, "kind", 20)
        assert table.cell_text(table.current_row, "kind", 20) == "note added"
        await pilot.press("w")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LongText)
        shown = "\n".join(dialog.lines)
        assert LONG in shown and "[bold]as typed" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
