"""Users, teams and memberships: listing, adding and editing users.

Deactivating a user who leaves is a handover (``people/handover.py``).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.domain.statuses import OPEN_STATUSES
from backoffice_tui.services import permissions
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, TeamMembership, User, WorkItem


@dataclass(frozen=True)
class UserRow:
    login: str
    name: str
    is_admin: bool
    active: bool
    teams: dict[str, list[str]]  # team code -> roles
    open_items: int = 0  # work items assigned to them that are not done or skipped


def list_users(db: Database) -> list[UserRow]:
    with db.read() as session:
        # a rule acts as a user of its own (rule:<name>); it is no person
        users = session.scalars(
            select(User).where(User.login.not_like("rule:%")).order_by(User.login)
        ).all()
        open_items: dict[int | None, int] = {
            assignee_id: count
            for assignee_id, count in session.execute(
                select(WorkItem.assignee_id, func.count())
                .where(
                    WorkItem.assignee_id.is_not(None),
                    WorkItem.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .group_by(WorkItem.assignee_id)
            )
        }
        memberships = session.execute(
            select(TeamMembership.user_id, Team.code, TeamMembership.role)
            .join(Team, Team.id == TeamMembership.team_id)
            .order_by(Team.code, TeamMembership.role)
        ).all()
        teams: dict[int, dict[str, list[str]]] = {}
        for user_id, team_code, role in memberships:
            teams.setdefault(user_id, {}).setdefault(team_code, []).append(role)
        return [
            UserRow(
                u.login, u.name, u.is_admin, u.active, teams.get(u.id, {}), open_items.get(u.id, 0)
            )
            for u in users
        ]


def parse_membership(text: str) -> tuple[str, Role]:
    """``team:role`` as typed on the command line."""
    team, _, role = text.partition(":")
    try:
        return team.strip(), Role((role or "operator").strip())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role in {text!r}; use TEAM:ROLE with ROLE one of {known}"
        ) from None


def add_user(
    db: Database,
    actor: Actor | None,
    login: str,
    name: str,
    memberships: Iterable[tuple[str, Role]] = (),
    *,
    admin: bool = False,
) -> None:
    """Add a user. Admins add users; the very first user of a database needs
    no one (that is how a new database gets its first admin)."""
    login = login.strip()
    if not login:
        raise InvalidInput("a login cannot be empty")
    with db.write() as session:
        has_users = bool(session.scalar(select(func.count()).select_from(User)))
        if has_users and (actor is None or not actor.is_admin):
            raise PermissionDenied("only an admin can add users")
        if session.scalar(select(User.id).where(User.login == login)) is not None:
            raise Conflict(f"user {login!r} already exists")
        user = User(login=login, name=name or login, is_admin=admin or not has_users)
        session.add(user)
        session.flush()
        for team_code, role in memberships:
            team = session.scalar(select(Team).where(Team.code == team_code))
            if team is None:
                raise NotFound(f"no team {team_code!r}")
            session.add(TeamMembership(user_id=user.id, team_id=team.id, role=role.value))
        record_event(
            session,
            actor or login,
            utc_now(),
            entity="user",
            entity_id=user.id,
            kind="user.added",
            summary=f"user {login} added" + (" as admin" if user.is_admin else ""),
        )


def user_by_login(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip()))
    if user is None:
        raise NotFound(f"no user {login!r} in this database")
    return user


def active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.is_admin.is_(True), User.active.is_(True), User.placeholder.is_(False))
        )
        or 0
    )


def refuse_losing_last_admin(session: Session, user: User, doing: str) -> None:
    """A database keeps at least one active admin: someone must be able to add users."""
    if user.is_admin and user.active and active_admins(session) <= 1:
        raise PermissionDenied(
            f"cannot {doing}: {user.login} is the last admin; make someone else an admin first"
        )


@dataclass(frozen=True)
class UserEdit:
    """What an admin changes about a user; ``None`` and empty keep what is."""

    name: str | None = None
    add: tuple[tuple[str, Role], ...] = ()
    remove: tuple[tuple[str, Role], ...] = ()
    admin: bool | None = None

    @property
    def is_empty(self) -> bool:
        return self.name is None and not self.add and not self.remove and self.admin is None


def _team_ids(session: Session, memberships: Iterable[tuple[str, Role]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for team_code, _ in memberships:
        team_id = session.scalar(select(Team.id).where(Team.code == team_code))
        if team_id is None:
            raise NotFound(f"no team {team_code!r}")
        ids[team_code] = team_id
    return ids


def edit_user(db: Database, actor: Actor, login: str, edit: UserEdit) -> list[str]:
    """Change a user's name, memberships and admin flag (admins); returns
    what changed, one phrase each. Refused whole if any part is wrong."""
    if edit.is_empty:
        raise InvalidInput("nothing to change; give --name, --add-team, --remove-team or --admin")
    if edit.name is not None and not edit.name.strip():
        raise InvalidInput("a name cannot be empty")
    with db.write() as session:
        permissions.require_admin(actor, "edit users")
        user = user_by_login(session, login)
        team_ids = _team_ids(session, (*edit.add, *edit.remove))
        held = {
            (team_id, role)
            for team_id, role in session.execute(
                select(TeamMembership.team_id, TeamMembership.role).where(
                    TeamMembership.user_id == user.id
                )
            )
        }
        changes: list[str] = []
        if edit.name is not None and edit.name.strip() != user.name:
            changes.append(f"name {user.name!r} -> {edit.name.strip()!r}")
            user.name = edit.name.strip()
        for team_code, role in edit.remove:
            key = (team_ids[team_code], role.value)
            if key not in held:
                raise InvalidInput(f"{user.login} is not {role.value} in team {team_code}")
            session.execute(
                delete(TeamMembership).where(
                    TeamMembership.user_id == user.id,
                    TeamMembership.team_id == key[0],
                    TeamMembership.role == role.value,
                )
            )
            held.discard(key)
            changes.append(f"no longer {role.value} in {team_code}")
        for team_code, role in edit.add:
            key = (team_ids[team_code], role.value)
            if key in held:
                continue
            session.add(TeamMembership(user_id=user.id, team_id=key[0], role=role.value))
            held.add(key)
            changes.append(f"{role.value} in {team_code}")
        if edit.admin is not None and edit.admin != user.is_admin:
            if not edit.admin:
                refuse_losing_last_admin(session, user, "remove the admin flag")
            user.is_admin = edit.admin
            changes.append("admin" if edit.admin else "no longer admin")
        if changes:
            record_event(
                session,
                actor,
                utc_now(),
                entity="user",
                entity_id=user.id,
                kind="user.edited",
                summary=f"user {user.login} edited: {'; '.join(changes)}",
                payload={"changes": changes},
            )
        return changes
