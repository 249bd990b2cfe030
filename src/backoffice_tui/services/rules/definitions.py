"""Loading rule files and versioning them; listing, showing, enabling and
disabling rules (admins only, each recorded as an event).

Each rule acts as a user of its own, login ``rule:<name>``, never active (it
cannot log in, is offered to nobody as an assignee and is no approver
anyone waits for). The roles its file names (``lead@ops``) are its team
memberships, set again on each load: the same permission checks as a
person's then say what it may do.
"""

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.domain.rule_files import RuleSpec, parse_rule
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Rule,
    RuleFiring,
    RuleVersion,
    Team,
    TeamMembership,
    User,
)

RULE_LOGIN_PREFIX = "rule:"


def _pairs(rows: Any) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


def rule_login(name: str) -> str:
    return f"{RULE_LOGIN_PREFIX}{name}"


@dataclass(frozen=True)
class LoadedRule:
    name: str
    version: int
    created: bool  # False: the file is the version already loaded


@dataclass(frozen=True)
class LiveRule:
    """An enabled or disabled rule at its latest version, ready to run."""

    id: int
    name: str
    user_id: int
    enabled: bool
    version: int
    spec: RuleSpec

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, login=rule_login(self.name), name=self.name)


@dataclass(frozen=True)
class RuleRow:
    name: str
    enabled: bool
    version: int
    trigger: str
    subject: str
    description: str
    last_fired: datetime | None
    done: int
    failed: int


def read_rule_file(path: Path) -> tuple[str, dict[str, object]]:
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no file {path}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    try:
        return source, tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path}: {error}") from None


def spec_of(source: str, where: str = "rule") -> RuleSpec:
    return parse_rule(tomllib.loads(source), where)


def _set_roles(session: Session, user_id: int, spec: RuleSpec, where: str) -> None:
    wanted: set[tuple[int, str]] = set()
    for entry in spec.roles:
        role, team_code = entry.split("@", 1)
        team_id = session.scalar(select(Team.id).where(Team.code == team_code))
        if team_id is None:
            raise InvalidInput(f"{where}: role {entry!r} names unknown team {team_code!r}")
        wanted.add((team_id, role))
    session.execute(delete(TeamMembership).where(TeamMembership.user_id == user_id))
    session.flush()
    for team_id, role in sorted(wanted):
        session.add(TeamMembership(user_id=user_id, team_id=team_id, role=role))


def load_rule_text(session: Session, actor: Actor | str, source: str, where: str) -> LoadedRule:
    """Load one rule from its TOML ``source`` inside the caller's
    transaction: a changed text is a new version, the same text nothing."""
    permissions.require_admin(actor, "load automation rules (they act on everyone's work)")
    try:
        spec = parse_rule(tomllib.loads(source), where)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{where}: {error}") from None
    digest = hashlib.sha256(source.encode()).hexdigest()
    now = utc_now()
    rule = session.scalar(select(Rule).where(Rule.name == spec.name))
    if rule is None:
        login = rule_login(spec.name)
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            user = User(login=login, name=f"rule {spec.name}", active=False, created_at=now)
            session.add(user)
            session.flush()
        rule = Rule(name=spec.name, user_id=user.id, enabled=True, created_at=now)
        session.add(rule)
        session.flush()
        version = 1
    else:
        latest = session.scalar(
            select(RuleVersion)
            .where(RuleVersion.rule_id == rule.id)
            .order_by(RuleVersion.version.desc())
            .limit(1)
        )
        if latest is not None and latest.content_hash == digest:
            return LoadedRule(spec.name, latest.version, created=False)
        version = (latest.version if latest else 0) + 1
        rule.version += 1
    _set_roles(session, rule.user_id, spec, where)
    session.add(
        RuleVersion(
            rule_id=rule.id,
            version=version,
            source_toml=source,
            content_hash=digest,
            loaded_at=now,
            loaded_by_id=actor.user_id if isinstance(actor, Actor) else None,
        )
    )
    record_event(
        session,
        actor,
        now,
        entity="rule",
        entity_id=rule.id,
        kind="rule.loaded",
        summary=f"rule {spec.name} version {version} loaded ({spec.trigger.describe()})",
        payload={"rule": spec.name, "version": version},
    )
    return LoadedRule(spec.name, version, created=True)


def load_rules(db: Database, actor: Actor | str, paths: list[Path]) -> list[LoadedRule]:
    """Load rule files all-or-nothing."""
    permissions.require_admin(actor, "load automation rules (they act on everyone's work)")
    texts = [(str(path), *read_rule_file(path)[:1]) for path in paths]
    with db.write() as session:
        return [load_rule_text(session, actor, source, where) for where, source in texts]


