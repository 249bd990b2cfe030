"""The applications screen and its form, key by key, against a real database."""

import json
import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from backoffice_tui.demo.applications import load_demo_applications
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.applications import actions as applications
from backoffice_tui.services.applications.kinds import load_kinds
from backoffice_tui.services.applications.read import application_detail, my_applications
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.application_form import ApplicationForm
from backoffice_tui.tui.screens.applications import ApplicationsScreen
from backoffice_tui.tui.screens.dialogs import Confirm, PickOne
from backoffice_tui.tui.widgets.choice_field import ChoiceField
from tests.conftest import resolve_actor_for
from tests.helpers import MessageLog, type_text, wait_until
from tests.tui.conftest import SNAPSHOT_DAY, MakeApp, settle

SIZE = (100, 34)
KIND = "staff-id-reissue"
FIELDS = {
    "employee_number": "E60001",
    "reason": "damaged",
    "name_on_card": "Priya Sharma",
    "pickup_office": "Fukuoka branch",
}


def ctx(db: Database, login: str) -> Context:
    return Context(db, resolve_actor_for(db, login))


@pytest.fixture
def kind_loaded(demo_db: Database) -> Database:
    load_kinds(demo_db, ctx(demo_db, "admin-ito").actor, sample_data_dir() / "application_kinds")
    return demo_db


async def open_applications(pilot: Pilot[None], app: BackofficeApp) -> ApplicationsScreen:
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)
    assert isinstance(app.screen, ApplicationsScreen)
    return app.screen


def row_ids(screen: ApplicationsScreen) -> list[str | None]:
    options = screen.query_one(OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


def pane(screen: ApplicationsScreen) -> str:
    return str(screen.query_one("#detail", Static).content)


async def pick(pilot: Pilot[None], app: BackofficeApp, value: str) -> None:
    """In the open PickOne, move to ``value`` and take it."""
    assert isinstance(app.screen, PickOne)
    options = app.screen.query_one(OptionList)
    for _ in range(options.option_count + 1):
        if options.highlighted_option is not None and options.highlighted_option.id == value:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


def problem(form: ApplicationForm, key: str) -> str:
    line = form.query_one(f"#problem-{key}", Static)
    return str(line.content) if line.has_class("-shown") else ""


def outcome(form: ApplicationForm) -> str:
    return str(form.query_one("#outcome", Static).content)


async def new_form(pilot: Pilot[None], app: BackofficeApp) -> ApplicationForm:
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, PickOne)
    await pilot.press("enter")  # the one kind there is
    await settle(pilot)
    assert isinstance(app.screen, ApplicationForm)
    return app.screen


# --- filing ------------------------------------------------------------------------------


async def test_file_one_through_the_form(console: MakeApp, kind_loaded: Database) -> None:
    app = console("priya")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_applications(pilot, app)
        assert row_ids(screen) == []
        assert "You have filed no applications" in pane(screen)
        form = await new_form(pilot, app)
        assert form.focused is form.query_one("#field-employee_number", Input)

        await type_text(pilot, "E60001")
        await pilot.press("enter")  # the next field: the reason, a choice
        assert isinstance(form.focused, ChoiceField)
        await pilot.press("enter")
        await pick(pilot, app, "damaged")
        # choosing does not move on by itself: enter does, as in every field
        assert form.focused is form.query_one("#field-reason", ChoiceField)
        await pilot.press("enter")
        await type_text(pilot, "令和8年11月20日")  # the date, as people write it
        await pilot.press("enter")
        await type_text(pilot, "Priya Sharma")
        await pilot.press("enter", "enter")
        await pick(pilot, app, "Fukuoka branch")
        await pilot.press("enter")
        assert form.focused is form.query_one("#field-copies", Input)
        await type_text(pilot, "1")
        await pilot.press("enter")  # on the last field: save
        await settle(pilot)

        assert app.screen is screen
        [row] = my_applications(kind_loaded, resolve_actor_for(kind_loaded, "priya"))
        assert row_ids(screen) == [str(row.id)]
        assert f"application {row.id} filed" in log.notifications
        text = pane(screen)
        assert f"Application {row.id}" in text and "waiting on Line manager: mori" in text
        assert "2026-11-20" in text and "Fukuoka branch" in text and "priya filed it" in text
        assert app.workspace.drafts.get(f"application-new:{KIND}") is None


