"""One loaded version of a process template, whole, and what changed
between two versions of the same service's process."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import describe_rule
from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.services.work.templates import open_line_conditions, step_spec_of
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    OrderLine,
    ProcessTemplate,
    Service,
    Team,
    TemplateStep,
    User,
)


@dataclass(frozen=True)
class StepView:
    position: int
    key: str
    name: str
    team: str
    sla_days: int
    handoff: bool
    lead_may_override: bool
    checklist_items: int
    approval: tuple[str, ...]  # each stage: "Design review: approver@design (any one)"


# the fields of a step a diff compares, in the order it names them
COMPARED = tuple(f.name for f in fields(StepView) if f.name != "key")


@dataclass(frozen=True)
class TemplateVersionView:
    service: str
    name: str
    version: int
    loaded_at: datetime
    loaded_by: str | None  # None: loaded by the program (the demo, an import)
    open_lines: int  # open order lines whose steps run on this version
    steps: tuple[StepView, ...]


@dataclass(frozen=True)
class StepChange:
    key: str
    changes: dict[str, tuple[Any, Any]]  # field -> (in A, in B)


@dataclass(frozen=True)
class TemplateDiff:
    service: str
    version_a: int
    version_b: int
    added: tuple[str, ...]  # step keys only in B
    removed: tuple[str, ...]  # step keys only in A
    changed: tuple[StepChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def open_lines_of(session: Session, template_id: int) -> int:
    """Open order lines on the template with a step still to do."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OrderLine)
            .where(OrderLine.template_id == template_id, *open_line_conditions())
        )
        or 0
    )


def _stage_text(stage: dict[str, Any]) -> str:
    approvers = list(stage.get("approvers", []))
    if stage.get("info_only"):
        rule = "for information"
    else:
        rule = describe_rule(str(stage.get("rule", "any")), len(approvers))
    return f"{stage.get('name', '')}: {', '.join(approvers)} ({rule})"


def _step_view(step: TemplateStep, team: str) -> StepView:
    spec = step_spec_of(step)
    return StepView(
        position=step.position,
        key=step.key,
        name=step.name,
        team=team,
        sla_days=step.sla_days,
        handoff=step.handoff,
        lead_may_override=bool(spec and spec.lead_may_override),
        checklist_items=len(step.checklist),
        approval=tuple(_stage_text(stage) for stage in step.approval),
    )


def _template(session: Session, service_code: str, version: int | None) -> ProcessTemplate:
    query = (
        select(ProcessTemplate)
        .join(Service, Service.id == ProcessTemplate.service_id)
        .where(Service.code == service_code)
    )
    if version is not None:
        query = query.where(ProcessTemplate.version == version)
    template = session.scalar(query.order_by(ProcessTemplate.version.desc()).limit(1))
    if template is None:
        known = session.scalars(
            select(ProcessTemplate.version)
            .join(Service, Service.id == ProcessTemplate.service_id)
            .where(Service.code == service_code)
            .order_by(ProcessTemplate.version)
        ).all()
        if not known:
            raise NotFound(
                f"no process template for service {service_code!r}; see `templates list`"
            )
        raise NotFound(
            f"{service_code} has no version {version}; loaded: {', '.join(map(str, known))}"
        )
    return template


def _view_in(session: Session, template: ProcessTemplate) -> TemplateVersionView:
    loaded_by = session.get(User, template.loaded_by_id) if template.loaded_by_id else None
    steps = tuple(_step_view(step, step_team(session, step)) for step in template.steps)
    return TemplateVersionView(
        service=template.service.code,
        name=template.name,
        version=template.version,
        loaded_at=template.loaded_at,
        loaded_by=loaded_by.login if loaded_by else None,
        open_lines=open_lines_of(session, template.id),
        steps=steps,
    )


def step_team(session: Session, step: TemplateStep) -> str:
    team = session.get(Team, step.team_id)
    return team.code if team else str(step.team_id)


def show_template(
    db: Database, service_code: str, version: int | None = None
) -> TemplateVersionView:
    """One version of a service's process (the latest without ``version``)."""
    with db.read() as session:
        return _view_in(session, _template(session, service_code, version))


def diff_templates(db: Database, service_code: str, version_a: int, version_b: int) -> TemplateDiff:
    """The steps added, removed and changed (field by field) from A to B,
    matched by their key."""
    if version_a == version_b:
        raise InvalidInput(f"compare two different versions (both are {version_a})")
    with db.read() as session:
        a = _view_in(session, _template(session, service_code, version_a))
        b = _view_in(session, _template(session, service_code, version_b))
    steps_a = {s.key: s for s in a.steps}
    steps_b = {s.key: s for s in b.steps}
    changed = []
    for key, old in steps_a.items():
        new = steps_b.get(key)
        if new is None:
            continue
        changes = {
            name: (getattr(old, name), getattr(new, name))
            for name in COMPARED
            if getattr(old, name) != getattr(new, name)
        }
        if changes:
            changed.append(StepChange(key, changes))
    return TemplateDiff(
        service=service_code,
        version_a=version_a,
        version_b=version_b,
        added=tuple(k for k in steps_b if k not in steps_a),
        removed=tuple(k for k in steps_a if k not in steps_b),
        changed=tuple(changed),
    )
