"""Held decisions survive the console: what was in its undo window when it
stopped (the app ended without quitting) is offered at the next start, to
commit once or discard; two consoles of one login never both commit it; an
unreadable journal is kept aside with a warning. On SQLite and PostgreSQL."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from textual.pilot import Pilot
from textual.widgets import Static

from backoffice_tui.config.paths import keep_files_per_login, state_dir
from backoffice_tui.domain.approvals import Action
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Event
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.decision_journal import ASIDE, FOLDER, DecisionJournal, journal_folder
from backoffice_tui.tui.pending_decisions import PendingDecision, from_record, to_record
from backoffice_tui.tui.screens.bulk_results import BulkResults
from backoffice_tui.tui.screens.dialogs import Confirm
from backoffice_tui.tui.screens.held_decisions import HeldDecisions
from backoffice_tui.tui.screens.home import HomeScreen
from tests.helpers import MessageLog, stage, wait_until
from tests.tui.conftest import MakeApp, settle
from tests.tui.test_approvals_screen import (
    HOSTILE,
    decisions,
    new_user,
    open_approvals,
    open_requests,
    state_of,
)

AsUser = Callable[[str], Context]
SIZE = (100, 30)


def approved_events(db: Database, request_id: int) -> int:
    with db.read() as session:
        return session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.entity == "approval_request",
                Event.entity_id == request_id,
                Event.kind == "approval.approved",
            )
        )


def sessions(login: str) -> list[Path]:
    """The session files of ``login``'s journal."""
    return sorted(journal_folder(login).glob("*.json"))


async def approve_and_stop(app: BackofficeApp, presses: int = 1) -> None:
    """Approve the first requests (held for the undo window), then end the
    app without quitting: what a crash leaves behind."""
    async with app.run_test(size=SIZE) as pilot:
        await open_approvals(pilot, app)
        await pilot.press(*["a"] * presses)
        await settle(pilot)
        assert len(app.pending_decisions.pending()) == presses


async def offered(pilot: Pilot[object]) -> HeldDecisions:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HeldDecisions), screen
    return screen


def shown_text(dialog: HeldDecisions) -> str:
    return "\n".join(str(widget.content) for widget in dialog.query(Static))


# --- a console that stopped in the undo window -----------------------------------------


async def test_a_held_decision_is_offered_after_a_crash_and_committed_once(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "crasher")
    first, second = open_requests(demo_db, as_user("tanaka"), [stage("Check", "crasher")], 2)
    await approve_and_stop(console("crasher", undo_seconds=30))
    assert not decisions(demo_db, [first, second], "approve")  # nothing committed yet
    (left,) = sessions("crasher")
    assert [e["request_id"] for e in json.loads(left.read_text())["entries"]] == [first]

    log = MessageLog()
    app = console("crasher", undo_seconds=30)
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        dialog = await offered(pilot)
        assert dialog.lines[0].startswith(f"approve 'Discount 1' (approval {first}), held at ")
        await pilot.press("c")
        await wait_until(pilot, lambda: bool(decisions(demo_db, [first], "approve")), 10)
        await settle(pilot)
        assert "committed 1 held decision" in log.notifications
    assert state_of(demo_db, first) == "approved" and state_of(demo_db, second) == "pending"
    assert approved_events(demo_db, first) == 1
    assert sessions("crasher") == []
    assert list(journal_folder("crasher").glob("*.lock")) == []

    again = console("crasher", undo_seconds=30)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not isinstance(again.screen, HeldDecisions)
    assert approved_events(demo_db, first) == 1


