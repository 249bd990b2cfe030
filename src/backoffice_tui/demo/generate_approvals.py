"""Generating many pending approval requests in bulk, for benchmarks.

Each request is what ``approvals.request_approval`` would have written for
an order: the order itself (in a few generated customers), a pending
request at its single stage, the stage with its approver entry, the
requester's submit decision and the ``approval.requested`` event. Rows go
in with multi-row inserts in one transaction; ids come back through
RETURNING, so sequences stay right on PostgreSQL.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backoffice_tui.domain.approvals import Action, RequestState, StageState
from backoffice_tui.domain.errors import InvalidInput, NotFound
from backoffice_tui.domain.text import search_key
from backoffice_tui.services.approvals.actions import EVENT_KINDS
from backoffice_tui.store.database import Database
from backoffice_tui.store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    ApprovalStageApprover,
    Customer,
    Event,
    Order,
    User,
)

BATCH = 2_000
REQUESTS_PER_CUSTOMER = 50
STAGE_NAME = "Order review"
DUE_HOURS = 48
SPREAD_HOURS = 96  # requests were opened over the last four days: about half are overdue
ORDER_PREFIX = "AP-"  # generated order codes; request titles are "Order AP-..."
CUSTOMER_PREFIX = "APC"


@dataclass(frozen=True)
class _Who:
    id: int
    login: str


def _user(session: Session, login: str) -> _Who:
    row = session.execute(
        select(User.id, User.login).where(User.login == login, User.active.is_(True))
    ).first()
    if row is None:
        raise NotFound(f"no active user {login!r}")
    return _Who(row.id, row.login)


def _requester(session: Session, approver: _Who, login: str | None) -> _Who:
    if login is not None:
        who = _user(session, login)
        if who.id == approver.id:
            raise InvalidInput("the requester must be someone other than the approver")
        return who
    row = session.execute(
        select(User.id, User.login)
        .where(User.active.is_(True), User.id != approver.id)
        .order_by(User.id)
        .limit(1)
    ).first()
    if row is None:
        raise InvalidInput("generating requests needs a second user as their requester")
    return _Who(row.id, row.login)


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, BATCH):
        yield range(start, min(start + BATCH, count))


def _insert_returning_ids(
    session: Session, model: Any, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` (executemany) and return their new ids in order."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, list(rows)))


def _customers(session: Session, count: int, now: datetime) -> list[int]:
    first = (session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1)) or 0) + 1
    rows = []
    for n in range(first, first + count):
        code = f"{CUSTOMER_PREFIX}{n:06d}"
        name = f"Approval bench customer {n}"
        rows.append(
            {
                "code": code,
                "name": name,
                "reading": None,
                "segment": "enterprise",
                "notes": "",
                "search_text": search_key(code, name),
                "created_at": now,
            }
        )
    return _insert_returning_ids(session, Customer, rows)


def generate_waiting_requests(
    db: Database,
    approver_login: str,
    count: int,
    *,
    requester_login: str | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Open ``count`` single-stage requests waiting for ``approver_login``
    (entered over the last four days, due 48 hours after); their ids."""
    if count < 0:
        raise InvalidInput("the number of requests cannot be negative")
    now = now or datetime.now(UTC)
    request_ids: list[int] = []
    with db.write() as session:
        approver = _user(session, approver_login)
        requester = _requester(session, approver, requester_login)
        customers = _customers(session, max(1, -(-count // REQUESTS_PER_CUSTOMER)), now)
        next_order = (session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1)) or 0) + 1
        for chunk in _chunks(count):
            request_ids += _write_chunk(
                session, chunk, count, now, approver, requester, customers, next_order
            )
    return request_ids


def _write_chunk(
    session: Session,
    chunk: range,
    count: int,
    now: datetime,
    approver: _Who,
    requester: _Who,
    customers: list[int],
    next_order: int,
) -> list[int]:
    step = timedelta(hours=SPREAD_HOURS) / max(1, count)
    opened = [now - step * (count - n) for n in chunk]  # the oldest first
    customer_of = [customers[n // REQUESTS_PER_CUSTOMER] for n in chunk]
    codes = [f"{ORDER_PREFIX}{next_order + n:08d}" for n in chunk]
    order_ids = _insert_returning_ids(
        session,
        Order,
        [
            {
                "code": code,
                "customer_id": customer,
                "received_on": at.date(),
                "requested_on": (at + timedelta(days=30)).date(),
                "sales_owner_id": requester.id,
                "priority": 3,
                "created_at": at,
            }
            for code, customer, at in zip(codes, customer_of, opened, strict=True)
        ],
    )
    request_ids = _insert_returning_ids(
        session,
        ApprovalRequest,
        [
            {
                "subject_kind": "order",
                "subject_id": order_id,
                "customer_id": customer,
                "requester_id": requester.id,
                "title": f"Order {code}",
                "state": RequestState.PENDING.value,
                "current_stage": 1,
                "created_at": at,
                "decided_at": None,
                "version": 1,
            }
            for order_id, customer, code, at in zip(
                order_ids, customer_of, codes, opened, strict=True
            )
        ],
    )
    decision_ids = _insert_returning_ids(
        session,
        ApprovalDecision,
        [
            {
                "request_id": request_id,
                "stage_id": None,
                "actor_id": requester.id,
                "on_behalf_of_id": None,
                "action": Action.SUBMIT.value,
                "comment": "",
                "target": None,
                "as_approver": None,
                "at": at,
            }
            for request_id, at in zip(request_ids, opened, strict=True)
        ],
    )
    stage_ids = _insert_returning_ids(
        session,
        ApprovalStage,
        [
            {
                "request_id": request_id,
                "position": 1,
                "name": STAGE_NAME,
                "rule": "any",
                "info_only": False,
                "approvers": [approver.login],
                "state": StageState.PENDING.value,
                "due_hours": DUE_HOURS,
                "due_at": at + timedelta(hours=DUE_HOURS),
                "held_by_id": None,
                "entered_at": at,
                "since_decision_id": decision_id,
                "reminded_at": None,
            }
            for request_id, decision_id, at in zip(request_ids, decision_ids, opened, strict=True)
        ],
    )
    session.execute(
        insert(ApprovalStageApprover),
        [{"stage_id": stage_id, "approver": approver.login} for stage_id in stage_ids],
    )
    session.execute(
        insert(Event),
        [
            {
                "at": at,
                "actor_id": requester.id,
                "actor_name": requester.login,
                "on_behalf_of_id": None,
                "entity": "approval_request",
                "entity_id": request_id,
                "customer_id": customer,
                "order_id": order_id,
                "order_line_id": None,
                "team_id": None,
                "kind": EVENT_KINDS[Action.SUBMIT],
                "summary": f"{requester.login} submitted 'Order {code}'",
                "payload": {
                    "subject_kind": "order",
                    "subject_id": order_id,
                    "decision_id": decision_id,
                },
            }
            for request_id, order_id, customer, code, decision_id, at in zip(
                request_ids, order_ids, customer_of, codes, decision_ids, opened, strict=True
            )
        ],
    )
    return request_ids
