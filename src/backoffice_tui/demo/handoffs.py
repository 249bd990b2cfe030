"""Demo handoffs: the plans of ``sample_data/handoffs.toml``, replayed through
the real handoff services with the demo's simulated clock."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from backoffice_tui.domain.errors import InvalidInput
from backoffice_tui.domain.handoff_states import HandoffState
from backoffice_tui.services.context import Actor, Context
from backoffice_tui.services.handoffs import actions as handoffs
from backoffice_tui.services.handoffs import checklist as handoffs_checklist
from backoffice_tui.services.handoffs import documents as handoff_documents
from backoffice_tui.services.handoffs.read import handoff_detail, handoff_of_work_item
from backoffice_tui.services.handoffs.records import CHECKED, parse_state
from backoffice_tui.store.database import Database


class DemoClock(Protocol):
    at: datetime

    def __call__(self) -> datetime: ...

    def move_to(self, moment: datetime) -> None: ...


@dataclass(frozen=True)
class RevisionPlan:
    document: str
    location: str
    note: str = ""


@dataclass(frozen=True)
class ReturnPlan:
    reason: str
    answers: dict[str, str] = field(default_factory=dict)
    revisions: tuple[RevisionPlan, ...] = ()


@dataclass(frozen=True)
class HandoffPlan:
    order: str
    service: str
    state: HandoffState = HandoffState.ACCEPTED
    sender: str | None = None
    receiver: str | None = None
    answers: dict[str, str] | None = None  # None: every required item, a plausible answer
    documents: tuple[tuple[RevisionPlan, ...], ...] = ()  # each document's revisions
    returns: tuple[ReturnPlan, ...] = ()

    @property
    def where(self) -> str:
        return f"handoffs.toml {self.order} {self.service}"


def _revision(data: Mapping[str, Any], document: str) -> RevisionPlan:
    return RevisionPlan(
        str(data.get("document", document)), str(data["location"]), str(data.get("note", ""))
    )


def _plan(data: Mapping[str, Any]) -> HandoffPlan:
    plan = HandoffPlan(
        order=str(data["order"]),
        service=str(data["service"]),
        state=parse_state(str(data.get("state", "accepted"))),
        sender=data.get("sender"),
        receiver=data.get("receiver"),
        answers={str(k): str(v) for k, v in data["answers"].items()} if "answers" in data else None,
        documents=tuple(
            tuple(_revision(r, str(doc["title"])) for r in doc["revisions"])
            for doc in data.get("documents", [])
        ),
        returns=tuple(
            ReturnPlan(
                str(r["reason"]),
                {str(k): str(v) for k, v in r.get("answers", {}).items()},
                tuple(_revision(rev, "") for rev in r.get("revisions", [])),
            )
            for r in data.get("returns", [])
        ),
    )
    if plan.state == HandoffState.DRAFT and plan.returns:
        raise InvalidInput(f"{plan.where}: a draft was never submitted, so has no returns")
    if plan.state == HandoffState.RETURNED and not plan.returns:
        raise InvalidInput(f"{plan.where}: a returned handoff needs at least one return")
    return plan


def read_plans(data: Mapping[str, Any]) -> dict[tuple[str, str], HandoffPlan]:
    """The plans of a parsed ``handoffs.toml``, by (order code, service code)."""
    plans = [_plan(entry) for entry in data.get("handoffs", [])]
    return {(plan.order, plan.service): plan for plan in plans}


def default_plan(order: str, service: str) -> HandoffPlan:
    return HandoffPlan(order, service)


def _default_answers(order: str, db: Database, handoff_id: int) -> dict[str, str]:
    answers = {}
    for item in handoff_detail(db, handoff_id).items:
        if not item.required:
            continue
        if item.kind == "check":
            answers[item.key] = CHECKED
        elif item.kind == "link":
            answers[item.key] = f"https://docs.example.com/{order.lower()}/{item.key}"
        else:
            answers[item.key] = f"See the {order} order file"
    return answers


def replay_handoff(
    db: Database,
    clock: DemoClock,
    sender: Actor,
    receiver: Actor,
    work_item_id: int,
    plan: HandoffPlan,
    submit_at: datetime | None = None,
) -> None:
    """Take the handoff its started step opened as far as ``plan`` says;
    submitted (at ``submit_at`` at the earliest) and accepted ones finish the step."""
    handoff_id = handoff_of_work_item(db, work_item_id)
    if handoff_id is None:
        raise InvalidInput(f"{plan.where}: the step opened no handoff")
    if sender.user_id == receiver.user_id and plan.state != HandoffState.DRAFT:
        raise InvalidInput(
            f"{plan.where}: {sender.login} would submit and also return or accept; "
            "whoever submits a handoff may not (name another receiver)"
        )
    as_sender, as_receiver = Context(db, sender, clock), Context(db, receiver, clock)

    def wait(minutes: int) -> None:
        clock.move_to(clock.at + timedelta(minutes=minutes))

    def answer(answers: Mapping[str, str]) -> None:
        for key, value in answers.items():
            wait(35)
            handoffs_checklist.answer_item_by_key(as_sender, handoff_id, key, value)

    documents: dict[str, int] = {}

    def revise(revision: RevisionPlan) -> None:
        wait(25)
        if revision.document not in documents:
            raise InvalidInput(f"{plan.where}: no document {revision.document!r} to revise")
        handoff_documents.add_revision(
            as_sender, documents[revision.document], revision.location, revision.note
        )

    order = plan.order
    answer(plan.answers if plan.answers is not None else _default_answers(order, db, handoff_id))
    for first, *later in plan.documents:
        wait(20)
        documents[first.document] = handoff_documents.add_document(
            as_sender, handoff_id, first.document, first.location, first.note
        )
        for revision in later:
            revise(revision)
    if plan.state == HandoffState.DRAFT:
        return
    clock.move_to(max(submit_at or clock.at, clock.at + timedelta(minutes=30)))
    handoffs.submit(as_sender, handoff_id)
    for number, returned in enumerate(plan.returns, start=1):
        wait(180)
        handoffs.return_handoff(as_receiver, handoff_id, returned.reason)
        answer(returned.answers)
        for revision in returned.revisions:
            revise(revision)
        if number == len(plan.returns) and plan.state == HandoffState.RETURNED:
            return
        wait(30)
        handoffs.submit(as_sender, handoff_id)
    if plan.state == HandoffState.ACCEPTED:
        wait(120)
        handoffs.accept(as_receiver, handoff_id)
