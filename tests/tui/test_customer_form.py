"""The customer form: n on the customer search adds one, e on a customer
edits it; drafts, a stale edit and refusals, and one picture at 80x24."""

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.records import CustomerChanges, edit_customer
from backoffice_tui.services.customers.search import customer_detail
from backoffice_tui.services.people.users import add_user
from backoffice_tui.store.database import Database
from backoffice_tui.tui.app import BackofficeApp
from backoffice_tui.tui.screens.customer import CustomerScreen
from backoffice_tui.tui.screens.customer_form import CustomerForm, LeaveForm, form_draft
from backoffice_tui.tui.screens.customers import CustomerSearchScreen
from backoffice_tui.tui.widgets.timeline_table import TimelineTable
from tests.conftest import resolve_actor_for
from tests.helpers import type_text
from tests.tui.conftest import MakeApp, settle

SIZE = (100, 30)


def form_of(app: BackofficeApp) -> CustomerForm:
    assert isinstance(app.screen, CustomerForm), app.screen
    return app.screen


def field(app: BackofficeApp, name: str) -> str:
    editor = form_of(app).query_one(f"#field-{name}")
    return (
        editor.text
        if isinstance(editor, TextArea)
        else app.screen.query_one(f"#field-{name}", Input).value
    )


def outcome(app: BackofficeApp) -> str:
    return str(form_of(app).query_one("#outcome", Static).content)


def facts(app: BackofficeApp) -> str:
    assert isinstance(app.screen, CustomerScreen), app.screen
    return str(app.screen.query_one("#facts", Static).content)


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def replace_text(pilot: Pilot[object], text: str) -> None:
    """Replace what the focused input holds."""
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def open_customer(pilot: Pilot[object], code: str) -> None:
    await press(pilot, "4")
    await type_text(pilot, code)
    await settle(pilot)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, CustomerScreen)


async def test_n_adds_a_customer_and_opens_it(console: MakeApp, demo_db: Database) -> None:
    app = console("kimura")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        assert isinstance(app.screen, CustomerSearchScreen)
        await press(pilot, "down", "n")  # from the results; ctrl+n from the search box
        assert form_of(app).focused is form_of(app).query_one("#field-code")
        await type_text(pilot, "N0500")
        await pilot.press("tab")
        await type_text(pilot, "[bold]x")
        await pilot.press("tab")
        await type_text(pilot, "エックス")
        await pilot.press("tab")
        await type_text(pilot, "smb")
        await pilot.press("tab")
        await type_text(pilot, "first")
        await pilot.press("enter")
        await type_text(pilot, "second")
        await pilot.press("tab")
        await type_text(pilot, "Region = Kansai")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CustomerScreen) and app.screen.code == "N0500"
        shown = facts(app)
        assert "N0500  [bold]x (エックス)  | smb" in shown and "first second" in shown
        assert app.screen.query_one(TimelineTable).current_row.kind == "customer.created"
    detail = customer_detail(demo_db, "N0500")
    assert detail.customer.name == "[bold]x" and detail.attributes == {"Region": "Kansai"}
    assert app.workspace.drafts.get(form_draft(None)) is None


async def test_e_edits_the_customer_and_the_screen_reloads(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_customer(pilot, "C0006")
        await press(pilot, "e")
        assert field(app, "code") == "C0006"
        assert form_of(app).focused is form_of(app).query_one("#field-name")
        await replace_text(pilot, "Edited [red]KK[/]")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CustomerScreen)
        assert "C0006  Edited [red]KK[/]" in facts(app)
        await press(pilot, "home")  # the newest event
        assert app.screen.query_one(TimelineTable).current_row.kind == "customer.edited"
        await press(pilot, "e", "ctrl+s")  # nothing changed: said, not saved
        assert "nothing changed" in outcome(app)
        await press(pilot, "escape")  # nothing typed: closes at once
        assert isinstance(app.screen, CustomerScreen)
    assert customer_detail(demo_db, "C0006").version == 2


