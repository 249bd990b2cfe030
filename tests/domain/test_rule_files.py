"""Rule files parsed into specs, and conditions evaluated: pure, no I/O."""

import re
import tomllib
from datetime import time

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.rule_files import describe_condition, holds, parse_rule
from backoffice_tui.resources import sample_data_dir


def rule(text: str) -> object:
    return parse_rule(tomllib.loads(text), "r.toml")


BASE = 'name = "r"\n[[actions]]\ndo = "comment"\ntext = "hi"\n'


@pytest.mark.parametrize(
    ("trigger", "kind", "described"),
    [
        (
            'event = ["work_item.ready", "handoff.returned"]',
            "event",
            "on work_item.ready, handoff.returned",
        ),
        ("every_minutes = 15", "schedule", "every 15 min"),
        ('daily_at = "08:30"', "schedule", "working days at 08:30"),
        ("overdue_hours = 4", "time", "overdue by 4 h"),
        ("waiting_working_days = 3", "time", "waiting over 3 working days"),
        ("due_within_days = 2", "time", "due within 2 days"),
    ],
)
def test_each_trigger_kind(trigger: str, kind: str, described: str) -> None:
    spec = parse_rule(tomllib.loads(BASE + f"[trigger]\n{trigger}\n"), "r.toml")
    assert spec.trigger.kind == kind
    assert spec.trigger.describe() == described
    if "daily_at" in trigger:
        assert spec.trigger.daily_at == time(8, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "Bad Name"', "lower-case"),
        ('name = "r"\n[[actions]]\ndo = "comment"\ntext = "x"\n', "missing [trigger]"),
        (BASE + "[trigger]\n", "exactly one of"),
        (BASE + "[trigger]\nevery_minutes = 0\n", "positive whole number"),
        (BASE + '[trigger]\ndaily_at = "noon"\n', "a time such as"),
        (BASE + "[trigger]\nsoon = 1\n", "unknown key 'soon'"),
        ('name = "r"\n[trigger]\nevery_minutes = 5\n', "at least one [[actions]]"),
        (
            BASE.replace('"comment"', '"explode"') + "[trigger]\nevery_minutes = 5\n",
            "unknown action 'explode'",
        ),
        (BASE + '[trigger]\nevery_minutes = 5\n[when]\nfield = "team"\n', "needs exactly one of"),
        (
            BASE + '[trigger]\nevery_minutes = 5\n[when]\nfield = "amount"\nbelow = "ten"\n',
            "compares with a number",
        ),
        ('roles = ["boss@ops"]\n' + BASE + "[trigger]\nevery_minutes = 5\n", "'roles' is a list"),
        (
            'subject = "handoff"\n' + BASE + "[trigger]\noverdue_hours = 2\n",
            "time conditions apply",
        ),
        (
            'name = "r"\n[trigger]\nevery_minutes = 5\n'
            '[[actions]]\ndo = "set_priority"\npriority = 9\n',
            "1 (most urgent) to 4",
        ),
    ],
)
def test_bad_rules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        rule(text)


def test_conditions_combine_with_all_any_and_not() -> None:
    spec = parse_rule(
        tomllib.loads(
            BASE
            + "[trigger]\nevery_minutes = 5\n"
            + '[when]\nall = [{ field = "team", equals = "Design" }, '
            + '{ any = [{ field = "fields.amount", below = 500 }, '
            + '{ field = "segment", in = ["vip"] }] }, '
            + '{ not = { field = "status", equals = "blocked" } }]\n'
        ),
        "r.toml",
    )
    assert holds(spec.when, {"team": "design", "fields.amount": "120", "status": "ready"})
    assert holds(spec.when, {"team": "design", "fields.amount": "9000", "segment": "VIP"})
    assert not holds(spec.when, {"team": "design", "fields.amount": "9000", "segment": "smb"})
    assert not holds(spec.when, {"team": "design", "fields.amount": "1", "status": "blocked"})
    assert not holds(spec.when, {"fields.amount": "1"})  # a missing field satisfies no test
    assert "fields.amount below 500" in describe_condition(spec.when)


def test_every_demo_rule_parses() -> None:
    files = sorted((sample_data_dir() / "rules").glob("*.toml"))
    kinds = set()
    for path in files:
        spec = parse_rule(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
        kinds |= {action.kind for action in spec.actions}
        assert spec.description
    assert kinds == {
        "assign",
        "set_priority",
        "set_due",
        "escalate",
        "remind",
        "comment",
        "approve",
        "finish",
        "handoff",
        "follow_up",
        "file_application",
    }


ACTING = 'name = "r"\n[trigger]\nevery_minutes = 5\n[[actions]]\n'


def test_handoff_and_follow_up_actions_parse() -> None:
    handoff = parse_rule(
        tomllib.loads(
            ACTING + 'do = "handoff"\nsubmit = true\nanswers = { circuit-id = "{order}" }\n'
        ),
        "r.toml",
    ).actions[0]
    assert (handoff.option("submit"), handoff.option("answers")) == (
        True,
        {"circuit-id": "{order}"},
    )
    follow = parse_rule(
        tomllib.loads(ACTING + 'do = "follow_up"\nservice = "cloud"\npriority = 2\n'), "r.toml"
    ).actions[0]
    assert (follow.option("service"), follow.option("priority")) == (["cloud"], 2)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ('do = "handoff"\nsubmit = "yes"\n', "'submit' is true or false"),
        ('do = "handoff"\nanswers = { circuit-id = 1 }\n', "'answers' is a table of texts"),
        ('do = "handoff"\nanswers = "all"\n', "'answers' is a table of texts"),
        ('do = "follow_up"\n', "'service' is a service code"),
        ('do = "follow_up"\nservice = []\n', "'service' is a service code"),
        ('do = "follow_up"\nservice = ["cloud", 3]\n', "'service' is a service code"),
        ('do = "follow_up"\nservice = "cloud"\npriority = 0\n', "1 (most urgent) to 4"),
        ('do = "follow_up"\nservice = "cloud"\ntitle = 5\n', "'title' must be text"),
    ],
)
def test_bad_handoff_and_follow_up_actions_say_what_is_wrong(action: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        rule(ACTING + action)
