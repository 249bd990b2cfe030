"""Database text is shown as typed: no markup, no terminal control."""

from sqlalchemy import select, update
from textual.widgets import OptionList

from backoffice_tui.services.work.queue import QueueFilter
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, WorkItem
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.helpers import give_customer, give_item, give_order
from tests.tui.conftest import MakeApp, settle

HOSTILE = "[bold red]X[/] [@click=app.quit]\x1b]0;pwned\x07\x1b[2J"
SHOWN = "[bold red]X[/] [@click=app.quit]␛]0;pwned␇␛[2J"  # as the screen shows it


async def test_hostile_customer_names_render_literally(console: MakeApp, demo_db: Database) -> None:
    with demo_db.write() as session:
        session.execute(update(Customer).where(Customer.code == "C0001").values(name=HOSTILE))
    app = console("kimura")
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        app.open_queue(QueueFilter(customer="C0001"))
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(QueueTable)
        line = "".join(segment.text for segment in table.render_line(0))
        assert "[bold red]X[/] [@click=app.quit]" in line
        assert "\x1b" not in line and "\x07" not in line
        assert "␛]0;pwned␇␛[2J" in line
        await pilot.click(QueueTable, offset=(30, 0))  # a click on the "link" runs nothing
        await pilot.press("enter")
        await settle(pilot)
        detail = str(app.screen.query_one("#detail").render())
        assert "[bold red]X[/]" in detail and "\x1b" not in detail
        screenshot = app.export_screenshot()
        assert "pwned" in screenshot and "\x1b]0;" not in screenshot
    assert app.return_code is None or app.return_code == 0


async def test_hostile_attributes_and_titles_render_literally(
    console: MakeApp, demo_db: Database
) -> None:
    with demo_db.read() as session:
        item = session.scalars(
            select(WorkItem).where(WorkItem.customer_id == Customer.id, Customer.code == "C0001")
        ).first()
    assert item is not None
    give_item(demo_db, item.id, {HOSTILE: HOSTILE, "plain": "[bold]x"})
    give_order(demo_db, item.order_id, HOSTILE, {"ticket": HOSTILE})
    give_customer(demo_db, "C0001", {"rank": "[bold]x", "note": HOSTILE})
    app = console("kimura")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        app.push_screen(WorkItemScreen(item.id))
        await settle(pilot)
        detail = str(app.screen.query_one("#detail").render())
        assert "  plain: [bold]x" in detail
        assert f"Title      {SHOWN}" in detail and f"  ticket: {SHOWN}" in detail
        assert f"  {SHOWN}: {SHOWN}" in detail and "\x1b" not in detail
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(CustomerScreen("C0001"))
        await settle(pilot)
        details = str(app.screen.query_one("#details").render())
        assert "rank: [bold]x" in details and f"note: {SHOWN}" in details
        prompts = [str(o.prompt) for o in app.screen.query_one("#lines", OptionList).options]
        assert any("[bold red]X[/]" in p for p in prompts)
        assert not any("\x1b" in p for p in prompts)
        screenshot = app.export_screenshot()
        assert "[bold]x" in screenshot and "\x1b]0;" not in screenshot
    assert app.return_code is None or app.return_code == 0
