"""Who may do what: checked in services, never only by hiding a key."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice_tui.domain.errors import PermissionDenied
from backoffice_tui.domain.roles import Role
from backoffice_tui.services.context import Actor
from backoffice_tui.store.models import Team, TeamMembership


def roles_in_team(session: Session, user_id: int, team_id: int) -> set[Role]:
    rows = session.scalars(
        select(TeamMembership.role).where(
            TeamMembership.user_id == user_id, TeamMembership.team_id == team_id
        )
    )
    return {Role(r) for r in rows}


def _team_code(session: Session, team_id: int) -> str:
    team = session.get(Team, team_id)
    return team.code if team else str(team_id)


def require_member(session: Session, actor: Actor, team_id: int, doing: str) -> None:
    if actor.is_admin or roles_in_team(session, actor.user_id, team_id):
        return
    raise PermissionDenied(
        f"{actor.login} is not in team {_team_code(session, team_id)}, so cannot {doing}"
    )


def is_lead(session: Session, actor: Actor, team_id: int) -> bool:
    return actor.is_admin or Role.LEAD in roles_in_team(session, actor.user_id, team_id)


def require_lead(session: Session, actor: Actor, team_id: int, doing: str) -> None:
    if not is_lead(session, actor, team_id):
        raise PermissionDenied(
            f"only a lead of team {_team_code(session, team_id)} can {doing}; "
            f"{actor.login} is not one"
        )


def require_admin(actor: Actor | str | None, doing: str) -> None:
    """Admins only. A string actor is the program itself (the demo loader, a
    rule); ``None`` is nobody, as on a database with no users yet."""
    if isinstance(actor, str) or (actor is not None and actor.is_admin):
        return
    who = actor.login if actor is not None else "nobody"
    raise PermissionDenied(f"only an admin can {doing}; {who} is not one")
