"""Taking the next one: claim and start the next ready item of my teams.

The next item is the ready one, unassigned or already mine, in one of the
operator's teams, that is due first (then the most urgent priority, then
the oldest id). Starting it is the step lifecycle's ordinary start
(``lifecycle.start``) on the version that was read, a conditional update:
of two operators taking at the same moment each gets a different item,
because whoever loses the race on one item goes on to the next candidate.
"""

from collections.abc import Collection

from sqlalchemy import or_, select

from backoffice_tui.domain.errors import Conflict, InvalidTransition
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.context import Context
from backoffice_tui.services.work import lifecycle
from backoffice_tui.services.work.queue import QueueRow, get_queue_row
from backoffice_tui.store.models import Team, TeamMembership, WorkItem

# How many items a take may lose to other operators before it gives up.
ATTEMPTS = 25


def _candidate(ctx: Context, passed_over: Collection[int]) -> tuple[int, int] | None:
    """(id, version) of the next ready item for the operator, if any."""
    my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == ctx.actor.user_id)
    query = (
        select(WorkItem.id, WorkItem.version)
        .where(
            WorkItem.status == WorkStatus.READY.value,
            WorkItem.team_id.in_(my_teams),
            or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id == ctx.actor.user_id),
        )
        .order_by(WorkItem.due_on, WorkItem.priority, WorkItem.id)
        .limit(1)
    )
    if passed_over:
        query = query.where(WorkItem.id.not_in(passed_over))
    with ctx.db.read() as session:
        row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def take_next(ctx: Context) -> QueueRow | None:
    """Claim and start the next ready item of the operator's teams; its row
    as it now is, or None when nothing is ready for them."""
    passed_over: list[int] = []
    for _ in range(ATTEMPTS):
        candidate = _candidate(ctx, passed_over)
        if candidate is None:
            return None
        item_id, version = candidate
        try:
            lifecycle.start(ctx, item_id, version)
        except (Conflict, InvalidTransition):
            passed_over.append(item_id)  # someone took or changed it first
            continue
        return get_queue_row(ctx.db, item_id)
    raise Conflict(
        f"{ATTEMPTS} ready items were taken by others while you were taking one; try again"
    )


def nothing_ready(ctx: Context) -> str:
    """The one line that says there is nothing to take, naming the teams."""
    with ctx.db.read() as session:
        teams = list(
            session.scalars(
                select(Team.code)
                .join(TeamMembership, TeamMembership.team_id == Team.id)
                .where(TeamMembership.user_id == ctx.actor.user_id)
                .order_by(Team.code)
                .distinct()
            )
        )
    if not teams:
        return f"nothing to take: {ctx.actor.login} is in no team"
    return f"nothing ready to take in {', '.join(teams)}"
