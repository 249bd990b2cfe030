"""The approvals screen: one key per decision, the undo window, bulk
approval, live changes, plain text, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from backoffice_tui.domain.approvals import Action
from backoffice_tui.domain.errors import Conflict, DatabaseUnavailable, InvalidTransition
from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.read import inbox_window
from backoffice_tui.services.context import Context
from backoffice_tui.services.people.users import add_user
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalDecision, ApprovalRequest, Order
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.commands import screen_commands
from backoffice_tui.tui.pending_decisions import DecisionQueue, PendingDecision
from backoffice_tui.tui.screens.approvals import ApprovalsScreen, comment_draft
from backoffice_tui.tui.screens.bulk_results import BulkResults
from backoffice_tui.tui.screens.dialogs import AskText, Confirm, PickOne
from backoffice_tui.tui.screens.help import describe_keys
from backoffice_tui.tui.widgets.approval_detail import ApprovalDetail
from backoffice_tui.tui.workspace import workspace_of
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog, stage, wait_until
from tests.tui.conftest import MakeApp, settle

AsUser = Callable[[str], Context]


# --- setting up requests through the services ---------------------------------------


def new_user(db: Database, login: str) -> None:
    """A user on no team: its inbox holds only what a test sends it."""
    add_user(db, resolve_actor_for(db, "admin-ito"), login, login.capitalize())


def open_requests(
    db: Database,
    requester: Context,
    route: list[ApprovalStageSpec],
    count: int,
    title: str = "Discount",
) -> list[int]:
    """``count`` requests on orders that have none open yet."""
    with db.read() as session:
        orders = list(session.scalars(select(Order.id).order_by(Order.id)))
    opened: list[int] = []
    for order_id in orders:
        if len(opened) == count:
            break
        name = title if count == 1 else f"{title} {len(opened) + 1}"
        try:
            opened.append(approvals.request_approval(requester, "order", order_id, route, name))
        except InvalidTransition:
            continue  # this order already has a request open
    assert len(opened) == count, "not enough orders without an open request"
    return opened


def decisions(db: Database, request_ids: list[int], action: str) -> dict[int, ApprovalDecision]:
    with db.read() as session:
        rows = session.scalars(
            select(ApprovalDecision).where(
                ApprovalDecision.request_id.in_(request_ids), ApprovalDecision.action == action
            )
        )
        return {row.request_id: row for row in rows}


def state_of(db: Database, request_id: int) -> str:
    with db.read() as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None
        return request.state


# --- driving the console -----------------------------------------------------------


async def open_approvals(pilot: Pilot[object], app: BackofficeApp) -> ApprovalsScreen:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    await rest(pilot)
    assert isinstance(app.screen, ApprovalsScreen)
    return app.screen


async def rest(pilot: Pilot[object]) -> None:
    """Let the cursor rest long enough for its request to be read."""
    await pilot.pause(0.3)
    await settle(pilot)


def row_text(screen: ApprovalsScreen, index: int = 0) -> str:
    line = screen.table.render_line(index - round(screen.table.scroll_offset.y))
    return "".join(segment.text for segment in line)


# --- tests -------------------------------------------------------------------------


async def test_twenty_requests_triaged_at_one_key_each(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "triager")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "triager")], 20)
    actor = resolve_actor_for(demo_db, "triager")
    listed = [row.id for row in inbox_window(demo_db, actor, datetime.now(UTC), 0, 50)]
    assert sorted(listed) == sorted(opened)
    app = console("triager", undo_seconds=0.5)
    log = MessageLog()
    async with app.run_test(size=(100, 40), message_hook=log.hook) as pilot:
        screen = await open_approvals(pilot, app)
        assert screen.table.total == 20
        await pilot.press(*["a"] * 20)
        await wait_until(  # generous: 20 commits on a loaded machine
            pilot,
            lambda: not app.pending_decisions.pending() and screen.table.total == 0,
            90,
            settled=True,
        )
        assert not any("already" in message for message in log.notifications)
    approved = decisions(demo_db, opened, "approve")
    assert all(state_of(demo_db, request_id) == "approved" for request_id in opened)
    ids_in_list_order = [approved[request_id].id for request_id in listed]
    assert ids_in_list_order == sorted(ids_in_list_order)


async def test_undo_takes_a_decision_back_and_quitting_commits_one(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "undoer")
    first, second = open_requests(demo_db, as_user("tanaka"), [stage("Check", "undoer")], 2)
    app = console("undoer", undo_seconds=30)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        await pilot.press("a")
        assert "[approve in 30s]" in row_text(screen, 0)
        assert screen.table.cursor == 1
        await pilot.press("u")
        await settle(pilot)
        assert app.pending_decisions.pending() == []
        assert screen.table.cursor == 0  # back on the request taken back
        assert "[approve" not in row_text(screen, 0)
        assert not decisions(demo_db, [first, second], "approve")
        await pilot.press("j", "a")
        assert [d.request_id for d in app.pending_decisions.pending()] == [second]
        await pilot.press("ctrl+q")
        for _ in range(100):
            if app._exit:
                break
            await asyncio.sleep(0.05)
    assert app._exit
    assert set(decisions(demo_db, [first, second], "approve")) == {second}
    assert state_of(demo_db, first) == "pending"


async def test_a_requester_cannot_decide_their_own_request(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "asker")
    (mine,) = open_requests(demo_db, as_user("asker"), [stage("Check", "kobayashi")], 1)
    app = console("asker", undo_seconds=30)
    log = MessageLog()
    async with app.run_test(size=(100, 30), message_hook=log.hook) as pilot:
        screen = await open_approvals(pilot, app)
        assert screen.table.total == 0  # nothing waits for the requester
        await pilot.press("s")
        await rest(pilot)
        assert screen.current_row is not None and screen.current_row.id == mine
        await pilot.press("a")
        await settle(pilot)
        assert app.pending_decisions.pending() == []  # nothing to undo: refused at once
        assert any(
            f"requested approval {mine}, so someone else on its route must decide" in message
            for message in log.notifications
        )
    assert not decisions(demo_db, [mine], "approve")
    assert state_of(demo_db, mine) == "pending"


async def test_reject_needs_a_comment(console: MakeApp, demo_db: Database, as_user: AsUser) -> None:
    new_user(demo_db, "rejecter")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "rejecter")], 1)
    app = console("rejecter", undo_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_approvals(pilot, app)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await pilot.press("enter")  # empty: refused, the dialog stays
        assert isinstance(app.screen, AskText)
        await pilot.press(*"too costly")
        draft = comment_draft(request, Action.REJECT)
        assert workspace_of(app.screen).drafts.get(draft) == "too costly"
        await pilot.press("enter")
        await wait_until(pilot, lambda: state_of(demo_db, request) == "rejected", 10, settled=True)
        assert workspace_of(app.screen).drafts.get(draft) is None
    assert decisions(demo_db, [request], "reject")[request].comment == "too costly"


async def test_send_back_to_the_requester(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "first")
    new_user(demo_db, "second")
    route = [stage("First look", "first"), stage("Second look", "second")]
    (request,) = open_requests(demo_db, as_user("tanaka"), route, 1)
    approvals.approve(as_user("first"), request)
    app = console("second", undo_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_approvals(pilot, app)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        assert [value for value, _ in app.screen.choices] == ["requester", "1"]
        await pilot.press("enter")  # the requester, first in the list
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await pilot.press(*"missing the contract number", "enter")
        await wait_until(pilot, lambda: state_of(demo_db, request) == "sent_back", 10, settled=True)
    sent_back = decisions(demo_db, [request], "send_back")[request]
    assert (sent_back.target, sent_back.comment) == ("requester", "missing the contract number")


async def test_forward_to_another_user(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "forwarder")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "forwarder")], 1)
    app = console("forwarder", undo_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_approvals(pilot, app)
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickOne)
        logins = [value for value, _ in picker.choices]
        assert "forwarder" not in logins
        picker.query_one(OptionList).highlighted = logins.index("kimura")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await pilot.press("enter")  # the comment is optional
        await wait_until(
            pilot, lambda: bool(decisions(demo_db, [request], "forward")), 10, settled=True
        )
    assert decisions(demo_db, [request], "forward")[request].target == "kimura"
    kimura = resolve_actor_for(demo_db, "kimura")
    assert request in [r.id for r in inbox_window(demo_db, kimura, datetime.now(UTC), 0, 200)]


async def test_bulk_approval_reports_each_item(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "bulk1")
    new_user(demo_db, "bulk2")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "bulk1", "bulk2")], 3)
    app = console("bulk1", undo_seconds=30)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        await pilot.press("space", "space", "space")
        assert len(screen.table.tagged) == 3
        await pilot.pause()  # the last of the three is on the last row: the cursor stays
        assert "| 3 tagged, A approves |" in str(screen.query_one("#status", Static).content)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert app.screen.question == "Approve 3 tagged?"
        raced = opened[1]
        approvals.approve(as_user("bulk2"), raced)  # someone else is quicker
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, BulkResults), 10, settled=True)
        results = app.screen.results
        failed = [r for r in results if r.error]
        assert len(results) == 3 and len(failed) == 1
        assert failed[0].label.startswith(f"#{raced} ")
        assert f"approval {raced} was already decided by bulk2" in (failed[0].error or "")
        lines = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert lines[0].startswith("FAILED") and "already decided by bulk2" in lines[0]
        await pilot.press("escape")
    approved = decisions(demo_db, opened, "approve")
    assert approved[raced].actor_id == resolve_actor_for(demo_db, "bulk2").user_id
    others = [r for r in opened if r != raced]
    bulk1 = resolve_actor_for(demo_db, "bulk1").user_id
    assert all(approved[r].actor_id == bulk1 for r in others)


async def test_a_decision_by_someone_else_reaches_the_screen(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "watcher")
    new_user(demo_db, "other")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "watcher", "other")], 2)
    app = console("watcher", undo_seconds=30, poll_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        assert screen.table.total == 2
        approvals.add_comment(as_user("other"), screen.current_row.id, "looked at it")
        await wait_until(
            pilot,
            lambda: "looked at it" in str(screen.query_one("#detail-body").render()),
            10,
            settled=True,
        )
        approvals.approve(as_user("other"), opened[0])
        await wait_until(pilot, lambda: screen.table.total == 1, 10, settled=True)


async def test_a_held_decision_refused_at_commit_says_why(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "slow")
    new_user(demo_db, "quick")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "slow", "quick")], 1)
    app = console("slow", undo_seconds=0.3)
    log = MessageLog()
    async with app.run_test(size=(100, 30), message_hook=log.hook) as pilot:
        await open_approvals(pilot, app)
        await pilot.press("a")
        approvals.approve(as_user("quick"), request)
        await wait_until(pilot, lambda: not app.pending_decisions.pending(), 10, settled=True)
        assert any(
            f"approval {request} was already decided by quick" in message
            for message in log.notifications
        )
    assert len(decisions(demo_db, [request], "approve")) == 1


async def test_the_requester_re_applies_and_withdraws(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "applicant")
    new_user(demo_db, "checker")
    (request,) = open_requests(demo_db, as_user("applicant"), [stage("Check", "checker")], 1)
    approvals.send_back(as_user("checker"), request, "add the quote")
    app = console("applicant")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        await pilot.press("s")
        await rest(pilot)
        assert "sent back" in row_text(screen, 0)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await pilot.press(*"quote attached", "enter")
        await wait_until(pilot, lambda: state_of(demo_db, request) == "pending", 10, settled=True)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_until(pilot, lambda: state_of(demo_db, request) == "withdrawn", 10, settled=True)
        await wait_until(pilot, lambda: "withdrawn" in row_text(screen, 0), 10, settled=True)
    assert decisions(demo_db, [request], "reapply")[request].comment == "quote attached"


async def test_hold_release_and_comment(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "holder")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "holder")], 1)
    app = console("holder")
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        await pilot.press("h")
        await wait_until(pilot, lambda: "held by holder" in row_text(screen, 0), 10, settled=True)
        await pilot.press("h")
        await wait_until(
            pilot, lambda: bool(decisions(demo_db, [request], "release")), 10, settled=True
        )
        await pilot.press("c", *"asked sales for the margin", "enter")
        await wait_until(
            pilot,
            lambda: "asked sales for the margin" in str(screen.query_one("#detail-body").render()),
            10,
            settled=True,
        )
    assert decisions(demo_db, [request], "hold")
    assert decisions(demo_db, [request], "comment")[request].comment == "asked sales for the margin"


async def test_every_key_is_in_help_and_the_palette(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "keys")
    open_requests(demo_db, as_user("tanaka"), [stage("Check", "keys")], 1)
    app = console("keys")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        wanted = {
            "Approve", "Reject", "Send back", "Forward", "Comment", "Hold/release",
            "Pull back", "Tag", "Approve tagged", "Undo", "Inbox/sent",
        }  # fmt: skip
        assert wanted <= {description for _, description in describe_keys(screen)}
        assert wanted <= {command.title for command in screen_commands(screen)}
        await pilot.press("enter")  # the detail, to scroll a long history
        assert isinstance(app.focused, ApprovalDetail)
        await pilot.press("escape")
        assert app.focused is screen.table and app.screen is screen
        await pilot.press("s")
        sent = {description for _, description in describe_keys(screen)}
        assert {"Withdraw", "Re-apply", "Pull back"} <= sent


def test_held_decisions_commit_in_order_and_wait_out_an_outage() -> None:
    clock = [0.0]
    committed: list[int] = []
    down = [False]

    def commit(decision: PendingDecision) -> None:
        if down[0]:
            raise DatabaseUnavailable("the database is unreachable")
        if decision.request_id == 2:
            raise Conflict("approval 2 was already decided by quick at 10:00 (approved)")
        committed.append(decision.request_id)

    queue = DecisionQueue(5, commit, clock=lambda: clock[0])
    for request_id in (1, 2, 3, 4):
        queue.hold(PendingDecision(request_id, Action.APPROVE, f"request {request_id}"))
    undone = queue.undo_last()
    assert undone is not None and undone.request_id == 4
    assert queue.commit_due() == []  # still in the undo window
    clock[0], down[0] = 5.0, True
    (kept,) = queue.commit_due()
    assert kept.kept and [d.request_id for d in queue.pending()] == [1, 2, 3]
    clock[0], down[0] = 10.0, False
    outcomes = queue.commit_due()
    assert [(o.decision.request_id, o.error is None) for o in outcomes] == [
        (1, True),
        (2, False),  # refused, and the one after it still committed
        (3, True),
    ]
    assert committed == [1, 3] and queue.pending() == []


HOSTILE = "[bold]x\x1b[31m"


async def test_database_text_is_shown_as_typed(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "reader")
    open_requests(demo_db, as_user("tanaka"), [stage(HOSTILE, "reader")], 1, title=HOSTILE)
    app = console("reader")
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_approvals(pilot, app)
        line = row_text(screen, 0)
        assert "[bold]x␛[31m" in line and "\x1b" not in line
        body = str(screen.query_one(ApprovalDetail).body.render())
        assert "[bold]x␛[31m" in body  # the stage's name
        assert "\x1b" not in body
        title = str(screen.query_one("#detail-title").render())
        assert "[bold]x␛[31m" in title
        assert "\x1b[31m" not in app.export_screenshot()


@pytest.mark.parametrize("view", ["inbox", "sent"])
@pytest.mark.usefixtures("utc_clock")
def test_approvals_snapshot(snap_compare, pinned_console, view: str) -> None:  # type: ignore[no-untyped-def]
    app = pinned_console("sato", theme="dark")

    async def arrive(pilot: Pilot[object]) -> None:
        await open_approvals(pilot, app)  # type: ignore[arg-type]
        if view == "sent":
            await pilot.press("s")
        else:
            await pilot.press("j")
        await rest(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=arrive)
