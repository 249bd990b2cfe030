"""Changing a step's due date, priority and title from the item screen and,
for tagged items, from the queue; releasing and assigning tagged items."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from backoffice_tui.services.context import Context
from backoffice_tui.services.work.edits import edit_item
from backoffice_tui.services.work.queue import QueueFilter, get_queue_row
from backoffice_tui.store.database import Database
from backoffice_tui.tui.commands import screen_commands
from backoffice_tui.tui.screens.bulk_results import BulkResults
from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.screens.help import describe_keys
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.item_edit import EditItemDialog
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.workspace import workspace_of
from tests.conftest import resolve_actor_for
from tests.helpers import type_text, wait_until
from tests.tui.conftest import MakeApp, settle
from tests.tui.test_queue_screen import open_queue

DESIGN = QueueFilter(team="design")
LATER = date.today() + timedelta(days=400)


async def open_edit_dialog(pilot, app) -> EditItemDialog:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(app.screen, EditItemDialog)
    return app.screen


async def test_a_due_date_changed_on_the_item_re_sorts_the_queue(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("sato")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_queue(pilot, app, DESIGN)
        first = table.current_row
        assert first is not None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen)
        dialog = await open_edit_dialog(pilot, app)
        assert dialog.query_one("#field-due", Input).value == first.due.isoformat()
        assert app.focused is dialog.query_one("#field-reason", Input)
        await type_text(pilot, "customer asked")
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # to the due date
        assert app.focused is dialog.query_one("#field-due", Input)
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, LATER.strftime("%Y/%m/%d"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkItemScreen), 10, settled=True)
        assert get_queue_row(demo_db, first.id).due == LATER
        await wait_until(
            pilot,
            lambda: f"due {LATER}" in str(app.screen.query_one("#detail", Static).render()),
            10,
        )
        history = str(app.screen.query_one("#detail", Static).render())
        assert f"due {first.due} → {LATER}: customer asked" in history

        await pilot.press("q")
        # re-sorted by due date: the cursor followed the item down to its new place
        await wait_until(pilot, lambda: table.cursor > 0, 10, settled=True)
        assert isinstance(app.screen, QueueScreen)
        assert table.current_row is not None and table.current_row.id == first.id
        assert table.cursor == (table.total or 0) - 1  # due last of all
        await pilot.press("home")
        await settle(pilot)
        assert table.current_row is not None and table.current_row.id != first.id


async def test_a_stale_edit_is_refused_and_keeps_what_was_typed(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("sato")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_queue(pilot, app, DESIGN)
        row = table.current_row
        assert row is not None
        app.push_screen(WorkItemScreen(row.id))
        await settle(pilot)
        dialog = await open_edit_dialog(pilot, app)
        # someone else changes the item while the dialog is open
        admin = Context(demo_db, resolve_actor_for(demo_db, "admin-ito"))
        edit_item(admin, row.id, title="Theirs", reason="tidy", expected_version=row.version)
        await type_text(pilot, "moved by the customer")
        await pilot.press("shift+tab")  # to the title
        await type_text(pilot, "Mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        outcome = str(dialog.query_one("#outcome", Static).render())
        assert "not saved: " in outcome and "changed by admin-ito" in outcome
        assert dialog.query_one("#field-reason", Input).value == "moved by the customer"
        assert dialog.query_one("#field-title", Input).value == "Mine"
        draft = workspace_of(dialog).drafts.get(f"edit:{row.id}") or ""
        assert "moved by the customer" in draft
    assert get_queue_row(demo_db, row.id).title == "Theirs"


async def test_bad_values_are_refused_in_the_dialog(console: MakeApp, demo_db: Database) -> None:
    app = console("sato")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_queue(pilot, app, DESIGN)
        row = table.current_row
        assert row is not None
        app.push_screen(WorkItemScreen(row.id))
        await settle(pilot)
        dialog = await open_edit_dialog(pilot, app)
        await pilot.press("shift+tab", "shift+tab")  # to the priority
        await type_text(pilot, "9")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "a reason is required" in str(dialog.query_one("#outcome", Static).render())
        await pilot.press("tab", "tab")
        await type_text(pilot, "urgent")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "priority must be 1" in str(dialog.query_one("#outcome", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen)
    assert get_queue_row(demo_db, row.id).version == row.version


async def test_edit_tagged_items_lists_each_outcome(console: MakeApp, demo_db: Database) -> None:
    app = console("sato")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_queue(pilot, app, DESIGN)
        await pilot.press("space", "j", "space")
        await settle(pilot)
        first, second = sorted(table.tagged)
        # one of them changes under us: it is refused, the other applied
        stale = get_queue_row(demo_db, second)
        sato = workspace_of(app.screen).context()
        edit_item(sato, second, title="Busy", reason="x", expected_version=stale.version)
        await pilot.press("E")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EditItemDialog)
        assert dialog.query_one("#field-due", Input).value == ""  # blank: left as it is
        await pilot.press("tab")  # priority
        await type_text(pilot, "1")
        await pilot.press("tab", "tab")
        await type_text(pilot, "go-live moved")
        await pilot.press("enter")  # enter on the reason saves
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 10, settled=True)
        results = app.screen
        assert isinstance(results, BulkResults)
        errors = {r.label.split()[0]: r.error for r in results.results}
        assert errors[f"#{first}"] is None
        assert "changed by sato" in (errors[f"#{second}"] or "")
        await pilot.press("escape")
        await settle(pilot)
        assert table.tagged == {second}  # the refused one stays tagged
    assert get_queue_row(demo_db, first).priority == 1
    assert get_queue_row(demo_db, second).priority == stale.priority


async def test_release_and_assign_tagged_items(console: MakeApp, demo_db: Database) -> None:
    app = console("sato")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_queue(pilot, app, DESIGN)
        await pilot.press("A")  # nothing tagged yet: says how
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("space", "j", "space")  # space tags and moves on
        ids = sorted(table.tagged)
        await pilot.press("A")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickOne)
        logins = [value for value, _ in picker.choices]
        picker.query_one(OptionList).highlighted = logins.index("david")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 10, settled=True)
        assert all(r.error is None for r in app.screen.results)  # type: ignore[attr-defined]
        assert {get_queue_row(demo_db, i).assignee for i in ids} == {"david"}
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("home", "space", "j", "space")  # tag the same two again
        assert sorted(table.tagged) == ids
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("y")  # one confirmation
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 10, settled=True)
        assert all(r.error is None for r in app.screen.results)  # type: ignore[attr-defined]
    assert {get_queue_row(demo_db, i).assignee for i in ids} == {None}


@pytest.mark.usefixtures("utc_clock")
def test_snapshot_of_the_edit_dialog(  # type: ignore[no-untyped-def]
    snap_compare, pinned_console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = pinned_console("sato", theme="dark")

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "customer asked")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EditItemDialog)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_the_new_keys_are_in_the_help_and_the_palette(console: MakeApp) -> None:
    app = console("sato")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot, app, DESIGN)
        keys = dict((description, key) for key, description in describe_keys(app.screen))
        assert (keys["Edit tagged"], keys["Release tagged"], keys["Assign tagged"]) == (
            "E",
            "R",
            "A",
        )
        assert keys["Profile"] == "^u"
        titles = [c.title for c in screen_commands(app.screen)]
        assert {"Edit tagged", "Release tagged", "Assign tagged", "Profile"} <= set(titles)
        await pilot.press("enter")
        await settle(pilot)
        assert ("e", "Edit") in describe_keys(app.screen)
