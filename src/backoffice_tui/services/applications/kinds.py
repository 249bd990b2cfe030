"""Loading application kinds from TOML files, versioned, and reading them.

A kind is loaded as a new version whenever its file changed; loading an
unchanged file again does nothing. An application stays on the version it
was filed on. A kind decides who approves, so only admins load them.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice_tui.domain.application_kinds import (
    ApplicationKindSpec,
    FieldSpec,
    kind_definition,
    parse_application_kind,
)
from backoffice_tui.domain.approvals import is_role_key
from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.templates import ApprovalStageSpec
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.services.work.templates import read_toml
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApplicationKind, Team, User


@dataclass(frozen=True)
class KindLoad:
    code: str
    version: int
    created: bool
    path: str


@dataclass(frozen=True)
class KindRow:
    code: str
    name: str
    version: int
    description: str
    fields: tuple[FieldSpec, ...]
    route: tuple[ApprovalStageSpec, ...]
    loaded_at: datetime


def _check_route(session: Session, spec: ApplicationKindSpec, where: str) -> None:
    """Every approver entry names an existing user, or a role in an existing team."""
    roles = [r.value for r in Role]
    for position, stage in enumerate(spec.route, start=1):
        for entry in stage.approvers:
            stage_where = f"{where}: route stage {position} ('{stage.name}')"
            if is_role_key(entry):
                role, team = entry.split("@", 1)
                if role not in roles:
                    raise InvalidInput(
                        f"{stage_where}: {entry!r} names no role; use one of {', '.join(roles)}"
                    )
                if session.scalar(select(Team.id).where(Team.code == team)) is None:
                    raise InvalidInput(f"{stage_where}: {entry!r} names unknown team {team!r}")
            elif session.scalar(select(User.id).where(User.login == entry)) is None:
                raise InvalidInput(f"{stage_where}: approver {entry!r} is not a user")


def latest_kind(session: Session, code: str) -> ApplicationKind:
    kind = session.scalar(
        select(ApplicationKind)
        .where(ApplicationKind.code == code)
        .order_by(ApplicationKind.version.desc())
        .limit(1)
    )
    if kind is None:
        known = ", ".join(session.scalars(select(ApplicationKind.code).distinct())) or "none yet"
        raise NotFound(f"no application kind {code!r} (loaded kinds: {known})")
    return kind


def spec_of(kind: ApplicationKind) -> ApplicationKindSpec:
    return parse_application_kind(kind.definition, f"{kind.code} version {kind.version}")


def load_kind_in(session: Session, actor: Actor | str, path: Path) -> KindLoad:
    """Load one kind file inside the caller's transaction."""
    permissions.require_admin(actor, "load application kinds (they decide who approves)")
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no file {path}") from None
    spec = parse_application_kind(read_toml(path), str(path))
    _check_route(session, spec, str(path))
    current = session.scalar(
        select(ApplicationKind)
        .where(ApplicationKind.code == spec.code)
        .order_by(ApplicationKind.version.desc())
        .limit(1)
        .with_for_update()
    )
    if current is not None and current.source_toml == source:
        return KindLoad(spec.code, current.version, created=False, path=str(path))
    version = current.version + 1 if current is not None else 1
    kind = ApplicationKind(
        code=spec.code,
        version=version,
        name=spec.name,
        definition=kind_definition(spec),
        source_toml=source,
        loaded_at=utc_now(),
    )
    session.add(kind)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"someone loaded application kind {spec.code} at the same moment; load it again"
        ) from None
    record_event(
        session,
        actor,
        kind.loaded_at,
        entity="application_kind",
        entity_id=kind.id,
        kind="application_kind.loaded",
        summary=f"application kind {spec.code} version {version} loaded "
        f"({len(spec.fields)} fields, {len(spec.route)} approval stages)",
        payload={"code": spec.code, "version": version},
    )
    return KindLoad(spec.code, version, created=True, path=str(path))


def kind_files(path: Path) -> list[Path]:
    """The kind files of ``path``: the file itself, or a folder's ``*.toml``."""
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            raise InvalidInput(f"{path} holds no .toml files")
        return files
    return [path]


def load_kinds_in(session: Session, actor: Actor | str, folder: Path) -> list[KindLoad]:
    return [load_kind_in(session, actor, path) for path in kind_files(folder)]


def load_kinds(db: Database, actor: Actor | str, path: Path) -> list[KindLoad]:
    """Load a kind file, or every kind file of a folder, all or nothing."""
    with db.write() as session:
        return load_kinds_in(session, actor, path)


def list_kinds(db: Database) -> list[KindRow]:
    """The latest version of every kind, by name."""
    with db.read() as session:
        latest = (
            select(ApplicationKind.code, func.max(ApplicationKind.version).label("version"))
            .group_by(ApplicationKind.code)
            .subquery()
        )
        kinds = session.scalars(
            select(ApplicationKind)
            .join(
                latest,
                (latest.c.code == ApplicationKind.code)
                & (latest.c.version == ApplicationKind.version),
            )
            .order_by(ApplicationKind.name, ApplicationKind.code)
        )
        rows = []
        for kind in kinds:
            spec = spec_of(kind)
            rows.append(
                KindRow(
                    code=kind.code,
                    name=kind.name,
                    version=kind.version,
                    description=spec.description,
                    fields=spec.fields,
                    route=spec.route,
                    loaded_at=kind.loaded_at,
                )
            )
        return rows


def current_kind(db: Database, code: str) -> ApplicationKindSpec:
    """The spec of the version new applications of ``code`` are filed on."""
    with db.read() as session:
        return spec_of(latest_kind(session, code))
