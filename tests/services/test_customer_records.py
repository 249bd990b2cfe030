"""Adding and editing customers: checked values, unique codes, versioned
edits, who may, and the events they leave on the customer's timeline."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backoffice_tui.services.context import Context
from backoffice_tui.services.customers.records import (
    CustomerChanges,
    NewCustomer,
    add_customer,
    edit_customer,
)
from backoffice_tui.services.customers.search import customer_detail, list_customers
from backoffice_tui.services.customers.timeline import customer_timeline
from backoffice_tui.services.imports import RecordKind
from backoffice_tui.services.people.users import add_user
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Customer, Event, User
from tests.conftest import resolve_actor_for
from tests.io.files import write_csv
from tests.services.test_imports import apply

AsUser = Callable[[str], Context]


def test_add_a_customer(demo_db: Database, as_user: AsUser) -> None:
    saved = add_customer(
        as_user("kimura"),
        NewCustomer(
            code="  N0001 ",
            name=" 新しい商事 ",
            reading="アタラシイショウジ",
            segment="enterprise",
            notes="first line\nsecond line",
            attributes={"Region": "Kansai", "Rank": "A"},
        ),
    )
    assert (saved.code, saved.version) == ("N0001", 1)
    detail = customer_detail(demo_db, "N0001")
    c = detail.customer
    assert (c.name, c.reading, c.segment) == ("新しい商事", "アタラシイショウジ", "enterprise")
    assert detail.notes == "first line\nsecond line"
    assert detail.attributes == {"Region": "Kansai", "Rank": "A"}
    assert detail.version == 1
    # found by code, reading (any kana) and attribute value, like imported ones
    for text in ("n0001", "あたらしい", "kansai"):
        assert "N0001" in {r.code for r in list_customers(demo_db, text)}, text
    [event] = customer_timeline(demo_db, "N0001")
    assert event.kind == "customer.created" and event.actor == "kimura"
    assert "N0001" in event.summary and "新しい商事" in event.summary


def test_a_code_is_unique(demo_db: Database, as_user: AsUser) -> None:
    with pytest.raises(Conflict, match="customer C0001 already exists"):
        add_customer(as_user("kimura"), NewCustomer("C0001", "Another"))
    add_customer(as_user("kimura"), NewCustomer("N0002", "Two"))
    with pytest.raises(Conflict, match="N0002 already exists"):
        edit_customer(as_user("kimura"), "C0001", CustomerChanges(code="N0002"))


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewCustomer("N1", "   "), "needs a name"),
        (NewCustomer(" ", "Name"), "needs a code"),
        (NewCustomer("N1", "x" * 301), "at most 300"),
        (NewCustomer("N" * 65, "Name"), "at most 64"),
        (NewCustomer("N1", "Name", segment="s" * 65), "at most 64"),
        (NewCustomer("N\x1b[31m1", "Name"), "control characters"),
        (NewCustomer("N1", "Name", attributes={" ": "x"}), "attribute needs a name"),
    ],
)
def test_bad_values_are_refused_in_one_line(
    demo_db: Database, as_user: AsUser, new: NewCustomer, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        add_customer(as_user("kimura"), new)
    assert "\n" not in str(refused.value)
    assert all(r.code != "N1" for r in list_customers(demo_db, "N1"))


def test_edit_changes_fields_bumps_the_version_and_records_old_and_new(
    demo_db: Database, as_user: AsUser
) -> None:
    before = customer_detail(demo_db, "C0006")
    saved = edit_customer(
        as_user("sato"),
        "C0006",
        CustomerChanges(name="Renamed KK", segment="smb", set_attributes={"Region": "Tohoku"}),
        expected_version=before.version,
    )
    assert saved.version == before.version + 1
    assert saved.changed == ("name", "segment", "attributes")
    after = customer_detail(demo_db, "C0006")
    assert (after.customer.name, after.customer.segment) == ("Renamed KK", "smb")
    assert after.attributes == {"Region": "Tohoku"} and after.version == saved.version
    assert "C0006" in {r.code for r in list_customers(demo_db, "renamed")}
    assert "C0006" in {r.code for r in list_customers(demo_db, "tohoku")}
    assert "C0006" not in {r.code for r in list_customers(demo_db, before.customer.name)}
    newest = customer_timeline(demo_db, "C0006", newest_first=True)[0]
    assert newest.kind == "customer.edited" and newest.actor == "sato"
    assert "name, segment, attribute Region" in newest.summary
    with demo_db.read() as session:
        payload = session.get_one(Event, newest.id).payload
    assert payload["version"] == saved.version
    assert payload["changes"]["name"] == {"old": before.customer.name, "new": "Renamed KK"}

    edit_customer(as_user("sato"), "C0006", CustomerChanges(remove_attributes=["Region"]))
    assert customer_detail(demo_db, "C0006").attributes == {}
    with pytest.raises(InvalidInput, match="no attribute 'Region'"):
        edit_customer(as_user("sato"), "C0006", CustomerChanges(remove_attributes=["Region"]))
    with pytest.raises(InvalidInput, match="nothing to save"):
        edit_customer(as_user("sato"), "C0006", CustomerChanges(name="Renamed KK"))
    with pytest.raises(InvalidInput, match="needs a name"):
        edit_customer(as_user("sato"), "C0006", CustomerChanges(name=" "))
    with pytest.raises(NotFound):
        edit_customer(as_user("sato"), "nope", CustomerChanges(name="x"))


def test_a_new_code_keeps_the_customers_timeline(demo_db: Database, as_user: AsUser) -> None:
    events = len(customer_timeline(demo_db, "C0006"))
    edit_customer(as_user("kimura"), "C0006", CustomerChanges(code="C9006"), expected_version=1)
    with pytest.raises(NotFound):
        customer_detail(demo_db, "C0006")
    timeline = customer_timeline(demo_db, "C9006")
    assert len(timeline) == events + 1
    assert "code (C0006 -> C9006)" in timeline[-1].summary
    assert "C9006" in {r.code for r in list_customers(demo_db, "c9006")}


def test_a_stale_edit_is_refused_with_what_changed(demo_db: Database, as_user: AsUser) -> None:
    seen = customer_detail(demo_db, "C0004").version
    edit_customer(as_user("sato"), "C0004", CustomerChanges(name="Sato's name"), seen)
    with pytest.raises(Conflict) as refused:
        edit_customer(as_user("kimura"), "C0004", CustomerChanges(segment="smb"), seen)
    message = str(refused.value)
    assert message.startswith("customer C0004 was changed by sato at ")
    assert 'name is now "Sato\'s name"' in message
    assert "reload and edit again" in message and "\n" not in message
    current = customer_detail(demo_db, "C0004")
    assert current.customer.segment != "smb" and current.version == seen + 1
    # with the version now seen, the edit goes through
    edit_customer(as_user("kimura"), "C0004", CustomerChanges(segment="smb"), current.version)
    assert customer_detail(demo_db, "C0004").customer.segment == "smb"


def test_only_active_team_members_add_and_edit(demo_db: Database, as_user: AsUser) -> None:
    admin = resolve_actor_for(demo_db, "admin-ito")
    add_user(demo_db, admin, "loner", "No Team")
    loner = as_user("loner")
    with pytest.raises(PermissionDenied, match="loner is in no team"):
        add_customer(loner, NewCustomer("N0003", "Three"))
    with pytest.raises(PermissionDenied, match="in no team"):
        edit_customer(loner, "C0001", CustomerChanges(name="x"))
    assert all(r.code != "N0003" for r in list_customers(demo_db, "N0003"))

    tanaka = as_user("tanaka")  # an operator of one team
    add_customer(tanaka, NewCustomer("N0003", "Three"))
    with demo_db.write() as session:
        session.scalars(select(User).where(User.login == "tanaka")).one().active = False
    with pytest.raises(PermissionDenied, match="not an active user"):
        edit_customer(tanaka, "N0003", CustomerChanges(name="x"))
    with demo_db.read() as session:
        customer = session.scalars(select(Customer).where(Customer.code == "N0003")).one()
        assert (customer.name, customer.version) == ("Three", 1)


def test_an_import_between_opening_and_saving_makes_the_edit_stale(
    demo_db: Database, as_user: AsUser, tmp_path: Path
) -> None:
    seen = customer_detail(demo_db, "C0004").version
    path = write_csv(tmp_path / "c.csv", [["code", "name"], ["C0004", "Imported name"]])
    assert apply(as_user("admin-ito"), path, RecordKind.CUSTOMERS).updated == 1
    assert customer_detail(demo_db, "C0004").version == seen + 1
    with pytest.raises(Conflict, match="reload and edit again"):
        edit_customer(as_user("kimura"), "C0004", CustomerChanges(segment="smb"), seen)
