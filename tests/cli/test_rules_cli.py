"""``backoffice rules``: load, list, show, enable/disable, test, run,
history and rate, through the real command line on both backends."""

import re
from pathlib import Path

import pytest

from backoffice_tui.resources import sample_data_dir
from tests.cli.support import as_operator, fails, ok, ok_json

RULES = sorted(str(p) for p in (sample_data_dir() / "rules").glob("*.toml"))


def test_the_demo_rules_load_list_show_and_test(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    # the demo holds its rules already: loading the same files changes nothing
    assert len(ok_json(*admin, "rules", "list")) == len(RULES)
    assert "assign-surveys version 1: unchanged" in ok(*admin, "rules", "load", *RULES).stdout
    rows = ok_json(*admin, "rules", "list")
    assert len(rows) == len(RULES) and all(r["enabled"] for r in rows)
    shown = ok(*admin, "rules", "show", "approve-expired-cards").stdout
    assert 'do = "approve"' in shown and "version" in shown
    report = ok_json(*admin, "rules", "test", "waiting-reminder")
    assert report["rule"] == "waiting-reminder" and report["events_30_days"] is None
    events = ok_json(*admin, "rules", "test", "assign-surveys")
    assert events["events_seen"] >= events["events_30_days"] >= 0
    ok(*admin, "rules", "disable", "waiting-reminder")
    assert "already disabled" in ok(*admin, "rules", "disable", "waiting-reminder").stdout
    listed = {r["name"]: r["enabled"] for r in ok_json(*admin, "rules", "list")}
    assert listed["waiting-reminder"] is False


def test_rules_run_fires_time_rules_once_and_history_shows_them(demo_url: str) -> None:
    admin = as_operator(demo_url, "admin-ito")
    ok(*admin, "rules", "load", *RULES)
    first = ok_json(*admin, "rules", "run")
    assert "reminders" in first and isinstance(first["firings"], list)
    again = ok_json(*admin, "rules", "run")
    keys = {(f["rule"], f["fire_key"]) for f in first["firings"]}
    assert not keys & {(f["rule"], f["fire_key"]) for f in again["firings"]}
    history = ok_json(*admin, "rules", "history")
    assert len(history) >= len([f for f in first["firings"] if f["outcome"] != "already"])
    rate = ok_json(*admin, "rules", "rate", "--weeks", "2")
    assert 0 <= rate["overall"] <= 1


def test_bad_input_is_one_clear_line(demo_url: str, tmp_path: Path) -> None:
    admin = as_operator(demo_url, "admin-ito")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[trigger]\nevent = "work_item.ready"\n', encoding="utf-8")
    fails(*admin, "rules", "load", str(bad), contains="at least one [[actions]]")
    fails(*admin, "rules", "load", str(tmp_path / "absent.toml"), contains="no file")
    fails(*admin, "rules", "show", "nothing-here", contains="no rule 'nothing-here'")
    fails(*admin, "rules", "test", "nothing-here", contains="no rule")
    operator = as_operator(demo_url, "sato")
    fails(*operator, "rules", "load", *RULES, contains="only an admin")
    assert [r["name"] for r in ok_json(*admin, "rules", "list")] == [Path(p).stem for p in RULES]


EVERY_DAY = """
name = "daily-look"
roles = ["operator@design"]
[trigger]
every_minutes = 1440
[when]
field = "team"
equals = "design"
[[actions]]
do = "comment"
text = "looked at {title}"
"""


def test_rules_run_says_how_many_firings_it_left_for_the_next_run(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = as_operator(demo_url, "admin-ito")
    rule = tmp_path / "daily-look.toml"
    rule.write_text(EVERY_DAY, encoding="utf-8")
    ok(*admin, "rules", "load", str(rule))
    monkeypatch.setattr("backoffice_tui.services.rules.runner.MAX_PER_RUN", 2)
    first = re.search(r"^daily-look: (\d+) more left for the next run$", _run(admin), re.M)
    assert first is not None and int(first.group(1)) > 2
    left = int(first.group(1))
    second = re.search(r"^daily-look: (\d+) more left for the next run$", _run(admin), re.M)
    assert second is not None and int(second.group(1)) == left - 2
    fired = [r for r in ok_json(*admin, "rules", "history", "daily-look") if r["outcome"] == "done"]
    assert len(fired) == 4


def _run(admin: list[str]) -> str:
    return ok(*admin, "rules", "run").stdout
