"""Customer search and the customer screen, against a real database."""

from datetime import date

from sqlalchemy import select
from textual.containers import VerticalScroll
from textual.widgets import Input, OptionList, Static

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.customers.search import customer_detail
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.work.queue import QueueFilter, list_queue
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Order
from backoffice_tui.tui.screens.customer import CustomerScreen, parse_date_range
from backoffice_tui.tui.screens.customers import CustomerSearchScreen
from backoffice_tui.tui.screens.dialogs import ShowLines
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.timeline_table import TimelineTable
from tests.helpers import MessageLog, give_customer, give_order
from tests.tui.conftest import MakeApp, settle


def result_codes(app) -> list[str]:  # type: ignore[no-untyped-def]
    results = app.screen.query_one(OptionList)
    return [results.get_option_at_index(i).id for i in range(results.option_count)]


async def test_search_by_kana_and_full_width_code(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, CustomerSearchScreen)
        await pilot.press(*"ヤマダ")  # katakana, for the hiragana reading やまだ
        await settle(pilot)
        assert "C0001" in result_codes(app)  # 株式会社山田製作所
        await pilot.press(*["backspace"] * 3, *"Ｃ０００１")  # full-width code
        await settle(pilot)
        assert result_codes(app) == ["C0001"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen) and app.screen.code == "C0001"


async def test_back_from_a_customer_typing_searches_again(console: MakeApp) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4", *"C000")
        await settle(pilot)
        await pilot.press("down", "j", "G", "g")  # the results, moved like any list
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen) and app.screen.code == "C0001"
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, CustomerSearchScreen)
        await pilot.press(*"C0002")  # the last search is selected: typing replaces it
        await settle(pilot)
        assert app.screen.query_one("#query", Input).value == "C0002"
        assert result_codes(app) == ["C0002"]


async def test_customer_screen_follows_actions_on_the_queue(
    console: MakeApp, demo_db: Database
) -> None:
    ready = list_queue(
        demo_db,
        None,
        QueueFilter(team="build", statuses=(WorkStatus.READY,), assignee="none"),
        today=date.today(),
        limit=1,
    )[0]
    code = ready.customer_code
    app = console("kimura")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_queue(QueueFilter(customer=code, team="build", statuses=(WorkStatus.READY,)))
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("s")  # start (and claim) the ready build step
        await settle(pilot)
        app.switch_mode("customers")
        await settle(pilot)
        app.push_screen(CustomerScreen(code))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        detail = customer_detail(demo_db, code)
        assert screen.detail == detail
        line = next(line for line in detail.lines if line.order_code == ready.order_code)
        assert line.current_status == "in_progress" and line.current_assignee == "kimura"
        prompts = [str(o.prompt) for o in screen.query_one("#lines", OptionList).options]
        assert any(ready.order_code in p and "kimura" in p for p in prompts)
        table = screen.query_one(TimelineTable)
        newest = customer_timeline(demo_db, code, newest_first=True)
        assert table.total == len(newest)
        assert table.current_row.id == newest[0].id
        assert table.current_row.kind == "work_item.started"
        await pilot.press("s")  # oldest first
        await settle(pilot)
        assert table.current_row.id == newest[-1].id
        await pilot.press("end", "enter")  # the newest event opens its work item
        await settle(pilot)
        assert isinstance(app.screen, WorkItemScreen) and app.screen.item_id == ready.id


async def test_timeline_filters_from_the_keyboard(console: MakeApp, demo_db: Database) -> None:
    app = console()
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(CustomerScreen("C0006"))
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(TimelineTable)
        await pilot.press("slash", *"survey", "enter")
        await settle(pilot)
        expected = [e for e in customer_timeline(demo_db, "C0006") if "survey" in e.summary.lower()]
        assert table.total == len(expected) > 0
        await pilot.press("c", "t")
        await settle(pilot)
        while app.screen.query_one(OptionList).highlighted_option.id != "work_item.done":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        done = [e for e in customer_timeline(demo_db, "C0006") if e.kind == "work_item.done"]
        assert table.total == len(done)
        await pilot.press("d", *"2000-01-01..2000-01-02", "enter")
        await settle(pilot)
        assert table.total == 0
        await pilot.press("d", *"soon", "enter")
        await settle(pilot)
        assert any("not a date range" in m for m in log.notifications)


