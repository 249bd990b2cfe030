"""Short lists for pickers: the teams and services of this database."""

from sqlalchemy import select

from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Service, Team, TeamMembership


def list_teams(db: Database) -> list[tuple[str, str]]:
    """(code, name) of every team."""
    with db.read() as session:
        return [
            (code, name)
            for code, name in session.execute(select(Team.code, Team.name).order_by(Team.code))
        ]


def list_services(db: Database) -> list[tuple[str, str]]:
    """(code, name) of every service."""
    with db.read() as session:
        return [
            (code, name)
            for code, name in session.execute(
                select(Service.code, Service.name).order_by(Service.code)
            )
        ]


def teams_of(db: Database, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the teams the operator belongs to."""
    with db.read() as session:
        return [
            (code, name)
            for code, name in session.execute(
                select(Team.code, Team.name)
                .where(
                    Team.id.in_(
                        select(TeamMembership.team_id).where(
                            TeamMembership.user_id == actor.user_id
                        )
                    )
                )
                .order_by(Team.code)
            )
        ]