async def test_discarded_held_decisions_are_gone_and_escape_asks_again(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "dropper")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "dropper")], 2)
    await approve_and_stop(console("dropper", undo_seconds=30), presses=2)

    later = console("dropper", undo_seconds=30)
    async with later.run_test(size=SIZE) as pilot:
        dialog = await offered(pilot)
        assert "2 decisions were held when the console stopped:" in shown_text(dialog)
        await pilot.press("escape")
        await settle(pilot)
    assert len(sessions("dropper")) == 1  # left for the next start

    log = MessageLog()
    app = console("dropper", undo_seconds=30)
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await offered(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "discarded 2 held decisions" in log.notifications
    assert sessions("dropper") == []
    assert not decisions(demo_db, opened, "approve")
    assert [state_of(demo_db, r) for r in opened] == ["pending", "pending"]

    again = console("dropper", undo_seconds=30)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not isinstance(again.screen, HeldDecisions)


async def test_undone_and_committed_decisions_leave_the_journal(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "tidy")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "tidy")], 2)
    app = console("tidy", undo_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await open_approvals(pilot, app)
        await pilot.press("a")
        assert len(json.loads(sessions("tidy")[0].read_text())["entries"]) == 1
        await pilot.press("u")
        await settle(pilot)
        assert sessions("tidy") == []  # undone: out of the journal
        await pilot.press("a")
        await wait_until(pilot, lambda: not app.pending_decisions.pending(), 10, settled=True)
        assert sessions("tidy") == []  # committed: out of the journal
    assert set(decisions(demo_db, opened, "approve")) == {opened[0]}
    assert list(journal_folder("tidy").glob("*")) == []  # the app ended: nothing left behind


async def test_a_bulk_approval_stopped_half_way_is_offered_for_the_rest(
    console: MakeApp, demo_db: Database, as_user: AsUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_user(demo_db, "bulker")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "bulker")], 3)
    real_approve = approvals.approve
    calls: list[int] = []

    class ConsoleKilled(BaseException):
        """The process ends here: nothing after it runs."""

    def approve_then_die(ctx: Context, request_id: int, *args: object, **kwargs: object) -> None:
        calls.append(request_id)
        if len(calls) > 1:
            raise ConsoleKilled
        real_approve(ctx, request_id, *args, **kwargs)  # type: ignore[arg-type]

    app = console("bulker", undo_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_approvals(pilot, app)
        await pilot.press("space", "space", "space")
        assert len(screen.table.tagged) == 3
        monkeypatch.setattr(approvals, "approve", approve_then_die)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(calls) == 2, 10, settled=True)
        assert not isinstance(app.screen, BulkResults)  # it never finished
    monkeypatch.setattr(approvals, "approve", real_approve)
    done = calls[0]
    assert set(decisions(demo_db, opened, "approve")) == {done}

    log = MessageLog()
    after = console("bulker", undo_seconds=30)
    async with after.run_test(size=SIZE, message_hook=log.hook) as pilot:
        dialog = await offered(pilot)
        assert "2 decisions were held when the console stopped:" in shown_text(dialog)
        assert all(f"(approval {done})" not in line for line in dialog.lines)
        await pilot.press("c")
        await wait_until(
            pilot, lambda: len(decisions(demo_db, opened, "approve")) == 3, 10, settled=True
        )
        assert "committed 2 held decisions" in log.notifications
    assert [approved_events(demo_db, r) for r in opened] == [1, 1, 1]
    assert sessions("bulker") == []


# --- two consoles of one login ------------------------------------------------------------


async def test_a_running_console_keeps_its_held_decisions_from_a_second_one(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "twice")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "twice")], 1)
    first = console("twice", undo_seconds=30)
    async with first.run_test(size=SIZE) as pilot:
        await open_approvals(pilot, first)
        await pilot.press("a")
        await settle(pilot)
        # a second console of the same login starts while the first holds it
        second = DecisionJournal.for_login("twice", demo_db.description)
        assert second.stopped(from_record).decisions == []
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: bool(first._exit), 10)
    assert approved_events(demo_db, request) == 1
    assert sessions("twice") == []


async def test_of_two_consoles_started_after_a_crash_only_one_commits(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "pair")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "pair")], 1)
    await approve_and_stop(console("pair", undo_seconds=30))
    (left,) = sessions("pair")
    as_written = left.read_bytes()

    one, other = console("pair", undo_seconds=30), console("pair", undo_seconds=30)
    log = MessageLog()
    async with one.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await offered(pilot)  # the first to start adopts them
        async with other.run_test(size=SIZE) as other_pilot:
            await settle(other_pilot)
            assert isinstance(other.screen, HomeScreen)  # started, and asked nothing
        await pilot.press("c")
        await wait_until(pilot, lambda: approved_events(demo_db, request) == 1, 10, settled=True)
    assert sessions("pair") == []

    # the entry comes back, as if its removal never reached the disk: the
    # service refuses to decide the stage twice, and that is said, not an error
    left.write_bytes(as_written)
    left.with_suffix(".lock").touch()
    log = MessageLog()
    third = console("pair", undo_seconds=30)
    async with third.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await offered(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: not sessions("pair"), 10, settled=True)
        stale = [m for m in log.notifications if m.startswith("already decided")]
        assert len(stale) == 1 and f"approval {request} was already decided by pair" in stale[0]
        assert not any(m.startswith("committed") for m in log.notifications)
    assert approved_events(demo_db, request) == 1
    assert len(decisions(demo_db, [request], "approve")) == 1


async def test_a_held_decision_taken_by_someone_else_meanwhile_is_reported_and_dropped(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "late")
    new_user(demo_db, "early")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "late", "early")], 1)
    await approve_and_stop(console("late", undo_seconds=30))
    approvals.approve(as_user("early"), request)  # while the console was down

    log = MessageLog()
    app = console("late", undo_seconds=30)
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await offered(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: not sessions("late"), 10, settled=True)
        assert not isinstance(app.screen, HeldDecisions | BulkResults)
    (line,) = [m for m in log.notifications if "already decided" in m]
    assert line.startswith(
        f"already decided, not committed again: approve 'Discount' (approval {request})"
    )
    assert "already decided by early" in line
    approved = decisions(demo_db, [request], "approve")
    assert approved[request].actor_id == as_user("early").actor.user_id
    assert approved_events(demo_db, request) == 1


