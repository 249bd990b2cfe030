"""``backoffice approvals`` and ``backoffice rules run`` against a real
database, on SQLite and PostgreSQL. The requests each test relies on are
opened through the services, so that the demo data may grow."""

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice_tui.cli.commands.approvals import approvals
from backoffice_tui.cli.commands.rules import rules
from backoffice_tui.cli.main import cli
from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.services.approvals import actions as approval_actions
from backoffice_tui.services.connection import open_database
from backoffice_tui.services.context import Context
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalDecision, Event
from tests.cli.support import as_operator, assert_usage_error, fails, invoke, ok, ok_json
from tests.conftest import resolve_actor_for
from tests.helpers import stage

for group in (approvals, rules):
    if group.name not in cli.commands:
        cli.add_command(group)

LIST_FIELDS = {
    "id",
    "subject_kind",
    "subject",
    "customer_code",
    "stage",
    "stage_name",
    "approvers",
    "requester",
    "waiting_since",
    "due",
    "overdue",
}
_codes = itertools.count(1)


@pytest.fixture
def db(demo_url: str) -> Iterator[Database]:
    database = open_database(demo_url)
    yield database
    database.dispose()


def context(db: Database, login: str, moment: datetime | None = None) -> Context:
    actor = resolve_actor_for(db, login)
    return Context(db, actor, lambda: moment) if moment else Context(db, actor)


def open_request(
    db: Database,
    *stages: ApprovalStageSpec,
    requester: str = "tanaka",
    opened: datetime | None = None,
) -> str:
    """A request on a fresh order (no demo request is open on it); its id."""
    code = f"CLI-{next(_codes):05d}"
    order = create_order(context(db, "tanaka"), NewOrder(code, "C0002", ("custom",), date.today()))
    ctx = context(db, requester, opened)
    return str(approval_actions.request_approval(ctx, "order", order, list(stages)))


def counts(db: Database) -> tuple[int, int]:
    """Decisions and events in the whole database."""
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(ApprovalDecision)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
        )


# --- list and show -------------------------------------------------------------------


def test_list_mine_json_has_the_fields_and_the_delegates(demo_url: str, db: Database) -> None:
    request_id = int(open_request(db, stage("Provisioning check", "watanabe")))
    mine = ok_json(*as_operator(demo_url, "kimura"), "approvals", "list", "--mine")
    row = next(r for r in mine if r["id"] == request_id)
    assert set(row) >= LIST_FIELDS
    assert row["approvers"] == ["kimura", "watanabe"], "kimura stands in for watanabe"
    assert (row["stage"], row["stage_name"]) == (1, "Provisioning check")
    assert (row["subject_kind"], row["customer_code"], row["requester"]) == (
        "order",
        "C0002",
        "tanaka",
    )
    assert row["subject"].startswith("Order CLI-") and row["state"] == "pending"
    waiting = datetime.fromisoformat(row["waiting_since"])
    due = datetime.fromisoformat(row["due"])
    assert waiting.tzinfo is not None and due - waiting == timedelta(hours=24)
    assert row["overdue"] is False
    for other in mine:
        assert set(other) >= LIST_FIELDS and "kimura" in other["approvers"]

    sato = ok_json(*as_operator(demo_url, "sato"), "approvals", "list", "--mine")
    assert request_id not in {r["id"] for r in sato}
    everything = ok_json(*as_operator(demo_url, "sato"), "approvals", "list")
    assert request_id in {r["id"] for r in everything}
    assert {r["id"] for r in sato} <= {r["id"] for r in everything}

    table = ok(*as_operator(demo_url, "kimura"), "approvals", "list", "--mine").stdout
    assert table.splitlines()[0].split()[:4] == ["ID", "SUBJECT", "CUSTOMER", "STAGE"]
    assert "Provisioning check" in table and "kimura, watanabe" in table


