"""The header line: what is cut on a narrow screen is never the connection state."""

from datetime import datetime

from rich.cells import cell_len

from backoffice_tui.tui.widgets.app_header import AppHeader
from tests.tui.conftest import MakeApp, settle


def header_line(header: AppHeader) -> str:
    return header.render().plain


async def test_offline_state_stays_on_an_80_column_header(console: MakeApp) -> None:
    """On every screen of the number keys, with the database label of either
    backend (PostgreSQL's is long) and a long screen title."""
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.offline_since = datetime(2026, 12, 7, 9, 41)
        for key in "123456":
            await pilot.press(key)
            await settle(pilot)
            header = app.screen.query_one(AppHeader)
            for title in (header.screen_title, "New application: staff ID card re-issue, 2nd"):
                header.screen_title = title
                line = header_line(header)
                assert line.endswith(" | offline since 09:41"), (key, line)
                assert cell_len(line) <= 80, (key, line)
        app.offline_since = None
        await pilot.pause()
        assert header_line(app.screen.query_one(AppHeader)).endswith(" | online")


async def test_a_wide_header_is_not_cut(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(200, 24)) as pilot:
        await settle(pilot)
        header = app.screen.query_one(AppHeader)
        line = header_line(header)
        assert header.database in line and "…" not in line
