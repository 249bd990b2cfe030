"""Go anywhere: ``:`` on every screen opens an item, order, customer,
approval or handoff by its id or code; unknown is one line in the prompt."""

import pytest
from sqlalchemy import select
from textual.widgets import Label

from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, Customer, Handoff, Order, WorkItem
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.go_anywhere import GoAnywhere
from backoffice_tui.tui.screens.handoff import HandoffScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.request import ApprovalRequestScreen
from tests.helpers import type_text
from tests.tui.conftest import MakeApp, settle


def ids(db: Database) -> dict[str, object]:
    with db.read() as session:
        order_code, customer_of_order = session.execute(
            select(Order.code, Customer.code)
            .join(Customer, Customer.id == Order.customer_id)
            .order_by(Order.id)
            .limit(1)
        ).one()
        return {
            "item": session.scalar(select(WorkItem.id).order_by(WorkItem.id.desc()).limit(1)),
            "request": session.scalar(select(ApprovalRequest.id).order_by(ApprovalRequest.id)),
            "handoff": session.scalar(select(Handoff.id).order_by(Handoff.id)),
            "order": order_code,
            "order_customer": customer_of_order,
            "customer": session.scalar(select(Customer.code).order_by(Customer.id.desc())),
        }


async def go(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("colon")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GoAnywhere)
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("start", ["1", "2", "3", "4", "5", "6"])
async def test_colon_opens_the_prompt_on_every_screen(console: MakeApp, start: str) -> None:
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(start)
        await settle(pilot)
        if start == "4":  # the customer search starts in its search field
            await pilot.press("down")
        await pilot.press("colon")
        await settle(pilot)
        assert isinstance(app.screen, GoAnywhere)
        prompt = app.screen.query_one("#where")
        assert "352 item, a12 approval, h6 handoff" in str(prompt.placeholder)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, GoAnywhere)


async def test_each_kind_of_record_opens_its_screen(console: MakeApp, demo_db: Database) -> None:
    known = ids(demo_db)
    app = console("kimura")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await go(pilot, str(known["item"]))
        assert isinstance(app.screen, WorkItemScreen) and app.screen.item_id == known["item"]
        await go(pilot, f"a{known['request']}")
        assert isinstance(app.screen, ApprovalRequestScreen)
        assert app.screen.detail is not None and app.screen.detail.id == known["request"]
        await go(pilot, f"h{known['handoff']}")
        assert isinstance(app.screen, HandoffScreen) and app.screen.handoff_id == known["handoff"]
        await go(pilot, str(known["order"]).lower())
        assert isinstance(app.screen, CustomerScreen)
        assert app.screen.code == known["order_customer"]
        assert app.screen.timeline_filter.order == known["order"]
        await go(pilot, str(known["customer"]))
        assert isinstance(app.screen, CustomerScreen) and app.screen.code == known["customer"]
        for _ in range(5):
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen.__class__.__name__ == "HomeScreen"


async def test_unknown_is_one_line_in_the_prompt_and_nothing_else(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go(pilot, "a999999")
        assert isinstance(app.screen, GoAnywhere)
        hint = str(app.screen.query_one("#hint", Label).render())
        assert hint == "no approval 999999, and no order or customer 'a999999'"
        assert len(app.screen_stack) == 2
        await pilot.press("backspace")
        assert str(app.screen.query_one("#hint", Label).render()).startswith("enter: go")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "HomeScreen"


async def test_a_typed_colon_stays_in_a_text_field(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot)
        assert not isinstance(app.screen, GoAnywhere)
        assert app.screen.query_one("Input").value == ":"
