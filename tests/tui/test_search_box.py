"""The one-line search boxes of the queue and the customer timeline show what is typed."""

import pytest

from backoffice_tui.tui.widgets.search_box import SearchBox
from tests.helpers import type_text
from tests.tui.conftest import MakeApp, settle


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("ascii_borders", [False, True])
@pytest.mark.parametrize("screen", ["queue", "customer"])
async def test_typed_search_text_is_on_screen(
    console: MakeApp, size: tuple[int, int], ascii_borders: bool, screen: str
) -> None:
    app = console(ascii_borders=ascii_borders)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if screen == "queue":
            await pilot.press("2")
        else:
            await pilot.press("4")
            await type_text(pilot, "C0001")
            await settle(pilot)
            await pilot.press("enter")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "abc")
        await pilot.pause()
        box = app.screen.query_one(SearchBox)
        assert box.has_focus and box.value.endswith("abc")
        # the line the box has holds the text, not a border
        assert box.region.height == 1 and box.content_region.height == 1
        assert "abc" in box.render_line(0).text
