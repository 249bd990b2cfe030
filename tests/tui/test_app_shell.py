"""The shell: screen switching, help, back, quit, palette, themes."""

import pytest

from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.applications import ApplicationsScreen
from backoffice_tui.tui.screens.approvals import ApprovalsScreen
from backoffice_tui.tui.screens.customers import CustomerSearchScreen
from backoffice_tui.tui.screens.handoffs import HandoffsScreen
from backoffice_tui.tui.screens.help import HelpScreen, describe_keys
from backoffice_tui.tui.screens.home import HomeScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.app_header import AppHeader
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle


async def test_number_keys_switch_screens(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        expected = {
            "2": QueueScreen,
            "3": ApprovalsScreen,
            "4": CustomerSearchScreen,
            "5": HandoffsScreen,
            "6": ApplicationsScreen,
            "1": HomeScreen,
        }
        for key, screen_type in expected.items():
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen_type), key
            if isinstance(app.screen, CustomerSearchScreen):
                # digits there are part of what is searched; escape leaves the search box
                await pilot.press("5")
                assert app.screen.query_one("#query").value == "5"
                await pilot.press("escape")
        header = app.screen.query_one(AppHeader)
        assert header.screen_title == "Home"
        assert "kimura" in header.operator and header.offline_since is None


async def test_q_and_escape_go_back_and_ctrl_q_quits(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")  # open the first item
        await settle(pilot)
        assert app.screen.__class__.__name__ == "WorkItemScreen"
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("q")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("3")
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_question_mark_lists_the_current_keys(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        descriptions = {description for _, description in app.screen.keys}
        assert {"Claim", "Start", "Done", "Block", "Assign", "Note", "Search"} <= descriptions
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_the_screens_own_keys_come_first_in_help(console: MakeApp) -> None:
    """Textual's generic keys (scroll, copy the selected text) come after the
    queue's and the console's, never above the fold before them."""
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert describe_keys(app.screen)[0][1] == "Claim"
        for key in "354":  # customers last: its search box takes the keys typed
            await pilot.press(key)
            await settle(pilot)
            keys = describe_keys(app.screen)
            generic = [
                i for i, (_, d) in enumerate(keys) if d.lower().startswith(("scroll", "copy"))
            ]
            own = [i for i, (_, d) in enumerate(keys) if d in ("Back", "Keys", "Commands")]
            assert own and (not generic or min(generic) > max(own)), (key, keys)


async def test_the_palette_lists_every_entry_once(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key in "123564":  # customers last: its search box takes the keys typed
            await pilot.press(key)
            await settle(pilot)
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
            assert {"Go to Approvals", "Import a file", "New order", "Profile"} <= set(titles)
            assert "Approvals" not in titles  # the number key's screen is "Go to Approvals"


async def test_command_palette_lists_screen_actions_and_themes(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Claim", "Done", "Block", "Go to Customers", "Theme: light"} <= titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "light"


@pytest.mark.parametrize("theme", ["dark", "light", "high-contrast"])
async def test_themes_load_and_high_contrast_uses_ascii(console: MakeApp, theme: str) -> None:
    app = console(theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == theme
        assert app.has_class("-ascii") == (theme == "high-contrast")


async def test_unknown_theme_falls_back_with_a_notice(console: MakeApp) -> None:
    app = console(theme="purple")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        assert app.theme == "dark"
        assert any("no theme 'purple'" in m for m in log.notifications)


async def test_ascii_setting_removes_ambiguous_width_glyphs(console: MakeApp) -> None:
    app: BackofficeApp = console(ascii_borders=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen_text = app.export_screenshot()
        for glyph in "▔▁▊▎…─│╭╮⏎↑↓←→":
            assert glyph not in screen_text, glyph
        await pilot.press("question_mark")  # the keys, by name
        await settle(pilot)
        keys = " ".join(keys for keys, _ in describe_keys(app.screen.app.screen_stack[-2]))
        assert "up, k" in keys and "left" in keys
        assert not set("⏎↑↓←→⌫") & set(keys)
        assert not set("⏎↑↓←→⌫") & set(app.export_screenshot())


async def test_a_failing_screen_worker_is_reported_in_one_line(console: MakeApp) -> None:
    from backoffice_tui.tui.screens.item import WorkItemScreen

    app = console()
    log = MessageLog()
    async with app.run_test(size=(100, 30), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(WorkItemScreen(987654))
        await settle(pilot)
        assert "no work item 987654" in log.notifications


async def test_ctrl_o_opens_the_import_screen(console: MakeApp) -> None:
    from backoffice_tui.tui.screens.import_file import ImportScreen

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Import a file" in titles