def test_show_json_is_the_request_whole(demo_url: str, db: Database) -> None:
    request_id = open_request(
        db,
        stage("Sales check", "approver@sales-admin"),
        stage("Design sign-off", "sato", "inoue", due_hours=None),
    )
    ok(
        *as_operator(demo_url, "emily"),
        "approvals",
        "decide",
        request_id,
        "comment",
        "--comment",
        "looking",
    )
    shown = ok_json(*as_operator(demo_url, "emily"), "approvals", "show", request_id)
    assert shown["id"] == int(request_id) and shown["subject"].startswith("Order CLI-")
    assert (shown["subject_kind"], shown["customer_code"], shown["requester"]) == (
        "order",
        "C0002",
        "tanaka",
    )
    assert shown["customer_name"] and shown["state"] == "pending"
    first, second = shown["route"]
    assert first == {
        "position": 1,
        "name": "Sales check",
        "rule": "any",
        "rule_text": "any one",
        "info_only": False,
        "approvers": ["approver@sales-admin"],
        "state": "pending",
        "due": first["due"],
        "overdue": False,
        "held_by": None,
        "deciders": ["emily", "suzuki"],
        "approved_by": [],
    }
    assert datetime.fromisoformat(first["due"]) > datetime.now(UTC)
    assert (second["position"], second["state"], second["due"]) == (2, "waiting", None)
    assert second["approvers"] == ["sato", "inoue"] and second["deciders"] == []
    assert [d["action"] for d in shown["decisions"]] == ["submit", "comment"]
    comment = shown["decisions"][1]
    assert set(comment) == {
        "at",
        "actor",
        "on_behalf_of",
        "action",
        "stage",
        "stage_name",
        "comment",
        "target",
    }
    assert (comment["actor"], comment["stage"], comment["comment"]) == ("emily", 1, "looking")
    assert {"approve", "reject", "send_back", "forward"} <= set(shown["you_can"])

    text = ok(*as_operator(demo_url, "emily"), "approvals", "show", request_id).stdout
    assert "state: waiting at stage 1 'Sales check' for emily, suzuki" in text
    assert "Design sign-off" in text and "looking" in text
    fails(*as_operator(demo_url, "emily"), "approvals", "show", "999999", contains="no approval")


# --- deciding ------------------------------------------------------------------------


def test_approve_for_a_delegator_then_send_back_and_reapply(demo_url: str, db: Database) -> None:
    kimura, inoue = as_operator(demo_url, "kimura"), as_operator(demo_url, "inoue")
    tanaka = as_operator(demo_url, "tanaka")
    request_id = open_request(db, stage("Provisioning", "watanabe"), stage("Maintenance", "inoue"))

    said = ok(*kimura, "approvals", "decide", request_id, "approve", "--comment", "ok").stdout
    assert said.startswith(f"kimura for watanabe approved approval {request_id} (Order CLI-")
    assert said.endswith("it is now waiting at stage 2 'Maintenance' for inoue\n")
    fails(
        *kimura,
        "approvals",
        "decide",
        request_id,
        "approve",
        contains="kimura is not an approver of stage 'Maintenance'",
    )

    line = fails(*inoue, "approvals", "decide", request_id, "send-back")
    assert line == "error: a comment is required to send back: add --comment TEXT"
    back = ok_json(
        *inoue,
        "approvals",
        "decide",
        request_id,
        "send-back",
        "--comment",
        "redo",
        "--to",
        "1",
        "--stage",
        "2",
    )
    assert (back["state"], back["current_stage"]) == ("pending", 1)
    assert back["decisions"][-1]["target"] == "stage 1 (Provisioning)"
    ok(*kimura, "approvals", "decide", request_id, "approve")
    to_requester = ok_json(
        *inoue, "approvals", "decide", request_id, "send-back", "--comment", "missing the SLA"
    )
    assert to_requester["state"] == "sent_back"
    last = to_requester["decisions"][-1]
    assert (last["actor"], last["action"], last["target"]) == ("inoue", "send_back", "requester")
    fails(*kimura, "approvals", "reapply", request_id, contains="only the requester (tanaka)")
    again = ok(*tanaka, "approvals", "reapply", request_id, "--comment", "SLA added").stdout
    assert again.endswith("it is now waiting at stage 1 'Provisioning' for kimura, watanabe\n")
    withdrawn = ok_json(*tanaka, "approvals", "withdraw", request_id)
    assert withdrawn["state"] == "withdrawn" and withdrawn["decided_at"]


