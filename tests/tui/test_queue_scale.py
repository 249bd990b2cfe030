"""The virtual list over thousands of items: windows read by keyset forwards,
backwards from the end, and by offset, all agree with the database."""

from datetime import date
from pathlib import Path

import pytest

from backoffice_tui.demo.generate import generate
from backoffice_tui.services.work.queue import QueueFilter, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import create_app
from backoffice_tui.tui.widgets.queue_table import WINDOW, QueueTable
from tests.conftest import resolve_actor_for
from tests.tui.conftest import make_settings, settle


@pytest.mark.parametrize("empty_url", ["sqlite", "postgresql"], indirect=True)
async def test_windows_agree_with_the_database(empty_db: Database, tmp_path: Path) -> None:
    generate(empty_db, customers=40, work_items=2_500, seed=3)
    every = list_queue(empty_db, None, QueueFilter(), today=date.today(), limit=100_000)
    ids = [row.id for row in every]
    assert len(ids) > 3 * WINDOW
    app = create_app(
        make_settings(empty_db, tmp_path),
        empty_db,
        resolve_actor_for(empty_db, "yamamoto"),
        start_screen="queue",
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        assert table.total == len(ids)
        await pilot.press("end")
        await settle(pilot)
        assert table.current_row.id == ids[-1]
        for _ in range(12):  # backwards from the end, across windows
            await pilot.press("pageup")
            await settle(pilot)
            assert table.current_row.id == ids[table.cursor]
        table.jump_to(len(ids) // 2)  # a jump into the middle reads by offset
        await settle(pilot)
        assert table.current_row.id == ids[len(ids) // 2]
        await pilot.press("home")
        for _ in range(12):  # forwards from the start, across windows
            await pilot.press("pagedown")
            await settle(pilot)
            assert table.current_row.id == ids[table.cursor]
        on_screen = {
            table.render_line(y).text.split()[0]
            for y in range(table.scrollable_content_region.height)
        }
        first = round(table.scroll_offset.y)
        assert on_screen == {str(i) for i in ids[first : first + len(on_screen)]}
