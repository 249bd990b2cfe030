"""The work item screen: the essentials first, then the columns imported files
added to the item and its order, all as typed, readable at 80x24."""

from datetime import date

from sqlalchemy import select
from textual.containers import VerticalScroll
from textual.widgets import Static

from backoffice_tui.store.database import Database
from backoffice_tui.store.models import TeamMembership, User, WorkItem
from backoffice_tui.tui.screens.item import WorkItemScreen
from tests.helpers import MessageLog, give_item, give_order
from tests.tui.conftest import MakeApp, settle

MANY = {f"Column {n:02}": f"value {n}" for n in range(1, 39)}


def some_item(db: Database) -> WorkItem:
    with db.read() as session:
        item = session.scalars(select(WorkItem).order_by(WorkItem.id)).first()
    assert item is not None
    return item


async def test_the_item_shows_its_title_dates_and_attributes_below_the_essentials(
    console: MakeApp, demo_db: Database
) -> None:
    item = some_item(demo_db)
    attributes = {"Site": "[bold]x", "Link": "[@click=app.quit]y[/]", **MANY}
    give_item(
        demo_db,
        item.id,
        attributes,
        planned=(date(2026, 4, 1), date(2026, 4, 10)),
        actual=(date(2026, 4, 2), None),
    )
    give_order(demo_db, item.order_id, "[b]Rack move[/b]", {"Ticket": "INC-77"})
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(WorkItemScreen(item.id))
        await settle(pilot)
        lines = str(app.screen.query_one("#detail", Static).render()).splitlines()
        assert "Title      [b]Rack move[/b]" in lines
        assert "Planned    start 2026-04-01  finish 2026-04-10" in lines
        assert "Actual     start 2026-04-02" in lines
        # as typed: no markup is read, no link is made
        assert "  Site: [bold]x" in lines and "  Link: [@click=app.quit]y[/]" in lines
        assert "  Column 38: value 38" in lines
        order = lines.index("Details of the order (1)")
        assert lines[order + 1] == "  Ticket: INC-77"
        # the essentials come first: the facts, the steps and the notes
        essentials = [lines.index(h) for h in ("Steps of this line", "Notes (0)")]
        step_details = lines.index("Details of this step (40)")
        assert max(essentials) < step_details < order < lines.index("History")
        assert lines.index("Title      [b]Rack move[/b]") < essentials[0]

        # 40 attributes do not fit at 80x24: the detail scrolls to the last of them
        scroll = app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        await pilot.press("end")
        await settle(pilot)
        assert scroll.scroll_y == scroll.max_scroll_y
        assert app.return_code is None  # the "link" ran nothing


async def test_an_item_without_imported_columns_shows_no_empty_sections(
    console: MakeApp, demo_db: Database
) -> None:
    item = some_item(demo_db)
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(WorkItemScreen(item.id))
        await settle(pilot)
        text = str(app.screen.query_one("#detail", Static).render())
        assert "Steps of this line" in text
        for absent in ("Title ", "Planned ", "Actual ", "Details of"):
            assert absent not in text


def ready_item_of(db: Database, login: str) -> int:
    with db.read() as session:
        teams = (
            select(TeamMembership.team_id)
            .join(User, User.id == TeamMembership.user_id)
            .where(User.login == login)
        )
        query = (
            select(WorkItem.id)
            .where(
                WorkItem.status == "ready",
                WorkItem.assignee_id.is_(None),
                WorkItem.team_id.in_(teams),
            )
            .order_by(WorkItem.id)
        )
        item_id = session.scalars(query).first()
    assert item_id is not None
    return item_id


def status_of(db: Database, item_id: int) -> str:
    with db.read() as session:
        return str(session.get_one(WorkItem, item_id).status)


async def test_claim_start_and_done_on_the_item_screen(console: MakeApp, demo_db: Database) -> None:
    item_id = ready_item_of(demo_db, "kimura")
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(WorkItemScreen(item_id))
        await settle(pilot)
        await pilot.press("d")  # not started: refused in one line, nothing changes
        await settle(pilot)
        assert status_of(demo_db, item_id) == "ready"
        assert any("\n" not in n and "work item" in n.lower() for n in log.notifications)
        for key, status in (("c", "ready"), ("s", "in_progress"), ("d", "done")):
            await pilot.press(key)
            await settle(pilot)
            assert status_of(demo_db, item_id) == status, key
        assert f"Finished work item {item_id}" in log.notifications
        shown = str(app.screen.query_one("#detail", Static).render())
        assert "[done]" in shown
