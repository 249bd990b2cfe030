"""The work queue screen, key by key, against a real database."""

from datetime import date

from sqlalchemy import select

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.work.queue import QueueFilter, count_queue, get_queue_row, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import WorkItem, WorkItemNote
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.dialogs import AskText, Confirm, PickOne
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.helpers import MessageLog
from tests.tui.conftest import MakeApp, settle


async def open_queue(
    pilot, app: BackofficeApp, queue_filter: QueueFilter | None = None
) -> QueueTable:  # type: ignore[no-untyped-def]
    await settle(pilot)
    if queue_filter is not None:
        app.open_queue(queue_filter)
    else:
        await pilot.press("2")
    await settle(pilot)
    assert isinstance(app.screen, QueueScreen)
    return app.screen.query_one(QueueTable)


def expected_ids(db: Database, queue_filter: QueueFilter, actor=None) -> list[int]:  # type: ignore[no-untyped-def]
    rows = list_queue(db, actor, queue_filter, today=date.today(), limit=10_000)
    return [r.id for r in rows]


async def test_rows_and_count_match_the_database(console: MakeApp, demo_db: Database) -> None:
    app = console()
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app)
        assert table.total == count_queue(demo_db, None, QueueFilter(), today=date.today())
        assert table.current_row is not None
        assert table.current_row.id == expected_ids(demo_db, QueueFilter())[0]


async def test_cursor_keys_page_keys_home_and_end(console: MakeApp, demo_db: Database) -> None:
    app = console()
    ids = expected_ids(demo_db, QueueFilter())
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app)
        await pilot.press("j", "j", "down")
        assert table.cursor == 3
        await pilot.press("k", "up")
        assert table.cursor == 1
        await pilot.press("pagedown")
        await settle(pilot)
        page = table.scrollable_content_region.height
        assert table.cursor == 1 + page
        assert table.current_row.id == ids[1 + page]
        await pilot.press("pageup")
        assert table.cursor == 1
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor == len(ids) - 1
        assert table.current_row.id == ids[-1]
        await pilot.press("home")
        assert table.cursor == 0 and table.current_row.id == ids[0]


async def test_claim_start_done_from_the_keyboard(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    ready = QueueFilter(team="build", statuses=(WorkStatus.READY,), assignee="none")
    target = expected_ids(demo_db, ready)[0]
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app, ready)
        assert table.current_row.id == target
        await pilot.press("c")
        await settle(pilot)
        assert get_queue_row(demo_db, target).assignee == "kimura"
        app.open_queue(QueueFilter(assignee="me", statuses=tuple(WorkStatus)))
        await settle(pilot)
        table = app.screen.query_one(QueueTable)
        while table.current_row.id != target:
            await pilot.press("j")
            await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert get_queue_row(demo_db, target).status == "in_progress"
        assert table.current_row.id == target  # the cursor stays on the item
        await pilot.press("d")
        await settle(pilot)
        assert get_queue_row(demo_db, target).status == "done"


async def test_block_asks_for_a_reason(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    target = expected_ids(
        demo_db, QueueFilter(assignee="me", statuses=(WorkStatus.IN_PROGRESS,)), _actor(demo_db)
    )[0]
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app, QueueFilter(assignee="me"))
        while table.current_row.id != target:
            await pilot.press("j")
            await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        await pilot.press("enter")  # empty: refused, the dialog stays
        assert isinstance(app.screen, AskText)
        await pilot.press(*"cable missing", "enter")
        await settle(pilot)
        with demo_db.read() as session:
            item = session.get(WorkItem, target)
            assert (item.status, item.blocked_reason) == ("blocked", "cable missing")
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("escape")  # cancel changes nothing
        await settle(pilot)
        assert get_queue_row(demo_db, target).status == "blocked"
        assert table.current_row.id == target
        await pilot.press("u")
        await settle(pilot)
        assert get_queue_row(demo_db, target).status == "in_progress"


def _actor(db: Database):  # type: ignore[no-untyped-def]
    from tests.conftest import resolve_actor_for

    return resolve_actor_for(db, "kimura")


async def test_a_refused_action_says_why_and_changes_nothing(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura")  # kimura is not in the design team
    design = QueueFilter(team="design", statuses=(WorkStatus.READY,), assignee="none")
    target = expected_ids(demo_db, design)[0]
    before = get_queue_row(demo_db, target)
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        await open_queue(pilot, app, design)
        await pilot.press("c")
        await settle(pilot)
        assert any("kimura is not in team design" in m for m in log.notifications)
    assert get_queue_row(demo_db, target) == before


async def test_assign_picks_a_team_member(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")  # lead of build
    build = QueueFilter(team="build", statuses=(WorkStatus.READY,), assignee="none")
    target = expected_ids(demo_db, build)[0]
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot, app, build)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        logins = [value for value, _ in app.screen.choices]
        assert "yamamoto" in logins and "tanaka" not in logins
        while app.screen.query_one("OptionList").highlighted_option.id != "yamamoto":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert get_queue_row(demo_db, target).assignee == "yamamoto"


async def test_releasing_work_in_progress_asks_first(console: MakeApp, demo_db: Database) -> None:
    mine = QueueFilter(assignee="me", statuses=(WorkStatus.IN_PROGRESS,))
    target = expected_ids(demo_db, mine, _actor(demo_db))[0]
    app = console("kimura")
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app, mine)
        assert table.current_row.id == target
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert f"Work item {target} is in progress" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert get_queue_row(demo_db, target).assignee == "kimura"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    released = get_queue_row(demo_db, target)
    assert (released.status, released.assignee) == ("ready", None)


