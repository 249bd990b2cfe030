"""The new-order form and cancelling from the customer screen, through the real console."""

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static

from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.work.order_read import order_detail
from backoffice_tui.services.work.queue import QueueFilter
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.dialogs import AskText, Confirm, PickOne
from backoffice_tui.tui.screens.order_form import DRAFT_KEY, OrderForm
from backoffice_tui.tui.screens.queue import QueueScreen
from backoffice_tui.tui.widgets.queue_table import QueueTable
from backoffice_tui.tui.widgets.timeline_table import TimelineTable
from tests.helpers import MessageLog, type_text
from tests.tui.conftest import MakeApp, settle

SIZE = (100, 32)


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def form_of(pilot: Pilot[object]) -> OrderForm:
    screen = pilot.app.screen
    assert isinstance(screen, OrderForm), screen
    return screen


def field(pilot: Pilot[object], key: str) -> Input:
    return form_of(pilot).query_one(f"#field-{key}", Input)


async def choose_service(pilot: Pilot[object], select: Select[str], label_start: str) -> None:
    """Open the line's list with enter and pick the service by its label."""
    select.focus()
    await press(pilot, "enter")
    options = [str(prompt) for prompt, _ in select._options]  # what the list shows
    target = next(i for i, prompt in enumerate(options) if prompt.startswith(label_start))
    current = next((i for i, (_, value) in enumerate(select._options) if value == select.value), 0)
    steps = target - current
    await press(pilot, *(["down"] * steps if steps >= 0 else ["up"] * -steps), "enter")


async def fill_two_line_order(pilot: Pilot[object]) -> None:
    await type_text(pilot, "C0003")
    await press(pilot, "enter")  # one match: picked, the code proposed
    form = form_of(pilot)
    assert field(pilot, "customer").value == "C0003"
    assert str(form.query_one("#customer-name", Static).render()) == "合同会社みなと企画"
    assert field(pilot, "code").value.startswith("ORD-")
    field(pilot, "title").focus()
    await type_text(pilot, "Two sites")
    field(pilot, "requested").focus()
    await type_text(pilot, "2099/12/24")
    lines = form._line_selects()
    await choose_service(pilot, lines[0], "Cloud")
    await press(pilot, "ctrl+n")
    lines = form._line_selects()
    assert len(lines) == 2
    await choose_service(pilot, lines[1], "Network")


async def test_a_new_order_from_the_console_shows_its_steps_everywhere(console: MakeApp) -> None:
    app = console("suzuki")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        await fill_two_line_order(pilot)
        code = field(pilot, "code").value
        await press(pilot, "ctrl+s")
        # saved: the customer's screen, with the new lines
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.code == "C0003"
        assert screen.detail is not None
        mine = [line for line in screen.detail.lines if line.order_code == code]
        assert [line.line_position for line in mine] == [1, 2]
        prompts = [str(o.prompt) for o in screen.query_one("#lines", OptionList).options]
        assert sum(code in p for p in prompts) == 2
        newest = screen.query_one(TimelineTable).current_row
        assert (newest.kind, newest.order_code) == ("order.created", code)
        db = app.workspace.db
        detail = order_detail(db, code)
        assert [line.service for line in detail.lines] == ["cloud", "network-line"]
        assert detail.title == "Two sites" and str(detail.requested_on) == "2099-12-24"
        assert detail.sales_owner == "suzuki"
        kinds = [e.kind for e in customer_timeline(db, "C0003") if e.order_code == code]
        assert "order.created" in kinds
        assert app.workspace.drafts.get(DRAFT_KEY) is None
        # the first step of each line waits in the work queue
        app.open_queue(QueueFilter(text=code, statuses=(WorkStatus.READY,)))
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.query_one(QueueTable)
        assert table.total == 2


