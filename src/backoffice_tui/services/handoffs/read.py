"""Reading handoffs: the incoming and outgoing lists, and one handoff whole."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased

from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.services.context import Actor
from backoffice_tui.services.events import HistoryEntry, entity_history
from backoffice_tui.services.handoffs.records import OPEN_STATES, parse_state
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Customer,
    DocumentRevision,
    Handoff,
    HandoffDocument,
    HandoffItem,
    Order,
    OrderLine,
    Service,
    Team,
    TeamMembership,
    TemplateStep,
    User,
    WorkItem,
)


class Direction(StrEnum):
    INCOMING = "incoming"  # to my teams (or to the chosen team)
    OUTGOING = "outgoing"  # from my teams (or from the chosen team)
    ALL = "all"


@dataclass(frozen=True)
class HandoffFilter:
    direction: Direction = Direction.INCOMING
    states: tuple[HandoffState, ...] = OPEN_STATES  # empty: every state
    team: str | None = None  # a team code, on the side the direction names

    def describe(self) -> str:
        if self.direction == Direction.ALL:
            where = f"involving {self.team}" if self.team else "all teams"
        else:
            side = "to" if self.direction == Direction.INCOMING else "from"
            where = f"{self.direction.value} {side} {self.team or 'my teams'}"
        if not self.states or set(self.states) == set(HandoffState):
            states = "every state"
        elif set(self.states) == set(OPEN_STATES):
            states = "open"
        else:
            states = ", ".join(s.value for s in self.states)
        return f"{where}; {states}"


def parse_states(text: str | None) -> tuple[HandoffState, ...]:
    """``open`` (draft, submitted, returned), ``all``, or one or more states
    separated by commas."""
    if text is None or text.strip().lower() == "open":
        return OPEN_STATES
    if text.strip().lower() == "all":
        return ()
    return tuple(parse_state(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class HandoffRow:
    id: int
    state: str
    from_team: str
    to_team: str
    customer_code: str
    customer_name: str
    order_code: str
    service: str
    step: str
    work_item_id: int
    open_required: int
    version: int
    created_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None


@dataclass(frozen=True)
class ChecklistEntry:
    id: int
    position: int
    key: str
    label: str
    kind: str
    required: bool
    answered: bool
    answer: str | None
    by: str | None  # who last changed the answer, and when
    at: datetime | None
    version: int


@dataclass(frozen=True)
class RevisionEntry:
    revision: int
    location: str
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class DocumentEntry:
    id: int
    title: str
    created_by: str
    created_at: datetime
    revisions: tuple[RevisionEntry, ...]  # oldest first

    @property
    def latest(self) -> RevisionEntry:
        return self.revisions[-1]


@dataclass(frozen=True)
class HandoffDetail:
    id: int
    state: str
    version: int
    from_team: str
    to_team: str
    customer_code: str
    customer_name: str
    order_code: str
    service: str
    step: str
    work_item_id: int
    work_item_status: str
    return_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None
    blocking: tuple[str, ...]  # keys of the required items still unanswered
    items: tuple[ChecklistEntry, ...]
    documents: tuple[DocumentEntry, ...]
    from_members: tuple[str, ...]
    to_members: tuple[str, ...]
    history: tuple[HistoryEntry, ...]

    @property
    def blocking_items(self) -> tuple[ChecklistEntry, ...]:
        return tuple(item for item in self.items if item.key in self.blocking)


FromTeam = aliased(Team)
ToTeam = aliased(Team)
_STATE_ORDER = case(
    {"submitted": 0, "returned": 1, "draft": 2, "accepted": 3}, value=Handoff.state, else_=4
)


def _open_required() -> Any:
    return (
        select(func.count(HandoffItem.id))
        .where(
            HandoffItem.handoff_id == Handoff.id,
            HandoffItem.required.is_(True),
            HandoffItem.answer.is_(None),
        )
        .correlate(Handoff)
        .scalar_subquery()
    )


def _base_query() -> Any:
    return (
        select(
            Handoff.id,
            Handoff.state,
            FromTeam.code,
            ToTeam.code,
            Customer.code,
            Customer.name,
            Order.code,
            Service.name,
            TemplateStep.name,
            Handoff.work_item_id,
            _open_required(),
            Handoff.version,
            Handoff.created_at,
            Handoff.submitted_at,
            Handoff.accepted_at,
        )
        .join(FromTeam, FromTeam.id == Handoff.from_team_id)
        .join(ToTeam, ToTeam.id == Handoff.to_team_id)
        .join(Customer, Customer.id == Handoff.customer_id)
        .join(OrderLine, OrderLine.id == Handoff.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(WorkItem, WorkItem.id == Handoff.work_item_id)
        .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
    )


def _team_id(session: Session, code: str) -> int:
    team_id = session.scalar(select(Team.id).where(Team.code == code))
    if team_id is None:
        raise NotFound(f"no team {code!r}")
    return team_id


def _conditions(
    session: Session, actor: Actor | None, handoff_filter: HandoffFilter
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if handoff_filter.states:
        conditions.append(Handoff.state.in_([s.value for s in handoff_filter.states]))
    direction = handoff_filter.direction
    if handoff_filter.team:
        team_id = _team_id(session, handoff_filter.team)
        if direction == Direction.INCOMING:
            conditions.append(Handoff.to_team_id == team_id)
        elif direction == Direction.OUTGOING:
            conditions.append(Handoff.from_team_id == team_id)
        else:
            conditions.append((Handoff.to_team_id == team_id) | (Handoff.from_team_id == team_id))
    elif direction != Direction.ALL:
        if actor is None:
            raise InvalidInput(f"{direction.value} handoffs need an operator or a team")
        my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == actor.user_id)
        column = Handoff.to_team_id if direction == Direction.INCOMING else Handoff.from_team_id
        conditions.append(column.in_(my_teams))
    return conditions


class HandoffSort(StrEnum):
    """The columns the handoff lists can be sorted by."""

    STATE = "state"
    ID = "id"
    TEAMS = "teams"
    ORDER = "order"
    CUSTOMER = "customer"
    SERVICE = "service"

    @property
    def label(self) -> str:
        return {"id": "number", "teams": "from and to team", "order": "order code"}.get(
            self.value, self.value
        )


def _sort_order(sort: HandoffSort, descending: bool) -> list[Any]:
    """The columns of a sort, the newest first among equals; all mirrored
    with ``descending``."""
    leading: dict[HandoffSort, list[Any]] = {
        HandoffSort.STATE: [_STATE_ORDER],
        HandoffSort.ID: [],
        HandoffSort.TEAMS: [FromTeam.code, ToTeam.code],
        HandoffSort.ORDER: [Order.code],
        HandoffSort.CUSTOMER: [Customer.name],
        HandoffSort.SERVICE: [Service.name],
    }
    columns = [(column, descending) for column in leading[sort]]
    columns.append((Handoff.id, not descending))
    return [column.desc() if down else column for column, down in columns]


def list_handoffs(
    db: Database,
    actor: Actor | None,
    handoff_filter: HandoffFilter,
    limit: int = 200,
    sort: HandoffSort = HandoffSort.STATE,
    descending: bool = False,
) -> list[HandoffRow]:
    """Handoffs matching the filter: submitted first, then returned, drafts and
    accepted ones, newest first within each state; or by another column, the
    newest first among equals; every order mirrored with ``descending``."""
    order = _sort_order(sort, descending)
    with db.read() as session:
        query = (
            _base_query()
            .where(*_conditions(session, actor, handoff_filter))
            .order_by(*order)
            .limit(limit)
        )
        return [HandoffRow(*row) for row in session.execute(query)]


def _members(session: Session, team_id: int) -> tuple[str, ...]:
    return tuple(
        session.scalars(
            select(User.login)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == team_id, User.active.is_(True))
            .distinct()
            .order_by(User.login)
        )
    )


def _logins(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.login).where(User.id.in_(ids)))
    return {user_id: login for user_id, login in rows}


def _items(session: Session, handoff_id: int) -> tuple[ChecklistEntry, ...]:
    items = list(
        session.scalars(
            select(HandoffItem)
            .where(HandoffItem.handoff_id == handoff_id)
            .order_by(HandoffItem.position)
        )
    )
    logins = _logins(session, {item.answered_by_id for item in items})
    return tuple(
        ChecklistEntry(
            id=item.id,
            position=item.position,
            key=item.key,
            label=item.label,
            kind=item.kind,
            required=item.required,
            answered=item.answer is not None,
            answer=item.answer,
            by=logins.get(item.answered_by_id) if item.answered_by_id else None,
            at=item.answered_at,
            version=item.version,
        )
        for item in items
    )


def _documents(session: Session, handoff_id: int) -> tuple[DocumentEntry, ...]:
    documents = list(
        session.scalars(
            select(HandoffDocument)
            .where(HandoffDocument.handoff_id == handoff_id)
            .order_by(HandoffDocument.id)
        )
    )
    revisions = list(
        session.scalars(
            select(DocumentRevision)
            .where(DocumentRevision.document_id.in_([d.id for d in documents]))
            .order_by(DocumentRevision.document_id, DocumentRevision.revision)
        )
    )
    creators: set[int | None] = {d.created_by_id for d in documents}
    logins = _logins(session, creators | {r.created_by_id for r in revisions})
    return tuple(
        DocumentEntry(
            id=document.id,
            title=document.title,
            created_by=logins.get(document.created_by_id, "?"),
            created_at=document.created_at,
            revisions=tuple(
                RevisionEntry(
                    r.revision, r.location, r.note, logins.get(r.created_by_id, "?"), r.created_at
                )
                for r in revisions
                if r.document_id == document.id
            ),
        )
        for document in documents
    )


def handoff_detail(db: Database, handoff_id: int) -> HandoffDetail:
    """One handoff whole: checklist, documents with every revision, the
    members of both teams and the history of its events."""
    with db.read() as session:
        row = session.execute(_base_query().where(Handoff.id == handoff_id)).first()
        if row is None:
            raise NotFound(f"no handoff {handoff_id}")
        summary = HandoffRow(*row)
        handoff = session.get(Handoff, handoff_id)
        item = session.get(WorkItem, summary.work_item_id)
        assert handoff is not None and item is not None
        items = _items(session, handoff_id)
        return HandoffDetail(
            id=summary.id,
            state=summary.state,
            version=summary.version,
            from_team=summary.from_team,
            to_team=summary.to_team,
            customer_code=summary.customer_code,
            customer_name=summary.customer_name,
            order_code=summary.order_code,
            service=summary.service,
            step=summary.step,
            work_item_id=summary.work_item_id,
            work_item_status=item.status,
            return_reason=handoff.return_reason,
            created_at=summary.created_at,
            submitted_at=summary.submitted_at,
            accepted_at=summary.accepted_at,
            blocking=tuple(i.key for i in items if i.required and not i.answered),
            items=items,
            documents=_documents(session, handoff_id),
            from_members=_members(session, handoff.from_team_id),
            to_members=_members(session, handoff.to_team_id),
            history=entity_history(session, "handoff", handoff_id),
        )


def handoff_of_work_item(db: Database, work_item_id: int) -> int | None:
    """The handoff a work item's step opened, if any."""
    with db.read() as session:
        return session.scalar(select(Handoff.id).where(Handoff.work_item_id == work_item_id))
