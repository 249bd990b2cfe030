"""The ``backoffice`` command line on SQLite and PostgreSQL."""

import json
import shutil
import stat
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backoffice_tui.config import load_settings
from backoffice_tui.domain.statuses import OPEN_STATUSES
from backoffice_tui.services.connection import open_database
from backoffice_tui.store.models import WorkItem
from backoffice_tui.store.schema import head_revision
from tests.cli.support import (
    as_operator,
    fails,
    is_postgres,
    ok,
    ok_json,
)
from tests.conftest import approve_through, request_of
from tests.helpers import newest_event_id

QUEUE_FIELDS = {
    "id",
    "customer_code",
    "customer_name",
    "order_code",
    "service",
    "step",
    "team",
    "assignee",
    "status",
    "priority",
    "due",
    "version",
    "title",
}
TIMELINE_FIELDS = {"id", "at", "actor", "kind", "summary", "service", "order_code"}
OPEN = {s.value for s in OPEN_STATUSES}


def _ready_design_item(url: str) -> dict[str, Any]:
    """An unassigned ready design item whose order line has a waiting next step."""
    ready = ok_json(
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
    assert ready, "the demo data has unassigned ready design items"
    for item in ready:
        assert item["team"] == "design" and item["status"] == "ready"
        assert item["assignee"] is None
        waiting = _line_items(url, item, "waiting")
        if waiting:
            return item
    raise AssertionError("no ready design item with a waiting next step")


def _line_items(url: str, item: dict[str, Any], status: str) -> list[dict[str, Any]]:
    """The items of ``item``'s order line that have ``status``."""
    rows = ok_json(
        "--database",
        url,
        "queue",
        "list",
        "--customer",
        item["customer_code"],
        "--status",
        status,
        "--limit",
        "100000",
    )
    return [
        r for r in rows if r["order_code"] == item["order_code"] and r["service"] == item["service"]
    ]


# --- 1. a fresh SQLite file -------------------------------------------------------


def test_fresh_sqlite_file_upgrade_demo_load_and_queue(tmp_path: Path) -> None:
    path = tmp_path / "new folder" / "backoffice.db"
    url = f"sqlite:///{path}"

    upgraded = ok_json("--database", url, "db", "upgrade")
    assert upgraded["before"] is None
    assert upgraded["after"] == head_revision()
    assert path.is_file()
    again = ok_json("--database", url, "db", "upgrade")
    assert again["before"] == again["after"] == head_revision()

    loaded = ok("--database", url, "--user", "kimura", "demo", "load")
    assert "you are kimura" in loaded.stdout

    rows = ok_json("--database", url, "queue", "list", "--limit", "100000")
    assert rows
    for row in rows:
        assert set(row) == QUEUE_FIELDS, row
        assert row["status"] in OPEN
        assert isinstance(row["id"], int) and isinstance(row["version"], int)
        datetime.fromisoformat(row["due"])
    keys = [(r["due"], r["id"]) for r in rows]
    assert keys == sorted(keys), "earliest due first"

    db = open_database(url)
    try:
        with db.read() as session:
            open_count = session.scalar(
                select(func.count()).where(WorkItem.status.in_(sorted(OPEN)))
            )
    finally:
        db.dispose()
    assert len(rows) == open_count
    assert len({r["id"] for r in rows}) == len(rows)
    assert {"kimura", "david", "priya", "sato"} <= {r["assignee"] for r in rows}

    # the default window is 50 rows, the first 50 of the full list
    assert ok_json("--database", url, "queue", "list") == rows[:50]
    users = {u["login"]: u for u in ok_json("--database", url, "users", "list")}
    assert {t: sorted(r) for t, r in users["kimura"]["teams"].items()} == {
        "build": ["lead", "operator"],
        "operations": ["approver", "operator"],
    }


# --- 2. claim, start, done ----------------------------------------------------------


def test_claim_start_done_makes_next_step_ready_and_is_on_the_timeline(demo_url: str) -> None:
    david = as_operator(demo_url, "david")
    item = _ready_design_item(demo_url)
    item_id, code = str(item["id"]), item["customer_code"]
    waiting_before = {r["id"] for r in _line_items(demo_url, item, "waiting")}
    ready_before = {r["id"] for r in _line_items(demo_url, item, "ready")}
    timeline_before = ok_json("--database", demo_url, "customers", "timeline", code)
    last_event = newest_event_id(demo_url)

    claimed = ok_json(*david, "queue", "claim", item_id)
    assert claimed["assignee"] == "david" and claimed["status"] == "ready"
    assert claimed["version"] == item["version"] + 1
    started = ok_json(*david, "queue", "start", item_id)
    assert started["assignee"] == "david" and started["status"] == "in_progress"
    assert started["version"] == item["version"] + 2
    db = open_database(demo_url)
    approval = request_of(db, "work_item", item["id"])
    if approval is not None:  # a step with an approval route
        refused = fails(*david, "queue", "done", item_id, contains="is still waiting at stage 1")
        assert refused.startswith(f"error: cannot finish work item {item_id}: approval ")
        approve_through(db, "work_item", item["id"])
    db.dispose()
    plain = ok(*david, "queue", "done", item_id)
    assert plain.stdout.startswith(f"finished work item {item_id}: ")
    assert " is done " in plain.stdout and plain.stdout.count("\n") == 1

    shown = ok_json("--database", demo_url, "queue", "show", item_id)
    assert set(shown) == QUEUE_FIELDS
    assert shown["status"] == "done" and shown["assignee"] == "david"
    assert shown["version"] == item["version"] + 3

    ready_after = {r["id"] for r in _line_items(demo_url, item, "ready")}
    newly_ready = ready_after - ready_before
    assert len(newly_ready) == 1, (ready_before, ready_after)
    (next_id,) = newly_ready
    assert next_id in waiting_before
    assert item["id"] not in ready_after
    assert ok_json("--database", demo_url, "queue", "show", str(next_id))["status"] == "ready"

    timeline = ok_json("--database", demo_url, "customers", "timeline", code)
    assert timeline[: len(timeline_before)] == timeline_before, "older events come first"
    everything_new = timeline[len(timeline_before) :]
    new = [e for e in everything_new if not e["kind"].startswith("approval.")]
    if approval is not None:  # the approval is part of the customer's story too
        decided = [e for e in everything_new if e not in new]
        assert decided[0]["kind"] == "approval.requested"
        assert decided[-1]["kind"] == "approval.completed"
        assert {e["entity_id"] for e in decided} == {approval}
    for entry in timeline:
        assert set(entry) >= TIMELINE_FIELDS, entry
    assert [e["kind"] for e in new] == [
        "work_item.claimed",
        "work_item.started",
        "work_item.done",
        "work_item.ready",
    ]
    assert [e["entity_id"] for e in new] == [item["id"]] * 3 + [next_id]
    assert {e["actor"] for e in new} == {"david"}
    assert {(e["order_code"], e["service"]) for e in new} == {(item["order_code"], item["service"])}
    assert [e["id"] for e in new] == sorted(e["id"] for e in new)
    times = [datetime.fromisoformat(e["at"]) for e in timeline]
    assert times == sorted(times), "oldest first"
    assert "david claimed" in new[0]["summary"] and item["step"] in new[0]["summary"]

    newest = ok_json("--database", demo_url, "customers", "timeline", code, "--newest-first")
    assert newest[: len(everything_new)] == everything_new[::-1]

    feed = ok_json("--database", demo_url, "events", "--since", str(last_event))
    assert [e["kind"] for e in feed] == [e["kind"] for e in everything_new]
    assert [e["id"] for e in feed] == [e["id"] for e in everything_new]


# --- 3. block, stale versions ----------------------------------------------------------


def test_block_with_reason_and_stale_version_is_refused(demo_url: str) -> None:
    david = as_operator(demo_url, "david")
    item = _ready_design_item(demo_url)
    item_id, version = str(item["id"]), item["version"]

    blocked = ok_json(
        *david, "queue", "block", item_id, "--reason", "waiting for the customer's floor plan"
    )
    assert blocked["status"] == "blocked" and blocked["version"] == version + 1
    timeline = ok_json("--database", demo_url, "customers", "timeline", item["customer_code"])
    assert timeline[-1]["kind"] == "work_item.blocked"
    assert timeline[-1]["actor"] == "david"
    assert "waiting for the customer's floor plan" in timeline[-1]["summary"]
    last_event = newest_event_id(demo_url)

    # someone who still has the old version is refused, and nothing changes
    line = fails(
        *david, "queue", "unblock", item_id, "--expect-version", str(version), contains="version"
    )
    assert f"work item {item_id} was changed by david" in line
    assert f"now version {version + 1}, you had {version}" in line and "refresh" in line
    fails(*david, "queue", "claim", item_id, "--expect-version", str(version))
    after = ok_json("--database", demo_url, "queue", "show", item_id)
    assert after == blocked
    assert ok_json("--database", demo_url, "events", "--since", str(last_event)) == []

    # with the current version it goes through
    unblocked = ok_json(*david, "queue", "unblock", item_id, "--expect-version", str(version + 1))
    assert unblocked["status"] == "ready" and unblocked["version"] == version + 2


def test_a_lead_edits_a_step_and_bad_edits_are_one_line(demo_url: str) -> None:
    sato = as_operator(demo_url, "sato")  # a lead of design
    item = _ready_design_item(demo_url)
    item_id, version = str(item["id"]), item["version"]
    edited = ok_json(
        *sato, "queue", "edit", item_id, "--due", "2026/12/24", "--priority", "1",
        "--title", "Sizing with the customer", "--reason", "customer asked",
        "--expect-version", str(version),
    )  # fmt: skip
    assert (edited["due"], edited["priority"], edited["title"]) == (
        "2026-12-24",
        1,
        "Sizing with the customer",
    )
    assert edited["version"] == version + 1
    timeline = ok_json("--database", demo_url, "customers", "timeline", item["customer_code"])
    assert timeline[-1]["kind"] == "work_item.edited"
    assert timeline[-1]["summary"].endswith(": customer asked")
    fails(*sato, "queue", "edit", item_id, "--due", "someday", "--reason", "x", contains="--due")
    fails(
        *sato, "queue", "edit", item_id, "--priority", "2", "--reason", "x",
        "--expect-version", str(version), contains="was changed by sato",
    )  # fmt: skip
    david = as_operator(demo_url, "david")  # an operator of design, not its assignee
    fails(*david, "queue", "edit", item_id, "--priority", "2", "--reason", "x")


# --- 4. reads --------------------------------------------------------------------------


def test_events_since_returns_only_later_events(demo_url: str) -> None:
    every = ok_json("--database", demo_url, "events", "--limit", "100000")
    ids = [e["id"] for e in every]
    assert len(ids) > 10 and ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {"id", "at", "actor", "kind", "summary", "entity", "entity_id"} <= set(every[0])
    since = ids[-6]
    later = ok_json("--database", demo_url, "events", "--since", str(since))
    assert [e["id"] for e in later] == ids[-5:]
    assert later == every[-5:]
    assert ok_json("--database", demo_url, "events", "--since", str(ids[-1])) == []
    limited = ok_json("--database", demo_url, "events", "--since", "0", "--limit", "3")
    assert limited == every[:3]
    table = ok("--database", demo_url, "events", "--since", str(since))
    assert table.stdout.splitlines()[0].split() == ["ID", "TIME", "ACTOR", "KIND", "SUMMARY"]
    assert len(table.stdout.splitlines()) == 6


def test_users_templates_and_schema(demo_url: str) -> None:
    users = {u["login"]: u for u in ok_json("--database", demo_url, "users", "list")}
    assert {"kimura", "david", "priya", "sato", "tanaka", "admin-ito"} <= set(users)
    assert users["admin-ito"]["is_admin"] is True
    assert not any(u["is_admin"] for login, u in users.items() if login != "admin-ito")
    teams = {t: sorted(r) for t, r in users["kimura"]["teams"].items()}
    assert teams == {"build": ["lead", "operator"], "operations": ["approver", "operator"]}
    assert users["david"]["teams"] == {"design": ["operator"]}
    assert users["priya"]["teams"]["design"] == ["operator"]
    assert "lead" in users["sato"]["teams"]["design"]
    assert users["tanaka"]["teams"] == {"sales-admin": ["operator"]}
    assert all(u["active"] for u in users.values())

    # templates: the five demo services
    rows = ok_json("--database", demo_url, "templates", "list")
    assert len(rows) == 5
    assert len({r["service"] for r in rows}) == 5
    assert {"cloud", "custom", "managed-security", "solution-pack"} <= {r["service"] for r in rows}
    for row in rows:
        assert set(row) >= {"service", "name", "version", "steps", "loaded_at"}
        assert row["version"] == 1 and row["steps"] >= 3

    # db current
    status = ok_json("--database", demo_url, "db", "current")
    assert status["current"] == status["head"] == head_revision()
    assert status["status"] == "current"
    assert status["database"].startswith("postgresql" if is_postgres(demo_url) else "sqlite")
    text = ok("--database", demo_url, "db", "current").stdout
    assert f"schema {head_revision()}" in text and "current" in text


SEARCHES = (
    "ｃ０００１",  # full-width code, lower case
    "Ｃ０００１",
    "c0001",
    "ヤマダセイサクショ",  # katakana for the hiragana reading
    "ﾔﾏﾀﾞｾｲｻｸ",  # half-width katakana
    "山田製作所",
)


def test_customer_search_folds_width_case_and_kana(demo_url: str) -> None:
    for search in SEARCHES:
        found = ok_json("--database", demo_url, "customers", "list", "--search", search)
        assert [c["code"] for c in found] == ["C0001"], search
        assert found[0]["name"] == "株式会社山田製作所"
        assert found[0]["reading"] == "やまだせいさくしょ"


def test_customer_list_show_and_plain_tables(demo_url: str) -> None:
    every = ok_json("--database", demo_url, "customers", "list", "--limit", "100000")
    codes = [c["code"] for c in every]
    assert len(codes) == 60 and codes == sorted(codes)
    assert ok_json("--database", demo_url, "customers", "list", "--search", "zzz-no-such") == []

    detail = ok_json("--database", demo_url, "customers", "show", "C0001")
    assert detail["customer"]["code"] == "C0001"
    assert detail["customer"]["name"] == "株式会社山田製作所"
    assert detail["notes"]
    assert detail["lines"]
    for line in detail["lines"]:
        assert 0 <= line["finished"] <= line["steps"]
        if line["finished"] == line["steps"]:
            assert line["current_step"] is None
        else:
            assert line["current_status"] in OPEN
    items = ok_json(
        "--database", demo_url, "queue", "list", "--customer", "C0001", "--limit", "100000"
    )
    current = {(line["order_code"], line["current_step"]) for line in detail["lines"]}
    assert {(i["order_code"], i["step"]) for i in items if i["status"] != "waiting"} <= current

    facts = ok("--database", demo_url, "customers", "show", "C0001").stdout
    assert "code: C0001" in facts and "name: 株式会社山田製作所" in facts

    # the queue as a plain table
    result = ok("--database", demo_url, "queue", "list", "--team", "design", "--limit", "5")
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "CUSTOMER",
        "ORDER",
        "SERVICE",
        "STEP",
        "TEAM",
        "ASSIGNEE",
        "STATUS",
        "DUE",
    ]
    assert 1 < len(lines) <= 6
    assert all(" design " in line for line in lines[1:])
    assert "\x1b" not in result.stdout, "no colour codes when not on a terminal"