# --- the journal on disk --------------------------------------------------------------------


async def test_an_unreadable_journal_is_kept_aside_with_one_warning(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "garbled")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "garbled")], 1)
    await approve_and_stop(console("garbled", undo_seconds=30))
    (left,) = sessions("garbled")
    left.write_bytes(b'{"format": 1, "entries": [\xff')

    log = MessageLog()
    app = console("garbled", undo_seconds=30)
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, HeldDecisions)
        (warning,) = [m for m in log.notifications if "unreadable" in m]
        assert "\n" not in warning
        aside = journal_folder("garbled") / ASIDE / left.name
        assert warning.startswith(f"held decisions unreadable in {left} (")
        assert warning.endswith(f"kept aside as {aside}")
    assert aside.read_bytes() == b'{"format": 1, "entries": [\xff'
    assert sessions("garbled") == []
    assert state_of(demo_db, request) == "pending"

    log = MessageLog()
    again = console("garbled", undo_seconds=30)
    async with again.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await settle(pilot)
        assert not any("unreadable" in m for m in log.notifications)  # said once


@pytest.mark.parametrize(
    "entry",
    [
        {"key": "k1", "request_id": "12", "action": "approve"},  # not a number
        {"key": "k1", "request_id": 12, "action": "withdraw", "title": "x", "comment": ""},
        {"request_id": 12, "action": "approve"},  # no key
    ],
)
def test_an_entry_that_is_not_a_decision_sets_its_file_aside(entry: dict[str, object]) -> None:
    folder = journal_folder("someone")
    writer = DecisionJournal(folder, "sqlite:///x.db")
    writer.add([to_record(PendingDecision(1, Action.APPROVE, "ok", key="k0"))])
    writer.close()
    (path,) = folder.glob("*.json")
    payload = json.loads(path.read_text())
    payload["entries"].append(entry)
    path.write_text(json.dumps(payload))
    found = DecisionJournal(folder, "sqlite:///x.db").stopped(from_record)
    assert found.decisions == []
    (problem,) = found.problems
    assert problem.startswith(f"held decisions unreadable in {path} (") and "\n" not in problem
    assert (folder / ASIDE / path.name).exists()


def test_another_databases_held_decisions_wait_for_that_database() -> None:
    folder = journal_folder("both")
    writer = DecisionJournal(folder, "sqlite:///one.db")
    writer.add(
        [to_record(PendingDecision(3, Action.REJECT, "Refund", "too much", stage=1, key="k3"))]
    )
    writer.close()
    assert DecisionJournal(folder, "sqlite:///two.db").stopped(from_record).decisions == []
    found = DecisionJournal(folder, "sqlite:///one.db").stopped(from_record)
    (back,) = found.decisions
    assert (back.request_id, back.action, back.comment, back.stage) == (
        3,
        Action.REJECT,
        "too much",
        1,
    )
    found.release()


async def test_a_journal_that_cannot_be_written_is_said_once(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "nodisk")
    opened = open_requests(demo_db, as_user("tanaka"), [stage("Check", "nodisk")], 2)
    folder = journal_folder("nodisk")
    folder.parent.mkdir(parents=True)
    folder.write_text("a file where the folder should be")
    log = MessageLog()
    app = console("nodisk", undo_seconds=0.3)
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        await open_approvals(pilot, app)
        await pilot.press("a", "a")
        await wait_until(pilot, lambda: not app.pending_decisions.pending(), 10, settled=True)
    warnings = [m for m in log.notifications if "not kept on disk" in m]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith(f"held decisions are not kept on disk (cannot write {folder}: ")
    assert set(decisions(demo_db, opened, "approve")) == set(opened)  # still held, then committed


async def test_held_decisions_are_offered_as_typed(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    new_user(demo_db, "literal")
    open_requests(demo_db, as_user("tanaka"), [stage("Check", "literal")], 1, title=HOSTILE)
    await approve_and_stop(console("literal", undo_seconds=30))
    app = console("literal", undo_seconds=30)
    async with app.run_test(size=(140, 30)) as pilot:
        dialog = await offered(pilot)
        assert "approve '[bold]x␛[31m'" in shown_text(dialog)
        assert "\x1b[31m" not in app.export_screenshot()
        await pilot.press("d")
        await settle(pilot)


def test_behind_the_gateway_the_journal_is_in_the_logins_own_folder() -> None:
    account = journal_folder("tanaka")
    keep_files_per_login("tanaka")
    try:
        assert journal_folder("tanaka") == state_dir() / FOLDER / "tanaka"
        assert state_dir().parts[-2:] == ("logins", "tanaka")
        assert journal_folder("tanaka") != account
    finally:
        keep_files_per_login(None)
    assert journal_folder("a/b") == state_dir() / FOLDER / "a%2Fb"  # one folder per login
