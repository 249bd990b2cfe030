"""Saved views: a named filter over work items or a customer's events,
private to its owner or shared with one of the owner's teams."""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from backoffice_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.customers.timeline import TimelineFilter
from backoffice_tui.services.events import record_event
from backoffice_tui.services.work.queue import QueueFilter, QueueSort
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import SavedView, Team, TeamMembership, User

WORK_ITEMS = "work_items"
EVENTS = "events"


@dataclass(frozen=True)
class SavedViewRow:
    id: int
    name: str
    target: str  # work_items | events
    owner: str
    team: str | None  # shared with this team
    filters: dict[str, Any]
    description: str


# --- filters as stored ----------------------------------------------------------


def queue_view_filters(queue_filter: QueueFilter, sort: QueueSort) -> dict[str, Any]:
    data = asdict(queue_filter)
    data["statuses"] = [s.value for s in queue_filter.statuses]
    data["sort"] = sort.value
    return data


def queue_filter_of(filters: dict[str, Any]) -> tuple[QueueFilter, QueueSort]:
    data = dict(filters)
    sort = QueueSort(data.pop("sort", QueueSort.DUE.value))
    statuses = tuple(WorkStatus(s) for s in data.pop("statuses", [])) or None
    known = {k: v for k, v in data.items() if k in QueueFilter.__dataclass_fields__}
    queue_filter = (
        QueueFilter(**known) if statuses is None else QueueFilter(**known, statuses=statuses)
    )
    return queue_filter, sort


def timeline_view_filters(customer: str, timeline_filter: TimelineFilter) -> dict[str, Any]:
    data = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(timeline_filter).items()
    }
    data["customer"] = customer
    return data


def timeline_filter_of(filters: dict[str, Any]) -> tuple[str, TimelineFilter]:
    data = dict(filters)
    customer = str(data.pop("customer", ""))
    for key in ("since", "until"):
        if data.get(key):
            data[key] = date.fromisoformat(data[key])
    known = {k: v for k, v in data.items() if k in TimelineFilter.__dataclass_fields__}
    return customer, TimelineFilter(**known)


# --- storing and finding --------------------------------------------------------


def _row(view: SavedView, owner: str, team: str | None) -> SavedViewRow:
    return SavedViewRow(
        view.id, view.name, view.target, owner, team, view.filters, view.description
    )


def save_view(
    ctx: Context,
    name: str,
    target: str,
    filters: dict[str, Any],
    *,
    team: str | None = None,
    description: str = "",
) -> int:
    """Save (or replace) the operator's view ``name``; ``team`` shares it."""
    name = name.strip()
    if not name:
        raise InvalidInput("a saved view needs a name")
    if target not in (WORK_ITEMS, EVENTS):
        raise InvalidInput(f"a view is of work_items or events, not {target!r}")
    actor = ctx.actor
    with ctx.db.write() as session:
        team_id = None
        if team:
            team_id = session.scalar(select(Team.id).where(Team.code == team))
            if team_id is None:
                raise NotFound(f"no team {team!r}")
            member = session.scalar(
                select(TeamMembership.user_id).where(
                    TeamMembership.user_id == actor.user_id, TeamMembership.team_id == team_id
                )
            )
            if member is None and not actor.is_admin:
                raise PermissionDenied(
                    f"{actor.login} is not in team {team}, so cannot share a view with it"
                )
        view = session.scalar(
            select(SavedView).where(SavedView.owner_id == actor.user_id, SavedView.name == name)
        )
        if view is None:
            view = SavedView(name=name, owner_id=actor.user_id, target=target)
            session.add(view)
        view.target, view.filters, view.team_id = target, filters, team_id
        view.description = description
        session.flush()
        shared = f", shared with {team}" if team else ""
        record_event(
            session,
            actor,
            ctx.now(),
            entity="saved_view",
            entity_id=view.id,
            kind="view.saved",
            summary=f"view {name!r} saved{shared}",
        )
        return view.id


def list_views(db: Database, actor: Actor, target: str | None = None) -> list[SavedViewRow]:
    """The operator's own views and those shared with their teams."""
    with db.read() as session:
        my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == actor.user_id)
        query = (
            select(SavedView, User.login, Team.code)
            .join(User, User.id == SavedView.owner_id)
            .outerjoin(Team, Team.id == SavedView.team_id)
            .where(or_(SavedView.owner_id == actor.user_id, SavedView.team_id.in_(my_teams)))
            .order_by(SavedView.name, User.login)
        )
        if target:
            query = query.where(SavedView.target == target)
        return [_row(view, owner, team) for view, owner, team in session.execute(query)]


def find_view(db: Database, actor: Actor, name: str) -> SavedViewRow:
    """The operator's own view of that name, else one shared with their teams."""
    views = [v for v in list_views(db, actor) if v.name == name]
    if not views:
        raise NotFound(f"no saved view {name!r}")
    own = [v for v in views if v.owner == actor.login]
    return (own or views)[0]
