"""What a rule does: each action is a normal service call by the rule's own
user (``rule:<name>``), with the same permission checks and events as a
person's. Each returns a short record of what it did, kept on the firing.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import RequestState
from backoffice_tui.domain.errors import InvalidInput, InvalidTransition
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.domain.rule_files import ActionSpec
from backoffice_tui.domain.statuses import OPEN_STATUSES, WorkStatus
from backoffice_tui.domain.working_days import add_working_days
from backoffice_tui.services.applications.actions import file_application
from backoffice_tui.services.approvals import actions as approvals
from backoffice_tui.services.context import Context
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs.checklist import answer_item_by_key
from backoffice_tui.services.people.delegations import in_force_on
from backoffice_tui.services.rules.conditions import Fields, step_is_automatic
from backoffice_tui.services.work import items, lifecycle
from backoffice_tui.services.work.edits import edit_item
from backoffice_tui.services.work.orders import NewOrder, create_order
from backoffice_tui.store.models import (
    Application,
    ApprovalRequest,
    Customer,
    Delegation,
    Handoff,
    Order,
    RuleFiring,
    TeamMembership,
    User,
    WorkItem,
)

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def _pairs(rows: Any) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


@dataclass(frozen=True)
class Target:
    """The subject a firing acts on."""

    entity: str
    entity_id: int
    fields: Fields


@dataclass(frozen=True)
class Acting:
    ctx: Context
    rule_id: int
    rule_name: str
    target: Target

    @property
    def reason(self) -> str:
        return f"rule {self.rule_name}"


def render(text: str, fields: Fields) -> str:
    """``text`` with each ``{field}`` replaced by the subject's value."""
    return PLACEHOLDER.sub(lambda m: str(fields.get(m.group(1), "")), text)


# --- finding the records an action works on ---------------------------------------------


def work_item_of(session: Session, target: Target) -> WorkItem:
    item: WorkItem | None = None
    if target.entity == "work_item":
        item = session.get(WorkItem, target.entity_id)
    elif target.entity == "handoff":
        handoff = session.get(Handoff, target.entity_id)
        item = session.get(WorkItem, handoff.work_item_id) if handoff else None
    elif target.entity == "approval_request":
        request = session.get(ApprovalRequest, target.entity_id)
        if request is not None and request.subject_kind == "work_item":
            item = session.get(WorkItem, request.subject_id)
    if item is None:
        raise InvalidInput(f"{target.entity} {target.entity_id} has no work item to act on")
    return item


def request_of(session: Session, target: Target) -> ApprovalRequest:
    request: ApprovalRequest | None = None
    if target.entity == "approval_request":
        request = session.get(ApprovalRequest, target.entity_id)
    elif target.entity == "application":
        application = session.get(Application, target.entity_id)
        if application is not None and application.approval_request_id is not None:
            request = session.get(ApprovalRequest, application.approval_request_id)
    elif target.entity == "work_item":
        item = session.get(WorkItem, target.entity_id)
        request = lifecycle.latest_request(session, item) if item else None
    if request is None:
        raise InvalidInput(f"{target.entity} {target.entity_id} has no approval to act on")
    return request


# --- choosing an assignee --------------------------------------------------------------------


def candidates(session: Session, team_id: int, today: date) -> list[tuple[int, str]]:
    """Active people of the team who are not away: anyone with a delegation
    in force has handed their work on for now. Rules are never candidates."""
    away = select(Delegation.from_user_id).where(in_force_on(today))
    rows = session.execute(
        select(User.id, User.login)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(
            TeamMembership.team_id == team_id,
            User.active.is_(True),
            User.placeholder.is_(False),
            User.id.not_in(away),
        )
        .distinct()
        .order_by(User.login)
    ).all()
    return [(user_id, login) for user_id, login in rows]


