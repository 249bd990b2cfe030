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

Over many work items (schedules and time conditions) the tests that a
column decides are put into the candidate query (:func:`pushdown`): a test
on a code (team, service, step, customer, segment, assignee) is tried in
Python on that small table's distinct values, and the query keeps the
items whose key points at a value that passed, so it gives exactly the
items the test in Python would. The rest (attributes, titles, dates) is
tested in Python on fields read a chunk of items at a time
(:func:`work_item_fields_many`).
"""

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, not_, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, joinedload

from backoffice_tui.domain.rule_files import Condition, holds
from backoffice_tui.domain.statuses import WorkStatus
from backoffice_tui.store.models import (
    Application,
    ApplicationKind,
    ApprovalRequest,
    Customer,
    Handoff,
    Order,
    OrderLine,
    ProcessTemplate,
    Service,
    Team,
    TemplateStep,
    User,
    WorkItem,
)

Fields = dict[str, Any]


def _login(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.login if user else None


@functools.lru_cache(maxsize=128)
def automatic_steps(source_toml: str) -> frozenset[str]:
    """The keys of the steps a template's text marks ``automatic = true``
    (a template version never changes, so its text is parsed once)."""
    try:
        data = tomllib.loads(source_toml)
    except tomllib.TOMLDecodeError:
        return frozenset()
    found: set[str] = set()
    seen: set[str] = set()
    for step in data.get("steps", []):
        key = step.get("key") if isinstance(step, dict) else None
        if not isinstance(key, str) or key in seen:
            continue
        seen.add(key)
        if step.get("automatic") is True:
            found.add(key)
    return frozenset(found)


def step_is_automatic(item: WorkItem) -> bool:
    """Whether the item's template step says ``automatic = true``."""
    return item.step.key in automatic_steps(item.step.template.source_toml)


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


_ONE_ITEM = (
    select(WorkItem, Customer)
    .outerjoin(Customer, Customer.id == WorkItem.customer_id)
    .where(WorkItem.id == bindparam("item"))
    .options(
        joinedload(WorkItem.team),
        joinedload(WorkItem.assignee),
        joinedload(WorkItem.step).joinedload(TemplateStep.template),
        joinedload(WorkItem.order_line).joinedload(OrderLine.order),
        joinedload(WorkItem.order_line).joinedload(OrderLine.service),
    )
    .execution_options(populate_existing=True)
)


def current_fields(
    session: Session, entity: str, entity_id: int, keep: list[object] | None = None
) -> Fields | None:
    """The fields of one subject read afresh, as :func:`subject_fields`
    gives them; a work item is read in one query with its order line,
    order, service, step, template, team, assignee and customer, which stay
    in the session for what acts on the item next as long as ``keep``
    holds them (a session keeps its records only while they are in use)."""
    if entity != "work_item":
        return subject_fields(session, entity, entity_id)
    row = session.execute(_ONE_ITEM, {"item": entity_id}).first()
    if row is None:
        return None
    if keep is not None:
        keep.extend(row)
    return work_item_fields(session, row[0])


def matches(condition: Condition | None, fields: Fields) -> bool:
    return holds(condition, fields)


# --- many work items at once ----------------------------------------------------------------


