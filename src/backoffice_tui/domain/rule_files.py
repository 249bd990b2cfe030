"""Automation rule files: a trigger, conditions and actions, checked and typed.

A rule is written in TOML by the people who own a routine; this module
turns the parsed document into a :class:`RuleSpec` (pure: no I/O). The
format is described in the README ("Automation rules").
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from backoffice_tui.domain.errors import InvalidInput

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ROLE_ENTRY = re.compile(r"^(operator|approver|lead)@[A-Za-z0-9_.-]+$")
SUBJECTS = ("work_item", "approval_request", "handoff", "application")
OPERATORS = ("equals", "not_equals", "in", "below", "above", "at_least", "at_most", "contains")
ACTION_KINDS = (
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
)
ASSIGN_STRATEGIES = ("round_robin", "least_loaded")
DEFAULT_MAX_DEPTH = 3


@dataclass(frozen=True)
class Condition:
    """A test on one field of the subject (``op`` with ``value``), or all /
    any / not of other conditions (``op`` is the combinator)."""

    op: str
    field: str = ""
    value: Any = None
    parts: tuple["Condition", ...] = ()


@dataclass(frozen=True)
class Trigger:
    """What makes the rule look: events of these kinds, a schedule, or a
    time condition on the subjects."""

    kind: str  # event | schedule | time
    events: tuple[str, ...] = ()
    every_minutes: int | None = None
    daily_at: time | None = None
    overdue_hours: int | None = None
    waiting_working_days: int | None = None
    due_within_days: int | None = None

    def describe(self) -> str:
        if self.kind == "event":
            return "on " + ", ".join(self.events)
        if self.every_minutes is not None:
            return f"every {self.every_minutes} min"
        if self.daily_at is not None:
            return f"working days at {self.daily_at.strftime('%H:%M')}"
        if self.overdue_hours is not None:
            return f"overdue by {self.overdue_hours} h"
        if self.waiting_working_days is not None:
            return f"waiting over {self.waiting_working_days} working days"
        return f"due within {self.due_within_days} days"


@dataclass(frozen=True)
class ActionSpec:
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.kind} ({shown})" if shown else self.kind


@dataclass(frozen=True)
class RuleSpec:
    name: str
    subject: str
    trigger: Trigger
    actions: tuple[ActionSpec, ...]
    when: Condition | None = None
    description: str = ""
    roles: tuple[str, ...] = ()  # role@team: what the rule may do
    max_depth: int = DEFAULT_MAX_DEPTH


def _positive(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{where}: '{key}' must be a positive whole number, not {value!r}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise InvalidInput(f"{where}: missing '{key}'")
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: '{key}' must be text, not {value!r}")
    return value


def parse_trigger(data: Any, where: str) -> Trigger:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where}: missing [trigger] (event, schedule or time condition)")
    where = f"{where} trigger"
    known = {
        "event",
        "every_minutes",
        "daily_at",
        "overdue_hours",
        "waiting_working_days",
        "due_within_days",
    }
    given = [key for key in data if key in known]
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"{where}: unknown key {unknown[0]!r}; use one of {', '.join(known)}")
    if len(given) != 1:
        raise InvalidInput(
            f"{where}: give exactly one of event, every_minutes, daily_at, overdue_hours, "
            "waiting_working_days, due_within_days"
        )
    if "event" in data:
        events = data["event"]
        events = [events] if isinstance(events, str) else events
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(e, str) and "." in e for e in events)
        ):
            raise InvalidInput(f"{where}: 'event' is an event kind such as 'work_item.ready'")
        return Trigger("event", events=tuple(events))
    if "daily_at" in data:
        text = _text(data, "daily_at", where)
        try:
            at = time.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{where}: 'daily_at' must be a time such as \"08:30\"") from None
        return Trigger("schedule", daily_at=at)
    every = _positive(data, "every_minutes", where)
    if every is not None:
        return Trigger("schedule", every_minutes=every)
    return Trigger(
        "time",
        overdue_hours=_positive(data, "overdue_hours", where),
        waiting_working_days=_positive(data, "waiting_working_days", where),
        due_within_days=_positive(data, "due_within_days", where),
    )


def parse_condition(data: Any, where: str) -> Condition:
    """``{all = [...]}``, ``{any = [...]}``, ``{not = {...}}`` or a test
    ``{field = "team", equals = "ops"}`` (one operator)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where}: a condition is a table, not {data!r}")
    for combinator in ("all", "any"):
        if combinator in data:
            parts = data[combinator]
            if len(data) != 1 or not isinstance(parts, list) or not parts:
                raise InvalidInput(f"{where}: '{combinator}' takes a non-empty list, alone")
            return Condition(
                combinator,
                parts=tuple(
                    parse_condition(p, f"{where} {combinator}[{n}]")
                    for n, p in enumerate(parts, start=1)
                ),
            )
    if "not" in data:
        if len(data) != 1:
            raise InvalidInput(f"{where}: 'not' takes one condition, alone")
        return Condition("not", parts=(parse_condition(data["not"], f"{where} not"),))
    name = _text(data, "field", where)
    ops = [key for key in data if key != "field"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise InvalidInput(f"{where}: field {name!r} needs exactly one of {', '.join(OPERATORS)}")
    op = ops[0]
    value = data[op]
    if op in ("below", "above", "at_least", "at_most") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise InvalidInput(f"{where}: '{op}' compares with a number, not {value!r}")
    if op == "in" and not isinstance(value, list):
        raise InvalidInput(f"{where}: 'in' takes a list of values")
    return Condition(op, field=name, value=tuple(value) if op == "in" else value)


def _parse_action(data: Any, where: str) -> ActionSpec:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where}: an action is a table with a 'do' key")
    kind = _text(data, "do", where)
    if kind not in ACTION_KINDS:
        raise InvalidInput(
            f"{where}: unknown action {kind!r}; use one of {', '.join(ACTION_KINDS)}"
        )
    options = {key: value for key, value in data.items() if key != "do"}
    where = f"{where} ({kind})"
    if kind == "assign":
        to = _text(options, "to", where)
        if not to:
            raise InvalidInput(f"{where}: 'to' is a login, round_robin or least_loaded")
    elif kind == "set_priority":
        priority = options.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 4:
            raise InvalidInput(f"{where}: 'priority' must be 1 (most urgent) to 4")
    elif kind == "set_due":
        _positive_required(options, "in_days", where)
    elif kind in ("comment", "remind"):
        _text(options, "text", where)
    elif kind == "file_application":
        _text(options, "kind", where)
        _texts_table(options, "fields", where)
    elif kind == "handoff":
        _texts_table(options, "answers", where)
        if not isinstance(options.get("submit", False), bool):
            raise InvalidInput(f"{where}: 'submit' is true or false")
    elif kind == "follow_up":
        services = options.get("service")
        services = [services] if isinstance(services, str) else services
        if (
            not isinstance(services, list)
            or not services
            or not all(isinstance(s, str) and s for s in services)
        ):
            raise InvalidInput(f"{where}: 'service' is a service code, or a list of them")
        options["service"] = services
        _text(options, "title", where, "")
        priority = options.get("priority")
        if priority is not None and (
            not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 4
        ):
            raise InvalidInput(f"{where}: 'priority' must be 1 (most urgent) to 4")
    return ActionSpec(kind, options)


