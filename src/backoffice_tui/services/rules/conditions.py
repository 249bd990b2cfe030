"""The fields a rule's conditions test, read from the subject, and the test.

A work item offers ``team``, ``service``, ``step``, ``status``,
``priority``, ``assignee``, ``due_on``, ``title``, ``customer``,
``segment``, ``order``, ``automatic`` (its template step is marked
automatic), ``attributes.<key>`` (the item's) and ``order.<key>`` (the
order's attributes). An approval request offers ``title``, ``state``,
``stage``, ``subject_kind``, ``customer`` and ``segment``, plus the fields
of its subject (a work item's, or an application's ``kind`` and
``fields.<name>``). A handoff offers ``from_team``, ``to_team`` and
``state`` plus its work item's fields; an application ``kind``, ``state``,
``applicant`` and ``fields.<name>``.
"""

import tomllib
from typing import Any

from sqlalchemy.orm import Session

from backoffice_tui.domain.rule_files import Condition, holds
from backoffice_tui.store.models import (
    Application,
    ApplicationKind,
    ApprovalRequest,
    Customer,
    Handoff,
    Team,
    User,
    WorkItem,
)

Fields = dict[str, Any]


def _login(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.login if user else None


def step_is_automatic(item: WorkItem) -> bool:
    """Whether the item's template step says ``automatic = true``."""
    try:
        data = tomllib.loads(item.step.template.source_toml)
    except tomllib.TOMLDecodeError:
        return False
    for step in data.get("steps", []):
        if isinstance(step, dict) and step.get("key") == item.step.key:
            return step.get("automatic") is True
    return False


def _customer_fields(session: Session, customer_id: int | None) -> Fields:
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        return {}
    return {"customer": customer.code, "segment": customer.segment}


def work_item_fields(session: Session, item: WorkItem) -> Fields:
    line = item.order_line
    order = line.order
    fields: Fields = {
        "id": item.id,
        "team": item.team.code,
        "service": line.service.code,
        "step": item.step.key,
        "status": item.status,
        "priority": item.priority,
        "assignee": _login(session, item.assignee_id),
        "due_on": item.due_on.isoformat(),
        "title": item.title or item.step.name,
        "order": order.code,
        "order_priority": order.priority,
        "automatic": step_is_automatic(item),
        **_customer_fields(session, item.customer_id),
    }
    for key, value in (item.attributes or {}).items():
        fields[f"attributes.{key}"] = value
    for key, value in (order.attributes or {}).items():
        fields[f"order.{key}"] = value
    return fields


def application_fields(session: Session, application: Application) -> Fields:
    kind = session.get(ApplicationKind, application.kind_id)
    fields: Fields = {
        "id": application.id,
        "kind": kind.code if kind else "",
        "state": application.state,
        "applicant": _login(session, application.applicant_id),
    }
    for key, value in (application.fields or {}).items():
        fields[f"fields.{key}"] = value
    return fields


def request_fields(session: Session, request: ApprovalRequest) -> Fields:
    fields: Fields = {}
    if request.subject_kind == "work_item":
        item = session.get(WorkItem, request.subject_id)
        if item is not None:
            fields |= work_item_fields(session, item)
    elif request.subject_kind == "application":
        application = session.get(Application, request.subject_id)
        if application is not None:
            fields |= application_fields(session, application)
    fields |= {
        "id": request.id,
        "title": request.title,
        "state": request.state,
        "stage": request.current_stage,
        "subject_kind": request.subject_kind,
        **_customer_fields(session, request.customer_id),
    }
    return fields


def handoff_fields(session: Session, handoff: Handoff) -> Fields:
    fields: Fields = {}
    item = session.get(WorkItem, handoff.work_item_id)
    if item is not None:
        fields |= work_item_fields(session, item)
    from_team, to_team = (
        session.get(Team, handoff.from_team_id),
        session.get(Team, handoff.to_team_id),
    )
    fields |= {
        "id": handoff.id,
        "from_team": from_team.code if from_team else "",
        "to_team": to_team.code if to_team else "",
        "state": handoff.state,
    }
    return fields


MODELS: dict[str, type[WorkItem] | type[ApprovalRequest] | type[Handoff] | type[Application]] = {
    "work_item": WorkItem,
    "approval_request": ApprovalRequest,
    "handoff": Handoff,
    "application": Application,
}


def subject_fields(session: Session, entity: str, entity_id: int) -> Fields | None:
    """The fields of one subject, or None when there is no such record."""
    model = MODELS.get(entity)
    if model is None:
        return None
    row = session.get(model, entity_id)
    if row is None:
        return None
    if isinstance(row, WorkItem):
        return work_item_fields(session, row)
    if isinstance(row, ApprovalRequest):
        return request_fields(session, row)
    if isinstance(row, Handoff):
        return handoff_fields(session, row)
    assert isinstance(row, Application)
    return application_fields(session, row)


def matches(condition: Condition | None, fields: Fields) -> bool:
    return holds(condition, fields)