def _round_robin(session: Session, acting: Acting, people: list[tuple[int, str]]) -> str:
    logins = [login for _, login in people]
    recent = session.scalars(
        select(RuleFiring.actions)
        .where(RuleFiring.rule_id == acting.rule_id, RuleFiring.outcome == "done")
        .order_by(RuleFiring.at.desc(), RuleFiring.id.desc())
        .limit(50)
    )
    for actions in recent:
        previous = next((a.get("assignee") for a in actions if a.get("assignee") in logins), None)
        if previous is not None:
            return logins[(logins.index(previous) + 1) % len(logins)]
    return logins[0]


def _least_loaded(session: Session, people: list[tuple[int, str]]) -> str:
    loads = _pairs(
        session.execute(
            select(WorkItem.assignee_id, func.count())
            .where(
                WorkItem.assignee_id.in_([user_id for user_id, _ in people]),
                WorkItem.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .group_by(WorkItem.assignee_id)
        )
    )
    return min(people, key=lambda person: (loads.get(person[0], 0), person[1]))[1]


def choose_assignee(session: Session, acting: Acting, item: WorkItem, to: str) -> str:
    if to not in ("round_robin", "least_loaded"):
        return to
    people = [
        person
        for person in candidates(session, item.team_id, acting.ctx.today())
        if person[0] != item.assignee_id
    ]
    if not people:
        raise InvalidInput(f"nobody in team {item.team.code} is here to take the work")
    if to == "round_robin":
        return _round_robin(session, acting, people)
    return _least_loaded(session, people)


# --- the actions ----------------------------------------------------------------------------

Done = dict[str, Any]


def _assign(acting: Acting, action: ActionSpec) -> Done:
    ctx = acting.ctx
    with ctx.db.read() as session:
        item = work_item_of(session, acting.target)
        login = choose_assignee(session, acting, item, str(action.option("to")))
        item_id = item.id
    items.assign(ctx, item_id, login)
    return {"do": "assign", "work_item": item_id, "assignee": login}


def _edit(acting: Acting, *, priority: int | None = None, due_on: date | None = None) -> Done:
    ctx = acting.ctx
    with ctx.db.read() as session:
        item = work_item_of(session, acting.target)
        item_id, old_priority, old_due = item.id, item.priority, item.due_on
    if priority == old_priority:
        priority = None
    if due_on == old_due:
        due_on = None
    if priority is None and due_on is None:
        return {"do": "edit", "work_item": item_id, "unchanged": True}
    edit_item(
        ctx, item_id, priority=priority, due_on=due_on, reason=acting.reason, expected_version=None
    )
    done: Done = {"do": "edit", "work_item": item_id}
    if priority is not None:
        done["priority"] = priority
    if due_on is not None:
        done["due_on"] = due_on.isoformat()
    return done


def _set_priority(acting: Acting, action: ActionSpec) -> Done:
    return _edit(acting, priority=int(action.option("priority")))


def _set_due(acting: Acting, action: ActionSpec) -> Done:
    due = add_working_days(acting.ctx.today(), int(action.option("in_days")))
    return _edit(acting, due_on=due)


def _leads(session: Session, team_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.login)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(
                TeamMembership.team_id == team_id,
                TeamMembership.role == "lead",
                User.active.is_(True),
            )
            .order_by(User.login)
        )
    )


def _escalate(acting: Acting, action: ActionSpec) -> Done:
    """Tell the team's leads (a note on the item, on its timeline), raise its
    priority by one, and hand it to a lead if the rule says so."""
    ctx = acting.ctx
    with ctx.db.read() as session:
        item = work_item_of(session, acting.target)
        item_id, priority, team_id = item.id, item.priority, item.team_id
        leads = _leads(session, team_id)
        assignee = item.assignee.login if item.assignee else None
    done: Done = {"do": "escalate", "work_item": item_id, "leads": leads}
    text = render(
        str(action.option("text", "escalated: {title} needs attention")), acting.target.fields
    )
    who = ", ".join(leads) or "no lead"
    items.add_note(ctx, item_id, f"Escalated to {who} by {acting.reason}: {text}")
    if action.option("raise_priority", True) and priority > 1:
        edit_item(ctx, item_id, priority=priority - 1, reason=acting.reason, expected_version=None)
        done["priority"] = priority - 1
    if action.option("reassign", False) and leads and assignee not in leads:
        items.assign(ctx, item_id, leads[0])
        done["assignee"] = leads[0]
    return done