def test_date_ranges() -> None:
    assert parse_date_range("2026-11-01..2026-11-30") == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_date_range("..2026-11-30") == (None, date(2026, 11, 30))
    assert parse_date_range("2026-11-05") == (date(2026, 11, 5), date(2026, 11, 5))
    assert parse_date_range("") == (None, None)
    # as people write them, like every date field
    assert parse_date_range("2026/11/20") == (date(2026, 11, 20), date(2026, 11, 20))
    assert parse_date_range("令和8年11月1日..2026年11月30日") == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )


async def test_x_exports_the_timeline_to_the_current_directory(
    console: MakeApp,
    demo_db: Database,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)
    app = console()
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(CustomerScreen("C0006"))
        await settle(pilot)
        await pilot.press("slash", *"survey", "enter", "x")
        await settle(pilot)
        message = next(m for m in log.notifications if m.startswith("wrote"))
    (written,) = tmp_path.glob("timeline-C0006-*.csv")
    assert str(written) in message
    raw = written.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    lines = raw.decode("utf-8-sig").splitlines()
    expected = [
        e
        for e in customer_timeline(demo_db, "C0006", newest_first=True)
        if "survey" in e.summary.lower()
    ]
    assert len(lines) == 1 + len(expected)
    assert lines[1].startswith(f"{expected[0].id},")


async def test_enter_on_a_handoff_event_opens_the_handoff(
    console: MakeApp, demo_db: Database
) -> None:
    from backoffice_tui.services.customers.timeline import TimelineFilter
    from backoffice_tui.tui.screens.handoff import HandoffScreen

    handoff_events = [
        (code, e)
        for code in ("C0001", "C0002", "C0006", "C0008", "C0010", "C0015")
        for e in customer_timeline(
            demo_db, code, newest_first=True, timeline_filter=TimelineFilter(kind="handoff")
        )
    ]
    assert handoff_events, "the demo has handoffs on the timelines"
    code, entry = handoff_events[0]
    app = console()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(CustomerScreen(code, TimelineFilter(kind="handoff")))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffScreen)
        assert app.screen.handoff_id == entry.entity_id


async def test_the_customer_shows_its_attributes_and_its_orders_titles(
    console: MakeApp, demo_db: Database
) -> None:
    many = {f"Column {n:02}": f"value {n}" for n in range(1, 40)}
    give_customer(demo_db, "C0006", {"Rank": "[bold]x", **many})
    line = customer_detail(demo_db, "C0006").lines[0]
    with demo_db.read() as session:
        order_id = session.scalar(select(Order.id).where(Order.code == line.order_code))
    assert order_id is not None
    give_order(demo_db, order_id, "[b]Rack move")
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(CustomerScreen("C0006"))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        details = screen.query_one("#details", Static)
        assert details.display and details.size.height <= 2  # the timeline keeps its room
        summary = str(details.render())
        assert summary.startswith("Details (40; i shows all)  Rank: [bold]x  Column 01: value 1")
        prompts = [str(o.prompt) for o in screen.query_one("#lines", OptionList).options]
        assert any(p.startswith(f"{line.order_code:<13} [b]Rack move ") for p in prompts)
        # every line has the title column (blank without a title): the services line up
        services = [line.service for line in customer_detail(demo_db, "C0006").lines]
        assert [p[33 : 33 + len(s)] for p, s in zip(prompts, services, strict=True)] == services

        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ShowLines)
        shown = str(dialog.query_one(VerticalScroll).query_one(Static).render()).splitlines()
        assert shown == ["Rank: [bold]x", *(f"{k}: {v}" for k, v in many.items())]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_a_customer_without_attributes_says_so(console: MakeApp) -> None:
    app = console("kimura")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(CustomerScreen("C0006"))
        await settle(pilot)
        assert not app.screen.query_one("#details", Static).display
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        assert log.notifications[-1] == "C0006 has no details from imported files"
