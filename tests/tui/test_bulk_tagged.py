"""Tagging everything the filter matches, untagging all, and acting on the
tagged with one confirmation and a result per item."""

from datetime import date
from pathlib import Path

import pytest

from backoffice_tui.demo.generate import generate
from backoffice_tui.services.work.queue import QueueFilter, count_queue, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import create_app
from backoffice_tui.tui.screens import queue as queue_screen
from backoffice_tui.tui.screens.bulk_results import BulkResults
from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.queue_table import WINDOW, QueueTable
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog, wait_until
from tests.tui.conftest import MakeApp, make_settings, settle
from tests.tui.test_queue_screen import open_queue

DESIGN = QueueFilter(team="design")


def status_text(screen: QueueScreen) -> str:
    return str(screen.query_one("#status").render())


async def test_tag_all_matching_then_release_them_after_one_confirmation(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("sato", undo_seconds=0)  # released at once: the window has its own tests
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_queue(pilot, app, DESIGN)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        matching = list_queue(demo_db, None, DESIGN, today=date.today(), limit=10_000)
        await pilot.press("asterisk")
        await settle(pilot)
        assert table.tagged == {row.id for row in matching}
        assert f"{len(matching)} tagged" in status_text(screen)
        await pilot.press("U")
        await settle(pilot)
        assert not table.tagged and "tagged" not in status_text(screen)

        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert f"Release the {len(matching)} tagged items" in app.screen.question
        await pilot.press("n")  # not now: nothing changes
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and len(table.tagged) == len(matching)
        assert [get_queue_row(demo_db, r.id).version for r in matching] == [
            r.version for r in matching
        ]
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 10, settled=True)
        results = app.screen.results  # type: ignore[attr-defined]
        assert len(results) == len(matching)  # a result per item
        released = [r for r, result in zip(matching, results, strict=True) if result.error is None]
        assert released
        assert all(get_queue_row(demo_db, r.id).assignee is None for r in released)


@pytest.mark.parametrize("empty_url", ["sqlite", "postgresql"], indirect=True)
async def test_tag_all_reaches_items_never_shown_and_stops_at_the_limit(
    empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(empty_db, customers=20, work_items=700, seed=11)
    total = count_queue(empty_db, None, QueueFilter(), today=date.today())
    assert total > 2 * WINDOW
    app = create_app(
        make_settings(empty_db, tmp_path),
        empty_db,
        resolve_actor_for(empty_db, "yamamoto"),
        start_screen="queue",
    )
    log = MessageLog()
    async with app.run_test(size=(100, 20), message_hook=log.hook) as pilot:
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(table.tagged) == total
        assert {row.id for row in table.tagged_or_current()} == table.tagged  # not only those read
        assert log.notifications[-1] == f"Tagged {total:,} items"
        await pilot.press("escape")  # escape clears the tags too
        await settle(pilot)
        assert not table.tagged and not table.tagged_or_current()[1:]
        monkeypatch.setattr(queue_screen, "TAG_ALL_LIMIT", total - 1)
        await pilot.press("asterisk")
        await settle(pilot)
        assert not table.tagged
        assert log.notifications[-1].startswith(f"More than {total - 1:,} items match")
