"""Home: counts agree with the database; every number opens its screen."""

from datetime import date

from backoffice_tui.services.insight.home import home_counts
from backoffice_tui.services.work.queue import QueueFilter, count_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.approvals import ApprovalsScreen
from backoffice_tui.tui.screens.home import HomeScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.inbox_table import InboxTable
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.conftest import resolve_actor_for
from tests.tui.conftest import MakeApp, settle


async def test_counts_match_the_database(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    actor = resolve_actor_for(demo_db, "kimura")
    expected = home_counts(demo_db, actor, date.today())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen.counts == expected
        assert expected.my_queue == count_queue(
            demo_db, actor, QueueFilter(assignee="me"), today=date.today()
        )
        prompts = [str(o.prompt) for o in screen.query_one("#mine").options]
        assert prompts[0].split()[0] == str(expected.my_queue)


async def test_keys_open_the_matching_filtered_screen(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    actor = resolve_actor_for(demo_db, "kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        counts = app.screen.counts
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(QueueTable).total == counts.my_queue
        await pilot.press("1", "o")
        await settle(pilot)
        assert app.screen.queue_filter == QueueFilter(overdue=True, my_teams=True)
        assert app.screen.query_one(QueueTable).total == counts.team_overdue
        await pilot.press("1", "a")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        assert app.screen.query_one(InboxTable).total == counts.approvals_waiting > 0
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("tab", "down", "down")
        chosen = app.screen.query_one("#teams").highlighted_option.id
        await pilot.press("enter")
        await settle(pilot)
        team = next(t for t in counts.teams if f"team:{t.team}" == chosen)
        assert app.screen.queue_filter.team == team.team
        assert app.screen.query_one(QueueTable).total == team.open
        assert actor.login == "kimura"
