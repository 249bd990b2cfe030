"""``backoffice delegations``: add, list and end, as JSON and as tables;
bad input is one line and exit 1."""

from datetime import date, timedelta

from tests.cli.support import as_operator, fails, ok, ok_json

TODAY = date.today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def test_add_list_and_end_a_delegation(demo_url: str) -> None:
    emily = as_operator(demo_url, "emily")
    added = ok_json(
        *emily, "delegations", "add", "--to", "suzuki", "--from-date", day(2), "--until", day(4)
    )
    assert added["added"] is True
    delegation_id = added["id"]
    rows = {r["id"]: r for r in ok_json(*emily, "delegations", "list")}
    assert rows[delegation_id]["from_login"] == "emily"
    assert rows[delegation_id]["to_login"] == "suzuki"
    assert rows[delegation_id]["state"] == "planned"
    assert rows[delegation_id]["starts_on"] == day(2)

    table = ok(*emily, "delegations", "list").stdout
    assert "ID" in table.splitlines()[0]
    assert any(line.split()[0] == str(delegation_id) for line in table.splitlines()[1:])

    fails(
        *as_operator(demo_url, "suzuki"),
        "delegations",
        "end",
        str(delegation_id),
        contains="only emily or an admin",
    )
    assert ok_json(*emily, "delegations", "end", str(delegation_id)) == {
        "id": delegation_id,
        "ended": True,
    }
    rows = {r["id"]: r for r in ok_json(*emily, "delegations", "list")}
    assert rows[delegation_id]["state"] == "past" and rows[delegation_id]["ended_at"]
    said = ok(
        *emily,
        "delegations",
        "add",
        "--to",
        "suzuki",
        "--from-date",
        "2099/1/5",
        "--until",
        "2099年1月9日",
    ).stdout
    assert "from 2099-01-05 to 2099-01-09" in said


def test_an_admin_sets_one_for_someone_and_lists_everyones(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    added = ok_json(
        *admin,
        "delegations",
        "add",
        "--for",
        "tanaka",
        "--to",
        "emily",
        "--from-date",
        day(1),
        "--until",
        day(3),
    )
    everyone = ok_json(*admin, "delegations", "list", "--all")
    made = next(r for r in everyone if r["id"] == added["id"])
    assert (made["from_login"], made["created_by"]) == ("tanaka", "admin-ito")
    assert {"sato", "watanabe", "tanaka"} <= {r["from_login"] for r in everyone}
    tanaka = as_operator(demo_url, "tanaka")
    fails(*tanaka, "delegations", "list", "--all", contains="only an admin")
    fails(
        *tanaka,
        "delegations",
        "add",
        "--for",
        "emily",
        "--to",
        "suzuki",
        "--from-date",
        day(1),
        "--until",
        day(2),
        contains="only an admin",
    )


def test_bad_input_is_one_line_and_exit_1(demo_url: str) -> None:
    sato = as_operator(demo_url, "sato")
    add = (*sato, "delegations", "add")
    fails(
        *add, "--to", "david", "--from-date", "next week", "--until", day(3), contains="--from-date"
    )
    fails(
        *add, "--to", "david", "--from-date", day(3), "--until", day(1), contains="before it starts"
    )
    fails(*add, "--to", "sato", "--from-date", day(8), "--until", day(9), contains="themselves")
    fails(*add, "--to", "nobody", "--from-date", day(8), "--until", day(9), contains="no user")
    # sato is away already (the demo's delegation to kobayashi)
    fails(
        *add,
        "--to",
        "david",
        "--from-date",
        day(1),
        "--until",
        day(2),
        contains="already delegates",
    )
    fails(*sato, "delegations", "end", "999999", contains="no delegation 999999")
