"""``backoffice users``: edit, deactivate with a handover (previewed, dry or
confirmed), and what a deactivated user sees when they try to sign in."""

import pytest

from backoffice_tui.cli.commands import users as users_command
from tests.cli.support import as_operator, fails, invoke, ok, ok_json


def users_of(url: str) -> dict[str, dict[str, object]]:
    return {u["login"]: u for u in ok_json("--database", url, "users", "list")}


def test_deactivate_dry_run_then_for_real(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    dry = ok_json(*admin, "users", "deactivate", "ryan", "--to", "kimura", "--dry-run")
    assert dry["dry_run"] and dry["items_to_successor"] == 4 and dry["handoffs"] == 2
    assert {m["to"] for m in dry["moves"]} == {"kimura"}
    assert users_of(demo_url)["ryan"]["active"] and users_of(demo_url)["ryan"]["open_items"] == 4
    text = ok(*admin, "users", "deactivate", "ryan", "--to", "kimura", "--dry-run").stdout
    assert text.startswith("deactivating ryan would move: 4 work items to kimura")
    assert "  work item 73: 'Tuning and handoff to SOC'" in text
    done = ok_json(*admin, "users", "deactivate", "ryan", "--to", "kimura", "--yes")
    assert not done["dry_run"] and done["moves"] == dry["moves"]
    ryan = users_of(demo_url)["ryan"]
    assert not ryan["active"] and ryan["open_items"] == 0
    listing = ok("--database", demo_url, "users", "list").stdout.splitlines()
    assert listing[0].split()[:6] == ["LOGIN", "NAME", "ADMIN", "ACTIVE", "OPEN", "TEAMS"]
    assert " no " in next(line for line in listing if line.startswith("ryan "))


def test_a_deactivated_user_is_told_so(demo_url: str) -> None:
    ryan = as_operator(demo_url, "ryan")
    assert ok_json(*ryan, "whoami")["login"] == "ryan"
    ok(*as_operator(demo_url, "admin-ito"), "users", "deactivate", "ryan", "--to", "kimura")
    line = fails(*ryan, "whoami", contains="the account 'ryan' is deactivated")
    assert "users add" not in line
    # the console refuses before it shows a screen
    fails(*ryan, "--screen", "queue", contains="the account 'ryan' is deactivated")


def test_deactivate_asks_on_a_terminal(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users_command, "_asks", lambda: True)
    admin = as_operator(demo_url, "admin-ito")
    said = invoke(*admin, "users", "deactivate", "ryan", "--to", "kimura", input="n\n")
    assert said.exit_code == 0, said.stderr
    assert "would move: 4 work items to kimura" in said.stdout
    assert said.stdout.rstrip().endswith("nothing changed")
    assert users_of(demo_url)["ryan"]["active"]
    said = invoke(*admin, "users", "deactivate", "ryan", "--to", "kimura", input="y\n")
    assert said.exit_code == 0 and "deactivating ryan moved: 4 work items" in said.stdout
    assert not users_of(demo_url)["ryan"]["active"]


def test_deactivate_refusals_are_one_line(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    fails(*admin, "users", "deactivate", "ryan", contains="--to SUCCESSOR or --to-team-pool")
    fails(
        *admin,
        "users",
        "deactivate",
        "ryan",
        "--to",
        "kimura",
        "--to-team-pool",
        contains="--to SUCCESSOR or --to-team-pool",
    )
    fails(*admin, "users", "deactivate", "nobody", "--to-team-pool", contains="no user 'nobody'")
    fails(*admin, "users", "deactivate", "ryan", "--to", "ghost", contains="no active user")
    fails(*admin, "users", "deactivate", "ryan", "--to-team-pool", contains="only approver")
    fails(
        *as_operator(demo_url, "kimura"),
        "users",
        "deactivate",
        "ryan",
        "--to",
        "kimura",
        contains="only an admin can deactivate users",
    )
    assert users_of(demo_url)["ryan"]["active"]


def test_edit_a_user(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    said = ok_json(
        *admin,
        "users",
        "edit",
        "yamamoto",
        "--name",
        "山本 健",
        "--add-team",
        "build:lead",
        "--remove-team",
        "build:operator",
        "--admin",
    )
    assert said["changes"] == [
        "name '山本 大輔' -> '山本 健'",
        "no longer operator in build",
        "lead in build",
        "admin",
    ]
    yamamoto = users_of(demo_url)["yamamoto"]
    assert yamamoto["name"] == "山本 健" and yamamoto["is_admin"]
    assert yamamoto["teams"] == {"build": ["lead"]}
    assert ok(*admin, "users", "edit", "yamamoto", "--no-admin").stdout == (
        "user yamamoto: no longer admin\n"
    )
    fails(*admin, "users", "edit", "yamamoto", "--add-team", "build:boss", contains="unknown role")
    fails(*admin, "users", "edit", "yamamoto", "--add-team", "nope:lead", contains="no team 'nope'")
    fails(*admin, "users", "edit", "yamamoto", contains="nothing to change")
    fails(*admin, "users", "edit", "admin-ito", "--no-admin", contains="the last admin")
    fails(
        *as_operator(demo_url, "kimura"),
        "users",
        "edit",
        "ryan",
        "--name",
        "R",
        contains="only an admin can edit users",
    )
