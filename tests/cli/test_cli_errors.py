"""Bad input: exit 1 with one ``error: ...`` line and nothing written; usage errors exit 2."""

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import (
    as_operator,
    assert_one_line_error,
    assert_usage_error,
    fails,
    files_under,
    invoke,
    isolated_home,
    ok,
    ok_json,
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory; the test checks it is still empty at the end."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    # no ~/.pgpass of the real user may take part
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    return folder


def assert_nothing_written(*folders: Path) -> None:
    for folder in (*folders, isolated_home()):
        assert files_under(folder) == [], f"files written under {folder}"


def _snapshot(url: str, item_id: int) -> tuple[int, Any]:
    """The last event id and the item as the queue shows it."""
    events = ok_json("--database", url, "events", "--limit", "100000")
    return max(e["id"] for e in events), ok_json("--database", url, "queue", "show", str(item_id))


def _design_item(url: str, status: str) -> dict[str, Any]:
    rows = ok_json("--database", url, "queue", "list", "--team", "design", "--status", status)
    unassigned = [r for r in rows if r["assignee"] is None]
    assert unassigned, f"the demo has an unassigned {status} design item"
    return unassigned[0]


# --- the database URL ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://x/y", "only SQLite and PostgreSQL are supported"),
        ("not a url", "not a database URL: not a url"),
        ("", "not a database URL: an empty string"),
    ],
)
def test_wrong_database_url(workdir: Path, url: str, expected: str) -> None:
    for command in (["queue", "list"], ["db", "upgrade"], ["demo", "load"]):
        line = fails("--database", url, *command, contains=expected)
        assert "use sqlite:///PATH or postgresql://USER@HOST/DB" in line, line
    assert_nothing_written(workdir)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+nosuchdriver:///x.db",
        "postgresql+nosuchdriver://u@127.0.0.1:1/x",
        "postgresql+psycopg2://u@127.0.0.1:1/x",
        "sqlite+pysqlcipher:///x.db",
    ],
)
def test_database_driver_that_is_not_available(workdir: Path, url: str) -> None:
    line = fails("--database", url, "db", "upgrade", contains="unsupported database driver")
    assert "unexpected" not in line
    assert_nothing_written(workdir)