async def test_the_status_picker_opens_on_the_current_filter(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura")
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot, app, QueueFilter(team="build"))
        app.screen.title_text = "Overdue in my teams"  # as Home opens it
        for expected, pick in (("open", "blocked"), ("blocked", None)):
            await pilot.press("f")
            await settle(pilot)
            assert isinstance(app.screen, PickOne)
            options = app.screen.query_one("OptionList")
            assert options.highlighted_option.id == expected
            if pick is None:
                await pilot.press("escape")
                break
            while options.highlighted_option.id != pick:
                await pilot.press("down")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)
            # a changed filter is no longer the view it was opened as
            status = str(app.screen.query_one("#status").render())
            assert "Overdue in my teams" not in status and "status blocked" in status


async def test_note_is_saved(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    mine = QueueFilter(assignee="me")
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app, mine)
        target = table.current_row.id
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"called the site", "enter")
        await settle(pilot)
    with demo_db.read() as session:
        bodies = session.scalars(
            select(WorkItemNote.body).where(WorkItemNote.work_item_id == target)
        ).all()
    assert bodies == ["called the site"]


async def test_tag_and_bulk_claim_report_each_item(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    build = QueueFilter(team="build", assignee="none")  # waiting items can be claimed too
    targets = expected_ids(demo_db, build)[:2]
    assert len(targets) == 2
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        table = await open_queue(pilot, app, build)
        await pilot.press("space", "space")
        assert table.tagged == set(targets)
        await pilot.press("c")
        await settle(pilot)
        assert any("Claimed 2 items" in m for m in log.notifications)
        assert table.tagged == set()
    assert {get_queue_row(demo_db, t).assignee for t in targets} == {"kimura"}


async def test_filters_search_and_sort(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    actor = _actor(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_queue(pilot, app)
        screen = app.screen
        await pilot.press("m")  # mine
        await settle(pilot)
        assert screen.queue_filter.assignee == "me"
        assert table.total == len(expected_ids(demo_db, QueueFilter(assignee="me"), actor))
        await pilot.press("m")  # unassigned
        await settle(pilot)
        assert table.total == len(expected_ids(demo_db, QueueFilter(assignee="none")))
        await pilot.press("m", "l")  # everyone, overdue only
        await settle(pilot)
        assert table.total == len(expected_ids(demo_db, QueueFilter(overdue=True)))
        await pilot.press("l", "slash", *"ORD-2026-0003", "enter")
        await settle(pilot)
        assert table.total == len(expected_ids(demo_db, QueueFilter(text="ORD-2026-0003")))
        assert table.current_row.order_code == "ORD-2026-0003"
        await pilot.press("escape")  # nothing tagged, search closed: back home
        await settle(pilot)
        await pilot.press("2", "slash", "ctrl+u", "enter")  # an empty search clears it
        await settle(pilot)
        assert screen.queue_filter.text is None
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        while app.screen.query_one("OptionList").highlighted_option.id != "design":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == len(expected_ids(demo_db, QueueFilter(team="design")))
        await pilot.press("f")
        await settle(pilot)
        while app.screen.query_one("OptionList").highlighted_option.id != "blocked":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.queue_filter.statuses == (WorkStatus.BLOCKED,)
        assert table.current_row is None or table.current_row.status == "blocked"
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("home", "enter")  # open items again
        await settle(pilot)
        await pilot.press("o", "down", "enter")  # sort by priority
        await settle(pilot)
        rows = list_queue(
            demo_db, actor, screen.queue_filter, today=date.today(), limit=5, sort=screen.sort
        )
        assert screen.sort.value == "priority" and table.current_row.id == rows[0].id


async def test_enter_opens_the_item_with_its_line_and_history(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura")
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_queue(pilot, app, QueueFilter(assignee="me"))
        row = table.current_row
        await pilot.press("enter")
        await settle(pilot)
        text = str(app.screen.query_one("#detail").render())
        assert f"Work item {row.id}" in text and row.order_code in text
        assert "Steps of this line" in text and "claimed" in text


async def test_pick_any_assignee_and_go_to_a_row(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(120, 30), message_hook=log.hook) as pilot:
        table = await open_queue(pilot, app)
        await pilot.press("w")
        await settle(pilot)
        while app.screen.query_one("OptionList").highlighted_option.id != "ryan":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == len(expected_ids(demo_db, QueueFilter(assignee="ryan")))
        await pilot.press("w", "home", "enter")  # anyone
        await settle(pilot)
        ids = expected_ids(demo_db, QueueFilter())
        await pilot.press("number_sign", *"42", "enter")
        await settle(pilot)
        assert table.cursor == 41 and table.current_row.id == ids[41]
        await pilot.press("number_sign", *"abc", "enter")
        await settle(pilot)
        assert table.cursor == 41
        assert any("not a row number: abc" in m for m in log.notifications)
