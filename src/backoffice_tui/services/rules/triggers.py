"""When a rule looks, and at what: the subject of an event, the slot of a
schedule, and the subjects a time condition holds for (through indexed
queries: the queue's status and due-date index, the stages' state and due
time index).

Each candidate comes with its ``fire_key``: what makes a firing that one,
so the same event, schedule slot or due date never fires a rule twice.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import StageState
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.domain.rule_files import Trigger
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.services.work.lifecycle import latest_request
from backoffice_tui.store.models import (
    Application,
    ApprovalRequest,
    ApprovalStage,
    Handoff,
    WorkItem,
)

CHUNK = 1000
OPEN = [s.value for s in OPEN_STATUSES]


@dataclass(frozen=True)
class Candidate:
    entity: str
    entity_id: int
    fire_key: str


def subject_of_event(session: Session, subject: str, entity: str, entity_id: int) -> int | None:
    """The id of the rule's ``subject`` that an event on (entity, id) is
    about: itself, or the work item of a handoff or of a step's approval,
    the approval of an application, the application of an approval."""
    if entity == subject:
        return entity_id
    if subject == "work_item":
        if entity == "handoff":
            return session.scalar(select(Handoff.work_item_id).where(Handoff.id == entity_id))
        if entity == "approval_request":
            return session.scalar(
                select(ApprovalRequest.subject_id).where(
                    ApprovalRequest.id == entity_id, ApprovalRequest.subject_kind == "work_item"
                )
            )
    if subject == "approval_request":
        if entity == "application":
            return session.scalar(
                select(Application.approval_request_id).where(Application.id == entity_id)
            )
        if entity == "work_item":
            item = session.get(WorkItem, entity_id)
            request = latest_request(session, item) if item is not None else None
            return request.id if request is not None else None
    if subject == "application" and entity == "approval_request":
        return session.scalar(
            select(ApprovalRequest.subject_id).where(
                ApprovalRequest.id == entity_id, ApprovalRequest.subject_kind == "application"
            )
        )
    return None


# --- schedules ------------------------------------------------------------------------------


def schedule_slot(trigger: Trigger, now: datetime) -> str | None:
    """The slot a schedule is in now (fires once per slot), or None when a
    daily schedule is not due yet today or today is not a working day."""
    if trigger.every_minutes is not None:
        minutes = int(now.timestamp() // 60)
        start = minutes - minutes % trigger.every_minutes
        return datetime.fromtimestamp(start * 60, UTC).strftime("%Y-%m-%dT%H:%M")
    assert trigger.daily_at is not None
    local = now.astimezone()
    if local.weekday() >= 5 or local.time() < trigger.daily_at:
        return None
    return local.date().isoformat()


def _open_subjects(subject: str) -> Select[*tuple[Any, ...]]:
    if subject == "work_item":
        return (
            select(WorkItem.id)
            .where(WorkItem.status.in_(OPEN))
            .order_by(WorkItem.status, WorkItem.due_on, WorkItem.id)
        )
    if subject == "approval_request":
        return (
            select(ApprovalRequest.id)
            .where(ApprovalRequest.state == "pending")
            .order_by(ApprovalRequest.created_at, ApprovalRequest.id)
        )
    if subject == "handoff":
        return (
            select(Handoff.id)
            .where(Handoff.state == HandoffState.SUBMITTED.value)
            .order_by(Handoff.id)
        )
    return select(Application.id).where(Application.state == "pending").order_by(Application.id)


def scheduled(
    session: Session, subject: str, slot: str, where: ColumnElement[bool] | None = None
) -> Iterator[Candidate]:
    """Every open subject, once for the slot (work items: those ``where``
    holds for too)."""
    query = _open_subjects(subject)
    if subject == "work_item" and where is not None:
        query = query.where(where)
    for rows in _chunks(session, query):
        for (subject_id,) in rows:
            yield Candidate(subject, subject_id, f"schedule:{slot}:{subject}:{subject_id}")


# --- time conditions ------------------------------------------------------------------------


def working_days_before(day: date, days: int) -> date:
    current, remaining = day, days
    while remaining > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def timed(
    session: Session,
    subject: str,
    trigger: Trigger,
    now: datetime,
    where: ColumnElement[bool] | None = None,
) -> Iterator[Candidate]:
    """The subjects the time condition holds for now, with a key that
    changes when their due date (or wait) does, so a rescheduled item can
    fire again (work items: those ``where`` holds for too, in the same
    query)."""
    if subject == "approval_request":
        assert trigger.overdue_hours is not None
        cutoff = now - timedelta(hours=trigger.overdue_hours)
        stages: Select[*tuple[Any, ...]] = (
            select(ApprovalStage.request_id, ApprovalStage.id, ApprovalStage.due_at)
            .where(ApprovalStage.state == StageState.PENDING.value, ApprovalStage.due_at <= cutoff)
            .order_by(ApprovalStage.due_at, ApprovalStage.id)
        )
        for rows in _chunks(session, stages):
            for request_id, stage_id, due_at in rows:
                key = f"overdue:{stage_id}:{due_at:%Y-%m-%dT%H:%M}"
                yield Candidate("approval_request", request_id, key)
        return
    today = now.astimezone().date()
    query: Select[*tuple[Any, ...]]
    if trigger.overdue_hours is not None:
        # a step is due by the end of its due day
        last_due = (now - timedelta(hours=trigger.overdue_hours)).astimezone().date() - timedelta(
            days=1
        )
        query = (
            select(WorkItem.id, WorkItem.due_on)
            .where(WorkItem.status.in_(OPEN), WorkItem.due_on <= last_due)
            .order_by(WorkItem.status, WorkItem.due_on, WorkItem.id)
        )
        prefix = "overdue"
    elif trigger.due_within_days is not None:
        query = (
            select(WorkItem.id, WorkItem.due_on)
            .where(
                WorkItem.status.in_(OPEN),
                and_(
                    WorkItem.due_on >= today,
                    WorkItem.due_on <= today + timedelta(days=trigger.due_within_days),
                ),
            )
            .order_by(WorkItem.status, WorkItem.due_on, WorkItem.id)
        )
        prefix = "due"
    else:
        assert trigger.waiting_working_days is not None
        since = working_days_before(today, trigger.waiting_working_days)
        cutoff = datetime.combine(since, time(), tzinfo=now.astimezone().tzinfo)
        query = (
            select(WorkItem.id, WorkItem.updated_at)
            .where(WorkItem.status == WorkStatus.READY.value, WorkItem.updated_at < cutoff)
            .order_by(WorkItem.status, WorkItem.due_on, WorkItem.id)
        )
        prefix = "waiting"
    if where is not None:
        query = query.where(where)
    for rows in _chunks(session, query):
        for item_id, when in rows:
            stamp = when.isoformat() if isinstance(when, date) else str(when)
            yield Candidate("work_item", item_id, f"{prefix}:{item_id}:{stamp}")


def _chunks(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[list[Any]]:
    """The query's rows, a chunk at a time (the caller may stop early)."""
    result = session.execute(query.execution_options(yield_per=CHUNK))
    for partition in result.partitions(CHUNK):
        yield list(partition)
