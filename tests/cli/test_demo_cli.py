"""``backoffice demo``: where the demo lives, its options, loading it next to existing users."""

import subprocess
import sys

from backoffice_tui.config import demo_database_url
from tests.cli.support import as_operator, ok, ok_json


def test_demo_url_names_the_database_the_console_opens() -> None:
    assert ok("demo", "url").stdout == demo_database_url() + "\n"


def test_the_console_options_reach_the_demo_console() -> None:
    """``--customer`` given before ``demo`` is the demo console's: an unknown
    code is refused in one line before any screen opens (it used to be
    ignored, and the console opened on Home)."""
    done = subprocess.run(
        [sys.executable, "-m", "backoffice_tui.cli.main", "--customer", "NOPE", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.splitlines()[-1].startswith("error: no customer 'NOPE'"), done.stderr


def test_the_demo_loads_next_to_the_users_a_database_already_has(empty_url: str) -> None:
    """A team database gets its first admin, then the demo to try it out: the
    demo keeps the users it finds (one of them a demo login) instead of
    failing on their logins; the persona the demo opens as is an admin."""
    boss = as_operator(empty_url, "boss")
    ok(*boss, "users", "add", "boss", "--name", "Boss")
    ok(*boss, "users", "add", "sato", "--name", "佐藤 (added first)")
    loaded = ok(*boss, "demo", "load")
    assert "an admin of the demo data" in loaded.stdout
    users = {u["login"]: u for u in ok_json(*boss, "users", "list")}
    assert users["sato"]["name"] == "佐藤 (added first)"
    assert users["sato"]["teams"], "the existing user took the demo persona's teams"
    you = loaded.stdout.split("you are ")[1].split(",")[0]
    assert users[you]["is_admin"]
    assert ok_json(*boss, "queue", "list", "--limit", "1")
