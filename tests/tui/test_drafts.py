"""Typed text survives a crash or a refused save, until it is committed."""

from datetime import date

from textual.widgets import Input

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.work.queue import QueueFilter, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.dialogs import AskText
from backoffice_tui.tui.screens.item import note_draft
from backoffice_tui.tui.workspace import workspace_of
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle


async def test_a_note_survives_a_crash_and_goes_once_saved(
    console: MakeApp, demo_db: Database
) -> None:
    mine = QueueFilter(assignee="me")
    first = console("kimura")
    async with first.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first.open_queue(mine)
        await settle(pilot)
        row = first.screen.table.current_row
        await pilot.press("n", *"called the site, waiting")
        await settle(pilot)
    # the app ended with the dialog open: the text must be kept
    second = console("kimura")
    async with second.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        second.open_queue(mine)
        await settle(pilot)
        assert second.screen.table.current_row.id == row.id
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(second.screen, AskText)
        assert second.screen.query_one(Input).value == "called the site, waiting"
        await pilot.press(*" for the key", "enter")
        await settle(pilot)
        assert workspace_of(second.screen).drafts.get(note_draft(row.id)) is None
    from backoffice_tui.services.work.detail import work_item_detail

    notes = [n.body for n in work_item_detail(demo_db, row.id).notes]
    assert notes == ["called the site, waiting for the key"]


async def test_a_refused_note_keeps_its_draft(console: MakeApp, demo_db: Database) -> None:
    design = QueueFilter(team="design", statuses=(WorkStatus.READY,))
    target = list_queue(demo_db, None, design, today=date.today(), limit=1)[0]
    app = console("kimura")  # not in the design team: the note is refused
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.open_queue(design)
        await settle(pilot)
        await pilot.press("n", *"please check the drawing", "enter")
        await settle(pilot)
        assert any("not in team design" in m for m in log.notifications)
        drafts = workspace_of(app.screen).drafts
        assert drafts.get(note_draft(target.id)) == "please check the drawing"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one(Input).value == "please check the drawing"
        await pilot.press("escape")  # giving up on purpose drops it
        await settle(pilot)
        assert drafts.get(note_draft(target.id)) is None


def test_the_drafts_file_survives_damage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from backoffice_tui.tui.drafts import Drafts

    drafts = Drafts(tmp_path / "state")
    assert drafts.get("note:1") is None
    drafts.put("note:1", "日本語のメモ")
    drafts.put("note:2", "   ")  # blank text is no draft
    assert Drafts(tmp_path / "state").get("note:1") == "日本語のメモ"
    assert drafts.get("note:2") is None
    (tmp_path / "state" / "drafts.json").write_text("{not json", encoding="utf-8")
    assert drafts.get("note:1") is None  # unreadable: start afresh, never crash
    drafts.put("note:3", "again")
    assert drafts.get("note:3") == "again"
