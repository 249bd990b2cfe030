"""Sorting the lists by a column and reversing it, key by key: the queue
(over thousands of items), the approval inbox and the handoffs."""

from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from backoffice_tui.demo.generate import generate
from backoffice_tui.services.approvals.read import InboxSort, inbox_window
from backoffice_tui.services.handoffs.read import (
    Direction,
    HandoffFilter,
    HandoffSort,
    list_handoffs,
)
from backoffice_tui.services.work.queue import QueueFilter, QueueSort, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp, create_app
from backoffice_tui.tui.screens.approval_lists import reading_time
from backoffice_tui.tui.screens.approvals import ApprovalsScreen
from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.screens.handoffs import HandoffsScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.inbox_table import InboxTable
from backoffice_tui.tui.widgets.queue_table import QueueTable
from backoffice_tui.tui.widgets.table_header import TableHeader
from backoffice_tui.tui.workspace import workspace_of
from tests.conftest import resolve_actor_for
from tests.tui.conftest import MakeApp, make_settings, settle


async def choose(pilot: Pilot[object], app: BackofficeApp, option_id: str) -> None:
    assert isinstance(app.screen, PickOne)
    options = app.screen.query_one(OptionList)
    options.highlighted = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == option_id
    )
    await pilot.press("enter")
    await settle(pilot)


def header_text(screen: object, selector: str = "TableHeader") -> str:
    header = screen.query_one(selector, TableHeader)  # type: ignore[attr-defined]
    return header.render_line(0).text


@pytest.mark.parametrize("empty_url", ["sqlite", "postgresql"], indirect=True)
async def test_the_queue_sorts_by_a_picked_column_and_reverses_at_scale(
    empty_db: Database, tmp_path: Path
) -> None:
    generate(empty_db, customers=50, work_items=3_000, seed=7)
    every = QueueFilter()

    def ids(sort: QueueSort, descending: bool) -> list[int]:
        rows = list_queue(
            empty_db,
            None,
            every,
            today=date.today(),
            limit=100_000,
            sort=sort,
            descending=descending,
        )
        return [row.id for row in rows]

    app = create_app(
        make_settings(empty_db, tmp_path),
        empty_db,
        resolve_actor_for(empty_db, "yamamoto"),
        start_screen="queue",
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(QueueTable)
        assert "DUE▲" in header_text(screen)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        assert app.screen.query_one(OptionList).highlighted_option.id == "due"  # type: ignore[union-attr]
        await choose(pilot, app, "customer")
        expected = ids(QueueSort.CUSTOMER, False)
        assert table.current_row is not None and table.current_row.id == expected[0]
        assert "CUSTOMER▲" in header_text(screen) and "DUE▲" not in header_text(screen)
        await pilot.press("end")
        await settle(pilot)
        assert table.current_row.id == expected[-1]
        for _ in range(6):  # backwards from the end, across windows
            await pilot.press("pageup")
            await settle(pilot)
            assert table.current_row.id == expected[table.cursor]

        await pilot.press("O")
        await settle(pilot)
        reversed_ids = ids(QueueSort.CUSTOMER, True)
        assert reversed_ids == expected[::-1]
        assert table.cursor == 0 and table.current_row.id == reversed_ids[0]
        assert "CUSTOMER▼" in header_text(screen)
        assert "sorted by customer, reversed" in str(screen.query_one("#status").render())
        for _ in range(5):  # forwards by keyset, reversed
            await pilot.press("pagedown")
            await settle(pilot)
            assert table.current_row.id == reversed_ids[table.cursor]

        await pilot.press("o")
        await settle(pilot)
        await choose(pilot, app, "status")  # a new column starts in its own order
        assert screen.descending is False
        assert table.current_row.id == ids(QueueSort.STATUS, False)[0]
        assert "STATUS▲" in header_text(screen)
        await pilot.press("o", "escape")  # cancelled: nothing changes
        await settle(pilot)
        assert screen.sort == QueueSort.STATUS


async def test_ascii_mode_marks_the_sorted_column_with_ascii(console: MakeApp) -> None:
    app = console(ascii_borders=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "DUE^" in header_text(app.screen)
        await pilot.press("O")
        await settle(pilot)
        assert "DUE v" not in header_text(app.screen)
        assert "DUEv" in header_text(app.screen)
        assert header_text(app.screen).isascii()


async def test_the_inbox_sorts_by_subject_and_reverses(console: MakeApp, demo_db: Database) -> None:
    app = console("sato")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        table = screen.query_one(InboxTable)
        workspace = workspace_of(screen)
        now = reading_time(workspace)

        def titles(sort: InboxSort, descending: bool) -> list[str]:
            rows = inbox_window(demo_db, workspace.actor, now, 0, 500, sort, descending)
            return [row.title for row in rows]

        assert len(titles(InboxSort.DUE, False)) >= 3
        assert "DUE▲" in header_text(screen, "#inbox-view TableHeader")
        await pilot.press("o")
        await settle(pilot)
        await choose(pilot, app, "title")
        by_title = titles(InboxSort.TITLE, False)
        assert by_title == sorted(by_title)
        shown = [table._rows[i].row.title for i in range(len(by_title))]
        assert shown == by_title
        assert "SUBJECT▲" in header_text(screen, "#inbox-view TableHeader")
        await pilot.press("O")
        await settle(pilot)
        shown = [table._rows[i].row.title for i in range(len(by_title))]
        assert shown == titles(InboxSort.TITLE, True) == sorted(by_title, reverse=True)
        assert "SUBJECT▼" in header_text(screen, "#inbox-view TableHeader")
        await pilot.press("s", "o")  # what I sent keeps its own order
        await settle(pilot)
        assert not isinstance(app.screen, PickOne)


async def test_handoffs_sort_by_customer_and_reverse(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoffsScreen)
        await pilot.press("a", "f")  # every team, every state
        await settle(pilot)
        await choose(pilot, app, "all")
        assert "state▲" in str(screen.query_one("#columns").render())
        await pilot.press("s")
        await settle(pilot)
        await choose(pilot, app, "customer")
        handoff_filter = screen.handoff_filter
        actor = workspace_of(screen).actor
        expected = list_handoffs(demo_db, actor, handoff_filter, 200, HandoffSort.CUSTOMER)
        assert len(expected) >= 2
        names = [row.customer_name for row in expected]
        assert names == sorted(names)
        assert [row.id for row in screen.rows] == [row.id for row in expected]
        assert "customer▲" in str(screen.query_one("#columns").render())
        await pilot.press("S")
        await settle(pilot)
        mirrored = list_handoffs(demo_db, actor, handoff_filter, 200, HandoffSort.CUSTOMER, True)
        assert [row.id for row in screen.rows] == [row.id for row in mirrored]
        assert [row.customer_name for row in mirrored] == sorted(names, reverse=True)
        assert "customer▼" in str(screen.query_one("#columns").render())
        assert screen.handoff_list.highlighted is not None


def test_handoff_sorts_put_the_newest_first_among_equals(demo_db: Database) -> None:
    every = HandoffFilter(Direction.ALL, states=())
    for sort in HandoffSort:
        rows = list_handoffs(demo_db, None, every, 500, sort)
        mirrored = list_handoffs(demo_db, None, every, 500, sort, True)
        assert [r.id for r in mirrored] == [r.id for r in rows][::-1], sort
    by_id = list_handoffs(demo_db, None, every, 500, HandoffSort.ID)
    assert [r.id for r in by_id] == sorted((r.id for r in by_id), reverse=True)
