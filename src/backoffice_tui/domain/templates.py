"""Process templates: the ordered steps a service goes through.

A template is written in TOML by the people who own a process; this module
turns the parsed document into checked, typed specs.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backoffice_tui.domain.errors import InvalidInput

CHECKLIST_KINDS = ("check", "text", "link")


@dataclass(frozen=True)
class ChecklistItemSpec:
    key: str
    label: str
    kind: str = "check"
    required: bool = True


@dataclass(frozen=True)
class ApprovalStageSpec:
    name: str
    approvers: tuple[str, ...]
    rule: str = "any"  # "any", "all", or a number as text: at least N
    info_only: bool = False
    due_hours: int | None = None


@dataclass(frozen=True)
class StepSpec:
    key: str
    name: str
    team: str
    sla_days: int
    handoff: bool = False
    checklist: tuple[ChecklistItemSpec, ...] = ()
    approval: tuple[ApprovalStageSpec, ...] = ()
    # a lead of the receiving team may accept the step's handoff that they
    # submitted themselves (segregation of duties overridden, and recorded)
    lead_may_override: bool = False


@dataclass(frozen=True)
class TemplateSpec:
    service: str
    name: str
    version: int
    description: str = ""
    steps: tuple[StepSpec, ...] = field(default_factory=tuple)


def _require(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if value is None:
        raise InvalidInput(f"{where}: missing '{key}'")
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise InvalidInput(f"{where}: '{key}' must be {kind.__name__}, not {value!r}")
    return value


def parse_approval_stage(data: Mapping[str, Any], where: str) -> ApprovalStageSpec:
    name = _require(data, "name", str, where)
    approvers = _require(data, "approvers", list, where)
    if not approvers or not all(isinstance(a, str) and a for a in approvers):
        raise InvalidInput(f"{where}: 'approvers' must be a non-empty list of logins or role@team")
    rule = data.get("rule", "any")
    if isinstance(rule, int) and not isinstance(rule, bool):
        if rule < 1:
            raise InvalidInput(f"{where}: rule must be at least 1")
        rule = str(rule)
    if rule not in ("any", "all") and not str(rule).isdigit():
        raise InvalidInput(f"{where}: rule must be 'any', 'all' or a number, not {rule!r}")
    due_hours = data.get("due_hours")
    if due_hours is not None and (not isinstance(due_hours, int) or due_hours < 1):
        raise InvalidInput(f"{where}: due_hours must be a positive integer")
    return ApprovalStageSpec(
        name=name,
        approvers=tuple(approvers),
        rule=str(rule),
        info_only=bool(data.get("info_only", False)),
        due_hours=due_hours,
    )


def _parse_checklist_item(data: Mapping[str, Any], where: str) -> ChecklistItemSpec:
    kind = data.get("kind", "check")
    if kind not in CHECKLIST_KINDS:
        raise InvalidInput(f"{where}: kind must be one of {', '.join(CHECKLIST_KINDS)}")
    return ChecklistItemSpec(
        key=_require(data, "key", str, where),
        label=_require(data, "label", str, where),
        kind=kind,
        required=bool(data.get("required", True)),
    )


def _parse_step(data: Mapping[str, Any], where: str) -> StepSpec:
    key = _require(data, "key", str, where)
    where = f"{where} '{key}'"
    sla_days = _require(data, "sla_days", int, where)
    if sla_days < 1:
        raise InvalidInput(f"{where}: sla_days must be at least 1")
    checklist = tuple(
        _parse_checklist_item(item, f"{where} checklist item {n}")
        for n, item in enumerate(data.get("checklist", []), start=1)
    )
    approval = tuple(
        parse_approval_stage(stage, f"{where} approval stage {n}")
        for n, stage in enumerate(data.get("approval", []), start=1)
    )
    handoff = data.get("handoff", False)
    lead_may_override = data.get("lead_may_override", False)
    for option, value in (("handoff", handoff), ("lead_may_override", lead_may_override)):
        if not isinstance(value, bool):
            raise InvalidInput(f"{where}: '{option}' must be true or false, not {value!r}")
    if lead_may_override and not handoff:
        raise InvalidInput(
            f"{where}: 'lead_may_override' applies to a handoff; set handoff = true or remove it"
        )
    return StepSpec(
        key=key,
        name=_require(data, "name", str, where),
        team=_require(data, "team", str, where),
        sla_days=sla_days,
        handoff=handoff,
        checklist=checklist,
        approval=approval,
        lead_may_override=lead_may_override,
    )


def parse_template(data: Mapping[str, Any], source: str = "template") -> TemplateSpec:
    """Check a parsed template document and return its spec."""
    service = _require(data, "service", str, source)
    version = _require(data, "version", int, source)
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise InvalidInput(f"{source}: a template needs at least one [[steps]] entry")
    steps = tuple(_parse_step(step, f"{source} step") for step in steps_data)
    keys = [s.key for s in steps]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InvalidInput(f"{source}: duplicate step keys {', '.join(duplicates)}")
    return TemplateSpec(
        service=service,
        name=_require(data, "name", str, source),
        version=version,
        description=str(data.get("description", "")),
        steps=steps,
    )
