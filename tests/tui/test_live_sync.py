"""Live sync: a change by another client reaches the console without a key
press, on SQLite and PostgreSQL; the console survives the database going
away and catches up when it returns."""

import asyncio
from datetime import date

import pytest

from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.detail import team_members
from backoffice_tui.services.work.queue import QueueFilter, QueueRow, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.app_header import AppHeader
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.conftest import resolve_actor_for
from tests.helpers import database_connections, wait_until
from tests.tui.conftest import MakeApp, settle


def unassigned_item(db: Database, kimuras_team: bool = False) -> tuple[QueueRow, str]:
    """An open, unassigned item and a member of its team other than kimura."""
    rows = list_queue(db, None, QueueFilter(assignee="none"), today=date.today(), limit=200)
    for row in rows:
        members = [login for login, _ in team_members(db, row.team)]
        others = [login for login in members if login != "kimura"]
        if kimuras_team and "kimura" not in members:
            continue
        if others and row.status in ("ready", "waiting"):
            return row, others[0]
    raise AssertionError("no unassigned item in the demo data")


def loaded_row(table: QueueTable, item_id: int) -> QueueRow | None:
    for row in table._rows.values():
        if row.id == item_id:
            return row
    return None


async def open_queue_on(pilot, app: BackofficeApp, text: str) -> QueueTable:  # type: ignore[no-untyped-def]
    await settle(pilot)
    app.open_queue(QueueFilter(text=text))
    await settle(pilot)
    assert isinstance(app.screen, QueueScreen)
    return app.screen.query_one(QueueTable)


def claim_as(url: str, login: str, row: QueueRow) -> None:
    """Another client: its own connection pool, acting as another operator."""
    other = open_database(url)
    try:
        work_items.claim(Context(other, resolve_actor_for(other, login)), row.id, row.version)
    finally:
        other.dispose()


async def test_a_claim_by_another_client_appears_without_a_key_press(
    console: MakeApp, demo_db: Database, demo_url: str
) -> None:
    row, login = unassigned_item(demo_db)
    app = console(poll_interval=0.3)
    async with app.run_test(size=(160, 30)) as pilot:
        table = await open_queue_on(pilot, app, row.order_code)
        await wait_until(pilot, lambda: loaded_row(table, row.id) is not None, 10)
        before = table.current_row
        assert before is not None
        await asyncio.to_thread(claim_as, demo_url, login, row)
        await wait_until(pilot, lambda: (loaded_row(table, row.id) or row).assignee == login, 10)
        assert row.id in table.flashing  # lit up: someone else changed it
        assert table.current_row is not None and table.current_row.id == before.id
        await wait_until(pilot, lambda: not table.flashing, 5)  # and the light goes out


async def test_own_changes_are_not_highlighted(console: MakeApp, demo_db: Database) -> None:
    row, _ = unassigned_item(demo_db, kimuras_team=True)
    app = console(poll_interval=0.2)
    async with app.run_test(size=(160, 30)) as pilot:
        table = await open_queue_on(pilot, app, row.order_code)
        await wait_until(pilot, lambda: loaded_row(table, row.id) is not None, 10)
        me = resolve_actor_for(demo_db, "kimura")
        await asyncio.to_thread(
            work_items.add_note, Context(demo_db, me), row.id, "a note from the other terminal"
        )
        seen = app.changes_seen
        await wait_until(pilot, lambda: app.changes_seen > seen, 10)
        assert not table.flashing


def header_text(app: BackofficeApp) -> str:
    return str(app.screen.query_one(AppHeader).render())


def console_connections(url: str, test_db: Database) -> int:
    """The connections open to the test database: the console's, once the
    test's own are closed."""
    test_db.engine.dispose()
    return database_connections(url)


@pytest.mark.parametrize("demo_url", ["postgresql"], indirect=True)
async def test_postgresql_goes_away_and_comes_back(
    console: MakeApp, demo_db: Database, demo_url: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("pg_server")
    row, login = unassigned_item(demo_db)
    app = console(poll_interval=0.3)
    stopped = False
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            table = await open_queue_on(pilot, app, row.order_code)
            await wait_until(pilot, lambda: loaded_row(table, row.id) is not None, 10)
            assert "online" in header_text(app)
            assert await asyncio.to_thread(console_connections, demo_url, demo_db) <= 2

            await asyncio.to_thread(server.stop, "fast")
            stopped = True
            await wait_until(pilot, lambda: app.offline_since is not None, 15)
            await pilot.pause(0.1)
            assert "offline since" in header_text(app)
            await pilot.press("c")  # an action while offline: refused, no traceback
            await pilot.pause(0.1)
            assert app.is_running

            await asyncio.to_thread(server.start)
            stopped = False
            await asyncio.to_thread(claim_as, demo_url, login, row)
            await wait_until(pilot, lambda: app.offline_since is None, 30)
            await wait_until(
                pilot, lambda: (loaded_row(table, row.id) or row).assignee == login, 15
            )
            await pilot.pause(0.1)
            assert "online" in header_text(app) and "offline" not in header_text(app)
            await pilot.press("end", "home")  # reads again, after the reconnect
            await pilot.pause(2.0)  # the listener reconnects too
            assert await asyncio.to_thread(console_connections, demo_url, demo_db) <= 2
    finally:
        if stopped:
            server.start()


async def test_an_open_handoff_follows_another_operators_answer(
    console: MakeApp, demo_db: Database
) -> None:
    from backoffice_tui.services.context import Context
    from backoffice_tui.services.handoffs.checklist import answer_item
    from backoffice_tui.services.handoffs.read import handoff_detail
    from backoffice_tui.tui.screens.handoff import HandoffScreen
    from tests.services.test_handoffs import find_handoff, item

    row = find_handoff(demo_db, "ORD-2026-0010", "draft")
    contacts = item(handoff_detail(demo_db, row.id), "escalation-contacts")
    app = console("ryan", poll_interval=0.2)
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot)
        app.push_screen(HandoffScreen(row.id))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoffScreen)
        answer_item(
            Context(demo_db, resolve_actor_for(demo_db, "yamamoto")),
            contacts.id,
            "NOC desk, 24x7",
            contacts.version,
        )

        def answered() -> bool:
            detail = screen.detail
            return detail is not None and any(
                i.id == contacts.id and i.answer == "NOC desk, 24x7" for i in detail.items
            )

        await wait_until(pilot, answered, timeout=10)