def _note(acting: Acting, text: str, kind: str) -> Done:
    ctx = acting.ctx
    target = acting.target
    if target.entity in ("approval_request", "application"):
        with ctx.db.read() as session:
            request_id = request_of(session, target).id
        approvals.add_comment(ctx, request_id, text)
        return {"do": kind, "approval": request_id}
    if target.entity == "work_item":
        item_id = target.entity_id  # the note says if it is gone
    else:
        with ctx.db.read() as session:
            item_id = work_item_of(session, target).id
    items.add_note(ctx, item_id, text)
    return {"do": kind, "work_item": item_id}


def _comment(acting: Acting, action: ActionSpec) -> Done:
    return _note(acting, render(str(action.option("text")), acting.target.fields), "comment")


def _remind(acting: Acting, action: ActionSpec) -> Done:
    fields = acting.target.fields
    who = fields.get("assignee") or f"team {fields.get('team', '')}".strip()
    text = render(str(action.option("text")), fields)
    return _note(acting, f"Reminder for {who}: {text}", "remind")


def _approve(acting: Acting, action: ActionSpec) -> Done:
    ctx = acting.ctx
    with ctx.db.read() as session:
        request = request_of(session, acting.target)
        request_id, state, stage = request.id, request.state, request.current_stage
    if state != RequestState.PENDING:
        raise InvalidTransition(f"approval {request_id} is {state}, not waiting for a decision")
    comment = render(
        str(action.option("comment", f"approved by {acting.reason}")), acting.target.fields
    )
    approvals.approve(ctx, request_id, comment, stage)
    return {"do": "approve", "approval": request_id, "stage": stage}


def _finish(acting: Acting, action: ActionSpec) -> Done:
    """Finish a routine step its template marks ``automatic = true``."""
    ctx = acting.ctx
    with ctx.db.read() as session:
        item = work_item_of(session, acting.target)
        item_id, status, step = item.id, item.status, item.step.key
        automatic = step_is_automatic(item)
    if not automatic:
        raise InvalidInput(f"step {step!r} is not marked automatic in its template")
    if status == WorkStatus.READY:
        lifecycle.start(ctx, item_id)
    lifecycle.done(ctx, item_id)
    return {"do": "finish", "work_item": item_id, "step": step}


def _handoff(acting: Acting, action: ActionSpec) -> Done:
    """Open the handoff of a step that ends in one (starting the ready step,
    as a person would), answer the checklist items the rule fills in, and
    submit it when the rule says so."""
    ctx = acting.ctx
    with ctx.db.read() as session:
        item = work_item_of(session, acting.target)
        item_id, status, step, ends_in_handoff = (
            item.id,
            item.status,
            item.step.key,
            item.step.handoff,
        )
    if not ends_in_handoff:
        raise InvalidInput(f"step {step!r} does not end in a handoff")
    if status == WorkStatus.READY:
        lifecycle.start(ctx, item_id)
    with ctx.db.read() as session:
        handoff = session.scalar(select(Handoff).where(Handoff.work_item_id == item_id))
        handoff_id, state = (handoff.id, handoff.state) if handoff else (None, None)
    if handoff_id is None:
        raise InvalidInput(f"work item {item_id} ({status}) has no handoff to open")
    done: Done = {"do": "handoff", "work_item": item_id, "handoff": handoff_id}
    answered = []
    for key, text in dict(action.option("answers", {})).items():
        value = render(str(text), acting.target.fields).strip()
        if value:
            answer_item_by_key(ctx, handoff_id, str(key), value)
            answered.append(str(key))
    if answered:
        done["answered"] = answered
    if action.option("submit", False) and state != HandoffState.SUBMITTED:
        handoffs.submit(ctx, handoff_id)
        done["submitted"] = True
    return done