async def test_a_bad_value_is_shown_inline_and_nothing_is_lost(
    console: MakeApp, kind_loaded: Database
) -> None:
    app = console("priya")
    async with app.run_test(size=SIZE) as pilot:
        await open_applications(pilot, app)
        form = await new_form(pilot, app)
        await type_text(pilot, "E60002")
        form.query_one("#field-incident_date", Input).focus()
        await type_text(pilot, "31/11/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert app.screen is form  # not saved, still open
        assert problem(form, "incident_date").startswith("not a date (use 2026-04-01")
        assert problem(form, "reason") == "required (Reason for re-issue)"
        assert problem(form, "employee_number") == ""
        assert "4 fields to put right before saving" in outcome(form)
        assert form.values()["employee_number"] == "E60002"
        assert form.values()["incident_date"] == "31/11/2026"
        assert form.focused is form.query_one("#field-reason", ChoiceField)
        draft = json.loads(app.workspace.drafts.get(f"application-new:{KIND}") or "{}")
        assert draft["incident_date"] == "31/11/2026"

        # escape asks before throwing the typing away; n keeps it
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and form.values()["employee_number"] == "E60002"
        assert my_applications(kind_loaded, resolve_actor_for(kind_loaded, "priya")) == []


async def test_a_draft_comes_back_after_the_console_was_closed(
    console: MakeApp, kind_loaded: Database
) -> None:
    app = console("priya")
    async with app.run_test(size=SIZE) as pilot:
        await open_applications(pilot, app)
        await new_form(pilot, app)
        await type_text(pilot, "E60003")
        await settle(pilot)
    again = console("priya")
    async with again.run_test(size=SIZE) as pilot:
        await open_applications(pilot, again)
        form = await new_form(pilot, again)
        assert form.values()["employee_number"] == "E60003"
        assert "your unsaved values are back" in outcome(form)


async def test_database_text_is_shown_as_typed(console: MakeApp, kind_loaded: Database) -> None:
    fields = FIELDS | {"name_on_card": "[bold]x", "employee_number": "E6\x1b[31m"}
    applications.file_application(ctx(kind_loaded, "priya"), KIND, fields)
    app = console("priya")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_applications(pilot, app)
        text = pane(screen)
        assert "[bold]x" in text
        assert "E6\u241b[31m" in text and "\x1b" not in text


# --- correcting and withdrawing ----------------------------------------------------------------


async def test_resubmit_a_sent_back_one_with_the_form_prefilled(
    console: MakeApp, kind_loaded: Database
) -> None:
    application_id = applications.file_application(ctx(kind_loaded, "priya"), KIND, FIELDS)
    priya = resolve_actor_for(kind_loaded, "priya")
    request_id = application_detail(kind_loaded, priya, application_id).request.id
    approvals.send_back(ctx(kind_loaded, "mori"), request_id, "Which office?")
    app = console("priya")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_applications(pilot, app)
        assert "sent back: e corrects and resubmits it" in pane(screen)
        assert "Which office?" in pane(screen)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ApplicationForm)
        assert form.values()["employee_number"] == "E60001"
        assert form.values()["pickup_office"] == "Fukuoka branch"
        form.query_one("#field-comment", Input).focus()
        await type_text(pilot, "Osaka after all")
        form.query_one("#field-pickup_office", ChoiceField).focus()
        await pilot.press("space")  # another choice (enter would move on)
        await pick(pilot, app, "Osaka branch")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert f"application {application_id} resubmitted" in log.notifications
        detail = application_detail(kind_loaded, priya, application_id)
        assert detail.state == "pending" and detail.value("pickup_office") == "Osaka branch"
        assert detail.history[-1].comment == "Osaka after all"
        assert "waiting on Line manager: mori" in pane(screen)


async def test_a_refused_save_keeps_the_form_and_says_why(
    console: MakeApp, kind_loaded: Database
) -> None:
    application_id = applications.file_application(ctx(kind_loaded, "priya"), KIND, FIELDS)
    priya = resolve_actor_for(kind_loaded, "priya")
    request_id = application_detail(kind_loaded, priya, application_id).request.id
    approvals.send_back(ctx(kind_loaded, "mori"), request_id, "Which office?")
    app = console("priya")
    async with app.run_test(size=SIZE) as pilot:
        await open_applications(pilot, app)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ApplicationForm)
        form.query_one("#field-employee_number", Input).value = "E60009"
        applications.withdraw(ctx(kind_loaded, "priya"), application_id)  # another session
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "not saved: " in outcome(form) and "was changed by someone else" in outcome(form)
        assert form.values()["employee_number"] == "E60009"


async def test_withdraw_asks_first_and_only_open_ones(
    console: MakeApp, kind_loaded: Database
) -> None:
    application_id = applications.file_application(ctx(kind_loaded, "priya"), KIND, FIELDS)
    app = console("priya")
    log = MessageLog()
    async with app.run_test(size=SIZE, message_hook=log.hook) as pilot:
        screen = await open_applications(pilot, app)
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen
        assert "only one sent back to you can be resubmitted" in log.notifications[-1]
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert "pending" in pane(screen)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert f"application {application_id} withdrawn" in log.notifications
        assert "withdrawn" in pane(screen)
        await pilot.press("w")
        await settle(pilot)
        assert app.screen is screen  # nothing to confirm any more
        assert "only an open one can be withdrawn" in log.notifications[-1]


async def test_an_approval_elsewhere_shows_without_a_key(
    console: MakeApp, kind_loaded: Database
) -> None:
    application_id = applications.file_application(ctx(kind_loaded, "priya"), KIND, FIELDS)
    priya = resolve_actor_for(kind_loaded, "priya")
    request_id = application_detail(kind_loaded, priya, application_id).request.id
    app = console("priya")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_applications(pilot, app)
        assert "waiting on Line manager: mori" in pane(screen)
        approvals.approve(ctx(kind_loaded, "mori"), request_id)  # another client
        await wait_until(pilot, lambda: "waiting on ID card desk: ishikawa" in pane(screen), 10)
        assert "mori approved at 'Line manager'" in pane(screen)


# --- the picture ---------------------------------------------------------------------------


@pytest.fixture
def pinned_with_applications(pinned_demo_file: Path, tmp_path: Path) -> Path:
    """The pinned demo with its applications (loaded here until load_demo does)."""
    path = tmp_path / "demo.db"
    shutil.copyfile(pinned_demo_file, path)
    db = open_database(f"sqlite:///{path}")
    try:
        if not my_applications(db, resolve_actor_for(db, "kimura")):
            people = ["yamamoto", "emily", "matsumoto", "ryan", "kimura", "olivia", "mori"]
            actors = {login: resolve_actor_for(db, login) for login in [*people, "ishikawa"]}
            load_demo_applications(db, actors, None, SNAPSHOT_DAY)
    finally:
        db.dispose()
    return path


def test_applications_snapshot(snap_compare, pinned_console, pinned_with_applications) -> None:  # type: ignore[no-untyped-def]
    app = pinned_console("kimura")

    async def arrive(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=arrive)
