"""Saving the current filter of the queue or a timeline, and reopening it."""

from textual.widgets import OptionList

from backoffice_tui.services.customers.saved_views import list_views
from backoffice_tui.services.customers.timeline import TimelineFilter
from backoffice_tui.services.work.queue import QueueFilter, QueueSort
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.dialogs import PickOne
from backoffice_tui.tui.screens.queue import QueueScreen
from tests.conftest import resolve_actor_for
from tests.tui.conftest import MakeApp, settle


async def choose(pilot, app, option_id: str) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, PickOne)
    options = app.screen.query_one(OptionList)
    options.highlighted = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == option_id
    )
    await pilot.press("enter")
    await settle(pilot)


async def test_save_and_reopen_a_queue_view(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "m", "o", "down", "enter")  # mine, sorted by priority
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("S", *"mine by priority", "enter")
        await settle(pilot)
        await choose(pilot, app, "build")  # share with the build team
        views = list_views(demo_db, resolve_actor_for(demo_db, "yamamoto"))
        assert [(v.name, v.team, v.filters["assignee"]) for v in views] == [
            ("mine by priority", "build", "me")
        ]
        await pilot.press("m", "m", "l", "o", "down", "enter")  # everything else changed
        await settle(pilot)
        await pilot.press("V")
        await settle(pilot)
        await choose(pilot, app, str(views[0].id))
        assert screen.queue_filter == QueueFilter(assignee="me")
        assert screen.sort == QueueSort.PRIORITY


async def test_save_and_reopen_a_timeline_view(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(CustomerScreen("C0006"))
        await settle(pilot)
        await pilot.press("slash", *"survey", "enter")
        await settle(pilot)
        await pilot.press("S", *"C6 surveys", "enter")
        await settle(pilot)
        await choose(pilot, app, "")  # only me
        await pilot.press("1")
        await settle(pilot)
        app.action_saved_views()
        await settle(pilot)
        views = app.screen.query_one(OptionList)
        await choose(pilot, app, views.get_option_at_index(0).id)
        assert isinstance(app.screen, CustomerScreen)
        assert app.screen.code == "C0006"
        assert app.screen.timeline_filter == TimelineFilter(text="survey")
