"""``backoffice orders`` against a real database, on SQLite and PostgreSQL."""

from pathlib import Path

from tests.cli.support import as_operator, assert_usage_error, fails, invoke, ok, ok_json


def test_create_with_two_lines_then_show_and_list(demo_url: str) -> None:
    suzuki = as_operator(demo_url, "suzuki")
    created = ok_json(
        *suzuki,
        "orders",
        "create",
        "--customer",
        "C0003",
        "--service",
        "cloud",
        "--service",
        "network-line",
        "--code",
        "ORD-CLI-1",
        "--received",
        "2026/11/20",
        "--requested",
        "20261224",
        "--owner",
        "emily",
        "--title",
        "[bold]Two sites",
        "--priority",
        "2",
    )
    assert created["code"] == "ORD-CLI-1" and created["status"] == "open"
    assert (created["received_on"], created["requested_on"]) == ("2026-11-20", "2026-12-24")
    assert (created["sales_owner"], created["priority"]) == ("emily", 2)
    assert [line["service"] for line in created["lines"]] == ["cloud", "network-line"]
    for line in created["lines"]:
        assert line["template_version"] >= 1
        assert [s["status"] for s in line["steps"]][:2] == ["ready", "waiting"]
        assert {"work_item_id", "team", "assignee", "due_on"} <= set(line["steps"][0])

    text = ok(*suzuki, "orders", "show", "ORD-CLI-1").stdout
    assert "status: open" in text and "title: [bold]Two sites" in text
    assert "line 2: " in text and "network-line" in text
    assert "ITEM" in text and "sales-admin" in text

    listed = ok_json(*suzuki, "orders", "list", "--customer", "C0003")
    assert "ORD-CLI-1" in [r["code"] for r in listed]
    assert {"id", "code", "customer", "status", "lines"} <= set(listed[0])
    table = ok(*suzuki, "orders", "list", "--limit", "3").stdout
    assert table.splitlines()[0].split()[:2] == ["ID", "CODE"]


def test_the_code_defaults_to_the_configured_pattern(demo_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[orders]\ncode_pattern = "{customer}-{yyyy}{mm}-{n:03}"\n', "utf-8")
    suzuki = ["--config", str(config), *as_operator(demo_url, "suzuki")]
    options = ["--customer", "C0001", "--service", "custom", "--received", "2026-11-02"]
    first = ok_json(*suzuki, "orders", "create", *options)
    second = ok_json(*suzuki, "orders", "create", *options)
    assert (first["code"], second["code"]) == ("C0001-202611-001", "C0001-202611-002")
    assert first["sales_owner"] == "suzuki"  # the operator by default
    plain = ok(*as_operator(demo_url, "suzuki"), "orders", "create", *options).stdout
    assert plain.startswith("order ORD-2026-") and "created with 1 lines" in plain


def test_cancel_a_line_then_the_order(demo_url: str) -> None:
    suzuki = as_operator(demo_url, "suzuki")
    ok(*suzuki, "orders", "create", "--customer", "C0003", "--code", "ORD-CLI-2",
       "--service", "cloud", "--service", "custom")  # fmt: skip
    after = ok_json(*suzuki, "orders", "cancel", "ORD-CLI-2", "--line", "2", "--reason", "no")
    assert [line["status"] for line in after["lines"]] == ["open", "cancelled"]
    assert {s["status"] for s in after["lines"][1]["steps"]} == {"skipped"}
    said = ok(*suzuki, "orders", "cancel", "ORD-CLI-2", "--reason", "customer left").stdout
    assert said == "order ORD-CLI-2 cancelled\n"
    cancelled = ok_json(*suzuki, "orders", "list", "--status", "cancelled")
    assert [r["code"] for r in cancelled] == ["ORD-CLI-2"]
    fails(*suzuki, "orders", "cancel", "ORD-CLI-2", "--reason", "again", contains="already")
    fails(
        *as_operator(demo_url, "yamamoto"),
        "orders",
        "cancel",
        "ORD-2026-0001",
        "--reason",
        "not mine",
        contains="only an admin, the sales owner",
    )


def test_bad_input_is_one_line(demo_url: str) -> None:
    suzuki = as_operator(demo_url, "suzuki")
    create = [*suzuki, "orders", "create"]
    fails(*create, "--customer", "NOPE", "--service", "cloud", contains="no customer 'NOPE'")
    fails(*create, "--customer", "C0001", "--service", "warp", contains="service 'warp'")
    fails(
        *create,
        "--customer",
        "C0001",
        "--service",
        "cloud",
        "--received",
        "next tuesday",
        contains="--received 'next tuesday': not a date",
    )
    fails(
        *create,
        "--customer",
        "C0001",
        "--service",
        "cloud",
        "--received",
        "2026-11-20",
        "--requested",
        "2026-11-01",
        contains="before the received date",
    )
    fails(*create, "--customer", "C0001", "--service", "cloud", "--owner", "ghost",
          contains="no active user 'ghost'")  # fmt: skip
    fails(*suzuki, "orders", "show", "ORD-NONE", contains="no order 'ORD-NONE'")
    fails(*suzuki, "orders", "list", "--status", "lost", contains="unknown order status 'lost'")
    fails(*suzuki, "orders", "cancel", "ORD-2026-0001", "--reason", " ", contains="reason")
    assert_usage_error(invoke(*create, "--customer", "C0001"))  # no --service
    assert_usage_error(invoke(*create, "--customer", "C0001", "--service", "x", "--priority", "9"))
