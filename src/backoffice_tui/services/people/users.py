"""Users, teams and memberships."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from backoffice_tui.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import record_event
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, TeamMembership, User


@dataclass(frozen=True)
class UserRow:
    login: str
    name: str
    is_admin: bool
    active: bool
    teams: dict[str, list[str]]  # team code -> roles


def list_users(db: Database) -> list[UserRow]:
    with db.read() as session:
        users = session.scalars(select(User).order_by(User.login)).all()
        memberships = session.execute(
            select(TeamMembership.user_id, Team.code, TeamMembership.role)
            .join(Team, Team.id == TeamMembership.team_id)
            .order_by(Team.code, TeamMembership.role)
        ).all()
        teams: dict[int, dict[str, list[str]]] = {}
        for user_id, team_code, role in memberships:
            teams.setdefault(user_id, {}).setdefault(team_code, []).append(role)
        return [UserRow(u.login, u.name, u.is_admin, u.active, teams.get(u.id, {})) for u in users]


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
