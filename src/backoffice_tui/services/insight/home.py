"""The numbers on the home screen: my work and my teams' load."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import case, func, select

from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.services.approvals.read import count_inbox
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Handoff,
    Team,
    TeamMembership,
    WorkItem,
)

_OPEN = [s.value for s in OPEN_STATUSES]


@dataclass(frozen=True)
class TeamLoad:
    team: str
    name: str
    open: int
    ready: int
    blocked: int
    unassigned: int
    overdue: int


@dataclass(frozen=True)
class HomeCounts:
    my_queue: int
    my_overdue: int
    approvals_waiting: int
    handoffs_to_accept: int
    team_overdue: int
    my_teams: tuple[str, ...]
    teams: tuple[TeamLoad, ...]


def _my_roles(db: Database, actor: Actor) -> list[tuple[int, str, str]]:
    with db.read() as session:
        return [
            (team_id, code, role)
            for team_id, code, role in session.execute(
                select(TeamMembership.team_id, Team.code, TeamMembership.role)
                .join(Team, Team.id == TeamMembership.team_id)
                .where(TeamMembership.user_id == actor.user_id)
            )
        ]


def home_counts(db: Database, actor: Actor, today: date) -> HomeCounts:
    roles = _my_roles(db, actor)
    my_team_ids = sorted({team_id for team_id, _, _ in roles})
    with db.read() as session:
        mine = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((WorkItem.due_on < today, 1), else_=0)), 0),
            ).where(WorkItem.assignee_id == actor.user_id, WorkItem.status.in_(_OPEN))
        ).one()
        load_rows = session.execute(
            select(
                Team.code,
                Team.name,
                func.count(WorkItem.id),
                func.coalesce(
                    func.sum(case((WorkItem.status == WorkStatus.READY.value, 1), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(case((WorkItem.status == WorkStatus.BLOCKED.value, 1), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(
                        case(
                            (WorkItem.id.is_not(None) & WorkItem.assignee_id.is_(None), 1), else_=0
                        )
                    ),
                    0,
                ),
                func.coalesce(func.sum(case((WorkItem.due_on < today, 1), else_=0)), 0),
            )
            .join(
                WorkItem, (WorkItem.team_id == Team.id) & WorkItem.status.in_(_OPEN), isouter=True
            )
            .group_by(Team.id, Team.code, Team.name)
            .order_by(Team.code)
        ).all()
        handoffs = (
            session.scalar(
                select(func.count()).where(
                    Handoff.state == "submitted", Handoff.to_team_id.in_(my_team_ids)
                )
            )
            if my_team_ids
            else 0
        )
    approvals = count_inbox(db, actor, datetime.combine(today, time(12), tzinfo=UTC))
    teams = tuple(TeamLoad(*row) for row in load_rows)
    my_codes = tuple(sorted({code for _, code, _ in roles}))
    return HomeCounts(
        my_queue=mine[0],
        my_overdue=mine[1],
        approvals_waiting=approvals,
        handoffs_to_accept=handoffs or 0,
        team_overdue=sum(t.overdue for t in teams if t.team in my_codes),
        my_teams=my_codes,
        teams=teams,
    )
