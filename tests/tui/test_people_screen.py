"""The People screen (admins): the users, and deactivating one who leaves
with a successor picked on the screen, a preview, and the counts after."""

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from backoffice_tui.services.people.users import list_users
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.screens.people import HandoverPreview, PeopleScreen
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle

SIZE = (120, 34)


async def open_people(pilot: Pilot[None], app: BackofficeApp) -> PeopleScreen:
    await settle(pilot)
    await pilot.press("ctrl+g")
    await settle(pilot)
    assert isinstance(app.screen, PeopleScreen), app.screen
    return app.screen


async def highlight(pilot: Pilot[None], options: OptionList, option_id: str) -> None:
    """Walk the cursor down to ``option_id``."""
    for _ in range(options.option_count):
        if options.highlighted_option and options.highlighted_option.id == option_id:
            return
        await pilot.press("down")
    raise AssertionError(f"no row {option_id}")


def rows(screen: PeopleScreen) -> dict[str, str]:
    options = screen.query_one(OptionList)
    found = {}
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        found[str(option.id)] = str(option.prompt)
    return found


async def test_an_admin_deactivates_ryan_for_kimura(console: MakeApp) -> None:
    app = console("admin-ito")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_people(pilot, app)
        shown = rows(screen)
        assert "ryan" in shown and "yes" in shown["ryan"] and " 4 " in shown["ryan"]
        assert "build:approver+operator" in shown["ryan"]
        await highlight(pilot, screen.query_one(OptionList), "ryan")
        await pilot.press("d")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickOne)
        await highlight(pilot, picker.query_one(OptionList), "kimura")
        await pilot.press("enter")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, HandoverPreview)
        counts = str(preview.query_one("#counts", Static).content)
        assert "4 work items to kimura, 0 to their team pool, 1 approver entry" in counts
        assert "work item 73:" in str(preview.query_one("#moves", Static).content)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        assert any(
            n.startswith("ryan deactivated: 4 work items to kimura") for n in log.notifications
        ), log.notifications
        shown = rows(screen)
        assert " no " in shown["ryan"] and "   0 " in shown["ryan"]
    users = {u.login: u for u in list_users(app.workspace.db)}
    assert not users["ryan"].active and users["ryan"].open_items == 0


async def test_a_refused_or_cancelled_handover_changes_nothing(console: MakeApp) -> None:
    app = console("admin-ito")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_people(pilot, app)
        await highlight(pilot, screen.query_one(OptionList), "ryan")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # the first choice: back to the team pools
        await settle(pilot)
        # ryan alone approves a stage of an order: the preview is refused in one line
        assert isinstance(app.screen, PeopleScreen)
        assert any("ryan is the only approver of stage" in n for n in log.notifications)
        await highlight(pilot, screen.query_one(OptionList), "sato")
        await pilot.press("d")
        await settle(pilot)
        await highlight(pilot, app.screen.query_one(OptionList), "kobayashi")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoverPreview), log.notifications
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
    users = {u.login: u for u in list_users(app.workspace.db)}
    assert users["ryan"].active and users["sato"].active


async def test_others_are_refused_in_one_line(console: MakeApp) -> None:
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not isinstance(app.screen, PeopleScreen)
        assert "only an admin can manage people; kimura is not one" in log.notifications
        # the screen itself refuses too, should it be reached another way
        app.push_screen(PeopleScreen())
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        assert log.notifications.count("only an admin can manage people; kimura is not one") == 2


@pytest.mark.usefixtures("utc_clock")
def test_snapshot_of_the_handover_preview(  # type: ignore[no-untyped-def]
    snap_compare, pinned_console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = pinned_console("admin-ito", theme="dark")

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await open_people(pilot, app)
        await highlight(pilot, screen.query_one(OptionList), "ryan")
        await pilot.press("d")
        await settle(pilot)
        await highlight(pilot, app.screen.query_one(OptionList), "kimura")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoverPreview)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
