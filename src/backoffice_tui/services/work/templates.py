"""Loading process templates from TOML files and listing them."""

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.domain.statuses import OPEN_STATUSES
from backoffice_tui.domain.templates import StepSpec, parse_template
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    OrderLine,
    ProcessTemplate,
    Service,
    Team,
    TemplateStep,
    WorkItem,
)


@dataclass(frozen=True)
class TemplateRow:
    service: str
    name: str
    version: int
    steps: int
    loaded_at: str
    open_lines: int = 0  # open order lines with steps still to do on this version


@dataclass(frozen=True)
class LoadResult:
    service: str
    version: int
    created: bool


def read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidInput(f"no file {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path}: {error}") from None


def load_template_in(session: Session, actor: Actor | str, path: Path) -> LoadResult:
    """Load one template file inside the caller's transaction. A template
    decides who does what and who approves, so only admins load one."""
    permissions.require_admin(
        actor, "load process templates (they decide who does and approves what)"
    )
    source = path.read_text(encoding="utf-8")
    return load_template_text(session, actor, source, read_toml(path), str(path))


def load_template_text(
    session: Session, actor: Actor | str, source: str, data: Mapping[str, Any], path: str
) -> LoadResult:
    """Load a template from its TOML ``source`` (parsed: ``data``), named
    ``path`` in messages; the caller has checked the actor may."""
    spec = parse_template(data, path)
    digest = hashlib.sha256(source.encode()).hexdigest()
    team_ids = {}
    for step in spec.steps:
        team_id = session.scalar(select(Team.id).where(Team.code == step.team))
        if team_id is None:
            raise InvalidInput(f"{path}: step '{step.key}' names unknown team {step.team!r}")
        team_ids[step.team] = team_id
    service = session.scalar(select(Service).where(Service.code == spec.service))
    if service is None:
        service = Service(code=spec.service, name=spec.name, description=spec.description)
        session.add(service)
        session.flush()
    existing = session.scalar(
        select(ProcessTemplate).where(
            ProcessTemplate.service_id == service.id, ProcessTemplate.version == spec.version
        )
    )
    if existing is not None:
        if existing.content_hash == digest:
            return LoadResult(spec.service, spec.version, created=False)
        raise InvalidInput(
            f"{path}: {spec.service} version {spec.version} is already loaded with other "
            "content; raise its version to load a changed process"
        )
    service.name, service.description = spec.name, spec.description
    template = ProcessTemplate(
        service_id=service.id,
        version=spec.version,
        name=spec.name,
        source_toml=source,
        content_hash=digest,
        loaded_by_id=actor.user_id if isinstance(actor, Actor) else None,
    )
    session.add(template)
    session.flush()
    for position, step in enumerate(spec.steps, start=1):
        session.add(
            TemplateStep(
                template_id=template.id,
                position=position,
                key=step.key,
                name=step.name,
                team_id=team_ids[step.team],
                sla_days=step.sla_days,
                handoff=step.handoff,
                checklist=[vars(item) for item in step.checklist],
                approval=[
                    {**vars(stage), "approvers": list(stage.approvers)} for stage in step.approval
                ],
            )
        )
    record_event(
        session,
        actor,
        utc_now(),
        entity="template",
        entity_id=template.id,
        kind="template.loaded",
        summary=f"process {spec.service} version {spec.version} loaded ({len(spec.steps)} steps)",
    )
    return LoadResult(spec.service, spec.version, created=True)


def load_templates(db: Database, actor: Actor | str, paths: list[Path]) -> list[LoadResult]:
    """Load template files all-or-nothing."""
    with db.write() as session:
        return [load_template_in(session, actor, path) for path in paths]


def step_spec_of(step: TemplateStep) -> StepSpec | None:
    """The step as its template's TOML says it, for the options the
    template_steps table keeps no column for (``lead_may_override``).
    None for a step the source does not name (an ad-hoc version made from a
    task list)."""
    template = step.template
    try:
        spec = parse_template(tomllib.loads(template.source_toml), f"template {template.name}")
    except (tomllib.TOMLDecodeError, InvalidInput):
        return None
    return next((s for s in spec.steps if s.key == step.key), None)


def latest_template(session: Session, service_code: str) -> ProcessTemplate:
    template = session.scalar(
        select(ProcessTemplate)
        .join(Service, Service.id == ProcessTemplate.service_id)
        .where(Service.code == service_code)
        .order_by(ProcessTemplate.version.desc())
        .limit(1)
    )
    if template is None:
        raise NotFound(f"no process template for service {service_code!r}; load one first")
    return template


def open_line_conditions() -> tuple[ColumnElement[bool], ...]:
    """An order line still running on its template: open, with a step to do."""
    return (
        OrderLine.status == "open",
        exists().where(
            WorkItem.order_line_id == OrderLine.id,
            WorkItem.status.in_([s.value for s in OPEN_STATUSES]),
        ),
    )


def list_templates(db: Database) -> list[TemplateRow]:
    with db.read() as session:
        open_line = (
            select(OrderLine.template_id, func.count().label("lines"))
            .where(*open_line_conditions())
            .group_by(OrderLine.template_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Service.code,
                ProcessTemplate.name,
                ProcessTemplate.version,
                func.count(TemplateStep.id),
                ProcessTemplate.loaded_at,
                func.coalesce(func.max(open_line.c.lines), 0),
            )
            .join(Service, Service.id == ProcessTemplate.service_id)
            .join(TemplateStep, TemplateStep.template_id == ProcessTemplate.id)
            .outerjoin(open_line, open_line.c.template_id == ProcessTemplate.id)
            .group_by(ProcessTemplate.id, Service.code)
            .order_by(Service.code, ProcessTemplate.version)
        ).all()
        return [
            TemplateRow(
                code, name, version, steps, loaded_at.isoformat(timespec="seconds"), open_lines
            )
            for code, name, version, steps, loaded_at, open_lines in rows
        ]
