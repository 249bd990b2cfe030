"""Teams, and loading an organisation file (teams, users and their roles).

An organisation file is how a new database gets its shape before templates
can name teams and users can join them:

    [[teams]]
    code = "build"
    name = "Build"

    [[users]]
    login = "tanaka"
    name = "田中 花子"
    admin = false
    teams = { build = ["operator", "lead"] }

Loading is all or nothing and can be repeated: teams and users that exist
keep their rows (a changed name is updated), missing memberships are added,
and nothing is removed. Admins load it; on a database with no users yet the
file itself must name an admin (that is how a new database gets its first).
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput
from backoffice_tui.domain.roles import Role
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, TeamMembership, User


@dataclass(frozen=True)
class TeamRow:
    code: str
    name: str
    members: int


@dataclass(frozen=True)
class OrganisationLoad:
    teams_added: int
    teams_renamed: int
    users_added: int
    memberships_added: int


@dataclass(frozen=True)
class _UserSpec:
    login: str
    name: str
    admin: bool
    memberships: tuple[tuple[str, Role], ...]


def list_teams_with_members(db: Database) -> list[TeamRow]:
    with db.read() as session:
        rows = session.execute(
            select(Team.code, Team.name, func.count(func.distinct(TeamMembership.user_id)))
            .outerjoin(
                TeamMembership,
                and_(
                    TeamMembership.team_id == Team.id,
                    # a rule's roles (its user is rule:<name>) are no members
                    TeamMembership.user_id.not_in(select(User.id).where(User.login.like("rule:%"))),
                ),
            )
            .group_by(Team.id)
            .order_by(Team.code)
        ).all()
        return [TeamRow(code, name, members) for code, name, members in rows]


def _clean_code(code: str) -> str:
    code = code.strip()
    if not code or any(c.isspace() for c in code) or ":" in code:
        raise InvalidInput(f"a team code must be one word without ':' (got {code!r})")
    return code


def add_team(db: Database, actor: Actor | None, code: str, name: str = "") -> None:
    """Add a team (admins)."""
    code = _clean_code(code)
    with db.write() as session:
        permissions.require_admin(actor, "add teams")
        assert actor is not None
        if session.scalar(select(Team.id).where(Team.code == code)) is not None:
            raise Conflict(f"team {code!r} already exists")
        _add_team_in(session, actor, code, name.strip() or code)


def _add_team_in(session: Session, actor: Actor | str, code: str, name: str) -> Team:
    team = Team(code=code, name=name)
    session.add(team)
    session.flush()
    record_event(
        session,
        actor,
        utc_now(),
        entity="team",
        entity_id=team.id,
        kind="team.added",
        summary=f"team {code} ({name}) added",
        team_id=team.id,
    )
    return team


# --- organisation files ---------------------------------------------------------------


def _text(table: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _parse_teams(data: Mapping[str, Any], source: str) -> dict[str, str]:
    teams: dict[str, str] = {}
    for number, table in enumerate(data.get("teams", []), start=1):
        where = f"{source}: team {number}"
        if not isinstance(table, dict):
            raise InvalidInput(f"{where}: each [[teams]] entry must be a table")
        code = _clean_code(_text(table, "code", where))
        if code in teams:
            raise InvalidInput(f"{where}: team {code!r} is listed twice")
        teams[code] = _text(table, "name", where, required=False) or code
    return teams


def _parse_users(data: Mapping[str, Any], source: str) -> list[_UserSpec]:
    users: list[_UserSpec] = []
    seen: set[str] = set()
    for number, table in enumerate(data.get("users", []), start=1):
        where = f"{source}: user {number}"
        if not isinstance(table, dict):
            raise InvalidInput(f"{where}: each [[users]] entry must be a table")
        login = _text(table, "login", where)
        if login in seen:
            raise InvalidInput(f"{where}: user {login!r} is listed twice")
        seen.add(login)
        admin = table.get("admin", False)
        if not isinstance(admin, bool):
            raise InvalidInput(f"{where}: 'admin' must be true or false")
        teams = table.get("teams", {})
        if not isinstance(teams, dict):
            raise InvalidInput(f"{where}: 'teams' must be a table of team = [roles]")
        memberships: list[tuple[str, Role]] = []
        for team_code, roles in teams.items():
            if isinstance(roles, str):
                roles = [roles]
            if not isinstance(roles, list) or not roles:
                raise InvalidInput(f"{where}: the roles in team {team_code!r} must be a list")
            for role in roles:
                try:
                    memberships.append((team_code, Role(str(role))))
                except ValueError:
                    known = ", ".join(r.value for r in Role)
                    raise InvalidInput(
                        f"{where}: unknown role {role!r} in team {team_code!r}; use one of {known}"
                    ) from None
        name = _text(table, "name", where, required=False) or login
        users.append(_UserSpec(login, name, admin, tuple(memberships)))
    return users


def read_organisation(path: Path) -> tuple[dict[str, str], list[_UserSpec]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no file {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path}: {error}") from None
    unknown = sorted(set(data) - {"teams", "users"})
    if unknown:
        raise InvalidInput(
            f"{path}: unknown table {unknown[0]!r}; an organisation has teams and users"
        )
    return _parse_teams(data, str(path)), _parse_users(data, str(path))


def load_organisation(db: Database, actor: Actor | None, path: Path) -> OrganisationLoad:
    """Load an organisation file all or nothing (see the module's docstring)."""
    teams, users = read_organisation(path)
    with db.write() as session:
        has_users = bool(session.scalar(select(func.count()).select_from(User)))
        if has_users:
            permissions.require_admin(actor, "load an organisation")
        elif not any(u.admin for u in users):
            raise InvalidInput(
                f"{path}: this database has no users yet; mark at least one user admin = true"
            )
        who: Actor | str = actor if actor is not None else f"organisation file {path.name}"
        existing = {t.code: t for t in session.scalars(select(Team))}
        added = renamed = 0
        for code, name in teams.items():
            team = existing.get(code)
            if team is None:
                existing[code] = _add_team_in(session, who, code, name)
                added += 1
            elif team.name != name:
                team.name = name
                renamed += 1
        users_added = memberships_added = 0
        for spec in users:
            user = session.scalar(select(User).where(User.login == spec.login))
            if user is None:
                user = User(login=spec.login, name=spec.name, is_admin=spec.admin)
                session.add(user)
                session.flush()
                users_added += 1
                record_event(
                    session,
                    who,
                    utc_now(),
                    entity="user",
                    entity_id=user.id,
                    kind="user.added",
                    summary=f"user {spec.login} added" + (" as admin" if spec.admin else ""),
                )
            held = {
                (team_id, role)
                for team_id, role in session.execute(
                    select(TeamMembership.team_id, TeamMembership.role).where(
                        TeamMembership.user_id == user.id
                    )
                )
            }
            for team_code, role in spec.memberships:
                team = existing.get(team_code)
                if team is None:
                    raise InvalidInput(
                        f"{path}: user {spec.login!r} names unknown team {team_code!r}; "
                        "list it under [[teams]]"
                    )
                if (team.id, role.value) in held:
                    continue
                session.add(TeamMembership(user_id=user.id, team_id=team.id, role=role.value))
                held.add((team.id, role.value))
                memberships_added += 1
        record_event(
            session,
            who,
            utc_now(),
            entity="organisation",
            entity_id=0,
            kind="organisation.loaded",
            summary=(
                f"organisation {path.name} loaded: {added} teams added, {users_added} users "
                f"added, {memberships_added} memberships added"
            ),
        )
        return OrganisationLoad(added, renamed, users_added, memberships_added)
