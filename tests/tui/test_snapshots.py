"""What home and the queue look like, in every theme, at 80x24 and 160x50.

The data and today are pinned, so the pictures only change when the
screens do; review a changed picture before accepting it."""

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import settle

THEMES = ["dark", "light", "high-contrast"]
SIZES = [(80, 24), (160, 50)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("screen", ["home", "queue"])
def test_screen_snapshot(snap_compare, pinned_console, screen: str, theme: str, size) -> None:  # type: ignore[no-untyped-def]
    app = pinned_console(theme=theme)

    async def arrive(pilot: Pilot[object]) -> None:
        await settle(pilot)
        if screen == "queue":
            await pilot.press("2")
            await settle(pilot)
            await pilot.press("j", "space")  # a cursor and a tagged row in the picture
            await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=arrive)
