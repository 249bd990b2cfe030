"""Who I am: login, name, teams and roles, and my delegations (those I made
and those made to me), for the profile screen."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from backoffice_tui.services.context import Actor
from backoffice_tui.services.people.delegations import DelegationRow, list_delegations
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, TeamMembership, User


@dataclass(frozen=True)
class Profile:
    login: str
    name: str
    is_admin: bool
    teams: dict[str, list[str]]  # team code -> roles
    mine: list[DelegationRow]  # my approvals go to someone: in force, planned, past
    to_me: list[DelegationRow]  # someone's approvals come to me
    colleagues: list[tuple[str, str]]  # (login, name) of the other active users


def profile_of(db: Database, actor: Actor, today: date) -> Profile:
    with db.read() as session:
        user = session.get_one(User, actor.user_id)
        teams: dict[str, list[str]] = {}
        for code, role in session.execute(
            select(Team.code, TeamMembership.role)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(TeamMembership.user_id == actor.user_id)
            .order_by(Team.code, TeamMembership.role)
        ):
            teams.setdefault(code, []).append(role)
        colleagues = [
            (login, name)
            for login, name in session.execute(
                select(User.login, User.name)
                .where(User.active.is_(True), User.id != actor.user_id)
                .order_by(User.login)
            )
        ]
        login, name, is_admin = user.login, user.name, user.is_admin
    delegations = list_delegations(db, actor, today)
    return Profile(
        login=login,
        name=name,
        is_admin=is_admin,
        teams=teams,
        mine=[d for d in delegations if d.from_login == login],
        to_me=[d for d in delegations if d.to_login == login],
        colleagues=colleagues,
    )