def test_reject_needs_a_comment_and_is_final(demo_url: str, db: Database) -> None:
    inoue = as_operator(demo_url, "inoue")
    request_id = open_request(db, stage("Maintenance", "inoue"))
    before = counts(db)
    line = fails(*inoue, "approvals", "decide", request_id, "reject")
    assert line == "error: a comment is required to reject: add --comment TEXT"
    fails(
        *inoue,
        "approvals",
        "decide",
        request_id,
        "reject",
        "--comment",
        "  ",
        contains="a comment is required to reject",
    )
    assert counts(db) == before
    said = ok(*inoue, "approvals", "decide", request_id, "reject", "--comment", "no budget")
    assert said.stdout.endswith("; it is now rejected\n")
    fails(*inoue, "approvals", "decide", request_id, "approve", contains="(rejected)")


def test_forward_hands_the_stage_to_someone_else(demo_url: str, db: Database) -> None:
    inoue, marco = as_operator(demo_url, "inoue"), as_operator(demo_url, "marco")
    request_id = open_request(db, stage("Maintenance", "inoue"))
    line = fails(*inoue, "approvals", "decide", request_id, "forward")
    assert line == "error: say whom to forward to: add --to LOGIN"
    fails(
        *inoue,
        "approvals",
        "decide",
        request_id,
        "forward",
        "--to",
        "nobody",
        contains="no active user 'nobody'",
    )
    forwarded = ok_json(*inoue, "approvals", "decide", request_id, "forward", "--to", "marco")
    assert forwarded["route"][0]["approvers"] == ["marco"]
    assert forwarded["route"][0]["deciders"] == ["marco"]
    assert forwarded["decisions"][-1]["target"] == "marco"
    assert int(request_id) in {r["id"] for r in ok_json(*marco, "approvals", "list", "--mine")}
    fails(*inoue, "approvals", "decide", request_id, "approve", contains="inoue is not an approver")
    assert ok_json(*marco, "approvals", "decide", request_id, "approve")["state"] == "approved"


def test_someone_off_the_route_cannot_decide_and_nothing_is_recorded(
    demo_url: str, db: Database
) -> None:
    request_id = open_request(db, stage("Provisioning", "watanabe"))
    before_show = ok_json(*as_operator(demo_url, "inoue"), "approvals", "show", request_id)
    before = counts(db)
    for login in ("sato", "ryan"):  # neither on the route nor standing in for watanabe
        who = as_operator(demo_url, login)
        for action in ("approve", "hold"):
            line = fails(*who, "approvals", "decide", request_id, action)
            assert line == (
                f"error: {login} is not an approver of stage 'Provisioning' of approval "
                f"{request_id} and holds no delegation for it"
            )
        fails(
            *who,
            "approvals",
            "decide",
            request_id,
            "reject",
            "--comment",
            "no",
            contains=f"{login} is not an approver",
        )
        fails(
            *who,
            "approvals",
            "decide",
            request_id,
            "forward",
            "--to",
            "inoue",
            contains=f"{login} is not an approver",
        )
    fails(
        *as_operator(demo_url, "tanaka"),
        "approvals",
        "decide",
        request_id,
        "approve",
        contains="tanaka requested approval",
    )
    assert counts(db) == before
    assert ok_json(*as_operator(demo_url, "inoue"), "approvals", "show", request_id) == before_show