def set_enabled(db: Database, actor: Actor | str, name: str, enabled: bool) -> bool:
    """Enable or disable a rule; False when it already was."""
    doing = "enable rules" if enabled else "disable rules"
    permissions.require_admin(actor, doing)
    with db.write() as session:
        rule = _rule(session, name)
        if rule.enabled == enabled:
            return False
        rule.enabled = enabled
        rule.version += 1
        word = "enabled" if enabled else "disabled"
        record_event(
            session,
            actor,
            utc_now(),
            entity="rule",
            entity_id=rule.id,
            kind=f"rule.{word}",
            summary=f"rule {name} {word}",
            payload={"rule": name},
        )
        return True


def _rule(session: Session, name: str) -> Rule:
    rule = session.scalar(select(Rule).where(Rule.name == name))
    if rule is None:
        raise NotFound(f"no rule {name!r}; see backoffice rules list")
    return rule


def _latest_source(session: Session, rule_id: int) -> tuple[int, str]:
    row = session.execute(
        select(RuleVersion.version, RuleVersion.source_toml)
        .where(RuleVersion.rule_id == rule_id)
        .order_by(RuleVersion.version.desc())
        .limit(1)
    ).one()
    return row[0], row[1]


def live_rules(db: Database, enabled_only: bool = True) -> list[LiveRule]:
    """Every rule at its latest version (a version that no longer parses is
    left out: it was checked when loaded)."""
    with db.read() as session:
        return live_rules_in(session, enabled_only)


def live_rules_in(session: Session, enabled_only: bool = True) -> list[LiveRule]:
    query = select(Rule).order_by(Rule.name)
    if enabled_only:
        query = query.where(Rule.enabled.is_(True))
    found = []
    for rule in session.scalars(query):
        version, source = _latest_source(session, rule.id)
        try:
            spec = spec_of(source, f"rule {rule.name}")
        except (InvalidInput, tomllib.TOMLDecodeError):
            continue
        found.append(LiveRule(rule.id, rule.name, rule.user_id, rule.enabled, version, spec))
    return found


def live_rule(db: Database, name: str) -> LiveRule:
    with db.read() as session:
        rule = _rule(session, name)
        version, source = _latest_source(session, rule.id)
        spec = spec_of(source, f"rule {name}")
        return LiveRule(rule.id, rule.name, rule.user_id, rule.enabled, version, spec)


def list_rules(db: Database) -> list[RuleRow]:
    with db.read() as session:
        counts: dict[int, dict[str, int]] = {}
        for rule_id, outcome, count in session.execute(
            select(RuleFiring.rule_id, RuleFiring.outcome, func.count()).group_by(
                RuleFiring.rule_id, RuleFiring.outcome
            )
        ):
            counts.setdefault(rule_id, {})[outcome] = count
        last = _pairs(
            session.execute(
                select(RuleFiring.rule_id, func.max(RuleFiring.at))
                .where(RuleFiring.outcome == "done")
                .group_by(RuleFiring.rule_id)
            )
        )
        rows = []
        for rule in live_rules_in(session, enabled_only=False):
            seen = counts.get(rule.id, {})
            rows.append(
                RuleRow(
                    name=rule.name,
                    enabled=rule.enabled,
                    version=rule.version,
                    trigger=rule.spec.trigger.describe(),
                    subject=rule.spec.subject,
                    description=rule.spec.description,
                    last_fired=last.get(rule.id),
                    done=seen.get("done", 0),
                    failed=seen.get("failed", 0) + seen.get("given_up", 0),
                )
            )
        return rows


@dataclass(frozen=True)
class RuleText:
    name: str
    version: int
    enabled: bool
    source: str
    loaded_at: datetime
    loaded_by: str | None


def show_rule(db: Database, name: str, version: int | None = None) -> RuleText:
    with db.read() as session:
        rule = _rule(session, name)
        query = select(RuleVersion).where(RuleVersion.rule_id == rule.id)
        if version is not None:
            query = query.where(RuleVersion.version == version)
        row = session.scalar(query.order_by(RuleVersion.version.desc()).limit(1))
        if row is None:
            raise NotFound(f"rule {name} has no version {version}")
        loaded_by = session.get(User, row.loaded_by_id) if row.loaded_by_id else None
        return RuleText(
            name=name,
            version=row.version,
            enabled=rule.enabled,
            source=row.source_toml,
            loaded_at=row.loaded_at,
            loaded_by=loaded_by.login if loaded_by else None,
        )