def work_item_fields_many(session: Session, item_ids: Iterable[int]) -> dict[int, Fields]:
    """The fields of these work items (as :func:`work_item_fields` gives
    them), read in one query."""
    ids = list(item_ids)
    if not ids:
        return {}
    assignee = aliased(User)
    rows = session.execute(
        select(
            WorkItem.id,
            Team.code,
            Service.code,
            TemplateStep.key,
            TemplateStep.name,
            ProcessTemplate.source_toml,
            WorkItem.status,
            WorkItem.priority,
            assignee.login,
            WorkItem.due_on,
            WorkItem.title,
            Order.code,
            Order.priority,
            Customer.code,
            Customer.segment,
            WorkItem.attributes,
            Order.attributes,
        )
        .join(Team, Team.id == WorkItem.team_id)
        .join(OrderLine, OrderLine.id == WorkItem.order_line_id)
        .join(Service, Service.id == OrderLine.service_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(TemplateStep, TemplateStep.id == WorkItem.step_id)
        .join(ProcessTemplate, ProcessTemplate.id == TemplateStep.template_id)
        .outerjoin(assignee, assignee.id == WorkItem.assignee_id)
        .outerjoin(Customer, Customer.id == WorkItem.customer_id)
        .where(WorkItem.id.in_(ids))
    )
    found: dict[int, Fields] = {}
    for (
        item_id,
        team,
        service,
        step_key,
        step_name,
        source,
        status,
        priority,
        login,
        due_on,
        title,
        order_code,
        order_priority,
        customer,
        segment,
        attributes,
        order_attributes,
    ) in rows:
        fields: Fields = {
            "id": item_id,
            "team": team,
            "service": service,
            "step": step_key,
            "status": status,
            "priority": priority,
            "assignee": login,
            "due_on": due_on.isoformat(),
            "title": title or step_name,
            "order": order_code,
            "order_priority": order_priority,
            "automatic": step_key in automatic_steps(source),
        }
        if customer is not None:
            fields |= {"customer": customer, "segment": segment}
        for key, value in (attributes or {}).items():
            fields[f"attributes.{key}"] = value
        for key, value in (order_attributes or {}).items():
            fields[f"order.{key}"] = value
        found[item_id] = fields
    return found


MANY_AT_ONCE = 1000  # ids in one query


def fields_many(session: Session, entity: str, ids: Iterable[int]) -> dict[int, Fields]:
    """The fields of these subjects of one kind, by id (those that exist):
    work items in one query a thousand at a time, the other subjects one at
    a time."""
    wanted = list(dict.fromkeys(ids))
    found: dict[int, Fields] = {}
    if entity == "work_item":
        for start in range(0, len(wanted), MANY_AT_ONCE):
            found |= work_item_fields_many(session, wanted[start : start + MANY_AT_ONCE])
        return found
    for subject_id in wanted:
        fields = subject_fields(session, entity, subject_id)
        if fields is not None:
            found[subject_id] = fields
    return found


# --- conditions as SQL ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pushed:
    """A condition put into a work item query: ``where`` holds for every
    item the condition holds for; with ``exact`` for those only, so the
    condition need not be tested again in Python."""

    where: ColumnElement[bool]
    exact: bool


MAX_VALUES = 5000  # a test passing more (and failing more) values stays in Python
WHOLE_NUMBER = re.compile(r"0|-?[1-9][0-9]*")
NUMBER_TESTS = {"below": "<", "above": ">", "at_least": ">=", "at_most": "<="}


def pushdown(session: Session, condition: Condition | None) -> Pushed:
    """The work item query filter for ``condition`` (see the module's
    docstring); parts it cannot express are left for Python."""
    if condition is None:
        return Pushed(true(), exact=True)
    found = _push(session, condition)
    if found is None:
        return Pushed(true(), exact=False)
    return found


def _push(session: Session, condition: Condition) -> Pushed | None:
    """The filter for ``condition`` that never yields NULL, or None when it
    cannot be expressed even loosely."""
    if condition.op == "all":
        parts = [_push(session, part) for part in condition.parts]
        known = [part for part in parts if part is not None]
        if not known:
            return None
        exact = len(known) == len(parts) and all(part.exact for part in known)
        return Pushed(and_(*(part.where for part in known)), exact)
    if condition.op == "any":
        anyof = [_push(session, part) for part in condition.parts]
        if any(part is None for part in anyof):
            return None
        return Pushed(
            or_(*(part.where for part in anyof if part is not None)),
            all(part is not None and part.exact for part in anyof),
        )
    if condition.op == "not":
        inner = _push(session, condition.parts[0])
        if inner is None or not inner.exact:
            return None
        return Pushed(not_(inner.where), exact=True)
    where = _leaf(session, condition)
    return Pushed(where, exact=True) if where is not None else None


def _passing(condition: Condition, values: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """The values (of the condition's field) the test holds for, and those
    it does not."""
    passed: list[Any] = []
    failed: list[Any] = []
    for value in values:
        fields = {} if value is None else {condition.field: value}
        (passed if holds(condition, fields) else failed).append(value)
    return passed, failed


def _by_lookup(
    session: Session,
    condition: Condition,
    key: InstrumentedAttribute[Any],
    table_id: InstrumentedAttribute[int],
    column: InstrumentedAttribute[Any],
) -> ColumnElement[bool] | None:
    """The filter on ``key`` (a work item column pointing at ``table_id``)
    for a test on that table's ``column``."""
    values = list(session.scalars(select(column).where(column.is_not(None)).distinct()))
    passed, failed = _passing(condition, values)
    if min(len(passed), len(failed)) > MAX_VALUES:
        return None
    if len(passed) <= len(failed):
        among = select(table_id).where(column.in_(passed)) if passed else None
    else:
        among = select(table_id).where(column.not_in(failed)) if failed else select(table_id)
    pointing = key.in_(among) if among is not None else false()
    if holds(condition, {}):  # a missing value passes (``not_equals``)
        return or_(key.is_(None), pointing)
    return and_(key.is_not(None), pointing)


def _leaf(session: Session, condition: Condition) -> ColumnElement[bool] | None:
    field = condition.field
    if field == "team":
        return _by_lookup(session, condition, WorkItem.team_id, Team.id, Team.code)
    if field == "step":
        return _by_lookup(session, condition, WorkItem.step_id, TemplateStep.id, TemplateStep.key)
    if field == "customer":
        return _by_lookup(session, condition, WorkItem.customer_id, Customer.id, Customer.code)
    if field == "segment":
        return _by_lookup(session, condition, WorkItem.customer_id, Customer.id, Customer.segment)
    if field == "assignee":
        return _by_lookup(session, condition, WorkItem.assignee_id, User.id, User.login)
    if field == "service":
        lines = _by_lookup(session, condition, OrderLine.service_id, Service.id, Service.code)
        if lines is None:
            return None
        return WorkItem.order_line_id.in_(select(OrderLine.id).where(lines))
    if field == "automatic":
        steps = session.execute(
            select(TemplateStep.id, TemplateStep.key, ProcessTemplate.source_toml).join(
                ProcessTemplate, ProcessTemplate.id == TemplateStep.template_id
            )
        ).all()
        passing = [
            step_id
            for step_id, key, source in steps
            if holds(condition, {"automatic": key in automatic_steps(source)})
        ]
        return WorkItem.step_id.in_(passing) if passing else false()
    if field == "status":
        passed, _failed = _passing(condition, [status.value for status in WorkStatus])
        return WorkItem.status.in_(passed) if passed else false()
    if field == "priority":
        return _priority(condition)
    return None


def _priority(condition: Condition) -> ColumnElement[bool] | None:
    """A test on the (whole number, never missing) priority, as the Python
    test reads it: ``equals "2"`` compares the text of the number."""
    op, value = condition.op, condition.value
    if op in NUMBER_TESTS:
        limit = float(value)
        return {
            "<": WorkItem.priority < limit,
            ">": WorkItem.priority > limit,
            ">=": WorkItem.priority >= limit,
            "<=": WorkItem.priority <= limit,
        }[NUMBER_TESTS[op]]
    if op in ("equals", "not_equals"):
        same = _priority_is(value)
        if same is None:
            return None
        return same if op == "equals" else not_(same)
    if op == "in":
        options = [_priority_is(option) for option in value]
        if any(option is None for option in options):
            return None
        return or_(false(), *(option for option in options if option is not None))
    return None


def _priority_is(value: Any) -> ColumnElement[bool] | None:
    if isinstance(value, str):
        return WorkItem.priority == int(value) if WHOLE_NUMBER.fullmatch(value) else false()
    if isinstance(value, bool | int):
        return WorkItem.priority == int(value)
    if isinstance(value, float):
        return WorkItem.priority == value if value.is_integer() else false()
    return None
