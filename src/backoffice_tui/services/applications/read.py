"""Reading applications: the applicant's own list, and one application whole
(its fields, its route with each stage's state, and what happened to it)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from backoffice_tui.domain.application_kinds import field_text
from backoffice_tui.domain.approvals import (
    PAST_TENSE,
    REQUESTER,
    WITH_REQUESTER,
    Action,
    RequestState,
)
from backoffice_tui.domain.errors import NotFound, PermissionDenied
from backoffice_tui.services.applications.kinds import spec_of
from backoffice_tui.services.approvals.authority import (
    Standing,
    authority_of,
    current_stage_of,
    deciders,
)
from backoffice_tui.services.approvals.read import RequestDetail, request_detail
from backoffice_tui.services.context import Actor
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    Application,
    ApplicationKind,
    ApprovalDecision,
    ApprovalRequest,
    Event,
    User,
)

# How an application's history words the request's actions, where it
# differs from the approvals' own words.
_WORDS = {Action.SUBMIT: "filed it", Action.REAPPLY: "resubmitted"}

# What the applicant must do with an application that came back to them.
YOUR_TURN = "you: correct and resubmit, or withdraw"


@dataclass(frozen=True)
class ApplicationRow:
    id: int
    version: int
    kind_code: str
    kind_name: str
    state: str
    stage: int | None  # the current stage while pending
    stage_name: str
    stages: int
    waiting_on: str  # "Line manager: mori", YOUR_TURN, or "" once decided
    filed_at: datetime
    changed_at: datetime  # the last decision (or the filing)


def _waiting_on(
    session: Session, request: ApprovalRequest, applicant: str, reader: str, now: datetime
) -> str:
    if request.state in WITH_REQUESTER:
        return YOUR_TURN if reader == applicant else f"{applicant}: correct and resubmit"
    if request.state != RequestState.PENDING:
        return ""
    standing = Standing(session, request)
    who = deciders(session, standing, now.astimezone().date())
    return f"{standing.stage.name}: {', '.join(who) or 'nobody can decide (ask an admin)'}"


def my_applications(
    db: Database, actor: Actor, now: datetime | None = None, limit: int = 500
) -> list[ApplicationRow]:
    """The operator's latest ``limit`` applications: those back with them
    first, then those waiting, then the decided ones; newest first within each."""
    now = now or utc_now()
    with db.read() as session:
        last_decision = (
            select(func.max(ApprovalDecision.at))
            .where(ApprovalDecision.request_id == ApprovalRequest.id)
            .scalar_subquery()
        )
        rows = session.execute(
            select(
                Application,
                ApplicationKind.code,
                ApplicationKind.name,
                ApprovalRequest,
                last_decision,
            )
            .join(ApplicationKind, ApplicationKind.id == Application.kind_id)
            .join(ApprovalRequest, ApprovalRequest.id == Application.approval_request_id)
            .where(Application.applicant_id == actor.user_id)
            .options(selectinload(ApprovalRequest.stages))
            .order_by(Application.created_at.desc(), Application.id.desc())
            .limit(limit)
        ).all()
        result = []
        for application, code, name, request, changed_at in rows:
            stage = current_stage_of(request)
            pending = request.state == RequestState.PENDING
            result.append(
                ApplicationRow(
                    id=application.id,
                    version=application.version,
                    kind_code=code,
                    kind_name=name,
                    state=application.state,
                    stage=stage.position if pending else None,
                    stage_name=stage.name if pending else "",
                    stages=len(request.stages),
                    waiting_on=_waiting_on(session, request, actor.login, actor.login, now),
                    filed_at=application.created_at,
                    changed_at=changed_at or application.created_at,
                )
            )
    order = {state: n for n, state in enumerate([*sorted(WITH_REQUESTER), RequestState.PENDING])}
    return sorted(result, key=lambda row: order.get(RequestState(row.state), len(order)))


# --- one application -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldValue:
    key: str
    label: str
    type: str
    required: bool
    value: str  # as typed into the form; "" when left empty
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    what: str  # "mori approved at 'Line manager'"
    comment: str = ""


@dataclass(frozen=True)
class ApplicationDetail:
    id: int
    version: int
    kind_code: str
    kind_name: str
    kind_version: int
    applicant: str
    applicant_name: str
    state: str
    filed_at: datetime
    waiting_on: str
    fields: tuple[FieldValue, ...]
    request: RequestDetail
    history: tuple[HistoryLine, ...]
    can: frozenset[str]  # of "resubmit", "withdraw": what the reader may do

    def value(self, key: str) -> str:
        return next(f.value for f in self.fields if f.key == key)


def _may_read(session: Session, actor: Actor, request: ApprovalRequest, now: datetime) -> bool:
    """Admins, and the applicant (the request's requester) and anyone on the
    route, delegates included."""
    return actor.is_admin or authority_of(session, request, actor, now.astimezone().date()).involved


def _corrections(session: Session, application_id: int) -> list[HistoryLine]:
    rows = session.execute(
        select(Event.at, Event.actor_name, Event.payload)
        .where(
            Event.entity == "application",
            Event.entity_id == application_id,
            Event.kind == "application.corrected",
        )
        .order_by(Event.id)
    )
    return [
        HistoryLine(at, actor, f"{actor} corrected the fields", ", ".join(payload["changed"]))
        if payload.get("changed")
        else HistoryLine(at, actor, f"{actor} resubmitted unchanged")
        for at, actor, payload in rows
    ]


def _history(request: RequestDetail, corrections: list[HistoryLine]) -> tuple[HistoryLine, ...]:
    """Corrections and the request's decisions, oldest first (a correction is
    saved just before its re-apply, which may carry the same time)."""
    ordered = [(line.at, 0, line) for line in corrections]
    for decision in request.decisions:
        action = Action(decision.action)
        what = f"{decision.actor} {_WORDS.get(action) or PAST_TENSE[action]}"
        if decision.on_behalf_of:
            what += f" for {decision.on_behalf_of}"
        if decision.stage_name and decision.action not in (Action.SUBMIT, Action.REAPPLY):
            what += f" at '{decision.stage_name}'"
        if decision.target:
            what += (
                " to the applicant" if decision.target == REQUESTER else f" to {decision.target}"
            )
        line = HistoryLine(decision.at, decision.actor, what, decision.comment)
        ordered.append((decision.at, 1, line))
    return tuple(line for _, _, line in sorted(ordered, key=lambda entry: entry[:2]))


def application_detail(
    db: Database, actor: Actor, application_id: int, now: datetime | None = None
) -> ApplicationDetail:
    now = now or utc_now()
    with db.read() as session:
        application = session.get(Application, application_id)
        if application is None:
            raise NotFound(f"no application {application_id}")
        request_row = (
            session.get(ApprovalRequest, application.approval_request_id)
            if application.approval_request_id is not None
            else None
        )
        if request_row is None:
            raise NotFound(f"application {application_id} has no approval request")
        if not _may_read(session, actor, request_row, now):
            raise PermissionDenied(
                f"{actor.login} may not read application {application_id}: only its applicant, "
                "the approvers on its route and admins can"
            )
        kind = session.get(ApplicationKind, application.kind_id)
        applicant = session.get(User, application.applicant_id)
        assert kind is not None and applicant is not None
        spec = spec_of(kind)
        waiting_on = _waiting_on(session, request_row, applicant.login, actor.login, now)
        corrections = _corrections(session, application.id)
        fields = tuple(
            FieldValue(
                key=f.key,
                label=f.label,
                type=f.type,
                required=f.required,
                value=field_text(application.fields.get(f.key)),
                choices=f.choices,
            )
            for f in spec.fields
        )
        snapshot = (application.version, application.state, application.created_at)
        request_id = request_row.id
    request = request_detail(db, actor, request_id, now)
    # the applicant is the request's requester: what they may do to it is
    # what they may do to the application
    can = {
        doing
        for doing, action in (("resubmit", Action.REAPPLY), ("withdraw", Action.WITHDRAW))
        if action.value in request.can
    }
    version, state, filed_at = snapshot
    return ApplicationDetail(
        id=application.id,
        version=version,
        kind_code=kind.code,
        kind_name=kind.name,
        kind_version=kind.version,
        applicant=applicant.login,
        applicant_name=applicant.name,
        state=state,
        filed_at=filed_at,
        waiting_on=waiting_on,
        fields=fields,
        request=request,
        history=_history(request, corrections),
        can=frozenset(can),
    )
