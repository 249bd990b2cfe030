"""Application kinds: parsing a kind document and checking typed values."""

import tomllib
from datetime import date
from typing import Any

import pytest

from backoffice_tui.domain.application_kinds import (
    ApplicationKindSpec,
    check_fields,
    field_text,
    kind_definition,
    parse_application_kind,
    parse_date,
    parse_number,
    validate_fields,
)
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.resources import sample_data_dir

SAMPLE = sample_data_dir() / "application_kinds" / "staff-id-reissue.toml"
GOOD = {
    "employee_number": " E10234 ",
    "reason": "lost",
    "incident_date": "2026/11/20",
    "name_on_card": "山本 大輔",
    "pickup_office": "Tokyo head office",
    "copies": "1",
}


def sample_data() -> dict[str, Any]:
    with SAMPLE.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture
def spec() -> ApplicationKindSpec:
    return parse_application_kind(sample_data(), "staff-id-reissue.toml")


def test_the_sample_kind_parses_into_fields_and_a_route(spec: ApplicationKindSpec) -> None:
    assert (spec.code, spec.name) == ("staff-id-reissue", "Staff ID card re-issue")
    assert spec.description.startswith("Request a new staff ID card")
    assert [(f.key, f.type, f.required) for f in spec.fields] == [
        ("employee_number", "text", True),
        ("reason", "choice", True),
        ("incident_date", "date", False),
        ("name_on_card", "text", True),
        ("pickup_office", "choice", True),
        ("copies", "integer", False),
    ]
    assert spec.field("reason").choices == ("lost", "damaged", "name change", "expired")
    assert [(s.name, s.approvers, s.due_hours) for s in spec.route] == [
        ("Line manager", ("lead@general-affairs",), 24),
        ("ID card desk", ("approver@general-affairs",), 48),
    ]


def test_the_stored_definition_reads_back_as_the_same_spec(spec: ApplicationKindSpec) -> None:
    assert parse_application_kind(kind_definition(spec)) == spec


def _broken(change: dict[str, Any]) -> dict[str, Any]:
    data = sample_data()
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": None}, "k.toml: 'kind' must be a non-empty text"),
        ({"name": ""}, "k.toml: 'name' must be a non-empty text"),
        ({"fields": []}, "k.toml: a kind needs at least one [[fields]] entry"),
        (
            {"fields": [{"key": "a", "label": "A", "type": "colour"}]},
            "k.toml field 1 'a': type must be one of text, choice, date, number, integer, "
            "not 'colour'",
        ),
        (
            {"fields": [{"key": "a", "label": "A", "type": "choice"}]},
            "k.toml field 1 'a': a choice field needs 'choices', a list of texts",
        ),
        (
            {"fields": [{"key": "a", "label": "A", "type": "text", "choices": ["x"]}]},
            "k.toml field 1 'a': only a choice field has 'choices'",
        ),
        (
            {"fields": [{"key": "Bad Key", "label": "A"}]},
            "k.toml field 1 'Bad Key': a key is lower-case letters, digits and _",
        ),
        (
            {"fields": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]},
            "k.toml: duplicate field keys a",
        ),
        (
            {"fields": [{"key": "a", "label": "A", "required": "yes"}]},
            "k.toml field 1 'a': required must be true or false",
        ),
        ({"route": None}, "k.toml: a kind needs an approval route"),
        (
            {"route": [{"name": "Desk", "approvers": []}]},
            "k.toml route stage 1: 'approvers' must be a non-empty list",
        ),
        (
            {"route": [{"name": "FYI", "approvers": ["mori"], "info_only": True}]},
            "k.toml: the route needs at least one stage that decides",
        ),
    ],
)
def test_a_broken_kind_is_refused_with_where_and_why(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_application_kind(_broken(change), "k.toml")
    assert str(refused.value).startswith(message), str(refused.value)


def test_good_values_are_converted(spec: ApplicationKindSpec) -> None:
    assert validate_fields(spec, GOOD) == {
        "employee_number": "E10234",
        "reason": "lost",
        "incident_date": "2026-11-20",
        "name_on_card": "山本 大輔",
        "pickup_office": "Tokyo head office",
        "copies": 1,
    }


def test_empty_optional_fields_are_left_out_and_choices_ignore_case(
    spec: ApplicationKindSpec,
) -> None:
    values = validate_fields(
        spec, GOOD | {"incident_date": "  ", "copies": "", "reason": "Name Change"}
    )
    assert "incident_date" not in values and "copies" not in values
    assert values["reason"] == "name change"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"employee_number": ""}, "employee_number: required (Employee number)"),
        ({"reason": "stolen"}, "reason: must be one of lost, damaged, name change, expired"),
        ({"incident_date": "next week"}, "incident_date: not a date (use 2026-04-01, 2026/4/1, "),
        ({"incident_date": "2026-02-30"}, "incident_date: no such day 2026-02-30"),
        ({"copies": "two"}, "copies: not a number"),
        ({"copies": "1.5"}, "copies: not a whole number: 1.5"),
        ({"incident_date": "令和8年11月31日"}, "incident_date: no such day 2026-11-31"),
        ({"colour": "blue"}, "colour: staff-id-reissue has no such field; its fields are "),
    ],
)
def test_a_bad_value_is_one_line_naming_the_field(
    spec: ApplicationKindSpec, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_fields(spec, GOOD | changes)
    assert str(refused.value).startswith(message), str(refused.value)
    assert "\n" not in str(refused.value)


def test_every_problem_is_reported_at_once(spec: ApplicationKindSpec) -> None:
    values, problems = check_fields(spec, {"reason": "stolen", "copies": "x"})
    assert list(problems) == [
        "employee_number",
        "reason",
        "name_on_card",
        "pickup_office",
        "copies",
    ]
    assert "pickup_office" not in values
    with pytest.raises(InvalidInput) as refused:
        validate_fields(spec, {"reason": "stolen", "copies": "x"})
    assert str(refused.value).count("; ") == 4


@pytest.mark.parametrize(
    "text",
    ["2026-04-01", "2026/4/1", "2026.04.01", "2026年4月1日", "20260401", "２０２６／４／１"],
)
def test_dates_in_the_usual_forms(text: str) -> None:
    assert parse_date(text) == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("text", "value"), [("2", 2), ("１２", 12), ("1,200", 1200), ("1.5", 1.5), ("-3", -3)]
)
def test_numbers(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(("value", "text"), [(None, ""), (2, "2"), (2.0, "2"), ("x", "x")])
def test_stored_values_read_back_as_typed(value: object, text: str) -> None:
    assert field_text(value) == text