def test_missing_sqlite_file_is_not_created(workdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "missing.db"
    url = f"sqlite:///{path}"
    for command in (
        ["queue", "list"],
        ["db", "current"],
        ["--user", "kimura", "demo", "load"],
        ["--user", "kimura", "queue", "claim", "1"],
        ["customers", "list", "--json"],
    ):
        line = fails("--database", url, *command, contains=f"no database file at {path}")
        assert line.endswith(f"`backoffice --database {url} db upgrade`")
    assert not path.parent.exists()
    assert not list(tmp_path.glob("**/missing.db*"))
    assert_nothing_written(workdir)


def test_existing_file_that_is_not_a_database(workdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("just some text\n", encoding="utf-8")
    fails("--database", f"sqlite:///{path}", "queue", "list", contains="file is not a database")
    assert path.read_text(encoding="utf-8") == "just some text\n"
    assert_nothing_written(workdir)


def test_database_without_schema_says_to_upgrade(workdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE other (x INTEGER)")
    connection.close()
    url = f"sqlite:///{path}"
    line = fails("--database", url, "queue", "list", contains="has no backoffice schema")
    assert line.endswith(f"`backoffice --database {url} db upgrade`")
    assert ok_json("--database", url, "db", "current")["status"] == "empty"
    # doing what the message says works
    ok("--database", url, "db", "upgrade")
    assert ok_json("--database", url, "queue", "list") == []
    assert_nothing_written(workdir)


# --- the config file ----------------------------------------------------------------


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_config_with_toml_syntax_error(workdir: Path, tmp_path: Path, demo_url: str) -> None:
    config = tmp_path / "broken.toml"
    text = '[ui]\ntheme = "dark\n'
    config.write_text(text, encoding="utf-8")
    last_event = max(
        e["id"] for e in ok_json("--database", demo_url, "events", "--limit", "100000")
    )
    for command in (
        ["--database", demo_url, "queue", "list"],
        ["--database", demo_url, "--user", "david", "queue", "claim", "1"],
        ["config", "set", "ui.theme", "light"],
        ["config", "init"],
    ):
        line = fails("--config", str(config), *command, contains=str(config))
        assert "not valid TOML" in line or "exists" in line, line
    assert config.read_text(encoding="utf-8") == text
    assert ok_json("--database", demo_url, "events", "--since", str(last_event)) == []
    # the way out that the message names works
    assert ok_json("--config", str(config), "config", "path")["exists"] is True
    ok("--config", str(config), "config", "init", "--force")
    ok("--config", str(config), "--database", demo_url, "queue", "list")
    assert files_under(workdir) == []


@pytest.mark.parametrize(
    "text",
    [
        '[database]\nurl = "postgresql://alice:s3cr3t-pw@db.example.com/backoffice"\n',
        '[database]\nurl = "postgresql://alice@db.example.com/backoffice?password=s3cr3t-pw"\n',
        '[database]\nurl = "sqlite:///x.db"\npassword = "s3cr3t-pw"\n',
    ],
)
def test_config_holding_a_database_password_is_refused(
    workdir: Path, tmp_path: Path, text: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text, encoding="utf-8")
    result = invoke("--config", str(config), "queue", "list")
    line = assert_one_line_error(result, contains="holds a database password")
    assert str(config) in line and "backoffice login" in line
    assert "s3cr3t-pw" not in result.output + result.stderr
    assert config.read_text(encoding="utf-8") == text
    assert_nothing_written(workdir)


def test_config_set_refuses_a_password_and_bad_values(workdir: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    ok("--config", str(config), "config", "init")
    text = config.read_text(encoding="utf-8")
    result = invoke(
        "--config", str(config), "config", "set", "database.url", "postgresql://a:s3cr3t@h/db"
    )
    assert_one_line_error(result, contains="refusing to write a database password")
    assert "s3cr3t" not in result.output + result.stderr
    fails("--config", str(config), "config", "set", "ui.colour", "red", contains="unknown setting")
    fails("--config", str(config), "config", "set", "ui.mouse", "maybe", contains="true or false")
    fails("--config", str(config), "config", "set", "sync.poll_interval", "0", contains="than 0")
    fails("--config", str(config), "config", "set", "database.url", "mysql://x/y")
    assert config.read_text(encoding="utf-8") == text
    assert_nothing_written(workdir)


def test_config_with_unknown_setting(workdir: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[ui]\ncolour = "red"\n', encoding="utf-8")
    fails("--config", str(config), "queue", "list", contains="unknown setting 'ui.colour'")
    assert_nothing_written(workdir)


# --- PostgreSQL that is not there ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["postgresql://nobody@127.0.0.1:1/x", "postgresql://nobody:s3cr3t-pw@127.0.0.1:1/x"],
)
def test_unreachable_postgres_answers_quickly(
    workdir: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a password may come from the environment, never from the command line
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", url)
    for command in (["queue", "list"], ["db", "upgrade"], ["db", "current", "--json"]):
        started = time.monotonic()
        result = invoke(*command)
        elapsed = time.monotonic() - started
        assert_one_line_error(result, contains="cannot open database")
        assert "Connection refused" in result.stderr or "connection" in result.stderr.lower()
        assert "127.0.0.1" in result.stderr
        assert "s3cr3t-pw" not in result.output + result.stderr
        assert elapsed < 5, f"took {elapsed:.1f} s"
    assert_nothing_written(workdir)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody:s3cr3t-pw@127.0.0.1:1/x",
        "postgresql://nobody@127.0.0.1:1/x?password=s3cr3t-pw",
        "postgresql://nobody:s3cr3t@pw@127.0.0.1:1/x",
        "postgresql://nobody:s3cr3t-pw@127.0.0.1:notaport/x",
    ],
)
def test_a_password_on_the_command_line_is_refused_unseen(workdir: Path, url: str) -> None:
    line = fails("--database", url, "queue", "list", contains="process list")
    assert "s3cr3t" not in line and "backoffice login" in line
    assert_nothing_written(workdir)


def test_a_malformed_url_in_the_environment_is_masked(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in ("postgres ql://nobody:s3cr3t-pw@h/x", "postgresql://nobody:s3cr3t-pw@h:port/x"):
        monkeypatch.setenv("BACKOFFICE_DATABASE_URL", url)
        line = fails("queue", "list", contains="not a database URL")
        assert "s3cr3t" not in line and "nobody:***@" in line


# --- refused actions on a real database --------------------------------------------------


def test_unknown_work_item(demo_url: str) -> None:
    david = as_operator(demo_url, "david")
    item = _design_item(demo_url, "ready")
    before = _snapshot(demo_url, item["id"])
    for action in ("claim", "start", "done", "release", "show"):
        line = fails(*david, "queue", action, "999999", contains="no work item 999999")
        assert line == "error: no work item 999999"
    fails(*david, "queue", "block", "999999", "--reason", "r", contains="no work item 999999")
    assert _snapshot(demo_url, item["id"]) == before


def test_wrong_transition(demo_url: str) -> None:
    david = as_operator(demo_url, "david")
    item = _design_item(demo_url, "ready")
    item_id = str(item["id"])
    before = _snapshot(demo_url, item["id"])
    line = fails(*david, "queue", "done", item_id)
    assert line == f"error: cannot finish work item {item_id}: it is ready"
    fails(*david, "queue", "release", item_id, contains="has no assignee")
    fails(*david, "queue", "unblock", item_id, contains="it is ready")
    fails(*david, "queue", "block", item_id, "--reason", "   ", contains="reason is required")
    assert _snapshot(demo_url, item["id"]) == before

    waiting = _design_item(demo_url, "waiting")
    fails(*david, "queue", "start", str(waiting["id"]), contains="it is waiting")


def test_no_permission(demo_url: str) -> None:
    tanaka = as_operator(demo_url, "tanaka")
    item = _design_item(demo_url, "ready")
    item_id = str(item["id"])
    before = _snapshot(demo_url, item["id"])
    line = fails(*tanaka, "queue", "claim", item_id)
    assert line == "error: tanaka is not in team design, so cannot claim its work"
    fails(*tanaka, "queue", "start", item_id, contains="tanaka is not in team design")
    fails(*tanaka, "queue", "block", item_id, "--reason", "r", contains="not in team design")
    fails(*tanaka, "queue", "assign", item_id, "david", contains="design")
    assert _snapshot(demo_url, item["id"]) == before


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_unknown_user_on_sqlite(demo_url: str) -> None:
    """(--user on PostgreSQL: see test_identity.)"""
    line = fails("--database", demo_url, "--user", "nobody", "queue", "claim", "1")
    assert "'nobody' is not a user of this database" in line
    assert "`backoffice users add nobody" in line


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_unknown_team_and_customer(demo_url: str) -> None:
    line = fails("--database", demo_url, "queue", "list", "--team", "nope")
    assert line == "error: no team 'nope'"
    line = fails("--database", demo_url, "customers", "show", "NOPE")
    assert line == "error: no customer 'NOPE'"
    fails("--database", demo_url, "customers", "timeline", "NOPE", contains="no customer")
    fails("--database", demo_url, "queue", "list", "--status", "bogus", contains="unknown status")
    fails("--database", demo_url, "queue", "list", "--assignee", "nobody", contains="no user")


# --- usage errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["queue", "list", "--bogus"],
        ["--bogus", "queue", "list"],
        ["queue", "frobnicate"],
        ["nosuchcommand"],
        ["queue", "claim", "abc"],
        ["queue", "claim"],
        ["queue", "block", "1"],
        ["events", "--since", "-1"],
        ["queue", "list", "--limit", "0"],
    ],
)
def test_usage_errors_exit_2(workdir: Path, tmp_path: Path, args: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    assert_usage_error(invoke("--database", url, *args))
    assert_nothing_written(workdir)


def test_output_cut_short_by_its_reader_ends_quietly(
    tmp_path: Path, sqlite_templates: dict[bool, Path]
) -> None:
    """``backoffice ... | head -1``: once head has its line and leaves, the
    command stops without a word and succeeds."""
    database = tmp_path / "demo.db"
    shutil.copyfile(sqlite_templates[True], database)
    command = [sys.executable, "-m", "backoffice_tui.cli.main", "--database"]
    # far more than a pipe holds, so that the command is still writing when head leaves
    command += [f"sqlite:///{database}", "events", "--limit", "5000", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"[\n"
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(60) == 0, stderr
    assert stderr == ""
