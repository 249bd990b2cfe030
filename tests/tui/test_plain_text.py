"""Database text is shown as typed: no markup, no terminal control."""

from sqlalchemy import update

from backoffice_tui.services.work.queue import QueueFilter
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.tui.conftest import MakeApp, settle

HOSTILE = "[bold red]X[/] [@click=app.quit]\x1b]0;pwned\x07\x1b[2J"


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