async def test_a_stale_edit_is_refused_and_keeps_what_was_typed(
    console: MakeApp, demo_db: Database
) -> None:
    app = console("kimura")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_customer(pilot, "C0006")
        await press(pilot, "e")
        await replace_text(pilot, "Kimura's name")
        sato = Context(demo_db, resolve_actor_for(demo_db, "sato"))
        edit_customer(sato, "C0006", CustomerChanges(segment="public"), expected_version=1)
        await press(pilot, "ctrl+s")
        said = outcome(app)
        assert said.startswith("not saved: customer C0006 was changed by sato at ")
        assert "segment is now 'public'" in said
        assert field(app, "name") == "Kimura's name"
        # closed keeping a draft, opened again on the reloaded customer: saves
        await press(pilot, "escape")
        assert isinstance(app.screen, LeaveForm)
        await press(pilot, "y")
        assert isinstance(app.screen, CustomerScreen)
        await press(pilot, "e")
        assert field(app, "name") == "Kimura's name" and field(app, "segment") == "public"
        assert "your unsaved changes are back" in outcome(app)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CustomerScreen)
    current = customer_detail(demo_db, "C0006")
    assert (current.customer.name, current.customer.segment) == ("Kimura's name", "public")
    assert app.workspace.drafts.get(form_draft("C0006")) is None


async def test_a_new_customers_draft_is_offered_again_or_dropped(console: MakeApp) -> None:
    app = console("kimura")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4", "ctrl+n")
        await type_text(pilot, "N0600")
        await pilot.press("tab")
        await type_text(pilot, "Half typed")
        await press(pilot, "escape")
        await press(pilot, "n")  # go on editing
        assert field(app, "name") == "Half typed"
        await press(pilot, "escape", "y")
        assert isinstance(app.screen, CustomerSearchScreen)
        await press(pilot, "ctrl+n")
        assert (field(app, "code"), field(app, "name")) == ("N0600", "Half typed")
        await press(pilot, "escape", "d")
        await press(pilot, "ctrl+n")
        assert (field(app, "code"), field(app, "name")) == ("", "")
        assert app.workspace.drafts.get(form_draft(None)) is None


async def test_bad_input_and_refusals_keep_the_form_open(
    console: MakeApp, demo_db: Database
) -> None:
    add_user(demo_db, resolve_actor_for(demo_db, "admin-ito"), "loner", "No Team")
    app = console("loner")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "4", "ctrl+n", "ctrl+s")
        assert outcome(app) == "not saved: a customer needs a code"
        await type_text(pilot, "C0001")
        await pilot.press("tab")
        await type_text(pilot, "Taken")
        await pilot.press("tab", "tab", "tab", "tab")
        await type_text(pilot, "no equals sign")
        await press(pilot, "ctrl+s")
        assert outcome(app) == "not saved: attributes line 1 is not 'key = value': no equals sign"
        await pilot.press("ctrl+u")  # TextArea: delete to the line start
        await type_text(pilot, "a = b")
        await press(pilot, "ctrl+s")
        assert "loner is in no team" in outcome(app)
        assert field(app, "name") == "Taken"


@pytest.mark.usefixtures("utc_clock")
def test_form_snapshot(snap_compare, pinned_console, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = pinned_console("kimura", theme="dark")

    async def arrive(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await open_customer(pilot, "C0006")
        await press(pilot, "e")
        assert isinstance(pilot.app.screen, CustomerForm)

    assert snap_compare(app, terminal_size=(80, 24), run_before=arrive)


@pytest.mark.usefixtures("utc_clock")
def test_leave_form_snapshot(snap_compare, pinned_console, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = pinned_console("kimura", theme="dark")

    async def arrive(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await open_customer(pilot, "C0006")
        await press(pilot, "e")
        await type_text(pilot, " KK")
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, LeaveForm)

    assert snap_compare(app, terminal_size=(80, 24), run_before=arrive)
