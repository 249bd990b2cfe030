"""Statuses, working days and template parsing."""

from datetime import date

import pytest

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus, parse_status
from backoffice_tui.domain.templates import parse_template
from backoffice_tui.domain.working_days import add_working_days


def test_parse_status_accepts_what_people_type() -> None:
    assert parse_status("In Progress") is WorkStatus.IN_PROGRESS
    assert parse_status("in-progress") is WorkStatus.IN_PROGRESS
    with pytest.raises(InvalidInput, match="unknown status 'late'"):
        parse_status("late")
    assert WorkStatus.DONE not in OPEN_STATUSES and WorkStatus.BLOCKED in OPEN_STATUSES


def test_working_days_skip_weekends() -> None:
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert add_working_days(friday, 5) == date(2026, 11, 27)
    assert add_working_days(friday, 0) == friday


def _template(**step: object) -> dict[str, object]:
    base = {"key": "a", "name": "A", "team": "build", "sla_days": 2}
    return {"service": "s", "name": "S", "version": 1, "steps": [{**base, **step}]}


def test_a_full_step_parses() -> None:
    spec = parse_template(
        _template(
            handoff=True,
            checklist=[{"key": "k", "label": "L", "kind": "link", "required": False}],
            approval=[{"name": "Review", "approvers": ["lead@build"], "rule": 2}],
        )
    )
    step = spec.steps[0]
    assert step.handoff and step.checklist[0].kind == "link"
    assert step.approval[0].rule == "2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sla_days": "two"}, "'sla_days' must be int"),
        ({"sla_days": True}, "'sla_days' must be int"),
        ({"checklist": [{"key": "k", "label": "L", "kind": "photo"}]}, "kind must be one of"),
        ({"approval": [{"name": "R", "approvers": []}]}, "non-empty list"),
        ({"approval": [{"name": "R", "approvers": ["x"], "rule": "most"}]}, "rule must be"),
    ],
)
def test_bad_steps_are_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_template(_template(**change), "t.toml")


def test_duplicate_step_keys_are_refused() -> None:
    data = _template()
    data["steps"] = data["steps"] * 2  # type: ignore[operator]
    with pytest.raises(InvalidInput, match="duplicate step keys a"):
        parse_template(data)
