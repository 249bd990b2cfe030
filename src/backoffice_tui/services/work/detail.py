"""Everything about one work item: its order, customer, line, notes and history."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from backoffice_tui.domain.errors import NotFound
from backoffice_tui.domain.text import attribute_texts
from backoffice_tui.services.events import HistoryEntry, entity_history
from backoffice_tui.services.work.queue import QueueRow, get_queue_row
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Team, TeamMembership, User, WorkItem, WorkItemNote


@dataclass(frozen=True)
class LineStep:
    item_id: int
    position: int
    step: str
    team: str
    status: str
    assignee: str | None
    due: date


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    body: str


@dataclass(frozen=True)
class WorkItemDetail:
    row: QueueRow
    received_on: date
    requested_on: date | None
    sales_owner: str | None
    blocked_reason: str | None
    skip_reason: str | None
    line: tuple[LineStep, ...]
    order_title: str  # "" when the order has none
    # (start, finish) as a plan gave them and as the work took them
    planned: tuple[date | None, date | None]
    actual: tuple[date | None, date | None]
    # the columns of imported files that no field holds: header -> text
    attributes: dict[str, str]
    order_attributes: dict[str, str]
    notes: tuple[Note, ...]
    history: tuple[HistoryEntry, ...]


def work_item_detail(db: Database, item_id: int) -> WorkItemDetail:
    row = get_queue_row(db, item_id)
    with db.read() as session:
        item = session.get(WorkItem, item_id)
        if item is None:
            raise NotFound(f"no work item {item_id}")
        order = item.order_line.order
        owner = session.get(User, order.sales_owner_id) if order.sales_owner_id else None
        line = tuple(
            LineStep(
                item_id=i.id,
                position=i.position,
                step=i.step.name,
                team=i.team.code,
                status=i.status,
                assignee=i.assignee.login if i.assignee else None,
                due=i.due_on,
            )
            for i in item.order_line.work_items
        )
        notes = tuple(
            Note(at, login, body)
            for at, login, body in session.execute(
                select(WorkItemNote.created_at, User.login, WorkItemNote.body)
                .join(User, User.id == WorkItemNote.author_id)
                .where(WorkItemNote.work_item_id == item_id)
                .order_by(WorkItemNote.id)
            )
        )
        history = entity_history(session, "work_item", item_id)
        return WorkItemDetail(
            row=row,
            received_on=order.received_on,
            requested_on=order.requested_on,
            sales_owner=owner.login if owner else None,
            blocked_reason=item.blocked_reason,
            skip_reason=item.skip_reason,
            line=line,
            order_title=order.title,
            planned=(item.planned_start_on, item.planned_finish_on),
            actual=(item.actual_start_on, item.actual_finish_on),
            attributes=attribute_texts(item.attributes),
            order_attributes=attribute_texts(order.attributes),
            notes=notes,
            history=history,
        )


def team_members(db: Database, team_code: str) -> list[tuple[str, str]]:
    """(login, name) of the active members of a team, for assigning work."""
    with db.read() as session:
        rows = session.execute(
            select(User.login, User.name)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(Team.code == team_code, User.active.is_(True))
            .distinct()
            .order_by(User.login)
        )
        return [(login, name) for login, name in rows]
