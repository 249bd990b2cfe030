"""What every screen and dialog looks like at 80x24, reached with the keys an
operator presses, on the pinned demo data (SQLite).

The data, today and the time zone are pinned, so a picture only changes when
its screen does; review a changed picture before accepting it."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList

from backoffice_tui.domain.approvals import Action
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.read import request_detail
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.saved_views import (
    WORK_ITEMS,
    queue_view_filters,
    save_view,
)
from backoffice_tui.services.customers.search import customer_detail
from backoffice_tui.services.work import items as work_items
from backoffice_tui.services.work.queue import QueueFilter, QueueSort
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.models import Order, Team, WorkItem
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.decision_journal import DecisionJournal
from backoffice_tui.tui.pending_decisions import PendingDecision, to_record
from backoffice_tui.tui.screens.application_form import ApplicationForm
from backoffice_tui.tui.screens.approvals import ApprovalsScreen
from backoffice_tui.tui.screens.bulk_results import BulkResults
from backoffice_tui.tui.screens.columns import ColumnsDialog
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.customers import CustomerSearchScreen
from backoffice_tui.tui.screens.dialogs import AskText, Confirm, PickOne, ShowLines
from backoffice_tui.tui.screens.export_view import ExportDialog
from backoffice_tui.tui.screens.go_anywhere import GoAnywhere
from backoffice_tui.tui.screens.handoff import DocumentHistory, HandoffScreen
from backoffice_tui.tui.screens.handoffs import HandoffsScreen
from backoffice_tui.tui.screens.held_decisions import HeldDecisions
from backoffice_tui.tui.screens.help import HelpScreen
from backoffice_tui.tui.screens.import_file import ImportScreen
from backoffice_tui.tui.screens.insight_filter import InsightFilterDialog
from backoffice_tui.tui.screens.insights import InsightsScreen
from backoffice_tui.tui.screens.item import WorkItemScreen
from backoffice_tui.tui.screens.long_text import LongText
from backoffice_tui.tui.screens.notifications import NotificationsScreen
from backoffice_tui.tui.screens.request import ApprovalRequestScreen
from backoffice_tui.tui.screens.rules import RulesScreen
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from backoffice_tui.tui.widgets.queue_table import QueueTable
from tests.conftest import resolve_actor_for
from tests.helpers import give_customer, give_item, give_order, type_text
from tests.io.files import write_csv
from tests.tui.conftest import SNAPSHOT_DAY, settle

SIZE = (80, 24)
RACED_AT = datetime.combine(SNAPSHOT_DAY, time(8, 30), tzinfo=UTC)

Arrive = Callable[[Pilot[object]], Awaitable[None]]


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def app_of(pilot: Pilot[object]) -> BackofficeApp:
    assert isinstance(pilot.app, BackofficeApp)
    return pilot.app


# --- screens -----------------------------------------------------------------------


async def customers(pilot: Pilot[object]) -> None:
    await press(pilot, "4")
    await type_text(pilot, "C001")
    await settle(pilot)


async def customer(pilot: Pilot[object]) -> None:
    await press(pilot, "4")
    await type_text(pilot, "C0006")
    await press(pilot, "enter")


async def handoffs(pilot: Pilot[object]) -> None:
    await press(pilot, "5")


async def handoff(pilot: Pilot[object]) -> None:
    await press(pilot, "5")
    await press(pilot, "enter")


async def work_item(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "enter")


async def work_item_details(pilot: Pilot[object]) -> None:
    """An item and order an import of a project sheet filled: dates, a title
    and more columns than fit at 80x24."""
    await press(pilot, "2")
    row = pilot.app.screen.query_one(QueueTable).current_row
    assert row is not None
    db = app_of(pilot).workspace.db
    attributes = {
        "Site": "[bold]Osaka 2F",
        **{f"Column {n:02}": f"value {n}" for n in range(1, 40)},
    }
    give_item(
        db,
        row.id,
        attributes,
        planned=(date(2026, 11, 16), date(2026, 11, 27)),
        actual=(date(2026, 11, 17), None),
    )
    with db.read() as session:
        order_id = session.scalar(select(Order.id).where(Order.code == row.order_code))
    assert order_id is not None
    give_order(db, order_id, "Rack move, building B", {"Ticket": "INC-77"})
    await press(pilot, "enter")


async def work_item_details_below(pilot: Pilot[object]) -> None:
    await work_item_details(pilot)
    await press(pilot, "pagedown")


async def customer_details(pilot: Pilot[object]) -> None:
    """A customer and an order an import filled: attributes and a title."""
    db = app_of(pilot).workspace.db
    many = {f"Column {n:02}": f"value {n}" for n in range(1, 13)}
    give_customer(db, "C0006", {"Region": "Kansai", "Rank": "[bold]A", **many})
    code = customer_detail(db, "C0006").lines[0].order_code
    with db.read() as session:
        order_id = session.scalar(select(Order.id).where(Order.code == code))
    assert order_id is not None
    give_order(db, order_id, "Rack move, building B")
    await customer(pilot)


async def customer_details_dialog(pilot: Pilot[object]) -> None:
    await customer_details(pilot)
    await press(pilot, "i")


async def import_prompt(pilot: Pilot[object]) -> None:
    await press(pilot, "ctrl+o")


async def import_report(pilot: Pilot[object]) -> None:
    # relative to the working directory, so that no temporary path is shown
    write_csv(Path("bad.csv"), [["id", "priority"], [1, 2], [9999999, 1], ["x", "urgent"]])
    await press(pilot, "ctrl+o")
    await type_text(pilot, "bad.csv")
    await press(pilot, "enter")


async def help_keys(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "question_mark")


async def application_form(pilot: Pilot[object]) -> None:
    await press(pilot, "6", "n", "enter")


# --- dialogs -----------------------------------------------------------------------


async def application_kind_picker(pilot: Pilot[object]) -> None:
    await press(pilot, "6", "n")


async def team_picker(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "t")


async def sort_picker(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "o")


async def columns_dialog(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "C", "down", "plus", "down", "space")


async def export_dialog(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "ctrl+e")
    app_of(pilot).screen.query_one(Input).value = "queue.pdf"  # a fixed name, and refused
    await press(pilot, "enter")


async def block_reason(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "b")


async def withdraw_confirmation(pilot: Pilot[object]) -> None:
    await press(pilot, "6", "w")


async def document_history(pilot: Pilot[object]) -> None:
    await press(pilot, "5")
    await press(pilot, "enter")
    options = pilot.app.screen.query_one(OptionList)
    for _ in range(options.option_count):
        option = options.highlighted_option
        if option is not None and (option.id or "").startswith("doc:"):
            break
        await pilot.press("j")
    await press(pilot, "enter")


async def save_view_name(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "S")


async def save_view_share(pilot: Pilot[object]) -> None:
    await press(pilot, "2", "S")
    await type_text(pilot, "mine by priority")
    await press(pilot, "enter")


async def open_view(pilot: Pilot[object]) -> None:
    workspace = app_of(pilot).workspace
    filters = queue_view_filters(QueueFilter(assignee="me"), QueueSort.PRIORITY)
    save_view(workspace.context(), "mine by priority", WORK_ITEMS, filters, team="build")
    save_view(workspace.context(), "blocked in build", WORK_ITEMS, filters)
    await press(pilot, "2", "V")


async def tag_first_and_last(pilot: Pilot[object]) -> None:
    """Of the three requests waiting for sato, tag the last and the first."""
    await press(pilot, "3")
    await press(pilot, "end", "space", "home", "space")


async def bulk_confirmation(pilot: Pilot[object]) -> None:
    await tag_first_and_last(pilot)
    await press(pilot, "A")


async def bulk_results(pilot: Pilot[object]) -> None:
    await tag_first_and_last(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ApprovalsScreen)
    tagged = [row.id for row in screen.table.tagged_rows()]
    await press(pilot, "A")
    # another approver decides one of them while the question is open: its line says why
    db = app_of(pilot).workspace.db
    anyone = resolve_actor_for(db, "admin-ito")
    raced, other = next(
        (request_id, login)
        for request_id in tagged
        for login in request_detail(db, anyone, request_id, utc_now()).current.deciders
        if login != "sato"
    )
    approvals.approve(Context(db, resolve_actor_for(db, other), lambda: RACED_AT), raced)
    await press(pilot, "y")


async def held_decisions(pilot: Pilot[object]) -> None:
    """A console of this login stopped with two decisions in their undo window."""
    await press(pilot, "3")
    screen = pilot.app.screen
    assert isinstance(screen, ApprovalsScreen)
    rows = [screen.current_row]
    await press(pilot, "j")
    rows.append(screen.current_row)
    await press(pilot, "home")
    workspace = app_of(pilot).workspace
    stopped = DecisionJournal.for_login(workspace.actor.login, workspace.db.description)
    stopped.add(
        to_record(PendingDecision(row.id, action, row.title, comment, stage=row.stage, key=key))
        | {"held_at": RACED_AT.isoformat()}
        for row, action, comment, key in zip(
            rows, (Action.APPROVE, Action.REJECT), ("", "over budget"), ("k1", "k2"), strict=True
        )
    )
    stopped.close()
    app_of(pilot).offer_held_decisions()


async def insights(pilot: Pilot[object]) -> None:
    await press(pilot, "7")


async def insights_filtered(pilot: Pilot[object]) -> None:
    """Insights narrowed to the build team with the filter form (/)."""
    await press(pilot, "7", "slash")
    pilot.app.screen.query_one("#team", ChoiceField).value = "build"
    await press(pilot, "ctrl+s")


async def insight_filter_form(pilot: Pilot[object]) -> None:
    await press(pilot, "7", "slash")


async def rules_list(pilot: Pilot[object]) -> None:
    """The demo rules loaded, then key 8."""
    from backoffice_tui.resources import sample_data_dir
    from backoffice_tui.services.rules.definitions import load_rules

    files = sorted((sample_data_dir() / "rules").glob("*.toml"))
    load_rules(app_of(pilot).workspace.db, "demo", files)
    await press(pilot, "8")


async def go_anywhere_unknown(pilot: Pilot[object]) -> None:
    """The ``:`` prompt after something it cannot find."""
    await press(pilot, "colon")
    await type_text(pilot, "a999")
    await press(pilot, "enter")


async def approval_request(pilot: Pilot[object]) -> None:
    await press(pilot, "colon")
    await type_text(pilot, "a1")
    await press(pilot, "enter")


async def notifications_list(pilot: Pilot[object]) -> None:
    """An item assigned to kimura by someone else, among what landed on kimura."""
    db = app_of(pilot).workspace.db
    with db.read() as session:
        item_id = session.scalar(
            select(WorkItem.id)
            .join(Team, Team.id == WorkItem.team_id)
            .where(Team.code == "build", WorkItem.status == "waiting")
            .where(WorkItem.assignee_id.is_(None))
            .order_by(WorkItem.id)
            .limit(1)
        )
    assert item_id is not None
    lead = Context(db, resolve_actor_for(db, "admin-ito"), lambda: RACED_AT)
    work_items.assign(lead, item_id, "kimura")
    await press(pilot, "exclamation_mark")


async def long_text_event(pilot: Pilot[object]) -> None:
    """The newest event of a customer, whole."""
    await customer(pilot)
    await press(pilot, "w")


# how to get there, as whom, and what is then on top
CASES: list[tuple[Arrive, str, type[Screen[Any]]]] = [
    (customers, "kimura", CustomerSearchScreen),
    (customer, "kimura", CustomerScreen),
    (handoffs, "olivia", HandoffsScreen),
    (handoff, "olivia", HandoffScreen),
    (customer_details, "kimura", CustomerScreen),
    (customer_details_dialog, "kimura", ShowLines),
    (work_item, "kimura", WorkItemScreen),
    (work_item_details, "kimura", WorkItemScreen),
    (work_item_details_below, "kimura", WorkItemScreen),
    (import_prompt, "kimura", ImportScreen),
    (import_report, "kimura", ImportScreen),
    (help_keys, "kimura", HelpScreen),
    (application_form, "kimura", ApplicationForm),
    (application_kind_picker, "kimura", PickOne),
    (team_picker, "kimura", PickOne),
    (sort_picker, "kimura", PickOne),
    (columns_dialog, "kimura", ColumnsDialog),
    (export_dialog, "kimura", ExportDialog),
    (block_reason, "kimura", AskText),
    (withdraw_confirmation, "kimura", Confirm),
    (document_history, "olivia", DocumentHistory),
    (save_view_name, "kimura", AskText),
    (save_view_share, "kimura", PickOne),
    (open_view, "kimura", PickOne),
    (bulk_confirmation, "sato", Confirm),
    (bulk_results, "sato", BulkResults),
    (held_decisions, "sato", HeldDecisions),
    (go_anywhere_unknown, "kimura", GoAnywhere),
    (approval_request, "kimura", ApprovalRequestScreen),
    (notifications_list, "kimura", NotificationsScreen),
    (long_text_event, "kimura", LongText),
    (insights, "kimura", InsightsScreen),
    (insights_filtered, "kimura", InsightsScreen),
    (insight_filter_form, "kimura", InsightFilterDialog),
    (rules_list, "admin-ito", RulesScreen),
]


@pytest.mark.parametrize(("arrive", "login", "shown"), CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.usefixtures("utc_clock")
def test_snapshot(  # type: ignore[no-untyped-def]
    snap_compare,
    pinned_console,
    arrive: Arrive,
    login: str,
    shown: type[Screen[Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    app = pinned_console(login, theme="dark")

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await arrive(pilot)
        await settle(pilot)
        assert isinstance(pilot.app.screen, shown), pilot.app.screen

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
