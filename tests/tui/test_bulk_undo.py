"""Finishing and releasing the tagged items of the queue: one confirmation,
then the batch is held for the undo window, then committed item by item
with a result per item; on SQLite and PostgreSQL."""

import asyncio
from datetime import date

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.queue import QueueFilter, QueueRow, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.bulk_results import BulkResults
from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.workspace import workspace_of
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog, wait_until
from tests.tui.conftest import MakeApp, settle
from tests.tui.test_queue_screen import open_queue

MINE_STARTED = QueueFilter(assignee="me", statuses=(WorkStatus.IN_PROGRESS,))


def started_by(db: Database, login: str) -> list[QueueRow]:
    actor = resolve_actor_for(db, login)
    return list_queue(db, actor, MINE_STARTED, today=date.today(), limit=1_000)


def states(db: Database, rows: list[QueueRow]) -> list[tuple[str, int]]:
    return [(row.status, row.version) for row in (get_queue_row(db, r.id) for r in rows)]


def status_text(screen: QueueScreen) -> str:
    return str(screen.query_one("#status").render())


def undo_shown(screen: QueueScreen) -> bool:
    return any(b.binding.action == "undo_held" for b in screen.active_bindings.values())


async def tag_and_finish(pilot, app: BackofficeApp) -> QueueScreen:  # type: ignore[no-untyped-def]
    """Tag every item in progress of the operator, press D and confirm."""
    await open_queue(pilot, app, MINE_STARTED)
    screen = app.screen
    assert isinstance(screen, QueueScreen)
    await pilot.press("asterisk")
    await settle(pilot)
    await pilot.press("D")
    await settle(pilot)
    assert isinstance(app.screen, Confirm)
    assert app.screen.question == f"Finish {len(screen.table.tagged)} tagged items?"
    await pilot.press("y")
    await pilot.pause()
    return screen


async def test_done_tagged_is_held_then_committed_with_a_result_per_item(
    console: MakeApp, demo_db: Database
) -> None:
    rows = started_by(demo_db, "kimura")
    assert len(rows) >= 3
    before = states(demo_db, rows)
    app = console("kimura", undo_seconds=2)
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        screen = await tag_and_finish(pilot, app)
        assert app.screen is screen
        assert f"{len(rows)} items to be finished in 2s — u: undo" in log.notifications
        assert f"{len(rows)} items to be finished in" in status_text(screen)
        assert undo_shown(screen)
        assert states(demo_db, rows) == before  # nothing committed in the window
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 15, settled=True)
        results = app.screen.results  # type: ignore[attr-defined]
        assert len(results) == len(rows)
        finished = [r for r, result in zip(rows, results, strict=True) if result.error is None]
        assert finished
        for row, result in zip(rows, results, strict=True):
            now = get_queue_row(demo_db, row.id)
            assert result.label == f"#{row.id} {row.order_code} / {row.step}"
            assert (now.status == WorkStatus.DONE) == (result.error is None), result
        await pilot.press("escape")
        await settle(pilot)
        assert "to be finished" not in status_text(screen) and not undo_shown(screen)
        assert screen.table.tagged == {r.id for r in rows} - {r.id for r in finished}


async def test_undo_in_the_window_changes_nothing_and_u_unblocks_again(
    console: MakeApp, demo_db: Database
) -> None:
    rows = started_by(demo_db, "kimura")
    before = states(demo_db, rows)
    app = console("kimura", undo_seconds=30)
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        screen = await tag_and_finish(pilot, app)
        assert screen.held_work.held is not None
        await pilot.press("u")
        await settle(pilot)
        assert screen.held_work.held is None
        assert log.notifications[-1] == f"undone: finish tagged ({len(rows)} items)"
        assert "to be finished" not in status_text(screen) and not undo_shown(screen)
        assert len(screen.table.tagged) == len(rows)  # still tagged, to act on again
        await pilot.press("u")  # nothing held: u is unblock again, refused for these
        await settle(pilot)
        assert "undone" not in log.notifications[-1]
    assert states(demo_db, rows) == before


async def test_quitting_in_the_window_commits_the_batch(
    console: MakeApp, demo_db: Database
) -> None:
    rows = started_by(demo_db, "kimura")
    app = console("kimura", undo_seconds=30)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await tag_and_finish(pilot, app)
        assert screen.held_work.held is not None
        assert all(s == WorkStatus.IN_PROGRESS for s, _ in states(demo_db, rows))
        await pilot.press("ctrl+q")
        for _ in range(100):
            if app._exit:
                break
            await asyncio.sleep(0.05)
    assert app._exit
    assert any(status == WorkStatus.DONE for status, _ in states(demo_db, rows))
    assert screen.held_work.held is None


async def test_leaving_the_queue_commits_and_says_what_was_refused(
    console: MakeApp, demo_db: Database
) -> None:
    rows = started_by(demo_db, "kimura")
    app = console("kimura", undo_seconds=30)
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        screen = await tag_and_finish(pilot, app)
        # meanwhile the first item is finished elsewhere: refused, the others go on
        lifecycle.done(workspace_of(app).context(), rows[0].id, rows[0].version)
        await pilot.press("1")  # home
        await settle(pilot)
        assert app.screen is not screen and screen.held_work.held is None
        summary = next(n for n in reversed(log.notifications) if n.startswith("Finish tagged"))
        assert f"#{rows[0].id}: " in summary and "refused" in summary
    assert all(status == WorkStatus.DONE for status, _ in states(demo_db, rows[:1]))


async def test_release_tagged_with_a_refusal_among_them_reports_each(
    console: MakeApp, demo_db: Database
) -> None:
    rows = started_by(demo_db, "kimura")
    app = console("kimura", undo_seconds=3)  # room for the check below on a busy machine
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot, app, MINE_STARTED)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert "to be released in" in status_text(screen)
        # released meanwhile in another console: that one is refused, the others go on
        work_items.release(workspace_of(app).context(), rows[0].id, rows[0].version)
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 15, settled=True)
        results = app.screen.results  # type: ignore[attr-defined]
        assert len(results) == len(rows)
        assert results[0].error  # the first, refused
        assert all(result.error is None for result in results[1:])
    assert all(get_queue_row(demo_db, r.id).assignee is None for r in rows)


async def test_with_no_window_done_tagged_commits_at_once(
    console: MakeApp, demo_db: Database
) -> None:
    rows = started_by(demo_db, "kimura")
    app = console("kimura", undo_seconds=0)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await tag_and_finish(pilot, app)
        assert screen.held_work.held is None
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 15, settled=True)
        assert len(app.screen.results) == len(rows)  # type: ignore[attr-defined]
    assert any(status == WorkStatus.DONE for status, _ in states(demo_db, rows))
