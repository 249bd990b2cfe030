"""``backoffice handoffs`` against a real database, on SQLite and PostgreSQL."""

from backoffice_tui.cli.commands.handoffs import handoffs
from backoffice_tui.cli.main import cli
from tests.cli.support import (
    as_operator,
    assert_usage_error,
    fails,
    invoke,
    ok,
    ok_json,
)

if "handoffs" not in cli.commands:
    cli.add_command(handoffs)


def handoff_of(url: str, order_code: str) -> dict:  # type: ignore[type-arg]
    rows = ok_json(*as_operator(url, "kimura"), "handoffs", "list", "--all", "--state", "all")
    return next(r for r in rows if r["order_code"] == order_code)


def test_list_is_json_with_the_documented_fields(demo_url: str) -> None:
    kimura = as_operator(demo_url, "kimura")  # build and operations
    incoming = ok_json(*kimura, "handoffs", "list")
    assert incoming, "kimura's teams receive handoffs in the demo"
    for row in incoming:
        assert {"id", "state", "from_team", "to_team", "customer_code", "order_code"} <= set(row)
        assert row["to_team"] in ("build", "operations") and row["state"] != "accepted"
    assert incoming[0]["state"] == "submitted"
    returned = ok_json(*kimura, "handoffs", "list", "--outgoing", "--state", "returned")
    assert [r["order_code"] for r in returned] == ["ORD-2026-0043"]
    to_maintenance = ok_json(
        *kimura, "handoffs", "list", "--incoming", "--team", "maintenance", "--state", "all"
    )
    assert to_maintenance and {r["to_team"] for r in to_maintenance} == {"maintenance"}
    table = ok(*kimura, "handoffs", "list", "--outgoing").stdout
    assert table.splitlines()[0].split()[:4] == ["ID", "STATE", "FROM", "TO"]
    assert "ORD-2026-0043" in table
    fails(*kimura, "handoffs", "list", "--state", "lost", contains="unknown handoff state 'lost'")


def test_show_json_has_items_documents_and_members(demo_url: str) -> None:
    row = handoff_of(demo_url, "ORD-2026-0009")
    shown = ok_json(*as_operator(demo_url, "olivia"), "handoffs", "show", str(row["id"]))
    assert shown["id"] == row["id"] and shown["state"] == "submitted"
    assert (shown["from_team"], shown["to_team"]) == ("build", "operations")
    assert {"ryan", "yamamoto", "kimura"} <= set(shown["from_members"])
    assert {"hayashi", "olivia"} <= set(shown["to_members"])
    runbook = next(i for i in shown["items"] if i["key"] == "runbook")
    assert runbook["required"] is True and runbook["answered"] is True
    assert runbook["answer"] == "https://docs.example.com/ord-2026-0009/runbook.docx"
    assert runbook["by"] == "yamamoto" and runbook["at"].endswith("+00:00")
    document = shown["documents"][0]
    assert document["title"] == "Operations runbook"
    assert [r["revision"] for r in document["revisions"]] == [1, 2]
    assert {"location", "note", "by", "at"} <= set(document["revisions"][0])
    text = ok(*as_operator(demo_url, "olivia"), "handoffs", "show", str(row["id"])).stdout
    assert "state: submitted" in text and "Operations runbook" in text
    fails(*as_operator(demo_url, "olivia"), "handoffs", "show", "999999", contains="no handoff")


