"""Take next: one key on home and on the queue claims, starts and opens
the next ready item of my teams; nothing ready is one line."""

from sqlalchemy import select

from backoffice_tui.services.work.queue import get_queue_row
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import WorkItem
from backoffice_tui.tui.screens.home import HomeScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog
from tests.services.test_take_next import ready_for
from tests.tui.conftest import MakeApp, settle


def footer_text(app: object) -> str:
    from textual.widgets import Footer

    footer = app.screen.query_one(Footer)  # type: ignore[attr-defined]
    return " ".join(str(key.render()) for key in footer.children)


async def test_n_on_home_takes_starts_and_opens_the_next_item(
    console: MakeApp, demo_db: Database
) -> None:
    kimura = resolve_actor_for(demo_db, "kimura")
    first, second = (item_id for _, _, item_id in ready_for(demo_db, kimura.user_id)[:2])
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Take next" in footer_text(app)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen) and app.screen.item_id == first
        row = get_queue_row(demo_db, first)
        assert (row.status, row.assignee) == ("in_progress", "kimura")
        assert f"Took and started {row.order_code} / {row.step}" in log.notifications
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "Take next" in footer_text(app)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen) and app.screen.item_id == second
        assert get_queue_row(demo_db, second).status == "in_progress"


async def test_nothing_ready_says_so_in_one_line(console: MakeApp, demo_db: Database) -> None:
    with demo_db.write() as session:
        for item in session.scalars(select(WorkItem).where(WorkItem.status == "ready")):
            item.status = "waiting"
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert log.notifications[-1] == "nothing ready to take in build, operations"
