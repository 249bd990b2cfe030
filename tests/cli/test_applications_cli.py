"""``backoffice applications`` against a real database, on SQLite and PostgreSQL."""

from pathlib import Path

from backoffice_tui.cli.commands.applications import applications
from backoffice_tui.cli.main import cli
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from tests.cli.support import as_operator, assert_usage_error, fails, invoke, ok, ok_json
from tests.conftest import resolve_actor_for

if "applications" not in cli.commands:
    cli.add_command(applications)

KIND_FILE = sample_data_dir() / "application_kinds" / "staff-id-reissue.toml"
FIELDS = [
    "--field", "employee_number=E50001",
    "--field", "reason=lost",
    "--field", "incident_date=2026/11/18",
    "--field", "name_on_card=[bold]Priya[/bold] Sharma",
    "--field", "pickup_office=Osaka branch",
]  # fmt: skip


def load_kind(url: str) -> None:
    ok(*as_operator(url, "admin-ito"), "applications", "load")


def test_kinds_load_and_list(demo_url: str, tmp_path: Path) -> None:
    admin = as_operator(demo_url, "admin-ito")
    loaded = ok_json(*admin, "applications", "load", str(KIND_FILE))
    assert [(r["code"], r["version"]) for r in loaded] == [("staff-id-reissue", 1)]
    said = ok(*admin, "applications", "load").stdout
    assert said == "staff-id-reissue version 1: unchanged\n"
    [kind] = ok_json(*admin, "applications", "kinds")
    assert (kind["code"], kind["name"], kind["version"]) == (
        "staff-id-reissue",
        "Staff ID card re-issue",
        1,
    )
    assert [f["key"] for f in kind["fields"]][:2] == ["employee_number", "reason"]
    assert kind["fields"][1]["choices"] == ["lost", "damaged", "name change", "expired"]
    assert [s["approvers"] for s in kind["route"]] == [
        ["lead@general-affairs"],
        ["approver@general-affairs"],
    ]
    table = ok(*admin, "applications", "kinds").stdout
    assert table.split()[:6] == ["KIND", "NAME", "VERSION", "FIELDS", "STAGES", "LOADED"]
    fails(
        *as_operator(demo_url, "kimura"),
        "applications",
        "load",
        contains="only an admin can load application kinds",
    )
    broken = tmp_path / "broken.toml"
    broken.write_text('kind = "x"\nname = "X"\n', encoding="utf-8")
    fails(*admin, "applications", "load", str(broken), contains="at least one [[fields]] entry")


def test_file_follow_correct_and_withdraw(demo_url: str) -> None:
    load_kind(demo_url)
    priya, mori = as_operator(demo_url, "priya"), as_operator(demo_url, "mori")
    filed = ok_json(*priya, "applications", "file", "staff-id-reissue", *FIELDS)
    application_id = str(filed["id"])
    assert filed["state"] == "pending" and filed["waiting_on"] == "Line manager: mori"
    assert [s["name"] for s in filed["route"]] == ["Line manager", "ID card desk"]
    mine = ok_json(*priya, "applications", "list")
    assert [(r["id"], r["state"]) for r in mine] == [(filed["id"], "pending")]
    table = ok(*priya, "applications", "list").stdout
    assert table.split()[:6] == ["ID", "KIND", "STATE", "WAITING", "ON", "FILED"]

    shown = ok(*priya, "applications", "show", application_id).stdout
    assert "state: pending" in shown and "waiting on: Line manager: mori" in shown
    assert "[bold]Priya[/bold] Sharma" in shown  # plain text, never markup
    assert "priya filed it" in shown

    send_back(demo_url, filed["approval_request"])
    shown = ok_json(*priya, "applications", "show", application_id)
    assert shown["state"] == "sent_back" and "resubmit" in shown["can"]

    fails(
        *mori,
        "applications",
        "resubmit",
        application_id,
        "--field",
        "copies=1",
        contains="only the applicant (priya) can resubmit",
    )
    fails(
        *priya,
        "applications",
        "resubmit",
        application_id,
        "--field",
        "incident_date=someday",
        contains="incident_date: not a date",
    )
    said = ok(
        *priya,
        "applications",
        "resubmit",
        application_id,
        "--field",
        "copies=1",
        "--comment",
        "Added the number of cards",
    ).stdout
    assert said == f"application {application_id} resubmitted; waiting on Line manager: mori\n"

    fails(*mori, "applications", "withdraw", application_id, contains="only the applicant")
    said = ok(*priya, "applications", "withdraw", application_id, "--comment", "Found it").stdout
    assert said == f"application {application_id} withdrawn; now withdrawn\n"
    fails(
        *priya,
        "applications",
        "withdraw",
        application_id,
        contains=f"application {application_id} is already withdrawn",
    )


def send_back(url: str, request_id: int) -> None:
    """Mori sends the request back to its requester (through the services:
    the approvals commands are another group's)."""
    db = open_database(url)
    try:
        ctx = Context(db, resolve_actor_for(db, "mori"))
        approvals.send_back(ctx, request_id, "Say how many cards")
    finally:
        db.dispose()


def test_bad_forms_and_unknown_things_are_one_line(demo_url: str) -> None:
    load_kind(demo_url)
    priya = as_operator(demo_url, "priya")
    fails(*priya, "applications", "file", "car-park", *FIELDS, contains="no application kind")
    fails(
        *priya,
        "applications",
        "file",
        "staff-id-reissue",
        "--field",
        "reason=stolen",
        contains="employee_number: required (Employee number); reason: must be one of lost",
    )
    fails(
        *priya,
        "applications",
        "file",
        "staff-id-reissue",
        *FIELDS,
        "--field",
        "colour=blue",
        contains="colour: staff-id-reissue has no such field",
    )
    assert ok_json(*priya, "applications", "list") == []
    fails(*priya, "applications", "show", "999999", contains="no application 999999")
    assert_usage_error(
        invoke(*priya, "applications", "file", "staff-id-reissue", "--field", "reason")
    )
    assert_usage_error(
        invoke(
            *priya,
            "applications",
            "file",
            "staff-id-reissue",
            "--field",
            "reason=lost",
            "--field",
            "reason=damaged",
        )
    )


def test_others_cannot_read_an_application(demo_url: str) -> None:
    load_kind(demo_url)
    filed = ok_json(
        *as_operator(demo_url, "priya"), "applications", "file", "staff-id-reissue", *FIELDS
    )
    fails(
        *as_operator(demo_url, "david"),
        "applications",
        "show",
        str(filed["id"]),
        contains="david may not read application",
    )
    seen = ok_json(*as_operator(demo_url, "mori"), "applications", "show", str(filed["id"]))
    assert seen["applicant"] == "priya" and seen["can"] == []
