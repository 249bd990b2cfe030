"""ctrl+c where nothing is selected: escape in a dialog or a screen opened
from another, and on a main screen a question to quit (twice quits)."""

from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.screens.go_anywhere import GoAnywhere
from backoffice_tui.tui.screens.home import HomeScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from tests.tui.conftest import MakeApp, settle


async def test_ctrl_c_goes_back_then_asks_to_quit(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen)
        await pilot.press("colon")
        await settle(pilot)
        assert isinstance(app.screen, GoAnywhere)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and app.is_running
        await pilot.press("ctrl+c", "ctrl+c")
        await settle(pilot)
        assert not app.is_running


async def test_ctrl_c_on_home_asks_and_y_quits(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "Quit the console?" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert not app.is_running