# --- 5. config ---------------------------------------------------------------------------


def test_config_init_path_and_set(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    config = ["--config", str(path)]

    assert ok_json(*config, "config", "path") == {"path": str(path), "exists": False}
    assert ok(*config, "config", "path").stdout == f"{path}\n"

    ok(*config, "config", "init")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#") and "[ui]" in text and 'theme = "dark"' in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ok_json(*config, "config", "path") == {"path": str(path), "exists": True}

    set_result = ok(*config, "config", "set", "ui.theme", "light")
    assert "ui.theme = light" in set_result.stdout
    changed = path.read_text(encoding="utf-8")
    assert 'theme = "light"' in changed and 'theme = "dark"' not in changed
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments and all(c in changed.splitlines() for c in comments), "comments kept"
    assert tomllib.loads(changed)["ui"]["theme"] == "light"
    assert load_settings(config=path).theme == "light"

    ok(*config, "config", "set", "ui.ascii_borders", "yes")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["ui"]["ascii_borders"] is True
    # a value the console cannot use is refused when set, naming the key, and not written
    before = path.read_text(encoding="utf-8")
    fails(*config, "config", "set", "ui.theme", "neon", contains="ui.theme must be one of dark")
    fails(
        *config, "config", "set", "approvals.undo_seconds", "1e300",
        contains="approvals.undo_seconds must be at most 60 seconds",
    )  # fmt: skip
    assert path.read_text(encoding="utf-8") == before

    fails(*config, "config", "init", contains="exists; use --force")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["ui"]["theme"] == "light"
    ok(*config, "config", "init", "--force")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["ui"]["theme"] == "dark"


def test_config_file_database_url_and_precedence(
    tmp_path: Path, sqlite_templates: dict[bool, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = {}
    for name in ("file", "env", "option"):
        paths[name] = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_templates[False], paths[name])
    config = ["--config", str(tmp_path / "c.toml")]
    ok(*config, "config", "set", "database.url", f"sqlite:///{paths['file']}")

    def used(*options: str) -> str:
        return str(ok_json(*config, *options, "db", "current")["database"])

    assert used() == f"sqlite:///{paths['file']}"
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", f"sqlite:///{paths['env']}")
    assert used() == f"sqlite:///{paths['env']}"
    assert used("--database", f"sqlite:///{paths['option']}") == f"sqlite:///{paths['option']}"
    monkeypatch.setenv("BACKOFFICE_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert ok_json("config", "path")["path"] == str(tmp_path / "elsewhere.toml")
    assert ok_json(*config, "config", "path")["path"] == str(tmp_path / "c.toml")


# --- 7. two processes claim the same item ---------------------------------------------


def _cli_process(global_options: list[str], *args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "backoffice_tui.cli.main", *global_options, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_two_processes_claim_the_same_item_exactly_one_wins(demo_url: str, tmp_path: Path) -> None:
    logins = ("david", "priya")
    options = {login: as_operator(demo_url, login) for login in logins}
    item = _ready_design_item(demo_url)
    item_id = str(item["id"])
    last_event = newest_event_id(demo_url)

    processes = {
        login: _cli_process(options[login], "queue", "claim", item_id, "--json", cwd=tmp_path)
        for login in logins
    }
    results = {}
    for login, process in processes.items():
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        results[login] = (process.returncode, stdout, stderr)

    winners = [login for login, (code, _, _) in results.items() if code == 0]
    assert len(winners) == 1, results
    (winner,) = winners
    (loser,) = [login for login in logins if login != winner]

    code, stdout, stderr = results[winner]
    assert stderr == "" and json.loads(stdout)["assignee"] == winner
    code, stdout, stderr = results[loser]
    assert code == 1 and stdout == "" and "Traceback" not in stderr
    assert stderr.splitlines() == [f"error: work item {item_id} is already claimed by {winner}"]

    shown = ok_json("--database", demo_url, "queue", "show", item_id)
    assert shown["assignee"] == winner and shown["version"] == item["version"] + 1
    feed = ok_json("--database", demo_url, "events", "--since", str(last_event))
    assert [(e["kind"], e["actor"]) for e in feed] == [("work_item.claimed", winner)]


def test_help_lists_the_commands() -> None:
    result = ok("--help")
    assert "Usage:" in result.stdout
    for command in ("config", "customers", "db", "demo", "events", "queue", "templates"):
        assert f"  {command} " in result.stdout, command
    assert "--database" in result.stdout and "--user" in result.stdout


def test_version_option() -> None:
    assert ok("--version").stdout.startswith("backoffice, version ")