async def test_errors_are_one_line_and_nothing_typed_is_lost(console: MakeApp) -> None:
    app = console("suzuki")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        await type_text(pilot, "C0003")
        await press(pilot, "enter")
        await press(pilot, "ctrl+s")
        outcome = str(form_of(pilot).query_one("#outcome", Static).render())
        assert outcome == "not saved: choose a service on every line (ctrl+r removes one)"
        await choose_service(pilot, form_of(pilot)._line_selects()[0], "Cloud")
        field(pilot, "received").value = "someday"
        await press(pilot, "ctrl+s")
        outcome = str(form_of(pilot).query_one("#outcome", Static).render())
        assert outcome.startswith("not saved: received 'someday': not a date")
        field(pilot, "received").value = "2026-11-20"
        field(pilot, "code").value = "ORD-2026-0001"  # taken
        await press(pilot, "ctrl+s")
        outcome = str(form_of(pilot).query_one("#outcome", Static).render())
        assert outcome == "not saved: order ORD-2026-0001 already exists"
        assert field(pilot, "customer").value == "C0003"  # nothing lost
        # escape asks; no keeps the form; the draft outlives the form
        await press(pilot, "escape")
        assert isinstance(app.screen, Confirm)
        await press(pilot, "n")
        assert isinstance(app.screen, OrderForm)
    assert app.workspace.drafts.get(DRAFT_KEY) is not None
    again = console("suzuki")
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        assert field(pilot, "code").value == "ORD-2026-0001"
        assert form_of(pilot).values()["lines"] == ["cloud"]
        outcome = str(form_of(pilot).query_one("#outcome", Static).render())
        assert "your unsaved order is back" in outcome
        await press(pilot, "escape", "y")
        assert not isinstance(again.screen, OrderForm)
    assert again.workspace.drafts.get(DRAFT_KEY) is None


async def test_o_on_the_customer_screen_prefills_the_customer(console: MakeApp) -> None:
    app = console("suzuki")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.switch_mode("customers")
        app.push_screen(CustomerScreen("C0002"))
        await settle(pilot)
        await press(pilot, "o")
        assert field(pilot, "customer").value == "C0002"
        assert field(pilot, "code").value.startswith("ORD-")
        await choose_service(pilot, form_of(pilot)._line_selects()[0], "Cloud")
        code = field(pilot, "code").value
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.code == "C0002"
        assert screen.detail is not None
        assert code in {line.order_code for line in screen.detail.lines}


async def test_cancel_a_line_from_the_customer_screen(console: MakeApp) -> None:
    log = MessageLog()
    app = console("kimura")  # a lead of the build steps of ORD-2026-0007
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await settle(pilot)
        app.switch_mode("customers")
        app.push_screen(CustomerScreen("C0010"))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.detail is not None
        index = next(
            i for i, line in enumerate(screen.detail.lines) if line.order_code == "ORD-2026-0007"
        )
        lines = screen.query_one("#lines", OptionList)
        lines.focus()
        lines.highlighted = index
        await press(pilot, "X")
        assert isinstance(app.screen, PickOne)
        await press(pilot, "enter")  # line 1 only
        assert isinstance(app.screen, AskText)
        await type_text(pilot, "site closed")
        await press(pilot, "enter")
        assert app.screen is screen
        assert "cancelled line 1 of ORD-2026-0007" in log.notifications
        line = next(line for line in screen.detail.lines if line.order_code == "ORD-2026-0007")
        assert line.line_status == "cancelled"
        assert set(line.step_statuses) <= {"done", "skipped"} and "skipped" in line.step_statuses
        prompt = str(lines.get_option_at_index(index).prompt)
        assert "cancelled" in prompt
        timeline = screen.query_one(TimelineTable)
        timeline.focus()
        await press(pilot, "home")  # the newest event
        assert timeline.current_row.kind == "order.cancelled"
        lines.focus()
        detail = order_detail(app.workspace.db, "ORD-2026-0007")
        assert detail.status == "cancelled"  # its only line
        assert {s.skip_reason for s in detail.lines[0].steps if s.status == "skipped"} == {
            "site closed"
        }
        # again: refused before asking
        await press(pilot, "X")
        assert app.screen is screen
        assert "line 1 of ORD-2026-0007 is already cancelled" in log.notifications


async def test_cancel_refused_is_one_line(console: MakeApp) -> None:
    log = MessageLog()
    app = console("yamamoto")  # neither owner nor lead
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await settle(pilot)
        app.switch_mode("customers")
        app.push_screen(CustomerScreen("C0010"))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.detail is not None
        lines = screen.query_one("#lines", OptionList)
        lines.focus()
        lines.highlighted = 0
        code = screen.detail.lines[0].order_code
        await press(pilot, "X", "down", "enter")  # the whole order
        await type_text(pilot, "not mine")
        await press(pilot, "enter")
        assert any(n.startswith("only an admin, the sales owner") for n in log.notifications)
        assert order_detail(app.workspace.db, code).status == "open"
        assert app.workspace.drafts.get(f"cancel:{code}:order") == "not mine"  # kept


@pytest.mark.usefixtures("utc_clock")
def test_snapshot_of_the_form(  # type: ignore[no-untyped-def]
    snap_compare, pinned_console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = pinned_console("kimura", theme="dark")

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        await type_text(pilot, "C0001")
        await press(pilot, "enter")
        await choose_service(pilot, form_of(pilot)._line_selects()[0], "Cloud")
        await press(pilot, "ctrl+n")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