def test_usage_errors(demo_url: str, db: Database) -> None:
    inoue = as_operator(demo_url, "inoue")
    request_id = open_request(db, stage("Maintenance", "inoue"))
    assert_usage_error(invoke(*inoue, "approvals", "decide", request_id, "approve", "--to", "x"))
    assert_usage_error(invoke(*inoue, "approvals", "decide", request_id, "release", "--stage", "1"))
    assert_usage_error(invoke(*inoue, "approvals", "decide", request_id, "maybe"))
    assert_usage_error(invoke(*inoue, "approvals", "decide", "x", "approve"))
    assert_usage_error(invoke(*inoue, "approvals", "request", "order", "ORD-2026-0001"))
    fails(
        *inoue,
        "approvals",
        "decide",
        request_id,
        "approve",
        "--stage",
        "2",
        contains="is at stage 1, not 2",
    )


# --- opening a request from a route file ------------------------------------------------

ROUTE = """\
# the sales desk first, then both design approvers
[[stage]]
name = "Sales check"
approvers = ["approver@sales-admin"]
due_hours = 24

[[stage]]
name = "Design sign-off"
approvers = ["sato", "kobayashi"]
rule = "all"
"""


def test_request_an_order_along_a_route_file(demo_url: str, db: Database, tmp_path: Path) -> None:
    tanaka = as_operator(demo_url, "tanaka")
    code = f"CLI-{next(_codes):05d}"
    create_order(context(db, "tanaka"), NewOrder(code, "C0004", ("custom",), date.today()))
    route = tmp_path / "route.toml"
    route.write_text(ROUTE, encoding="utf-8")

    said = ok(*tanaka, "approvals", "request", "order", code, "--route", str(route)).stdout
    assert said.startswith("tanaka requested approval ")
    assert said.endswith(
        f"(Order {code}); it is now waiting at stage 1 'Sales check' for emily, suzuki\n"
    )
    request_id = said.split()[3]
    shown = ok_json(*tanaka, "approvals", "show", request_id)
    assert shown["subject_kind"] == "order" and shown["customer_code"] == "C0004"
    assert [(s["name"], s["rule"], s["approvers"]) for s in shown["route"]] == [
        ("Sales check", "any", ["approver@sales-admin"]),
        ("Design sign-off", "all", ["sato", "kobayashi"]),
    ]
    assert int(request_id) in {
        r["id"] for r in ok_json(*as_operator(demo_url, "emily"), "approvals", "list", "--mine")
    }
    fails(
        *tanaka,
        "approvals",
        "request",
        "order",
        code,
        "--route",
        str(route),
        contains=f"already has approval {request_id} open",
    )
    fails(
        *tanaka,
        "approvals",
        "request",
        "order",
        "NOPE-1",
        "--route",
        str(route),
        contains="no order with code 'NOPE-1'",
    )
    fails(
        *tanaka,
        "approvals",
        "request",
        "handoff",
        "first",
        "--route",
        str(route),
        contains="give a handoff by its number",
    )
    titled = ok_json(
        *tanaka,
        "approvals",
        "request",
        "handoff",
        "1",
        "--route",
        str(route),
        "--title",
        "Check the handoff",
    )
    assert (titled["subject_kind"], titled["subject_id"]) == ("handoff", 1)
    assert titled["subject"] == "Check the handoff"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[stage]\nname = 'x'\n", "is not valid TOML: "),
        ("title = 'no stages'\n", "a route needs at least one [[stage]] table"),
        ("[[stage]]\nname = 'Review'\n", "stage 1: missing 'approvers'"),
        ("[[stage]]\nname = 'R'\napprovers = []\n", "'approvers' must be a non-empty list"),
        ("[[stage]]\nname = 'R'\napprovers = ['sato']\nrule = 'most'\n", "rule must be 'any'"),
        ("[[stage]]\nname = 'R'\napprovers = ['sato']\ndue_hours = 0\n", "due_hours must be"),
        ("[[stage]]\nname = 'R'\napprovers = ['satou']\n", "stage 1: no active user 'satou'"),
        ("[[stage]]\nname = 'R'\napprovers = ['approver@nowhere']\n", "no team 'nowhere'"),
        ("[[stage]]\nname = 'R'\napprovers = ['sato']\ninfo_only = true\n", "stage that decides"),
        ("stage = [1, 2]\n", "write each stage as a [[stage]] table"),
    ],
)
def test_a_malformed_route_file_is_one_line(
    demo_url: str, db: Database, tmp_path: Path, content: str, message: str
) -> None:
    route = tmp_path / "route.toml"
    route.write_text(content, encoding="utf-8")
    before = counts(db)
    line = fails(
        *as_operator(demo_url, "tanaka"),
        "approvals",
        "request",
        "order",
        "ORD-2026-0001",
        "--route",
        str(route),
        contains=message,
    )
    assert counts(db) == before, line


