"""Notifications: a live count in the header, the list with what is new,
enter opens the record, looking resets the count (kept per login), and an
optional bell."""

import json

import pytest

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.services.work import items as work_items
from backoffice_tui.store.database import Database
from backoffice_tui.tui.screens.home import HomeScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.notifications import NotificationsScreen
from backoffice_tui.tui.screens.request import ApprovalRequestScreen
from backoffice_tui.tui.widgets.app_header import AppHeader
from tests.conftest import resolve_actor_for
from tests.helpers import stage, wait_until
from tests.services.test_notifications import first_order
from tests.services.test_work_items import find_item
from tests.tui.conftest import MakeApp, settle


def header(app: object) -> str:
    return str(app.screen.query_one(AppHeader).render())  # type: ignore[attr-defined]


def as_(db: Database, login: str) -> Context:
    return Context(db, resolve_actor_for(db, login))


async def test_what_lands_on_me_is_counted_listed_and_opened(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura", poll_interval=0.1)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "new (!)" not in header(app)  # the first start counts from now on
        item = find_item(demo_db, "build", WorkStatus.READY)
        work_items.assign(as_(demo_db, "admin-ito"), item.id, "kimura")
        request = approvals.request_approval(
            as_(demo_db, "david"), "order", first_order(demo_db), [stage("Build", "kimura")]
        )
        await wait_until(pilot, lambda: "2 new (!)" in header(app), 10, settled=True)
        assert header(app).endswith("| 2 new (!) | online")
        await pilot.press("exclamation_mark")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        lines = [str(o.prompt) for o in screen.query_one("#notifications").options]
        assert lines[0].startswith("new ") and "waits for your approval" in lines[0]
        assert lines[1].startswith("new ") and "assigned to you" in lines[1]
        assert "new (!)" not in header(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalRequestScreen) and app.screen.request_id == request
        await pilot.press("escape", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen) and app.screen.item_id == item.id
        state = json.loads(app.last_seen.path.read_text(encoding="utf-8"))
        assert list(state.values()) == [app.last_seen.get()]
    again = console("kimura")
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "new (!)" not in header(again)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        lines = [str(o.prompt) for o in again.screen.query_one("#notifications").options]
        assert len(lines) >= 2 and not any(line.startswith("new") for line in lines)


@pytest.mark.parametrize("bell", [False, True])
async def test_the_bell_rings_only_when_asked(
    console: MakeApp, demo_db: Database, bell: bool
) -> None:
    app = console("kimura", poll_interval=0.1, bell=bell)
    rang: list[int] = []
    app.bell = lambda: rang.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        item = find_item(demo_db, "build", WorkStatus.WAITING)
        work_items.assign(as_(demo_db, "admin-ito"), item.id, "kimura")
        await wait_until(pilot, lambda: "new (!)" in header(app), 10, settled=True)
        assert isinstance(app.screen, HomeScreen)
        assert len(rang) == (1 if bell else 0)