def test_the_whole_cycle_from_the_command_line(demo_url: str) -> None:
    ryan, olivia = as_operator(demo_url, "ryan"), as_operator(demo_url, "olivia")
    handoff_id = str(handoff_of(demo_url, "ORD-2026-0010")["id"])
    line = fails(*ryan, "handoffs", "submit", handoff_id)
    assert line == (
        f"error: cannot submit handoff {handoff_id}: 3 required items still unanswered: "
        "'Two-week false-positive review completed', 'Customer escalation contacts and hours', "
        "'Log forwarding to the SOC verified'"
    )
    shown = ok(*ryan, "handoffs", "show", handoff_id).stdout
    assert "blocks submission: false-positive-review, escalation-contacts, log-forwarding" in shown

    ticked = ok_json(*ryan, "handoffs", "answer", handoff_id, "false-positive-review", "yes")
    assert (ticked["answer"], ticked["by"], ticked["version"]) == ("yes", "ryan", 2)
    said = ok(*ryan, "handoffs", "answer", handoff_id, "log-forwarding", "yes").stdout
    assert said == f"handoff {handoff_id}: log-forwarding = yes (version 2)\n"
    ok(*ryan, "handoffs", "answer", handoff_id, "escalation-contacts", "SOC desk, 24x7")
    fails(*olivia, "handoffs", "submit", handoff_id, contains="olivia is not in team build")
    submitted = ok_json(*ryan, "handoffs", "submit", handoff_id)
    assert submitted["state"] == "submitted" and submitted["blocking"] == []

    fails(*ryan, "handoffs", "accept", handoff_id, contains="ryan is not in team operations")
    assert_usage_error(invoke(*olivia, "handoffs", "return", handoff_id))
    fails(*olivia, "handoffs", "return", handoff_id, "--reason", " ", contains="reason is required")
    returned = ok(*olivia, "handoffs", "return", handoff_id, "--reason", "No holiday hours")
    assert returned.stdout.endswith("now returned\n")
    assert ok_json(*ryan, "handoffs", "show", handoff_id)["return_reason"] == "No holiday hours"
    ok(*ryan, "handoffs", "answer", handoff_id, "escalation-contacts", "SOC desk, 24x7 + holidays")
    ok(*ryan, "handoffs", "submit", handoff_id)
    accepted = ok_json(*olivia, "handoffs", "accept", handoff_id)
    assert accepted["state"] == "accepted" and accepted["work_item_status"] == "done"
    fails(*olivia, "handoffs", "accept", handoff_id, contains="it is accepted, not submitted")


def test_answer_conflicts_and_bad_values_are_one_line(demo_url: str) -> None:
    ryan, yamamoto = as_operator(demo_url, "ryan"), as_operator(demo_url, "yamamoto")
    handoff_id = str(handoff_of(demo_url, "ORD-2026-0010")["id"])
    ok(*yamamoto, "handoffs", "answer", handoff_id, "escalation-contacts", "Desk A")
    line = fails(
        *ryan,
        "handoffs",
        "answer",
        handoff_id,
        "escalation-contacts",
        "Desk B",
        "--expect-version",
        "1",
    )
    assert line.startswith(
        "error: checklist item 'Customer escalation contacts and hours' was changed by yamamoto at "
    )
    assert line.endswith("; its answer is now 'Desk A'")
    fails(*ryan, "handoffs", "answer", handoff_id, "log-forwarding", "maybe", contains="yes or no")
    fails(*ryan, "handoffs", "answer", handoff_id, "nope", "x", contains="no checklist item 'nope'")
    cleared = ok_json(*ryan, "handoffs", "answer", handoff_id, "escalation-contacts", "")
    assert cleared["answered"] is False and cleared["answer"] is None


def test_documents_and_revisions(demo_url: str) -> None:
    ryan = as_operator(demo_url, "ryan")
    handoff_id = str(handoff_of(demo_url, "ORD-2026-0010")["id"])
    added = ok_json(
        *ryan,
        "handoffs",
        "document",
        "add",
        handoff_id,
        "--title",
        "SOC onboarding sheet",
        "--location",
        "//fs/soc-r1.xlsx",
    )
    assert added["revision"] == 1
    document_id = str(added["document"])
    revised = ok(
        *ryan,
        "handoffs",
        "document",
        "revise",
        document_id,
        "--location",
        "//fs/soc-r2.xlsx",
        "--note",
        "contacts added",
    )
    assert revised.stdout == f"document {document_id} is now at revision 2\n"
    fails(
        *ryan,
        "handoffs",
        "document",
        "revise",
        document_id,
        "--location",
        "//fs/soc-r2b.xlsx",
        "--expect-revision",
        "1",
        contains="already has revision 2, added by ryan",
    )
    shown = ok_json(*ryan, "handoffs", "show", handoff_id)
    document = next(d for d in shown["documents"] if d["id"] == int(document_id))
    assert [(r["revision"], r["location"], r["note"]) for r in document["revisions"]] == [
        (1, "//fs/soc-r1.xlsx", ""),
        (2, "//fs/soc-r2.xlsx", "contacts added"),
    ]
    fails(
        *as_operator(demo_url, "hayashi"),
        "handoffs",
        "document",
        "add",
        handoff_id,
        "--title",
        "x",
        "--location",
        "y",
        contains="hayashi is not in team build",
    )