def _texts_table(data: Mapping[str, Any], key: str, where: str) -> None:
    table = data.get(key, {})
    if not isinstance(table, Mapping) or not all(isinstance(v, str) for v in table.values()):
        raise InvalidInput(f"{where}: '{key}' is a table of texts")


def _positive_required(data: Mapping[str, Any], key: str, where: str) -> int:
    value = _positive(data, key, where)
    if value is None:
        raise InvalidInput(f"{where}: missing '{key}'")
    return value


def parse_rule(data: Mapping[str, Any], source: str = "rule") -> RuleSpec:
    """Check a parsed rule document and return its spec."""
    name = _text(data, "name", source)
    if not NAME.match(name):
        raise InvalidInput(
            f"{source}: name {name!r} must be lower-case letters, digits and dashes (up to 64)"
        )
    where = f"{source} ({name})"
    subject = _text(data, "subject", where, "work_item")
    if subject not in SUBJECTS:
        raise InvalidInput(f"{where}: subject must be one of {', '.join(SUBJECTS)}")
    trigger = parse_trigger(data.get("trigger"), where)
    if (
        trigger.kind == "time"
        and subject != "work_item"
        and (subject != "approval_request" or trigger.overdue_hours is None)
    ):
        raise InvalidInput(
            f"{where}: time conditions apply to work items (and overdue_hours to approvals)"
        )
    actions_data = data.get("actions")
    if not isinstance(actions_data, list) or not actions_data:
        raise InvalidInput(f"{where}: a rule needs at least one [[actions]] entry")
    actions = tuple(
        _parse_action(a, f"{where} action {n}") for n, a in enumerate(actions_data, start=1)
    )
    when = data.get("when")
    roles = data.get("roles", [])
    if not isinstance(roles, list) or not all(
        isinstance(r, str) and ROLE_ENTRY.match(r) for r in roles
    ):
        raise InvalidInput(f'{where}: \'roles\' is a list such as ["lead@ops", "approver@finance"]')
    max_depth = _positive(data, "max_depth", where) or DEFAULT_MAX_DEPTH
    return RuleSpec(
        name=name,
        subject=subject,
        trigger=trigger,
        actions=actions,
        when=parse_condition(when, f"{where} when") if when is not None else None,
        description=str(data.get("description", "")),
        roles=tuple(roles),
        max_depth=max_depth,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return None
    return None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, str) or isinstance(actual, str):
        return str(actual).casefold() == str(expected).casefold()
    return bool(actual == expected)


def holds(condition: Condition | None, fields: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for a subject with these fields (a field
    the subject lacks satisfies no test but ``not_equals``)."""
    if condition is None:
        return True
    if condition.op == "all":
        return all(holds(part, fields) for part in condition.parts)
    if condition.op == "any":
        return any(holds(part, fields) for part in condition.parts)
    if condition.op == "not":
        return not holds(condition.parts[0], fields)
    actual = fields.get(condition.field)
    expected = condition.value
    if condition.op == "not_equals":
        return actual is None or not _same(actual, expected)
    if actual is None:
        return False
    if condition.op == "equals":
        return _same(actual, expected)
    if condition.op == "in":
        return any(_same(actual, option) for option in expected)
    if condition.op == "contains":
        return str(expected).casefold() in str(actual).casefold()
    number = _number(actual)
    if number is None:
        return False
    limit = float(expected)
    if condition.op == "below":
        return number < limit
    if condition.op == "above":
        return number > limit
    if condition.op == "at_least":
        return number >= limit
    return number <= limit


def describe_condition(condition: Condition | None) -> str:
    if condition is None:
        return "always"
    if condition.op in ("all", "any"):
        joiner = " and " if condition.op == "all" else " or "
        return "(" + joiner.join(describe_condition(p) for p in condition.parts) + ")"
    if condition.op == "not":
        return "not " + describe_condition(condition.parts[0])
    return f"{condition.field} {condition.op.replace('_', ' ')} {condition.value!r}"
