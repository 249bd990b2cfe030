"""Demo applications: the kinds of ``sample_data/application_kinds/`` and the
applications of ``sample_data/applications.toml``, replayed through the real
services with the demo's simulated clock and its people."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from backoffice_tui.demo.handoffs import DemoClock
from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.resources import sample_data_dir
from backoffice_tui.services.applications import actions as applications
from backoffice_tui.services.applications.kinds import load_kinds_in
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.approvals.actions import current_stage_of
from backoffice_tui.services.approvals.approvers import logins_for
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.work.templates import read_toml
from backoffice_tui.store.base import utc_now
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import Application, ApprovalRequest


@dataclass(frozen=True)
class ApplicationPlan:
    kind: str
    applicant: str
    filed_days_ago: int
    state: RequestState
    fields: dict[str, str]
    stage: int = 1  # the stage it waits at, or was decided or withdrawn at
    comment: str = ""

    @property
    def where(self) -> str:
        return f"applications.toml ({self.applicant}, {self.kind})"


def read_plans(data: Mapping[str, Any]) -> list[ApplicationPlan]:
    plans = []
    for entry in data.get("applications", []):
        try:
            state = RequestState(str(entry.get("state", "pending")))
        except ValueError:
            raise InvalidInput(f"applications.toml: unknown state {entry.get('state')!r}") from None
        plan = ApplicationPlan(
            kind=str(entry["kind"]),
            applicant=str(entry["applicant"]),
            filed_days_ago=int(entry.get("filed_days_ago", 0)),
            state=state,
            fields={str(k): str(v) for k, v in entry.get("fields", {}).items()},
            stage=int(entry.get("stage", 1)),
            comment=str(entry.get("comment", "")),
        )
        if state in (RequestState.REJECTED, RequestState.SENT_BACK) and not plan.comment:
            raise InvalidInput(f"{plan.where}: a {state.value} application needs a comment")
        plans.append(plan)
    return plans


class _Clock:
    """Settable, and never later than a few minutes ago (08:00 on a pinned day)."""

    def __init__(self, today: date | None) -> None:
        self.today = today
        self.at = utc_now()

    def __call__(self) -> datetime:
        return self.at

    def move_to(self, moment: datetime) -> None:
        if self.today is not None:
            latest = datetime.combine(self.today, time(8), tzinfo=UTC)
        else:
            latest = utc_now() - timedelta(minutes=5)
        self.at = min(moment, latest)


def _decider(db: Database, actors: Mapping[str, Actor], request_id: int, when: datetime) -> Actor:
    """The first demo user who may decide the request's current stage."""
    with db.read() as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None
        stage = current_stage_of(request)
        by_login = {actor.login: actor for actor in actors.values()}
        for login in logins_for(session, list(stage.approvers), when.date()):
            actor = by_login.get(login)
            if actor is not None and actor.user_id != request.requester_id:
                return actor
    raise InvalidInput(f"demo: nobody can decide stage '{stage.name}' of approval {request_id}")


def _request_of(db: Database, application_id: int) -> int:
    with db.read() as session:
        application = session.get(Application, application_id)
        assert application is not None and application.approval_request_id is not None
        return application.approval_request_id


def _position(db: Database, request_id: int) -> tuple[RequestState, int]:
    """The request's state and current stage."""
    with db.read() as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None
        return RequestState(request.state), request.current_stage


def replay_application(
    db: Database, clock: DemoClock, actors: Mapping[str, Actor], plan: ApplicationPlan, day: date
) -> int:
    """File one application on ``day`` and take it as far as ``plan`` says:
    each stage before ``plan.stage`` approved a few hours apart by the first
    user who may, then the plan's decision (or withdrawal) there."""
    if plan.applicant not in actors:
        raise InvalidInput(f"{plan.where}: no demo user {plan.applicant!r}")
    applicant = Context(db, actors[plan.applicant], clock)
    clock.move_to(datetime.combine(day, time(0, 30), tzinfo=UTC))
    application_id = applications.file_application(applicant, plan.kind, plan.fields)
    request_id = _request_of(db, application_id)
    target = None if plan.state == RequestState.APPROVED else plan.stage
    state, stage = _position(db, request_id)
    while target is None or stage < target:
        clock.move_to(clock.at + timedelta(hours=3))
        decider = _decider(db, actors, request_id, clock.at)
        approvals.approve(Context(db, decider, clock), request_id)
        state, stage = _position(db, request_id)
        if state == RequestState.APPROVED:
            if target is not None:
                raise InvalidInput(f"{plan.where}: the route has no stage {plan.stage}")
            return application_id
    clock.move_to(clock.at + timedelta(hours=2))
    if plan.state in (RequestState.REJECTED, RequestState.SENT_BACK):
        deciding = Context(db, _decider(db, actors, request_id, clock.at), clock)
        if plan.state == RequestState.REJECTED:
            approvals.reject(deciding, request_id, plan.comment)
        else:
            approvals.send_back(deciding, request_id, plan.comment)
    elif plan.state == RequestState.WITHDRAWN:
        applications.withdraw(applicant, application_id, plan.comment)
    elif plan.state == RequestState.PULLED_BACK:
        approvals.pull_back(applicant, request_id, plan.comment)
    return application_id


def load_demo_applications(
    db: Database,
    actors: Mapping[str, Actor],
    folder: Path | None = None,
    when: DemoClock | date | None = None,
) -> int:
    """Load the kinds and replay the applications of ``folder`` (the sample
    data by default); ``when`` is the demo's clock, or the pinned day.
    Returns how many applications were filed."""
    folder = folder or sample_data_dir()
    with db.write() as session:
        load_kinds_in(session, "demo", folder / "application_kinds")
    plans_file = folder / "applications.toml"
    if not plans_file.exists():
        return 0
    if when is None or isinstance(when, date):
        clock: DemoClock = _Clock(when)
        today = when or date.today()
    else:
        clock, today = when, getattr(when, "today", None) or date.today()
    plans = sorted(read_plans(read_toml(plans_file)), key=lambda p: -p.filed_days_ago)
    for plan in plans:
        replay_application(db, clock, actors, plan, today - timedelta(days=plan.filed_days_ago))
    return len(plans)