def _next_follow_up_code(session: Session, order_code: str) -> str:
    prefix = f"{order_code}-F"
    taken = set(
        session.scalars(select(Order.code).where(Order.code.startswith(prefix, autoescape=True)))
    )
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    code = f"{prefix}{number}"
    if len(code) > 64:
        raise InvalidInput(
            f"a follow-up of order {order_code} needs a code longer than 64 characters"
        )
    return code


def _follow_up(acting: Acting, action: ActionSpec) -> Done:
    """Open a follow-up order for the subject's customer: each service's
    first step is ready for its team, the order says what it follows."""
    ctx = acting.ctx
    fields = acting.target.fields
    with ctx.db.read() as session:
        item = work_item_of(session, acting.target)
        order = item.order_line.order
        customer = session.get_one(Customer, order.customer_id)
        owner = session.get(User, order.sales_owner_id) if order.sales_owner_id else None
        new = NewOrder(
            code=_next_follow_up_code(session, order.code),
            customer_code=customer.code,
            services=tuple(str(s) for s in action.option("service")),
            sales_owner=owner.login if owner and owner.active and not owner.placeholder else None,
            priority=int(action.option("priority", order.priority)),
            title=render(str(action.option("title", "")), fields),
            attributes={"follow_up_of": order.code},
        )
    order_id = create_order(ctx, new)
    return {
        "do": "follow_up",
        "order": new.code,
        "order_id": order_id,
        "follows": new.attributes["follow_up_of"],
    }


def _file_application(acting: Acting, action: ActionSpec) -> Done:
    fields = {
        key: render(str(value), acting.target.fields)
        for key, value in dict(action.option("fields", {})).items()
    }
    application_id = file_application(acting.ctx, str(action.option("kind")), fields)
    return {"do": "file_application", "application": application_id}


ACTIONS: dict[str, Callable[[Acting, ActionSpec], Done]] = {
    "assign": _assign,
    "set_priority": _set_priority,
    "set_due": _set_due,
    "escalate": _escalate,
    "remind": _remind,
    "comment": _comment,
    "approve": _approve,
    "finish": _finish,
    "handoff": _handoff,
    "follow_up": _follow_up,
    "file_application": _file_application,
}


def perform(acting: Acting, action: ActionSpec) -> Done:
    return ACTIONS[action.kind](acting, action)


def plan(action: ActionSpec, fields: Fields) -> str:
    """What the action would do to a subject with these fields, in words."""
    kind = action.kind
    if kind == "assign":
        return f"assign to {action.option('to')}"
    if kind == "set_priority":
        return f"set priority {fields.get('priority')} → {action.option('priority')}"
    if kind == "set_due":
        return f"set due in {action.option('in_days')} working days"
    if kind == "escalate":
        return "escalate to the team's leads" + (", reassign" if action.option("reassign") else "")
    if kind in ("comment", "remind"):
        return f"{kind}: {render(str(action.option('text')), fields)}"
    if kind == "approve":
        return "approve the current stage"
    if kind == "finish":
        return (
            "finish the step" if fields.get("automatic") else "finish (refused: step not automatic)"
        )
    if kind == "handoff":
        answers = ", ".join(sorted(dict(action.option("answers", {}))))
        return (
            "open the step's handoff"
            + (f", answer {answers}" if answers else "")
            + (", submit it" if action.option("submit") else "")
        )
    if kind == "follow_up":
        services = ", ".join(str(s) for s in action.option("service"))
        return f"open a follow-up order of {fields.get('order', '?')} for {services}"
    return f"file a {action.option('kind')} application"
