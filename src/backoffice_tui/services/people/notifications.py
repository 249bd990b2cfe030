"""What landed on me: the events since a given one that concern the operator.

An event is a notification to the operator when someone else (a person or
a rule) did it and it is one of these:

- a work item assigned to them;
- an approval request now waiting for their approval (requested, moved on
  to a stage of theirs, forwarded or sent back to them), once per request;
- a reminder of a request they are to decide;
- a handoff they submitted, returned;
- a request of theirs decided (approved, rejected or sent back).

"Since I last looked" is the caller's: it passes the last event id the
operator has seen (the console keeps it per login).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.services.approvals.approvers import principals
from backoffice_tui.services.approvals.authority import awaiting
from backoffice_tui.services.context import Actor
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, ApprovalStage, Event, Handoff

ASSIGNED = "assigned to you"
WAITING = "waits for your approval"
REMINDER = "reminder"
RETURNED = "handoff returned"
DECIDED = {
    "approval.completed": "your request approved",
    "approval.rejected": "your request rejected",
    "approval.sent_back": "your request sent back",
}
# the request events after which a request may wait for someone new
_MAY_WAIT = (
    "approval.requested",
    "approval.approved",
    "approval.forwarded",
    "approval.sent_back",
    "approval.reapplied",
    "approval.handed_over",
)
KINDS = frozenset(
    {"work_item.assigned", "approval.reminder", "handoff.returned", *_MAY_WAIT, *DECIDED}
)
# the most events one read looks through (the oldest beyond it are not notified)
SCAN_LIMIT = 5000


@dataclass(frozen=True)
class Notification:
    event_id: int
    at: datetime
    reason: str  # what it is to me: "assigned to you", "waits for your approval"...
    summary: str
    entity: str  # work_item, approval_request or handoff: what enter opens
    entity_id: int


def newest_event_id(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.max(Event.id))) or 0


def _waiting_for(
    session: Session, actor: Actor, request_ids: Iterable[int], now: datetime
) -> set[int]:
    ids = sorted(set(request_ids))
    if not ids:
        return set()
    mine = principals(session, actor.user_id, actor.login, now.astimezone().date())
    return set(
        session.scalars(
            select(ApprovalStage.request_id)
            .join(ApprovalRequest, ApprovalRequest.id == ApprovalStage.request_id)
            .where(
                ApprovalRequest.id.in_(ids),
                ApprovalRequest.state == RequestState.PENDING.value,
                ApprovalRequest.current_stage == ApprovalStage.position,
                awaiting(actor, mine),
            )
        )
    )


def notifications(
    db: Database, actor: Actor, now: datetime, *, after: int = 0, limit: int = 100
) -> list[Notification]:
    """The operator's notifications among the events after ``after``
    (at most ``SCAN_LIMIT`` of the newest are looked at), newest first."""
    me = actor.real_login or actor.login
    with db.read() as session:
        events = list(
            session.scalars(
                select(Event)
                .where(Event.id > after, Event.kind.in_(sorted(KINDS)), Event.actor_name != me)
                .order_by(Event.id.desc())
                .limit(SCAN_LIMIT)
            )
        )
        requests = {e.entity_id for e in events if e.entity == "approval_request"}
        requested_by_me = (
            set(
                session.scalars(
                    select(ApprovalRequest.id).where(
                        ApprovalRequest.id.in_(sorted(requests)),
                        ApprovalRequest.requester_id == actor.user_id,
                    )
                )
            )
            if requests
            else set()
        )
        waiting = _waiting_for(session, actor, requests - requested_by_me, now)
        handoffs = {e.entity_id for e in events if e.kind == "handoff.returned"}
        submitted_by_me = (
            set(
                session.scalars(
                    select(Handoff.id).where(
                        Handoff.id.in_(sorted(handoffs)), Handoff.submitted_by_id == actor.user_id
                    )
                )
            )
            if handoffs
            else set()
        )
        found: list[Notification] = []
        told_waiting: set[int] = set()
        for event in events:
            reason = _reason(event, actor, requested_by_me, waiting, submitted_by_me)
            if reason == WAITING:
                if event.entity_id in told_waiting:
                    continue  # once per request: its newest event
                told_waiting.add(event.entity_id)
            if reason:
                found.append(
                    Notification(
                        event.id, event.at, reason, event.summary, event.entity, event.entity_id
                    )
                )
                if len(found) >= limit:
                    break
        return found


def _reason(
    event: Event,
    actor: Actor,
    requested_by_me: set[int],
    waiting: set[int],
    submitted_by_me: set[int],
) -> str:
    payload = event.payload or {}
    if event.kind == "work_item.assigned":
        return ASSIGNED if payload.get("assignee") == actor.login else ""
    if event.kind == "handoff.returned":
        return RETURNED if event.entity_id in submitted_by_me else ""
    if event.kind == "approval.reminder":
        approvers = payload.get("approvers") or []
        return REMINDER if actor.login in approvers else ""
    if event.entity_id in requested_by_me:
        return DECIDED.get(event.kind, "")
    if event.kind in _MAY_WAIT and event.entity_id in waiting:
        return WAITING
    return ""


def count_new(db: Database, actor: Actor, now: datetime, after: int) -> int:
    """How many notifications came after ``after`` (up to 100: "99+")."""
    return len(notifications(db, actor, now, after=after, limit=100))
