"""The profile screen: who I am, my delegations; saying I am away from it,
then the delegate deciding my approval from their inbox, on behalf of me."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.people.delegations import add_delegation, list_delegations
from backoffice_tui.services.people.users import add_user
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalDecision, Event, User
from backoffice_tui.tui.screens.approvals import ApprovalsScreen
from backoffice_tui.tui.screens.away import AWAY_DRAFT, AwayDialog
from backoffice_tui.tui.screens.dialogs import Confirm, PickOne
from backoffice_tui.tui.screens.profile import ProfileScreen
from backoffice_tui.tui.widgets.approval_detail import ApprovalDetail
from backoffice_tui.tui.workspace import workspace_of
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog, stage, type_text, wait_until
from tests.tui.conftest import MakeApp, settle
from tests.tui.test_approvals_screen import AsUser, open_requests, rest

TODAY = date.today()


def user_id(db: Database, login: str) -> int:
    with db.read() as session:
        found = session.scalar(select(User.id).where(User.login == login))
    assert found is not None
    return found


async def test_away_from_the_profile_then_the_delegate_decides_for_me(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    admin = resolve_actor_for(demo_db, "admin-ito")
    add_user(demo_db, admin, "aiko", "Aiko")
    add_user(demo_db, admin, "bunta", "Bunta")
    (request,) = open_requests(demo_db, as_user("tanaka"), [stage("Check", "aiko")], 1)
    until = TODAY + timedelta(days=6)

    app = console("aiko")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, ProfileScreen)
        who = str(app.screen.query_one("#who", Static).render())
        assert who.startswith("aiko  Aiko") and "Teams  none" in who

        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AwayDialog)
        assert dialog.query_one("#field-from", Input).value == TODAY.isoformat()
        await type_text(pilot, until.isoformat())
        await pilot.press("ctrl+s")  # nobody chosen yet: refused in place
        await settle(pilot)
        assert app.screen is dialog
        assert "choose who decides" in str(dialog.query_one("#outcome", Static).render())
        assert until.isoformat() in (workspace_of(dialog).drafts.get(AWAY_DRAFT) or "")
        await pilot.press("enter")  # to the delegate field
        await pilot.press("enter")  # opens the list
        await settle(pilot)
        assert isinstance(app.screen, PickOne)
        logins = [value for value, _ in app.screen.choices]
        assert "aiko" not in logins
        app.screen.query_one(OptionList).highlighted = logins.index("bunta")
        await pilot.press("enter")  # picked; the cursor stays on the field
        await settle(pilot)
        assert isinstance(app.screen, AwayDialog)
        await pilot.press("enter")  # on the last field: saved
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen), 10, settled=True)
        lines = [str(o.prompt) for o in app.screen.query_one(OptionList).options if not o.disabled]
        assert any("in force" in line and "bunta" in line for line in lines), lines
        assert workspace_of(app.screen).drafts.get(AWAY_DRAFT) is None

    (made,) = [d for d in list_delegations(demo_db, as_user("aiko").actor, TODAY)]
    assert (made.to_login, made.starts_on, made.ends_on) == ("bunta", TODAY, until)

    app = console("bunta", undo_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await rest(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        status = str(screen.query_one("#status", Static).render())
        assert f"also deciding for aiko until {until:%m-%d}" in status
        assert screen.current_row is not None and screen.current_row.id == request
        await pilot.press("a")

        def decided() -> bool:
            with demo_db.read() as session:
                return (
                    session.scalar(
                        select(ApprovalDecision.id).where(
                            ApprovalDecision.request_id == request,
                            ApprovalDecision.action == "approve",
                        )
                    )
                    is not None
                )

        await wait_until(pilot, decided, 10, settled=True)

    with demo_db.read() as session:
        decision = session.scalars(
            select(ApprovalDecision).where(
                ApprovalDecision.request_id == request, ApprovalDecision.action == "approve"
            )
        ).one()
        assert decision.actor_id == user_id(demo_db, "bunta")
        assert decision.on_behalf_of_id == user_id(demo_db, "aiko")
        # on the timeline too: the delegate acted, for the delegator
        summaries = session.scalars(
            select(Event.summary).where(
                Event.entity == "approval_request",
                Event.entity_id == request,
                Event.actor_name == "bunta",
                Event.on_behalf_of_id == user_id(demo_db, "aiko"),
            )
        ).all()
        assert summaries == ["bunta approved 'Discount' at stage 'Check' for aiko"]


async def test_the_detail_shows_a_decision_taken_for_someone(
    console: MakeApp, demo_db: Database, as_user: AsUser
) -> None:
    """Two stages: the delegate decides the first for the delegator; the
    second approver reads "bunta for aiko approved" in the inbox detail."""
    admin = resolve_actor_for(demo_db, "admin-ito")
    for login in ("aiko", "bunta", "chika"):
        add_user(demo_db, admin, login, login.capitalize())
    route = [stage("First", "aiko"), stage("Second", "chika")]
    (request,) = open_requests(demo_db, as_user("tanaka"), route, 1)
    add_delegation(as_user("aiko"), to_login="bunta", starts_on=TODAY, ends_on=TODAY)
    approvals.approve(as_user("bunta"), request)
    app = console("chika")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await rest(pilot)
        detail = str(app.screen.query_one(ApprovalDetail).body.render())
        assert "bunta for aiko approved at stage 1" in detail, detail


async def test_end_a_delegation_from_the_profile(console: MakeApp, demo_db: Database) -> None:
    app = console("sato")  # away this week: the demo's delegation to kobayashi
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ProfileScreen())
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        highlighted = options.get_option_at_index(options.highlighted or 0)
        assert "kobayashi" in str(highlighted.prompt) and "in force" in str(highlighted.prompt)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: "ended early" in str(app.screen.query_one(OptionList).options[1].prompt),
            10,
            settled=True,
        )
    sato = resolve_actor_for(demo_db, "sato")
    (row,) = [d for d in list_delegations(demo_db, sato, TODAY) if d.to_login == "kobayashi"]
    assert row.state == "past" and row.ended_at is not None


async def test_the_delegate_cannot_end_it(console: MakeApp, demo_db: Database) -> None:
    app = console("kobayashi")
    log = MessageLog()
    async with app.run_test(size=(80, 24), message_hook=log.hook) as pilot:
        await settle(pilot)
        app.push_screen(ProfileScreen())
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        index = next(i for i, o in enumerate(options.options) if "sato" in str(o.prompt))
        options.highlighted = index
        await pilot.press("x", "y")
        await settle(pilot)
        notes = log.notifications
        assert any("only sato or an admin can end" in n for n in notes), notes


@pytest.mark.usefixtures("utc_clock")
def test_snapshot_of_the_profile(  # type: ignore[no-untyped-def]
    snap_compare, pinned_console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = pinned_console("sato", theme="dark")

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProfileScreen)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.usefixtures("utc_clock")
def test_snapshot_of_the_away_dialog(  # type: ignore[no-untyped-def]
    snap_compare, pinned_console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = pinned_console("kimura", theme="dark")

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("p")  # from home
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "2026-11-27")
        assert isinstance(pilot.app.screen, AwayDialog)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
