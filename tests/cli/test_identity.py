"""Who the operator is on PostgreSQL: the login role, ``session_user``.

See docs/ARCHITECTURE.md, 'Identity'.

Every test runs on the PostgreSQL demo database only; each connects as a
login role of its own rather than as the superuser of the test server.
"""

from typing import Any

import pytest

from tests.cli.support import (
    assert_one_line_error,
    ensure_role,
    fails,
    invoke,
    ok,
    ok_json,
    url_for_role,
)
from tests.helpers import newest_event_id
from tests.postgres_server import PostgresServer

#: Run a test on the PostgreSQL demo database only.
on_postgres = pytest.mark.parametrize("demo_url", ["postgresql"], indirect=True)


def _connect_as(url: str, role: str, *, grant: bool = True) -> list[str]:
    """Global options connecting to the demo database as the login role ``role``."""
    ensure_role(url, role, grant=grant)
    return ["--database", url_for_role(url, role)]


def _free_design_item(url: str) -> dict[str, Any]:
    rows = ok_json(
        "--database",
        url,
        "queue",
        "list",
        "--team",
        "design",
        "--status",
        "ready",
        "--assignee",
        "none",
    )
    assert rows
    return rows[0]


def _events_after(url: str, event_id: int) -> list[dict[str, Any]]:
    return list(ok_json("--database", url, "events", "--since", str(event_id)))


@on_postgres
def test_session_user_is_the_operator(demo_url: str) -> None:
    sato = _connect_as(demo_url, "sato")
    item = _free_design_item(demo_url)
    item_id = str(item["id"])
    last_event = newest_event_id(demo_url)

    claimed = ok_json(*sato, "queue", "claim", item_id)
    assert claimed["assignee"] == "sato"
    mine = ok_json(*sato, "queue", "list", "--assignee", "me", "--limit", "100000")
    assert item["id"] in {r["id"] for r in mine}
    assert {r["assignee"] for r in mine} == {"sato"}

    timeline = ok_json("--database", demo_url, "customers", "timeline", item["customer_code"])
    assert (timeline[-1]["kind"], timeline[-1]["actor"]) == ("work_item.claimed", "sato")
    assert timeline[-1]["summary"].startswith("sato claimed ")
    assert [(e["kind"], e["actor"]) for e in _events_after(demo_url, last_event)] == [
        ("work_item.claimed", "sato")
    ]


@on_postgres
def test_non_admin_may_not_act_as_someone_else(demo_url: str) -> None:
    david = _connect_as(demo_url, "david")
    item = _free_design_item(demo_url)
    item_id = str(item["id"])
    last_event = newest_event_id(demo_url)

    line = fails(*david, "--user", "kimura", "queue", "claim", item_id)
    assert "only admins may use --user" in line
    assert "david cannot act as kimura" in line
    fails(*david, "--user", "sato", "queue", "list", "--assignee", "me")
    assert _events_after(demo_url, last_event) == []
    assert ok_json("--database", demo_url, "queue", "show", item_id) == item

    # naming yourself is not acting as someone else
    assert ok_json(*david, "--user", "david", "queue", "claim", item_id)["assignee"] == "david"


@on_postgres
def test_admin_acting_as_another_user_is_recorded_as_the_admin(demo_url: str) -> None:
    admin = _connect_as(demo_url, "admin-ito")
    item = _free_design_item(demo_url)
    item_id = str(item["id"])
    last_event = newest_event_id(demo_url)

    claimed = ok_json(*admin, "--user", "david", "queue", "claim", item_id)
    assert claimed["assignee"] == "david"

    timeline = ok_json("--database", demo_url, "customers", "timeline", item["customer_code"])
    entry = timeline[-1]
    assert entry["kind"] == "work_item.claimed"
    assert entry["actor"] == "admin-ito"
    assert entry["summary"].startswith("admin-ito as david claimed ")
    feed = _events_after(demo_url, last_event)
    assert [(e["kind"], e["actor"]) for e in feed] == [("work_item.claimed", "admin-ito")]

    fails(*admin, "--user", "nobody", "queue", "claim", item_id, contains="no user 'nobody'")
    assert _events_after(demo_url, last_event) == feed


@on_postgres
def test_role_without_a_user_row_is_told_how_to_be_added(demo_url: str) -> None:
    stranger = _connect_as(demo_url, "stranger")
    item = _free_design_item(demo_url)
    item_id = str(item["id"])
    last_event = newest_event_id(demo_url)

    line = fails(*stranger, "queue", "claim", item_id)
    assert "'stranger' is not a user of this database" in line
    assert "`backoffice users add stranger" in line
    fails(*stranger, "queue", "list", "--assignee", "me", contains="backoffice users add")
    assert _events_after(demo_url, last_event) == []

    # a non-admin cannot add it; an admin can, and then the role works
    fails(
        *_connect_as(demo_url, "david"),
        "users",
        "add",
        "stranger",
        "--team",
        "design:operator",
    )
    admin = _connect_as(demo_url, "admin-ito")
    ok(*admin, "users", "add", "stranger", "--name", "New Hire", "--team", "design:operator")
    assert ok_json(*stranger, "queue", "claim", item_id)["assignee"] == "stranger"


@on_postgres
def test_role_without_table_privileges_gets_one_line(demo_url: str) -> None:
    """A role an admin created but forgot to GRANT to: one line, no traceback."""
    bare = _connect_as(demo_url, "no_grants", grant=False)
    result = invoke(*bare, "queue", "list")
    line = assert_one_line_error(result)
    assert "permission denied" in line


def test_role_or_database_that_does_not_exist(pg_server: PostgresServer) -> None:
    url = pg_server.url("postgres", user="no_such_role")
    line = fails("--database", url, "queue", "list", contains="cannot open database")
    assert 'role "no_such_role" does not exist' in line
    url = pg_server.url("no_such_database")
    for command in (["queue", "list"], ["db", "upgrade"], ["db", "current"]):
        line = fails("--database", url, *command, contains="cannot open database")
        assert 'database "no_such_database" does not exist' in line
