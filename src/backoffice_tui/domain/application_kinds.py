"""Application kinds: request forms defined in TOML, and checking what an
applicant typed into one.

A kind names its fields (text, choice, date or number; required or not) and
the approval route every application of that kind goes through. This module
turns the parsed document into a checked, typed spec and the typed values
into the plain values stored with an application. No I/O.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.templates import ApprovalStageSpec, parse_approval_stage
from backoffice_tui.domain.written_dates import WRITTEN_FORMS, written_date

FIELD_TYPES = ("text", "choice", "date", "number", "integer")  # integer: a whole number
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str = "text"  # one of FIELD_TYPES
    required: bool = False
    choices: tuple[str, ...] = ()  # the allowed values of a choice field


@dataclass(frozen=True)
class ApplicationKindSpec:
    code: str
    name: str
    fields: tuple[FieldSpec, ...]
    route: tuple[ApprovalStageSpec, ...]
    description: str = ""

    def field(self, key: str) -> FieldSpec:
        found = next((f for f in self.fields if f.key == key), None)
        if found is None:
            raise InvalidInput(
                f"{self.code} has no field {key!r}; its fields are "
                f"{', '.join(f.key for f in self.fields)}"
            )
        return found


# --- parsing a kind ------------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _parse_field(data: Mapping[str, Any], where: str) -> FieldSpec:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where}: must be a table with key, label and type")
    key = _text(data, "key", where)
    where = f"{where} '{key}'"
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            f"{where}: a key is lower-case letters, digits and _ (like pickup_office)"
        )
    kind = data.get("type", "text")
    if kind not in FIELD_TYPES:
        raise InvalidInput(f"{where}: type must be one of {', '.join(FIELD_TYPES)}, not {kind!r}")
    required = data.get("required", False)
    if not isinstance(required, bool):
        raise InvalidInput(f"{where}: required must be true or false")
    choices = data.get("choices")
    if kind == "choice":
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            raise InvalidInput(f"{where}: a choice field needs 'choices', a list of texts")
        cleaned = tuple(c.strip() for c in choices)
        if len(set(cleaned)) != len(cleaned):
            raise InvalidInput(f"{where}: the same choice is listed twice")
    elif choices is not None:
        raise InvalidInput(f"{where}: only a choice field has 'choices'")
    else:
        cleaned = ()
    return FieldSpec(
        key=key, label=_text(data, "label", where), type=kind, required=required, choices=cleaned
    )


def parse_application_kind(
    data: Mapping[str, Any], source: str = "application kind"
) -> ApplicationKindSpec:
    """Check a parsed kind document (``kind``, ``name``, ``[[fields]]``,
    ``[[route]]``) and return its spec."""
    code = _text(data, "kind", source)
    fields_data = data.get("fields")
    if not isinstance(fields_data, list) or not fields_data:
        raise InvalidInput(f"{source}: a kind needs at least one [[fields]] entry")
    fields = tuple(
        _parse_field(item, f"{source} field {n}") for n, item in enumerate(fields_data, start=1)
    )
    keys = [f.key for f in fields]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InvalidInput(f"{source}: duplicate field keys {', '.join(duplicates)}")
    route_data = data.get("route")
    if not isinstance(route_data, list) or not route_data:
        raise InvalidInput(
            f"{source}: a kind needs an approval route: at least one [[route]] stage"
        )
    route = tuple(
        parse_approval_stage(stage, f"{source} route stage {n}")
        for n, stage in enumerate(route_data, start=1)
    )
    if all(stage.info_only for stage in route):
        raise InvalidInput(f"{source}: the route needs at least one stage that decides")
    description = data.get("description", "")
    return ApplicationKindSpec(
        code=code,
        name=_text(data, "name", source),
        description=description.strip() if isinstance(description, str) else "",
        fields=fields,
        route=route,
    )


def kind_definition(spec: ApplicationKindSpec) -> dict[str, Any]:
    """The spec as plain JSON data that ``parse_application_kind`` reads back."""
    return {
        "kind": spec.code,
        "name": spec.name,
        "description": spec.description,
        "fields": [
            {"key": f.key, "label": f.label, "type": f.type, "required": f.required}
            | ({"choices": list(f.choices)} if f.type == "choice" else {})
            for f in spec.fields
        ],
        "route": [
            {"name": s.name, "approvers": list(s.approvers), "rule": s.rule}
            | ({"info_only": True} if s.info_only else {})
            | ({"due_hours": s.due_hours} if s.due_hours else {})
            for s in spec.route
        ],
    }


# --- checking what was typed ---------------------------------------------------------


def _fold(text: str) -> str:
    """Full-width digits and letters as half-width, trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str) -> date:
    """A date written the usual ways (domain.written_dates)."""
    day = written_date(text)
    if day is None:
        raise ValueError(f"not a date (use {WRITTEN_FORMS})")
    return day


def parse_number(text: str) -> int | float:
    folded = _fold(text).replace(",", "")
    if not _NUMBER.fullmatch(folded):
        raise ValueError("not a number (use digits, like 2 or 1.5)")
    if "." not in folded:
        return int(folded)
    value = float(folded)
    return int(value) if value.is_integer() else value


def _convert(spec: FieldSpec, text: str) -> str | int | float:
    if spec.type == "choice":
        if text in spec.choices:
            return text
        same = [c for c in spec.choices if c.casefold() == _fold(text).casefold()]
        if same:
            return same[0]
        raise ValueError(f"must be one of {', '.join(spec.choices)}")
    if spec.type == "date":
        return parse_date(text).isoformat()
    if spec.type == "number":
        return parse_number(text)
    if spec.type == "integer":
        number = parse_number(text)
        if not isinstance(number, int):
            raise ValueError(f"not a whole number: {number} (use digits, like 2)")
        return number
    return text


def check_fields(
    spec: ApplicationKindSpec, raw: Mapping[str, str]
) -> tuple[dict[str, str | int | float], dict[str, str]]:
    """The stored values of what was typed, and the problems by field key.

    Text is trimmed; an empty optional field is left out. A choice matches
    regardless of case; dates are stored as ISO text, numbers as numbers.
    """
    values: dict[str, str | int | float] = {}
    problems: dict[str, str] = {}
    for field in spec.fields:
        text = str(raw.get(field.key) or "").strip()
        if not text:
            if field.required:
                problems[field.key] = f"required ({field.label})"
            continue
        try:
            values[field.key] = _convert(field, text)
        except ValueError as error:
            problems[field.key] = str(error)
    known = [f.key for f in spec.fields]
    for key in raw:
        if key not in known:
            problems[key] = f"{spec.code} has no such field; its fields are {', '.join(known)}"
    return values, problems


def describe_problems(problems: Mapping[str, str]) -> str:
    """Every problem on one line: ``reason: must be one of ...; copies: ...``."""
    return "; ".join(f"{key}: {problem}" for key, problem in problems.items())


def validate_fields(spec: ApplicationKindSpec, raw: Mapping[str, str]) -> dict[str, Any]:
    """The stored values of what was typed; any problem is one InvalidInput
    line naming each field that is wrong."""
    values, problems = check_fields(spec, raw)
    if problems:
        raise InvalidInput(describe_problems(problems))
    return dict(values)


def field_text(value: object) -> str:
    """A stored value as it is typed into the form again (and shown)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