def test_a_missing_or_unreadable_route_file(demo_url: str, tmp_path: Path) -> None:
    tanaka = as_operator(demo_url, "tanaka")
    missing = tmp_path / "missing.toml"
    fails(
        *tanaka,
        "approvals",
        "request",
        "order",
        "ORD-2026-0001",
        "--route",
        str(missing),
        contains=f"no route file {missing}",
    )
    binary = tmp_path / "route.toml"
    binary.write_bytes(b"\xff\xfe\x00stage")
    fails(
        *tanaka,
        "approvals",
        "request",
        "order",
        "ORD-2026-0001",
        "--route",
        str(binary),
        contains="is not a UTF-8 text file",
    )
    fails(
        *tanaka,
        "approvals",
        "request",
        "order",
        "ORD-2026-0001",
        "--route",
        str(tmp_path),
        contains="cannot read route file",
    )


# --- rules run ---------------------------------------------------------------------------


def test_rules_run_reminds_each_overdue_stage_once(demo_url: str, db: Database) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=3)
    overdue = {
        int(open_request(db, stage("Provisioning", "watanabe"), opened=long_ago)),
        int(open_request(db, stage("Maintenance", "inoue"), opened=long_ago)),
    }
    on_time = int(open_request(db, stage("Maintenance", "inoue")))
    runner = ["--database", demo_url]  # automation needs no operator

    first = ok_json(*runner, "rules", "run")["reminders"]
    ours = [r for r in first if r["request_id"] in overdue | {on_time}]
    assert sorted(r["request_id"] for r in ours) == sorted(overdue)
    assert len({r["request_id"] for r in first}) == len(first)
    provisioning = next(r for r in ours if r["stage_name"] == "Provisioning")
    assert provisioning["approvers"] == ["kimura", "watanabe"]
    assert provisioning["stage"] == 1 and 47.9 <= provisioning["overdue_hours"] <= 48.1
    assert datetime.fromisoformat(provisioning["due_at"]).tzinfo is not None

    assert ok_json(*runner, "rules", "run")["reminders"] == []
    assert (
        ok(*runner, "rules", "run").stdout.splitlines()[0] == "remind-approvers: 0 reminders sent"
    )
    timeline = ok_json(*runner, "customers", "timeline", "C0002", "--newest-first")
    reminders = [e for e in timeline if e["kind"] == "approval.reminder"]
    assert {e["entity_id"] for e in reminders} >= overdue
    assert {e["actor"] for e in reminders} == {"rule:remind-approvers"}


def test_rules_run_prints_what_it_did(demo_url: str, db: Database) -> None:
    request_id = open_request(
        db, stage("Maintenance", "inoue"), opened=datetime.now(UTC) - timedelta(days=2)
    )
    text = ok("--database", demo_url, "rules", "run").stdout
    lines = text.splitlines()
    assert lines[0].startswith("remind-approvers: ") and lines[0].endswith(" sent")
    assert lines[1].split()[:4] == ["APPROVAL", "STAGE", "OVERDUE", "REMINDED"]
    ours = next(line for line in lines[2:] if line.split()[0] == request_id)
    assert "1 Maintenance" in ours and "1 d" in ours and "inoue" in ours
