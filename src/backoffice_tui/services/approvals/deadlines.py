"""Approval deadlines: remind the approvers of a stage that is past its due
time (see docs/ARCHITECTURE.md, 'Approvals').

A reminder is an event by ``rule:remind-approvers`` on the request, with the
customer set so that it shows on the customer's timeline; the stage's
``reminded_at`` keeps the same stage from being reminded again until
``every_hours`` have passed (or it becomes current anew, which clears it).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import RequestState, StageState
from backoffice_tui.services.approvals.actions import record_request_event
from backoffice_tui.services.approvals.authority import Standing, deciders
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import ApprovalRequest, ApprovalStage

RULE = "rule:remind-approvers"
EVENT_KIND = "approval.reminder"
DEFAULT_EVERY_HOURS = 24


@dataclass(frozen=True)
class Reminder:
    request_id: int
    title: str
    stage: int
    stage_name: str
    approvers: tuple[str, ...]  # logins who may decide now, delegates included
    due_at: datetime
    overdue_hours: float


def overdue_text(overdue: timedelta) -> str:
    """``3 d 4 h``, ``5 h``, ``40 min``: how long a stage is past due."""
    minutes = int(overdue.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def _claim(session: Session, stage_id: int, now: datetime, cutoff: datetime) -> bool:
    """Mark the stage reminded unless someone did since ``cutoff`` (a
    conditional update, so two runs at once remind a stage once)."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(ApprovalStage)
            .where(
                ApprovalStage.id == stage_id,
                ApprovalStage.state == StageState.PENDING.value,
                _not_reminded(cutoff),
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return bool(result.rowcount == 1)


def _not_reminded(cutoff: datetime) -> ColumnElement[bool]:
    """Not reminded since the stage became current, nor since ``cutoff``."""
    return or_(
        ApprovalStage.reminded_at.is_(None),
        ApprovalStage.reminded_at < ApprovalStage.entered_at,
        ApprovalStage.reminded_at <= cutoff,
    )


def remind_overdue(
    db: Database, now: datetime, every_hours: int = DEFAULT_EVERY_HOURS
) -> list[Reminder]:
    """Remind the approvers of every current stage past its due time that
    was not reminded since it became current, nor within ``every_hours``."""
    cutoff = now - timedelta(hours=every_hours)
    reminders = []
    with db.write() as session:
        due = session.execute(
            select(ApprovalStage.id, ApprovalRequest.id)
            .join(
                ApprovalRequest,
                and_(
                    ApprovalRequest.id == ApprovalStage.request_id,
                    ApprovalRequest.current_stage == ApprovalStage.position,
                ),
            )
            .where(
                ApprovalRequest.state == RequestState.PENDING.value,
                ApprovalStage.state == StageState.PENDING.value,
                ApprovalStage.due_at.is_not(None),
                ApprovalStage.due_at < now,
                _not_reminded(cutoff),
            )
            .order_by(ApprovalStage.due_at, ApprovalStage.id)
        ).all()
        for stage_id, request_id in due:
            if not _claim(session, stage_id, now, cutoff):
                continue
            request = session.get(ApprovalRequest, request_id)
            stage = session.get(ApprovalStage, stage_id)
            assert request is not None and stage is not None and stage.due_at is not None
            reminders.append(_remind(session, request, stage, now))
    return reminders


def _remind(
    session: Session, request: ApprovalRequest, stage: ApprovalStage, now: datetime
) -> Reminder:
    assert stage.due_at is not None
    approvers = deciders(session, Standing(session, request, stage), now.astimezone().date())
    overdue = now - stage.due_at
    whom = ", ".join(approvers) if approvers else "nobody (no active approver can decide)"
    record_request_event(
        session,
        RULE,
        request,
        now,
        EVENT_KIND,
        f"reminded {whom}: '{request.title}' is {overdue_text(overdue)} overdue at stage "
        f"'{stage.name}'",
        approvers=list(approvers),
        stage=stage.position,
        stage_name=stage.name,
        due_at=stage.due_at.isoformat(),
        overdue_hours=round(overdue.total_seconds() / 3600, 1),
    )
    return Reminder(
        request_id=request.id,
        title=request.title,
        stage=stage.position,
        stage_name=stage.name,
        approvers=approvers,
        due_at=stage.due_at,
        overdue_hours=round(overdue.total_seconds() / 3600, 1),
    )
